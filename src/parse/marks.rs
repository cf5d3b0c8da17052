//! What a `leakscope run` snapshot leaves in valgrind's own log.
//!
//! A snapshot asks vgdb for `v.set log_output`, then `v.info n_errs_found
//! MARK`, then `leak_check …`: valgrind prints the marker line (without its
//! `==PID==` prefix) and then the leak search straight into its log. Writing
//! into the log is about 3× faster than streaming the search to vgdb (a Numba
//! service's 60 MB search), and a vgdb that gives up can no longer cut a
//! search in two: valgrind finishes it in the log, late but whole, and the
//! marker still says it was a snapshot and when it was asked for.
//!
//! Runs from before that streamed the search to vgdb: when vgdb gave up,
//! valgrind printed `Reset valgrind output to log (Error writing monitor
//! output)` and the rest of the search into the log. That search lacks its
//! first records; [`cut_short`] finds it so the timeline can leave it out.
//!
//! The log is scanned as bytes, apart from the parser, so the parse pipeline
//! stays unaware of `leakscope run`.

use crate::model::{LeakSearch, Process, Report, SearchOrigin, Warning};
use std::io::Read;
use std::path::Path;

/// The word that makes a `v.info n_errs_found` line a snapshot marker.
pub const MARK: &str = "leakscope-snapshot";

/// What valgrind prints when vgdb went away while it streamed a monitor
/// command's output (runs before the log-output snapshots).
const RESET: &[u8] = b"Reset valgrind output to log (Error writing monitor output)";

/// The marker text of snapshot `seq`, asked for `asked_s` seconds after
/// valgrind started (the clock of `--time-stamp=yes`).
pub fn marker_text(seq: u32, asked_s: f64) -> String {
    format!("{MARK} {seq} asked-at {asked_s:.3}")
}

/// A line of interest in a log, by its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A snapshot marker: the leak search starting on the next line is it.
    Snapshot { line: u64, asked_s: Option<f64> },
    /// valgrind took its output back from a vgdb that went away.
    Reset { line: u64 },
}

impl Mark {
    fn line(&self) -> u64 {
        match *self {
            Mark::Snapshot { line, .. } | Mark::Reset { line } => line,
        }
    }
}

/// Labels the snapshots in the text log `name` just read into `report`
/// (its processes from `first` on), and leaves out the searches a vgdb
/// timeout cut in two, saying so on the log's input. A `valgrind.PID.log`
/// is read again for its marks whether it sits in its run directory or was
/// opened alone (else its snapshots would read as client requests); another
/// log only when it holds more than one search, so that a log of one search
/// costs no second read. A log that cannot be read again (stdin, a pipe)
/// has no marks: its searches stay the log's own.
pub fn label_log(report: &mut Report, first: usize, name: &str) {
    let named = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(super::rundir::is_log_name);
    let several = report.processes[first..]
        .iter()
        .any(|p| p.leak_searches.len() > 1);
    if name == "-" || !(named || several) || !Path::new(name).is_file() {
        return;
    }
    let Ok(src) = super::source::open(name) else {
        return;
    };
    let found = scan(src.reader).unwrap_or_default();
    if found.is_empty() {
        return;
    }
    let mut said = Vec::new();
    for p in &mut report.processes[first..] {
        label_snapshots(&mut p.leak_searches, &found);
        said.extend(drop_cut_short(p, &found));
    }
    if let Some(input) = report.inputs.last_mut() {
        input.warnings.extend(said);
    }
}

/// Leaves out the searches a vgdb timeout cut in two (runs before the
/// log-output snapshots): their first records went to a vgdb that gave up,
/// so beside whole searches their groups would seem to drop. A warning on
/// the log says so.
fn drop_cut_short(p: &mut Process, found: &[Mark]) -> Vec<Warning> {
    let mut said = Vec::new();
    for i in cut_short(&p.leak_searches, found).into_iter().rev() {
        let s = p.leak_searches.remove(i);
        let at = s.time_s.map_or(String::new(), |t| format!(" at {t:.1} s"));
        said.push(Warning {
            line: s.records.first().map_or(0, |r| r.line()),
            message: format!(
                "PID {}: a snapshot cut short{at} is left out of the timeline: vgdb gave up while valgrind printed it, so its first records went to vgdb and only the rest ({} records) to the log",
                p.pid,
                s.records.len()
            ),
        });
    }
    said
}

/// The marks of a log (decompressed), read in blocks (a long run's log is
/// hundreds of megabytes).
pub fn scan(mut f: impl Read) -> std::io::Result<Vec<Mark>> {
    let mut marks = Vec::new();
    let mut buf = vec![0u8; 4 << 20];
    let mut held = 0; // bytes of an unfinished line kept at the front
    let mut line = 1u64;
    loop {
        let n = f.read(&mut buf[held..])?;
        let end = held + n;
        // Whole lines only; at the end of the file, whatever is left.
        let whole = if n == 0 {
            end
        } else {
            match memchr::memrchr(b'\n', &buf[..end]) {
                Some(i) => i + 1,
                None if end == buf.len() => end, // a line longer than the buffer
                None => {
                    held = end;
                    continue;
                }
            }
        };
        line = scan_lines(&buf[..whole], line, &mut marks);
        buf.copy_within(whole..end, 0);
        held = end - whole;
        if n == 0 {
            return Ok(marks);
        }
    }
}

