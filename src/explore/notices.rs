//! What the log says about itself that a tree of records cannot show: the
//! parser's warnings (each with file and line), logs cut off before valgrind
//! finished, processes that never ran a leak search, and whether a process's
//! error counts are occurrences or only contexts.

use crate::model::{Format, Process, Report};
use crate::sanitize::sanitize;

/// One parse warning, placed: `run.log:84`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub place: String,
    pub text: String,
}

/// Every warning of every input, in input order (sanitized).
pub fn warnings(report: &Report) -> Vec<Notice> {
    let mut out = Vec::new();
    for input in &report.inputs {
        let file = sanitize(&input.path).into_owned();
        for w in &input.warnings {
            let place = if w.line == 0 {
                file.clone()
            } else {
                format!("{file}:{}", w.line)
            };
            out.push(Notice {
                place,
                text: sanitize(&w.message).into_owned(),
            });
        }
    }
    out
}

/// How many warnings the inputs carry.
pub fn warning_count(report: &Report) -> usize {
    report.inputs.iter().map(|i| i.warnings.len()).sum()
}

fn format_of(report: &Report, p: &Process) -> Option<Format> {
    report.inputs.get(p.input).map(|i| i.format)
}

/// Whether the process's report is LeakSanitizer's (not valgrind's).
pub fn is_lsan(report: &Report, p: &Process) -> bool {
    format_of(report, p) == Some(Format::Lsan)
}

/// A valgrind process whose log ends before valgrind's final ERROR SUMMARY
/// (or, in XML, before its closing `<suppcounts>`): the run was killed, or
/// the log cut off (or is still being written).
pub fn cut_off(report: &Report, p: &Process) -> bool {
    !is_lsan(report, p) && p.error_summary.is_none() && !p.finished
}

/// Whether the log gives each error context's occurrences (XML error counts,
/// the -v/-s listing); otherwise only contexts can be counted honestly.
pub fn occurrences_known(report: &Report, p: &Process) -> bool {
    format_of(report, p) == Some(Format::ValgrindXml) || p.errors.iter().any(|e| e.count > 1)
}

/// The line to show above everything when the log is not a complete run:
/// which processes were cut off, and how many warnings `W` lists.
pub fn banner(report: &Report, following: bool) -> Option<String> {
    let cut: Vec<String> = report
        .processes
        .iter()
        .filter(|p| cut_off(report, p))
        .map(|p| p.pid.to_string())
        .collect();
    if cut.is_empty() {
        return None;
    }
    let who = match cut.len() {
        1 => format!("PID {}", cut[0]),
        n if n <= 3 => format!("PIDs {}", cut.join(", ")),
        n => format!("{n} processes"),
    };
    let why = if following {
        "still running (no ERROR SUMMARY yet)"
    } else {
        "log cut off (no ERROR SUMMARY), figures partial"
    };
    let w = warning_count(report);
    let more = match w {
        0 => String::new(),
        1 => " · W: 1 warning".to_string(),
        n => format!(" · W: {n} warnings"),
    };
    Some(format!("⚠ {who}: {why}{more}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> Report {
        let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        crate::parse::load_paths(&[p], None).expect("fixture")
    }

    #[test]
    fn a_truncated_log_says_so_and_places_its_warning() {
        let r = load("truncated.txt");
        let b = banner(&r, false).expect("banner");
        assert!(b.contains("PID 11377: log cut off"), "{b}");
        assert!(b.contains("W: 1 warning"), "{b}");
        let w = warnings(&r);
        assert_eq!(w.len(), 1);
        assert!(w[0].place.ends_with("truncated.txt:84"), "{w:?}");
        assert!(w[0].text.contains("LEAK SUMMARY"), "{w:?}");
    }

    /// Valgrind 3.19's XML (protocol 4) has no ERROR SUMMARY: a log that
    /// reaches its last element is whole; one cut before that is not.
    #[test]
    fn a_finished_xml_run_has_no_banner_and_a_cut_one_does() {
        let r = load("leaky.xml");
        assert!(r.processes[0].finished);
        assert_eq!(banner(&r, false), None);
        let cut = load("truncated.xml");
        assert!(!cut.processes[0].finished);
        let b = banner(&cut, false).expect("banner");
        assert!(b.contains("log cut off"), "{b}");
    }

    #[test]
    fn a_complete_run_has_no_banner() {
        let r = load("leaky.txt");
        assert_eq!(banner(&r, false), None);
        assert!(!occurrences_known(&r, &r.processes[0]));
        let lsan = load("lsan.txt");
        assert_eq!(banner(&lsan, false), None, "LSan prints no ERROR SUMMARY");
        assert!(is_lsan(&lsan, &lsan.processes[0]));
    }
}
