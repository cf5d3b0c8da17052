//! Places: the distinct code locations of a report — frames without their
//! addresses. A 1 GB log has a quarter of a million frame ids (one per
//! address) but far fewer places, and the filter and the "own code" marks
//! only care about places. Each place also lists the stacks that pass
//! through it, so a selective filter marks matching stacks without scanning
//! every frame of every stack.

use super::frames::{haystack, short_label};
use crate::model::{Frame, FrameId, Interner, StackId, TextKeyed};
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Default, Clone)]
pub struct FrameInfo {
    /// Per interner location (not per frame: a log of a million distinct
    /// addresses has a million frames but few locations), its place.
    place_of: Vec<u32>,
    /// Per place: the text a filter is matched against (sanitized).
    haystacks: Haystacks,
    /// Per place: the program's own code?
    own: Vec<bool>,
    /// Per place, the frame that stands for it (its first, in frame order),
    /// or `NO_FRAME` with the location in `lone`: its label
    /// (`function (file:line)` as rows and frame lines show it) is made when
    /// a row is drawn, never kept per place.
    first: Vec<u32>,
    /// Places without frames (none in a parsed log): (place, location).
    lone: Vec<(u32, u32)>,
    /// Per place, the stacks through it, ascending, each as its distance
    /// from the one before in LEB128 bytes (a stack id in a byte or two,
    /// not four: this is the explorer's largest table on a big log):
    /// `post[start[p]..start[p + 1]]`. Empty for the (at most four)
    /// places through which a quarter or more of all (place, stack) pairs
    /// pass, `malloc`, `main`: a filter matching one scans stacks anyway
    /// (see `Filter::evaluate`), so their lists, a stack id for most
    /// stacks, are never kept.
    start: Vec<u32>,
    post: Vec<u8>,
    /// Per place, how many stacks pass through it.
    through: Vec<u32>,
    /// All (place, stack) pairs, common places included.
    pairs: usize,
}

/// Every place's haystack, one after the other in one string: a place costs
/// its text and an end, not an allocation and a 16-byte pointer (a log of a
/// million distinct functions has a million places).
#[derive(Debug, Default, Clone)]
pub struct Haystacks {
    text: String,
    ends: Vec<usize>,
}

impl Haystacks {
    fn push(&mut self, hay: &str) {
        self.text.push_str(hay);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Place `p`'s haystack.
    pub fn get(&self, p: usize) -> Option<&str> {
        let end = *self.ends.get(p)?;
        let start = if p == 0 { 0 } else { self.ends[p - 1] };
        Some(&self.text[start..end])
    }
}

/// `FrameInfo::first` of a place without frames.
const NO_FRAME: u32 = u32::MAX;

/// What makes two locations one place: a frame's function, file, line and
/// object (not its directory, nor its mangled name).
type PlaceKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<u32>,
    Option<&'a str>,
);

fn place_key(interner: &Interner, l: usize) -> PlaceKey<'_> {
    let f = interner.location_frame(l);
    (
        f.function.as_deref(),
        f.file.as_deref(),
        f.line,
        f.object.as_deref(),
    )
}

