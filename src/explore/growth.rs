//! The growth stage of the model: how much each tree group and category grew,
//! from a [`GrowthSource`].
//!
//! Two sources: `--baseline BASE` (the diff, `triage::diff` with the same
//! rules, computed on the loader thread; each tree node gets the growth of
//! the diff groups its items fall in), and the report's own leak searches
//! (vgdb snapshots of `leakscope run`, client requests: each node gets the
//! series of the timeline groups its items fall in, see [`super::timeline`]).
//! Another measure of growth is another variant of [`GrowthSource`],
//! measured per node in [`GrowthSource::measure`] into the same [`Growth`];
//! the projection's growth sort and only-growth filter, the growth column
//! and the detail pane take it from there.

use super::index::{Category, Index};
use crate::model::Report;
use crate::report::human::bytes;
use crate::triage::diff::{Diff, Status, Which};
use crate::triage::hidden_growth::{self, HiddenGrowth};
use crate::triage::hide::Item;
use crate::triage::rules::{self, RuleSet};
use crate::triage::settled::is_startup;
use crate::triage::timeline::Timeline;
use crate::triage::trend::Trend;
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
    /// The report's own leak searches: every process searched twice or more
    /// (snapshots of a run, client requests) has a timeline.
    Timeline,
}

/// What the growth stage reads besides the source.
pub struct Measure<'a> {
    pub report: &'a Report,
    pub index: &'a Index,
    /// Locates the rules that hid growth (the safety net).
    pub rules: &'a RuleSet,
    /// The loaded rules' verdicts on every leak search (toggles applied).
    pub engine: Option<&'a rules::Hiding>,
}

impl GrowthSource {
    /// Per-node growth, or `None` when the source has nothing (a timeline
    /// without any process searched twice).
    pub fn measure(&self, m: &Measure) -> Option<Growth> {
        match self {
            GrowthSource::None => None,
            GrowthSource::Baseline(diff) => {
                Some(Growth::from_diff(m.report, m.index, diff, m.rules))
            }
            GrowthSource::Timeline => super::timeline::measure(m),
        }
    }

    /// The source for a load: the baseline's diff when there is one; else,
    /// unless a baseline is still being compared, the report's timelines.
    pub fn of_load(diff: Option<Arc<Diff>>, baseline_pending: bool) -> GrowthSource {
        match diff {
            Some(d) => GrowthSource::Baseline(d),
            None if baseline_pending => GrowthSource::None,
            None => GrowthSource::Timeline,
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
    /// Over a timeline: the trend of the node's series (`amount` is then
    /// total bytes, last search minus first).
    pub trend: Option<Trend>,
    /// Over a timeline: the search from which the node stayed the same while
    /// other groups kept growing (it grew during start-up only; see
    /// `triage::settled`).
    pub settled_at: Option<usize>,
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

    /// New or grown (over a timeline: growing past start-up): what `o`
    /// keeps. Growth that stopped after start-up is set-up, not a leak.
    pub fn grows(&self) -> bool {
        match self.trend {
            Some(t) => t == Trend::Grows && !is_startup(t, self.settled_at),
            None => matches!(self.status, Status::New | Status::Grown),
        }
    }

    /// The trend as one character, readable without colour. A node that
    /// grew during start-up only reads `=`, flat from where it settled (its
    /// sparkline shows the rise; the detail pane says when it settled).
    pub fn trend_mark(&self) -> &'static str {
        match self.trend {
            Some(t) if is_startup(t, self.settled_at) => "=",
            Some(Trend::Grows) => "↑",
            Some(Trend::Shrinks) => "↓",
            Some(Trend::Mixed) => "~",
            Some(Trend::Flat) => "=",
            None => "",
        }
    }
}

/// Per tree node: `groups[p][c][g]`, `cats[p][c]`.
#[derive(Debug, Clone, Default)]
pub struct Growth {
    pub groups: Vec<Vec<Vec<Delta>>>,
    pub cats: Vec<Vec<Delta>>,
    /// Groups of the baseline with nothing left in this run.
    pub gone: usize,
    /// Per rule, the growth it hid between the baseline and this run (or
    /// over the timeline).
    pub hidden: Vec<HiddenGrowth>,
    /// From timelines: per tree process, its timeline, and each category's
    /// and group's total bytes per leak search (`cat_series[p][c]`,
    /// `group_series[p][c][g]`; empty for a node with no record in one).
    pub timelines: Vec<Option<Timeline>>,
    pub cat_series: Vec<Vec<Vec<u128>>>,
    pub group_series: Vec<Vec<Vec<Vec<u128>>>>,
}

impl Growth {
    pub fn from_diff(report: &Report, index: &Index, diff: &Diff, rules: &RuleSet) -> Growth {
        let hidden = hidden_growth::of_diff(diff, &|name| rules.locate(name));
        let flagged: FxHashSet<&str> = hidden.iter().map(|h| h.rule.as_str()).collect();
        let mut out = Growth {
            gone: diff.count(Status::Gone),
            ..Growth::default()
        };
        for (p, pn) in index.procs.iter().enumerate() {
            let item = |cat: &Category, i: u32| match cat {
                Category::Leak(_) => Item::Record(i as usize),
                Category::Error(_) => Item::Error(i as usize),
            };
            let sets = index.group_sets(report, p, |cat, i| {
                diff.group_index_of(Which::New, pn.process, item(cat, i))
            });
            let mut cats = Vec::new();
            let mut groups = Vec::new();
            for (cn, sets) in pn.cats.iter().zip(&sets) {
                let leak = cn.category.is_leak();
                let mut cat_seen = FxHashSet::default();
                let mut gs = Vec::with_capacity(cn.groups.len());
                for seen in sets {
                    cat_seen.extend(seen.iter().copied());
                    gs.push(combine(diff, seen, leak, &flagged));
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

    /// A group's total bytes per leak search, from a timeline.
    pub fn group_series(&self, p: usize, c: usize, g: usize) -> Option<&[u128]> {
        let s = self.group_series.get(p)?.get(c)?.get(g)?;
        (!s.is_empty()).then_some(&s[..])
    }

    /// A category's total bytes per leak search, from a timeline.
    pub fn cat_series(&self, p: usize, c: usize) -> Option<&[u128]> {
        let s = self.cat_series.get(p)?.get(c)?;
        (!s.is_empty()).then_some(&s[..])
    }

    /// The timeline of tree process `p`.
    pub fn timeline(&self, p: usize) -> Option<&Timeline> {
        self.timelines.get(p)?.as_ref()
    }

    /// Whether the growth comes from timelines (not a baseline).
    pub fn is_timeline(&self) -> bool {
        !self.timelines.is_empty()
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
        trend: None,
        settled_at: None,
    }
}