/// Adds the marks of `text` (whole lines, the first numbered `line`) and
/// returns the number of the line after it.
fn scan_lines(text: &[u8], mut line: u64, marks: &mut Vec<Mark>) -> u64 {
    let mut at = 0;
    for hit in memchr::memmem::find_iter(text, MARK.as_bytes())
        .chain(memchr::memmem::find_iter(text, RESET))
        .collect::<std::collections::BTreeSet<_>>()
    {
        if hit < at {
            continue; // a second hit on a line already read
        }
        line += memchr::memchr_iter(b'\n', &text[at..hit]).count() as u64;
        let start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |i| i + 1);
        let stop = memchr::memchr(b'\n', &text[hit..]).map_or(text.len(), |i| hit + i);
        if let Some(m) = mark_of(&text[start..stop], line) {
            marks.push(m);
        }
        at = stop;
    }
    line + memchr::memchr_iter(b'\n', &text[at..]).count() as u64
}

/// The mark a line holds, if any: valgrind's own wording only.
fn mark_of(line: &[u8], no: u64) -> Option<Mark> {
    let text = String::from_utf8_lossy(line);
    let content = match text.strip_prefix("==") {
        Some(rest) => rest.split_once("== ").map_or("", |(_, c)| c),
        None => &text,
    };
    let content = content.trim_end();
    if content.as_bytes() == RESET {
        return Some(Mark::Reset { line: no });
    }
    if !content.starts_with("n_errs_found ") {
        return None;
    }
    let (_, rest) = content.split_once(&format!(" {MARK} "))?;
    let asked_s = rest
        .split_once(" asked-at ")
        .and_then(|(_, t)| t.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t >= 0.0);
    Some(Mark::Snapshot { line: no, asked_s })
}

/// The line a search starts on: its first record's header, else its LEAK
/// SUMMARY ("All heap blocks were freed" counts as one).
fn first_line(s: &LeakSearch) -> Option<u64> {
    s.records
        .first()
        .map(|r| r.line())
        .or_else(|| s.summary.as_ref().map(|m| m.line))
}

/// How far after its marker a snapshot's first line may come: the marker is
/// printed right before the search, while the program is stopped.
const MARK_REACH: u64 = 2;

/// Marks the searches of one log's process that its snapshot markers
/// announce (origin `Snapshot`, with the time they were asked for).
pub fn label_snapshots(searches: &mut [LeakSearch], marks: &[Mark]) {
    for s in searches {
        let Some(first) = first_line(s) else { continue };
        if let Some(Mark::Snapshot { line, asked_s }) = mark_before(marks, first) {
            if first - line <= MARK_REACH {
                s.origin = SearchOrigin::Snapshot;
                s.asked_s = asked_s;
            }
        }
    }
}

/// The searches (by index) that continue a snapshot vgdb gave up on: the
/// first search after a reset whose records do not start at record 1 (or
/// that has no record although its LEAK SUMMARY counts blocks).
pub fn cut_short(searches: &[LeakSearch], marks: &[Mark]) -> Vec<usize> {
    let mut cut = Vec::new();
    let mut seen_reset = None;
    for (i, s) in searches.iter().enumerate() {
        let Some(first) = first_line(s) else { continue };
        let reset = marks.iter().rev().find_map(|m| match *m {
            Mark::Reset { line } if line < first => Some(line),
            _ => None,
        });
        if reset.is_none() || reset == seen_reset {
            continue;
        }
        seen_reset = reset;
        let partial = match s.records.first() {
            Some(r) => r.number().is_some_and(|n| n > 1),
            None => s
                .summary
                .as_ref()
                .is_some_and(|m| m.kinds.iter().any(|f| f.blocks > 0)),
        };
        if partial {
            cut.push(i);
        }
    }
    cut
}

/// The last mark before line `first`.
fn mark_before(marks: &[Mark], first: u64) -> Option<Mark> {
    let i = marks.partition_point(|m| m.line() < first);
    i.checked_sub(1).map(|i| marks[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_and_resets_are_found_with_their_line_numbers() {
        let log = format!(
            "==00:00:00:00.000 9== Memcheck, a memory error detector\n\
             n_errs_found 0 n_errs_shown 0 (vgdb-error 999999999) {}\n\
             ==00:00:00:08.124 9== 6,912 bytes in 27 blocks are definitely lost in loss record 1 of 2\n\
             the program printed leakscope-snapshot 9 asked-at 1.0\n\
             ==00:00:00:09.000 9== Reset valgrind output to log (Error writing monitor output)\n\
             n_errs_found 0 n_errs_shown 2 (vgdb-error 999999999) {MARK} 4\n",
            marker_text(3, 7.25)
        );
        let mut marks = Vec::new();
        assert_eq!(scan_lines(log.as_bytes(), 1, &mut marks), 7);
        assert_eq!(
            marks,
            [
                Mark::Snapshot {
                    line: 2,
                    asked_s: Some(7.25)
                },
                Mark::Reset { line: 5 },
                Mark::Snapshot {
                    line: 6,
                    asked_s: None
                },
            ]
        );
        // The same through the file reader, with lines split across reads.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("valgrind.9.log");
        std::fs::write(&path, &log).unwrap();
        assert_eq!(scan(std::fs::File::open(&path).unwrap()).unwrap(), marks);
    }
}
