//! Groups that never mix what rules hide with what stays visible: a group is
//! (kind, label, hiding rule), so hiding a rule's records removes whole
//! groups and the totals of the visible ones stay exact. The same split for
//! `diff`, through its `Hider` seam.

use super::{Hiding, RuleId, RuleSet};
use crate::model::Report;
use crate::model::{Interner, LeakKind, LossRecord};
use crate::triage::group::{group_parts, group_span, set_origins};
use crate::triage::hide::{Hider, Item};
use crate::triage::own::OwnCode;
use crate::triage::{group_error_indices, ErrorGroup, GroupBy, LeakGroup};
use rustc_hash::FxHashMap;
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
    let own = OwnCode::of(&report.interner);
    let rule = |i| hiding.record(process, i);
    let mut out = on_both_halves(&report.interner, &own, records, by, rule, SPLIT_AT);
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

/// [`group_parts`] by rule over all of `records`, each half grouped on a
/// core of its own when there are many (after the parse, this is the part
/// of a run that is left on one core), then joined: a group in both halves
/// takes the second's records after the first's, and its largest record
/// from the second only when larger, so the groups are exactly those one
/// pass makes.
fn on_both_halves(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    by: GroupBy,
    rule: impl Fn(usize) -> Option<RuleId> + Sync,
    split_at: usize,
) -> Vec<(Option<RuleId>, LeakGroup)> {
    let n = records.len();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    if n < split_at || cores < 2 {
        return group_parts(interner, own, records, 0..n, by, rule);
    }
    let half = n / 2;
    let rule = &rule;
    let ((mut groups, mut largest), (later, later_largest)) = std::thread::scope(|scope| {
        let second = scope.spawn(move || group_span(interner, own, records, half..n, by, rule));
        let first = group_span(interner, own, records, 0..half, by, rule);
        let second = second
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (first, second)
    });
    let mut at: FxHashMap<(Option<RuleId>, LeakKind, String), usize> = groups
        .iter()
        .enumerate()
        .map(|(k, (r, g))| ((*r, g.kind, g.label.clone()), k))
        .collect();
    for ((r, g), (i, bytes)) in later.into_iter().zip(later_largest) {
        match at.get(&(r, g.kind, g.label.clone())) {
            Some(&k) => {
                let joined = &mut groups[k].1;
                joined.totals.merge(&g.totals);
                joined.records.extend(g.records);
                if bytes > largest[k].1 {
                    largest[k] = (i, bytes);
                }
            }
            None => {
                at.insert((r, g.kind, g.label.clone()), groups.len());
                groups.push((r, g));
                largest.push((i, bytes));
            }
        }
    }
    set_origins(interner, own, records, &mut groups, &largest);
    groups
}

/// Records from which grouping by rule runs on both cores: fewer take less
/// time than starting a thread.
const SPLIT_AT: usize = 1 << 15;

/// As [`group_by_rule`] for a process's memcheck errors: (kind, label,
/// hiding rule); most occurrences first.
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

    /// Grouping each half on its own core and joining them gives exactly
    /// the groups of one pass: records in order, totals, the top frame of
    /// a group's first record and the origin of its first largest one.
    #[test]
    fn halves_joined_are_one_pass() {
        let log = crate::parse::test_fixture("numba/scale-40.txt.gz");
        let report = parse_bytes("scale-40", &log, None).unwrap();
        let rules = RuleSet::load(&crate::triage::rules::RuleOptions::standard(
            Vec::new(),
            true,
        ))
        .unwrap();
        let hiding = rules.apply(&report);
        let records = report.processes[0].loss_records();
        assert!(records.len() > 1000, "{}", records.len());
        let own = OwnCode::of(&report.interner);
        let rule = |i| hiding.record(0, i);
        for by in [GroupBy::TopFrame, GroupBy::Origin, GroupBy::Object] {
            let sorted = |mut g: Vec<(Option<RuleId>, LeakGroup)>| {
                g.sort_by(|(ra, a), (rb, b)| (a.kind, &a.label, ra).cmp(&(b.kind, &b.label, rb)));
                format!("{g:?}")
            };
            let one = group_parts(&report.interner, &own, records, 0..records.len(), by, rule);
            let halves = on_both_halves(&report.interner, &own, records, by, rule, 0);
            assert!(one.len() > 10, "{by:?}: {} groups", one.len());
            assert_eq!(sorted(one), sorted(halves), "{by:?}");
        }
    }

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
