//! The interner's location keys: each distinct location text stored once,
//! in one buffer, and found by its hash.
//!
//! A location is looked up by the text of its frame line (or a built
//! frame's key) every time a chunk meets it. The texts used to be the keys
//! of a map, one allocation each plus a 24-byte entry: ~75 bytes a location
//! beyond the text. A log of a million distinct functions has a million of
//! them. Here a location costs its text, its end (8 bytes) and a 4-byte slot.

use super::TextKeyed;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Clone, Default)]
pub(super) struct LocationKeys {
    /// Every key, one after the other, in location order.
    text: Vec<u8>,
    /// Where each location's key ends in `text` (it starts where the one
    /// before ends).
    ends: Vec<u64>,
    /// Location ids, by the hash of their key. Keyed (see [`TextKeyed`]):
    /// the texts are the log's.
    table: HashTable<u32>,
    hasher: TextKeyed,
}

impl LocationKeys {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Location `l`'s key.
    pub fn key(&self, l: u32) -> &[u8] {
        key_in(&self.text, &self.ends, l)
    }

    /// The location whose key is `key`, if any.
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&l| self.key(l) == key).copied()
    }

    /// Adds `key` (not yet present) as the next location; returns its id.
    pub fn push(&mut self, key: &[u8]) -> u32 {
        let l = self.ends.len() as u32;
        self.text.extend_from_slice(key);
        self.ends.push(self.text.len() as u64);
        let hash = self.hasher.hash_one(key);
        // The table borrowed apart from the keys it rehashes when it grows.
        let Self {
            text,
            ends,
            table,
            hasher,
        } = self;
        table.insert_unique(hash, l, |&m| hasher.hash_one(key_in(text, ends, m)));
        l
    }

    /// About how many bytes the keys hold.
    pub fn approx_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
    }

    #[cfg(test)]
    pub fn hash_of(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }
}

/// Location `l`'s key in `text`, whose keys end at `ends`.
fn key_in<'a>(text: &'a [u8], ends: &[u64], l: u32) -> &'a [u8] {
    let l = l as usize;
    let start = if l == 0 { 0 } else { ends[l - 1] as usize };
    &text[start..ends[l] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_their_text_and_read_back_in_order() {
        let mut k = LocationKeys::default();
        let texts: Vec<String> = (0..5_000).map(|n| format!("f{n} (a.c:{n})")).collect();
        for (n, t) in texts.iter().enumerate() {
            assert_eq!(k.get(t.as_bytes()), None);
            assert_eq!(k.push(t.as_bytes()), n as u32);
        }
        // The empty key is a key like any other (a frame line `0x1:`).
        assert_eq!(k.push(b""), 5_000);
        assert_eq!(k.get(b""), Some(5_000));
        for (n, t) in texts.iter().enumerate() {
            assert_eq!(k.get(t.as_bytes()), Some(n as u32));
            assert_eq!(k.key(n as u32), t.as_bytes());
        }
        assert_eq!(k.get(b"f1 (a.c:2)"), None);
        assert_eq!(k.len(), 5_001);
    }
}
