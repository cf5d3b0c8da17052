//! A chunk's frames, as the texts of its frame lines.
//!
//! A 768 KiB chunk of a real log holds some 9,000 frame lines but only about
//! 430 distinct frames (the same stacks repeat record after record). A chunk
//! worker numbers each distinct frame line text in the order it first
//! appears, with one hash and one compare per line: no address split off,
//! no hex digits parsed, no location looked up, nothing allocated per
//! frame. Its stacks are made of these numbers; the merge interns each text
//! once into the report's interner (in this order, so frame ids come out as
//! one parser reading the whole log would number them) and renumbers the
//! chunk's stacks. It lives as long as the chunk, so it never adds to the
//! report's memory.

use crate::model::FrameId;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// The distinct frame line texts of a chunk, numbered in first-seen order.
#[derive(Debug)]
pub(super) struct FrameTexts {
    /// An open-addressing table (linear probing, at most half full) of the
    /// kept texts: one probe answers nearly every line, where a general
    /// hash table's group probing cost as much as the hash and compare.
    slots: Vec<Slot>,
    kept: usize,
    /// Every text, end to end (no allocation per text).
    bytes: Vec<u8>,
    /// Where text `i` ends in `bytes` (it starts where text `i - 1` ends).
    ends: Vec<usize>,
    /// Per number, the number of the line that came after it last
    /// ([`NONE`]: none yet), and the number of the last line. Stacks
    /// repeat runs of frames (a record's callers are another's), so the
    /// line after a frame is most often the one that came after it
    /// before: one compare with that text answers it, with no hash and no
    /// probe.
    after: Vec<u32>,
    last: u32,
}

/// No number.
const NONE: u32 = u32::MAX;

/// A kept text: its hash's upper half, and its number plus one (0: empty).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    tag: u32,
    id1: u32,
}

impl Default for FrameTexts {
    /// Sized for a chunk of a real log (~430 distinct texts; a log of
    /// small distinct records ~1,000), so it rarely grows.
    fn default() -> Self {
        FrameTexts {
            slots: vec![Slot::default(); 2048],
            kept: 0,
            bytes: Vec::with_capacity(64 << 10),
            ends: Vec::with_capacity(1024),
            after: Vec::with_capacity(1024),
            last: NONE,
        }
    }
}

impl FrameTexts {
    /// The chunk's number for the frame line `text`: the one it was given
    /// when first seen, else the next. (A text beyond [`MAX_ALIKE`] under
    /// one hash gets a new number each time: the merge interns each number's
    /// text, so its repeats still come out as one frame.)
    #[inline(always)]
    pub fn id(&mut self, text: &[u8]) -> FrameId {
        let guess = self.after.get(self.last as usize).copied().unwrap_or(NONE);
        if guess != NONE && same_text(text_at(&self.bytes, &self.ends, guess as usize), text) {
            self.last = guess;
            return FrameId(guess);
        }
        let id = self.look_up(text);
        if let Some(a) = self.after.get_mut(self.last as usize) {
            *a = id.0;
        }
        self.last = id.0;
        id
    }

    /// The line read last was `id`, numbered without [`Self::id`] (a
    /// repeated run, see `repeats`): the next guess follows it.
    #[inline]
    pub fn read_last(&mut self, id: FrameId) {
        self.last = id.0;
    }

    /// [`Self::id`] from the table.
    #[inline(never)]
    fn look_up(&mut self, text: &[u8]) -> FrameId {
        let hash = text_hash(text);
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        let mut alike = 0;
        let mut probes = 0;
        let free = loop {
            let slot = self.slots[i];
            if slot.id1 == 0 {
                break true;
            }
            if slot.tag == tag {
                if same_text(
                    text_at(&self.bytes, &self.ends, slot.id1 as usize - 1),
                    text,
                ) {
                    return FrameId(slot.id1 - 1);
                }
                alike += 1;
            }
            probes += 1;
            if probes > MAX_PROBES {
                break false;
            }
            i = (i + 1) & mask;
        };
        let id = self.ends.len() as u32;
        self.bytes.extend_from_slice(text);
        self.ends.push(self.bytes.len());
        self.after.push(NONE);
        if free && alike < MAX_ALIKE {
            self.slots[i] = Slot { tag, id1: id + 1 };
            self.kept += 1;
            if self.kept * 2 > self.slots.len() {
                self.grow();
            }
        }
        FrameId(id)
    }

