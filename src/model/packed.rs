//! Long stacks, packed: a stack of tens of thousands of frames is deep
//! recursion — the same few frames again and again — so it is kept as runs
//! of frames written out and runs that repeat the frames `period` above
//! them. A record of a million frames then costs memory in proportion to
//! its distinct frames, not to its depth. [`Frames`] reads a stack either
//! way (written out or packed) with a slice's methods.

use super::interner::FrameId;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;
use std::ops::Range;

/// Frames in a row that equal the frames a period above them before they
/// are packed as a repeat: a repeat costs one run (12 bytes), so shorter
/// ones stay written out.
const MIN_REPEAT: u32 = 32;

/// A run's `lit` when it repeats rather than lists frames.
const REPEAT: u32 = u32::MAX;

/// A stack as runs (see the module's doc). Built frame by frame by
/// [`PackBuilder`], so the stack is never held written out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packed {
    /// The frames of the written-out runs, one after another.
    lits: Vec<FrameId>,
    runs: Vec<PackedRun>,
    len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedRun {
    /// Index in the stack of the run's first frame.
    start: u32,
    /// Where its frames start in `lits`; [`REPEAT`] for a repeat.
    lit: u32,
    /// A repeat: each frame is the frame this far above it.
    period: u32,
}

/// A run of a stack, for views that show a recursion once (the detail
/// pane, the copied stack): frames listed, or frames that repeat the
/// `period` frames above them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    Listed(Range<usize>),
    Repeat { frames: Range<usize>, period: usize },
}

impl Run {
    /// The part of the run before frame `n`, if any.
    fn clip(self, n: usize) -> Option<Run> {
        let cut = |r: Range<usize>| (r.start < n).then(|| r.start..r.end.min(n));
        match self {
            Run::Listed(r) => cut(r).map(Run::Listed),
            Run::Repeat { frames, period } => {
                cut(frames).map(|frames| Run::Repeat { frames, period })
            }
        }
    }
}

impl Packed {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Frame `i`: a repeat's frame is the one `period` above it, until a
    /// listed run holds it.
    pub fn get(&self, mut i: usize) -> Option<&FrameId> {
        if i >= self.len() {
            return None;
        }
        loop {
            let k = self.runs.partition_point(|r| r.start as usize <= i) - 1;
            let r = self.runs[k];
            let start = r.start as usize;
            if r.lit != REPEAT {
                return self.lits.get(r.lit as usize + i - start);
            }
            let p = r.period as usize;
            i -= ((i - start) / p + 1) * p;
        }
    }

    /// Bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.lits.capacity() * 4 + self.runs.capacity() * 12 + 32
    }

    /// The same stack with every frame id mapped by `f`, which must map
    /// distinct ids to distinct ids (an interner's remap does).
    pub fn map(&self, f: impl Fn(FrameId) -> FrameId) -> Packed {
        Packed {
            lits: self.lits.iter().map(|&id| f(id)).collect(),
            runs: self.runs.clone(),
            len: self.len,
        }
    }

    fn runs(&self) -> impl Iterator<Item = Run> + '_ {
        self.runs.iter().enumerate().map(|(k, r)| {
            let end = self.runs.get(k + 1).map_or(self.len, |n| n.start) as usize;
            let frames = r.start as usize..end;
            if r.lit == REPEAT {
                Run::Repeat {
                    frames,
                    period: r.period as usize,
                }
            } else {
                Run::Listed(frames)
            }
        })
    }
}

/// Packs a stack as its frames arrive. Besides the packed stack it holds
/// each distinct frame's last index, and one candidate period: the gap to
/// the last time the newest frame was seen, kept while the frames that
/// follow match the frames that far above them.
#[derive(Debug, Default)]
pub struct PackBuilder {
    packed: Packed,
    last: FxHashMap<FrameId, u32>,
    period: u32,
    /// How many frames in a row, up to the newest, equal the frame
    /// `period` above them (all in the open listed run).
    streak: u32,
}

