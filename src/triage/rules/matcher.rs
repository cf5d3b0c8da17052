//! Matching a suppression's frame lines against a stack, as valgrind's
//! `supp_matches_callers` does: the lines are a pattern over the stack from
//! its top frame (frame 0 is the allocator for a leak), `...` matches any run
//! of frames including none, and the pattern only has to match a prefix — the
//! frames below it do not matter.

use super::names::FrameNames;
use super::supp_file::FramePattern;
use crate::model::{Frame, FrameId, Interner};
use rustc_hash::FxHashMap;

/// Whether `patterns` match a prefix of a stack of `n` frames, given a test
/// of pattern `p` on frame `f`: valgrind's `generic_match` in prefix mode.
///
/// Every pattern but `...` matches exactly one frame, so the pattern is a
/// glob whose `*` is `...` (with an implied `...` at its end: only a prefix
/// must match). Such a glob needs no search tree: on a mismatch, only the
/// last `...` seen has to take one more frame — an earlier one taking more
/// could only reach positions the last one reaches too. So this runs in
/// O(patterns × frames) tests at worst, linear in the usual case, and
/// allocates nothing: it runs for every rule on every distinct stack.
#[inline]
pub fn prefix_match(
    patterns: &[FramePattern],
    n: usize,
    mut eq: impl FnMut(usize, usize) -> bool,
) -> bool {
    let (mut p, mut f) = (0, 0);
    // After the last `...` seen: the pattern index after it, and the frame
    // where its match (the frames it swallows) currently ends.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if p == patterns.len() {
            return true;
        }
        if patterns[p] == FramePattern::Ellipsis {
            p += 1;
            resume = Some((p, f));
            continue;
        }
        if f < n && eq(p, f) {
            p += 1;
            f += 1;
            continue;
        }
        match resume {
            Some((rp, rf)) if rf < n => {
                resume = Some((rp, rf + 1));
                p = rp;
                f = rf + 1;
            }
            _ => return false,
        }
    }
}

/// Whether a pattern matches a frame. `Unknown` when the log leaves out what
/// valgrind would test (the object of a frame a text log shows with its
/// source file): such a rule hides nothing, but it is counted as undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Self {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
}

/// Matches `patterns` on a stack of `n` frames with three-valued frame
/// tests (`test(p, f)`: pattern `p` on frame `f`): `Yes` if they match using
/// only what the log says, `Unknown` if they would match should every
/// unknown frame test succeed, else `No`. The caller reads its frames in
/// place: a copy of a stack of a million frames would cost megabytes.
pub fn stack_verdict(
    patterns: &[FramePattern],
    n: usize,
    mut test: impl FnMut(usize, usize) -> Tri,
) -> Tri {
    let mut unknown = false;
    let yes = prefix_match(patterns, n, |p, f| match test(p, f) {
        Tri::Yes => true,
        Tri::No => false,
        Tri::Unknown => {
            unknown = true;
            false
        }
    });
    if yes {
        return Tri::Yes;
    }
    if !unknown {
        return Tri::No;
    }
    let maybe = prefix_match(patterns, n, |p, f| test(p, f) != Tri::No);
    if maybe {
        Tri::Unknown
    } else {
        Tri::No
    }
}

/// Locations whose names the matcher keeps before it starts over. A
/// location's names serve the `fun:` patterns tested on it, nearly all in a
/// row (`anchors_present` tests every anchor on one location before the
/// next), after which its verdicts answer. Real reports have a few thousand
/// locations; a log of a million distinct functions kept every one's names
/// (some 240 bytes each: 600 MB for a 48 MB log).
const NAMES_KEPT: usize = 1 << 14;

