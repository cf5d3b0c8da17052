//! Merging parsed chunks into the report, in input order.

use super::super::{frame_location, learn_mangled};
use super::Parsed;
use crate::model::{FrameId, MemcheckError, Remap, Report};
use crate::parse::Progress;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Merges parsed chunks into the report in input order.
pub(super) struct Merger {
    pub(super) input: usize,
    pub(super) next: u64,
    pub(super) waiting: BTreeMap<u64, Parsed>,
    /// The newest provisional tail, until the chunks before it are merged.
    pub(super) provisional: Option<Parsed>,
    /// The report with the provisional tail merged, while it is current.
    pub(super) view: Option<Report>,
    /// The generation of the provisional tail last shown.
    pub(super) shown: u64,
    /// The frames of recently merged texts.
    memo: TextMemo,
}

impl Merger {
    pub(super) fn new(input: usize) -> Merger {
        Merger {
            input,
            next: 0,
            waiting: BTreeMap::new(),
            provisional: None,
            view: None,
            shown: 0,
            memo: TextMemo::default(),
        }
    }

    /// Takes a parsed chunk; merges every chunk now in order. Returns how
    /// many were merged (provisional tails are not counted).
    pub(super) fn take(
        &mut self,
        report: &mut Report,
        p: Parsed,
        progress: &mut dyn FnMut(&Report) -> Progress,
        on_progress: &mut dyn FnMut(&Report, Progress),
    ) -> usize {
        let mut merged = 0;
        if let Some(g) = p.provisional {
            let newer = !matches!(&self.provisional, Some(q) if q.provisional >= Some(g));
            if newer && g > self.shown {
                self.provisional = Some(p);
            }
        } else {
            self.waiting.insert(p.seq, p);
        }
        while let Some(p) = self.waiting.remove(&self.next) {
            self.next += 1;
            merged += 1;
            merge(report, self.input, p, &mut self.memo);
            self.view = None;
            let pr = progress(report);
            expect_growth(report, pr);
            on_progress(report, pr);
        }
        // A tail whose chunks are all merged is shown; one they overtook is
        // stale.
        match self.provisional.take() {
            Some(q) if q.seq == self.next => {
                self.shown = q.provisional.unwrap_or(0);
                let mut view = report.clone();
                // The view's interner is a copy: what it interns anew
                // is not the report's, so the memo neither learns from it
                // nor is read (a fresh one is thrown away).
                merge(&mut view, self.input, q, &mut TextMemo::default());
                let pr = progress(&view);
                on_progress(&view, pr);
                self.view = Some(view);
            }
            Some(q) if q.seq > self.next => self.provisional = Some(q),
            _ => {}
        }
        merged
    }

