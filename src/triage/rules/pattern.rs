//! The two wildcard languages of suppression files.
//!
//! Valgrind's names (`fun:`, `obj:`, `src:`) use `*` and `?` over the whole
//! name, with no escapes (`VG_(string_match)` in m_seqmatch.c). LeakSanitizer's
//! templates are substring searches with `*`, `^` and `$` (`TemplateMatch` in
//! sanitizer_common.cpp). Both are reproduced byte for byte, because a rule
//! file means what the tool that also reads it makes of it.

/// A valgrind name pattern: `*` matches any run of bytes, `?` exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    text: Box<str>,
    simple: bool,
}

impl Wildcard {
    pub fn new(text: &str) -> Self {
        Wildcard {
            text: text.into(),
            simple: !text.contains(['*', '?']),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern has no wildcard: valgrind then compares with
    /// `strcmp`, and leakscope may demangle it.
    pub fn is_simple(&self) -> bool {
        self.simple
    }

    /// True when every name matches (`*`, `**`): such a pattern decides a
    /// frame even where the log does not say the name it would be tested on.
    pub fn matches_everything(&self) -> bool {
        !self.text.is_empty() && self.text.bytes().all(|b| b == b'*')
    }

    pub fn matches(&self, input: &str) -> bool {
        if self.simple {
            return *self.text == *input;
        }
        glob(self.text.as_bytes(), input.as_bytes())
    }
}

/// Whole-input match with `*` and `?`, backtracking to the last `*` only: the
/// same verdicts as valgrind's recursive matcher, in linear space.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A LeakSanitizer template: matches where its pieces occur in order as
/// substrings; `^` anchors the start, `$` the end, `*` separates pieces.
/// Reproduces sanitizer_common's first-occurrence search (no backtracking),
/// so `a*b$` does not match `ab_b`, exactly as LSan decides.
pub fn lsan_template_match(templ: &str, s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut t = templ.as_bytes();
    let mut s = s.as_bytes();
    let mut start = false;
    if t.first() == Some(&b'^') {
        start = true;
        t = &t[1..];
    }
    let mut asterisk = false;
    while let Some(&c) = t.first() {
        if c == b'*' {
            t = &t[1..];
            start = false;
            asterisk = true;
            continue;
        }
        if c == b'$' {
            return s.is_empty() || asterisk;
        }
        if s.is_empty() {
            return false;
        }
        let end = t.iter().position(|&b| b == b'*' || b == b'$');
        let piece = &t[..end.unwrap_or(t.len())];
        let Some(pos) = find(s, piece) else {
            return false;
        };
        if start && pos != 0 {
            return false;
        }
        s = &s[pos + piece.len()..];
        t = &t[piece.len()..];
        start = false;
        asterisk = false;
    }
    true
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table valgrind keeps in m_seqmatch.c for its own matcher.
    #[test]
    fn valgrind_string_match_table() {
        let table = [
            ("", "", true),
            ("a", "", false),
            ("a", "b", false),
            ("a", "a", true),
            ("a", "aa", false),
            ("*", "", true),
            ("**", "", true),
            ("*", "abc", true),
            ("*a", "abc", false),
            ("*b", "abc", false),
            ("*bc", "abc", true),
            ("a*b", "abc", false),
            ("a*c", "abc", true),
            ("*c", "abc", true),
            ("c*c", "abc", false),
            ("abc*", "abc", true),
            ("abc**", "abc", true),
            ("**abc", "abc", true),
            ("**a*b*c**", "abc", true),
            ("**a*b*d**", "abc", false),
            ("a?b", "abc", false),
            ("a?c", "abc", true),
            ("?", "", false),
            ("?", "a", true),
            ("?", "ab", false),
            ("abcd", "abc", false),
            ("ab", "abc", false),
        ];
        for (p, s, want) in table {
            assert_eq!(Wildcard::new(p).matches(s), want, "{p:?} vs {s:?}");
        }
    }

    #[test]
    fn wildcards_on_real_names() {
        let w = Wildcard::new("_ZN4llvm2cl*");
        assert!(w.matches("_ZN4llvm2cl3optIbLb0ENS0_6parserIbEEEC2IJA8_cEEEDpRKT_"));
        assert!(!w.matches("_ZN4llvm3foo"));
        assert!(Wildcard::new("obj:*").matches("obj:anything"));
        assert!(Wildcard::new("*/libffi.so.?.*").matches("/usr/lib/libffi.so.8.1.2"));
        assert!(Wildcard::new("**").matches_everything());
        assert!(!Wildcard::new("*a").matches_everything());
        assert!(!Wildcard::new("").matches_everything());
        // Backtracking past several stars.
        assert!(Wildcard::new("*ab*ab*").matches("xaxabyab"));
        assert!(!Wildcard::new("*ab*abc").matches("xaxabyab"));
    }

    #[test]
    fn lsan_templates() {
        assert!(lsan_template_match("foo", "xfooy"));
        assert!(lsan_template_match("^foo", "foox"));
        assert!(!lsan_template_match("^foo", "xfoo"));
        assert!(lsan_template_match("foo$", "xfoo"));
        assert!(!lsan_template_match("foo$", "foox"));
        assert!(lsan_template_match("a*c", "xabcx"));
        assert!(lsan_template_match(
            "libLLVM*.so",
            "/usr/lib/libLLVM-15.so.1"
        ));
        assert!(lsan_template_match("*", "x"));
        assert!(!lsan_template_match("*", ""));
        // First occurrence only, as sanitizer_common searches.
        assert!(!lsan_template_match("a*b$", "ab_b"));
        assert!(lsan_template_match("a*$", "abc"));
    }
}
