//! What the tree shows of the index under the current filter, hiding rules
//! and sort: per-node visible and hidden totals, the order of groups, and which
//! items appear. One pass over records, one over items and one sort of
//! groups per category, so a filter keystroke stays within a frame's time on
//! 246,000 records.

use super::filter::Filter;
use super::growth::Growth;
use super::hide::{RuleRef, Verdicts};
use super::index::{facts, Category, Facts, Index, SortKey};
use crate::model::{Process, Report};

/// Totals of a node. For leaks, `bytes` are direct bytes (the figure valgrind's
/// LEAK SUMMARY adds up), so children always sum to their parent; indirect
/// bytes are kept apart for the detail pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tot {
    /// u128, as `triage::Totals`: sums of u64 figures cannot wrap.
    pub bytes: u128,
    pub indirect: u128,
    pub blocks: u128,
    /// Loss records or error contexts.
    pub items: u64,
    /// Error occurrences (an error context can repeat).
    pub count: u128,
}

/// One item's contribution to a total.
impl From<&Facts> for Tot {
    fn from(f: &Facts) -> Self {
        Tot {
            bytes: f.bytes.into(),
            indirect: f.indirect.into(),
            blocks: f.blocks.into(),
            items: 1,
            count: f.count.into(),
        }
    }
}

impl Tot {
    pub fn add(&mut self, o: &Tot) {
        self.bytes += o.bytes;
        self.indirect += o.indirect;
        self.blocks += o.blocks;
        self.items += o.items;
        self.count += o.count;
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// What is left of `self` without `o` (a part of it).
    fn minus(&self, o: &Tot) -> Tot {
        Tot {
            bytes: self.bytes - o.bytes,
            indirect: self.indirect - o.indirect,
            blocks: self.blocks - o.blocks,
            items: self.items - o.items,
            count: self.count - o.count,
        }
    }

    /// The figure a share bar compares: bytes for leaks, occurrences for errors.
    pub fn weight(&self, leak: bool) -> u128 {
        if leak {
            self.bytes
        } else {
            self.count
        }
    }
}

/// Why an item is not shown. Rules come first: an item a rule hides is
/// counted as rule-hidden whether or not it matches the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A hiding rule: "hidden".
    Rule(RuleRef),
    /// Its stack does not match the filter: "filtered out".
    Filter,
}

/// A node's totals: shown, hidden by a rule, filtered out — counted apart.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fig {
    pub vis: Tot,
    /// Hidden by a rule.
    pub hid: Tot,
    /// Not hidden by a rule, but filtered out.
    pub out: Tot,
}

impl Fig {
    pub fn add(&mut self, o: &Fig) {
        self.vis.add(&o.vis);
        self.hid.add(&o.hid);
        self.out.add(&o.out);
    }

    fn count(&mut self, t: &Tot, seen: Seen) {
        match seen {
            Seen::Shown => self.vis.add(t),
            Seen::Hidden => self.hid.add(t),
            Seen::Out => self.out.add(t),
        }
    }

    /// What is not shown: rule-hidden and filtered out.
    pub fn not_shown(&self) -> Tot {
        let mut t = self.hid;
        t.add(&self.out);
        t
    }

    /// What a row shows: the visible totals, or (for a node shown only
    /// because hidden items are) what is not shown, and whether it is that.
    pub fn shown_or_hidden(&self) -> (Tot, bool) {
        if self.vis.is_empty() {
            (self.not_shown(), true)
        } else {
            (self.vis, false)
        }
    }

    /// Everything the node holds, whatever is shown.
    pub fn all(&self) -> Tot {
        let mut t = self.vis;
        t.add(&self.hid);
        t.add(&self.out);
        t
    }
}

#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub procs: Vec<ProcView>,
    /// Per category over all processes, in tree order.
    pub by_category: Vec<(Category, Fig)>,
    /// Items that match the active filter and no rule hides.
    pub matches: u64,
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
    /// Items to show, all groups' runs back to back (positions in the
    /// group's item list).
    pub items: Vec<u32>,
    /// Per group, its growth, when groups are sorted by growth.
    pub growth: Option<Vec<i128>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct GroupView {
    pub fig: Fig,
    /// The group's run in `CatView::items`.
    pub start: u32,
    pub len: u32,
}

impl CatView {
    pub fn shown_items(&self, g: u32) -> &[u32] {
        let gv = &self.groups[g as usize];
        &self.items[gv.start as usize..(gv.start + gv.len) as usize]
    }

    /// Whether the category has rows to show.
    pub fn is_shown(&self) -> bool {
        !self.order.is_empty()
    }
}

/// Everything an item's visibility depends on.
pub struct Visibility<'a> {
    pub filter: &'a Filter,
    pub verdicts: &'a Verdicts,
    /// Growth per group, to sort by or keep only growth.
    pub growth: Option<GrowthView<'a>>,
}

#[derive(Clone, Copy)]
pub struct GrowthView<'a> {
    pub growth: &'a Growth,
    /// Sort groups by growth (largest first).
    pub sort: bool,
    /// Show only new or grown groups.
    pub only: bool,
}

