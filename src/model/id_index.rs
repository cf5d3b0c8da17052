//! A hash index of dense ids into vectors held elsewhere: the interner's
//! frames by address and location, its stacks by frames.
//!
//! Such an index holds exactly the ids `0..len` (everything interned is
//! indexed), so growing it needs no old table: the old one is freed first
//! and the ids are hashed again in order, reading the vectors front to back.
//! A general table (hashbrown) doubles and holds the old table beside the
//! new one while it moves, which at a million ids was 10.5 MB per index
//! (2 Mi buckets), 15.7 MB while growing; this one doubles up to 1 Mi
//! slots (4 MB) and grows by a quarter after, from 7/8 full, so a large
//! one holds 1.14–1.43 slots of 4 bytes (5 past 2^24 slots) per id.
//! Growing by a quarter from 64 Ki slots on cost 5–7% of the 1.1 GB log's CPU
//! in re-hashes (each growth places every id again, at random, into a
//! table larger than the cache); doubling to 1 Mi costs 0.5 MB of the 1 M
//! small records' peak. An owner that can guess how many ids it will end
//! with says so ([`IdIndex::expect`]: the text merge guesses from the share
//! of the input read), and the index grows there in a step or two instead.
//!
//! Layout: a control byte per slot (`EMPTY`, or 7 bits of the id's hash)
//! and the ids; slots come in groups of 8 read as one word, probed group
//! after group from where the hash lands. Nothing is ever removed, so a
//! lookup stops at the first group with an empty slot. An id takes 3 bytes
//! while the table has at most 2^24 slots (its ids are below its slots), 4
//! after: a slot is 4 bytes, not 5, for the millions of ids of a large log.

const GROUP: usize = 8;
const EMPTY: u8 = 0x80;
const LSB: u64 = 0x0101_0101_0101_0101;
const MSB: u64 = 0x8080_8080_8080_8080;
/// Below this many slots a table doubles (fewer re-hashes: at most 4 MB
/// of slots); above it it grows by a quarter (less memory where memory
/// matters).
const DOUBLE_BELOW: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub(super) struct IdIndex {
    ctrl: Vec<u8>,
    /// Per slot, its id in `width` bytes, little-endian; one byte more at
    /// the end, so any slot's id reads as one `u32` (masked by `mask`).
    ids: Vec<u8>,
    width: usize,
    mask: u32,
    len: usize,
    /// How many ids the owner expects to hold in the end (see
    /// [`IdIndex::expect`]); 0 for no guess.
    expected: usize,
    seed: Seed,
}

/// The process's own random key to [`mix`]: which slot a hash lands in is
/// unknown to whoever wrote the log. The hashes indexed are plain functions
/// of the log's text (a frame's by its address and location), so without a
/// key a crafted log could choose addresses that all land in one group,
/// and every look-up would walk all of them: quadratic, a hang for a
/// million lines. Lookups and output do not depend on it.
#[derive(Debug, Clone, Copy)]
struct Seed(u64, u64);

impl Default for Seed {
    fn default() -> Self {
        static SEED: std::sync::OnceLock<Seed> = std::sync::OnceLock::new();
        *SEED.get_or_init(|| {
            use std::hash::{BuildHasher, Hasher};
            let state = std::collections::hash_map::RandomState::new();
            let word = |i: u64| {
                let mut h = state.build_hasher();
                h.write_u64(i);
                h.finish()
            };
            Seed(word(0), word(1) | 1)
        })
    }
}

/// The hash spread over all 64 bits under the process's key (a folded
/// multiply): the group comes from its high bits, the control byte from
/// its low ones.
#[inline]
fn mix(hash: u64, seed: Seed) -> u64 {
    let p = u128::from(hash ^ seed.0) * u128::from(seed.1);
    (p as u64) ^ ((p >> 64) as u64)
}

