//! The computed summary behind `leakscope summary`. Field names here are the
//! JSON contract (`"schema": 1`): add fields freely, never rename or drop one.

use super::timeline::{timeline_summary, TimelineSummary};
use crate::model::{Figure, LeakKind, LeakSummary, Process, Report, StackId, Warning};
use crate::triage::halves::{map_halves, sort_halves};
use crate::triage::own::OwnCode;
use crate::triage::rules::{error_groups_by_rule, Hiding, RuleId, RuleSet, Severity, Source};
use crate::triage::tally::{tally, StackKeys, Tally};
use crate::triage::{GroupBy, Totals};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub schema: u32,
    /// How groups are keyed: `top frame` or `origin`.
    pub group_by: &'static str,
    pub inputs: Vec<InputSummary>,
    pub processes: Vec<ProcessSummary>,
    /// The rules applied: which files, and what was wrong in them.
    pub rules: RulesInfo,
}

#[derive(Debug, Default, Serialize)]
pub struct RulesInfo {
    /// Whether the built-in rule sets were loaded.
    pub builtin: bool,
    pub files: Vec<RuleFileInfo>,
    pub problems: Vec<RuleProblem>,
}

#[derive(Debug, Serialize)]
pub struct RuleFileInfo {
    pub file: String,
    /// `command-line`, `user` or `builtin`.
    pub source: &'static str,
    pub rules: usize,
}

#[derive(Debug, Serialize)]
pub struct RuleProblem {
    pub file: String,
    pub line: u64,
    /// `error` (the rule was skipped) or `warning`.
    pub severity: &'static str,
    pub message: String,
}

/// What one rule hid in one process.
#[derive(Debug, Serialize)]
pub struct HiddenSummary {
    pub rule: String,
    pub file: String,
    pub line: u64,
    pub reason: Option<String>,
    pub builtin: bool,
    /// Direct bytes, as valgrind's `suppressed:` figure counts them.
    pub bytes: u128,
    /// Direct plus indirect, as valgrind's `used_suppression:` lines count them.
    pub total_bytes: u128,
    pub blocks: u128,
    pub records: u64,
    /// Error contexts hidden, and their occurrences.
    pub error_contexts: u64,
    pub errors: u128,
    /// Records and error contexts the rule might hide but the log does not
    /// say enough to decide (left visible).
    pub undecided_records: u64,
    pub undecided_errors: u64,
}

#[derive(Debug, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub format: &'static str,
    pub warnings: Vec<Warning>,
}

/// The four kinds, each under its JSON key.
#[derive(Debug, Clone, Serialize)]
pub struct ByKind<T> {
    pub definitely_lost: T,
    pub indirectly_lost: T,
    pub possibly_lost: T,
    pub still_reachable: T,
}

impl<T: Clone> ByKind<T> {
    pub fn from_array(a: &[T; 4]) -> Self {
        ByKind {
            definitely_lost: a[0].clone(),
            indirectly_lost: a[1].clone(),
            possibly_lost: a[2].clone(),
            still_reachable: a[3].clone(),
        }
    }

