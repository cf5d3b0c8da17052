//! JUnit XML (`--format junit`) for CI test reports: a test suite per
//! process, a test case per leak kind and per memcheck error kind the log
//! has. A case fails exactly where `--fail-on` fails the run (something of
//! its kind that no rule hides), and its failure lists the groups; a case
//! that passes lists what is visible in its output.

use super::findings::{Finding, Findings};
use super::human::{bytes, count};
use super::kinds::info;
use super::summary::{FailOn, ProcessSummary, Summary};
use crate::model::LeakKind;
use crate::sanitize::sanitize;
use crate::triage::compare::GroupKind;
use std::fmt::Write;

/// Groups listed in one failure or output.
pub const MAX_GROUPS: usize = 50;

struct Case {
    name: String,
    rule: String,
    failed: bool,
    summary: String,
    groups: Vec<String>,
}

pub fn write(s: &Summary, f: &Findings, fail_on: &[FailOn]) -> String {
    let suites: Vec<(String, Vec<Case>)> = s
        .processes
        .iter()
        .enumerate()
        .map(|(pi, p)| (f.processes[pi].label(), cases(p, pi, f, fail_on)))
        .collect();
    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites
        .iter()
        .map(|(_, c)| c.iter().filter(|c| c.failed).count())
        .sum();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"leakscope\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    for (name, cases) in &suites {
        let _ = writeln!(
            o,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            xml(name),
            cases.len(),
            cases.iter().filter(|c| c.failed).count()
        );
        for c in cases {
            let body: Vec<String> = c.groups.iter().map(|g| xml(g)).collect();
            let body = body.join("\n");
            let _ = write!(
                o,
                "    <testcase classname=\"leakscope.{}\" name=\"{}\"",
                xml(name),
                xml(&c.name)
            );
            if c.failed {
                let _ = writeln!(
                    o,
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    xml(&c.rule),
                    xml(&c.summary),
                    body
                );
            } else if !body.is_empty() {
                let _ = writeln!(
                    o,
                    ">\n      <system-out>{}\n{}</system-out>\n    </testcase>",
                    xml(&c.summary),
                    body
                );
            } else {
                o.push_str("/>\n");
            }
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}

fn cases(p: &ProcessSummary, pi: usize, f: &Findings, fail_on: &[FailOn]) -> Vec<Case> {
    let mine = |kind: &GroupKind| -> Vec<&Finding> {
        f.findings
            .iter()
            .filter(|x| x.process == pi && &x.kind == kind)
            .collect()
    };
    let mut out: Vec<Case> = LeakKind::ALL
        .into_iter()
        .map(|k| {
            let v = p.visible_leaks.get(k);
            let kind = GroupKind::Leak(k);
            case(
                k.text().to_string(),
                &kind,
                fail_on.contains(&FailOn::Leak(k)) && v.records > 0,
                format!(
                    "{} in {} blocks {} ({} records) not hidden by rules",
                    bytes(v.total_bytes),
                    count(v.blocks),
                    k.text(),
                    count(v.records)
                ),
                &mine(&kind),
            )
        })
        .collect();
    for (name, &n) in &p.errors.by_kind {
        let visible = p.visible_errors.by_kind.get(name).copied().unwrap_or(0);
        let kind = GroupKind::Error(crate::model::ErrorKind::from_xml(name));
        out.push(case(
            name.clone(),
            &kind,
            fail_on.contains(&FailOn::Errors) && visible > 0,
            format!(
                "{} {} errors not hidden by rules (of {})",
                count(visible),
                sanitize(name),
                count(n)
            ),
            &mine(&kind),
        ));
    }
    out
}

fn case(
    name: String,
    kind: &GroupKind,
    failed: bool,
    summary: String,
    groups: &[&Finding],
) -> Case {
    let mut lines: Vec<String> = groups
        .iter()
        .take(MAX_GROUPS)
        .map(|x| x.sentence())
        .collect();
    if groups.len() > MAX_GROUPS {
        lines.push(format!("… {} more groups", groups.len() - MAX_GROUPS));
    }
    Case {
        name: sanitize(&name).into_owned(),
        rule: info(kind).id,
        failed,
        summary,
        groups: lines,
    }
}

/// Text for XML content or an attribute: markup characters as entities,
/// control characters made visible, and the two noncharacters XML forbids
/// replaced.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml("a<b & \"c\" 'd'\u{1}\u{ffff}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;^A\u{fffd}"
        );
    }
}
