//! `--baseline BASE`: the explorer's groups next to an earlier run. The diff
//! (`triage::diff`, with the same rules) is computed on the loader thread;
//! here each tree group and category gets the growth of the diff groups its
//! items fall in.

use super::index::{Category, Index};
use crate::report::human::bytes;
use crate::triage::diff::{Diff, Status, Which};
use crate::triage::hide::Item;
use rustc_hash::FxHashSet;

/// Growth of a tree node against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    /// Total bytes (leaks) or occurrences (errors), new − base.
    pub amount: i128,
    pub status: Status,
}

impl Delta {
    /// What the delta column shows: `new`, `+1.2 MiB`, `−3 KiB`, `=`.
    pub fn text(&self, leak: bool) -> String {
        if self.status == Status::New {
            return "new".into();
        }
        let mag = self.amount.unsigned_abs();
        let fig = if leak {
            bytes(mag)
        } else {
            format!("×{}", crate::report::human::count(mag))
        };
        match self.amount {
            0 => "=".into(),
            a if a > 0 => format!("+{fig}"),
            _ => format!("−{fig}"),
        }
    }

    /// New or grown: what `o` keeps.
    pub fn grows(&self) -> bool {
        matches!(self.status, Status::New | Status::Grown)
    }
}

/// Per tree node: `groups[p][c][g]`, `cats[p][c]`.
#[derive(Debug, Clone, Default)]
pub struct Deltas {
    pub groups: Vec<Vec<Vec<Delta>>>,
    pub cats: Vec<Vec<Delta>>,
    /// Groups of the baseline with nothing left in this run.
    pub gone: usize,
}

impl Deltas {
    pub fn build(index: &Index, diff: &Diff) -> Deltas {
        let mut out = Deltas {
            gone: diff.count(Status::Gone),
            ..Deltas::default()
        };
        for pn in &index.procs {
            let mut cats = Vec::new();
            let mut groups = Vec::new();
            for cn in &pn.cats {
                let leak = cn.category.is_leak();
                let item = |i: u32| match cn.category {
                    Category::Leak(_) => Item::Record(i as usize),
                    Category::Error(_) => Item::Error(i as usize),
                };
                let mut cat_seen = FxHashSet::default();
                let mut gs = Vec::with_capacity(cn.groups.len());
                for gn in &cn.groups {
                    let mut seen = FxHashSet::default();
                    for &i in &gn.items {
                        if let Some(g) = diff.group_index_of(Which::New, pn.process, item(i)) {
                            seen.insert(g);
                            cat_seen.insert(g);
                        }
                    }
                    gs.push(combine(diff, &seen, leak));
                }
                cats.push(combine(diff, &cat_seen, leak));
                groups.push(gs);
            }
            out.cats.push(cats);
            out.groups.push(groups);
        }
        out
    }

    pub fn group(&self, p: usize, c: usize, g: usize) -> Option<Delta> {
        self.groups.get(p)?.get(c)?.get(g).copied()
    }

    pub fn cat(&self, p: usize, c: usize) -> Option<Delta> {
        self.cats.get(p)?.get(c).copied()
    }
}

/// The growth of a set of diff groups: new only if all of them are new.
fn combine(diff: &Diff, groups: &FxHashSet<usize>, leak: bool) -> Delta {
    let mut amount: i128 = 0;
    let mut all_new = !groups.is_empty();
    for &g in groups {
        let dg = &diff.groups[g];
        let d = if leak {
            dg.delta_total_bytes()
        } else {
            dg.delta_occurrences()
        };
        amount = amount.saturating_add(d);
        all_new &= dg.status == Status::New;
    }
    let status = if all_new {
        Status::New
    } else if amount > 0 {
        Status::Grown
    } else if amount < 0 {
        Status::Shrunk
    } else {
        Status::Unchanged
    };
    Delta { amount, status }
}
