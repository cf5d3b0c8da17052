//! The live filter: which records' stacks match what the user types.
//!
//! A keystroke is evaluated once per distinct frame (tens of thousands even in
//! a 1 GB log) and then per distinct stack by lookup, never per record. While
//! the user extends a pattern that can only narrow (fuzzy, or a plain literal),
//! only frames that matched before are tested again.

use super::frames::FrameInfo;
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
            Mode::Fuzzy => Ok(Matcher::Fuzzy {
                pattern: pattern.to_string(),
                skim: Box::new(SkimMatcherV2::default().smart_case()),
            }),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Regex(r) => r.is_match(text),
            Matcher::Fuzzy { pattern, skim } => skim.fuzzy_match(text, pattern).is_some(),
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
            Matcher::Fuzzy { pattern, skim } => match skim.fuzzy_indices(text, pattern) {
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
    frame_match: Vec<bool>,
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
    pub fn set_text(&mut self, text: String, texts: &FrameInfo, interner: &Interner) {
        self.text = text;
        let mode = mode_of(&self.text);
        let pattern = pattern_of(&self.text).to_string();
        if pattern.is_empty() {
            self.error = None;
            self.matcher = None;
            self.computed = None;
            self.frame_match.clear();
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
                            && self.frame_match.len() == texts.len()
                    }
                    None => false,
                };
                self.matcher = Some(m);
                self.evaluate(texts, interner, narrowing);
                self.computed = Some((mode, pattern));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Re-evaluates for a new report (new frames and stacks).
    pub fn refresh(&mut self, texts: &FrameInfo, interner: &Interner) {
        let text = std::mem::take(&mut self.text);
        self.computed = None;
        self.set_text(text, texts, interner);
    }

    /// Whether a stack has a frame that matches; every stack does when no
    /// filter is active.
    pub fn stack_matches(&self, s: StackId) -> bool {
        !self.is_active() || self.stack_match.get(s.0 as usize).copied().unwrap_or(false)
    }

    fn evaluate(&mut self, texts: &FrameInfo, interner: &Interner, narrowing: bool) {
        let Some(m) = &self.matcher else {
            return;
        };
        if !narrowing {
            self.frame_match = vec![true; texts.len()];
        }
        let hay: Vec<&str> = texts.iter().collect();
        let flags = &mut self.frame_match;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let chunk = hay.len().div_ceil(threads).max(2048);
        std::thread::scope(|s| {
            for (hs, fs) in hay.chunks(chunk).zip(flags.chunks_mut(chunk)) {
                s.spawn(move || {
                    for (h, f) in hs.iter().zip(fs.iter_mut()) {
                        if *f {
                            *f = m.is_match(h);
                        }
                    }
                });
            }
        });
        let fm = &self.frame_match;
        self.stack_match = (0..interner.stack_count())
            .map(|i| {
                interner
                    .stack(StackId(i as u32))
                    .iter()
                    .any(|f| fm.get(f.0 as usize).copied().unwrap_or(false))
            })
            .collect();
    }
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
