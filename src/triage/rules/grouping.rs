//! Groups that never mix what rules hide with what stays visible: a group is
//! (kind, label, hiding rule), so hiding a rule's records removes whole
//! groups and the totals of the visible ones stay exact.

use super::{Hiding, RuleId};
use crate::model::Report;
use crate::triage::{group_indices, GroupBy, LeakGroup};
use std::collections::BTreeMap;

/// Groups the loss records of a process's last leak search by kind, label
/// and the rule hiding them (`None`: visible); largest total bytes first.
pub fn group_by_rule(
    report: &Report,
    process: usize,
    hiding: &Hiding,
    by: GroupBy,
) -> Vec<(Option<RuleId>, LeakGroup)> {
    let Some(p) = report.processes.get(process) else {
        return Vec::new();
    };
    let records = p.loss_records();
    let mut by_rule: BTreeMap<Option<RuleId>, Vec<usize>> = BTreeMap::new();
    for i in 0..records.len() {
        by_rule
            .entry(hiding.record(process, i))
            .or_default()
            .push(i);
    }
    let mut out: Vec<(Option<RuleId>, LeakGroup)> = Vec::new();
    for (rule, indices) in by_rule {
        let groups = group_indices(&report.interner, records, indices, by);
        out.extend(groups.into_iter().map(|g| (rule, g)));
    }
    out.sort_by(|(ra, a), (rb, b)| {
        b.totals
            .total_bytes
            .cmp(&a.totals.total_bytes)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| ra.cmp(rb))
    });
    out
}