/// Tests frame patterns on frames, remembering each location's names and
/// each (pattern, location) verdict: real reports repeat the same frames in
/// thousands of stacks, and a frame's address never changes a verdict.
/// Verdicts sit in a dense table of two bits per (pattern, location) — this
/// lookup runs for every frame of every stack under every rule, so it must
/// not hash.
pub struct FrameMatcher<'r> {
    interner: &'r Interner,
    /// Mangled names learned for a function text elsewhere in the report;
    /// `None` where two different mangled names share one text.
    learned: FxHashMap<&'r str, Option<&'r str>>,
    /// Recent locations' names (see [`NAMES_KEPT`]).
    names: FxHashMap<usize, FrameNames>,
    /// Per pattern id, 32 verdicts a word: 0 not yet tested, else `Tri` + 1.
    verdicts: Vec<Vec<u64>>,
    /// Per location, a bit per anchor (a row of words): whether its pattern
    /// could match there (see `anchors_present`).
    anchor_masks: Vec<u64>,
    /// Whether a location's row of `anchor_masks` is computed.
    anchor_known: Vec<bool>,
    /// The locations of the stack being matched, reused from stack to
    /// stack (see `Plan::valgrind_matches`).
    pub(super) scratch: Vec<u32>,
    /// The rules left and the anchors present, reused from stack to stack
    /// by `Plan::may_match`.
    pub(super) survivors: Vec<usize>,
    pub(super) present: Vec<u64>,
}

fn tri_code(t: Tri) -> u64 {
    match t {
        Tri::Yes => 1,
        Tri::No => 2,
        Tri::Unknown => 3,
    }
}

impl<'r> FrameMatcher<'r> {
    pub fn new(interner: &'r Interner) -> Self {
        let mut learned: FxHashMap<&str, Option<&str>> = FxHashMap::default();
        for l in 0..interner.location_count() {
            let f = interner.location_frame(l);
            if let (Some(func), Some(m)) = (f.function.as_deref(), f.mangled.as_deref()) {
                learned
                    .entry(func)
                    .and_modify(|e| {
                        if *e != Some(m) {
                            *e = None;
                        }
                    })
                    .or_insert(Some(m));
            }
        }
        FrameMatcher {
            interner,
            learned,
            names: FxHashMap::default(),
            verdicts: Vec::new(),
            anchor_masks: Vec::new(),
            anchor_known: Vec::new(),
            scratch: Vec::new(),
            survivors: Vec::new(),
            present: Vec::new(),
        }
    }

