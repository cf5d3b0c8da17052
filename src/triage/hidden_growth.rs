//! The growth safety net: memory that grows from one run (or snapshot) to the
//! next inside groups a rule hides.
//!
//! Rules exist to hide noise, and noise is what stays the same whatever the
//! workload. A rule that hides a group which grows is hiding exactly what a
//! comparison is for, so every place that compares runs — `diff`, the series
//! view, the explorer's `--baseline`, the timelines of `leakscope run` — asks
//! this one function, and says per rule how much growth it hid.
//!
//! Growth is counted per rule, net over its groups: the last value minus the
//! first, summed over the rule's leak groups. Netting per rule lets memcheck
//! move the same blocks between kinds from run to run (a block still
//! reachable in one run, possibly lost in the next) without a false alarm.
//! Indirectly lost groups and errors are left out, as in the visible growth:
//! indirect bytes are already inside their owners' total bytes.

use super::compare::GroupKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Net growth a rule may hide before it is reported: allocator rounding and
/// lazily sized tables move one-time groups by a few bytes between runs.
/// On the committed Numba runs (same program twice; 5 vs 40 compiles) every
/// built-in rule's hidden bytes are identical or shrink, so any tolerance
/// holds; 256 B is four 64-byte size classes, well below one leaked object
/// per unit of work.
pub const TOLERANCE_BYTES: u64 = 256;

/// One group followed over runs, as the caller built it.
#[derive(Debug, Clone)]
pub struct GroupSeries<'a> {
    /// The rule hiding the group in every run; `None` when visible.
    pub rule: Option<&'a str>,
    pub kind: &'a GroupKind,
    /// The group's name (its top frame's label).
    pub label: String,
    /// Total bytes (direct + indirect) per run or snapshot, in order.
    pub values: &'a [u128],
}

/// A group that grew under a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrownGroup {
    pub kind: String,
    pub top_frame: String,
    pub delta_total_bytes: i128,
}

/// The growth one rule hid (JSON `hidden_growth`: field names are contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HiddenGrowth {
    pub rule: String,
    /// The rule's file (`builtin:llvm.supp` for built-ins) and the line of its
    /// name; `null` when the caller could not say.
    pub file: Option<String>,
    pub line: Option<u64>,
    /// Net growth, first run to last, of the rule's groups; always above
    /// [`TOLERANCE_BYTES`].
    pub delta_total_bytes: u128,
    /// The groups that grew, largest growth first.
    pub groups: Vec<GrownGroup>,
}

impl HiddenGrowth {
    /// The warning printed for it in text output.
    pub fn warning(&self) -> String {
        let at = match (&self.file, self.line) {
            (Some(f), Some(l)) => format!(" ({f}:{l})"),
            (Some(f), None) => format!(" ({f})"),
            _ => String::new(),
        };
        format!(
            "rule {}{at} hid +{} B of growth: it may be hiding a real leak",
            self.rule,
            crate::report::human::count(self.delta_total_bytes)
        )
    }
}

