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
/// of pattern `p` on frame `f`. Valgrind's `generic_match` in prefix mode,
/// with failed states remembered so several `...` stay polynomial.
pub fn prefix_match(
    patterns: &[FramePattern],
    n: usize,
    eq: &mut dyn FnMut(usize, usize) -> bool,
) -> bool {
    let has_ellipsis = patterns.contains(&FramePattern::Ellipsis);
    let mut failed = if has_ellipsis {
        vec![false; (patterns.len() + 1) * (n + 1)]
    } else {
        Vec::new()
    };
    go(patterns, n, 0, 0, eq, &mut failed)
}

fn go(
    pats: &[FramePattern],
    n: usize,
    mut p: usize,
    mut f: usize,
    eq: &mut dyn FnMut(usize, usize) -> bool,
    failed: &mut Vec<bool>,
) -> bool {
    let width = n + 1;
    loop {
        if p == pats.len() {
            return true;
        }
        if !failed.is_empty() && failed[p * width + f] {
            return false;
        }
        if pats[p] == FramePattern::Ellipsis {
            for k in f..=n {
                if go(pats, n, p + 1, k, eq, failed) {
                    return true;
                }
            }
            failed[p * width + f] = true;
            return false;
        }
        if f == n || !eq(p, f) {
            if !failed.is_empty() {
                failed[p * width + f] = true;
            }
            return false;
        }
        p += 1;
        f += 1;
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

/// Matches `patterns` on the frames `stack` with three-valued frame tests:
/// `Yes` if they match using only what the log says, `Unknown` if they would
/// match should every unknown frame test succeed, else `No`.
pub fn stack_verdict(
    patterns: &[FramePattern],
    stack: &[FrameId],
    test: &mut dyn FnMut(usize, FrameId) -> Tri,
) -> Tri {
    let mut unknown = false;
    let yes = prefix_match(patterns, stack.len(), &mut |p, f| match test(p, stack[f]) {
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
    let maybe = prefix_match(patterns, stack.len(), &mut |p, f| {
        test(p, stack[f]) != Tri::No
    });
    if maybe {
        Tri::Unknown
    } else {
        Tri::No
    }
}

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
    names: FxHashMap<usize, FrameNames>,
    /// Per pattern id, 32 verdicts a word: 0 not yet tested, else `Tri` + 1.
    verdicts: Vec<Vec<u64>>,
    /// Per location, a bit per anchored rule: whether its anchor pattern
    /// could match there (see `anchors_present`). Empty until computed.
    anchor_masks: Vec<Vec<u64>>,
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
        }
    }

    pub fn interner(&self) -> &'r Interner {
        self.interner
    }

    /// Whether `pattern` (known by the caller as `pattern_id`) matches frame `id`.
    /// Which anchored rules could match somewhere in `stack`: bit `i` of the
    /// result is set when `anchors[i]` (a pattern id and the pattern) matches,
    /// or might, at some frame. A rule that starts with `...` can only match
    /// a stack holding a frame its first real pattern matches, so one pass
    /// over the stack here rules most of them out before any full match.
    pub fn anchors_present(
        &mut self,
        anchors: &[(u32, &FramePattern)],
        stack: &[FrameId],
    ) -> Vec<u64> {
        let words = anchors.len().div_ceil(64);
        let mut present = vec![0u64; words];
        if self.anchor_masks.len() < self.interner.location_count() {
            self.anchor_masks
                .resize_with(self.interner.location_count(), Vec::new);
        }
        for &f in stack {
            let loc = self.interner.location_of(f);
            if self.anchor_masks[loc].is_empty() {
                let mut mask = vec![0u64; words.max(1)];
                for (i, &(pid, pat)) in anchors.iter().enumerate() {
                    if self.matches(pid, pat, f) != Tri::No {
                        mask[i / 64] |= 1 << (i % 64);
                    }
                }
                self.anchor_masks[loc] = mask;
            }
            for (p, m) in present.iter_mut().zip(&self.anchor_masks[loc]) {
                *p |= m;
            }
        }
        present
    }

    /// Pattern ids should be small and dense (one table each).
    pub fn matches(&mut self, pattern_id: u32, pattern: &FramePattern, id: FrameId) -> Tri {
        let loc = self.interner.location_of(id);
        let pid = pattern_id as usize;
        if self.verdicts.len() <= pid {
            self.verdicts.resize_with(pid + 1, Vec::new);
        }
        let table = &mut self.verdicts[pid];
        if table.is_empty() {
            table.resize(self.interner.location_count().div_ceil(32), 0);
        }
        let (word, shift) = (loc / 32, (loc % 32) * 2);
        match table.get(word).map(|w| (w >> shift) & 3) {
            Some(1) => return Tri::Yes,
            Some(2) => return Tri::No,
            Some(3) => return Tri::Unknown,
            _ => {}
        }
        // Rules see frames as valgrind printed them (`???` where a perf map
        // named one): valgrind runs them, and it never sees those names.
        let logged = self.interner.frame(id).frame.as_logged();
        let frame = &*logged;
        let v = match pattern {
            FramePattern::Fun(p) => {
                let learned = self
                    .learned
                    .get(frame.function.as_deref().unwrap_or(""))
                    .copied()
                    .flatten();
                let names = self
                    .names
                    .entry(loc)
                    .or_insert_with(|| FrameNames::of(frame, learned));
                p.matches(names).into()
            }
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
        };
        if let Some(w) = self.verdicts[pid].get_mut(word) {
            *w |= tri_code(v) << shift;
        }
        v
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
        let mut test = |p: usize, f: FrameId| fm.matches(10 + p as u32, &pats[p], f);
        assert_eq!(stack_verdict(&pats, &stack, &mut test), Tri::Unknown);
        assert_eq!(stack_verdict(&pats[..1], &stack, &mut test), Tri::Yes);
    }
}
