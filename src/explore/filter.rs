//! The live filter: which records' stacks match what the user types.
//!
//! A keystroke is evaluated once per place (distinct frame, addresses aside:
//! tens of thousands even in a 1 GB log), then per stack through the places'
//! stack lists, never per record. While the user extends a pattern that can
//! only narrow (fuzzy, or a plain literal), only places and stacks that
//! matched before are tested again.

use super::places::{FrameInfo, Haystacks};
use crate::model::{Interner, StackId};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use regex::{Regex, RegexBuilder};

/// Typed before a pattern, selects fuzzy matching.
pub const FUZZY_PREFIX: char = '~';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Regex,
    Fuzzy,
}

pub enum Matcher {
    Regex(Regex),
    Fuzzy {
        pattern: String,
        skim: Box<SkimMatcherV2>,
        /// An ASCII pattern, lower-cased unless it has upper case (smart
        /// case): fuzzy-matcher accepts a text exactly when this is a
        /// subsequence of it, which memchr answers far faster.
        ascii: Option<(Vec<u8>, bool)>,
    },
}

impl Matcher {
    fn compile(mode: Mode, pattern: &str) -> Result<Matcher, String> {
        match mode {
            Mode::Regex => RegexBuilder::new(pattern)
                // Smart case, as in less and ripgrep: lower case matches any case.
                .case_insensitive(!pattern.chars().any(char::is_uppercase))
                .size_limit(1 << 22)
                .build()
                .map(Matcher::Regex)
                .map_err(|e| first_line(&e.to_string())),
            Mode::Fuzzy => {
                // SkimMatcherV2's smart case: case-sensitive iff the pattern
                // has an ASCII upper-case letter; otherwise ASCII case folds.
                let sensitive = pattern.chars().any(|c| c.is_ascii_uppercase());
                let ascii = pattern.is_ascii().then(|| {
                    let bytes = if sensitive {
                        pattern.as_bytes().to_vec()
                    } else {
                        pattern.to_ascii_lowercase().into_bytes()
                    };
                    (bytes, sensitive)
                });
                Ok(Matcher::Fuzzy {
                    pattern: pattern.to_string(),
                    skim: Box::new(SkimMatcherV2::default().smart_case()),
                    ascii,
                })
            }
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Regex(r) => r.is_match(text),
            Matcher::Fuzzy {
                ascii: Some((p, sensitive)),
                ..
            } => subsequence(text.as_bytes(), p, *sensitive),
            Matcher::Fuzzy { pattern, skim, .. } => skim.fuzzy_match(text, pattern).is_some(),
        }
    }

    /// Byte ranges of `text` to highlight.
    pub fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        match self {
            Matcher::Regex(r) => r
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()))
                .collect(),
            Matcher::Fuzzy { pattern, skim, .. } => match skim.fuzzy_indices(text, pattern) {
                Some((_, idx)) => {
                    let mut spans = Vec::with_capacity(idx.len());
                    let mut want = idx.into_iter().peekable();
                    for (ci, (bi, ch)) in text.char_indices().enumerate() {
                        if want.peek() == Some(&ci) {
                            want.next();
                            spans.push((bi, bi + ch.len_utf8()));
                        }
                    }
                    spans
                }
                None => Vec::new(),
            },
        }
    }
}

/// Whether `pat` (ASCII; lower case unless `sensitive`) is a subsequence of
/// `hay`, ASCII letters compared without case unless `sensitive`.
fn subsequence(hay: &[u8], pat: &[u8], sensitive: bool) -> bool {
    let mut at = 0;
    for &p in pat {
        let rest = &hay[at..];
        let found = if sensitive || !p.is_ascii_alphabetic() {
            memchr::memchr(p, rest)
        } else {
            memchr::memchr2(p, p.to_ascii_uppercase(), rest)
        };
        match found {
            Some(i) => at += i + 1,
            None => return false,
        }
    }
    true
}