impl PackBuilder {
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    pub fn push(&mut self, id: FrameId) {
        let p = &mut self.packed;
        let i = p.len;
        if let Some(r) = p.runs.last().filter(|r| r.lit == REPEAT) {
            let period = r.period;
            if p.get((i - period) as usize) == Some(&id) {
                p.len += 1;
                self.last.insert(id, i);
                return;
            }
            (self.period, self.streak) = (0, 0);
        }
        if p.runs.last().map_or(true, |r| r.lit == REPEAT) {
            p.runs.push(PackedRun {
                start: i,
                lit: p.lits.len() as u32,
                period: 0,
            });
        }
        p.lits.push(id);
        p.len += 1;
        if self.period != 0 && p.get((i - self.period) as usize) == Some(&id) {
            self.streak += 1;
        } else if let Some(&j) = self.last.get(&id) {
            (self.period, self.streak) = (i - j, 1);
        } else {
            (self.period, self.streak) = (0, 0);
        }
        self.last.insert(id, i);
        if self.streak >= MIN_REPEAT {
            self.fold_streak();
        }
    }

    /// Turns the streak's frames (the end of the open listed run) into a
    /// repeat.
    fn fold_streak(&mut self) {
        let p = &mut self.packed;
        let n = self.streak;
        p.lits.truncate(p.lits.len() - n as usize);
        let start = p.len - n;
        if p.runs.last().is_some_and(|r| r.start == start) {
            p.runs.pop();
        }
        p.runs.push(PackedRun {
            start,
            lit: REPEAT,
            period: self.period,
        });
        (self.period, self.streak) = (0, 0);
    }

    pub fn finish(self) -> Packed {
        let mut p = self.packed;
        p.lits.shrink_to_fit();
        p.runs.shrink_to_fit();
        p
    }
}

/// A stack's frames, written out or packed: what `Interner::stack` hands
/// out. It reads like a slice (`len`, `get`, `[i]`, `iter`, `first`,
/// `last`), each frame by reference.
#[derive(Debug, Clone, Copy)]
pub struct Frames<'a>(Repr<'a>);

#[derive(Debug, Clone, Copy)]
enum Repr<'a> {
    Flat(&'a [FrameId]),
    /// A packed stack's first `.1` frames.
    Packed(&'a Packed, usize),
}

impl<'a> From<&'a [FrameId]> for Frames<'a> {
    fn from(s: &'a [FrameId]) -> Self {
        Frames(Repr::Flat(s))
    }
}

impl<'a> From<&'a Packed> for Frames<'a> {
    fn from(p: &'a Packed) -> Self {
        Frames(Repr::Packed(p, p.len()))
    }
}

