//! The reader thread: reads the input, finds clean cut points (every PID
//! between two items) while it streams past, and sends chunks to the workers.

use super::super::newlines::push_ends;
use super::{Ahead, Chunk, ChunkSizes, Done, ReaderEnd, READ};
use crate::parse::live;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::sync::mpsc;

/// The reader thread: reads, finds clean cuts, sends chunks to the workers.
pub(super) fn split_input<R: Read>(
    mut reader: R,
    workers: usize,
    sizes: ChunkSizes,
    jobs: mpsc::SyncSender<Chunk>,
    pool: mpsc::Receiver<Vec<u8>>,
    idle: mpsc::Sender<Done>,
    mut ahead: Ahead,
) -> ReaderEnd<R> {
    // Recycled buffers keep their (zeroed once) length; a fresh one starts
    // small, so a small log never pays for a chunk-sized buffer. At most
    // `max_buffers` exist — one for each worker and the one being filled:
    // when all are out, wait for a worker to return one, which bounds
    // memory however far the reader runs ahead.
    let max_buffers = workers + 1;
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
        let n = match reader.read(&mut pending[filled..filled + next_read(filled, sizes.chunk)]) {
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
                    if !ahead.admit() || !send_cut(&mut splitter, &jobs, &mut seq, data, cut, lines)
                    {
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
                    ends: None,
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
            if !ahead.admit() || !send_cut(&mut splitter, &jobs, &mut seq, data, cut, lines) {
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

/// How much to read next into a buffer holding `filled` bytes: up to a
/// little past the chunk size, then a little at a time. The bytes read past
/// a cut are copied into the next buffer; reading a whole `READ` past the
/// chunk size copied a quarter of the log a second time (a valgrind item
/// is a few KB, so a clean point is found within the first little read).
fn next_read(filled: usize, chunk: usize) -> usize {
    const PAST: usize = READ / 8;
    if filled + PAST < chunk {
        (chunk + PAST - filled).min(READ)
    } else {
        PAST
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
    let ends = splitter.rebase(cut);
    let line_base = splitter.lines_before_pending;
    splitter.lines_before_pending = lines_at_cut;
    let chunk = Chunk {
        seq: *seq,
        line_base,
        data,
        len: cut,
        provisional: None,
        ends: Some(ends),
    };
    *seq += 1;
    jobs.send(chunk).is_ok()
}

/// Whether `line` goes on with the item open under the prefix remembered:
/// it carries exactly that prefix (`content`: what [`PrefixCache::same`]
/// gives), is not blank, does not end in whitespace, does not start with
/// `E` (an `ERROR SUMMARY`), and is not over-long. Anything else takes
/// [`Splitter::scan`]'s general path.
///
/// [`PrefixCache::same`]: super::super::PrefixCache::same
#[inline(always)]
fn continues_item(content: Option<&[u8]>, line: &[u8]) -> bool {
    line.len() <= crate::parse::source::MAX_LINE
        && content.is_some_and(|content| {
            content.last().is_some_and(|c| !c.is_ascii_whitespace())
                && content.first() != Some(&b'E')
        })
}

/// Finds clean cut points while the input streams past.
#[derive(Default)]
pub(super) struct Splitter {
    /// Offset in `pending` up to which lines were scanned.
    scanned: usize,
    pub(super) lines_scanned: u64,
    pub(super) lines_before_pending: u64,
    /// Whether the unscanned tail holds the start of a line (for the count).
    pub(super) partial_line: bool,
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
    pub(super) long_lines: Vec<u64>,
    prefix: super::super::PrefixCache,
    /// Where each line found since the last cut ends (offsets in
    /// `pending`), handed to the chunk's worker: all the newlines up to
    /// `found`, of which the first `examined` are the lines scanned.
    ends: Vec<u32>,
    found: usize,
    examined: usize,
    pub(super) chunk: usize,
}

impl Splitter {
    /// Scans newly arrived lines; returns a cut offset when one is due.
    fn scan(&mut self, data: &[u8]) -> Option<usize> {
        // Every newline first, in one tight loop; then the lines.
        if self.found < data.len() {
            // A vector of its own while it is filled: its length and
            // capacity stay in registers.
            let mut ends = std::mem::take(&mut self.ends);
            push_ends(data, self.found, &mut ends);
            self.ends = ends;
            self.found = data.len();
        }
        while self.examined < self.ends.len() {
            // Most lines: the next line of an item already open (a stack),
            // which changes nothing here but the count. They are passed
            // over in a loop of their own.
            if !self.in_supp && self.busy_pid.is_some() && self.busy_pid == self.prefix.pid() {
                self.pass_item(data);
                if self.examined == self.ends.len() {
                    break;
                }
            }
            let start = self.scanned;
            let end = self.ends[self.examined] as usize;
            let line = &data[start..end];
            let clean_before = self.busy_count == 0 && !self.in_supp && !self.summary_seen;
            if line.len() > crate::parse::source::MAX_LINE {
                self.long_lines.push(self.lines_scanned + 1);
            }
            if let Some((prefix, content)) = self.prefix.split(line) {
                // The next line of an item already open, under a prefix
                // just read again (PIDs interleaved): only counted.
                if self.busy_pid == Some(prefix.pid)
                    && !self.in_supp
                    && continues_item(Some(content), line)
                {
                    self.scanned = end + 1;
                    self.examined += 1;
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
            self.examined += 1;
            self.lines_scanned += 1;
        }
        self.partial_line = self.scanned < data.len();
        None
    }

    /// Passes over the lines that go on with the item open under the
    /// prefix remembered (see [`continues_item`]), from the next line to
    /// examine, with the prefix's words in registers. Most lines are
    /// answered by one masked compare of the prefix and its space, a byte
    /// after it and the line's last byte; the rest by the exact test.
    #[inline(always)]
    fn pass_item(&mut self, data: &[u8]) {
        let words = self.prefix.words();
        let spaced = self.prefix.spaced_words();
        let prefix = &self.prefix;
        let (mut start, mut k) = (self.scanned, self.examined);
        for &end in &self.ends[k..] {
            let line = &data[start..end as usize];
            let head = line.first_chunk::<16>();
            let surely = match (&spaced, head) {
                (Some(s), Some(head)) => {
                    s.starts(head)
                        && head[s.len()] != b'E'
                        && line.len() <= crate::parse::source::MAX_LINE
                        && line.last().is_some_and(|&c| c > b' ')
                }
                _ => false,
            };
            if !surely {
                let content = match (&words, head) {
                    (Some(w), Some(head)) => w.same(head, line),
                    _ => prefix.same(line),
                };
                if !continues_item(content, line) {
                    break;
                }
            }
            (start, k) = (end as usize + 1, k + 1);
        }
        self.lines_scanned += (k - self.examined) as u64;
        (self.scanned, self.examined) = (start, k);
    }

    /// The first `cut` bytes were sent away: offsets now start after them.
    /// Returns the ends of the lines sent (offsets from the chunk's start).
    fn rebase(&mut self, cut: usize) -> Vec<u32> {
        self.scanned -= cut;
        self.found -= cut;
        self.last_clean = 0;
        let sent = self.ends.partition_point(|&e| (e as usize) < cut);
        self.examined -= sent;
        let after = self.ends[sent..].iter().map(|&e| e - cut as u32);
        // The next chunk's ends, in a vector as large as this one's.
        let mut next = Vec::with_capacity(self.ends.len());
        next.extend(after);
        self.ends.truncate(sent);
        std::mem::replace(&mut self.ends, next)
    }
}