fn first_line(s: &str) -> String {
    // regex errors are multi-line diagrams; the last line says what is wrong.
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

/// One bit per place or stack: a filter's results, small enough that the
/// projection's per-record lookups stay in cache and that a few earlier
/// results can be kept (see [`Filter::earlier`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn ones(len: usize) -> Bits {
        let mut words = vec![u64::MAX; len.div_ceil(64)];
        if len % 64 != 0 {
            if let Some(w) = words.last_mut() {
                *w = (1u64 << (len % 64)) - 1;
            }
        }
        Bits { words, len }
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1u64 << (i % 64);
    }

    fn clear_all(&mut self) {
        self.words.fill(0);
    }

    /// Keeps the set bits for which `keep` holds.
    fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        for (w, word) in self.words.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if !keep(w * 64 + bit) {
                    *word &= !(1u64 << bit);
                }
            }
        }
    }

    fn ones_iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
    }
}

/// A pattern's results: which places and which stacks match.
#[derive(Debug, Clone)]
struct Results {
    mode: Mode,
    pattern: String,
    places: Bits,
    stacks: Bits,
}

/// How many earlier results [`Filter`] keeps (a bit per place and stack
/// each: 40 KB for a log of 246,000 records).
const EARLIER: usize = 32;

#[derive(Default)]
pub struct Filter {
    text: String,
    matcher: Option<Matcher>,
    error: Option<String>,
    /// The results of the pattern in effect; `None`: no filter.
    now: Option<Results>,
    /// Results of patterns the one in effect extends (typed before it,
    /// shortest first): Backspace returns to one instead of testing every
    /// place and stack again.
    earlier: Vec<Results>,
}

