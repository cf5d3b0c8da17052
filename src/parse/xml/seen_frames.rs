//! A chunk worker's first look-up for a stack's `<frame>`s: the frames
//! already read in its run, by their whole text.
//!
//! A run of a real log repeats the same frames error after error (the
//! Numba log: ~10,000 `<frame>`s per 2 MiB run, a few hundred distinct).
//! The whole text from `<frame>` to `</frame>` decides the frame interned
//! (the scan reads nothing outside it), so a text seen before in the run is
//! answered without splitting fields, building a key or interning. Entries
//! are found by the frame's first [`KEY`] bytes (the `<ip>` line and most
//! of the `<obj>` one) and confirmed by comparing their whole text with the
//! bytes that follow: no search for `</frame>` and no hash of the whole
//! frame. Two texts that both match would both end at the first `</frame>`,
//! so they are one. The newlines inside are kept with each entry, so lines
//! are counted once per distinct text, not once per frame. Entries borrow
//! the run's bytes: nothing is copied, and the table lives only as long as
//! the run's parse.

use super::error::ReadFrame;
use crate::model::FrameId;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// How many bytes of a frame's text find its entry. A frame shorter than
/// this (not one valgrind writes) is never stored.
pub const KEY: usize = 64;

/// Texts kept under one key. Honest frames that share their first [`KEY`]
/// bytes share their address and object, so they are one frame; a crafted
/// log can give thousands of frames those bytes, and each look-up would
/// compare with them all, quadratic in a run's frames (a 72 MB log took
/// 40 s). Texts beyond this many are read in full each time instead.
const MAX_ALIKE: usize = 8;

/// The frames read so far in a run, by text.
pub struct SeenFrames<'a> {
    index: HashTable<Seen<'a>>,
}

/// What a frame text stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen<'a> {
    hash: u64,
    text: &'a [u8],
    pub id: FrameId,
    /// Newlines in the text.
    pub newlines: u32,
}

impl Seen<'_> {
    /// The length of the frame's text.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

impl Default for SeenFrames<'_> {
    /// Sized for a run of a real log, so it rarely grows.
    fn default() -> Self {
        SeenFrames {
            index: HashTable::with_capacity(1024),
        }
    }
}

fn key_hash(text: &[u8]) -> Option<u64> {
    Some(FxBuildHasher.hash_one(text.get(..KEY)?))
}

impl<'a> SeenFrames<'a> {
    /// The frame `bytes` start with, when its whole text was read before.
    pub fn get(&self, bytes: &[u8]) -> Option<Seen<'a>> {
        let hash = key_hash(bytes)?;
        self.index
            .find(hash, |s| s.hash == hash && bytes.starts_with(s.text))
            .copied()
    }

    /// Notes that `text` (a whole `<frame>…</frame>`) was read as the frame
    /// `id`; what it gives back is what [`Self::get`] will.
    pub fn insert(&mut self, text: &'a [u8], id: FrameId) -> Seen<'a> {
        let seen = Seen {
            hash: key_hash(text).unwrap_or(0),
            text,
            id,
            newlines: memchr::memchr_iter(b'\n', text).count() as u32,
        };
        if text.len() >= KEY && self.alike(seen.hash) < MAX_ALIKE {
            self.index.insert_unique(seen.hash, seen, |s| s.hash);
        }
        seen
    }

    /// How many texts are kept under `hash`: a look-up compares with each.
    fn alike(&self, hash: u64) -> usize {
        let mut n = 0;
        self.index.find(hash, |s| {
            n += usize::from(s.hash == hash);
            false
        });
        n
    }
}

/// Text bytes a worker's [`KnownFrames`] holds before it starts over: a
/// real log's distinct frames fit many times (the Numba log's ~1,700 take
/// 0.5 MB), while a log of endless distinct frames costs at most this (and
/// as much again in keys and frames) per worker.
const MAX_KNOWN: usize = 1 << 20;

/// A chunk worker's frames across its runs: each distinct text (copied)
/// with what it was read as ([`ReadFrame`]), so a frame new to a run but
/// not to the worker is interned without scanning or unescaping its fields.
#[derive(Default)]
pub struct KnownFrames {
    index: HashTable<(u64, u32)>,
    entries: Vec<(Box<[u8]>, ReadFrame)>,
    bytes: usize,
}

impl KnownFrames {
    /// What the frame `text` (a whole `<frame>…</frame>`) was read as.
    pub fn get(&self, text: &[u8]) -> Option<&ReadFrame> {
        let hash = FxBuildHasher.hash_one(text);
        let entries = &self.entries;
        let (_, i) = self
            .index
            .find(hash, |&(h, i)| h == hash && *entries[i as usize].0 == *text)?;
        Some(&entries[*i as usize].1)
    }

    pub fn insert(&mut self, text: &[u8], read: ReadFrame) {
        self.bytes += 2 * text.len() + read.size();
        if self.bytes > MAX_KNOWN {
            *self = KnownFrames::default();
        }
        let Ok(i) = u32::try_from(self.entries.len()) else {
            return;
        };
        let hash = FxBuildHasher.hash_one(text);
        self.entries.push((text.into(), read));
        self.index.insert_unique(hash, (hash, i), |&(h, _)| h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_answered_with_its_frame_and_newlines() {
        let pad = "x".repeat(KEY);
        let text = |f: &str| format!("<frame>\n  <ip>{pad}</ip>\n  <fn>{f}</fn>\n</frame>");
        let (a, b) = (text("f"), text("g"));
        let alike: Vec<String> = (0..5000).map(|i| text(&i.to_string())).collect();
        let many: Vec<String> = (0..5000)
            .map(|i| format!("<frame>\n  <ip>{i:x<64}</ip>\n</frame>"))
            .collect();
        let mut s = SeenFrames::default();
        let after = format!("{a}\n  </stack>");
        assert_eq!(s.get(after.as_bytes()), None);
        assert_eq!(s.insert(a.as_bytes(), FrameId(3)).newlines, 3);
        let got = s.get(after.as_bytes()).unwrap();
        assert_eq!(
            (got.id, got.newlines, got.text_len()),
            (FrameId(3), 3, a.len())
        );
        // Same first bytes, another frame.
        assert_eq!(s.get(b.as_bytes()), None);
        s.insert(b.as_bytes(), FrameId(4));
        assert_eq!(s.get(b.as_bytes()).unwrap().id, FrameId(4));
        assert_eq!(s.get(a.as_bytes()).unwrap().id, FrameId(3));
        // Many texts that differ in their first bytes: the index grows and
        // still finds the first.
        for (i, t) in many.iter().enumerate() {
            s.insert(t.as_bytes(), FrameId(10 + i as u32));
        }
        assert_eq!(s.get(a.as_bytes()).unwrap().id, FrameId(3));
        assert_eq!(s.get(many[4999].as_bytes()).unwrap().id, FrameId(5009));
        // Many alike in their first bytes (a crafted log): only a few are
        // kept, so a look-up compares with a few; the rest are read in full.
        for (i, t) in alike.iter().enumerate() {
            s.insert(t.as_bytes(), FrameId(20_000 + i as u32));
        }
        assert_eq!(s.alike(key_hash(a.as_bytes()).unwrap()), MAX_ALIKE);
        assert_eq!(s.get(a.as_bytes()).unwrap().id, FrameId(3));
        assert_eq!(s.get(alike[4999].as_bytes()), None);
        // A frame shorter than the key is never stored, nor found.
        let short = "<frame><fn>h</fn></frame>";
        s.insert(short.as_bytes(), FrameId(1));
        assert_eq!(s.get(format!("{short}{pad}").as_bytes()), None);
    }
}