impl FrameInfo {
    pub fn build(interner: &Interner) -> Self {
        // Places by the hash of their key, each a place id whose key is its
        // first location's: 4 bytes a slot. A map of the keys themselves
        // took 64 bytes a slot, 136 MB at the explorer's peak for a log of a
        // million distinct functions. Keyed: the names are the log's.
        let hasher = TextKeyed::default();
        let mut ids: HashTable<u32> = HashTable::new();
        let mut first_loc: Vec<usize> = Vec::new();
        let place_of: Vec<u32> = (0..interner.location_count())
            .map(|l| {
                let key = place_key(interner, l);
                let hash = hasher.hash_one(key);
                let same = |&p: &u32| place_key(interner, first_loc[p as usize]) == key;
                if let Some(&p) = ids.find(hash, same) {
                    return p;
                }
                let p = first_loc.len() as u32;
                first_loc.push(l);
                let rehash = |&q: &u32| hasher.hash_one(place_key(interner, first_loc[q as usize]));
                ids.insert_unique(hash, p, rehash);
                p
            })
            .collect();
        drop(ids);
        // Each place stands for its first frame (in frame order), as when
        // places were numbered frame by frame.
        let mut firsts: Vec<Option<FrameId>> = vec![None; first_loc.len()];
        for i in 0..interner.frame_count() {
            let id = FrameId(i as u32);
            firsts[place_of[interner.location_of(id)] as usize].get_or_insert(id);
        }
        let mut haystacks = Haystacks::default();
        for (id, &l) in firsts.iter().zip(&first_loc) {
            haystacks.push(&haystack(place_frame(interner, *id, l)));
        }
        // One verdict per location, shared with grouping by origin.
        let own_code = crate::triage::own::OwnCode::of(interner);
        let own = firsts
            .iter()
            .map(|id| id.is_some_and(|id| own_code.is_own(interner, id)))
            .collect();
        let lone = firsts
            .iter()
            .zip(&first_loc)
            .enumerate()
            .filter(|(_, (id, _))| id.is_none())
            .map(|(p, (_, &l))| (p as u32, l as u32))
            .collect();
        let first = firsts
            .iter()
            .map(|id| id.map_or(NO_FRAME, |f| f.0))
            .collect();
        let post = postings(interner, &place_of, firsts.len());
        FrameInfo {
            place_of,
            haystacks,
            own,
            first,
            lone,
            start: post.start,
            post: post.bytes,
            through: post.through,
            pairs: post.pairs,
        }
    }

    /// Frame `id`'s place (`interner`: the one this was built from).
    pub fn place(&self, interner: &Interner, id: FrameId) -> u32 {
        if id.0 as usize >= interner.frame_count() {
            return u32::MAX;
        }
        self.place_of
            .get(interner.location_of(id))
            .copied()
            .unwrap_or(u32::MAX)
    }

    /// A frame's short label (see [`short_label`]): its place's, made now
    /// (only drawn rows ask).
    pub fn label(&self, interner: &Interner, id: FrameId) -> String {
        let p = self.place(interner, id);
        match self.first.get(p as usize) {
            Some(&NO_FRAME) => match self.lone.iter().find(|(q, _)| *q == p) {
                Some(&(_, l)) => short_label(interner.location_frame(l as usize)),
                None => "???".to_string(),
            },
            Some(&f) => short_label(interner.frame(FrameId(f)).frame),
            None => "???".to_string(),
        }
    }

    pub fn is_own(&self, interner: &Interner, id: FrameId) -> bool {
        self.own
            .get(self.place(interner, id) as usize)
            .copied()
            .unwrap_or(false)
    }

    pub fn places(&self) -> usize {
        self.haystacks.len()
    }

    pub fn haystack(&self, place: u32) -> &str {
        self.haystacks.get(place as usize).unwrap_or("")
    }

    pub fn haystacks(&self) -> &Haystacks {
        &self.haystacks
    }

    /// How many stacks pass through a place.
    pub fn through_count(&self, place: u32) -> usize {
        self.through.get(place as usize).map_or(0, |&n| n as usize)
    }

    /// The stacks that pass through a place (each once, ascending); none
    /// for a place most stacks pass through (see `post`), which callers
    /// scan for.
    pub fn stacks_through(&self, place: u32) -> Through<'_> {
        let p = place as usize;
        let bytes = match (self.start.get(p), self.start.get(p + 1)) {
            (Some(&a), Some(&b)) => &self.post[a as usize..b as usize],
            _ => &[],
        };
        Through { bytes, at: 0 }
    }

    /// All (place, stack) pairs: the cost of scanning every stack.
    pub fn postings(&self) -> usize {
        self.pairs
    }
}

/// The place a frame stands for (`id`: its first frame, if any; `loc`:
/// its location).
fn place_frame(interner: &Interner, id: Option<FrameId>, loc: usize) -> &Frame {
    match id {
        Some(id) => interner.frame(id).frame,
        None => interner.location_frame(loc),
    }
}