impl Filter {
    /// What the user typed, prefix included.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn mode(&self) -> Mode {
        mode_of(&self.text)
    }

    pub fn pattern(&self) -> &str {
        pattern_of(&self.text)
    }

    /// Whether records are being filtered (a non-empty, valid pattern).
    pub fn is_active(&self) -> bool {
        self.now.is_some()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn matcher(&self) -> Option<&Matcher> {
        self.matcher.as_ref().filter(|_| self.is_active())
    }

    /// Sets the text and re-evaluates. An invalid regex keeps the previous
    /// results and records the error for the filter bar.
    pub fn set_text(&mut self, text: String, info: &FrameInfo, interner: &Interner) {
        self.text = text;
        let mode = mode_of(&self.text);
        let pattern = pattern_of(&self.text).to_string();
        if pattern.is_empty() {
            self.error = None;
            self.matcher = None;
            self.now = None;
            self.earlier.clear();
            return;
        }
        let m = match Matcher::compile(mode, &pattern) {
            Ok(m) => m,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        self.error = None;
        self.matcher = Some(m);
        let fits = |r: &Results| {
            r.mode == mode
                && pattern.starts_with(r.pattern.as_str())
                && r.places.len == info.places()
                && r.stacks.len == interner.stack_count()
        };
        // The chain of patterns this one extends, the one in effect last.
        self.earlier.extend(self.now.take());
        self.earlier.retain(|r| fits(r));
        if self.earlier.len() > EARLIER {
            self.earlier.drain(..self.earlier.len() - EARLIER);
        }
        if self.earlier.last().is_some_and(|r| r.pattern == pattern) {
            self.now = self.earlier.pop();
            return;
        }
        // Extending a pattern that can only narrow starts from its results.
        let from = self
            .earlier
            .last()
            .filter(|r| mode == Mode::Fuzzy || (is_literal(&r.pattern) && is_literal(&pattern)));
        let mut r = match from {
            Some(r) => Results {
                pattern,
                ..r.clone()
            },
            None => Results {
                mode,
                pattern,
                places: Bits::ones(info.places()),
                stacks: Bits::ones(interner.stack_count()),
            },
        };
        if let Some(m) = &self.matcher {
            evaluate(m, info, interner, &mut r);
        }
        self.now = Some(r);
    }

    /// Sets the text without evaluating it: the next `refresh` (a new
    /// report's frames) does, so a background build costs the UI thread no
    /// filter pass over the old report.
    pub fn defer_text(&mut self, text: String) {
        self.text = text;
        self.now = None;
        self.earlier.clear();
        self.matcher = None;
        self.error = None;
    }

    /// Re-evaluates for a new report (new frames and stacks).
    pub fn refresh(&mut self, info: &FrameInfo, interner: &Interner) {
        let text = std::mem::take(&mut self.text);
        self.now = None;
        self.earlier.clear();
        self.set_text(text, info, interner);
    }

    /// Whether a stack has a frame that matches; every stack does when no
    /// filter is active.
    #[inline]
    pub fn stack_matches(&self, s: StackId) -> bool {
        match &self.now {
            None => true,
            Some(r) => r.stacks.get(s.0 as usize),
        }
    }
}

/// Tests the places still marked in `r`, then marks the stacks through
/// those that match.
fn evaluate(m: &Matcher, info: &FrameInfo, interner: &Interner, r: &mut Results) {
    test_places(m, info.haystacks(), &mut r.places);
    let pm = &r.places;
    let through: usize = pm.ones_iter().map(|p| info.through_count(p as u32)).sum();
    if through * 4 < info.postings() {
        // Selective: mark the stacks through matching places.
        r.stacks.clear_all();
        for p in pm.ones_iter() {
            for s in info.stacks_through(p as u32) {
                r.stacks.set(s.0 as usize);
            }
        }
    } else {
        // Most places match: scan stacks (that matched before), each up
        // to its first matching frame.
        r.stacks.retain(|s| {
            interner
                .stack(StackId(s as u32))
                .listed_frames()
                .any(|&f| pm.get(info.place(interner, f) as usize))
        });
    }
}

/// Re-tests the places still marked, on every core.
fn test_places(m: &Matcher, hay: &Haystacks, flags: &mut Bits) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    // Whole words per thread.
    let words = hay.len().div_ceil(threads).max(4096).div_ceil(64);
    let run = |base: usize, ws: &mut [u64]| {
        for (w, word) in ws.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let at = (base + w) * 64 + bit;
                if !hay.get(at).is_some_and(|h| m.is_match(h)) {
                    *word &= !(1u64 << bit);
                }
            }
        }
    };
    if flags.words.len() <= words {
        run(0, &mut flags.words);
        return;
    }
    std::thread::scope(|s| {
        let threads: Vec<_> = flags
            .words
            .chunks_mut(words)
            .enumerate()
            .map(|(i, ws)| s.spawn(move || run(i * words, ws)))
            .collect();
        // Joined so no thread outlives the call (see parse::xml::parallel).
        for t in threads {
            let _ = t.join();
        }
    });
}

fn mode_of(text: &str) -> Mode {
    if text.starts_with(FUZZY_PREFIX) {
        Mode::Fuzzy
    } else {
        Mode::Regex
    }
}

fn pattern_of(text: &str) -> &str {
    text.strip_prefix(FUZZY_PREFIX).unwrap_or(text)
}