    pub fn interner(&self) -> &'r Interner {
        self.interner
    }

    /// Which anchors occur somewhere in a stack whose frames are at
    /// locations `locs`: bit `i` of the result is set when `anchors[i]` (a
    /// pattern id and the pattern) matches, or might, at some frame. A rule
    /// can only match a stack holding a frame for each of its frame lines
    /// after a `...`, so one pass over the stack here rules most rules out
    /// before any full match. Each location's anchors are tested once,
    /// kept in one flat table (a location costs a word per 64 anchors).
    pub fn anchors_present(
        &mut self,
        anchors: &[(u32, &FramePattern)],
        locs: impl IntoIterator<Item = u32>,
        present: &mut Vec<u64>,
    ) {
        let words = anchors.len().div_ceil(64).max(1);
        present.clear();
        present.resize(words, 0);
        for loc in locs {
            let mask = self.anchor_row(anchors, loc);
            for (p, m) in present.iter_mut().zip(mask) {
                *p |= m;
            }
        }
    }

    /// Which of at most 64 `anchors` might match at location `loc` (bit
    /// `i` for `anchors[i]`): one row of [`Self::anchors_present`]'s table,
    /// for a caller that stops at the first frame it needs.
    #[inline]
    pub fn anchors_at(&mut self, anchors: &[(u32, &FramePattern)], loc: u32) -> u64 {
        debug_assert!(anchors.len() <= 64);
        let l = loc as usize;
        match self.anchor_known.get(l) {
            Some(true) => self.anchor_masks[l],
            _ => self.anchor_row(anchors, loc)[0],
        }
    }

    /// Location `loc`'s row of anchor bits, tested the first time.
    fn anchor_row(&mut self, anchors: &[(u32, &FramePattern)], loc: u32) -> &[u64] {
        let words = anchors.len().div_ceil(64).max(1);
        let l = loc as usize;
        if self.anchor_known.len() <= l {
            let count = self.interner.location_count().max(l + 1);
            self.anchor_known.resize(count, false);
            self.anchor_masks.resize(count * words, 0);
        }
        if !self.anchor_known[l] {
            for (w, part) in anchors.chunks(64).enumerate() {
                let row = self.row(part.iter().copied(), loc, |v| v != Tri::No);
                self.anchor_masks[l * words + w] = row;
            }
            self.anchor_known[l] = true;
        }
        &self.anchor_masks[l * words..(l + 1) * words]
    }

    /// Whether `pattern` (known by the caller as `pattern_id`) matches frame `id`.
    pub fn matches(&mut self, pattern_id: u32, pattern: &FramePattern, id: FrameId) -> Tri {
        let loc = self.interner.location_of(id) as u32;
        self.matches_at(pattern_id, pattern, loc)
    }

    /// Whether `pattern` (known by the caller as `pattern_id`) matches the
    /// frames at location `loc`: an address never changes a verdict.
    /// Pattern ids should be small and dense (one table each).
    #[inline]
    pub fn matches_at(&mut self, pattern_id: u32, pattern: &FramePattern, loc: u32) -> Tri {
        // The verdict already known (nearly always): two loads, no call.
        match known_in(&self.verdicts, pattern_id, loc) {
            Some(v) => v,
            None => self.decide(pattern_id, pattern, loc),
        }
    }

    /// Tests `pattern` on location `loc` the first time, and keeps the verdict.
    #[inline(never)]
    fn decide(&mut self, pattern_id: u32, pattern: &FramePattern, loc: u32) -> Tri {
        let mut verdict = Tri::No;
        self.test_all(std::iter::once((pattern_id, pattern)), loc, |_, v| {
            verdict = v
        });
        verdict
    }

    /// Tests each of `patterns` (ids and patterns) on location `loc`: bit
    /// `i` of the result is set when pattern `i`'s verdict is one `keep`s
    /// (at most 64 patterns). The location's frame and names are looked up
    /// once for the whole row, not once per pattern; verdicts already known
    /// are read, new ones kept.
    pub fn row<'p>(
        &mut self,
        patterns: impl IntoIterator<Item = (u32, &'p FramePattern)>,
        loc: u32,
        keep: impl Fn(Tri) -> bool,
    ) -> u64 {
        let mut row = 0;
        self.test_all(patterns, loc, |i, v| {
            if keep(v) {
                row |= 1 << i;
            }
        });
        row
    }

    /// Tells `each` the verdict of each of `patterns` on location `loc`,
    /// by its index (see [`Self::row`]).
    fn test_all<'p>(
        &mut self,
        patterns: impl IntoIterator<Item = (u32, &'p FramePattern)>,
        loc: u32,
        mut each: impl FnMut(usize, Tri),
    ) {
        let l = loc as usize;
        let interner = self.interner;
        // Rules see frames as valgrind printed them (`???` where a perf map
        // named one): valgrind runs them, and it never sees those names.
        let logged = interner.location_frame(l).as_logged();
        let frame = &*logged;
        // The location's names, taken out of `names` while the row is
        // tested: its function's text is hashed once per location, not for
        // every pattern tested there.
        let mut taken: Option<FrameNames> = None;
        for (i, (pid, pattern)) in patterns.into_iter().enumerate() {
            let v = match known_in(&self.verdicts, pid, loc) {
                Some(v) => v,
                None => {
                    let (names, learned) = (&mut self.names, &self.learned);
                    let v = verdict(pattern, frame, || {
                        &*taken.get_or_insert_with(|| take_names(names, learned, frame, l))
                    });
                    remember(&mut self.verdicts, interner.location_count(), pid, loc, v);
                    v
                }
            };
            each(i, v);
        }
        if let Some(n) = taken {
            if self.names.len() >= NAMES_KEPT {
                self.names.clear();
            }
            self.names.insert(l, n);
        }
    }
}

