//! The computed summary behind `leakscope summary`. Field names here are the
//! JSON contract (`"schema": 1`): add fields freely, never rename or drop one.

use crate::model::{Figure, LeakKind, LeakSummary, Process, Report, Warning};
use crate::triage::{group_records, leak_totals, GroupBy, Totals};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub schema: u32,
    pub inputs: Vec<InputSummary>,
    pub processes: Vec<ProcessSummary>,
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
    pub total: u64,
    pub contexts: u64,
    pub by_kind: BTreeMap<String, u64>,
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
    pub top_frame: String,
    pub bytes: u64,
    pub total_bytes: u64,
    pub blocks: u64,
    pub records: u64,
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
    pub reported_leaks: Option<ReportedLeaks>,
    pub errors: Errors,
    pub reported_errors: Option<ReportedErrors>,
    /// How many leak searches the log holds; the figures are the last one's.
    pub leak_searches: usize,
    pub fatal_signal: Option<String>,
    pub groups: Vec<GroupSummary>,
}

pub fn summarize(report: &Report) -> Summary {
    Summary {
        schema: SCHEMA,
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
            .map(|p| summarize_process(report, p))
            .collect(),
    }
}

fn summarize_process(report: &Report, p: &Process) -> ProcessSummary {
    let records = p.loss_records();
    let totals = leak_totals(records);
    let groups = group_records(&report.interner, records, GroupBy::TopFrame)
        .into_iter()
        .map(|g| GroupSummary {
            kind: g.kind,
            top_frame: g.label,
            bytes: g.totals.bytes,
            total_bytes: g.totals.total_bytes,
            blocks: g.totals.blocks,
            records: g.totals.records,
        })
        .collect();
    let mut by_kind = BTreeMap::new();
    let mut total = 0;
    for e in &p.errors {
        *by_kind.entry(e.kind.as_str().to_string()).or_insert(0) += e.count;
        total += e.count;
    }
    ProcessSummary {
        pid: p.pid,
        ppid: p.ppid,
        command: p.command.clone(),
        tool: p.tool.clone(),
        valgrind_version: p.valgrind_version.clone(),
        input: p.input,
        leaks: ByKind::from_array(&totals),
        reported_leaks: p.leak_summary().map(reported_leaks),
        errors: Errors {
            total,
            contexts: p.errors.len() as u64,
            by_kind,
        },
        reported_errors: p.error_summary.map(|s| ReportedErrors {
            errors: s.errors,
            contexts: s.contexts,
            suppressed: s.suppressed,
            suppressed_contexts: s.suppressed_contexts,
        }),
        leak_searches: p.leak_searches.len(),
        fatal_signal: p.fatal_signal.clone(),
        groups,
    }
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

/// Whether any process has something `fail_on` names.
pub fn fails(summary: &Summary, fail_on: &[FailOn]) -> bool {
    summary.processes.iter().any(|p| {
        fail_on.iter().any(|f| match f {
            FailOn::Leak(k) => p.leaks.get(*k).records > 0,
            FailOn::Errors => p.errors.contexts > 0,
        })
    })
}
