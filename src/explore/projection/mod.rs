//! What the tree shows of the index under the current filter, hiding rules
//! and sort: per-node visible and hidden totals, the order of groups, and which
//! items appear. One pass over records in record order, one sort of the
//! groups of each shown category, and item lists only for expanded groups,
//! so a filter keystroke stays within a frame's time on 246,000 records.

mod leaks;
mod totals;
mod visibility;

pub use totals::{Fig, Tot};
pub use visibility::{Cause, GrowthView, Visibility};

use super::index::{facts, Category, GroupNode, Index, SortKey};
use crate::model::Report;
use leaks::count_leaks;
use visibility::Seen;

#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub procs: Vec<ProcView>,
    /// Per category over all processes, in tree order.
    pub by_category: Vec<(Category, Fig)>,
    /// Items that match the active filter and no rule hides.
    pub matches: u64,
    /// Group rows list their rule-hidden and filtered-out items too.
    pub show_hidden: bool,
}

/// A process's totals: its leaks and its errors kept apart (a loss record
/// and an error context are different things, never added up).
#[derive(Debug, Default, Clone)]
pub struct ProcView {
    pub leaks: Fig,
    pub errors: Fig,
    pub cats: Vec<CatView>,
}

#[derive(Debug, Default, Clone)]
pub struct CatView {
    pub fig: Fig,
    /// Groups to show (indices into the index's groups), in display order
    /// once `sorted`: only shown categories are sorted, so a keystroke does
    /// not sort the groups of collapsed ones (see [`Projection::sort`]).
    pub order: Vec<u32>,
    pub sorted: bool,
    /// Parallel to the index's groups.
    pub groups: Vec<GroupView>,
    /// The items of the groups listed so far (see [`Projection::list`]),
    /// runs back to back (record or error indices).
    items: Vec<u32>,
    /// Per group, its growth, when groups are sorted by growth.
    pub growth: Option<Vec<i128>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct GroupView {
    pub fig: Fig,
    /// The group's run in `CatView::items`, once listed; ([`WHOLE`], n):
    /// its whole kept list in the index (no copy of 6.8 M items).
    listed: Option<(u32, u32)>,
}

/// A group lists its whole kept list (see `GroupView::listed`).
const WHOLE: u32 = u32::MAX;

impl GroupView {
    /// How many items the group's row lists when expanded.
    pub fn lists(&self, show_hidden: bool) -> u64 {
        if show_hidden {
            self.fig.all().items
        } else {
            self.fig.vis.items
        }
    }
}

impl CatView {
    /// The items group `g` (`node` in the index) lists (record or error
    /// indices), once the rows stage listed it: every expanded group is.
    /// Elsewhere use [`listed_items`], which lists a group on demand.
    pub fn shown_items<'a>(&'a self, g: u32, node: &'a GroupNode) -> &'a [u32] {
        let gv = &self.groups[g as usize];
        debug_assert!(gv.listed.is_some() || gv.fig.all().is_empty());
        match gv.listed {
            Some((WHOLE, _)) => node.kept_items().unwrap_or_default(),
            Some((start, len)) => &self.items[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// Whether group `g`'s list is at hand (its whole kept list is only
    /// while the index keeps it).
    fn has_list(&self, g: u32, node: &GroupNode) -> bool {
        match self.groups[g as usize].listed {
            Some((WHOLE, _)) => node.kept_items().is_some(),
            listed => listed.is_some(),
        }
    }

    /// Whether the category has rows to show.
    pub fn is_shown(&self) -> bool {
        !self.order.is_empty()
    }
}
/// Builds the projection: every node's figures and each shown category's
/// group order. Groups' item lists are left to the rows stage, which lists
/// only the expanded ones ([`Projection::list`]). `prev`: the projection of
/// the same index and verdicts under another filter, sort or view, taken
/// over: its rule-hidden and overall totals carry over (see `count_leaks`)
/// and its tables are reused.
pub fn project(
    report: &Report,
    index: &Index,
    vis: &Visibility,
    show_hidden: bool,
    prev: Option<Projection>,
) -> Projection {
    let mut out = Projection {
        show_hidden,
        ..Projection::default()
    };
    let mut prev = prev.map(|pr| pr.procs.into_iter());
    let mut by_cat: Vec<(Category, Fig)> = Vec::new();
    for (p, pn) in index.procs.iter().enumerate() {
        let proc_ = &report.processes[pn.process];
        let carried = prev.as_mut().and_then(Iterator::next);
        let is_carried = carried.is_some();
        let mut cats: Vec<CatView> = match carried {
            Some(pv) => pv
                .cats
                .into_iter()
                .map(|cv| CatView {
                    fig: cv.fig,
                    groups: cv.groups,
                    items: {
                        let mut items = cv.items;
                        items.clear();
                        items
                    },
                    ..CatView::default()
                })
                .collect(),
            None => pn
                .cats
                .iter()
                .map(|cn| CatView {
                    groups: vec![GroupView::default(); cn.groups.len()],
                    ..CatView::default()
                })
                .collect(),
        };
        for cv in &mut cats {
            for gv in &mut cv.groups {
                gv.listed = None;
            }
        }
        count_leaks(report, index, p, vis, &mut cats, is_carried);
        let mut pv = ProcView::default();
        for (c, (cn, mut cv)) in pn.cats.iter().zip(cats).enumerate() {
            if !cn.category.is_leak() {
                // Errors: few, and one can match on an auxiliary stack.
                cv.fig = Fig::default();
                for (g, gv) in cn.groups.iter().zip(&mut cv.groups) {
                    gv.fig = Fig::default();
                    for &item in g.kept_items().unwrap_or_default() {
                        let f = facts(proc_, &cn.category, item);
                        let cause = vis.cause_of(proc_, pn.process, &cn.category, item, &f);
                        gv.fig.count(&Tot::from(&f), Seen::from(cause));
                    }
                    cv.fig.add(&gv.fig);
                }
            }
            let grows = |g: u32| match vis.growth {
                Some(gr) if gr.only => gr.growth.group(p, c, g as usize).is_some_and(|d| d.grows()),
                _ => true,
            };
            cv.order = (0..cn.groups.len() as u32)
                .filter(|&g| cv.groups[g as usize].lists(show_hidden) > 0 && grows(g))
                .collect();
            if let Some(gr) = vis.growth.filter(|g| g.sort) {
                cv.growth = Some(
                    (0..cn.groups.len())
                        .map(|g| gr.growth.group(p, c, g).map_or(i128::MIN, |d| d.amount))
                        .collect(),
                );
            }
            if cn.expanded && pn.expanded {
                sort_groups(&mut cv, index, c, p, index.sort, cn.category.is_leak());
            }
            if vis.filter.is_active() {
                out.matches += cv.fig.vis.items;
            }
            if cn.category.is_leak() {
                pv.leaks.add(&cv.fig);
            } else {
                pv.errors.add(&cv.fig);
            }
            match by_cat.iter_mut().find(|(k, _)| *k == cn.category) {
                Some((_, f)) => f.add(&cv.fig),
                None => by_cat.push((cn.category.clone(), cv.fig)),
            }
            pv.cats.push(cv);
        }
        out.procs.push(pv);
    }
    by_cat.sort_by(|a, b| a.0.cmp(&b.0));
    out.by_category = by_cat;
    out
}

/// The items group `g`'s row lists (record or error indices, in sort
/// order): the shown ones, or every one when hidden items are shown. From
/// the rows stage's list when the group has one, else decided now (the
/// detail pane, `v`, match jumps on a collapsed group).
pub fn listed_items(
    report: &Report,
    index: &Index,
    proj: &Projection,
    vis: &Visibility,
    (p, c, g): (usize, usize, u32),
) -> Vec<u32> {
    let cv = &proj.procs[p].cats[c];
    let node = &index.procs[p].cats[c].groups[g as usize];
    if cv.has_list(g, node) {
        return cv.shown_items(g, node).to_vec();
    }
    let mut items = index.items(report, (p, c, g)).into_owned();
    if !proj.show_hidden {
        items.retain(|&item| vis.cause(report, index, p, c, item).is_none());
    }
    items
}

pub fn item_tot(p: &crate::model::Process, cat: &Category, item: u32) -> Tot {
    Tot::from(&facts(p, cat, item))
}

impl Projection {
    /// Lists group `g`'s items (see [`listed_items`]), if not done yet: the
    /// rows stage does for every expanded group, so a keystroke lists only
    /// what the tree shows.
    pub fn list(
        &mut self,
        report: &Report,
        index: &Index,
        vis: &Visibility,
        p: usize,
        c: usize,
        g: u32,
    ) {
        let gv = &self.procs[p].cats[c].groups[g as usize];
        let node = &index.procs[p].cats[c].groups[g as usize];
        if self.procs[p].cats[c].has_list(g, node) {
            return;
        }
        if let Some(kept) = node.kept_items() {
            if gv.lists(self.show_hidden) == kept.len() as u64 {
                // Every item shows: list the index's list, not a copy.
                let whole = Some((WHOLE, kept.len() as u32));
                self.procs[p].cats[c].groups[g as usize].listed = whole;
                return;
            }
        }
        let items = listed_items(report, index, self, vis, (p, c, g));
        let cv = &mut self.procs[p].cats[c];
        let start = cv.items.len() as u32;
        cv.items.extend_from_slice(&items);
        cv.groups[g as usize].listed = Some((start, items.len() as u32));
    }

    /// Puts a category's groups in display order, if not done yet.
    pub fn sort(&mut self, index: &Index, p: usize, c: usize) {
        let leak = index.procs[p].cats[c].category.is_leak();
        if let Some(cv) = self.procs.get_mut(p).and_then(|pv| pv.cats.get_mut(c)) {
            if !cv.sorted {
                sort_groups(cv, index, c, p, index.sort, leak);
            }
        }
    }

    /// The first `n` groups in display order, without sorting the rest (the
    /// detail pane draws this for collapsed categories too).
    pub fn top_groups(&self, index: &Index, p: usize, c: usize, n: usize) -> Vec<u32> {
        let cv = &self.procs[p].cats[c];
        if cv.sorted {
            return cv.order.iter().take(n).copied().collect();
        }
        let mut part = CatView {
            order: cv.order.clone(),
            groups: cv.groups.clone(),
            growth: cv.growth.clone(),
            ..CatView::default()
        };
        let leak = index.procs[p].cats[c].category.is_leak();
        sort_groups(&mut part, index, c, p, index.sort, leak);
        part.order.truncate(n);
        part.order
    }

    pub fn sort_all(&mut self, index: &Index) {
        for p in 0..self.procs.len() {
            for c in 0..self.procs[p].cats.len() {
                self.sort(index, p, c);
            }
        }
    }
}

fn sort_groups(cv: &mut CatView, index: &Index, c: usize, p: usize, sort: SortKey, leak: bool) {
    cv.sorted = true;
    let groups = &index.procs[p].cats[c].groups;
    let views = &cv.groups;
    let metric = |g: &u32| {
        let v = &views[*g as usize];
        let (t, h) = (&v.fig.vis, &v.fig.hid);
        match (sort, leak) {
            (SortKey::Bytes, true) => (t.bytes, h.bytes),
            (SortKey::Blocks, true) => (t.blocks, h.blocks),
            (SortKey::Count, true) => (t.items.into(), h.items.into()),
            (_, false) => (t.count, h.count),
            (SortKey::Name, true) => (0, 0),
        }
    };
    if let Some(growth) = &cv.growth {
        cv.order
            .sort_unstable_by_key(|&g| (std::cmp::Reverse(growth[g as usize]), g));
    } else if sort == SortKey::Name {
        cv.order
            .sort_by(|&a, &b| groups[a as usize].display.cmp(&groups[b as usize].display));
    } else {
        // Ties keep the index's order (total bytes, then label): no string
        // comparisons on the hot path.
        cv.order
            .sort_unstable_by_key(|g| (std::cmp::Reverse(metric(g)), *g));
    }
}
