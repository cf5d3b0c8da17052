//! The computed output of `leakscope diff`, for two runs and for the scaling
//! view over several. Field names here are the JSON contract (`"schema": 1`,
//! documented in docs/diff.md): add fields freely, never rename or drop one.
//! The text writers read these same structs, so text and JSON cannot disagree.

use super::short::ShortLabel;
use super::summary::{InputSummary, SCHEMA};
use crate::model::{LeakKind, Report, StackId};
use crate::triage::compare::{GroupKind, Side};
use crate::triage::diff::{Diff, DiffGroup, Status};
use crate::triage::hidden_growth::{self, HiddenGrowth};
use crate::triage::pairing::{MatchedBy, ProcessChain};
use crate::triage::signature::{Signature, SignatureOptions};
use crate::triage::trend::{Trend, TrendGroup, Trends};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub inputs: Vec<InputSummary>,
    pub processes: Vec<ProcessRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcessRef {
    pub pid: u32,
    pub command: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct OptionsOut {
    pub depth: usize,
    pub ignore_lines: bool,
}

/// One group's figures in one run. For error groups `records` counts contexts,
/// `occurrences` is set and the byte and block fields are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SideOut {
    pub bytes: u128,
    pub total_bytes: u128,
    pub blocks: u128,
    pub records: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u128>,
}

impl SideOut {
    fn of(kind: &GroupKind, s: &Side) -> Self {
        SideOut {
            bytes: s.totals.bytes,
            total_bytes: s.totals.total_bytes,
            blocks: s.totals.blocks,
            records: s.totals.records,
            occurrences: kind.is_error().then_some(s.occurrences),
        }
    }

    fn add(&mut self, o: &SideOut) {
        self.bytes += o.bytes;
        self.total_bytes += o.total_bytes;
        self.blocks += o.blocks;
        self.records += o.records;
        if let Some(n) = o.occurrences {
            *self.occurrences.get_or_insert(0) += n;
        }
    }
}

/// The parts of a group every view shows, whatever the number of runs.
#[derive(Debug, Clone, Serialize)]
pub struct GroupHead {
    /// `definitely_lost`… for leaks, the error kind (`InvalidRead`…) for errors.
    pub kind: String,
    /// The group's name: the label of its top frame.
    pub top_frame: String,
    /// The signature: `top_frame` and, with `--depth` > 1, its callers.
    pub frames: Vec<String>,
    /// Index into `processes`.
    pub process: usize,
    pub hidden_by: Option<String>,
    #[serde(skip)]
    pub group_kind: GroupKind,
    /// The top frame shortened for text tables.
    #[serde(skip)]
    pub short: ShortLabel,
    /// The callers in the signature (`--depth` > 1), shortened likewise.
    #[serde(skip)]
    pub short_callers: Vec<ShortLabel>,
}

