//! Reading inputs into a [`Report`]: format detection, decompression, and one
//! parser per format. Problems inside an input become warnings on that input;
//! only an input that cannot be opened, or yields nothing at all, is an error.

pub mod cursor;
pub mod detect;
pub mod live;
mod lsan;
pub mod marks;
mod numbering;
pub mod perfmap;
pub mod rundir;
pub mod sniff;
pub mod source;
pub mod text;
mod xml;

use crate::model::{Format, Input, Report, Warning};
use source::{OpenError, Source};

pub use detect::detect_format;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{path}: no valgrind or sanitizer output found{detail}")]
    Nothing { path: String, detail: String },
    #[error("{path}: {message}")]
    Unsupported { path: String, message: String },
}

/// How far a load has come, for progress displays.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Bytes of the input file read (compressed bytes for compressed input).
    pub read: u64,
    /// The file's size, when known (not for stdin or pipes).
    pub total: Option<u64>,
    pub lines: u64,
    /// Nothing new since the previous call: a live stream is waiting for
    /// its writer (the explorer may still owe the last state a snapshot).
    pub idle: bool,
}

/// Lines between two calls of the progress callback, for the parsers that
/// read line by line (XML, sanitizer reports).
const PROGRESS_EVERY: u64 = 1 << 16;

/// Reads one input into `report`, calling `progress` now and then with the
/// report as parsed so far (the explorer draws from it while loading).
pub fn read_source(
    report: &mut Report,
    mut src: Source,
    format: Option<Format>,
    progress: &mut dyn FnMut(&Report, Progress),
) -> Result<(), LoadError> {
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut raw = std::mem::replace(&mut src.reader, Box::new(std::io::empty()));
    if src.live {
        raw = Box::new(live::Live::new(raw));
    }
    let mut head = source::Peek::new(Box::new(sniff::Sniff::new(raw, refused.clone())));
    let sniff = if src.live {
        // A pipe from a running valgrind: decide as soon as its first
        // complete lines say what it is, not after 64 KiB.
        head.peek_until(64 * 1024, |h| {
            let complete = memchr::memrchr(b'\n', h).map_or(0, |i| i + 1);
            sniff::has_marker(&h[..complete])
        })
    } else {
        head.peek(64 * 1024)
    }
    .to_vec();
    if looks_binary(&sniff) && !sniff::has_marker(&sniff) {
        // Decided from the first 64 KiB: a 2 GB file of zeros is not read.
        return Err(LoadError::Nothing {
            path: src.name,
            detail: " (this looks like a binary file)".into(),
        });
    }
    let format = format.unwrap_or_else(|| detect_format(&sniff));
    let index = report.inputs.len();
    report.inputs.push(Input {
        path: src.name.clone(),
        format,
        warnings: Vec::new(),
        bytes: 0,
        lines: 0,
    });
    let processes_before = report.processes.len();
    match format {
        Format::ValgrindText => read_text(report, index, &src, head, progress),
        // XML is shown as it comes only every so many lines (quick-xml
        // cannot resume after a pause).
        Format::ValgrindXml if src.live => {
            let patient = source::Peek::new(Box::new(live::Patient(head)));
            xml::read_xml(report, index, &src, patient, progress)
        }
        Format::ValgrindXml => xml::read_xml(report, index, &src, head, progress),
        Format::Lsan => lsan::read_lsan(report, index, &src, head, progress),
    }
    let numbering = numbering::check(report, processes_before);
    if !numbering.is_empty() {
        let warnings = &mut report.inputs[index].warnings;
        warnings.extend(numbering);
        warnings.sort_by_key(|w| w.line);
    }
    if format == Format::ValgrindText && !src.live {
        marks::label_log(report, processes_before, &src.name);
    }
    if refused.load(std::sync::atomic::Ordering::Relaxed) {
        report.processes.truncate(processes_before);
        report.inputs.pop();
        return Err(LoadError::Nothing {
            path: src.name,
            detail: format!(
                " (none in the first {}; stopped reading)",
                crate::report::human::bytes(sniff::LIMIT)
            ),
        });
    }
    let input = &report.inputs[index];
    let found = report.processes[processes_before..].iter().any(|p| {
        p.tool.is_some()
            || !p.errors.is_empty()
            || !p.leak_searches.is_empty()
            || p.command.is_some()
            || p.unreadable_records > 0
    });
    if !found {
        let detail = if looks_binary(&sniff) {
            " (this looks like a binary file)".to_string()
        } else if let Some(w) = input.warnings.first() {
            format!(" ({})", w.message)
        } else {
            String::new()
        };
        report.processes.truncate(processes_before);
        report.inputs.pop();
        return Err(LoadError::Nothing {
            path: src.name,
            detail,
        });
    }
    Ok(())
}