/// Per rule, the growth it hid beyond [`TOLERANCE_BYTES`]; largest first.
/// `locate` gives a rule's file and line from its name.
pub fn hidden_growth<'a>(
    groups: impl IntoIterator<Item = GroupSeries<'a>>,
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> Vec<HiddenGrowth> {
    let mut by_rule: BTreeMap<&str, (i128, Vec<GrownGroup>)> = BTreeMap::new();
    for g in groups {
        let Some(rule) = g.rule else { continue };
        if !g.kind.counts_toward_growth() {
            continue;
        }
        let (Some(&first), Some(&last)) = (g.values.first(), g.values.last()) else {
            continue;
        };
        let delta = super::diff::delta(first, last);
        let entry = by_rule.entry(rule).or_default();
        entry.0 = entry.0.saturating_add(delta);
        if delta > 0 {
            entry.1.push(GrownGroup {
                kind: g.kind.key().to_string(),
                top_frame: g.label,
                delta_total_bytes: delta,
            });
        }
    }
    let mut out: Vec<HiddenGrowth> = by_rule
        .into_iter()
        .filter(|(_, (net, _))| *net > TOLERANCE_BYTES as i128)
        .map(|(rule, (net, mut groups))| {
            groups.sort_by(|a, b| {
                b.delta_total_bytes
                    .cmp(&a.delta_total_bytes)
                    .then_with(|| a.top_frame.cmp(&b.top_frame))
            });
            let (file, line) = locate(rule).map_or((None, None), |(f, l)| (Some(f), Some(l)));
            HiddenGrowth {
                rule: rule.to_string(),
                file,
                line,
                delta_total_bytes: net.unsigned_abs(),
                groups,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.delta_total_bytes
            .cmp(&a.delta_total_bytes)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

/// The growth all rules hid: what `--fail-on-growth` adds to the visible
/// growth unless `--allow-hidden-growth`.
pub fn total(hidden: &[HiddenGrowth]) -> u128 {
    hidden
        .iter()
        .map(|h| h.delta_total_bytes)
        .fold(0, u128::saturating_add)
}

/// The hidden growth of a two-run diff.
pub fn of_diff(
    d: &super::diff::Diff,
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> Vec<HiddenGrowth> {
    let values: Vec<[u128; 2]> = d
        .groups
        .iter()
        .map(|g| [g.base.totals.total_bytes, g.new.totals.total_bytes])
        .collect();
    hidden_growth(
        d.groups.iter().zip(&values).map(|(g, v)| GroupSeries {
            rule: g.hidden_by.as_deref(),
            kind: &g.kind,
            label: g.signature.top_label(),
            values: v,
        }),
        locate,
    )
}

/// The hidden growth of the series view, first run to last.
pub fn of_trends(
    t: &super::trend::Trends,
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> Vec<HiddenGrowth> {
    let values: Vec<Vec<u128>> = t
        .groups
        .iter()
        .map(|g| g.runs.iter().map(|s| s.totals.total_bytes).collect())
        .collect();
    hidden_growth(
        t.groups.iter().zip(&values).map(|(g, v)| GroupSeries {
            rule: g.hidden_by.as_deref(),
            kind: &g.kind,
            label: g.signature.top_label(),
            values: v,
        }),
        locate,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LeakKind;

    const REACH: GroupKind = GroupKind::Leak(LeakKind::StillReachable);
    const POSS: GroupKind = GroupKind::Leak(LeakKind::PossiblyLost);
    const IND: GroupKind = GroupKind::Leak(LeakKind::IndirectlyLost);

    fn series<'a>(rule: Option<&'a str>, kind: &'a GroupKind, v: &'a [u128]) -> GroupSeries<'a> {
        GroupSeries {
            rule,
            kind,
            label: format!("f{}", v[0]),
            values: v,
        }
    }

    fn locate(name: &str) -> Option<(String, u64)> {
        (name == "r").then(|| ("mine.supp".to_string(), 3))
    }

    #[test]
    fn growth_under_a_rule_is_reported_with_where_the_rule_is() {
        let hg = hidden_growth(
            [
                series(Some("r"), &REACH, &[1_000, 50_000, 105_224]),
                series(Some("r"), &POSS, &[10, 10, 10]),
                series(None, &REACH, &[0, 1 << 20, 2 << 20]),
                series(Some("other"), &REACH, &[5_000, 5_000, 5_000]),
            ],
            &locate,
        );
        assert_eq!(hg.len(), 1);
        assert_eq!(hg[0].rule, "r");
        assert_eq!(hg[0].file.as_deref(), Some("mine.supp"));
        assert_eq!(hg[0].line, Some(3));
        assert_eq!(hg[0].delta_total_bytes, 104_224);
        assert_eq!(hg[0].groups.len(), 1);
        assert_eq!(hg[0].groups[0].kind, "still_reachable");
        assert_eq!(
            hg[0].warning(),
            "rule r (mine.supp:3) hid +104,224 B of growth: it may be hiding a real leak"
        );
        assert_eq!(total(&hg), 104_224);
    }

    #[test]
    fn jitter_and_blocks_moving_between_kinds_are_not_growth() {
        let hg = hidden_growth(
            [
                // memcheck calls the same blocks reachable in one run and
                // possibly lost in the next: net zero under one rule.
                series(Some("r"), &REACH, &[8_000, 6_000]),
                series(Some("r"), &POSS, &[2_000, 4_000]),
                // allocator rounding
                series(
                    Some("s"),
                    &REACH,
                    &[100_000, 100_000 + u128::from(TOLERANCE_BYTES)],
                ),
                // indirect bytes are in their owners' totals
                series(Some("t"), &IND, &[0, 1 << 20]),
            ],
            &locate,
        );
        assert!(hg.is_empty(), "{hg:?}");
        let hg = hidden_growth(
            [series(
                Some("s"),
                &REACH,
                &[100_000, 100_001 + u128::from(TOLERANCE_BYTES)],
            )],
            &locate,
        );
        assert_eq!(hg.len(), 1);
        assert_eq!(hg[0].file, None);
        assert_eq!(
            hg[0].warning(),
            "rule s hid +257 B of growth: it may be hiding a real leak"
        );
    }
}
