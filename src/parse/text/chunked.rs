//! Parsing a text log on every core.
//!
//! The log is cut into chunks at clean points — every PID between two items,
//! so no record, error or summary spans a cut — and each chunk is parsed on a
//! worker thread into a report of its own, then merged in order. A log with no
//! clean point for a long stretch (prefix-less, one enormous line) falls back
//! to one parser that resumes where the merged chunks end. Memory stays
//! bounded: a few chunks in flight, never the whole input.

use super::TextParser;
use crate::model::{MemcheckError, Remap, Report, Warning};
use crate::parse::source::LineReader;
use crate::parse::Progress;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;

const READ: usize = 256 << 10;

/// Sizes that steer the cutting; tests shrink them to force many cuts.
#[derive(Debug, Clone, Copy)]
pub struct ChunkSizes {
    /// A chunk is cut at the first clean point past this size.
    pub chunk: usize,
    /// With no clean point for this long, stop cutting and parse the rest in order.
    pub max_pending: usize,
}

impl Default for ChunkSizes {
    fn default() -> Self {
        ChunkSizes {
            chunk: 8 << 20,
            max_pending: 64 << 20,
        }
    }
}

struct Chunk {
    seq: u64,
    /// Lines before this chunk, so its line numbers can be made absolute.
    line_base: u64,
    /// The chunk is `data[..len]`; the buffer keeps its whole (initialised)
    /// length so that reusing it never zero-fills it again.
    data: Vec<u8>,
    len: usize,
}

struct Parsed {
    seq: u64,
    /// The chunk's bytes, returned for reuse.
    data: Vec<u8>,
    report: Report,
    warnings: Vec<Warning>,
    listed: Vec<(u32, MemcheckError)>,
}

/// What the reader thread hands back when the input ends or it gives up
/// cutting (no clean point for too long).
struct ReaderEnd<R> {
    splitter: Splitter,
    /// Bytes after the last cut, not yet parsed.
    pending: Vec<u8>,
    reader: R,
    bytes: u64,
    error: Option<std::io::Error>,
    sequential: bool,
}

/// How reading an input ended.
pub struct ReadEnd {
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The read error that ended the input early, if any.
    pub error: Option<std::io::Error>,
    /// Lines longer than the longest kept whole.
    pub long_lines: Vec<u64>,
}

/// Reads a whole text input into `report` as input `input`. Returns the
/// number of lines and bytes read, the read error that ended it early, and
/// the over-long lines.
pub fn read_chunked<R: Read + Send>(
    report: &mut Report,
    input: usize,
    reader: R,
    sizes: ChunkSizes,
    progress: &mut dyn FnMut(&Report) -> Progress,
    on_progress: &mut dyn FnMut(&Report, Progress),
) -> ReadEnd {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let (job_tx, job_rx) = mpsc::sync_channel::<Chunk>(workers);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Parsed>();
    // Chunk buffers go back to the reader once merged: no page faults and no
    // zeroing for fresh memory on every chunk.
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    let mut merger = Merger {
        input,
        next: 0,
        waiting: BTreeMap::new(),
    };

    let end = std::thread::scope(|scope| {
        let mut worker_threads = Vec::with_capacity(workers);
        for _ in 0..workers {
            let rx = &job_rx;
            let tx = done_tx.clone();
            worker_threads.push(scope.spawn(move || loop {
                let job = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                if tx.send(parse_chunk(input, job)).is_err() {
                    return;
                }
            }));
        }
        drop(done_tx);
        let reader_thread =
            scope.spawn(move || split_input(reader, workers, sizes, job_tx, pool_rx));
        // This thread merges, in input order, as chunks come back.
        for parsed in done_rx.iter() {
            for data in merger.take(report, parsed, progress, on_progress) {
                let _ = pool_tx.send(data);
            }
        }
        // Joined one by one, not left to the end of the scope: a scope only
        // waits for each closure to return, while `join` waits for the thread
        // to exit, thread-locals (std's channel context) destroyed. No parse
        // thread outlives this call; LeakSanitizer (fuzzing) saw them do so.
        for w in worker_threads {
            let _ = w.join();
        }
        reader_thread.join()
    });
    let Ok(end) = end else {
        // The reader thread panicked: nothing more can be read.
        return ReadEnd {
            lines: 0,
            bytes: 0,
            error: Some(std::io::Error::other("reader thread failed")),
            long_lines: Vec::new(),
        };
    };
    let ReaderEnd {
        splitter,
        pending,
        reader,
        bytes,
        error,
        sequential,
    } = end;
    let line_base = splitter.lines_before_pending;
    let mut long = splitter.long_lines;
    if sequential {
        // Resume at the last clean point and read the rest line by line.
        // `bytes` already counts `pending`, which the line reader reads again.
        let before_pending = bytes - pending.len() as u64;
        let mut parser = TextParser::resume(input, report);
        let mut lines = LineReader::new(std::io::Cursor::new(pending).chain(reader));
        let mut next = 1u64 << 16;
        while let Some(line) = lines.next_line() {
            parser.feed(report, line_base + line.no, line.text);
            if line.no >= next {
                next += 1 << 16;
                let p = progress(report);
                on_progress(report, p);
            }
        }
        parser.finish(report);
        let warnings = std::mem::take(&mut parser.warnings);
        report.inputs[input].warnings.extend(warnings);
        long.extend(lines.long_lines.iter().map(|l| l + line_base));
        return ReadEnd {
            lines: line_base + lines.line_no,
            bytes: before_pending + lines.bytes,
            error: lines.error.or(error),
            long_lines: long,
        };
    }
    let total_lines = splitter.lines_scanned + splitter.partial_line as u64;
    if !pending.is_empty() {
        let tail = parse_chunk(
            input,
            Chunk {
                seq: merger.next,
                line_base,
                len: pending.len(),
                data: pending,
            },
        );
        merger.take(report, tail, progress, on_progress);
    }
    ReadEnd {
        lines: total_lines,
        bytes,
        error,
        long_lines: long,
    }
}

