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
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

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
        let hash = FxBuildHasher.hash_one(text);
        let bytes = &self.bytes;
        let same = |e: &Entry| {
            e.hash == hash && bytes[e.start as usize..(e.start + e.len) as usize] == *text
        };
        if let Some(e) = self.index.find(hash, same) {
            return e.id;
        }
        let id = intern();
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
}
