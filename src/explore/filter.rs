//! The live filter: which records' stacks match what the user types.
//!
//! A keystroke is evaluated once per place (distinct frame, addresses aside:
//! tens of thousands even in a 1 GB log), then per stack through the places'
//! stack lists, never per record. While the user extends a pattern that can
//! only narrow (fuzzy, or a plain literal), only places and stacks that
//! matched before are tested again.

use super::places::FrameInfo;
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

#[derive(Default)]
pub struct Filter {
    text: String,
    matcher: Option<Matcher>,
    error: Option<String>,
    place_match: Vec<bool>,
    stack_match: Vec<bool>,
    /// The (mode, pattern) `frame_match` holds results for.
    computed: Option<(Mode, String)>,
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
        self.computed.is_some()
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
            self.computed = None;
            self.place_match.clear();
            self.stack_match.clear();
            return;
        }
        match Matcher::compile(mode, &pattern) {
            Ok(m) => {
                self.error = None;
                let narrowing = match &self.computed {
                    Some((old_mode, old)) => {
                        *old_mode == mode
                            && pattern.starts_with(old.as_str())
                            && (mode == Mode::Fuzzy || (is_literal(old) && is_literal(&pattern)))
                            && self.place_match.len() == info.places()
                            && self.stack_match.len() == interner.stack_count()
                    }
                    None => false,
                };
                self.matcher = Some(m);
                self.evaluate(info, interner, narrowing);
                self.computed = Some((mode, pattern));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Sets the text without evaluating it: the next `refresh` (a new
    /// report's frames) does, so a background build costs the UI thread no
    /// filter pass over the old report.
    pub fn defer_text(&mut self, text: String) {
        self.text = text;
        self.computed = None;
        self.matcher = None;
        self.error = None;
    }

    /// Re-evaluates for a new report (new frames and stacks).
    pub fn refresh(&mut self, info: &FrameInfo, interner: &Interner) {
        let text = std::mem::take(&mut self.text);
        self.computed = None;
        self.set_text(text, info, interner);
    }

    /// Whether a stack has a frame that matches; every stack does when no
    /// filter is active.
    pub fn stack_matches(&self, s: StackId) -> bool {
        !self.is_active() || self.stack_match.get(s.0 as usize).copied().unwrap_or(false)
    }

    fn evaluate(&mut self, info: &FrameInfo, interner: &Interner, narrowing: bool) {
        let Some(m) = &self.matcher else {
            return;
        };
        if !narrowing {
            self.place_match = vec![true; info.places()];
            self.stack_match = vec![true; interner.stack_count()];
        }
        test_places(m, info.haystacks(), &mut self.place_match);
        let pm = &self.place_match;
        let through: usize = (0..pm.len())
            .filter(|&p| pm[p])
            .map(|p| info.through_count(p as u32))
            .sum();
        if through * 4 < info.postings() {
            // Selective: mark the stacks through matching places.
            self.stack_match.fill(false);
            for p in (0..pm.len()).filter(|&p| pm[p]) {
                for s in info.stacks_through(p as u32) {
                    self.stack_match[s.0 as usize] = true;
                }
            }
        } else {
            // Most places match: scan stacks (that matched before), each up
            // to its first matching frame.
            for (s, hit) in self.stack_match.iter_mut().enumerate() {
                if *hit {
                    *hit = interner.stack(StackId(s as u32)).iter().any(|&f| {
                        pm.get(info.place(interner, f) as usize)
                            .copied()
                            .unwrap_or(false)
                    });
                }
            }
        }
    }
}

/// Re-tests the places still marked, on every core.
fn test_places(m: &Matcher, hay: &[Box<str>], flags: &mut [bool]) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = hay.len().div_ceil(threads).max(4096);
    let run = |hs: &[Box<str>], fs: &mut [bool]| {
        for (h, f) in hs.iter().zip(fs.iter_mut()) {
            if *f {
                *f = m.is_match(h);
            }
        }
    };
    if hay.len() <= chunk {
        run(hay, flags);
        return;
    }
    std::thread::scope(|s| {
        let threads: Vec<_> = hay
            .chunks(chunk)
            .zip(flags.chunks_mut(chunk))
            .map(|(hs, fs)| s.spawn(move || run(hs, fs)))
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
