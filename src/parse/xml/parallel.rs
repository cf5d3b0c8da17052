//! XML on every core: a reader thread cuts the document ([`split`]), workers
//! parse runs of top-level `<error>`s into items with interners of their
//! own, and the main parser reads the rest in order, replaying each run's
//! items where its bytes were (as `</error>` after `</error>` would have
//! been handled there), so protocol 4's record numbering still tells one
//! leak search from the next. A worker counts its run's lines from 1 (it
//! counts them anyway, to number its errors) and the main thread moves them
//! to their place when it takes the run: every newline is counted once.
//!
//! [`split`]: super::split

use super::counted::Counted;
use super::parser::{ChunkItems, XmlParser};
use super::seen_frames::KnownFrames;
use super::split::{Buffer, Cut, Splitter};
use super::{feed, InMemory};
use crate::model::{Interner, Report};
use quick_xml::Reader;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes of errors per worker job. The buffers of the jobs in flight (two
/// per worker, plus the one being read and the one being merged) are most
/// of the parse's memory; each job's interner is merged into the report's
/// (its distinct locations hashed again on the main thread) and its first
/// sight of a frame costs more than the next ([`KnownFrames`] makes it
/// cheap), so smaller jobs cost a little more CPU: 1 MiB against 2 MiB,
/// +1.7% instructions for 8 MB less peak memory on big.xml.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Pieces the reader may run ahead of the main parser, per worker (bounds
/// memory: each holds a chunk's buffer). Two keep the workers busy: the
/// main parser takes runs as they are parsed, in order.
const AHEAD_PER_WORKER: usize = 2;

/// A run parsed by a worker.
pub struct Parsed {
    bytes: Buffer,
    newlines: u64,
    interner: Interner,
    chunk: ChunkItems,
}

enum Piece {
    Rest(Buffer),
    Run(Receiver<Parsed>),
    Failed(io::Error),
}

struct Job {
    bytes: Buffer,
    done: SyncSender<Parsed>,
}

/// Parses a run on its own: items plus the interner their stacks live in,
/// with lines counted from the run's first, 1. `known`: the worker's frames
/// from its earlier runs.
fn parse_run(bytes: Buffer, known: &mut KnownFrames) -> Parsed {
    let mut report = Report::new();
    let mut parser = XmlParser::for_chunk(&mut report);
    let newlines = {
        let mut run = InMemory::new(&bytes, 1);
        run.known = Some(std::mem::take(known));
        feed(&mut run, &mut parser, &mut report, &mut |_, _, _| {});
        *known = run.known.take().unwrap_or_default();
        run.newlines()
    };
    let chunk = parser.into_chunk();
    Parsed {
        bytes,
        newlines,
        interner: report.interner,
        chunk,
    }
}

/// A clean run waiting for the main parser to reach its place.
struct Anchor {
    /// Offset in the document of the run's first byte.
    at: u64,
    /// The line of that byte.
    line: u64,
    parsed: Parsed,
}

/// The main parser's byte stream: the rest pieces in order, with clean runs
/// left out (and noted as anchors) and unclean ones read as rest.
pub struct Pieces {
    rx: Receiver<Piece>,
    cur: Buffer,
    pos: usize,
    /// Document offset of the next byte handed to the reader, and its line.
    offset: u64,
    line: u64,
    anchors: VecDeque<Anchor>,
    /// Whether the bytes handed out so far end between complete elements
    /// (last line `<…>`), so the reader's tokenizer cannot be inside a tag,
    /// comment or CDATA section where a run would start.
    tail_clean: bool,
    /// Buffers read, back to the reader thread to be filled again.
    recycle: Sender<Buffer>,
    /// The reader thread is done, or failed with this.
    ended: bool,
    failed: Option<io::Error>,
}

impl Pieces {
    /// `bytes` go to the reader next; `newlines` in them, when known.
    fn hand_out(&mut self, bytes: Buffer, newlines: Option<u64>) {
        if let Some(clean) = ends_between_elements(&bytes) {
            self.tail_clean = clean;
        }
        self.line += newlines.unwrap_or_else(|| memchr::memchr_iter(b'\n', &bytes).count() as u64);
        let old = std::mem::replace(&mut self.cur, bytes);
        self.pos = 0;
        let _ = self.recycle.send(old);
    }
}

/// `Some(true)` when the last non-blank line of `bytes` is a whole tag line
/// at column 0 (`</status>`, `<tool>memcheck</tool>`), `None` when all blank.
fn ends_between_elements(bytes: &[u8]) -> Option<bool> {
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    let start = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |i| i + 1);
    let line = &bytes[start..end];
    Some(line.starts_with(b"<") && !line.starts_with(b"<!") && line.ends_with(b">"))
}

impl Pieces {
    /// Takes the next piece from the reader thread: rest bytes (or an
    /// unclean run's) become what [`Read`] hands out next, a clean run an
    /// anchor. False at the end of the input or on a failure, which the next
    /// read returns.
    fn pull(&mut self) -> bool {
        match self.rx.recv() {
            Err(_) => {
                self.ended = true;
                false
            }
            Ok(Piece::Rest(v)) => {
                self.hand_out(v, None);
                true
            }
            Ok(Piece::Failed(e)) => {
                self.failed = Some(e);
                false
            }
            Ok(Piece::Run(done)) => {
                let Ok(parsed) = done.recv() else {
                    self.failed = Some(io::Error::other("a parser thread failed"));
                    return false;
                };
                if parsed.chunk.clean && self.tail_clean {
                    let (at, line) = (self.offset, self.line);
                    self.offset += parsed.bytes.len() as u64;
                    self.line += parsed.newlines;
                    self.anchors.push_back(Anchor { at, line, parsed });
                } else {
                    self.hand_out(parsed.bytes, Some(parsed.newlines));
                }
                true
            }
        }
    }

