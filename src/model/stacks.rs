//! The interner's stacks: every distinct stack once, in one arena of frame
//! ids; a long one (deep recursion) packed (see [`super::packed`]).

use super::id_index::IdIndex;
use super::interner::{FrameId, StackId};
use super::packed::{Frames, PackBuilder, Packed};
use super::spans::Spans;

/// A stack this long is packed (see [`super::packed`]), both as a parser
/// builds it ([`StackBuilder`]) and in the store: a record of a million
/// frames then costs its distinct frames, never its depth.
const LONG: usize = 1 << 16;

/// All distinct stacks. Stack `i` is the span `spans.get(i)` of `frames`
/// (1.25 bytes per stack beside its frame ids: see [`Spans`]); the index
/// holds stack ids only
/// and compares against the arena, so no id is stored twice. A long stack
/// has an empty span in the arena and sits in `long`, packed, instead.
#[derive(Debug, Clone, Default)]
pub(super) struct Stacks {
    frames: Vec<FrameId>,
    spans: Spans,
    index: IdIndex,
    /// Long stacks (see [`LONG`]), in id order.
    long: Vec<(StackId, Packed)>,
}

/// A stack as a parser builds it, frame by frame: written out while short,
/// packed once it is [`LONG`] (so the parse never holds a deep recursion
/// written out either).
#[derive(Debug, Default)]
pub struct StackBuilder {
    flat: Vec<FrameId>,
    packing: Option<Box<PackBuilder>>,
}

impl StackBuilder {
    #[inline(always)]
    pub fn push(&mut self, id: FrameId) {
        match &mut self.packing {
            None => {
                self.flat.push(id);
                if self.flat.len() >= LONG {
                    self.start_packing();
                }
            }
            Some(b) => b.push(id),
        }
    }

    /// [`Self::push`] of each of `ids`, in order; one copy while the stack
    /// stays short (a worker's repeated run of frame lines, see
    /// `parse::text::repeats`).
    #[inline]
    pub fn extend_from_slice(&mut self, ids: &[FrameId]) {
        if self.packing.is_none() && self.flat.len() + ids.len() < LONG {
            self.flat.extend_from_slice(ids);
        } else {
            ids.iter().for_each(|&id| self.push(id));
        }
    }

    #[cold]
    fn start_packing(&mut self) {
        let mut b = Box::<PackBuilder>::default();
        for &id in &self.flat {
            b.push(id);
        }
        self.flat = Vec::new();
        self.packing = Some(b);
    }

    pub fn len(&self) -> usize {
        self.packing.as_ref().map_or(self.flat.len(), |b| b.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.flat.clear();
        self.packing = None;
    }
}

impl Stacks {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn get(&self, id: StackId) -> Frames<'_> {
        slice(&self.frames, &self.spans, &self.long, id)
    }

    /// The packed form of stack `id`, if it is long.
    pub fn packed(&self, id: StackId) -> Option<&Packed> {
        let k = self.long.binary_search_by_key(&id, |(l, _)| *l).ok()?;
        Some(&self.long[k].1)
    }

    fn find(&self, hash: u64, frames: Frames) -> Option<StackId> {
        self.index
            .find(hash, |id| self.get(StackId(id)) == frames)
            .map(StackId)
    }

    pub fn intern(&mut self, frames: &[FrameId]) -> StackId {
        if frames.len() >= LONG {
            self.index_all();
            return self.intern_packed(pack(frames));
        }
        let start = self.frames.len();
        self.frames.extend_from_slice(frames);
        self.intern_appended(start)
    }

    /// Interns another interner's stack `theirs`, its frames renumbered by
    /// `renumber`: written straight into the arena (most of a text chunk's
    /// stacks are new to the log), not into a buffer first.
    pub fn intern_renumbered(
        &mut self,
        theirs: Frames,
        renumber: impl Fn(FrameId) -> FrameId,
    ) -> StackId {
        if theirs.len() >= LONG {
            let frames: Vec<FrameId> = theirs.iter().map(|&f| renumber(f)).collect();
            return self.intern(&frames);
        }
        let start = self.frames.len();
        // A written-out stack as a slice: an exact-size copy, not a push
        // per frame.
        match theirs.as_slice() {
            Some(s) => self.frames.extend(s.iter().map(|&f| renumber(f))),
            None => self.frames.extend(theirs.iter().map(|&f| renumber(f))),
        }
        self.intern_appended(start)
    }

    /// Interns the short stack just written at the arena's end, from
    /// `start`: kept there if new, taken off again if already held. One
    /// probe of the index finds it or places it.
    fn intern_appended(&mut self, start: usize) -> StackId {
        self.index_all();
        let Self {
            frames,
            spans,
            index,
            long,
        } = self;
        let new = Frames::from(&frames[start..]);
        let hash = new.hash();
        let id = spans.len() as u32;
        let found = index.find_or_insert_next(
            hash,
            id,
            |old| slice(frames, spans, long, StackId(old)) == new,
            |old| slice(frames, spans, long, StackId(old)).hash(),
        );
        match found {
            Some(old) => {
                frames.truncate(start);
                StackId(old)
            }
            None => {
                spans.push(start as u32, (frames.len() - start) as u32);
                StackId(id)
            }
        }
    }