    /// A live stream is still paused: the last view again, marked idle.
    pub(super) fn idle(
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

/// Tells the interner how many stacks and frames the input will likely
/// give, from the share of it read so far, so that its indices grow there
/// at once (see [`crate::model::Interner::expect`]). The reader runs a few
/// chunks ahead of the merge, so the share read overstates the share
/// merged: the guess is raised by an eighth to make up for it.
fn expect_growth(report: &mut Report, pr: Progress) {
    let Some(total) = pr.total.filter(|_| pr.read > 0) else {
        return;
    };
    let guess = |n: usize| {
        let g = n as u128 * u128::from(total) / u128::from(pr.read) * 9 / 8;
        usize::try_from(g).unwrap_or(usize::MAX)
    };
    let i = &mut report.interner;
    i.expect(guess(i.stack_count()), guess(i.frame_count()));
}

/// Moves a chunk's processes into the report, renumbering its frames and
/// stacks, and joining a leak search that the cut split in two.
fn merge(report: &mut Report, input: usize, part: Parsed, memo: &mut TextMemo) {
    // Each distinct frame text of the chunk, interned in the order the
    // chunk first showed it: frame ids come out as one parser numbers them.
    let interner = &mut report.interner;
    let frames: Vec<FrameId> = (part.frames.texts.texts())
        .map(|text| memo.frame(text, || interner.intern_frame_text(text, frame_location)))
        .collect();
    let stacks = interner.absorb_stacks(&part.report.interner, &frames);
    let remap = Remap { frames, stacks };
    for (stack, funs) in &part.frames.learned {
        learn_mangled(interner, remap.stack(*stack), funs);
    }
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
                let summary = first.summary.clone();
                open.append(first);
                open.summary = summary;
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

/// The frames of the texts merged last, by their text: a chunk shows about
/// half of its distinct frame texts in the chunks just before it too (the
/// same callers, the same allocators), and a text found here costs a short
/// hash and a compare with a recent copy, where interning it looks its
/// location up by a keyed hash of the text and then, for a location of many
/// addresses (a function without line numbers), the frame by address in
/// the interner's large index: a few cache misses each.
///
/// The texts are copied into a ring of [`RING`] bytes, the newest over the
/// oldest; a table of [`SLOTS`] entries, two per hash (a new text takes
/// the one written longer ago), says where each is and its frame. Lookups
/// are bounded whatever the texts, so the hash need not be keyed. Fixed
/// size (~160 KB), made at the first merge. Frame ids never change once
/// given, so an entry is good as long as its text is still in the ring.
#[derive(Default)]
struct TextMemo {
    slots: Vec<Entry>,
    ring: Vec<u8>,
    /// Bytes written to the ring since it was made (a text never wraps:
    /// one that would starts over at the ring's start).
    written: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the text was written, counted as `written` counts.
    at: u64,
    /// Its length; 0 for an empty slot.
    len: u32,
    frame: FrameId,
}

/// Entries in the memo: a few chunks' worth of distinct texts (~430 each).
const SLOTS: usize = 1 << 11;
/// Bytes of texts kept: about three chunks' distinct texts.
const RING: usize = 128 << 10;

impl TextMemo {
    /// The frame of `text`, from the memo or else from `intern`, then kept.
    #[inline]
    fn frame(&mut self, text: &[u8], intern: impl FnOnce() -> FrameId) -> FrameId {
        let len = text.len();
        if len == 0 || len > RING / 16 {
            return intern();
        }
        if self.slots.is_empty() {
            let empty = Entry {
                at: 0,
                len: 0,
                frame: FrameId(0),
            };
            self.slots = vec![empty; SLOTS];
            self.ring = vec![0; RING];
        }
        // Two slots per hash: the text is in either; a new one takes the
        // one written longer ago.
        let pair = slot_of(text) & !1;
        let oldest = self.written.saturating_sub(RING as u64);
        for slot in [pair, pair + 1] {
            let e = self.slots[slot];
            if e.len as usize == len && e.at >= oldest {
                let at = (e.at % RING as u64) as usize;
                if &self.ring[at..at + len] == text {
                    return e.frame;
                }
            }
        }
        let slot = if self.slots[pair].at <= self.slots[pair + 1].at {
            pair
        } else {
            pair + 1
        };
        let frame = intern();
        let mut at = (self.written % RING as u64) as usize;
        if at + len > RING {
            self.written += (RING - at) as u64;
            at = 0;
        }
        self.ring[at..at + len].copy_from_slice(text);
        self.slots[slot] = Entry {
            at: self.written,
            len: len as u32,
            frame,
        };
        self.written += len as u64;
        frame
    }
}
/// A text's slot in the memo, from its length and first and last 8 bytes
/// (a frame line starts with its address, which sets frames apart at one
/// location; its end tells locations apart). Texts of 1-7 bytes read
/// overlapping words, which is fine: equal texts read equal words.
#[inline]
fn slot_of(text: &[u8]) -> usize {
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        let n = b.len().min(8);
        w[..n].copy_from_slice(&b[..n]);
        u64::from_le_bytes(w)
    };
    let first = word(text);
    let last = word(&text[text.len().saturating_sub(8)..]);
    let h = (first ^ last.rotate_left(29) ^ text.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo gives the frame interning gave for the same text, however
    /// many texts came between (from its copy, or once the ring has gone
    /// round or the slot was taken, from interning again), and never
    /// another text's.
    #[test]
    fn the_memo_gives_each_text_the_frame_interning_gave_it() {
        let text = |n: u32| format!("0x{:X}: f{} (a.c:{})", 0x4000 + n, n % 7, n).into_bytes();
        let recent: Vec<Vec<u8>> = (0..600).map(text).collect();
        let flood: Vec<Vec<u8>> = (600..12_000).map(text).collect();
        let odd = [vec![b'x'; 3], vec![b'y'; RING / 16 + 1], vec![b'z'; 8]];
        let mut memo = TextMemo::default();
        let mut interned = std::collections::HashMap::new();
        let mut calls = 0;
        let mut look = |t: &Vec<u8>, calls: &mut usize| {
            let next = FrameId(interned.len() as u32);
            let id = memo.frame(t, || {
                *calls += 1;
                *interned.entry(t.clone()).or_insert(next)
            });
            assert_eq!(Some(&id), interned.get(t));
        };
        for _ in 0..10 {
            recent.iter().chain(&odd).for_each(|t| look(t, &mut calls));
        }
        // Met again soon, texts are found in the memo: of 6,030 look-ups,
        // 603 the first time, the one too long to keep every time, and
        // a few of the texts that share their two slots with two others.
        assert!(calls < 1_300, "{calls} calls");
        for t in flood.iter().chain(&recent).chain(&flood).chain(&odd) {
            look(t, &mut calls);
        }
        assert_eq!(interned.len(), 12_003);
    }
}
