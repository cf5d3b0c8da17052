//! Counting a process's loss records into their groups' figures.

use super::totals::{Fig, Tot};
use super::visibility::{Seen, Visibility};
use super::{CatView, GroupView};
use crate::explore::index::{facts, Category, Facts, Index};
use crate::model::Report;

/// Counts a process's loss records into their groups' figures in one pass in
/// record order, the order they lie in memory (groups list them in sort
/// order, which scatters them: walking groups waited on a cache miss per
/// record), each record's group found from its stack (`Index::each_record`).
///
/// `carried`: `cats` hold the process's last projection, of the same index
/// and verdicts under another filter, sort or view (what a filter keystroke
/// changes). A group's rule-hidden and overall totals are then the same, so
/// only what is shown is summed, and what is filtered out is the rest; with
/// no filter nothing is read. The shown sums go into a table of u64s (a
/// group's `Fig` is nearly four cache lines, and tens of thousands of groups
/// do not stay in cache); should a sum overflow, the records are counted
/// again in full, in u128.
pub(super) fn count_leaks(
    report: &Report,
    index: &Index,
    p: usize,
    vis: &Visibility,
    cats: &mut [CatView],
    carried: bool,
) {
    let pn = &index.procs[p];
    let proc_ = &report.processes[pn.process];
    // A leak kind's category, by `LeakKind::index`.
    let mut cat_of = [usize::MAX; 4];
    for (c, cn) in pn.cats.iter().enumerate() {
        if let Category::Leak(k) = cn.category {
            cat_of[k.index()] = c;
        }
    }
    if carried {
        // Per leak kind, its groups' shown sums; `None`: no filter.
        let mut shown: [Vec<Acc>; 4] = Default::default();
        let mut overflow = false;
        if vis.filter.is_active() {
            for (k, &c) in cat_of.iter().enumerate() {
                if let Some(cn) = pn.cats.get(c) {
                    shown[k] = vec![Acc::default(); cn.groups.len()];
                }
            }
            index.each_record(report, p, |i, r, g| {
                let cat = Category::Leak(r.kind);
                let f = facts(proc_, &cat, i as u32);
                if vis
                    .cause_of(proc_, pn.process, &cat, i as u32, &f)
                    .is_none()
                {
                    overflow |= shown[r.kind.index()][g as usize].add(&f);
                }
            });
        }
        if !overflow {
            for (k, &c) in cat_of.iter().enumerate() {
                let Some(cv) = cats.get_mut(c) else { continue };
                let mut sum = Tot::default();
                for (g, gv) in cv.groups.iter_mut().enumerate() {
                    let fig = &mut gv.fig;
                    let mut rest = fig.vis;
                    rest.add(&fig.out);
                    fig.vis = shown[k].get(g).map_or(rest, Acc::tot);
                    fig.out = rest.minus(&fig.vis);
                    sum.add(&fig.vis);
                }
                let mut rest = cv.fig.vis;
                rest.add(&cv.fig.out);
                cv.fig.out = rest.minus(&sum);
                cv.fig.vis = sum;
            }
            return;
        }
        for &c in &cat_of {
            if let Some(cv) = cats.get_mut(c) {
                cv.groups.fill(GroupView::default());
            }
        }
    }
    index.each_record(report, p, |i, r, g| {
        let cat = Category::Leak(r.kind);
        let f = facts(proc_, &cat, i as u32);
        let seen = Seen::from(vis.cause_of(proc_, pn.process, &cat, i as u32, &f));
        cats[cat_of[r.kind.index()]].groups[g as usize]
            .fig
            .count(&Tot::from(&f), seen);
    });
    for &c in &cat_of {
        if let Some(cv) = cats.get_mut(c) {
            cv.fig = Fig::default();
            for gv in &cv.groups {
                cv.fig.add(&gv.fig);
            }
        }
    }
}

/// A group's shown loss records summed in u64s (see `count_leaks`).
#[derive(Debug, Default, Clone, Copy)]
struct Acc {
    bytes: u64,
    indirect: u64,
    blocks: u64,
    items: u64,
}

impl Acc {
    /// Adds a record's figures; whether a sum overflowed.
    #[inline]
    fn add(&mut self, f: &Facts) -> bool {
        let (bytes, a) = self.bytes.overflowing_add(f.bytes);
        let (indirect, b) = self.indirect.overflowing_add(f.indirect);
        let (blocks, c) = self.blocks.overflowing_add(f.blocks);
        *self = Acc {
            bytes,
            indirect,
            blocks,
            items: self.items + 1,
        };
        a | b | c
    }

    fn tot(&self) -> Tot {
        Tot {
            bytes: self.bytes.into(),
            indirect: self.indirect.into(),
            blocks: self.blocks.into(),
            items: self.items,
            count: self.items.into(),
        }
    }
}
