//! GitLab Code Quality JSON (`--format gitlab`): an array of issues, each
//! with a description, a check name (the kind's rule id), a fingerprint
//! unique in the report (the same for the same leak in another run), a
//! severity and a location (path and first line) — what GitLab's merge
//! request widget reads.

use super::findings::{Finding, Findings};
use super::kinds::{info, Level};
use super::source_tree::{primary, Place, SourceTree};
use crate::sanitize::sanitize;
use crate::triage::compare::GroupKind;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Issue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub engine_name: &'static str,
    pub description: String,
    pub check_name: String,
    pub fingerprint: String,
    /// `info`, `minor`, `major`, `critical` or `blocker`.
    pub severity: &'static str,
    pub categories: [&'static str; 1],
    pub location: Location,
}

#[derive(Debug, Serialize)]
pub struct Location {
    pub path: String,
    pub lines: Lines,
}

#[derive(Debug, Serialize)]
pub struct Lines {
    pub begin: u32,
}

pub fn write(f: &Findings, tree: &SourceTree) -> String {
    let issues: Vec<Issue> = f.findings.iter().map(|x| issue(f, x, tree)).collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_default();
    s.push('\n');
    s
}

/// Memory errors are critical (undefined behaviour now), definite leaks
/// major, the others below.
fn severity(x: &Finding) -> &'static str {
    match (&x.kind, x.level()) {
        (GroupKind::Error(_), _) => "critical",
        (_, Level::Error) => "major",
        (_, Level::Warning) => "minor",
        (_, Level::Note) => "info",
    }
}

fn issue(f: &Findings, x: &Finding, tree: &SourceTree) -> Issue {
    let placed = tree.place_stack(f.interner, x.stack);
    let (path, line) = match primary(&placed, f.interner, x.stack).map(|p| p.place) {
        Some(Place::Tree { path, line }) | Some(Place::File { path, line }) => (path, line),
        Some(Place::Object(o)) => (o, None),
        Some(Place::Unknown) | None => (String::new(), None),
    };
    let process = f
        .processes
        .get(x.process)
        .map(|p| p.label())
        .unwrap_or_default();
    Issue {
        kind: "issue",
        engine_name: "leakscope",
        description: format!("{} [{process}]", x.sentence()),
        check_name: info(&x.kind).id,
        fingerprint: x.fingerprint.clone(),
        severity: severity(x),
        categories: ["Bug Risk"],
        location: Location {
            path: sanitize(&path).into_owned(),
            lines: Lines {
                begin: line.filter(|&l| l > 0).unwrap_or(1),
            },
        },
    }
}