impl IdIndex {
    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Slots allocated.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.ctrl.len()
    }

    /// Bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.ctrl.len() + self.ids.len()
    }

    /// The id in slot `i`.
    #[inline]
    fn id_at(&self, i: usize) -> u32 {
        let at = i * self.width;
        let word: [u8; 4] = self.ids[at..at + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(word) & self.mask
    }

    #[inline]
    fn probe(&self, hash: u64) -> (usize, u8) {
        let h = mix(hash, self.seed);
        let groups = self.ctrl.len() / GROUP;
        let g = ((u128::from(h) * groups as u128) >> 64) as usize;
        (g, (h & 0x7f) as u8)
    }

    #[inline]
    fn group(&self, g: usize) -> u64 {
        let b: [u8; GROUP] = self.ctrl[g * GROUP..(g + 1) * GROUP]
            .try_into()
            .expect("a whole group");
        u64::from_le_bytes(b)
    }

    /// The id hashed `hash` for which `eq` holds, if indexed.
    #[inline]
    pub fn find(&self, hash: u64, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        self.seek(hash, eq).ok()
    }

    /// Indexes `id` (not indexed yet: the next id, `len`) under `hash`;
    /// `rehash` gives any indexed id's hash, for growing.
    #[inline]
    pub fn insert_next(&mut self, hash: u64, id: u32, rehash: impl Fn(u32) -> u64) {
        debug_assert_eq!(id as usize, self.len, "ids are indexed in order");
        if (self.len + 1) * 8 > self.ctrl.len() * 7 {
            self.grow_for(self.len + 1, rehash);
        }
        self.place(hash, id);
    }

    /// The id hashed `hash` for which `eq` holds, if indexed (as
    /// [`IdIndex::find`]); else indexes `id` (the next id, `len`) under
    /// `hash` (as [`IdIndex::insert_next`]) and gives `None`. One probe
    /// where a look-up and then an insertion make two: the slot taken is
    /// the first empty one the look-up met.
    #[inline]
    pub fn find_or_insert_next(
        &mut self,
        hash: u64,
        id: u32,
        eq: impl FnMut(u32) -> bool,
        rehash: impl Fn(u32) -> u64,
    ) -> Option<u32> {
        debug_assert_eq!(id as usize, self.len, "ids are indexed in order");
        if (self.len + 1) * 8 > self.ctrl.len() * 7 {
            self.grow_for(self.len + 1, rehash);
        }
        match self.seek(hash, eq) {
            Ok(found) => Some(found),
            Err((slot, tag)) => {
                self.put(slot, tag, id);
                None
            }
        }
    }

    /// Probes from where `hash` lands: the id for which `eq` holds, or
    /// the first empty slot met (and the control byte an id hashed `hash`
    /// takes there). The table must have slots.
    #[inline]
    fn seek(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Result<u32, (usize, u8)> {
        let groups = self.ctrl.len() / GROUP;
        let (mut g, tag) = self.probe(hash);
        loop {
            let word = self.group(g);
            // Bytes equal to `tag` (a few false hits after a true one are
            // possible, on full slots only: `eq` sorts them out).
            let x = word ^ (LSB * u64::from(tag));
            let mut hits = x.wrapping_sub(LSB) & !x & MSB;
            while hits != 0 {
                let id = self.id_at(g * GROUP + hits.trailing_zeros() as usize / 8);
                if eq(id) {
                    return Ok(id);
                }
                hits &= hits - 1;
            }
            let empty = word & MSB;
            if empty != 0 {
                return Err((g * GROUP + empty.trailing_zeros() as usize / 8, tag));
            }
            g = if g + 1 == groups { 0 } else { g + 1 };
        }
    }

    /// An index of ids `0..n`, hashed by `hash`.
    pub fn indexing(n: usize, hash: impl Fn(u32) -> u64) -> Self {
        let mut index = IdIndex {
            len: n,
            ..IdIndex::default()
        };
        index.rebuild(slots_for(n), hash);
        index
    }

    /// Makes room for `additional` more ids without growing step by step.
    pub fn reserve(&mut self, additional: usize, rehash: impl Fn(u32) -> u64) {
        let want = self.len + additional;
        if want * 8 > self.ctrl.len() * 7 {
            self.rebuild(slots_for(want), rehash);
        }
    }

    /// Says how many ids the index will likely hold in the end: its next
    /// growth goes straight there (up to [`EXPECT_REACH`] times the ids it
    /// holds then), rather than by steps that each hash every id again.
    /// Growing is the only thing a guess changes; a wrong one costs memory
    /// only (a slot is 4 bytes), within that reach.
    pub fn expect(&mut self, ids: usize) {
        self.expected = ids;
    }

    /// Grows to hold `want` ids.
    #[cold]
    fn grow_for(&mut self, want: usize, rehash: impl Fn(u32) -> u64) {
        let now = self.ctrl.len();
        let next = if now < DOUBLE_BELOW {
            now * 2
        } else {
            now + now / 4
        };
        let next = if self.expected > want {
            slots_for(self.expected.min(want.saturating_mul(EXPECT_REACH)))
        } else {
            next.max(slots_for(want))
        };
        self.rebuild(next, rehash);
    }

    /// A table of `slots` slots (rounded up to whole groups) holding ids
    /// `0..len` again. The old table is freed first: the ids are known.
    fn rebuild(&mut self, slots: usize, rehash: impl Fn(u32) -> u64) {
        let slots = slots.div_ceil(GROUP).max(1) * GROUP;
        self.width = id_width(slots);
        self.mask = u32::MAX >> (8 * (4 - self.width));
        self.ctrl = Vec::new();
        self.ids = Vec::new();
        self.ctrl = vec![EMPTY; slots];
        self.ids = vec![0; slots * self.width + 1];
        for id in 0..self.len as u32 {
            self.place(rehash(id), id);
        }
    }

    /// Puts `id` in the first free slot from where `hash` lands.
    #[inline]
    fn place(&mut self, hash: u64, id: u32) {
        let groups = self.ctrl.len() / GROUP;
        let (mut g, tag) = self.probe(hash);
        loop {
            let empty = self.group(g) & MSB;
            if empty != 0 {
                self.put(g * GROUP + empty.trailing_zeros() as usize / 8, tag, id);
                return;
            }
            g = if g + 1 == groups { 0 } else { g + 1 };
        }
    }

    /// Fills the empty slot `i` with `id`, tagged `tag`.
    #[inline]
    fn put(&mut self, i: usize, tag: u8, id: u32) {
        self.ctrl[i] = tag;
        let at = i * self.width;
        self.ids[at..at + self.width].copy_from_slice(&id.to_le_bytes()[..self.width]);
        self.len = self.len.max(id as usize + 1);
    }
}

/// A growth sized by [`IdIndex::expect`] holds at most this many times the
/// ids the index holds when it grows.
const EXPECT_REACH: usize = 16;

/// Bytes an id takes in a table of `slots` slots: every id is below the
/// slot count (at most 7/8 of them are used).
fn id_width(slots: usize) -> usize {
    if slots <= 1 << 24 {
        3
    } else {
        4
    }
}

/// Slots for `n` ids at most 7/8 full.
fn slots_for(n: usize) -> usize {
    (n * 8).div_ceil(7).max(GROUP)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A poor hash on purpose: ten ids share each value, more than a group
    /// holds, so groups fill and probes run on into the next. (A thousand
    /// values, 200 ids each, made this test a debug build's slowest, 4-9 s,
    /// for no more coverage.)
    fn hash_of(v: u64) -> u64 {
        v % 20_000
    }

    #[test]
    fn finds_every_id_and_nothing_else_across_growth() {
        let values: Vec<u64> = (0..200_000u64).map(|i| i * 7919 % 1_000_003).collect();
        let mut index = IdIndex::default();
        let rehash = |id: u32| hash_of(values[id as usize]);
        for (id, &v) in values.iter().enumerate() {
            let eq = |i: u32| values[i as usize] == v;
            assert_eq!(index.find(hash_of(v), eq), None);
            index.insert_next(hash_of(v), id as u32, rehash);
            if id % 997 == 0 {
                // Everything so far is still found after each growth.
                for (j, &w) in values[..=id].iter().enumerate().step_by(101) {
                    let eq = |i: u32| values[i as usize] == w;
                    assert_eq!(index.find(hash_of(w), eq), Some(j as u32));
                }
            }
        }
        assert_eq!(index.len(), values.len());
        for (id, &v) in values.iter().enumerate() {
            assert_eq!(
                index.find(hash_of(v), |i| values[i as usize] == v),
                Some(id as u32)
            );
        }
        assert_eq!(index.find(hash_of(5), |i| values[i as usize] == 5), None);
        // Large, it grows by a quarter, never past 1.43 slots an id, of 4
        // bytes each (a control byte and a 3-byte id).
        assert!(
            index.capacity() * 7 <= values.len() * 10,
            "{}",
            index.capacity()
        );
        assert_eq!(index.approx_bytes(), index.capacity() * 4 + 1);
    }

    #[test]
    fn ids_take_three_bytes_below_two_to_the_24_slots_and_four_after() {
        assert_eq!((id_width(8), id_width(1 << 24)), (3, 3));
        assert_eq!(id_width((1 << 24) + GROUP), 4);
        // A table of 4-byte ids (past 2^24 slots; built small here) reads
        // back ids that need all four bytes.
        let ids = [0, 0xff_ffff, 0x100_0000, u32::MAX - 1];
        let mut index = IdIndex {
            ctrl: vec![EMPTY; 16],
            ids: vec![0; 16 * 4 + 1],
            width: 4,
            mask: u32::MAX,
            len: 0,
            ..IdIndex::default()
        };
        for &id in &ids {
            index.place(u64::from(id), id);
        }
        for &id in &ids {
            assert_eq!(index.find(u64::from(id), |i| i == id), Some(id));
        }
        // And in 3 bytes, the largest id a table of 2^24 slots can hold.
        let mut index = IdIndex::default();
        index.rebuild(16, |_| unreachable!("empty"));
        index.place(7, 0xff_ffff);
        index.place(9, 0xfe_0001);
        assert_eq!(index.find(7, |i| i == 0xff_ffff), Some(0xff_ffff));
        assert_eq!(index.find(9, |i| i == 0xfe_0001), Some(0xfe_0001));
    }

    /// Hashes chosen to land in one group under a known (unkeyed) mix
    /// spread out under the process's key: each look-up reads a few groups,
    /// not all of them.
    #[test]
    fn hashes_crafted_for_one_group_spread_under_the_key() {
        let n = 2_000u32;
        let known = Seed(0, 0x9e37_79b9_7f4a_7c15);
        let mut index = IdIndex::default();
        index.reserve(n as usize, |_| unreachable!("empty"));
        let groups = (index.capacity() / GROUP) as u128;
        let group_of = |h: u64| (u128::from(mix(h, known)) * groups) >> 64;
        let crafted: Vec<u64> = (0u64..)
            .filter(|&h| group_of(h) == 0)
            .take(n as usize)
            .collect();
        for (id, &h) in crafted.iter().enumerate() {
            index.insert_next(h, id as u32, |_| unreachable!("reserved"));
        }
        let mut compared = 0;
        for (id, &h) in crafted.iter().enumerate() {
            let found = index.find(h, |i| {
                compared += 1;
                i == id as u32
            });
            assert_eq!(found, Some(id as u32));
        }
        assert!(
            compared < 4 * n as usize,
            "{compared} compares for {n} look-ups"
        );
    }

    #[test]
    fn one_probe_finds_what_is_indexed_and_places_what_is_not() {
        let values: Vec<u64> = (0..50_000u64).map(|i| i * 7919 % 20_011).collect();
        let mut index = IdIndex::default();
        let mut firsts = Vec::new();
        for (n, &v) in values.iter().enumerate() {
            // Ids are the first position of each distinct value.
            let id = firsts.len() as u32;
            let got = index.find_or_insert_next(
                hash_of(v),
                id,
                |i| values[firsts[i as usize]] == v,
                |i| hash_of(values[firsts[i as usize]]),
            );
            let want = values[..n].iter().position(|&w| w == v);
            assert_eq!(got.map(|i| firsts[i as usize]), want, "value {v}");
            if got.is_none() {
                firsts.push(n);
            }
        }
        assert_eq!(firsts.len(), 20_011);
        assert_eq!(index.len(), firsts.len());
    }

    #[test]
    fn an_index_told_what_to_expect_grows_there_at_once() {
        let real = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9);
        let mut index = IdIndex::default();
        index.expect(10_000);
        let mut growths = 0;
        let mut cap = index.capacity();
        for id in 0..10_000u32 {
            index.insert_next(real(id), id, real);
            if index.capacity() != cap {
                growths += 1;
                cap = index.capacity();
            }
        }
        // Each growth holds 16 times the ids held, up to the guess (24 →
        // 408 → 6,552 → 11,432 slots): not the eleven doublings unaided.
        assert_eq!(growths, 4);
        assert_eq!(cap, slots_for(10_000).div_ceil(GROUP) * GROUP);
        for id in 0..10_000u32 {
            assert_eq!(index.find(real(id), |i| i == id), Some(id));
        }
        // A guess far too large costs at most 16 times the ids held.
        let mut index = IdIndex::default();
        index.expect(usize::MAX);
        for id in 0..1_000u32 {
            index.insert_next(real(id), id, real);
        }
        assert!(index.capacity() <= 16 * 1_000 * 8 / 7 + GROUP);
    }

    #[test]
    fn a_reserved_index_does_not_grow_until_full() {
        let mut index = IdIndex::default();
        index.reserve(1000, |_| unreachable!("empty"));
        let cap = index.capacity();
        assert!(cap * 7 >= 1000 * 8);
        let real = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9);
        for id in 0..1000u32 {
            index.insert_next(real(id), id, |_| unreachable!("no growth"));
        }
        assert_eq!(index.capacity(), cap);
        for id in 0..1000u32 {
            assert_eq!(index.find(real(id), |i| i == id), Some(id));
        }
    }
}