impl<'a> Frames<'a> {
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Flat(s) => s.len(),
            Repr::Packed(_, n) => n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&'a FrameId> {
        match self.0 {
            Repr::Flat(s) => s.get(i),
            Repr::Packed(p, n) => p.get(i).filter(|_| i < n),
        }
    }

    /// The frames as a slice, for a stack kept written out (not packed).
    pub fn as_slice(&self) -> Option<&'a [FrameId]> {
        match self.0 {
            Repr::Flat(s) => Some(s),
            Repr::Packed(..) => None,
        }
    }

    /// The first `n` frames (all, if fewer).
    pub fn prefix(&self, n: usize) -> Frames<'a> {
        match self.0 {
            Repr::Flat(s) => Frames(Repr::Flat(&s[..n.min(s.len())])),
            Repr::Packed(p, m) => Frames(Repr::Packed(p, n.min(m))),
        }
    }

    pub fn first(&self) -> Option<&'a FrameId> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&'a FrameId> {
        self.get(self.len().checked_sub(1)?)
    }

    pub fn iter(&self) -> FramesIter<'a> {
        match self.0 {
            Repr::Flat(s) => FramesIter::Flat(s.iter()),
            Repr::Packed(p, n) => FramesIter::Packed(p, 0..n),
        }
    }

    pub fn to_vec(&self) -> Vec<FrameId> {
        self.iter().copied().collect()
    }

    /// The frames in runs: one listed run for a stack written out.
    pub fn runs(&self) -> Box<dyn Iterator<Item = Run> + 'a> {
        match self.0 {
            Repr::Flat([]) => Box::new(std::iter::empty()),
            Repr::Flat(s) => Box::new(std::iter::once(Run::Listed(0..s.len()))),
            Repr::Packed(p, n) => Box::new(p.runs().filter_map(move |r| r.clip(n))),
        }
    }

    /// The listed frames with their indices, in stack order: a repeat's
    /// frames are frames above it, so every frame of the stack is among
    /// them, and the first frame (in stack order) that passes any test is
    /// always a listed one. A search for the first such frame (`find`,
    /// `position`, `any`) need not read a recursion's million repeats.
    pub fn listed(&self) -> impl Iterator<Item = (usize, FrameId)> + 'a {
        let frames = *self;
        self.runs()
            .filter_map(|r| match r {
                Run::Listed(r) => Some(r),
                Run::Repeat { .. } => None,
            })
            .flatten()
            .map(move |i| (i, frames[i]))
    }

    /// The listed frames alone (see [`Frames::listed`]), as fast as a
    /// slice's iterator: for a test on the set of a stack's frames (any,
    /// all, which places it passes through).
    pub fn listed_frames(&self) -> FramesIter<'a> {
        match self.0 {
            Repr::Packed(p, n) if n == p.len() => FramesIter::Flat(p.lits.iter()),
            _ => self.iter(),
        }
    }

    /// The hash the interner files the stack under: a stack written out
    /// two frames to a word (its index is built again each time it grows,
    /// hashing every stack: a frame at a time that was the merge's largest
    /// cost on the 1.1 GB log), a packed one frame by frame (stacks of
    /// either kind never have the same length, so never compare equal).
    pub(super) fn hash(&self) -> u64 {
        match self.0 {
            Repr::Flat(s) => {
                let mut h = FxHasher::default();
                h.write_usize(s.len());
                let mut pairs = s.chunks_exact(2);
                for p in &mut pairs {
                    h.write_u64(u64::from(p[0].0) | u64::from(p[1].0) << 32);
                }
                if let [f] = pairs.remainder() {
                    h.write_u32(f.0);
                }
                h.finish()
            }
            Repr::Packed(..) => {
                let mut h = FxHasher::default();
                h.write_usize(self.len());
                for f in self.iter() {
                    h.write_u32(f.0);
                }
                h.finish()
            }
        }
    }
}

impl PartialEq for Frames<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.0, other.0) {
            (Repr::Flat(a), Repr::Flat(b)) => a == b,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl std::ops::Index<usize> for Frames<'_> {
    type Output = FrameId;
    fn index(&self, i: usize) -> &FrameId {
        match self.get(i) {
            Some(f) => f,
            None => panic!("frame {i} of a stack of {}", self.len()),
        }
    }
}

impl<'a> IntoIterator for Frames<'a> {
    type Item = &'a FrameId;
    type IntoIter = FramesIter<'a>;
    fn into_iter(self) -> FramesIter<'a> {
        self.iter()
    }
}

/// A stack's frames in order (see [`Frames::iter`]).
#[derive(Debug, Clone)]
pub enum FramesIter<'a> {
    Flat(std::slice::Iter<'a, FrameId>),
    Packed(&'a Packed, Range<usize>),
}

impl<'a> Iterator for FramesIter<'a> {
    type Item = &'a FrameId;

    #[inline]
    fn next(&mut self) -> Option<&'a FrameId> {
        match self {
            FramesIter::Flat(it) => it.next(),
            FramesIter::Packed(p, r) => p.get(r.next()?),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for FramesIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            FramesIter::Flat(it) => it.next_back(),
            FramesIter::Packed(p, r) => p.get(r.next_back()?),
        }
    }
}