/// The verdict kept for pattern `pid` at `loc`, if any.
#[inline]
fn known_in(verdicts: &[Vec<u64>], pid: u32, loc: u32) -> Option<Tri> {
    let (word, shift) = (loc as usize / 32, (loc as usize % 32) * 2);
    let w = verdicts.get(pid as usize)?.get(word)?;
    match (w >> shift) & 3 {
        1 => Some(Tri::Yes),
        2 => Some(Tri::No),
        3 => Some(Tri::Unknown),
        _ => None,
    }
}

/// Keeps verdict `v` of pattern `pid` at `loc`, its table made (for
/// `locations` locations) the first time.
fn remember(verdicts: &mut Vec<Vec<u64>>, locations: usize, pid: u32, loc: u32, v: Tri) {
    let pid = pid as usize;
    if verdicts.len() <= pid {
        verdicts.resize_with(pid + 1, Vec::new);
    }
    let table = &mut verdicts[pid];
    if table.is_empty() {
        table.resize(locations.div_ceil(32), 0);
    }
    let (word, shift) = (loc as usize / 32, (loc as usize % 32) * 2);
    if let Some(w) = table.get_mut(word) {
        *w |= tri_code(v) << shift;
    }
}

/// Location `loc`'s names (of `frame`, as logged), taken out of `names`
/// (those kept for the last [`NAMES_KEPT`] locations), or made.
fn take_names(
    names: &mut FxHashMap<usize, FrameNames>,
    learned: &FxHashMap<&str, Option<&str>>,
    frame: &Frame,
    loc: usize,
) -> FrameNames {
    names.remove(&loc).unwrap_or_else(|| {
        let function = frame.function.as_deref().unwrap_or("");
        FrameNames::of(frame, learned.get(function).copied().flatten())
    })
}

/// Whether `pattern` matches `frame`, whose names `names` gives (made only
/// for a `fun:` pattern).
fn verdict<'n>(
    pattern: &FramePattern,
    frame: &Frame,
    names: impl FnOnce() -> &'n FrameNames,
) -> Tri {
    match pattern {
        FramePattern::Fun(p) => p.matches(names()).into(),
        FramePattern::Obj(w) => match object_name(frame) {
            Some(obj) => w.matches(obj).into(),
            None if w.matches_everything() => Tri::Yes,
            None => Tri::Unknown,
        },
        FramePattern::Src(w, line) => match frame.file.as_deref() {
            Some(file) => (w.matches(file) && (line.is_none() || frame.line == *line)).into(),
            None => Tri::No,
        },
        FramePattern::Ellipsis => Tri::Yes,
    }
}