/// The reader thread: reads, finds clean cuts, sends chunks to the workers.
fn split_input<R: Read>(
    mut reader: R,
    workers: usize,
    sizes: ChunkSizes,
    jobs: mpsc::SyncSender<Chunk>,
    pool: mpsc::Receiver<Vec<u8>>,
) -> ReaderEnd<R> {
    // Recycled buffers keep their (zeroed once) length; a fresh one starts
    // small, so a small log never pays for a chunk-sized buffer. At most
    // `max_buffers` exist: when all are out, wait for the merge to return one,
    // which bounds memory however far the workers run ahead.
    let max_buffers = workers + 3;
    let mut created = 0usize;
    let mut fresh = |pool: &mpsc::Receiver<Vec<u8>>| {
        let recycled = if created < max_buffers {
            pool.try_recv().ok()
        } else {
            pool.recv().ok()
        };
        match recycled {
            Some(mut b) => {
                let len = b.capacity().max(2 * READ);
                b.resize(len, 0);
                b
            }
            None => {
                created += 1;
                vec![0; 2 * READ]
            }
        }
    };
    let mut splitter = Splitter {
        chunk: sizes.chunk,
        ..Splitter::default()
    };
    let mut pending = fresh(&pool);
    let mut filled = 0usize;
    let mut bytes = 0u64;
    let mut error = None;
    let mut seq = 0u64;
    let mut sequential = false;
    loop {
        if filled + READ > pending.len() {
            if pending.len() >= sizes.max_pending {
                sequential = true;
                break;
            }
            pending.resize(pending.len() * 2, 0);
        }
        let n = match reader.read(&mut pending[filled..filled + READ]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        bytes += n as u64;
        filled += n;
        while let Some(cut) = splitter.scan(&pending[..filled]) {
            let mut next = fresh(&pool);
            next[..filled - cut].copy_from_slice(&pending[cut..filled]);
            let data = std::mem::replace(&mut pending, next);
            filled -= cut;
            splitter.rebase(cut);
            let line_base = splitter.lines_before_pending;
            splitter.lines_before_pending = splitter.lines_scanned;
            if jobs
                .send(Chunk {
                    seq,
                    line_base,
                    data,
                    len: cut,
                })
                .is_err()
            {
                break;
            }
            seq += 1;
        }
    }
    pending.truncate(filled);
    ReaderEnd {
        splitter,
        pending,
        reader,
        bytes,
        error,
        sequential,
    }
}

fn parse_chunk(input: usize, job: Chunk) -> Parsed {
    let mut report = Report::new();
    let mut parser = TextParser::for_chunk(input);
    // Lines straight from the chunk, no copy; the splitter already noted any
    // over-long line, which is cut to the same length LineReader keeps.
    let data = &job.data[..job.len];
    let (mut start, mut no) = (0, job.line_base);
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        no += 1;
        let line = &data[start..end.min(start + crate::parse::source::MAX_LINE)];
        parser.feed(&mut report, no, line);
        start = end + 1;
    }
    parser.finish(&mut report);
    Parsed {
        seq: job.seq,
        data: job.data,
        report,
        warnings: std::mem::take(&mut parser.warnings),
        listed: std::mem::take(&mut parser.unmatched_listed),
    }
}

/// Merges parsed chunks into the report in input order.
struct Merger {
    input: usize,
    next: u64,
    waiting: BTreeMap<u64, Parsed>,
}