    pub fn get(&self, k: LeakKind) -> &T {
        match k {
            LeakKind::DefinitelyLost => &self.definitely_lost,
            LeakKind::IndirectlyLost => &self.indirectly_lost,
            LeakKind::PossiblyLost => &self.possibly_lost,
            LeakKind::StillReachable => &self.still_reachable,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReportedFigure {
    pub bytes: u64,
    pub blocks: u64,
}

impl From<&Figure> for ReportedFigure {
    fn from(f: &Figure) -> Self {
        ReportedFigure {
            bytes: f.bytes,
            blocks: f.blocks,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReportedLeaks {
    #[serde(flatten)]
    pub kinds: ByKind<ReportedFigure>,
    pub suppressed: ReportedFigure,
}

#[derive(Debug, Serialize)]
pub struct Errors {
    /// Occurrences of non-leak errors (a context seen N times counts N where
    /// the log says so).
    pub total: u128,
    pub contexts: u64,
    pub by_kind: BTreeMap<String, u128>,
}

#[derive(Debug, Serialize)]
pub struct ReportedErrors {
    pub errors: u64,
    pub contexts: u64,
    pub suppressed: u64,
    pub suppressed_contexts: u64,
}

#[derive(Debug, Serialize)]
pub struct GroupSummary {
    pub kind: LeakKind,
    /// The top frame (of the group's first record, when grouped by origin).
    pub top_frame: String,
    /// What the group is keyed by under `group_by`: the top frame's label,
    /// or the origin's (`top_frame` where a stack has no own code).
    pub label: String,
    /// The innermost frame of the user's own code (native or Python), e.g.
    /// `handle_request (/srv/app/svc.py)`; of the largest record when the
    /// group's records differ; `null` when no frame is the user's.
    pub origin: Option<String>,
    /// `py` / `jit` when the label names a frame from a perf map.
    #[serde(skip)]
    pub mark: Option<&'static str>,
    /// The origin is a Python function (text output says "via …").
    #[serde(skip)]
    pub origin_python: bool,
    pub bytes: u128,
    pub total_bytes: u128,
    pub blocks: u128,
    pub records: u64,
    /// The rule hiding every record of this group; `null` for visible ones.
    pub hidden_by: Option<String>,
    /// The stack of the group's largest record: where the CI outputs
    /// (SARIF, annotations, Code Quality) place the group. Not in the JSON.
    #[serde(skip)]
    pub stack: StackId,
}

/// Memcheck errors with the same kind and top frame (and hiding rule).
#[derive(Debug, Serialize)]
pub struct ErrorGroupSummary {
    /// `InvalidRead`, … as in `errors.by_kind`.
    pub kind: String,
    pub top_frame: String,
    /// The headline of the group's first error (`Invalid read of size 4`).
    pub what: String,
    /// Distinct errors, and their occurrences.
    pub contexts: u64,
    pub errors: u64,
    pub hidden_by: Option<String>,
    /// The stack of the group's first error. Not in the JSON.
    #[serde(skip)]
    pub stack: StackId,
}

#[derive(Debug, Serialize)]
pub struct ProcessSummary {
    pub pid: u32,
    pub ppid: Option<u32>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub valgrind_version: Option<String>,
    /// Index into `inputs`.
    pub input: usize,
    pub leaks: ByKind<Totals>,
    /// Leak headers that could not be read (each is a warning with its line):
    /// `leaks` may be short by these records.
    pub unreadable_records: u64,
    pub reported_leaks: Option<ReportedLeaks>,
    /// Kinds valgrind's LEAK SUMMARY counts that the log shows no record of
    /// (`--show-leak-kinds`): `leaks` is 0 there, `reported_leaks` is not.
    pub kinds_not_shown: Vec<&'static str>,
    pub errors: Errors,
    pub reported_errors: Option<ReportedErrors>,
    /// How many leak searches the log holds; the figures are the last one's.
    pub leak_searches: usize,
    pub fatal_signal: Option<String>,
    pub groups: Vec<GroupSummary>,
    /// Memcheck errors grouped as `groups` are: most occurrences first.
    pub error_groups: Vec<ErrorGroupSummary>,
    /// As `leaks`, counting only the records no rule hides.
    pub visible_leaks: ByKind<Totals>,
    /// As `errors`, counting only the errors no rule hides.
    pub visible_errors: Errors,
    /// Per rule, what it hid, in rule priority order.
    pub hidden: Vec<HiddenSummary>,
    /// Only for a process with two or more leak searches: each group's total
    /// bytes at every search and its trend (see `report::timeline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<TimelineSummary>,
}

/// The summary with no rules applied.
pub fn summarize(report: &Report) -> Summary {
    let rules = RuleSet::new();
    let hiding = rules.apply(report);
    summarize_with_rules(report, &rules, &hiding)
}

/// The summary with `hiding` (computed from `rules`) applied: what rules hid,
/// per rule, and what stays visible.
pub fn summarize_with_rules(report: &Report, rules: &RuleSet, hiding: &Hiding) -> Summary {
    summarize_grouped(report, rules, hiding, GroupBy::TopFrame)
}

/// As [`summarize_with_rules`], grouping records `by` top frame or origin.
pub fn summarize_grouped(
    report: &Report,
    rules: &RuleSet,
    hiding: &Hiding,
    by: GroupBy,
) -> Summary {
    summarize_prepared(report, rules, hiding, &Prepared::new(report, by, true))
}

/// What a summary grouped `by` needs of a report and not of its rules: the
/// own-code verdicts and each stack's key. `summary` makes it while the
/// rules are applied, beside them.
pub struct Prepared {
    by: GroupBy,
    own: OwnCode,
    stacks: StackKeys,
}

impl Prepared {
    /// On both cores (when `both_cores` and the report is large) or one.
    pub fn new(report: &Report, by: GroupBy, both_cores: bool) -> Prepared {
        let own = OwnCode::of(&report.interner);
        let stacks = StackKeys::of(&report.interner, &own, by, both_cores);
        Prepared { by, own, stacks }
    }
}

/// As [`summarize_grouped`], with what `prepared` holds (made from this
/// report).
pub fn summarize_prepared(
    report: &Report,
    rules: &RuleSet,
    hiding: &Hiding,
    prepared: &Prepared,
) -> Summary {
    let by = prepared.by;
    Summary {
        schema: SCHEMA,
        group_by: by.name(),
        inputs: report
            .inputs
            .iter()
            .map(|i| InputSummary {
                path: i.path.clone(),
                format: i.format.name(),
                warnings: i.warnings.clone(),
            })
            .collect(),
        processes: report
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| summarize_process(report, i, p, rules, hiding, prepared))
            .collect(),
        rules: rules_info(rules),
    }
}

fn rules_info(rules: &RuleSet) -> RulesInfo {
    RulesInfo {
        builtin: rules.files().iter().any(|f| f.1 == Source::Builtin),
        files: rules
            .files()
            .iter()
            .map(|(file, source, n)| RuleFileInfo {
                file: file.clone(),
                source: match source {
                    Source::CommandLine => "command-line",
                    Source::UserFile => "user",
                    Source::Builtin => "builtin",
                },
                rules: *n,
            })
            .collect(),
        problems: rules
            .problems()
            .iter()
            .map(|p| RuleProblem {
                file: p.file.clone(),
                line: p.line,
                severity: match p.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: p.message.clone(),
            })
            .collect(),
    }
}

fn error_counts<'a>(errors: impl IntoIterator<Item = &'a crate::model::MemcheckError>) -> Errors {
    let mut by_kind = BTreeMap::new();
    let (mut total, mut contexts) = (0, 0);
    for e in errors {
        *by_kind.entry(e.kind.as_str().to_string()).or_insert(0) += u128::from(e.count);
        total += u128::from(e.count);
        contexts += 1;
    }
    Errors {
        total,
        contexts,
        by_kind,
    }
}

/// The loss records of process `index`'s last leak search grouped by kind,
/// label and the rule hiding them (`None`: visible); largest total bytes
/// first.
fn groups_by_rule(
    report: &Report,
    index: usize,
    hiding: &Hiding,
    prepared: &Prepared,
) -> Vec<(Option<RuleId>, Tally)> {
    let Some(p) = report.processes.get(index) else {
        return Vec::new();
    };
    let rule = |i| hiding.record(index, i);
    let (own, stacks) = (&prepared.own, &prepared.stacks);
    let groups = tally(&report.interner, own, stacks, p.loss_records(), rule);
    // No two groups have the same (kind, label, rule): a total order.
    sort_halves(groups, SPLIT_AT, |(ra, a), (rb, b)| {
        b.totals
            .total_bytes
            .cmp(&a.totals.total_bytes)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| ra.cmp(rb))
    })
}

/// From this many groups, sorting them and writing their summaries runs
/// on both cores (a thread costs more than a few thousand).
const SPLIT_AT: usize = 1 << 12;

/// Per kind, the totals of all `groups` and of the visible ones: every
/// record is in one group.
fn kind_totals(groups: &[(Option<RuleId>, Tally)]) -> ([Totals; 4], [Totals; 4]) {
    let (mut all, mut visible) = ([Totals::default(); 4], [Totals::default(); 4]);
    for (rule, g) in groups {
        all[g.kind.index()].merge(&g.totals);
        if rule.is_none() {
            visible[g.kind.index()].merge(&g.totals);
        }
    }
    (all, visible)
}

fn summarize_process(
    report: &Report,
    index: usize,
    p: &Process,
    rules: &RuleSet,
    hiding: &Hiding,
    prepared: &Prepared,
) -> ProcessSummary {
    let by = prepared.by;
    let records = p.loss_records();
    let groups = groups_by_rule(report, index, hiding, prepared);
    let (totals, visible_totals) = kind_totals(&groups);
    let rule_name = |id: RuleId| rules.get(id).map(|r| r.name.clone());
    let interner = &report.interner;
    let groups = map_halves(groups, SPLIT_AT, |(rule, g)| GroupSummary {
        kind: g.kind,
        top_frame: match by {
            GroupBy::Origin => match g.top {
                Some(t) => interner.frame(t).label(),
                None => "(no stack)".to_string(),
            },
            _ => g.label.clone(),
        },
        mark: match (by, g.origin, g.top) {
            (GroupBy::Origin, Some(o), _) | (_, _, Some(o)) => interner.frame(o).mark(),
            _ => None,
        },
        origin: g.origin.map(|o| interner.frame(o).label()),
        origin_python: g.origin.is_some_and(|o| interner.frame(o).is_python()),
        label: g.label,
        bytes: g.totals.bytes,
        total_bytes: g.totals.total_bytes,
        blocks: g.totals.blocks,
        records: g.totals.records,
        hidden_by: rule.and_then(rule_name),
        stack: records[g.largest].stack,
    });
    let error_groups = error_groups_by_rule(report, index, hiding, GroupBy::TopFrame)
        .into_iter()
        .map(|(rule, g)| {
            let first = g.errors.first().and_then(|&i| p.errors.get(i));
            ErrorGroupSummary {
                kind: g.kind.as_str().to_string(),
                top_frame: g.label,
                what: first.map(|e| e.what.to_string()).unwrap_or_default(),
                contexts: g.contexts,
                errors: g.count,
                hidden_by: rule.and_then(rule_name),
                stack: first.map_or(crate::model::Interner::EMPTY_STACK, |e| e.stack),
            }
        })
        .collect();
    let hidden = hiding
        .process_counts(index)
        .filter_map(|(id, c)| {
            let r = rules.get(id)?;
            Some(HiddenSummary {
                rule: r.name.clone(),
                file: r.file.clone(),
                line: r.line,
                reason: r.reason.clone(),
                builtin: r.is_builtin(),
                bytes: c.leaks.bytes,
                total_bytes: c.leaks.total_bytes,
                blocks: c.leaks.blocks,
                records: c.leaks.records,
                error_contexts: c.error_contexts,
                errors: c.errors,
                undecided_records: c.undecided_records,
                undecided_errors: c.undecided_errors,
            })
        })
        .collect();
    let errors = error_counts(&p.errors);
    let visible_errors = error_counts(
        p.errors
            .iter()
            .enumerate()
            .filter(|(i, _)| hiding.error(index, *i).is_none())
            .map(|(_, e)| e),
    );
    ProcessSummary {
        pid: p.pid,
        ppid: p.ppid,
        command: p.command.clone(),
        tool: p.tool.clone(),
        valgrind_version: p.valgrind_version.clone(),
        input: p.input,
        leaks: ByKind::from_array(&totals),
        unreadable_records: p.unreadable_records,
        reported_leaks: p.leak_summary().map(reported_leaks),
        kinds_not_shown: p
            .kinds_not_shown(|k| totals[k.index()].records > 0)
            .iter()
            .map(|(k, _)| k.key())
            .collect(),
        errors,
        reported_errors: p.error_summary.map(|s| ReportedErrors {
            errors: s.errors,
            contexts: s.contexts,
            suppressed: s.suppressed,
            suppressed_contexts: s.suppressed_contexts,
        }),
        leak_searches: p.leak_searches.len(),
        fatal_signal: p.fatal_signal.clone(),
        groups,
        error_groups,
        visible_leaks: ByKind::from_array(&visible_totals),
        visible_errors,
        hidden,
        timeline: timeline_summary(report, index, rules, hiding),
    }
}

/// The stack of the record with the most bytes (direct + indirect) among
/// `indices`; the first such record on a tie.
pub(crate) fn largest_stack(
    records: &[crate::model::LossRecord],
    indices: impl IntoIterator<Item = usize>,
) -> StackId {
    let mut best: Option<&crate::model::LossRecord> = None;
    for r in indices.into_iter().filter_map(|i| records.get(i)) {
        match best {
            Some(b) if b.total_bytes() >= r.total_bytes() => {}
            _ => best = Some(r),
        }
    }
    best.map_or(crate::model::Interner::EMPTY_STACK, |r| r.stack)
}

fn reported_leaks(s: &LeakSummary) -> ReportedLeaks {
    let figs: [ReportedFigure; 4] = std::array::from_fn(|i| (&s.kinds[i]).into());
    ReportedLeaks {
        kinds: ByKind::from_array(&figs),
        suppressed: (&s.suppressed).into(),
    }
}

/// What `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Leak(LeakKind),
    Errors,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "errors" | "error" => Ok(FailOn::Errors),
            w => LeakKind::from_option_word(w)
                .map(FailOn::Leak)
                .ok_or_else(|| {
                    format!("unknown kind '{w}' (expected definite, indirect, possible, reachable or errors)")
                }),
        }
    }
}

/// Whether any process has something `fail_on` names that no rule hides.
pub fn fails(summary: &Summary, fail_on: &[FailOn]) -> bool {
    summary.processes.iter().any(|p| {
        fail_on.iter().any(|f| match f {
            FailOn::Leak(k) => p.visible_leaks.get(*k).records > 0,
            FailOn::Errors => p.visible_errors.contexts > 0,
        })
    })
}