    /// Interns the stack built in `frames` and leaves `frames` empty.
    pub fn intern_taken(&mut self, frames: &mut Vec<FrameId>) -> StackId {
        let id = self.intern(frames);
        if frames.len() >= LONG {
            *frames = Vec::new();
        }
        frames.clear();
        id
    }

    /// Interns the stack a parser built and leaves the builder empty.
    pub fn intern_built(&mut self, b: &mut StackBuilder) -> StackId {
        let id = match b.packing.take() {
            Some(p) => self.intern_packed(p.finish()),
            None => self.intern(&b.flat),
        };
        b.clear();
        id
    }

    /// Interns a long stack, packed.
    pub fn intern_packed(&mut self, p: Packed) -> StackId {
        debug_assert!(p.len() >= LONG);
        self.index_all();
        let hash = Frames::from(&p).hash();
        if let Some(id) = self.find(hash, Frames::from(&p)) {
            return id;
        }
        let id = StackId(self.len() as u32);
        self.long.push((id, p));
        self.push(hash, 0)
    }

    /// Adds the stack whose `len` frames were just appended (none, for a
    /// long one).
    fn push(&mut self, hash: u64, len: usize) -> StackId {
        let id = StackId(self.len() as u32);
        let end = self.frames.len();
        self.spans.push((end - len) as u32, len as u32);
        let (frames, spans, long) = (&self.frames, &self.spans, &self.long);
        self.index.insert_next(hash, id.0, |id| {
            slice(frames, spans, long, StackId(id)).hash()
        });
        id
    }

    /// Makes room for `stacks` more stacks of `frames` frames in all, so a
    /// text chunk worker's interner (a fresh one per chunk) does not grow
    /// its index step by step, hashing every stack again each time.
    pub fn reserve(&mut self, stacks: usize, frames: usize) {
        self.index_all();
        self.frames.reserve(frames);
        self.spans.reserve(stacks);
        let (f, spans, long) = (&self.frames, &self.spans, &self.long);
        self.index
            .reserve(stacks, |id| slice(f, spans, long, StackId(id)).hash());
    }

    /// Says how many stacks there will likely be in the end, so the index
    /// grows there at once (see [`IdIndex::expect`]).
    pub fn expect(&mut self, stacks: usize) {
        self.index.expect(stacks);
    }

    /// Frees the index, which only interning reads: a loaded report keeps
    /// its stacks without it (6-7 MB for a million stacks). The next
    /// [`Self::intern`] builds it again.
    pub fn drop_index(&mut self) {
        self.index = IdIndex::default();
    }

    /// Indexes every stack, if the index was dropped (see [`Self::drop_index`]).
    fn index_all(&mut self) {
        if self.index.len() == self.len() {
            return;
        }
        let (frames, spans, long) = (&self.frames, &self.spans, &self.long);
        let hash = |id: u32| slice(frames, spans, long, StackId(id)).hash();
        self.index = IdIndex::indexing(self.len(), hash);
    }

    /// Bytes held (vectors and index): what copying it would cost.
    pub fn approx_bytes(&self) -> usize {
        self.frames.capacity() * 4
            + self.spans.approx_bytes()
            + self.index.approx_bytes()
            + self
                .long
                .iter()
                .map(|(_, p)| p.approx_bytes() + 4)
                .sum::<usize>()
    }
}

/// Stack `id`'s frames (see [`Stacks`]); empty for an unknown id.
#[inline]
fn slice<'a>(
    frames: &'a [FrameId],
    spans: &Spans,
    long: &'a [(StackId, Packed)],
    id: StackId,
) -> Frames<'a> {
    let Some((s, e)) = spans.get(id.0 as usize) else {
        return Frames::from(&[][..]);
    };
    if s == e && !long.is_empty() {
        if let Ok(k) = long.binary_search_by_key(&id, |(l, _)| *l) {
            return Frames::from(&long[k].1);
        }
    }
    Frames::from(&frames[s..e])
}

fn pack(frames: &[FrameId]) -> Packed {
    let mut b = PackBuilder::default();
    for &id in frames {
        b.push(id);
    }
    b.finish()
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
        // Built frame by frame, as the text parser does: packed as it grows.
        let mut built = StackBuilder::default();
        for &f in &want {
            built.push(f);
        }
        assert_eq!(built.len(), want.len());
        assert_eq!(s.intern_built(&mut built), d);
        assert!(built.is_empty());
        let mut short = ids([1, 2, 3]);
        assert_eq!(s.intern_taken(&mut short), a);
        let b = s.intern(&ids([4]));
        assert_eq!(
            (empty, a, d, b),
            (StackId(0), StackId(1), StackId(2), StackId(3))
        );
        assert_eq!(s.get(d).to_vec(), want);
        assert!(
            s.approx_bytes() < 64 * 1024,
            "packed: {} bytes",
            s.approx_bytes()
        );
        assert_eq!(s.get(b).to_vec(), ids([4]));
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
        assert_eq!(s.get(a).to_vec(), ids([1, 2, 3]));
    }
}
