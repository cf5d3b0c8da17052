//! Parsing a text log on every core.
//!
//! The log is cut into chunks at clean points — every PID between two items,
//! so no record, error or summary spans a cut — and each chunk is parsed on a
//! worker thread into a report of its own, then merged in order. A log with no
//! clean point for a long stretch (prefix-less, one enormous line) falls back
//! to one parser that resumes where the merged chunks end. Memory stays
//! bounded: a few chunks in flight, never the whole input.
//!
//! A live stream (a pipe from a running valgrind, [`crate::parse::live`])
//! pauses: then every block up to the last clean point is cut and sent at
//! once, whatever the chunk size, and the rest (its complete blocks) is
//! parsed as a *provisional* chunk: merged into a copy of the report for the
//! explorer to show, never into the report itself. So the report is exactly
//! the one a file gives — the cuts are ordinary clean cuts — and the screen
//! still shows the last record before the writer paused, the summaries after
//! it, and a suppression that follows its record (a cut right after a record
//! would part the two: valgrind prints `--gen-suppressions` blocks after the
//! record's blank line, so a clean point is only known at the next item).

use super::newlines::NewLines;
use super::TextParser;
use crate::model::{MemcheckError, Remap, Report, Warning};
use crate::parse::live;
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
    /// Chunks of 2 MiB keep the buffers in flight (a few per worker) small
    /// next to the report; an item without a clean point for 2.5 MiB — a
    /// chunk and two reads past it (valgrind caps stacks at 500 frames,
    /// ~100 KB) — is read in order from there on, so a malformed or
    /// synthetic giant record is never buffered whole. (At 4 MiB, that
    /// buffer was the peak of a 47 MB record's whole parse.)
    fn default() -> Self {
        ChunkSizes {
            chunk: 2 << 20,
            max_pending: (2 << 20) + 2 * READ,
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
    /// A live stream's provisional tail (with its generation): shown, never
    /// merged into the report.
    provisional: Option<u64>,
}

struct Parsed {
    seq: u64,
    provisional: Option<u64>,
    /// The chunk's bytes, returned for reuse.
    data: Vec<u8>,
    report: Report,
    warnings: Vec<Warning>,
    listed: Vec<(u32, MemcheckError)>,
}

/// What comes back to the merging thread.
enum Done {
    Parsed(Box<Parsed>),
    /// A live stream is still paused: nothing new (the explorer may yet owe
    /// the last view a snapshot).
    Idle,
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
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    // Chunk buffers go back to the reader once merged: no page faults and no
    // zeroing for fresh memory on every chunk.
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    let mut merger = Merger {
        input,
        next: 0,
        waiting: BTreeMap::new(),
        provisional: None,
        view: None,
        shown: 0,
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
                if tx
                    .send(Done::Parsed(Box::new(parse_chunk(input, job))))
                    .is_err()
                {
                    return;
                }
            }));
        }
        let idle_tx = done_tx;
        let reader_thread =
            scope.spawn(move || split_input(reader, workers, sizes, job_tx, pool_rx, idle_tx));
        // This thread merges, in input order, as chunks come back.
        for done in done_rx.iter() {
            let Done::Parsed(parsed) = done else {
                merger.idle(report, progress, on_progress);
                continue;
            };
            for data in merger.take(report, *parsed, progress, on_progress) {
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
        let mut lines = LineReader::new(ThenRest {
            head: pending,
            pos: 0,
            rest: reader,
        });
        let mut next = 1u64 << 16;
        loop {
            let Some(line) = lines.next_line() else {
                // A live stream paused: show what is parsed so far.
                let Some(idle) = lines.pause() else { break };
                let p = progress(report);
                on_progress(report, Progress { idle, ..p });
                continue;
            };
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
                provisional: None,
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

/// The bytes already read ahead, then the rest of the input. The bytes are
/// freed as soon as they have been read, not kept for the whole parse.
struct ThenRest<R> {
    head: Vec<u8>,
    pos: usize,
    rest: R,
}

impl<R: Read> Read for ThenRest<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            if self.pos == self.head.len() {
                self.head = Vec::new();
                self.pos = 0;
            }
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

/// The reader thread: reads, finds clean cuts, sends chunks to the workers.
fn split_input<R: Read>(
    mut reader: R,
    workers: usize,
    sizes: ChunkSizes,
    jobs: mpsc::SyncSender<Chunk>,
    pool: mpsc::Receiver<Vec<u8>>,
    idle: mpsc::Sender<Done>,
) -> ReaderEnd<R> {
    // Recycled buffers keep their (zeroed once) length; a fresh one starts
    // small, so a small log never pays for a chunk-sized buffer. At most
    // `max_buffers` exist: when all are out, wait for the merge to return one,
    // which bounds memory however far the workers run ahead.
    let max_buffers = workers + 2;
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
    // The provisional view last sent (chunk number, length) and its generation.
    let mut shown = (0u64, 0usize);
    let mut generation = 0u64;
    loop {
        if filled + READ > pending.len() {
            if pending.len() >= sizes.max_pending {
                sequential = true;
                break;
            }
            // Grown to just hold a chunk and a read past its cut, then
            // doubled for an item that has no clean point, up to the most
            // that is buffered (not past it: a 1 M-frame record's buffer
            // was the peak of its whole parse).
            let fits = sizes.chunk + 2 * READ;
            let len = pending.len();
            let grown = if len < fits {
                (len * 2).min(fits)
            } else {
                (len * 2).min(sizes.max_pending.max(len + READ))
            };
            // Exactly that: `resize` alone grows the capacity amortized
            // (to 4 MiB for a 2.5 MiB buffer), and a recycled buffer is
            // filled to its capacity, so each of the buffers in flight
            // would keep 1.5 MiB more resident than it ever holds.
            let want = grown.max(filled + READ);
            pending.reserve_exact(want - pending.len());
            pending.resize(want, 0);
        }
        let n = match reader.read(&mut pending[filled..filled + READ]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if live::is_pause(&e) => {
                // A live stream paused: everything up to the last clean
                // point is parsed now, the rest shown provisionally.
                if splitter.last_clean > 0 {
                    let (cut, lines) = (splitter.last_clean, splitter.last_clean_lines);
                    let next = rest_after(fresh(&pool), &pending[cut..filled]);
                    let data = std::mem::replace(&mut pending, next);
                    filled -= cut;
                    if !send_cut(&mut splitter, &jobs, &mut seq, data, cut, lines) {
                        break;
                    }
                }
                let len = live::complete_len(&pending[..filled]);
                if len == 0 || shown == (seq, len) {
                    let _ = idle.send(Done::Idle);
                    continue;
                }
                shown = (seq, len);
                generation += 1;
                let view = Chunk {
                    seq,
                    line_base: splitter.lines_before_pending,
                    data: pending[..len].to_vec(),
                    len,
                    provisional: Some(generation),
                };
                if jobs.send(view).is_err() {
                    break;
                }
                continue;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        bytes += n as u64;
        filled += n;
        while let Some(cut) = splitter.scan(&pending[..filled]) {
            let next = rest_after(fresh(&pool), &pending[cut..filled]);
            let data = std::mem::replace(&mut pending, next);
            filled -= cut;
            let lines = splitter.lines_scanned;
            if !send_cut(&mut splitter, &jobs, &mut seq, data, cut, lines) {
                break;
            }
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

/// `buf` (a fresh chunk buffer) starting with `rest`, the bytes after a cut
/// — which can be longer than a buffer when a long line follows the cut.
fn rest_after(mut buf: Vec<u8>, rest: &[u8]) -> Vec<u8> {
    if buf.len() < rest.len() + READ {
        let want = (rest.len() + READ).next_power_of_two();
        buf.reserve_exact(want - buf.len());
        buf.resize(want, 0);
    }
    buf[..rest.len()].copy_from_slice(rest);
    buf
}

/// Sends `data[..cut]` (the lines before line `lines_at_cut`, counted from
/// the input's start) to the workers as the next chunk. False when the
/// workers are gone.
fn send_cut(
    splitter: &mut Splitter,
    jobs: &mpsc::SyncSender<Chunk>,
    seq: &mut u64,
    data: Vec<u8>,
    cut: usize,
    lines_at_cut: u64,
) -> bool {
    splitter.rebase(cut);
    let line_base = splitter.lines_before_pending;
    splitter.lines_before_pending = lines_at_cut;
    let chunk = Chunk {
        seq: *seq,
        line_base,
        data,
        len: cut,
        provisional: None,
    };
    *seq += 1;
    jobs.send(chunk).is_ok()
}

fn parse_chunk(input: usize, job: Chunk) -> Parsed {
    let mut report = Report::new();
    // Locations are parsed once, by the merge, for those new to the log.
    report.interner = crate::model::Interner::deferred(super::frame_location);
    // A 2 MiB chunk of a real log has some 650 distinct frames at 400
    // locations; a log of small distinct records a few thousand. Tables
    // sized for every line were mostly empty, and zeroing them cost more
    // than growing these.
    report.interner.reserve(job.len / 1024, job.len / 2048);
    let mut parser = TextParser::for_chunk(input);
    // Lines straight from the chunk, no copy; the splitter already noted any
    // over-long line, which is cut to the same length LineReader keeps.
    let data = &job.data[..job.len];
    let (mut start, mut no) = (0, job.line_base);
    let last = (!data.is_empty() && !data.ends_with(b"\n")).then_some(data.len());
    for end in NewLines::new(data, 0).chain(last) {
        no += 1;
        let line = &data[start..end.min(start + crate::parse::source::MAX_LINE)];
        parser.feed(&mut report, no, line);
        start = end + 1;
    }
    parser.finish(&mut report);
    Parsed {
        seq: job.seq,
        provisional: job.provisional,
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
    /// The newest provisional tail, until the chunks before it are merged.
    provisional: Option<Parsed>,
    /// The report with the provisional tail merged, while it is current.
    view: Option<Report>,
    /// The generation of the provisional tail last shown.
    shown: u64,
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
        if let Some(g) = p.provisional {
            let newer = !matches!(&self.provisional, Some(q) if q.provisional >= Some(g));
            if newer && g > self.shown {
                self.provisional = Some(p);
            }
        } else {
            self.waiting.insert(p.seq, p);
        }
        while let Some(mut p) = self.waiting.remove(&self.next) {
            self.next += 1;
            spent.push(std::mem::take(&mut p.data));
            merge(report, self.input, p);
            self.view = None;
            let pr = progress(report);
            on_progress(report, pr);
        }
        // A tail whose chunks are all merged is shown; one they overtook is
        // stale.
        match self.provisional.take() {
            Some(q) if q.seq == self.next => {
                self.shown = q.provisional.unwrap_or(0);
                let mut view = report.clone();
                merge(&mut view, self.input, q);
                let pr = progress(&view);
                on_progress(&view, pr);
                self.view = Some(view);
            }
            Some(q) if q.seq > self.next => self.provisional = Some(q),
            _ => {}
        }
        spent
    }

    /// A live stream is still paused: the last view again, marked idle.
    fn idle(
        &mut self,
        report: &Report,
        progress: &mut dyn FnMut(&Report) -> Progress,
        on_progress: &mut dyn FnMut(&Report, Progress),
    ) {
        let shown = self.view.as_ref().unwrap_or(report);
        let pr = progress(shown);
        on_progress(shown, Progress { idle: true, ..pr });
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
    /// A PID known to be mid-item (its last line was not blank): its next
    /// non-blank lines need no look-up.
    busy_pid: Option<u32>,
    in_supp: bool,
    /// The last clean point scanned (0: none since the last cut), and the
    /// lines before it: where a live stream's pause cuts.
    last_clean: usize,
    last_clean_lines: u64,
    /// After an ERROR SUMMARY the -v listing may follow; no cuts there.
    summary_seen: bool,
    long_lines: Vec<u64>,
    prefix: super::PrefixCache,
    chunk: usize,
}

impl Splitter {
    /// Scans newly arrived lines; returns a cut offset when one is due.
    fn scan(&mut self, data: &[u8]) -> Option<usize> {
        for end in NewLines::new(data, self.scanned) {
            let start = self.scanned;
            let line = &data[start..end];
            let clean_before = self.busy_count == 0 && !self.in_supp && !self.summary_seen;
            if line.len() > crate::parse::source::MAX_LINE {
                self.long_lines.push(self.lines_scanned + 1);
            }
            if let Some((prefix, content)) = self.prefix.split(line) {
                // Most lines: the next line of an item already open (a
                // stack), which changes nothing here but the count.
                if self.busy_pid == Some(prefix.pid)
                    && !self.in_supp
                    && content.last().is_some_and(|c| !c.is_ascii_whitespace())
                    && content.first() != Some(&b'E')
                    && line.len() <= crate::parse::source::MAX_LINE
                {
                    self.scanned = end + 1;
                    self.lines_scanned += 1;
                    continue;
                }
                let blank = content.trim_ascii().is_empty();
                if !blank && clean_before && start >= self.chunk {
                    // Cut before this line; it is scanned again in the next chunk.
                    return Some(start);
                }
                if !blank && clean_before && start > 0 {
                    self.last_clean = start;
                    self.last_clean_lines = self.lines_scanned;
                }
                if content.starts_with(b"ERROR SUMMARY") {
                    self.summary_seen = true;
                }
                if !blank {
                    self.busy_pid = Some(prefix.pid);
                } else if self.busy_pid == Some(prefix.pid) {
                    self.busy_pid = None;
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
            self.scanned = end + 1;
            self.lines_scanned += 1;
        }
        self.partial_line = self.scanned < data.len();
        None
    }

    /// The first `cut` bytes were sent away: offsets now start after them.
    fn rebase(&mut self, cut: usize) {
        self.scanned -= cut;
        self.last_clean = 0;
    }
}
