//! A stack's `<frame>`s read straight from the bytes, without XML events.
//!
//! Frames are nearly all of a valgrind XML log (98% of the bytes of the
//! Numba log), and valgrind writes each the same way: `<frame>`, then one
//! `<name>text</name>` per line, then `</frame>`. A chunk worker reads such a
//! frame here, a few `memchr`s instead of some twenty quick-xml events, and
//! hands the parser the same `(element, text)` pairs the events would have
//! closed with, so the frame interned is the same. Anything else — a
//! comment, CDATA, an attribute, an empty-element tag, `>` in the text, a
//! mismatched end tag — stops the scan before that frame, and the events
//! read it as before (what quick-xml makes of odd markup stays its call).

use super::tag::Tag;

/// A field text longer than this is left to the events (whose text buffer
/// truncates at the parser's limit; an invalid byte can grow threefold
/// when replaced, so this stays well below it).
const MAX_FIELD: usize = 64 << 10;

/// One plain frame at the start of `bytes` (after whitespace): its field
/// elements in `fields`, in order, and the length up to and including its
/// `</frame>`. `None` when `bytes` does not start with such a frame.
pub fn scan<'a>(bytes: &'a [u8], fields: &mut Vec<(Tag, &'a [u8])>) -> Option<usize> {
    fields.clear();
    let mut i = skip_space(bytes, 0);
    i = after(bytes, i, b"<frame>")?;
    loop {
        i = skip_space(bytes, i);
        if bytes.get(i) != Some(&b'<') {
            return None;
        }
        if let Some(end) = after(bytes, i + 1, b"/frame>") {
            return Some(end);
        }
        let name_at = i + 1;
        let name_len = bytes[name_at..]
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
        let name = &bytes[name_at..name_at + name_len];
        if name_len == 0 || !name[0].is_ascii_alphabetic() {
            return None;
        }
        let text_at = after(bytes, name_at + name_len, b">")?;
        let lt = text_at + memchr::memchr(b'<', &bytes[text_at..])?;
        let text = &bytes[text_at..lt];
        if text.len() > MAX_FIELD || memchr::memchr(b'>', text).is_some() {
            return None;
        }
        let close = after(bytes, lt, b"</")?;
        let close = after(bytes, close, name)?;
        i = after(bytes, close, b">")?;
        // Only a frame's own fields and unknown names: a known element out
        // of place (`<suppression>` in a frame) has effects of its own.
        let tag = Tag::of(name);
        if !matches!(
            tag,
            Tag::Ip | Tag::Obj | Tag::Fn | Tag::Dir | Tag::File | Tag::Line | Tag::Other
        ) {
            return None;
        }
        fields.push((tag, text));
    }
}

/// The offset after `want` when `bytes[at..]` starts with it.
fn after(bytes: &[u8], at: usize, want: &[u8]) -> Option<usize> {
    bytes
        .get(at..)
        .filter(|b| b.starts_with(want))
        .map(|_| at + want.len())
}

/// XML's whitespace (what quick-xml hands over as a text of blanks).
fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes
        .get(i)
        .is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &str) -> Option<(usize, Vec<(Tag, String)>)> {
        let mut v = Vec::new();
        let n = scan(s.as_bytes(), &mut v)?;
        let f = v
            .iter()
            .map(|(t, b)| (*t, String::from_utf8_lossy(b).into_owned()))
            .collect();
        Some((n, f))
    }

    #[test]
    fn a_plain_frame_gives_its_fields_in_order() {
        let s = "\n    <frame>\n      <ip>0x4848899</ip>\n      <fn>malloc</fn>\n      \
                 <unknown_1>x</unknown_1>\n      <line>3</line>\n    </frame>\n    </stack>";
        let (n, f) = fields(s).unwrap();
        assert_eq!(&s[n..], "\n    </stack>");
        assert_eq!(
            f,
            [
                (Tag::Ip, "0x4848899".into()),
                (Tag::Fn, "malloc".into()),
                (Tag::Other, "x".into()),
                (Tag::Line, "3".into())
            ]
        );
        let (_, f) = fields("<frame><fn>a&amp;b</fn><file></file></frame>").unwrap();
        assert_eq!(f, [(Tag::Fn, "a&amp;b".into()), (Tag::File, "".into())]);
    }

    #[test]
    fn anything_but_a_plain_frame_is_left_to_the_events() {
        for s in [
            "</stack>",
            "<frame >",
            "<frame><fn>a</fn>",
            "<frame><fn a=\"1\">x</fn></frame>",
            "<frame><fn/></frame>",
            "<frame><fn>a</file></frame>",
            "<frame><fn>a</fnx></frame>",
            "<frame><fn>a > b</fn></frame>",
            "<frame><fn><![CDATA[a]]></fn></frame>",
            "<frame><!-- c --><fn>a</fn></frame>",
            "<frame>x<fn>a</fn></frame>",
            "<frame><a:b>a</a:b></frame>",
            "<frame><fn>a</fn></frame",
            "<frame><suppression>a</suppression></frame>",
        ] {
            assert_eq!(fields(s), None, "{s}");
        }
    }
}
