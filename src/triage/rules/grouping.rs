//! Groups that never mix what rules hide with what stays visible: a group is
//! (kind, label, hiding rule), so hiding a rule's records removes whole
//! groups and the totals of the visible ones stay exact (loss records are
//! grouped so by `triage::tally`, with the rule as the part). The same split
//! for `diff`, through its `Hider` seam.

use super::{Hiding, RuleId, RuleSet};
use crate::model::Report;
use crate::triage::hide::{Hider, Item};
use crate::triage::{group_error_indices, ErrorGroup, GroupBy};
use std::collections::BTreeMap;

/// A process's memcheck errors grouped by (kind, label, hiding rule); most
/// occurrences first.
pub fn error_groups_by_rule(
    report: &Report,
    process: usize,
    hiding: &Hiding,
    by: GroupBy,
) -> Vec<(Option<RuleId>, ErrorGroup)> {
    let Some(p) = report.processes.get(process) else {
        return Vec::new();
    };
    let mut by_rule: BTreeMap<Option<RuleId>, Vec<usize>> = BTreeMap::new();
    for i in 0..p.errors.len() {
        by_rule.entry(hiding.error(process, i)).or_default().push(i);
    }
    let mut out: Vec<(Option<RuleId>, ErrorGroup)> = Vec::new();
    for (rule, indices) in by_rule {
        let groups = group_error_indices(&report.interner, &p.errors, indices, by);
        out.extend(groups.into_iter().map(|g| (rule, g)));
    }
    out.sort_by(|(ra, a), (rb, b)| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| ra.cmp(rb))
    });
    out
}

/// The rule engine behind the diff's [`Hider`] seam: one [`Hiding`] per run,
/// all from the same rules, so a rule hides the same noise in every run.
pub struct RuleHider<'a> {
    rules: &'a RuleSet,
    runs: Vec<(&'a Report, Hiding)>,
}

impl<'a> RuleHider<'a> {
    /// Applies `rules` to each of `runs` once.
    pub fn new(rules: &'a RuleSet, runs: &[&'a Report]) -> Self {
        RuleHider {
            rules,
            runs: runs.iter().map(|&r| (r, rules.apply(r))).collect(),
        }
    }
}

impl Hider for RuleHider<'_> {
    fn hidden_by(&self, report: &Report, process: usize, item: Item) -> Option<String> {
        let (_, hiding) = self.runs.iter().find(|(r, _)| std::ptr::eq(*r, report))?;
        let id = match item {
            Item::Record(i) => hiding.record(process, i),
            Item::Error(i) => hiding.error(process, i),
        }?;
        self.rules.get(id).map(|r| r.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_bytes;
    use crate::triage::rules::Source;

    #[test]
    fn the_hider_answers_per_run() {
        let log = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/leaky.txt"
        ))
        .unwrap();
        let a = parse_bytes("a", &log, None).unwrap();
        let b = parse_bytes("b", &log, None).unwrap();
        let mut rules = RuleSet::new();
        rules.add_text(
            "t.supp",
            "{\n   loop\n   Memcheck:Leak\n   fun:malloc\n   fun:leak_in_loop\n}\n",
            Source::CommandLine,
        );
        let hider = RuleHider::new(&rules, &[&a, &b]);
        let records = a.processes[0].loss_records();
        let i = records.iter().position(|r| r.blocks() == 3).unwrap();
        assert_eq!(
            hider.hidden_by(&a, 0, Item::Record(i)).as_deref(),
            Some("loop")
        );
        assert_eq!(
            hider.hidden_by(&b, 0, Item::Record(i)).as_deref(),
            Some("loop")
        );
        assert_eq!(hider.hidden_by(&a, 0, Item::Record(0)), None);
        let other = parse_bytes("c", &log, None).unwrap();
        assert_eq!(
            hider.hidden_by(&other, 0, Item::Record(i)),
            None,
            "not one of its runs"
        );
    }
}
