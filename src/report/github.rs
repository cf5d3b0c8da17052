//! GitHub Actions workflow commands (`--format github`): one annotation per
//! finding, `::error file=…,line=…,title=…::message`, on the pull request's
//! lines where the finding is in the repository.
//!
//! GitHub keeps at most 10 error and 10 warning annotations per step (and
//! 50 per job), silently dropping the rest; so the most severe and largest
//! findings are annotated, within those limits, and a plain line says how
//! many were left out. Notes (still reachable) are annotated as notices
//! under the same per-step limit.

use super::findings::{Finding, Findings};
use super::kinds::{info, Level};
use super::source_tree::{primary, Place, SourceTree};
use crate::sanitize::sanitize;
use std::fmt::Write;

/// Annotations of one level GitHub keeps per step.
pub const PER_STEP: usize = 10;
/// Annotations GitHub keeps per job, all steps together.
pub const PER_JOB: usize = 50;

pub fn write(f: &Findings, tree: &SourceTree) -> String {
    let mut out = String::new();
    let mut used = [0usize; 3];
    let mut shown = 0usize;
    for x in &f.findings {
        let slot = x.level() as usize;
        if used[slot] >= PER_STEP || shown >= PER_JOB {
            continue;
        }
        used[slot] += 1;
        shown += 1;
        out.push_str(&annotation(f, x, tree));
        out.push('\n');
    }
    let left = f.findings.len() - shown;
    if left > 0 {
        let _ = writeln!(
            out,
            "leakscope: {left} of {} findings not annotated (GitHub keeps {PER_STEP} errors, {PER_STEP} warnings \
             and {PER_STEP} notices per step); the step summary (--format markdown) and `leakscope summary` list them",
            f.findings.len()
        );
    }
    out
}

fn annotation(f: &Findings, x: &Finding, tree: &SourceTree) -> String {
    let placed = tree.place_stack(f.interner, x.stack);
    let mut props: Vec<(&str, String)> = Vec::new();
    // Outside the repository GitHub cannot place it on a line: the
    // annotation goes on the run, and the message names the place.
    if let Some(Place::Tree { path, line }) = primary(&placed, f.interner, x.stack).map(|p| p.place)
    {
        props.push(("file", path));
        if let Some(l) = line.filter(|&l| l > 0) {
            props.push(("line", l.to_string()));
        }
    }
    let kind = info(&x.kind);
    props.push(("title", format!("{} ({})", kind.title, kind.id)));
    let command = match x.level() {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    };
    let process = f
        .processes
        .get(x.process)
        .map(|p| p.label())
        .unwrap_or_default();
    let mut message = format!("{}\n{process}", x.sentence());
    for p in placed.iter().take(12) {
        let _ = write!(message, "\n  at {}", sanitize(&p.label));
    }
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!("::{command} {}::{}", props.join(","), escape_data(&message))
}

/// A command's message as GitHub's toolkit escapes it: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as data, plus `:` and `,`, which end a property.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_toolkit_does() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a.c:3, 50%\n"), "a.c%3A3%2C 50%25%0A");
    }
}