/// A place's stacks, decoded from `FrameInfo::post`.
pub struct Through<'a> {
    bytes: &'a [u8],
    /// The last stack id decoded.
    at: u32,
}

impl Iterator for Through<'_> {
    type Item = StackId;

    #[inline]
    fn next(&mut self) -> Option<StackId> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        // Most distances fit in a byte.
        let mut delta = u32::from(b);
        if b >= 0x80 {
            delta &= 0x7f;
            let mut shift = 7;
            loop {
                let (&b, rest) = self.bytes.split_first()?;
                self.bytes = rest;
                delta |= u32::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
                shift += 7;
            }
        }
        self.at += delta;
        Some(StackId(self.at))
    }
}

/// Writes `v` at `out[*at..]` in LEB128 (7 bits a byte, low first, high
/// bit: more follow), moving `at` past it.
fn put_varint(out: &mut [u8], at: &mut u32, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        out[*at as usize] = if v == 0 { b } else { b | 0x80 };
        *at += 1;
        if v == 0 {
            return;
        }
    }
}

/// How many bytes `put_varint` writes for `v`.
fn varint_len(v: u32) -> u32 {
    (32 - (v | 1).leading_zeros()).div_ceil(7)
}

/// Each place's stacks (see `FrameInfo::post`), its count, and the number
/// of pairs.
struct Postings {
    start: Vec<u32>,
    bytes: Vec<u8>,
    through: Vec<u32>,
    pairs: usize,
}

/// Calls `f(place, distance)` once per place a stack passes through (a
/// stack lists a place once even when it recurses through it), stacks in
/// order; `distance` is the stack's from the place's previous one (from 0
/// for its first).
fn each_pair(interner: &Interner, place_of: &[u32], places: usize, mut f: impl FnMut(usize, u32)) {
    // Per place, the last stack given for it.
    let mut last = vec![u32::MAX; places];
    for s in 0..interner.stack_count() as u32 {
        for id in interner.stack(StackId(s)).listed_frames() {
            let p = place_of[interner.location_of(*id)] as usize;
            if last[p] != s {
                let prev = if last[p] == u32::MAX { 0 } else { last[p] };
                last[p] = s;
                f(p, s - prev);
            }
        }
    }
}