/// A pattern with no regex syntax: extending it can only narrow the matches.
fn is_literal(p: &str) -> bool {
    !p.chars().any(|c| "\\.+*?()|[]{}^$#&-~ ".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Frame;

    #[test]
    fn fast_fuzzy_accepts_exactly_what_fuzzy_matcher_accepts() {
        let skim = SkimMatcherV2::default().smart_case();
        let texts = [
            "LLVMPY_CreatePassBuilder (libllvmlite.so)",
            "_PyEval_EvalFrameDefault (ceval.c:5376)",
            "a-b_c",
            "",
        ];
        for pat in [
            "pssbldr",
            "PSB",
            "cPB",
            "ceval.c:5",
            "zz",
            "_-",
            "Eval",
            "eval",
        ] {
            let m = Matcher::compile(Mode::Fuzzy, pat).unwrap();
            for t in texts {
                assert_eq!(
                    m.is_match(t),
                    skim.fuzzy_match(t, pat).is_some(),
                    "{pat} in {t}"
                );
            }
        }
    }

    fn setup(names: &[&str]) -> (Interner, FrameInfo, Vec<StackId>) {
        let mut i = Interner::new();
        let ids: Vec<_> = names
            .iter()
            .map(|n| {
                i.intern_frame(Frame {
                    function: Some((*n).into()),
                    ..Frame::default()
                })
            })
            .collect();
        let stacks = ids.iter().map(|&f| i.intern_stack(&[f])).collect();
        let t = FrameInfo::build(&i);
        (i, t, stacks)
    }

    #[test]
    fn regex_smart_case_and_narrowing() {
        let (i, t, s) = setup(&["llvm::Foo", "LLVMPY_Bar", "PyObject_Malloc"]);
        let mut f = Filter::default();
        f.set_text("llvm".into(), &t, &i);
        assert!(f.stack_matches(s[0]) && f.stack_matches(s[1]) && !f.stack_matches(s[2]));
        f.set_text("llvmpy".into(), &t, &i);
        assert!(!f.stack_matches(s[0]) && f.stack_matches(s[1]));
        f.set_text("LLVM".into(), &t, &i);
        assert!(!f.stack_matches(s[0]) && f.stack_matches(s[1]));
        f.set_text("Py(Object".into(), &t, &i);
        assert!(f.error().is_some(), "bad regex reported");
        assert!(f.stack_matches(s[1]), "previous results kept");
        f.set_text(String::new(), &t, &i);
        assert!(!f.is_active() && f.stack_matches(s[2]));
    }

    /// Typing a pattern and erasing it gives, at every step, what a filter
    /// set to that text from scratch gives (Backspace returns to kept
    /// results; extending narrows from them).
    #[test]
    fn typing_and_erasing_match_a_fresh_filter() {
        // More places than one thread tests (4,096).
        let names: Vec<String> = (0..9000)
            .map(|i| format!("f{i}_{}", ["llvm", "Pass", "builder", "py"][i % 4]))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (i, t, s) = setup(&refs);
        for pattern in ["~pssbldr", "f1_Pass", "f2.*ll"] {
            let mut typed = Filter::default();
            let steps: Vec<usize> = (1..=pattern.len())
                .chain((0..pattern.len()).rev())
                .collect();
            for n in steps {
                let text = pattern[..n].to_string();
                typed.set_text(text.clone(), &t, &i);
                let mut fresh = Filter::default();
                fresh.set_text(text.clone(), &t, &i);
                assert_eq!(typed.is_active(), fresh.is_active(), "{text}");
                for &st in &s {
                    assert_eq!(typed.stack_matches(st), fresh.stack_matches(st), "{text}");
                }
            }
        }
    }

    #[test]
    fn bits_count_past_a_word() {
        let mut b = Bits::ones(130);
        assert_eq!(b.ones_iter().count(), 130);
        assert!(b.get(129) && !b.get(130));
        b.retain(|i| i % 3 == 0);
        assert_eq!(
            b.ones_iter().collect::<Vec<_>>(),
            (0..130).step_by(3).collect::<Vec<_>>()
        );
        b.clear_all();
        b.set(64);
        assert_eq!(b.ones_iter().collect::<Vec<_>>(), [64]);
    }

    #[test]
    fn fuzzy_by_prefix() {
        let (i, t, s) = setup(&["llvm::Foo", "LLVMPY_Bar", "PyObject_Malloc"]);
        let mut f = Filter::default();
        f.set_text("~pom".into(), &t, &i);
        assert_eq!(f.mode(), Mode::Fuzzy);
        assert!(f.stack_matches(s[2]) && !f.stack_matches(s[0]));
        f.set_text("pom".into(), &t, &i);
        assert!(!f.stack_matches(s[2]));
        let m = Matcher::compile(Mode::Fuzzy, "pom").unwrap();
        assert_eq!(m.spans("PyObject_Malloc").len(), 3);
    }
}
