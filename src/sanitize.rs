//! Text from a log is untrusted: a function name or path can carry escape
//! sequences that would recolour, retitle or clear the user's terminal. Every
//! output (explorer, text summary) passes log text through here first.

use std::borrow::Cow;

/// Replaces control characters with visible placeholders in caret notation, as
/// `less` and `cat -v` do: ESC → `^[`, NUL → `^@`, DEL → `^?`. C1 controls and
/// bidirectional overrides (which can reorder what the user reads) become
/// `<U+XXXX>`. Tabs become a space. Text without any is returned as is.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\u{7f}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push((b'@' + c as u8) as char);
            }
            c if needs_escape(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `s`, with `…` where it was cut: log text
/// quoted in a warning stays one readable line however long the input was.
pub fn excerpt(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
    }
}

fn needs_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || u == 0x7f
        || (0x80..0xa0).contains(&u)
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(sanitize("f\u{1b}[31mred"), "f^[[31mred");
        assert_eq!(sanitize("a\0b\u{7f}"), "a^@b^?");
        assert_eq!(sanitize("x\u{9b}y"), "x<U+009B>y");
        assert_eq!(sanitize("\u{202e}abc"), "<U+202E>abc");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert!(matches!(sanitize("plain (a.c:1)"), Cow::Borrowed(_)));
    }
}
