//! A chunk's frames, as the texts of its frame lines.
//!
//! A 2 MiB chunk of a real log holds some 25,000 frame lines but only about
//! 750 distinct frames (the same stacks repeat record after record). A chunk
//! worker numbers each distinct frame line text in the order it first
//! appears, with one hash and one compare per line: no address split off,
//! no hex digits parsed, no location looked up, nothing allocated per
//! frame. Its stacks are made of these numbers; the merge interns each text
//! once into the report's interner (in this order, so frame ids come out as
//! one parser reading the whole log would number them) and renumbers the
//! chunk's stacks. It lives as long as the chunk, so it never adds to the
//! report's memory.

use crate::model::FrameId;
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHasher};
use std::hash::{BuildHasher, Hasher};

/// The distinct frame line texts of a chunk, numbered in first-seen order.
#[derive(Debug)]
pub(super) struct FrameTexts {
    index: HashTable<Entry>,
    /// Every text, end to end (no allocation per text).
    bytes: Vec<u8>,
    /// Where text `i` ends in `bytes` (it starts where text `i - 1` ends).
    ends: Vec<usize>,
}

impl Default for FrameTexts {
    /// Sized for a chunk of a real log, so it rarely grows.
    fn default() -> Self {
        FrameTexts {
            index: HashTable::with_capacity(1024),
            bytes: Vec::with_capacity(64 << 10),
            ends: Vec::with_capacity(1024),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    id: u32,
}

impl FrameTexts {
    /// The chunk's number for the frame line `text`: the one it was given
    /// when first seen, else the next. (A text beyond [`MAX_ALIKE`] under
    /// one hash gets a new number each time: the merge interns each number's
    /// text, so its repeats still come out as one frame.)
    pub fn id(&mut self, text: &[u8]) -> FrameId {
        let hash = text_hash(text);
        let (bytes, ends) = (&self.bytes, &self.ends);
        let mut alike = 0;
        let same = |e: &Entry| {
            e.hash == hash && {
                alike += 1;
                text_at(bytes, ends, e.id as usize) == text
            }
        };
        if let Some(e) = self.index.find(hash, same) {
            return FrameId(e.id);
        }
        let id = self.ends.len() as u32;
        self.bytes.extend_from_slice(text);
        self.ends.push(self.bytes.len());
        if alike < MAX_ALIKE {
            self.index
                .insert_unique(hash, Entry { hash, id }, |e| e.hash);
        }
        FrameId(id)
    }

    /// Every distinct text, in the order of their numbers.
    pub fn texts(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.ends.len()).map(|i| text_at(&self.bytes, &self.ends, i))
    }
}

/// Texts kept under one hash. Honest texts that share a hash are rare (two
/// frames at one address in one chunk), but a crafted log can give every
/// frame line the same hashed words: each look-up would then compare with
/// every text before it, quadratic in a chunk's frames (a 48 MB log took
/// minutes). Texts beyond this many are not kept; the merge's interner
/// answers them, as it answers any text the chunk shows.
const MAX_ALIKE: usize = 8;

#[inline]
fn text_at<'a>(bytes: &'a [u8], ends: &[usize], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

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
    fn texts_are_numbered_in_first_seen_order() {
        let mut t = FrameTexts::default();
        assert_eq!(t.id(b"0x1: f (a.c:1)"), FrameId(0));
        assert_eq!(t.id(b"0x2: f (a.c:1)"), FrameId(1));
        assert_eq!(t.id(b"0x1: f (a.c:1)"), FrameId(0));
        assert_eq!(t.id(b"0x1: f (a.c:12)"), FrameId(2));
        assert_eq!(t.id(b""), FrameId(3));
        // Many texts: the index grows and still finds the first ones.
        for i in 0..5000u32 {
            assert_eq!(t.id(format!("0x{i:x}: g").as_bytes()), FrameId(4 + i));
        }
        assert_eq!(t.id(b"0x2: f (a.c:1)"), FrameId(1));
        assert_eq!(t.id(b"0x1f: g"), FrameId(4 + 31));
        let texts: Vec<&[u8]> = t.texts().collect();
        assert_eq!(texts.len(), 4 + 5000);
        assert_eq!(
            texts[..4],
            [
                &b"0x1: f (a.c:1)"[..],
                b"0x2: f (a.c:1)",
                b"0x1: f (a.c:12)",
                b""
            ]
        );
        assert_eq!(texts[4 + 31], b"0x1f: g");
    }

    /// A crafted log whose frame lines all share the hashed words costs a
    /// bounded number of compares per look-up; a text not kept gets a new
    /// number each time, its text kept for the merge to intern.
    #[test]
    fn texts_alike_in_the_hashed_words_are_kept_only_a_few() {
        let mut t = FrameTexts::default();
        let text = |i: u32| format!("0x400000: fn_{i:09}_zz (a.c:1)");
        assert!((1..2000).all(|i| text_hash(text(i).as_bytes()) == text_hash(text(0).as_bytes())));
        for i in 0..2000 {
            assert_eq!(
                t.id(text(i).as_bytes()),
                FrameId(i),
                "a new text gets its own number"
            );
        }
        assert_eq!(t.index.len(), MAX_ALIKE);
        // The kept ones are still answered from the table; the rest get a
        // new number, under their own text.
        assert_eq!(t.id(text(0).as_bytes()), FrameId(0));
        assert_eq!(t.id(text(1999).as_bytes()), FrameId(2000));
        let texts: Vec<&[u8]> = t.texts().collect();
        assert_eq!(
            (texts[1999], texts[2000]),
            (text(1999).as_bytes(), text(1999).as_bytes())
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
        assert_eq!(t.id(a), FrameId(0));
        assert_eq!(t.id(b), FrameId(1));
        assert_eq!(t.id(a), FrameId(0));
        assert_eq!(t.id(b), FrameId(1));
    }
}
