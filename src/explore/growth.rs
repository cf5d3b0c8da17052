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
use crate::triage::hidden_growth::{self, HiddenGrowth};
use crate::triage::hide::Item;
use crate::triage::rules::RuleSet;
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
    /// `rules` locate the rules that hid growth (the safety net).
    pub fn measure(&self, index: &Index, rules: &RuleSet) -> Option<Growth> {
        match self {
            GrowthSource::None => None,
            GrowthSource::Baseline(diff) => Some(Growth::from_diff(index, diff, rules)),
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
    /// Hidden by a rule that hid growth (see `triage::hidden_growth`), and
    /// grew: the node a person must look at although a rule hides it.
    pub hidden_growth: bool,
}

impl Delta {
    /// What the delta column shows: `new`, `+1.2 MiB`, `−3 KiB`, `=`.
    pub fn text(&self, leak: bool) -> String {
        let plain = self.plain_text(leak);
        if self.hidden_growth {
            format!("⚠{plain}")
        } else {
            plain
        }
    }

    fn plain_text(&self, leak: bool) -> String {
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
    /// Per rule, the growth it hid between the baseline and this run.
    pub hidden: Vec<HiddenGrowth>,
}

impl Growth {
    pub fn from_diff(index: &Index, diff: &Diff, rules: &RuleSet) -> Growth {
        let hidden = hidden_growth::of_diff(diff, &|name| rules.locate(name));
        let flagged: FxHashSet<&str> = hidden.iter().map(|h| h.rule.as_str()).collect();
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
                    gs.push(combine(diff, &seen, leak, &flagged));
                }
                cats.push(combine(diff, &cat_seen, leak, &flagged));
                groups.push(gs);
            }
            out.cats.push(cats);
            out.groups.push(groups);
        }
        out.hidden = hidden;
        out
    }

    /// The growth `rule` (by name and `file:line`) hid, if it hid any.
    pub fn hidden_by(&self, name: &str, location: &str) -> Option<&HiddenGrowth> {
        self.hidden.iter().find(|h| {
            h.rule == name
                && match (&h.file, h.line) {
                    (Some(f), Some(l)) => format!("{f}:{l}") == location,
                    _ => true,
                }
        })
    }

    pub fn group(&self, p: usize, c: usize, g: usize) -> Option<Delta> {
        self.groups.get(p)?.get(c)?.get(g).copied()
    }

    pub fn cat(&self, p: usize, c: usize) -> Option<Delta> {
        self.cats.get(p)?.get(c).copied()
    }
}

/// The growth of a set of diff groups: new only if all of them are new.
fn combine(diff: &Diff, groups: &FxHashSet<usize>, leak: bool, flagged: &FxHashSet<&str>) -> Delta {
    let mut amount: i128 = 0;
    let mut indirect: i128 = 0;
    let mut all_new = !groups.is_empty();
    let mut hidden_growth = false;
    for &g in groups {
        let dg = &diff.groups[g];
        hidden_growth |= dg.delta_total_bytes() > 0
            && dg.hidden_by.as_deref().is_some_and(|r| flagged.contains(r));
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
        hidden_growth,
    }
}
