//! Frame lines: `at 0x…: function (file:line)` / `by 0x…: function (in object)`.

use crate::model::{At, Frame};

/// The text of a frame line after `at ` / `by `: `0x4841F2F: malloc (in /x.so)`.
/// Returns that text (the interning key) when the line is a frame.
pub fn frame_text(trimmed: &[u8]) -> Option<&[u8]> {
    let rest = trimmed
        .strip_prefix(b"at ")
        .or_else(|| trimmed.strip_prefix(b"by "))?;
    rest.starts_with(b"0x").then_some(rest)
}

/// Builds a frame from `0xADDR: function (file:line)` or `… (in object)`.
pub fn parse_frame(text: &str) -> At<Frame> {
    let (addr_s, rest) = match text.find(": ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches(':'), ""),
    };
    let addr = addr_s
        .strip_prefix("0x")
        .and_then(|h| u64::from_str_radix(h, 16).ok());
    let mut frame = Frame::default();
    let rest = rest.trim_end();
    let (func, loc) = split_location(rest);
    if let Some(loc) = loc {
        if let Some(obj) = loc.strip_prefix("in ") {
            frame.object = Some(obj.into());
        } else if let Some((file, line)) = split_file_line(loc) {
            frame.file = Some(file.into());
            frame.line = Some(line);
        }
    }
    if !func.is_empty() && func != "???" {
        frame.function = Some(func.into());
    }
    At { addr, frame }
}

/// Splits `fn (loc)` at the parenthesis balancing the final `)`, when what is
/// inside looks like a location (`in obj` or `file:line`). `operator new(unsigned
/// long)` alone is a function name, not a location.
fn split_location(s: &str) -> (&str, Option<&str>) {
    if !s.ends_with(')') {
        return (s, None);
    }
    let b = s.as_bytes();
    let mut depth = 0i32;
    for i in (0..b.len()).rev() {
        match b[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    let inner = &s[i + 1..s.len() - 1];
                    let is_loc = inner.starts_with("in ") || split_file_line(inner).is_some();
                    if is_loc && (i == 0 || b[i - 1] == b' ') {
                        return (s[..i].trim_end(), Some(inner));
                    }
                    return (s, None);
                }
            }
            _ => {}
        }
    }
    (s, None)
}

fn split_file_line(s: &str) -> Option<(&str, u32)> {
    let (file, line) = s.rsplit_once(':')?;
    if file.is_empty() || line.is_empty() || !line.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((file, line.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let f = parse_frame("0x4841F2F: operator new(unsigned long) (in /usr/lib/vg.so)");
        assert_eq!(f.addr, Some(0x4841F2F));
        assert_eq!(f.function.as_deref(), Some("operator new(unsigned long)"));
        assert_eq!(f.object.as_deref(), Some("/usr/lib/vg.so"));
        let f = parse_frame("0x4AA2A3F: _PyEval_Vector (ceval.c:6434)");
        assert_eq!(f.file.as_deref(), Some("ceval.c"));
        assert_eq!(f.line, Some(6434));
        let f = parse_frame("0x85C0F79: ??? (in /usr/lib/libffi.so.8.1.2)");
        assert!(f.is_unknown());
        let f = parse_frame("0x........: main (leak.c:10)");
        assert_eq!(f.addr, None);
        assert_eq!(f.function.as_deref(), Some("main"));
        let f = parse_frame("0x1: operator new(unsigned long)");
        assert_eq!(f.function.as_deref(), Some("operator new(unsigned long)"));
        assert_eq!(f.file, None);
        let f = parse_frame("0x1: ???");
        assert!(f.is_unknown() && f.object.is_none());
    }
}