impl ExactSizeIterator for FramesIter<'_> {
    fn len(&self) -> usize {
        match self {
            FramesIter::Flat(it) => it.len(),
            FramesIter::Packed(_, r) => r.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(ids: &[u32]) -> Packed {
        let mut b = PackBuilder::default();
        for &i in ids {
            b.push(FrameId(i));
        }
        b.finish()
    }

    fn check(ids: &[u32]) -> Packed {
        let p = pack(ids);
        let f = Frames::from(&p);
        assert_eq!(f.len(), ids.len());
        let got: Vec<u32> = f.iter().map(|f| f.0).collect();
        assert_eq!(got, ids);
        let back: Vec<u32> = f.iter().rev().map(|f| f.0).collect();
        assert!(back.iter().rev().eq(ids.iter()));
        // The runs cover the stack in order, each repeat true to its period.
        let mut at = 0;
        for run in f.runs() {
            match run {
                Run::Listed(r) => {
                    assert_eq!(r.start, at);
                    at = r.end;
                }
                Run::Repeat { frames, period } => {
                    assert_eq!(frames.start, at);
                    assert!(frames.len() >= MIN_REPEAT as usize && period <= frames.start);
                    for i in frames.clone() {
                        assert_eq!(ids[i], ids[i - period]);
                    }
                    at = frames.end;
                }
            }
        }
        assert_eq!(at, ids.len());
        p
    }

    #[test]
    fn a_recursion_costs_its_distinct_frames() {
        // malloc, then walk_1..walk_99 ten thousand times, as genshapes' deep
        // log: a million frames.
        let ids: Vec<u32> = std::iter::once(0)
            .chain((0..999_999).map(|i| 1 + i % 99))
            .collect();
        let p = check(&ids);
        assert!(p.approx_bytes() < 4096, "{} bytes", p.approx_bytes());
        assert_eq!(
            Frames::from(&p).runs().collect::<Vec<_>>(),
            vec![
                Run::Listed(0..100),
                Run::Repeat {
                    frames: 100..1_000_000,
                    period: 99
                }
            ]
        );
    }

    #[test]
    fn any_sequence_reads_back_as_it_was_pushed() {
        check(&[]);
        check(&[7]);
        check(&(0..1000).collect::<Vec<_>>());
        // Self-recursion (period 1), a repeat that breaks and resumes, a
        // repeat shorter than MIN_REPEAT, periods that change.
        let mut v: Vec<u32> = vec![5; 200];
        v.extend((0..300).map(|i| i % 7));
        v.push(1000);
        v.extend((0..300).map(|i| i % 7));
        v.extend((0..20).map(|i| i % 3));
        v.extend((0..500).map(|i| 50 + i % 13));
        v.extend((0..500).map(|i| 50 + i % 26));
        check(&v);
        // Pseudo-random over few frames: many short matches, none kept
        // wrongly.
        let mut x = 12345u32;
        let r: Vec<u32> = (0..5000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) % 5
            })
            .collect();
        check(&r);
    }

    #[test]
    fn frames_read_like_a_slice() {
        let ids: Vec<FrameId> = [3, 1, 4].into_iter().map(FrameId).collect();
        let f = Frames::from(&ids[..]);
        assert_eq!(
            (f.len(), f[1], f.first(), f.last()),
            (3, FrameId(1), Some(&ids[0]), Some(&ids[2]))
        );
        assert_eq!(f.get(3), None);
        assert_eq!(f.to_vec(), ids);
        assert_eq!(f.runs().collect::<Vec<_>>(), vec![Run::Listed(0..3)]);
        let p = pack(&[3, 1, 4]);
        assert_eq!(Frames::from(&p), f);
        let deep = pack(&(0..1000).map(|i| i % 10).collect::<Vec<_>>());
        let head = Frames::from(&deep).prefix(45);
        assert_eq!(
            (head.len(), head.get(45), head.last()),
            (45, None, Some(&FrameId(4)))
        );
        assert_eq!(
            head.runs().collect::<Vec<_>>(),
            vec![
                Run::Listed(0..10),
                Run::Repeat {
                    frames: 10..45,
                    period: 10
                }
            ]
        );
        assert_eq!(Frames::from(&deep).prefix(5).runs().count(), 1);
        let listed: Vec<(usize, FrameId)> = Frames::from(&deep).listed().collect();
        assert_eq!(listed.len(), 10);
        assert_eq!(listed[9], (9, FrameId(9)));
        let whole = Frames::from(&deep);
        assert!(whole
            .listed_frames()
            .copied()
            .eq(listed.iter().map(|l| l.1)));
        assert_eq!(whole.prefix(12).listed_frames().len(), 12);
        assert_eq!(
            Frames::from(&p.map(|i| FrameId(i.0 + 1))).to_vec()[0],
            FrameId(4)
        );
    }
}