    /// Doubles the table, placing the kept texts again.
    #[cold]
    fn grow(&mut self) {
        let doubled = vec![Slot::default(); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.id1 != 0) {
            let hash = text_hash(text_at(&self.bytes, &self.ends, slot.id1 as usize - 1));
            let home = hash as usize & mask;
            let far = (0..=MAX_PROBES).find(|d| self.slots[(home + d) & mask].id1 == 0);
            match far {
                Some(d) => self.slots[(home + d) & mask] = slot,
                None => self.kept -= 1,
            }
        }
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

/// Slots a look-up reads past its own before it gives up. Texts are kept
/// only this near their own slot, so a text further on cannot be its; a
/// crafted log whose hashes crowd one stretch of the table (different
/// texts, tags and hashes, same low bits) would otherwise make every
/// look-up there walk the whole stretch. A text not kept is numbered anew,
/// as under [`MAX_ALIKE`].
const MAX_PROBES: usize = 64;

/// `a == b`, 16 bytes at a time and inlined: a frame line's text is ~80
/// bytes, for which a call to `memcmp` (and the registers saved around
/// it) cost more than the compare.
#[inline(always)]
pub(super) fn same_text(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |w: &[u8; 16]| u128::from_le_bytes(*w);
    match (a.last_chunk::<16>(), b.last_chunk::<16>()) {
        (Some(ta), Some(tb)) => {
            let mut differ = word(ta) ^ word(tb);
            let (mut x, mut y) = (a, b);
            while let (Some((hx, rx)), Some((hy, ry))) =
                (x.split_first_chunk::<16>(), y.split_first_chunk::<16>())
            {
                differ |= word(hx) ^ word(hy);
                (x, y) = (rx, ry);
            }
            differ == 0
        }
        _ => a == b,
    }
}

#[inline(always)]
fn text_at<'a>(bytes: &'a [u8], ends: &[usize], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

/// A hash of a frame line's text from three of its words: its first 16
/// bytes (`0x` and the address: what tells frames apart) and its last 8
/// (the end of its location), with its length, folded by one multiply.
/// Hashing every byte of a 100-byte line cost more than the compare that
/// confirms a hit; texts that share those words only share a slot.
#[inline]
fn text_hash(text: &[u8]) -> u64 {
    let n = text.len();
    if n < 16 {
        return FxBuildHasher.hash_one(text);
    }
    let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"));
    let x = word(0) ^ word(8).rotate_left(21) ^ word(n - 8).rotate_left(42) ^ n as u64;
    let p = u128::from(x) * 0x9e37_79b9_7f4a_7c15;
    (p as u64) ^ ((p >> 64) as u64)
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
        assert_eq!(t.kept, MAX_ALIKE);
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

    /// Texts whose hashes crowd one slot (their low bits alike, their tags
    /// not) are kept only within reach of it, so a look-up reads a bounded
    /// stretch; every text still gets a number and the kept are found.
    #[test]
    fn texts_crowding_one_slot_are_kept_only_within_reach() {
        let mut t = FrameTexts::default();
        let mask = t.slots.len() as u64 - 1;
        let home = text_hash(b"0x0000000000: f (a.c:1)") & mask;
        let crowd: Vec<String> = (0u64..)
            .map(|i| format!("0x{i:010x}: f (a.c:1)"))
            .filter(|s| text_hash(s.as_bytes()) & mask == home)
            .take(300)
            .collect();
        for (n, s) in crowd.iter().enumerate() {
            assert_eq!(t.id(s.as_bytes()), FrameId(n as u32));
        }
        assert_eq!(t.kept, MAX_PROBES + 1);
        assert_eq!(t.id(crowd[0].as_bytes()), FrameId(0));
        assert_eq!(
            t.id(crowd[MAX_PROBES].as_bytes()),
            FrameId(MAX_PROBES as u32)
        );
        assert_eq!(t.id(crowd[299].as_bytes()), FrameId(300), "numbered anew");
    }

    proptest::proptest! {
        /// Guessed from the line before or looked up, a text's number is
        /// the one a plain map of first-seen order gives: texts alike in
        /// length and ends, differing only inside, short ones, repeats in
        /// any order.
        #[test]
        fn numbers_are_first_seen_order_whatever_the_guesses(
            seq in proptest::collection::vec(0u32..24, 0..400),
        ) {
            let text = |x: u32| match x % 3 {
                0 => format!("0x1: fn_{x:03}_alike_in_length_and_ends (a.c:1)"),
                1 => format!("0x{x}: g"),
                _ => format!("0x4841F2F: malloc (in /usr/lib/lib{x:02}.so)"),
            };
            let mut t = FrameTexts::default();
            let mut seen: Vec<u32> = Vec::new();
            for x in seq {
                let want = match seen.iter().position(|&s| s == x) {
                    Some(i) => i,
                    None => {
                        seen.push(x);
                        seen.len() - 1
                    }
                };
                proptest::prop_assert_eq!(t.id(text(x).as_bytes()), FrameId(want as u32));
            }
        }
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