impl Merger {
    fn take(
        &mut self,
        report: &mut Report,
        p: Parsed,
        progress: &mut dyn FnMut(&Report) -> Progress,
        on_progress: &mut dyn FnMut(&Report, Progress),
    ) -> Vec<Vec<u8>> {
        let mut spent = Vec::new();
        self.waiting.insert(p.seq, p);
        while let Some(mut p) = self.waiting.remove(&self.next) {
            self.next += 1;
            spent.push(std::mem::take(&mut p.data));
            merge(report, self.input, p);
            let pr = progress(report);
            on_progress(report, pr);
        }
        spent
    }
}

/// Moves a chunk's processes into the report, renumbering its frames and
/// stacks, and joining a leak search that the cut split in two.
fn merge(report: &mut Report, input: usize, part: Parsed) {
    let remap: Remap = report.interner.absorb(&part.report.interner);
    report.inputs[input].warnings.extend(part.warnings);
    let mut by_pid: FxHashMap<u32, usize> = FxHashMap::default();
    for (i, p) in report.processes.iter().enumerate() {
        if p.input == input {
            by_pid.insert(p.pid, i);
        }
    }
    for mut proc in part.report.processes {
        proc.input = input;
        for e in &mut proc.errors {
            remap_error(&remap, e);
        }
        for s in &mut proc.leak_searches {
            for r in &mut s.records {
                r.stack = remap.stack(r.stack);
            }
        }
        let Some(&t) = by_pid.get(&proc.pid) else {
            by_pid.insert(proc.pid, report.processes.len());
            report.processes.push(proc);
            continue;
        };
        let main = &mut report.processes[t];
        main.command = main.command.take().or(proc.command);
        main.tool = main.tool.take().or(proc.tool);
        main.valgrind_version = main.valgrind_version.take().or(proc.valgrind_version);
        main.ppid = main.ppid.or(proc.ppid);
        main.options.extend(proc.options);
        main.errors.extend(proc.errors);
        let mut searches = proc.leak_searches.into_iter();
        if let Some(open) = main
            .leak_searches
            .last_mut()
            .filter(|s| s.summary.is_none())
        {
            if let Some(first) = searches.next() {
                open.records.extend(first.records);
                open.summary = first.summary;
            }
        }
        main.leak_searches.extend(searches);
        main.heap_summary = proc.heap_summary.or(main.heap_summary);
        main.error_summary = proc.error_summary.or(main.error_summary);
        main.used_suppressions.extend(proc.used_suppressions);
        main.fatal_signal = proc.fatal_signal.or(main.fatal_signal.take());
        main.unreadable_records += proc.unreadable_records;
    }
    for (pid, mut e) in part.listed {
        remap_error(&remap, &mut e);
        let Some(&t) = by_pid.get(&pid) else { continue };
        let errors = &mut report.processes[t].errors;
        match errors
            .iter_mut()
            .find(|x| x.kind == e.kind && x.stack == e.stack && x.what == e.what)
        {
            Some(x) => x.count = e.count,
            None => errors.push(e),
        }
    }
}

fn remap_error(remap: &Remap, e: &mut MemcheckError) {
    e.stack = remap.stack(e.stack);
    for a in &mut e.aux {
        a.stack = remap.stack(a.stack);
    }
}

/// Finds clean cut points while the input streams past.
#[derive(Default)]
struct Splitter {
    /// Offset in `pending` up to which lines were scanned.
    scanned: usize,
    lines_scanned: u64,
    lines_before_pending: u64,
    /// Whether the unscanned tail holds the start of a line (for the count).
    partial_line: bool,
    /// PIDs whose last line was not blank (mid-item).
    busy: FxHashMap<u32, bool>,
    busy_count: usize,
    in_supp: bool,
    /// After an ERROR SUMMARY the -v listing may follow; no cuts there.
    summary_seen: bool,
    long_lines: Vec<u64>,
    prefix: super::PrefixCache,
    chunk: usize,
}

impl Splitter {
    /// Scans newly arrived lines; returns a cut offset when one is due.
    fn scan(&mut self, data: &[u8]) -> Option<usize> {
        while let Some(nl) = memchr::memchr(b'\n', &data[self.scanned..]) {
            let start = self.scanned;
            let line = &data[start..start + nl];
            let clean_before = self.busy_count == 0 && !self.in_supp && !self.summary_seen;
            if line.len() > crate::parse::source::MAX_LINE {
                self.long_lines.push(self.lines_scanned + 1);
            }
            if let Some((prefix, content)) = self.prefix.split(line) {
                let blank = content.trim_ascii().is_empty();
                if !blank && clean_before && start >= self.chunk {
                    // Cut before this line; it is scanned again in the next chunk.
                    return Some(start);
                }
                if content.starts_with(b"ERROR SUMMARY") {
                    self.summary_seen = true;
                }
                let busy = self.busy.entry(prefix.pid).or_insert(false);
                if *busy == blank {
                    *busy = !blank;
                    if blank {
                        self.busy_count -= 1;
                    } else {
                        self.busy_count += 1;
                    }
                }
                self.in_supp = false;
            } else {
                let t = line.trim_ascii();
                if t == b"{" {
                    self.in_supp = true;
                } else if t == b"}" {
                    self.in_supp = false;
                }
            }
            self.scanned = start + nl + 1;
            self.lines_scanned += 1;
        }
        self.partial_line = self.scanned < data.len();
        None
    }