    /// Whether everything handed out has been read (`consumed` bytes):
    /// the reader is then between events, at the next piece's place.
    fn all_read(&self, consumed: u64) -> bool {
        self.pos == self.cur.len() && consumed == self.offset && self.anchors.is_empty()
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.cur.len() {
                let n = buf.len().min(self.cur.len() - self.pos);
                buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
                self.pos += n;
                self.offset += n as u64;
                return Ok(n);
            }
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            if self.ended {
                return Ok(0);
            }
            self.pull();
        }
    }
}

/// Before each event of the main reader: the next run whose place has been
/// reached goes into the report; false when there is none. Where the document is not between
/// top-level elements there (a cut misjudged in odd input), the run's bytes
/// are read right there instead, by the main parser.
pub fn merge_reached(
    xml: &mut Reader<Counted<Pieces>>,
    parser: &mut XmlParser,
    report: &mut Report,
) -> bool {
    {
        let consumed = xml.get_ref().bytes_read();
        let counted = xml.get_mut();
        let pieces = counted.inner_mut();
        if pieces.all_read(consumed) && !pieces.ended && pieces.failed.is_none() {
            // Take the next piece here rather than in a read, which would
            // have to go on to the next rest bytes past every run between
            // (holding them all) before the parser could merge any.
            pieces.pull();
        }
        match counted.inner_mut().anchors.front() {
            Some(a) if a.at <= consumed => {}
            _ => return false,
        }
        let Some(a) = counted.inner_mut().anchors.pop_front() else {
            return false;
        };
        let line = a.line;
        let Parsed {
            bytes,
            newlines,
            interner,
            chunk,
        } = a.parsed;
        // quick-xml takes the `<` that ends a text with the text, so the
        // reader may be one byte past the run's place; more means an event
        // ran over it (a comment left open in odd input): its items still go
        // in, next to where they were.
        if a.at + 1 < consumed {
            parser.warn(
                line,
                "a run of errors was merged after markup left open before it".to_string(),
            );
        }
        if parser.at_top() {
            let remap = report.interner.absorb(&interner);
            parser.replay(report, chunk.items, &remap, line - 1);
        } else {
            feed(
                &mut InMemory::new(&bytes, line),
                parser,
                report,
                &mut |_, _, _| {},
            );
        }
        xml.get_mut()
            .skip(bytes.len() as u64, newlines, a.at < consumed);
        let _ = xml.get_mut().inner_mut().recycle.send(bytes);
    }
    true
}

/// Runs `main` over the document read from `reader`, cut and parsed on
/// `workers` threads; `main` gets the stream to read and returns when done.
pub fn with_pieces<R: Read + Send, T>(
    reader: R,
    chunk: usize,
    main: impl FnOnce(Pieces) -> T,
) -> T {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let (piece_tx, piece_rx) = mpsc::sync_channel::<Piece>(AHEAD_PER_WORKER * workers);
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let mut threads = Vec::with_capacity(workers + 1);
        for _ in 0..workers {
            let rx = &job_rx;
            threads.push(scope.spawn(move || {
                let mut known = KnownFrames::default();
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let _ = job.done.send(parse_run(job.bytes, &mut known));
                }
            }));
        }
        let (recycle, recycled) = mpsc::channel();
        threads.push(scope.spawn(move || cut_all(reader, chunk, piece_tx, job_tx, recycled)));
        let out = main(Pieces {
            rx: piece_rx,
            cur: Buffer::default(),
            pos: 0,
            offset: 0,
            line: 1,
            anchors: VecDeque::new(),
            tail_clean: true,
            recycle,
            ended: false,
            failed: None,
        });
        // Joined, not left to the scope: a scope waits for each closure to
        // return, `join` for its thread to exit with its thread-locals (std's
        // channel context) freed. The fuzzer's leak check caught a worker
        // still exiting after the parse returned (as it did for the text
        // reader's workers).
        for t in threads {
            let _ = t.join();
        }
        out
    })
}

/// The reader thread: cuts the document and hands runs to the workers, in
/// order to the main parser. Stops early when the main parser has gone.
fn cut_all<R: Read>(
    mut reader: R,
    chunk: usize,
    pieces: SyncSender<Piece>,
    jobs: SyncSender<Job>,
    recycled: Receiver<Buffer>,
) {
    let mut splitter = Splitter::new(chunk);
    let gone = std::cell::Cell::new(false);
    let mut send = |c: Cut| {
        if gone.get() {
            return;
        }
        let piece = match c {
            Cut::Rest(b) => Piece::Rest(b),
            Cut::Run(bytes) => {
                let (done, rx) = mpsc::sync_channel(1);
                let job = Job { bytes, done };
                if jobs.send(job).is_err() {
                    gone.set(true);
                    return;
                }
                Piece::Run(rx)
            }
        };
        gone.set(pieces.send(piece).is_err());
    };
    while !gone.get() {
        for b in recycled.try_iter() {
            splitter.recycle(b);
        }
        match splitter.read_from(&mut reader, &mut send) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                splitter.finish(&mut send);
                let _ = pieces.send(Piece::Failed(e));
                return;
            }
        }
    }
    splitter.finish(&mut send);
}