/// The object valgrind would test `obj:` on: the one the log names, `???`
/// when valgrind itself did not know it, or `None` when the log leaves it out
/// (a text log prints `(file:line)` instead of `(in object)` when it has
/// source information).
pub fn object_name(frame: &Frame) -> Option<&str> {
    match (&frame.object, &frame.file) {
        (Some(o), _) => Some(o),
        (None, None) => Some("???"),
        (None, Some(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(lines: &[&str]) -> Vec<FramePattern> {
        lines
            .iter()
            .map(|l| FramePattern::parse(l).unwrap())
            .collect()
    }

    /// Matches patterns against a stack of plain function names.
    fn m(lines: &[&str], stack: &[&str]) -> bool {
        let p = pats(lines);
        prefix_match(&p, stack.len(), &mut |i, j| match &p[i] {
            FramePattern::Fun(f) => f.pattern.matches(stack[j]),
            _ => false,
        })
    }

    /// A log of more distinct functions than the matcher keeps names for
    /// gets the same verdicts, with a bounded table of names.
    #[test]
    fn names_are_kept_for_a_bounded_number_of_locations() {
        let mut interner = Interner::new();
        let n = NAMES_KEPT + 1000;
        let ids: Vec<FrameId> = (0..n)
            .map(|i| {
                interner.intern_frame(Frame {
                    function: Some(format!("f{i}").into()),
                    ..Frame::default()
                })
            })
            .collect();
        let pat = FramePattern::parse("fun:f1*").unwrap();
        let mut m = FrameMatcher::new(&interner);
        for round in 0..2 {
            for (i, &id) in ids.iter().enumerate() {
                let want = i.to_string().starts_with('1');
                assert_eq!(m.matches(round, &pat, id), want.into(), "f{i}");
                assert!(m.names.len() <= NAMES_KEPT);
            }
        }
    }

    #[test]
    fn prefix_and_ellipsis() {
        let s = ["malloc", "f", "g", "main"];
        assert!(m(&["fun:malloc"], &s));
        assert!(m(&["fun:malloc", "fun:f"], &s));
        assert!(!m(&["fun:f"], &s), "the pattern starts at the top frame");
        assert!(m(&["...", "fun:g"], &s));
        assert!(m(&["fun:malloc", "...", "fun:main"], &s));
        assert!(
            m(&["fun:malloc", "...", "fun:f"], &s),
            "... matches zero frames"
        );
        assert!(!m(&["fun:malloc", "...", "fun:nothere"], &s));
        assert!(!m(
            &["fun:malloc", "fun:f", "fun:g", "fun:main", "fun:more"],
            &s
        ));
        assert!(m(&["fun:malloc", "fun:f", "fun:g", "fun:main", "..."], &s));
        assert!(m(&["...", "...", "fun:main", "..."], &s));
        assert!(m(&["fun:*", "fun:?"], &s));
        assert!(!m(&["fun:malloc"], &[]));
    }

    /// The definition `prefix_match` must agree with: `...` takes any
    /// number of frames, tried one by one.
    fn reference(pats: &[bool], stack: &[u8], p: usize, f: usize) -> bool {
        // `pats[i]`: true for `...`, else the pattern matches frames equal to i % 3.
        if p == pats.len() {
            return true;
        }
        if pats[p] {
            return (f..=stack.len()).any(|k| reference(pats, stack, p + 1, k));
        }
        f < stack.len() && stack[f] as usize == p % 3 && reference(pats, stack, p + 1, f + 1)
    }

    proptest::proptest! {
        #[test]
        fn greedy_prefix_match_is_the_definition(
            pats in proptest::collection::vec(proptest::bool::ANY, 0..8),
            stack in proptest::collection::vec(0u8..3, 0..10),
        ) {
            let patterns: Vec<FramePattern> = pats
                .iter()
                .map(|&e| if e { FramePattern::Ellipsis } else { FramePattern::parse("fun:x").unwrap() })
                .collect();
            let got = prefix_match(&patterns, stack.len(), &mut |p, f| stack[f] as usize == p % 3);
            proptest::prop_assert_eq!(got, reference(&pats, &stack, 0, 0));
        }
    }

    #[test]
    fn objects_the_log_does_not_name() {
        let with_src = Frame {
            function: Some("f".into()),
            file: Some("a.c".into()),
            line: Some(3),
            ..Frame::default()
        };
        assert_eq!(object_name(&with_src), None);
        assert_eq!(object_name(&Frame::default()), Some("???"));
        let mut i = Interner::new();
        let id = i.intern_frame(with_src);
        let mut fm = FrameMatcher::new(&i);
        let mut t = |n: u32, p: &str| fm.matches(n, &FramePattern::parse(p).unwrap(), id);
        assert_eq!(t(0, "obj:*/a.so"), Tri::Unknown);
        assert_eq!(t(1, "obj:*"), Tri::Yes);
        assert_eq!(t(2, "src:a.c:3"), Tri::Yes);
        assert_eq!(t(3, "src:a.c:4"), Tri::No);
        assert_eq!(t(4, "src:?.c"), Tri::Yes);
        assert_eq!(t(5, "fun:f"), Tri::Yes);
        let pats: Vec<FramePattern> = ["fun:f", "obj:*/a.so"]
            .iter()
            .map(|l| FramePattern::parse(l).unwrap())
            .collect();
        let stack = [id, id];
        let mut test = |p: usize, f: usize| fm.matches(10 + p as u32, &pats[p], stack[f]);
        assert_eq!(stack_verdict(&pats, stack.len(), &mut test), Tri::Unknown);
        assert_eq!(stack_verdict(&pats[..1], stack.len(), &mut test), Tri::Yes);
    }
}
