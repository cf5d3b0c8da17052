//! The interner's stacks: every distinct stack once, in one arena of frame ids.

use super::frame::{FrameId, StackId};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// A stack this long is kept in the vector its parser built it in, not
/// copied into the arena: a record of a million frames is then held once,
/// never twice (the parser's vector and the arena's copy).
const LONG: usize = 1 << 16;

/// All distinct stacks. Stack `i` is `frames[starts[i]..starts[i + 1]]`
/// (4 bytes per stack beside its frame ids); the index holds stack ids only
/// and compares against the arena, so no id is stored twice. A long stack
/// has an empty span in the arena and sits in `long` instead.
#[derive(Debug, Clone)]
pub(super) struct Stacks {
    frames: Vec<FrameId>,
    starts: Vec<u32>,
    index: HashTable<StackId>,
    /// Long stacks (see [`LONG`]), in id order.
    long: Vec<(StackId, Box<[FrameId]>)>,
}

impl Default for Stacks {
    fn default() -> Self {
        Stacks {
            frames: Vec::new(),
            starts: vec![0],
            index: HashTable::new(),
            long: Vec::new(),
        }
    }
}

impl Stacks {
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn get(&self, id: StackId) -> &[FrameId] {
        slice(&self.frames, &self.starts, &self.long, id)
    }

    fn find(&self, hash: u64, frames: &[FrameId]) -> Option<StackId> {
        self.index.find(hash, |&id| self.get(id) == frames).copied()
    }

    pub fn intern(&mut self, frames: &[FrameId]) -> StackId {
        self.index_all();
        let hash = FxBuildHasher.hash_one(frames);
        if let Some(id) = self.find(hash, frames) {
            return id;
        }
        self.frames.extend_from_slice(frames);
        self.push(hash)
    }

    /// Interns the stack built in `frames` and leaves `frames` empty; a long
    /// one moves into the store without a copy.
    pub fn intern_taken(&mut self, frames: &mut Vec<FrameId>) -> StackId {
        if frames.len() < LONG {
            let id = self.intern(frames);
            frames.clear();
            return id;
        }
        self.index_all();
        let hash = FxBuildHasher.hash_one(&frames[..]);
        if let Some(id) = self.find(hash, frames) {
            frames.clear();
            return id;
        }
        let id = StackId(self.len() as u32);
        self.long
            .push((id, std::mem::take(frames).into_boxed_slice()));
        self.push(hash)
    }

    /// Adds the stack whose frames were just appended (none, for a long one).
    fn push(&mut self, hash: u64) -> StackId {
        let id = StackId(self.len() as u32);
        self.starts.push(self.frames.len() as u32);
        let (frames, starts, long) = (&self.frames, &self.starts, &self.long);
        self.index.insert_unique(hash, id, |&id| {
            FxBuildHasher.hash_one(slice(frames, starts, long, id))
        });
        id
    }

    /// Frees the index, which only interning reads: a loaded report keeps
    /// its stacks without it (10 MB for a million stacks). The next
    /// [`Self::intern`] builds it again.
    pub fn drop_index(&mut self) {
        self.index = HashTable::new();
    }

    /// Indexes every stack, if the index was dropped (see [`Self::drop_index`]).
    fn index_all(&mut self) {
        if self.index.len() == self.len() {
            return;
        }
        let (frames, starts, long) = (&self.frames, &self.starts, &self.long);
        let hash = |id: StackId| FxBuildHasher.hash_one(slice(frames, starts, long, id));
        let mut index = HashTable::with_capacity(self.len());
        for i in 0..self.len() as u32 {
            index.insert_unique(hash(StackId(i)), StackId(i), |&id| hash(id));
        }
        self.index = index;
    }

    /// Bytes held (vectors and index): what copying it would cost.
    pub fn approx_bytes(&self) -> usize {
        self.frames.capacity() * 4
            + self.starts.capacity() * 4
            + self.index.capacity() * 5
            + self
                .long
                .iter()
                .map(|(_, f)| f.len() * 4 + 24)
                .sum::<usize>()
    }
}

/// Stack `id`'s frames (see [`Stacks`]); empty for an unknown id.
fn slice<'a>(
    frames: &'a [FrameId],
    starts: &[u32],
    long: &'a [(StackId, Box<[FrameId]>)],
    id: StackId,
) -> &'a [FrameId] {
    let i = id.0 as usize;
    let (Some(&s), Some(&e)) = (starts.get(i), starts.get(i + 1)) else {
        return &[];
    };
    if s == e && !long.is_empty() {
        if let Ok(k) = long.binary_search_by_key(&id, |(l, _)| *l) {
            return &long[k].1;
        }
    }
    &frames[s as usize..e as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: impl IntoIterator<Item = u32>) -> Vec<FrameId> {
        v.into_iter().map(FrameId).collect()
    }

    #[test]
    fn stacks_are_interned_once_long_or_short() {
        let mut s = Stacks::default();
        let empty = s.intern(&[]);
        let a = s.intern(&ids([1, 2, 3]));
        let mut deep = ids((0..LONG as u32 + 5).map(|i| i % 100));
        let want = deep.clone();
        let d = s.intern_taken(&mut deep);
        assert!(deep.is_empty());
        let mut again = want.clone();
        assert_eq!(s.intern_taken(&mut again), d);
        assert_eq!(s.intern(&want), d);
        let mut short = ids([1, 2, 3]);
        assert_eq!(s.intern_taken(&mut short), a);
        let b = s.intern(&ids([4]));
        assert_eq!(
            (empty, a, d, b),
            (StackId(0), StackId(1), StackId(2), StackId(3))
        );
        assert_eq!(s.get(d), &want[..]);
        assert_eq!(s.get(b), &ids([4])[..]);
        assert!(s.get(empty).is_empty());
        assert!(s.get(StackId(9)).is_empty());
        // Many more stacks: the index grows, rehashing long and short alike.
        for i in 0..10_000 {
            s.intern(&ids([i, i + 1]));
        }
        assert_eq!(s.intern(&want), d);
        assert_eq!(s.intern(&ids([1, 2, 3])), a);
        assert_eq!(s.len(), 4 + 10_000);
        // Without its index (a loaded report), interning finds them again.
        s.drop_index();
        assert_eq!(s.intern(&ids([4])), b);
        s.drop_index();
        assert_eq!(s.intern_taken(&mut want.clone()), d);
        assert_eq!(s.intern(&ids([5, 5])), StackId(4 + 10_000));
        assert_eq!(s.get(a), &ids([1, 2, 3])[..]);
    }
}
