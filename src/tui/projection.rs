//! What the tree shows of the index under the current filter, hiding rules
//! and sort: per-node visible and hidden totals, the order of groups, and which
//! items appear. One pass over items and one sort of groups per category, so
//! a filter keystroke stays within a frame's time on 200,000 records.

use super::baseline::Deltas;
use super::filter::Filter;
use super::hide::{RuleRef, Verdicts};
use super::index::{facts, Category, Facts, Index, SortKey};
use crate::model::{MemcheckError, Process, Report};

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

    /// The figure a share bar compares: bytes for leaks, occurrences for errors.
    pub fn weight(&self, leak: bool) -> u128 {
        if leak {
            self.bytes
        } else {
            self.count
        }
    }
}

/// Why an item is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Its stack does not match the filter.
    Filter,
    /// A hiding rule.
    Rule(RuleRef),
}

#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub procs: Vec<ProcView>,
    /// Per category over all processes, in tree order: (category, visible, hidden).
    pub by_category: Vec<(Category, Tot, Tot)>,
    /// Items that match the active filter and no rule hides.
    pub matches: u64,
}

#[derive(Debug, Default, Clone)]
pub struct ProcView {
    pub vis: Tot,
    pub hid: Tot,
    pub cats: Vec<CatView>,
}

#[derive(Debug, Default, Clone)]
pub struct CatView {
    pub vis: Tot,
    pub hid: Tot,
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
    pub vis: Tot,
    pub hid: Tot,
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
    /// With `--baseline`: growth per group, to sort by or keep only growth.
    pub growth: Option<Growth<'a>>,
}

#[derive(Clone, Copy)]
pub struct Growth<'a> {
    pub deltas: &'a Deltas,
    /// Sort groups by growth (largest first).
    pub sort: bool,
    /// Show only new or grown groups.
    pub only: bool,
}

impl Visibility<'_> {
    pub fn cause(
        &self,
        report: &Report,
        index: &Index,
        p: usize,
        c: usize,
        item: u32,
    ) -> Option<Cause> {
        let pn = &index.procs[p];
        let cat = &pn.cats[c].category;
        if let Some(r) = self.verdicts.of(pn.process, cat, item) {
            return Some(Cause::Rule(r));
        }
        if !self.filter.is_active() {
            return None;
        }
        let proc_ = &report.processes[pn.process];
        let matched = match cat {
            Category::Leak(_) => self
                .filter
                .stack_matches(proc_.loss_records()[item as usize].stack),
            Category::Error(_) => error_matches(self.filter, &proc_.errors[item as usize]),
        };
        (!matched).then_some(Cause::Filter)
    }
}

impl Visibility<'_> {
    /// The hot path of `project`: whether an item is hidden, without saying why.
    #[inline]
    fn hidden(&self, proc_: &Process, process: usize, cat: &Category, item: u32) -> bool {
        match cat {
            Category::Leak(_) => {
                self.verdicts.leak(process, item).is_some()
                    || !self
                        .filter
                        .stack_matches(proc_.loss_records()[item as usize].stack)
            }
            Category::Error(_) => {
                self.verdicts.error(process, item).is_some()
                    || (self.filter.is_active()
                        && !error_matches(self.filter, &proc_.errors[item as usize]))
            }
        }
    }
}

fn error_matches(filter: &Filter, e: &MemcheckError) -> bool {
    filter.stack_matches(e.stack) || e.aux.iter().any(|a| filter.stack_matches(a.stack))
}

pub fn project(report: &Report, index: &Index, vis: &Visibility, show_hidden: bool) -> Projection {
    let mut out = Projection::default();
    let mut by_cat: Vec<(Category, Tot, Tot)> = Vec::new();
    let rules = !vis.verdicts.is_empty();
    for (p, pn) in index.procs.iter().enumerate() {
        let proc_ = &report.processes[pn.process];
        let mut pv = ProcView::default();
        for (c, cn) in pn.cats.iter().enumerate() {
            let mut cv = CatView {
                groups: Vec::with_capacity(cn.groups.len()),
                ..CatView::default()
            };
            for g in &cn.groups {
                let start = cv.items.len() as u32;
                let mut gv = GroupView {
                    start,
                    ..GroupView::default()
                };
                let leak = cn.category.is_leak();
                for (pos, (&item, f)) in g.items.iter().zip(&g.facts).enumerate() {
                    let t = Tot::from(f);
                    let hidden = if leak {
                        (rules && vis.verdicts.leak(pn.process, item).is_some())
                            || !vis.filter.stack_matches(f.stack)
                    } else {
                        vis.hidden(proc_, pn.process, &cn.category, item)
                    };
                    if hidden {
                        gv.hid.add(&t);
                    } else {
                        gv.vis.add(&t);
                    }
                    if !hidden || show_hidden {
                        cv.items.push(pos as u32);
                    }
                }
                gv.len = cv.items.len() as u32 - start;
                cv.vis.add(&gv.vis);
                cv.hid.add(&gv.hid);
                cv.groups.push(gv);
            }
            let grows = |g: u32| match vis.growth {
                Some(gr) if gr.only => gr.deltas.group(p, c, g as usize).is_some_and(|d| d.grows()),
                _ => true,
            };
            cv.order = (0..cn.groups.len() as u32)
                .filter(|&g| cv.groups[g as usize].len > 0 && grows(g))
                .collect();
            if let Some(gr) = vis.growth.filter(|g| g.sort) {
                cv.growth = Some(
                    (0..cn.groups.len())
                        .map(|g| gr.deltas.group(p, c, g).map_or(i128::MIN, |d| d.amount))
                        .collect(),
                );
            }
            if cn.expanded && pn.expanded {
                sort_groups(&mut cv, index, c, p, index.sort, cn.category.is_leak());
            }
            if vis.filter.is_active() {
                out.matches += cv.vis.items;
            }
            pv.vis.add(&cv.vis);
            pv.hid.add(&cv.hid);
            match by_cat.iter_mut().find(|(k, _, _)| *k == cn.category) {
                Some((_, v, h)) => {
                    v.add(&cv.vis);
                    h.add(&cv.hid);
                }
                None => by_cat.push((cn.category.clone(), cv.vis, cv.hid)),
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
        let (t, h) = (&v.vis, &v.hid);
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
