//! A chunk worker's first look-up for a stack's `<frame>`s: the frames
//! already read in its run, by their whole text.
//!
//! A run of a real log repeats the same frames error after error (the
//! Numba log: ~10,000 `<frame>`s per 2 MiB run, a few hundred distinct).
//! The whole text from `<frame>` to `</frame>` decides the frame interned
//! (the scan reads nothing outside it), so a text seen before in the run is
//! answered with one hash and one compare: no fields split, no key built,
//! no interning. The newlines inside are kept with it, so lines are counted
//! once per distinct text, not once per frame. Keys borrow the run's bytes:
//! nothing is copied, and the table lives only as long as the run's parse.

use crate::model::FrameId;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

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
    /// Newlines in `text`.
    pub newlines: u32,
}

impl Default for SeenFrames<'_> {
    /// Sized for a run of a real log, so it rarely grows.
    fn default() -> Self {
        SeenFrames {
            index: HashTable::with_capacity(1024),
        }
    }
}

impl<'a> SeenFrames<'a> {
    /// The frame `text` (a whole `<frame>…</frame>`) was read as before.
    pub fn get(&self, text: &[u8]) -> Option<Seen<'a>> {
        let hash = FxBuildHasher.hash_one(text);
        self.index
            .find(hash, |s| s.hash == hash && s.text == text)
            .copied()
    }

    /// Notes that `text` was read as the frame `id`; what it gives back is
    /// what [`Self::get`] will.
    pub fn insert(&mut self, text: &'a [u8], id: FrameId) -> Seen<'a> {
        let seen = Seen {
            hash: FxBuildHasher.hash_one(text),
            text,
            id,
            newlines: memchr::memchr_iter(b'\n', text).count() as u32,
        };
        self.index.insert_unique(seen.hash, seen, |s| s.hash);
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_answered_with_its_frame_and_newlines() {
        let many: Vec<String> = (0..5000).map(|i| format!("<frame>{i}</frame>")).collect();
        let mut s = SeenFrames::default();
        let a = b"<frame>\n  <fn>f</fn>\n</frame>";
        assert_eq!(s.get(a), None);
        assert_eq!(s.insert(a, FrameId(3)).newlines, 2);
        let got = s.get(&a[..]).unwrap();
        assert_eq!((got.id, got.newlines), (FrameId(3), 2));
        assert_eq!(s.get(b"<frame>\n  <fn>g</fn>\n</frame>"), None);
        // Many texts: the index grows and still finds the first.
        for (i, t) in many.iter().enumerate() {
            s.insert(t.as_bytes(), FrameId(10 + i as u32));
        }
        assert_eq!(s.get(a).unwrap().id, FrameId(3));
        assert_eq!(s.get(b"<frame>4999</frame>").unwrap().id, FrameId(5009));
    }
}
