//! A chunk parser's first look-up for frame lines.
//!
//! A 2 MiB chunk of a real log holds some 25,000 frame lines but only about
//! 650 distinct frames (the same stacks repeat record after record). Looking
//! the whole line text up here answers nearly all of them with one hash and
//! one compare, without splitting off the address, parsing its hex digits or
//! finding its location in the interner; only a text seen for the first time
//! goes to [`crate::model::Interner::intern_frame_text`]. It lives as long as
//! the chunk's parser, so it never adds to the report's memory.

use crate::model::FrameId;
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHasher};
use std::hash::{BuildHasher, Hasher};

/// Frame line texts already interned in this chunk, and their frames.
#[derive(Debug)]
pub(super) struct FrameTexts {
    index: HashTable<Entry>,
    /// Every text, end to end (no allocation per text).
    bytes: Vec<u8>,
}

impl Default for FrameTexts {
    /// Sized for a chunk of a real log, so it rarely grows.
    fn default() -> Self {
        FrameTexts {
            index: HashTable::with_capacity(1024),
            bytes: Vec::with_capacity(64 << 10),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    start: u32,
    len: u32,
    id: FrameId,
}

impl FrameTexts {
    /// The frame of `text`, interned with `intern` the first time it is seen.
    pub fn get_or(&mut self, text: &[u8], intern: impl FnOnce() -> FrameId) -> FrameId {
        let hash = text_hash(text);
        let bytes = &self.bytes;
        let mut alike = 0;
        let same = |e: &Entry| {
            e.hash == hash && {
                alike += 1;
                bytes[e.start as usize..(e.start + e.len) as usize] == *text
            }
        };
        if let Some(e) = self.index.find(hash, same) {
            return e.id;
        }
        let id = intern();
        if alike >= MAX_ALIKE {
            return id;
        }
        let Ok(start) = u32::try_from(self.bytes.len()) else {
            return id;
        };
        if u32::try_from(text.len()).is_err() || start.checked_add(text.len() as u32).is_none() {
            return id;
        }
        self.bytes.extend_from_slice(text);
        let e = Entry {
            hash,
            start,
            len: text.len() as u32,
            id,
        };
        self.index.insert_unique(hash, e, |e| e.hash);
        id
    }
}

/// Texts kept under one hash. Honest texts that share a hash are rare (two
/// frames at one address in one chunk), but a crafted log can give every
/// frame line the same hashed words: each look-up would then compare with
/// every text before it, quadratic in a chunk's frames (a 48 MB log took
/// minutes). Texts beyond this many are not kept; the interner answers
/// them, as it answers any text seen first.
const MAX_ALIKE: usize = 8;

/// A hash of a frame line's text from three of its words: its first 16
/// bytes (`0x` and the address: what tells frames apart) and its last 8
/// (the end of its location), with its length. Hashing every byte of a
/// 100-byte line cost more than the compare that confirms a hit; texts
/// that share those words only share a bucket.
fn text_hash(text: &[u8]) -> u64 {
    let n = text.len();
    if n < 16 {
        return FxBuildHasher.hash_one(text);
    }
    let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"));
    let mut h = FxHasher::default();
    h.write_u64(word(0));
    h.write_u64(word(8));
    h.write_u64(word(n - 8));
    h.write_usize(n);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_interned_once_and_answered_after() {
        let mut t = FrameTexts::default();
        let calls = std::cell::Cell::new(0);
        let get = |t: &mut FrameTexts, s: &[u8], id: u32| {
            t.get_or(s, || {
                calls.set(calls.get() + 1);
                FrameId(id)
            })
        };
        assert_eq!(get(&mut t, b"0x1: f (a.c:1)", 7), FrameId(7));
        assert_eq!(get(&mut t, b"0x2: f (a.c:1)", 8), FrameId(8));
        assert_eq!(get(&mut t, b"0x1: f (a.c:1)", 9), FrameId(7));
        assert_eq!(get(&mut t, b"0x1: f (a.c:12)", 10), FrameId(10));
        // Many texts: the index grows and still finds the first ones.
        for i in 0..5000u32 {
            get(&mut t, format!("0x{i:x}: g").as_bytes(), 100 + i);
        }
        assert_eq!(get(&mut t, b"0x2: f (a.c:1)", 0), FrameId(8));
        assert_eq!(get(&mut t, b"0x1f: g", 0), FrameId(131));
        assert_eq!(calls.get(), 3 + 5000);
    }

    /// A crafted log whose frame lines all share the hashed words costs a
    /// bounded number of compares per look-up, and every text still gets
    /// its own frame.
    #[test]
    fn texts_alike_in_the_hashed_words_are_kept_only_a_few() {
        let mut t = FrameTexts::default();
        let text = |i: u32| format!("0x400000: fn_{i:09}_zz (a.c:1)");
        assert!((1..2000).all(|i| text_hash(text(i).as_bytes()) == text_hash(text(0).as_bytes())));
        let mut next = 0;
        for i in 0..2000 {
            let got = t.get_or(text(i).as_bytes(), || {
                next += 1;
                FrameId(next)
            });
            assert_eq!(got, FrameId(next), "a new text gets its own frame");
        }
        assert_eq!(t.index.len(), MAX_ALIKE);
        // The kept ones are still answered from the table; the rest by the
        // interner again.
        assert_eq!(t.get_or(text(0).as_bytes(), || FrameId(0)), FrameId(1));
        assert_eq!(
            t.get_or(text(1999).as_bytes(), || FrameId(7777)),
            FrameId(7777)
        );
    }

    /// The hash reads only some words of a text: texts that differ
    /// elsewhere share a bucket but are still told apart.
    #[test]
    fn texts_alike_in_the_hashed_words_stay_apart() {
        let mut t = FrameTexts::default();
        let a = b"0x10000A3F2: fn_alpha (in /usr/lib/libx.so)";
        let b = b"0x10000A3F2: fn_gamma (in /usr/lib/libx.so)";
        assert_eq!(text_hash(a), text_hash(b));
        assert_eq!(t.get_or(a, || FrameId(1)), FrameId(1));
        assert_eq!(t.get_or(b, || FrameId(2)), FrameId(2));
        assert_eq!(t.get_or(a, || FrameId(3)), FrameId(1));
        assert_eq!(t.get_or(b, || FrameId(4)), FrameId(2));
    }
}