/// `place_of`: per location (see `FrameInfo::place_of`).
fn postings(interner: &Interner, place_of: &[u32], places: usize) -> Postings {
    let mut through = vec![0u32; places];
    // Per place, its list's length in bytes, then where it starts.
    let mut start = vec![0u32; places + 1];
    each_pair(interner, place_of, places, |p, delta| {
        through[p] += 1;
        start[p + 1] += varint_len(delta);
    });
    let pairs: usize = through.iter().map(|&c| c as usize).sum();
    // The common places (see `FrameInfo::post`) list nothing.
    for (p, &n) in through.iter().enumerate() {
        if n as usize * 4 >= pairs {
            start[p + 1] = 0;
        }
    }
    for i in 0..places {
        start[i + 1] += start[i];
    }
    let mut bytes = vec![0u8; start[places] as usize];
    let mut fill = start.clone();
    each_pair(interner, place_of, places, |p, delta| {
        if start[p + 1] > start[p] {
            put_varint(&mut bytes, &mut fill[p], delta);
        }
    });
    Postings {
        start,
        bytes,
        through,
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::parse_frame;

    #[test]
    fn runtime_files_taint_their_other_frames() {
        let mut i = Interner::new();
        let a = i.intern_frame(parse_frame("0x1: _PyEval_EvalFrameDefault (ceval.c:5376)"));
        let b = i.intern_frame(parse_frame("0x2: do_call_core (ceval.c:7352)"));
        let c = i.intern_frame(parse_frame("0x3: leak_some (planted.c:12)"));
        let info = FrameInfo::build(&i);
        assert!(!info.is_own(&i, a) && !info.is_own(&i, b) && info.is_own(&i, c));
    }

    #[test]
    fn addresses_share_a_place_and_places_list_their_stacks() {
        let mut i = Interner::new();
        let a = i.intern_frame(parse_frame("0x1: f (a.c:1)"));
        let a2 = i.intern_frame(parse_frame("0x2: f (a.c:1)"));
        let b = i.intern_frame(parse_frame("0x3: g (b.c:2)"));
        let s1 = i.intern_stack(&[a, b, a2]);
        let s2 = i.intern_stack(&[b]);
        let info = FrameInfo::build(&i);
        assert_eq!(info.places(), 2);
        assert_eq!(info.place(&i, a), info.place(&i, a2));
        // Two places, three pairs: each is common (a quarter or more of the
        // pairs), so only its count is kept.
        assert_eq!(info.through_count(info.place(&i, a)), 1);
        assert_eq!(info.through_count(info.place(&i, b)), 2);
        assert_eq!(info.postings(), 3);
        assert_eq!(info.stacks_through(info.place(&i, b)).count(), 0);
        // Eight rare places beside them: those list their stacks.
        let mut rare = Vec::new();
        for k in 0..8 {
            let f = i.intern_frame(parse_frame(&format!("0x{:x}: r{k} (r.c:{k})", 100 + k)));
            rare.push((f, i.intern_stack(&[f, b])));
        }
        let info = FrameInfo::build(&i);
        assert_eq!(info.postings(), 3 + 16);
        assert_eq!(
            info.stacks_through(info.place(&i, a)).collect::<Vec<_>>(),
            [s1]
        );
        assert_eq!(info.stacks_through(info.place(&i, b)).count(), 0);
        assert_eq!(info.through_count(info.place(&i, b)), 10);
        for (f, s) in rare {
            assert_eq!(
                info.stacks_through(info.place(&i, f)).collect::<Vec<_>>(),
                [s]
            );
        }
        let _ = s2;
    }

    #[test]
    fn locations_differing_only_in_directory_or_mangled_name_are_one_place() {
        let mut i = Interner::new();
        let at = |dir: Option<&str>, mangled: Option<&str>, line| crate::model::At {
            addr: Some(line as u64),
            frame: Frame {
                function: Some("f".into()),
                file: Some("a.c".into()),
                line: Some(line),
                dir: dir.map(Into::into),
                mangled: mangled.map(Into::into),
                ..Frame::default()
            },
        };
        let a = i.intern_frame(at(None, None, 1));
        let b = i.intern_frame(at(Some("/src"), None, 1));
        let c = i.intern_frame(at(None, Some("_Z1fv"), 1));
        let d = i.intern_frame(at(None, None, 2));
        assert_eq!(i.location_count(), 4);
        let info = FrameInfo::build(&i);
        assert_eq!(info.places(), 2);
        assert_eq!(info.place(&i, a), info.place(&i, b));
        assert_eq!(info.place(&i, a), info.place(&i, c));
        assert_ne!(info.place(&i, a), info.place(&i, d));
        // A place stands for its first frame.
        assert_eq!(info.label(&i, c), info.label(&i, a));
    }

    #[test]
    fn stack_lists_read_back_whatever_their_gaps() {
        // Ascending ids with gaps of every varint length, the largest last.
        let ids = [
            0,
            1,
            2,
            130,
            131,
            16_515,
            16_516,
            2_113_667,
            300_000_000,
            u32::MAX - 1,
        ];
        let mut len = 0;
        let mut prev = 0;
        for &s in &ids {
            len += varint_len(s - prev);
            prev = s;
        }
        assert_eq!(len, 1 + 1 + 1 + 2 + 1 + 3 + 1 + 3 + 5 + 5);
        let mut bytes = vec![0u8; len as usize];
        let (mut at, mut prev) = (0, 0);
        for &s in &ids {
            put_varint(&mut bytes, &mut at, s - prev);
            prev = s;
        }
        assert_eq!(at, len);
        let back: Vec<u32> = Through {
            bytes: &bytes,
            at: 0,
        }
        .map(|s| s.0)
        .collect();
        assert_eq!(back, ids);
    }
}
