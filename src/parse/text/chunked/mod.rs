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

mod cutter;
mod merge;

use super::newlines::NewLines;
use super::{ChunkFrames, TextParser};
use crate::model::{MemcheckError, Report, Warning};
use crate::parse::source::LineReader;
use crate::parse::Progress;
use cutter::{split_input, Splitter};
use merge::Merger;
use std::io::Read;
use std::sync::mpsc;

/// One read of the input; a chunk buffer holds a chunk and two reads.
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
    /// Chunks of 768 KiB (the one constant to tune: [`CHUNK`]), read
    /// 256 KiB at a time.
    fn default() -> Self {
        ChunkSizes {
            chunk: CHUNK,
            max_pending: CHUNK + 2 * READ,
        }
    }
}

/// A chunk is cut at the first clean point past this many bytes. Smaller
/// chunks cost no CPU now that a chunk's worker interns no frames (it
/// numbers its frame texts; the merge interns each once). On the 1.1 GB
/// log, 6 alternating runs at load 5-6, medians of CPU: 2 MiB 2.04 s,
/// 1 MiB 2.02 s, 768 KiB 1.98 s (it was 2.53 s at 2 MiB against 2.96 s at
/// 768 KiB before). The buffers in flight (one per worker and the one
/// being filled) are a 1 M small records log's parse peak: 74.5 MB at
/// 2 MiB, 70.5 at 1 MiB, 68.9 at 768 KiB, 68.2 at 512 KiB. An item
/// without a clean point for a chunk and two reads (valgrind caps stacks
/// at 500 frames, ~100 KB) is read in order from there on, so a malformed
/// or synthetic giant record is never buffered whole.
pub const CHUNK: usize = 768 << 10;

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
    /// Where each line of the chunk ends (its newline's offset), as the
    /// cutter found them: the worker need not look for them again. `None`
    /// for a chunk the cutter did not scan whole (a live stream's tail, the
    /// input's last bytes).
    ends: Option<Vec<u32>>,
}

struct Parsed {
    seq: u64,
    provisional: Option<u64>,
    report: Report,
    /// Its frames, as texts: its report's stacks number them.
    frames: ChunkFrames,
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
    // Chunk buffers go back to the reader once parsed: no page faults and
    // no zeroing for fresh memory on every chunk. A parsed chunk no longer
    // needs its bytes, so the reader reads on while the main thread merges
    // (returned only once merged, the buffers in flight were all held by
    // chunks waiting for the merge, and a worker or the reader stalled).
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    // How far the reader may run ahead of the merge, in chunks: parsed
    // chunks waiting for it hold their reports (a fraction of their bytes).
    let (merged_tx, merged_rx) = mpsc::channel::<()>();
    let ahead = Ahead {
        merged: merged_rx,
        unmerged: 0,
        most: workers + 2,
    };
    let mut merger = Merger::new(input);

    let end = std::thread::scope(|scope| {
        let mut worker_threads = Vec::with_capacity(workers);
        for _ in 0..workers {
            let rx = &job_rx;
            let tx = done_tx.clone();
            let pool = pool_tx.clone();
            worker_threads.push(scope.spawn(move || loop {
                let job = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                let (parsed, data) = parse_chunk(input, job);
                if let Some(data) = data {
                    let _ = pool.send(data);
                }
                if tx.send(Done::Parsed(Box::new(parsed))).is_err() {
                    return;
                }
            }));
        }
        let idle_tx = done_tx;
        drop(pool_tx);
        let reader_thread = scope
            .spawn(move || split_input(reader, workers, sizes, job_tx, pool_rx, idle_tx, ahead));
        // This thread merges, in input order, as chunks come back.
        for done in done_rx.iter() {
            let Done::Parsed(parsed) = done else {
                merger.idle(report, progress, on_progress);
                continue;
            };
            for _ in 0..merger.take(report, *parsed, progress, on_progress) {
                let _ = merged_tx.send(());
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
        let (tail, _) = parse_chunk(
            input,
            Chunk {
                seq: merger.next,
                line_base,
                len: pending.len(),
                data: pending,
                provisional: None,
                ends: None,
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

/// Parses a chunk; hands back its buffer for reuse (a provisional tail's
/// is a copy, not one of the reader's).
fn parse_chunk(input: usize, job: Chunk) -> (Parsed, Option<Vec<u8>>) {
    // Its interner holds only stacks, of the chunk's frame texts' numbers
    // (see `frame_texts`): frames are interned by the merge, each distinct
    // text once, and a location is parsed only when new to the log.
    let mut report = Report::new();
    // A MiB of the 1.1 GB log holds ~220 stacks of ~55 frames, one of 1 M
    // small records ~3,200 of 3: room for either without growing (its
    // index grew by doubling, hashing every stack again each time).
    report.interner.reserve_stacks(job.len / 256, job.len / 64);
    let mut parser = TextParser::for_chunk(input);
    // Lines straight from the chunk, no copy; the splitter already noted any
    // over-long line, which is cut to the same length LineReader keeps.
    let data = &job.data[..job.len];
    match &job.ends {
        // Lines the cutter scanned (a cut chunk ends with a whole line):
        // repeated runs of frame lines are passed over whole (`repeats`).
        Some(ends) => parser.feed_lines(&mut report, data, ends, job.line_base),
        None => {
            let (mut start, mut no) = (0, job.line_base);
            let last = (!data.is_empty() && !data.ends_with(b"\n")).then_some(data.len());
            let mut line = |end: usize| {
                no += 1;
                let line = &data[start..end.min(start + crate::parse::source::MAX_LINE)];
                parser.feed(&mut report, no, line);
                start = end + 1;
            };
            NewLines::new(data, 0).for_each(&mut line);
            if let Some(end) = last {
                line(end);
            }
        }
    }
    parser.finish(&mut report);
    let parsed = Parsed {
        seq: job.seq,
        provisional: job.provisional,
        report,
        frames: parser.take_chunk_frames(),
        warnings: std::mem::take(&mut parser.warnings),
        listed: std::mem::take(&mut parser.unmatched_listed),
    };
    (parsed, job.provisional.is_none().then_some(job.data))
}

/// The reader's bound on chunks sent but not yet merged.
struct Ahead {
    /// A unit for each chunk merged.
    merged: mpsc::Receiver<()>,
    unmerged: usize,
    most: usize,
}

impl Ahead {
    /// Waits until one more chunk may be sent, and counts it. False when
    /// the merging thread is gone.
    fn admit(&mut self) -> bool {
        while self.merged.try_recv().is_ok() {
            self.unmerged -= 1;
        }
        while self.unmerged >= self.most {
            if self.merged.recv().is_err() {
                return false;
            }
            self.unmerged -= 1;
        }
        self.unmerged += 1;
        true
    }
}
