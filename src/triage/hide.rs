//! The seam through which rules hide records from a diff.
//!
//! A diff must apply the same rules to both runs, or a rule that hides noise in
//! one run makes the noise look "gone" from the other. So the diff asks one
//! [`Hider`] about every record of both reports, and keeps what it hid as
//! groups of their own, named by the rule, instead of dropping them: the output
//! can then say what the rules hid.

use crate::model::Report;

/// A record or error of one process of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    /// Index into `Process::loss_records()`.
    Record(usize),
    /// Index into `Process::errors`.
    Error(usize),
}

/// Decides which records a rule hides.
pub trait Hider {
    /// The name of the rule that hides `item` of `report.processes[process]`,
    /// or `None` when it stays visible.
    fn hidden_by(&self, report: &Report, process: usize, item: Item) -> Option<String>;
}

/// No rules: everything visible.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRules;

impl Hider for NoRules {
    fn hidden_by(&self, _: &Report, _: usize, _: Item) -> Option<String> {
        None
    }
}

/// Any closure can be a hider, so callers (tests, the explorer) need no type.
impl<F> Hider for F
where
    F: Fn(&Report, usize, Item) -> Option<String>,
{
    fn hidden_by(&self, report: &Report, process: usize, item: Item) -> Option<String> {
        self(report, process, item)
    }
}
