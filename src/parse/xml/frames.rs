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

/// What ends a frame.
pub const FRAME_END: &[u8] = b"</frame>";

/// The whole `<frame>…</frame>` at the start of `bytes`, up to the first
/// `</frame>` (found with `end`, a finder of [`FRAME_END`]): all that
/// [`scan`] reads of it.
pub fn whole<'a>(bytes: &'a [u8], end: &memchr::memmem::Finder<'_>) -> Option<&'a [u8]> {
    const START: &[u8] = b"<frame>";
    if !bytes.starts_with(START) {
        return None;
    }
    let i = end.find(&bytes[START.len()..])?;
    Some(&bytes[..START.len() + i + FRAME_END.len()])
}

/// Where the XML whitespace from `bytes[at]` ends, and the newlines in it.
pub fn skip_blank(bytes: &[u8], mut at: usize) -> (usize, u64) {
    let mut newlines = 0;
    while let Some(&c) = bytes.get(at) {
        match c {
            b'\n' => newlines += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => break,
        }
        at += 1;
    }
    (at, newlines)
}

/// A field element's text as it stands in the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub tag: Tag,
    pub raw: &'a [u8],
    /// ASCII without `&`: the text is the bytes themselves, nothing to
    /// validate or unescape.
    pub plain: bool,
}

/// One plain frame at the start of `bytes` (after whitespace): its field
/// elements in `fields`, in order, and the length up to and including its
/// `</frame>`. `None` when `bytes` does not start with such a frame.
pub fn scan<'a>(bytes: &'a [u8], fields: &mut Vec<Field<'a>>) -> Option<usize> {
    fields.clear();
    let mut i = skip_space(bytes, 0);
    i = after(bytes, i, b"<frame>")?;
    loop {
        i = skip_space(bytes, i);
        if bytes.get(i) != Some(&b'<') {
            return None;
        }
        if let Some(end) = after(bytes, i + 1, b"/frame>") {
            // One word-at-a-time check of the whole frame instead of one per
            // field (nearly every frame is ASCII).
            if !bytes[..end].is_ascii() {
                for f in fields.iter_mut() {
                    f.plain &= f.raw.is_ascii();
                }
            }
            return Some(end);
        }
        let name_at = i + 1;
        let name_len = bytes[name_at..]
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))?;
        let name = &bytes[name_at..name_at + name_len];
        let tag = field_tag(name)?;
        let text_at = after(bytes, name_at + name_len, b">")?;
        // Where the text ends, and whether it holds `&`.
        let (mut j, mut amp) = (text_at, false);
        loop {
            j += memchr::memchr3(b'<', b'>', b'&', &bytes[j..])?;
            match bytes[j] {
                b'<' => break,
                b'>' => return None,
                _ => (amp, j) = (true, j + 1),
            }
        }
        let raw = &bytes[text_at..j];
        if raw.len() > MAX_FIELD {
            return None;
        }
        let close = after(bytes, j, b"</")?;
        let close = after(bytes, close, name)?;
        i = after(bytes, close, b">")?;
        fields.push(Field {
            tag,
            raw,
            // ASCII is checked once the frame's end is known.
            plain: !amp,
        });
    }
}

/// The element a frame's child `name` is: a frame's own fields and unknown
/// names only (a known element out of place, `<suppression>` in a frame,
/// has effects of its own), `None` for the rest.
fn field_tag(name: &[u8]) -> Option<Tag> {
    let tag = match name {
        b"ip" => Tag::Ip,
        b"obj" => Tag::Obj,
        b"fn" => Tag::Fn,
        b"dir" => Tag::Dir,
        b"file" => Tag::File,
        b"line" => Tag::Line,
        _ if !name.first()?.is_ascii_alphabetic() => return None,
        _ => Tag::of(name),
    };
    matches!(
        tag,
        Tag::Ip | Tag::Obj | Tag::Fn | Tag::Dir | Tag::File | Tag::Line | Tag::Other
    )
    .then_some(tag)
}

/// `text` without the whitespace `str::trim` takes off, for ASCII text.
pub fn trim_ascii(text: &[u8]) -> &[u8] {
    let space = |c: &u8| matches!(c, b'\t'..=b'\r' | b' ');
    let start = text.iter().position(|c| !space(c)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|c| !space(c))
        .map_or(start, |e| e + 1);
    &text[start..end]
}

/// The offset after `want` when `bytes[at..]` starts with it.
fn after(bytes: &[u8], at: usize, want: &[u8]) -> Option<usize> {
    bytes
        .get(at..)
        .filter(|b| b.starts_with(want))
        .map(|_| at + want.len())
}

/// XML's whitespace (what quick-xml hands over as a text of blanks).
fn skip_space(bytes: &[u8], i: usize) -> usize {
    skip_blank(bytes, i).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &str) -> Option<(usize, Vec<(Tag, String)>)> {
        let mut v = Vec::new();
        let n = scan(s.as_bytes(), &mut v)?;
        let f = v
            .iter()
            .map(|f| (f.tag, String::from_utf8_lossy(f.raw).into_owned()))
            .collect();
        Some((n, f))
    }

    #[test]
    fn plain_is_ascii_without_entities_and_trims_as_str_does() {
        let mut v = Vec::new();
        scan(
            "<frame><fn>a</fn><fn>a&amp;</fn><fn>\u{e9}</fn></frame>".as_bytes(),
            &mut v,
        );
        assert_eq!(
            v.iter().map(|f| f.plain).collect::<Vec<_>>(),
            [true, false, false]
        );
        for t in [" a b\t", "\x0b\x0c\r\n", "", "x", " \x1f "] {
            assert_eq!(trim_ascii(t.as_bytes()), t.trim().as_bytes(), "{t:?}");
        }
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