fn read_text(
    report: &mut Report,
    index: usize,
    src: &Source,
    reader: source::Peek,
    progress: &mut dyn FnMut(&Report, Progress),
) {
    let text::ReadEnd {
        lines,
        bytes,
        error,
        long_lines,
    } = text::read_chunked(
        report,
        index,
        reader,
        text::ChunkSizes::default(),
        &mut |_| progress_of(src, 0),
        progress,
    );
    text::warn_open_searches(report, index);
    let input = &mut report.inputs[index];
    input
        .warnings
        .extend(reader_warnings(&long_lines, error.as_ref(), lines));
    input.warnings.sort_by_key(|w| w.line);
    input.bytes = bytes;
    input.lines = lines;
    progress(report, progress_of(src, lines));
}

fn progress_of(src: &Source, lines: u64) -> Progress {
    Progress {
        read: src.progress.load(std::sync::atomic::Ordering::Relaxed),
        total: src.size,
        lines,
        idle: false,
    }
}

/// Turns what the reader noticed (over-long lines, a read error) into warnings.
fn reader_warnings(long_lines: &[u64], error: Option<&std::io::Error>, lines: u64) -> Vec<Warning> {
    let mut warnings: Vec<Warning> = long_lines
        .iter()
        .take(10)
        .map(|&l| Warning {
            line: l,
            message: format!(
                "line longer than {} bytes; only its start was read",
                source::MAX_LINE
            ),
        })
        .collect();
    if let Some(e) = error {
        let message = if lines == 0 {
            format!("reading failed before the first line: {e}")
        } else {
            format!("reading stopped after this line: {e} (truncated or corrupt input?)")
        };
        warnings.push(Warning {
            line: lines,
            message,
        });
    }
    warnings
}

fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096)];
    !sample.is_empty()
        && (sample.contains(&0)
            || sample
                .iter()
                .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b))
                .count()
                * 10
                > sample.len())
}

/// Loads every path (or `-` for stdin) into one report. Stops at the first
/// input that cannot be read at all. A `leakscope run` directory counts as
/// one path: its logs with their snapshots ([`rundir`]).
pub fn load_paths(paths: &[String], format: Option<Format>) -> Result<Report, LoadError> {
    let mut report = Report::new();
    for path in paths {
        if rundir::is_run_dir(std::path::Path::new(path)) {
            rundir::read_run_dir(&mut report, std::path::Path::new(path))?;
            continue;
        }
        let src = source::open(path)?;
        read_source(&mut report, src, format, &mut |_, _| {})?;
    }
    Ok(report)
}

/// Parses bytes held in memory (tests, fuzzing, benchmarks).
pub fn parse_bytes(name: &str, data: &[u8], format: Option<Format>) -> Result<Report, LoadError> {
    let mut report = Report::new();
    let src = source::from_reader(name.into(), Box::new(std::io::Cursor::new(data.to_vec())));
    read_source(&mut report, src, format, &mut |_, _| {})?;
    Ok(report)
}

/// A fixture from tests/fixtures, gunzipped when its name ends in `.gz`:
/// the parsers' unit tests compare readers on the same real logs.
#[cfg(test)]
pub(crate) fn test_fixture(name: &str) -> Vec<u8> {
    use std::io::Read;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let raw = std::fs::read(&path).expect("fixture");
    if !name.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}
