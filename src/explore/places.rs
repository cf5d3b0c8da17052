//! Places: the distinct code locations of a report — frames without their
//! addresses. A 1 GB log has a quarter of a million frame ids (one per
//! address) but far fewer places, and the filter and the "own code" marks
//! only care about places. Each place also lists the stacks that pass
//! through it, so a selective filter marks matching stacks without scanning
//! every frame of every stack.

use super::frames::{haystack, short_label};
use crate::model::{FrameId, Interner, StackId};
use rustc_hash::FxHashMap;

#[derive(Debug, Default, Clone)]
pub struct FrameInfo {
    /// Per interner location (not per frame: a log of a million distinct
    /// addresses has a million frames but few locations), its place.
    place_of: Vec<u32>,
    /// Per place: the text a filter is matched against (sanitized).
    haystacks: Vec<Box<str>>,
    /// Per place: the program's own code?
    own: Vec<bool>,
    /// Per place: `function (file:line)` as rows and frame lines show it,
    /// shortened once here (never per keystroke).
    labels: Vec<Box<str>>,
    /// Per place, the stacks through it: `post[start[p]..start[p + 1]]`;
    /// empty for a place in `common`.
    start: Vec<u32>,
    post: Vec<StackId>,
    /// The (at most four) places through which a quarter or more of all
    /// (place, stack) pairs pass, with their count: `malloc`, `main`. A
    /// filter matching one scans stacks anyway (see `Filter::evaluate`), so
    /// their lists, a stack id for most stacks, are never kept.
    common: Vec<(u32, u32)>,
    /// All (place, stack) pairs, common places included.
    pairs: usize,
}

type PlaceKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<u32>,
    Option<&'a str>,
);

impl FrameInfo {
    pub fn build(interner: &Interner) -> Self {
        let mut ids: FxHashMap<PlaceKey, u32> = FxHashMap::default();
        let mut first_loc: Vec<usize> = Vec::new();
        let place_of: Vec<u32> = (0..interner.location_count())
            .map(|l| {
                let f = interner.location_frame(l);
                let key = (
                    f.function.as_deref(),
                    f.file.as_deref(),
                    f.line,
                    f.object.as_deref(),
                );
                let next = ids.len() as u32;
                *ids.entry(key).or_insert_with(|| {
                    first_loc.push(l);
                    next
                })
            })
            .collect();
        // Each place stands for its first frame (in frame order), as when
        // places were numbered frame by frame.
        let mut firsts: Vec<Option<FrameId>> = vec![None; ids.len()];
        for i in 0..interner.frame_count() {
            let id = FrameId(i as u32);
            firsts[place_of[interner.location_of(id)] as usize].get_or_insert(id);
        }
        // A location without frames (none in a parsed log) shows as itself.
        let places = || {
            firsts.iter().zip(&first_loc).map(|(id, &l)| match id {
                Some(id) => interner.frame(*id).frame,
                None => interner.location_frame(l),
            })
        };
        let haystacks = places().map(|f| haystack(f).into_boxed_str()).collect();
        let labels = places().map(|f| short_label(f).into_boxed_str()).collect();
        // One verdict per location, shared with grouping by origin.
        let own_code = crate::triage::own::OwnCode::of(interner);
        let own = firsts
            .iter()
            .map(|id| id.is_some_and(|id| own_code.is_own(interner, id)))
            .collect();
        let (start, post, common, pairs) = postings(interner, &place_of, firsts.len());
        FrameInfo {
            place_of,
            haystacks,
            own,
            labels,
            start,
            post,
            common,
            pairs,
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

    /// A frame's short label (see [`short_label`]).
    pub fn label(&self, interner: &Interner, id: FrameId) -> &str {
        self.labels
            .get(self.place(interner, id) as usize)
            .map_or("???", |l| l)
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
        self.haystacks
            .get(place as usize)
            .map(|s| &s[..])
            .unwrap_or("")
    }

    pub fn haystacks(&self) -> &[Box<str>] {
        &self.haystacks
    }

    /// How many stacks pass through a place.
    pub fn through_count(&self, place: u32) -> usize {
        match self.common.iter().find(|(p, _)| *p == place) {
            Some(&(_, n)) => n as usize,
            None => self.stacks_through(place).len(),
        }
    }

    /// The stacks that pass through a place (each once); empty for a place
    /// most stacks pass through (see `common`), which callers scan for.
    pub fn stacks_through(&self, place: u32) -> &[StackId] {
        let p = place as usize;
        match (self.start.get(p), self.start.get(p + 1)) {
            (Some(&a), Some(&b)) => &self.post[a as usize..b as usize],
            _ => &[],
        }
    }

    /// All (place, stack) pairs: the cost of scanning every stack.
    pub fn postings(&self) -> usize {
        self.pairs
    }
}

/// For each place, the stacks through it, as one flat array (CSR), but for
/// the common places (see `FrameInfo::common`); and the number of pairs.
type Postings = (Vec<u32>, Vec<StackId>, Vec<(u32, u32)>, usize);

/// `place_of`: per location (see `FrameInfo::place_of`).
fn postings(interner: &Interner, place_of: &[u32], places: usize) -> Postings {
    let stacks = interner.stack_count();
    // A stack lists a place once even when it recurses through it.
    let mut last = vec![u32::MAX; places];
    let mut count = vec![0u32; places + 1];
    for s in 0..stacks {
        for f in interner.stack(StackId(s as u32)).listed_frames() {
            let p = place_of[interner.location_of(*f)] as usize;
            if last[p] != s as u32 {
                last[p] = s as u32;
                count[p + 1] += 1;
            }
        }
    }
    let pairs: usize = count.iter().map(|&c| c as usize).sum();
    let mut common = Vec::new();
    for p in 0..places {
        let n = count[p + 1];
        if n > 0 && n as usize * 4 >= pairs {
            common.push((p as u32, n));
            count[p + 1] = 0;
            last[p] = u32::MAX - 1;
        }
    }
    for i in 0..places {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut post = vec![StackId(0); count[places] as usize];
    for l in last.iter_mut().filter(|l| **l != u32::MAX - 1) {
        *l = u32::MAX;
    }
    for s in 0..stacks {
        for f in interner.stack(StackId(s as u32)).listed_frames() {
            let p = place_of[interner.location_of(*f)] as usize;
            // `u32::MAX - 1`: a common place, never listed.
            if last[p] != s as u32 && last[p] != u32::MAX - 1 {
                last[p] = s as u32;
                post[fill[p] as usize] = StackId(s as u32);
                fill[p] += 1;
            }
        }
    }
    (count, post, common, pairs)
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
        assert!(info.stacks_through(info.place(&i, b)).is_empty());
        // Eight rare places beside them: those list their stacks.
        let mut rare = Vec::new();
        for k in 0..8 {
            let f = i.intern_frame(parse_frame(&format!("0x{:x}: r{k} (r.c:{k})", 100 + k)));
            rare.push((f, i.intern_stack(&[f, b])));
        }
        let info = FrameInfo::build(&i);
        assert_eq!(info.postings(), 3 + 16);
        assert_eq!(info.stacks_through(info.place(&i, a)), &[s1]);
        assert!(info.stacks_through(info.place(&i, b)).is_empty());
        assert_eq!(info.through_count(info.place(&i, b)), 10);
        for (f, s) in rare {
            assert_eq!(info.stacks_through(info.place(&i, f)), &[s]);
        }
        let _ = s2;
    }
}
