//! Why an item is not shown ([`Visibility::cause_of`], the one definition)
//! and the growth view that can keep a group out.

use crate::explore::filter::Filter;
use crate::explore::growth::Growth;
use crate::explore::hide::{RuleRef, Verdicts};
use crate::explore::index::{facts, Category, Facts, Index};
use crate::model::{Process, Report};

/// Why an item is not shown. Rules come first: an item a rule hides is
/// counted as rule-hidden whether or not it matches the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A hiding rule: "hidden".
    Rule(RuleRef),
    /// Its stack does not match the filter: "filtered out".
    Filter,
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

/// [`Cause`] without the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
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