impl GroupHead {
    fn new(chain: usize, kind: &GroupKind, sig: &Signature, hidden_by: &Option<String>) -> Self {
        GroupHead {
            kind: kind.key().to_string(),
            top_frame: sig.top_label(),
            frames: sig.labels(),
            process: chain,
            hidden_by: hidden_by.clone(),
            group_kind: kind.clone(),
            short: match sig.0.first() {
                Some(a) => ShortLabel::of(a),
                None => ShortLabel {
                    function: "(no stack)".to_string(),
                    place: None,
                },
            },
            short_callers: sig.0.iter().skip(1).map(ShortLabel::of).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffGroupOut {
    #[serde(flatten)]
    pub head: GroupHead,
    pub status: Status,
    pub base: SideOut,
    pub new: SideOut,
    pub delta_bytes: i128,
    pub delta_total_bytes: i128,
    pub delta_blocks: i128,
    pub delta_records: i128,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_occurrences: Option<i128>,
    /// Where the group is in the new run (its largest record's stack, an
    /// error group's first error's stack, with that error's headline); `None`
    /// for groups the new run does not have. Not in the JSON.
    #[serde(skip)]
    pub new_stack: Option<StackId>,
    #[serde(skip)]
    pub what: Option<String>,
}

/// What one rule hid, summed over its groups.
#[derive(Debug, Clone, Serialize)]
pub struct Hidden {
    pub rule: String,
    pub groups: u64,
    /// Per run (base, new for a diff), leaks only.
    pub runs: Vec<SideOut>,
}

/// A process followed across the runs, and its visible leak totals per kind.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessOut {
    /// Per run, the process there; `null` where the run has none to match.
    pub runs: Vec<Option<ProcessRef>>,
    pub matched_by: MatchedBy,
    /// Visible leak totals, per kind, per run.
    pub leaks: BTreeMap<&'static str, Vec<SideOut>>,
    /// Visible error contexts and occurrences, per run.
    pub errors: Vec<SideOut>,
}

#[derive(Debug, Serialize)]
pub struct DiffOutput {
    pub schema: u32,
    pub base: RunInfo,
    pub new: RunInfo,
    pub options: OptionsOut,
    pub processes: Vec<ProcessOut>,
    /// Largest `delta_total_bytes` first.
    pub groups: Vec<DiffGroupOut>,
    pub hidden: Vec<Hidden>,
    /// Sum of the positive `delta_total_bytes` of visible groups: what
    /// `--fail-on-growth` compares.
    pub visible_growth: u128,
    /// Per rule, the growth it hid (the safety net; see
    /// `triage::hidden_growth`). `--fail-on-growth` adds it to the visible
    /// growth unless `--allow-hidden-growth`.
    pub hidden_growth: Vec<HiddenGrowth>,
}

/// `locate` gives a rule's file and line from its name (`RuleSet::locate`).
pub fn diff_output(
    base: &Report,
    new: &Report,
    diff: &Diff,
    opts: &SignatureOptions,
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> DiffOutput {
    let reports = [base, new];
    let groups: Vec<DiffGroupOut> = diff
        .groups
        .iter()
        .map(|g| diff_group(g, new, &diff.chains))
        .collect();
    let sides = |g: &DiffGroupOut| vec![g.base, g.new];
    DiffOutput {
        schema: SCHEMA,
        base: run_info(base),
        new: run_info(new),
        options: options(opts),
        processes: processes(&reports, &diff.chains, &groups, |g| (&g.head, sides(g))),
        hidden: hidden(2, &groups, |g| (&g.head, sides(g))),
        visible_growth: diff.visible_growth(),
        hidden_growth: hidden_growth::of_diff(diff, locate),
        groups,
    }
}

fn diff_group(g: &DiffGroup, new: &Report, chains: &[ProcessChain]) -> DiffGroupOut {
    let is_error = g.kind.is_error();
    let process = chains
        .get(g.chain)
        .and_then(|c| c.procs.get(1).copied().flatten())
        .and_then(|p| new.processes.get(p));
    let (new_stack, what) = match (process, &g.kind) {
        (Some(_), _) if g.new.items.is_empty() => (None, None),
        (Some(p), GroupKind::Leak(_)) => (
            Some(super::summary::largest_stack(
                p.loss_records(),
                g.new.items.iter().copied(),
            )),
            None,
        ),
        (Some(p), GroupKind::Error(_)) => {
            let e = g.new.items.first().and_then(|&i| p.errors.get(i));
            (e.map(|e| e.stack), e.map(|e| e.what.to_string()))
        }
        (None, _) => (None, None),
    };
    DiffGroupOut {
        new_stack,
        what,
        head: GroupHead::new(g.chain, &g.kind, &g.signature, &g.hidden_by),
        status: g.status,
        base: SideOut::of(&g.kind, &g.base),
        new: SideOut::of(&g.kind, &g.new),
        delta_bytes: g.delta_bytes(),
        delta_total_bytes: g.delta_total_bytes(),
        delta_blocks: g.delta_blocks(),
        delta_records: g.delta_records(),
        delta_occurrences: is_error.then(|| g.delta_occurrences()),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendGroupOut {
    #[serde(flatten)]
    pub head: GroupHead,
    pub trend: Trend,
    pub runs: Vec<SideOut>,
    /// Change per run step in total bytes (occurrences for errors): last minus
    /// first over the number of steps.
    pub slope: i128,
}

#[derive(Debug, Serialize)]
pub struct TrendOutput {
    pub schema: u32,
    pub runs: Vec<RunInfo>,
    pub options: OptionsOut,
    pub processes: Vec<ProcessOut>,
    /// Growing groups first, steepest first; then mixed, flat, shrinking.
    pub groups: Vec<TrendGroupOut>,
    pub hidden: Vec<Hidden>,
    /// Growth from the first run to the last, summed over visible leak groups
    /// that grew: what `--fail-on-growth` compares in this view.
    pub visible_growth: u128,
    /// Per rule, the growth it hid from the first run to the last.
    pub hidden_growth: Vec<HiddenGrowth>,
}

pub fn trend_output(
    runs: &[&Report],
    trends: &Trends,
    opts: &SignatureOptions,
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> TrendOutput {
    let groups: Vec<TrendGroupOut> = trends.groups.iter().map(trend_group).collect();
    TrendOutput {
        schema: SCHEMA,
        runs: runs.iter().map(|r| run_info(r)).collect(),
        options: options(opts),
        processes: processes(runs, &trends.chains, &groups, |g| (&g.head, g.runs.clone())),
        hidden: hidden(runs.len(), &groups, |g| (&g.head, g.runs.clone())),
        visible_growth: trends.visible_growth(),
        hidden_growth: hidden_growth::of_trends(trends, locate),
        groups,
    }
}

fn trend_group(g: &TrendGroup) -> TrendGroupOut {
    TrendGroupOut {
        head: GroupHead::new(g.chain, &g.kind, &g.signature, &g.hidden_by),
        trend: g.trend,
        runs: g.runs.iter().map(|s| SideOut::of(&g.kind, s)).collect(),
        slope: g.slope(),
    }
}

fn run_info(r: &Report) -> RunInfo {
    RunInfo {
        inputs: r
            .inputs
            .iter()
            .map(|i| InputSummary {
                path: i.path.clone(),
                format: i.format.name(),
                warnings: i.warnings.clone(),
            })
            .collect(),
        processes: r
            .processes
            .iter()
            .map(|p| ProcessRef {
                pid: p.pid,
                command: p.command.clone(),
            })
            .collect(),
    }
}

fn options(o: &SignatureOptions) -> OptionsOut {
    OptionsOut {
        depth: o.depth.max(1),
        ignore_lines: o.ignore_lines,
    }
}

fn processes<G>(
    reports: &[&Report],
    chains: &[ProcessChain],
    groups: &[G],
    view: impl Fn(&G) -> (&GroupHead, Vec<SideOut>),
) -> Vec<ProcessOut> {
    let runs = reports.len();
    let mut out: Vec<ProcessOut> = chains
        .iter()
        .map(|c| ProcessOut {
            runs: c
                .procs
                .iter()
                .zip(reports)
                .map(|(p, r)| {
                    p.map(|p| ProcessRef {
                        pid: r.processes[p].pid,
                        command: r.processes[p].command.clone(),
                    })
                })
                .collect(),
            matched_by: c.matched_by,
            leaks: LeakKind::ALL
                .iter()
                .map(|k| (k.key(), vec![SideOut::default(); runs]))
                .collect(),
            errors: vec![
                SideOut {
                    occurrences: Some(0),
                    ..SideOut::default()
                };
                runs
            ],
        })
        .collect();
    for g in groups {
        let (head, sides) = view(g);
        if head.hidden_by.is_some() {
            continue;
        }
        let Some(p) = out.get_mut(head.process) else {
            continue;
        };
        let target = match &head.group_kind {
            GroupKind::Leak(k) => p.leaks.get_mut(k.key()),
            GroupKind::Error(_) => Some(&mut p.errors),
        };
        if let Some(target) = target {
            for (t, s) in target.iter_mut().zip(&sides) {
                t.add(s);
            }
        }
    }
    out
}

fn hidden<G>(
    runs: usize,
    groups: &[G],
    view: impl Fn(&G) -> (&GroupHead, Vec<SideOut>),
) -> Vec<Hidden> {
    let mut by_rule: BTreeMap<String, Hidden> = BTreeMap::new();
    for g in groups {
        let (head, sides) = view(g);
        let Some(rule) = &head.hidden_by else {
            continue;
        };
        let h = by_rule.entry(rule.clone()).or_insert_with(|| Hidden {
            rule: rule.clone(),
            groups: 0,
            runs: vec![SideOut::default(); runs],
        });
        h.groups += 1;
        if !head.group_kind.is_error() {
            for (t, s) in h.runs.iter_mut().zip(&sides) {
                t.add(s);
            }
        }
    }
    by_rule.into_values().collect()
}