    /// The first `cut` bytes were sent away: offsets now start after them.
    fn rebase(&mut self, cut: usize) {
        self.scanned -= cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summarize;

    /// The whole log through one parser, for comparison.
    fn sequential(data: &[u8]) -> Report {
        let mut report = Report::new();
        report.inputs.push(test_input());
        let mut parser = TextParser::new(0);
        let mut lines = LineReader::new(data);
        while let Some(l) = lines.next_line() {
            parser.feed(&mut report, l.no, l.text);
        }
        parser.finish(&mut report);
        report.inputs[0].warnings.extend(parser.warnings);
        report
    }

    fn test_input() -> crate::model::Input {
        crate::model::Input {
            path: "t".into(),
            format: crate::model::Format::ValgrindText,
            warnings: Vec::new(),
            bytes: 0,
            lines: 0,
        }
    }

    fn chunked(data: &[u8], sizes: ChunkSizes) -> (Report, u64) {
        let mut report = Report::new();
        report.inputs.push(test_input());
        let ReadEnd { lines, bytes, .. } = read_chunked(
            &mut report,
            0,
            data,
            sizes,
            &mut |_| Progress::default(),
            &mut |_, _| {},
        );
        assert_eq!(bytes, data.len() as u64, "every byte counted once");
        (report, lines)
    }

    use crate::parse::test_fixture as fixture;

    /// Cutting anywhere clean and merging must give exactly what one parser
    /// gives: same processes, records, errors, summaries and groups.
    #[test]
    fn chunked_parse_equals_sequential_parse() {
        for (name, chunks) in [
            ("real/numba-seed-gensupp.txt.gz", &[65_536, 1 << 20][..]),
            ("multi-pid.txt", &[300, 4096][..]),
            ("leaky-v.txt", &[300, 4096][..]),
            ("leaky-ts.txt", &[300, 4096][..]),
            ("delta.txt", &[300, 4096][..]),
            ("truncated.txt", &[300, 4096][..]),
            ("leaky-stderr.txt", &[300, 4096][..]),
        ] {
            let data = fixture(name);
            let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
            for &chunk in chunks {
                let sizes = ChunkSizes {
                    chunk,
                    max_pending: 64 << 20,
                };
                let (got, lines) = chunked(&data, sizes);
                let got_json = serde_json::to_string(&summarize(&got)).unwrap();
                assert!(got_json == want, "{name} with {chunk}-byte chunks differs");
                assert_eq!(
                    lines as usize,
                    data.split(|&b| b == b'\n').filter(|_| true).count()
                        - data.ends_with(b"\n") as usize,
                    "{name}: line count"
                );
                // Suppression texts and record lines survive the merge too.
                let seq = sequential(&data);
                for (a, b) in seq.processes.iter().zip(&got.processes) {
                    let sa: Vec<_> = a
                        .loss_records()
                        .iter()
                        .map(|r| (r.line, r.suppression().map(str::to_owned)))
                        .collect();
                    let sb: Vec<_> = b
                        .loss_records()
                        .iter()
                        .map(|r| (r.line, r.suppression().map(str::to_owned)))
                        .collect();
                    assert_eq!(sa, sb, "{name}: record lines and suppressions");
                }
            }
        }
    }

    /// With no clean point in reach, the rest is parsed in order, resumed
    /// from what the chunks already gave.
    #[test]
    fn falls_back_to_one_parser_without_losing_anything() {
        // A record with a 2 MB stack in the middle: no clean point there.
        let log = fixture("real/numba-seed-gensupp.txt.gz");
        let at = log.len() / 2;
        let at = at
            + log[at..]
                .windows(9)
                .position(|w| w == b"==6110== ")
                .unwrap_or(0);
        let at = at + log[at..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
        let mut data = log[..at].to_vec();
        let frame = b"==6110==    by 0x4AA2A3F: _PyEval_Vector (ceval.c:6434)\n";
        while data.len() < at + (2 << 20) {
            data.extend_from_slice(frame);
        }
        data.extend_from_slice(&log[at..]);
        let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
        let sizes = ChunkSizes {
            chunk: 256 << 10,
            max_pending: 1 << 20,
        };
        let (got, _) = chunked(&data, sizes);
        assert_eq!(serde_json::to_string(&summarize(&got)).unwrap(), want);
    }
}
