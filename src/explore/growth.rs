//! The growth stage of the model: how much each tree group and category grew,
//! from a [`GrowthSource`].
//!
//! Today the one source is `--baseline BASE`: the diff (`triage::diff`, with
//! the same rules) is computed on the loader thread, and each tree node gets
//! the growth of the diff groups its items fall in. The stage is the
//! extension point for other measures of growth (a timeline of leak
//! searches, marks on growth that rules hide): add a variant to
//! [`GrowthSource`], measure it per node in [`GrowthSource::measure`] into the
//! same [`Growth`] (adding fields to [`Delta`] for what it knows beyond an
//! amount and a status), and the projection's growth sort and only-growth
//! filter, the growth column and the detail pane take it from there.

use super::index::{Category, Index};
use crate::report::human::bytes;
use crate::triage::diff::{Diff, Status, Which};
use crate::triage::hide::Item;
use rustc_hash::FxHashSet;
use std::sync::Arc;

/// Where the growth stage takes its figures from.
#[derive(Clone, Default)]
pub enum GrowthSource {
    /// No growth to show.
    #[default]
    None,
    /// The diff against `--baseline`, on the finished load.
    Baseline(Arc<Diff>),
}

impl GrowthSource {
    /// Per-node growth for `index`, or `None` when the source has nothing.
    pub fn measure(&self, index: &Index) -> Option<Growth> {
        match self {
            GrowthSource::None => None,
            GrowthSource::Baseline(diff) => Some(Growth::from_diff(index, diff)),
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, GrowthSource::None)
    }
}

/// Growth of a tree node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    /// Direct bytes (leaks: the figure of the bytes column beside it) or
    /// occurrences (errors), new − base.
    pub amount: i128,
    /// Leaks: indirect bytes, new − base (shown in the detail pane).
    pub indirect: i128,
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
pub struct Growth {
    pub groups: Vec<Vec<Vec<Delta>>>,
    pub cats: Vec<Vec<Delta>>,
    /// Groups of the baseline with nothing left in this run.
    pub gone: usize,
}

impl Growth {
    pub fn from_diff(index: &Index, diff: &Diff) -> Growth {
        let mut out = Growth {
            gone: diff.count(Status::Gone),
            ..Growth::default()
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
    let mut indirect: i128 = 0;
    let mut all_new = !groups.is_empty();
    for &g in groups {
        let dg = &diff.groups[g];
        if leak {
            let direct = dg.delta_bytes();
            amount = amount.saturating_add(direct);
            indirect = indirect.saturating_add(dg.delta_total_bytes().saturating_sub(direct));
        } else {
            amount = amount.saturating_add(dg.delta_occurrences());
        }
        all_new &= dg.status == Status::New;
    }
    let status = if all_new {
        Status::New
    } else if amount > 0 || (amount == 0 && indirect > 0) {
        // Indirect growth under unchanged direct bytes still grows.
        Status::Grown
    } else if amount < 0 || indirect < 0 {
        Status::Shrunk
    } else {
        Status::Unchanged
    };
    Delta {
        amount,
        indirect,
        status,
    }
}
