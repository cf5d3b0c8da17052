//! A group's item list, made from the report when a view needs it
//! (expanded rows, detail, match jumps) and kept only while its group is
//! shown: nothing is kept per loss record.

use super::order::{leak_order, sort_group_items, LeakOrder};
use super::{Category, Index};
use crate::model::{LeakKind, Report};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;

impl Index {
    /// The items of group `g` of category `c` of process `p`, unsorted: a
    /// leak group's in record order, read from the report.
    pub fn each_item(
        &self,
        report: &Report,
        (p, c, g): (usize, usize, u32),
        mut f: impl FnMut(u32),
    ) {
        let cn = &self.procs[p].cats[c];
        match (&cn.category, &cn.groups[g as usize].items) {
            (Category::Error(_), Some(items)) => items.iter().copied().for_each(f),
            (Category::Error(_), None) => {}
            (Category::Leak(k), _) => {
                let kind = *k;
                self.each_record(report, p, |i, r, at| {
                    if at == g && r.kind == kind {
                        f(i as u32)
                    }
                })
            }
        }
    }

    /// Group `g`'s items in sort order: the kept list, or one listed now.
    pub fn items(&self, report: &Report, (p, c, g): (usize, usize, u32)) -> Cow<'_, [u32]> {
        if let Some(items) = &self.procs[p].cats[c].groups[g as usize].items {
            return Cow::Borrowed(items);
        }
        let mut items = Vec::new();
        self.each_item(report, (p, c, g), |i| items.push(i));
        let pn = &self.procs[p];
        let proc_ = &report.processes[pn.process];
        sort_group_items(proc_, &pn.cats[c].category, &mut items, self.sort);
        Cow::Owned(items)
    }

    /// The first of group `g`'s items in sort order that `keep` keeps,
    /// found without listing them.
    pub fn first_item(
        &self,
        report: &Report,
        at: (usize, usize, u32),
        keep: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        self.first_kept(report, at, keep, |_| {})
    }

    /// As [`Index::first_item`], calling `kept` with every item `keep`
    /// keeps (in no particular order) in the same pass.
    pub fn first_kept(
        &self,
        report: &Report,
        (p, c, g): (usize, usize, u32),
        keep: impl Fn(u32) -> bool,
        mut kept: impl FnMut(u32),
    ) -> Option<u32> {
        let pn = &self.procs[p];
        let cn = &pn.cats[c];
        if let Some(items) = &cn.groups[g as usize].items {
            let mut first = None;
            for &i in items.iter().filter(|&&i| keep(i)) {
                first = first.or(Some(i));
                kept(i);
            }
            return first;
        }
        let recs = report.processes[pn.process].loss_records();
        let mut best: Option<(LeakOrder, u32)> = None;
        self.each_item(report, (p, c, g), |i| {
            if keep(i) {
                kept(i);
                let k = leak_order(&recs[i as usize], self.sort);
                if best.map_or(true, |(b, _)| k < b) {
                    best = Some((k, i));
                }
            }
        });
        best.map(|(_, i)| i)
    }

    /// Per category and group of process `p` (`[c][g]`), the values `of`
    /// gives its items (`None`: none), in one pass over the records.
    pub fn group_sets<T: std::hash::Hash + Eq>(
        &self,
        report: &Report,
        p: usize,
        of: impl Fn(&Category, u32) -> Option<T>,
    ) -> Vec<Vec<FxHashSet<T>>> {
        let pn = &self.procs[p];
        let mut sets: Vec<Vec<FxHashSet<T>>> = pn
            .cats
            .iter()
            .map(|c| c.groups.iter().map(|_| FxHashSet::default()).collect())
            .collect();
        let mut cat_of = [usize::MAX; 4];
        for (c, cn) in pn.cats.iter().enumerate() {
            match &cn.category {
                Category::Leak(k) => cat_of[k.index()] = c,
                Category::Error(_) => {
                    for (g, gn) in cn.groups.iter().enumerate() {
                        for &i in gn.items.as_deref().unwrap_or_default() {
                            sets[c][g].extend(of(&cn.category, i));
                        }
                    }
                }
            }
        }
        self.each_record(report, p, |i, r, g| {
            let c = cat_of[r.kind.index()];
            if let Some(v) = of(&pn.cats[c].category, i as u32) {
                sets[c][g as usize].insert(v);
            }
        });
        sets
    }

    /// Every group's items of category `c` of process `p`, in sort order
    /// (`[g]`), listed in one pass over the records: for what walks a whole
    /// category (the jumps between filter matches), not kept.
    pub fn category_items(&self, report: &Report, p: usize, c: usize) -> Vec<Vec<u32>> {
        let pn = &self.procs[p];
        let cn = &pn.cats[c];
        let Category::Leak(kind) = cn.category else {
            return cn
                .groups
                .iter()
                .map(|g| g.items.clone().unwrap_or_default())
                .collect();
        };
        let mut lists = vec![Vec::new(); cn.groups.len()];
        self.each_record(report, p, |i, r, g| {
            if r.kind == kind {
                lists[g as usize].push(i as u32);
            }
        });
        let proc_ = &report.processes[pn.process];
        for l in &mut lists {
            sort_group_items(proc_, &cn.category, l, self.sort);
        }
        lists
    }

    /// Keeps the item lists of groups `wanted` (of process `p`) in sort
    /// order, found in one pass over the process's records: the rows stage
    /// lists expanded groups so.
    pub fn keep_lists(&mut self, report: &Report, p: usize, wanted: &[(usize, u32)]) {
        let cats = &self.procs[p].cats;
        // Per (leak kind, group position), where its list goes.
        let mut slot: FxHashMap<(LeakKind, u32), usize> = FxHashMap::default();
        for &(c, g) in wanted {
            let cn = &cats[c];
            if let (Category::Leak(k), None) = (&cn.category, &cn.groups[g as usize].items) {
                slot.insert((*k, g), slot.len());
            }
        }
        if slot.is_empty() {
            return;
        }
        let mut lists = vec![Vec::new(); slot.len()];
        self.each_record(report, p, |i, r, g| {
            if let Some(&s) = slot.get(&(r.kind, g)) {
                lists[s].push(i as u32);
            }
        });
        let pn = &mut self.procs[p];
        let proc_ = &report.processes[pn.process];
        let mut lists = lists.into_iter();
        for &(c, g) in wanted {
            let cn = &mut pn.cats[c];
            if let (Category::Leak(k), None) = (&cn.category, &cn.groups[g as usize].items) {
                if slot.contains_key(&(*k, g)) {
                    let mut items = lists.next().unwrap_or_default();
                    sort_group_items(proc_, &cn.category, &mut items, self.sort);
                    cn.groups[g as usize].items = Some(items);
                }
            }
        }
    }

    /// Lets go of the item lists of leak groups not expanded, unless they
    /// hold at most [`KEEP_COLLAPSED`] items together (so expanding a group
    /// again, or the next one, does not read every record again).
    pub fn drop_lists(&mut self) {
        let mut collapsed = 0;
        for pn in &self.procs {
            for cn in pn.cats.iter().filter(|c| c.category.is_leak()) {
                for g in &cn.groups {
                    if !(g.expanded && cn.expanded && pn.expanded) {
                        collapsed += g.items.as_ref().map_or(0, Vec::len);
                    }
                }
            }
        }
        if collapsed <= KEEP_COLLAPSED {
            return;
        }
        for pn in &mut self.procs {
            for cn in pn.cats.iter_mut().filter(|c| c.category.is_leak()) {
                for g in cn.groups.iter_mut() {
                    if !(g.expanded && cn.expanded && pn.expanded) {
                        g.items = None;
                    }
                }
            }
        }
    }
}

/// How many items the lists of collapsed leak groups may hold together
/// before they are let go (4 MiB).
const KEEP_COLLAPSED: usize = 1 << 20;