impl Visibility<'_> {
    /// The one definition of "not shown": why an item is hidden or filtered
    /// out, or `None` when it is shown. `f` is the item's facts (its stack).
    #[inline]
    pub fn cause_of(
        &self,
        proc_: &Process,
        process: usize,
        cat: &Category,
        item: u32,
        f: &Facts,
    ) -> Option<Cause> {
        if let Some(r) = self.verdicts.of(process, cat, item) {
            return Some(Cause::Rule(r));
        }
        if !self.filter.is_active() || self.filter.stack_matches(f.stack) {
            return None;
        }
        let aux_match = match cat {
            Category::Leak(_) => false,
            Category::Error(_) => proc_.errors[item as usize]
                .aux
                .iter()
                .any(|a| self.filter.stack_matches(a.stack)),
        };
        (!aux_match).then_some(Cause::Filter)
    }

    /// [`Visibility::cause_of`] for an item of the index.
    pub fn cause(
        &self,
        report: &Report,
        index: &Index,
        p: usize,
        c: usize,
        item: u32,
    ) -> Option<Cause> {
        let pn = &index.procs[p];
        let proc_ = &report.processes[pn.process];
        let cat = &pn.cats[c].category;
        self.cause_of(proc_, pn.process, cat, item, &facts(proc_, cat, item))
    }
}

/// Why each of a process's loss records is not shown, decided in one pass
/// over the records in record order (the order they lie in memory; groups
/// list them in sort order, which scatters them): a byte per record,
/// transient, that the walk over groups then reads from cache.
fn leak_causes(proc_: &Process, process: usize, vis: &Visibility) -> Vec<Seen> {
    proc_
        .loss_records()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let cat = Category::Leak(r.kind);
            let f = facts(proc_, &cat, i as u32);
            Seen::from(vis.cause_of(proc_, process, &cat, i as u32, &f))
        })
        .collect()
}

/// [`Cause`] without the rule, in a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Shown,
    Hidden,
    Out,
}

impl From<Option<Cause>> for Seen {
    fn from(c: Option<Cause>) -> Seen {
        match c {
            None => Seen::Shown,
            Some(Cause::Rule(_)) => Seen::Hidden,
            Some(Cause::Filter) => Seen::Out,
        }
    }
}

/// Builds the projection. `prev`: the projection of the same index and
/// verdicts under another filter, sort or view (what a filter keystroke
/// changes): a group's rule-hidden and overall totals are then the same, so
/// only its shown records' figures are read (a record's figures are a
/// scattered load; reading all of them made a filter keystroke on 246,000
/// records wait on 246,000 cache misses), and what is filtered out is the
/// rest.
pub fn project(
    report: &Report,
    index: &Index,
    vis: &Visibility,
    show_hidden: bool,
    prev: Option<&Projection>,
) -> Projection {
    let mut out = Projection::default();
    let mut by_cat: Vec<(Category, Fig)> = Vec::new();
    for (p, pn) in index.procs.iter().enumerate() {
        let proc_ = &report.processes[pn.process];
        let seen = leak_causes(proc_, pn.process, vis);
        let mut pv = ProcView::default();
        for (c, cn) in pn.cats.iter().enumerate() {
            let mut cv = CatView {
                groups: Vec::with_capacity(cn.groups.len()),
                ..CatView::default()
            };
            let before = prev.map(|pr| &pr.procs[p].cats[c]);
            for (gi, g) in cn.groups.iter().enumerate() {
                let start = cv.items.len() as u32;
                let mut gv = GroupView {
                    start,
                    ..GroupView::default()
                };
                let leak = cn.category.is_leak();
                match before.map(|b| &b.groups[gi].fig).filter(|_| leak) {
                    Some(base) => {
                        let (mut shown, mut filtered) = (0usize, 0usize);
                        for (k, &item) in g.items.iter().enumerate() {
                            match seen[item as usize] {
                                Seen::Shown => shown += 1,
                                Seen::Out => filtered += 1,
                                Seen::Hidden => {}
                            }
                            if show_hidden || seen[item as usize] == Seen::Shown {
                                cv.items.push(k as u32);
                            }
                        }
                        // Read the smaller side's figures; the other is the
                        // rest of what no rule hides (no filter: none read).
                        let side = if shown <= filtered {
                            Seen::Shown
                        } else {
                            Seen::Out
                        };
                        let mut sum = Tot::default();
                        let listed = side == Seen::Shown && !show_hidden;
                        if shown.min(filtered) > 0 && listed {
                            // The shown items were just listed.
                            for &k in &cv.items[start as usize..] {
                                let item = g.items[k as usize];
                                sum.add(&item_tot(proc_, &cn.category, item));
                            }
                        } else if shown.min(filtered) > 0 {
                            for &item in &g.items {
                                if seen[item as usize] == side {
                                    sum.add(&item_tot(proc_, &cn.category, item));
                                }
                            }
                        }
                        let rest = base.all().minus(&base.hid).minus(&sum);
                        gv.fig.hid = base.hid;
                        (gv.fig.vis, gv.fig.out) = match side {
                            Seen::Shown => (sum, rest),
                            _ => (rest, sum),
                        };
                    }
                    None => {
                        for (k, &item) in g.items.iter().enumerate() {
                            let f = facts(proc_, &cn.category, item);
                            let cause = if leak {
                                seen[item as usize]
                            } else {
                                // Errors: few, and one can match on an
                                // auxiliary stack (`cause_of` reads it).
                                Seen::from(vis.cause_of(proc_, pn.process, &cn.category, item, &f))
                            };
                            gv.fig.count(&Tot::from(&f), cause);
                            if cause == Seen::Shown || show_hidden {
                                cv.items.push(k as u32);
                            }
                        }
                    }
                }
                gv.len = cv.items.len() as u32 - start;
                cv.fig.add(&gv.fig);
                cv.groups.push(gv);
            }
            let grows = |g: u32| match vis.growth {
                Some(gr) if gr.only => gr.growth.group(p, c, g as usize).is_some_and(|d| d.grows()),
                _ => true,
            };
            cv.order = (0..cn.groups.len() as u32)
                .filter(|&g| cv.groups[g as usize].len > 0 && grows(g))
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

pub fn item_tot(p: &crate::model::Process, cat: &Category, item: u32) -> Tot {
    Tot::from(&facts(p, cat, item))
}

impl Projection {
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
