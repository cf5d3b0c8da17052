//! Fitting text into cells: display widths, truncation with an ellipsis, and
//! highlighted spans.

use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;
use unicode_width::UnicodeWidthStr;

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Fits `s` in `max` columns by taking out its middle (keeping a trailing
/// `(file:line)` whole when it can, see `explore::frames::shorten_middle`).
/// Names are capped when the index is built, so this costs the same for any
/// name.
pub fn fit_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let short = crate::explore::frames::shorten_middle(s, max);
    // Wide characters: the character count can still exceed the columns.
    truncate(&short, max)
}

/// Fits `s` in `max` columns by putting `…` in its middle, keeping more of
/// its end (a path's file name, a file's extension) than of its start.
pub fn elide_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max < 2 {
        return truncate(s, max);
    }
    let head_w = (max - 1) / 3;
    let mut head = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let tail_w = max - 1 - w;
    let mut tail: Vec<char> = Vec::new();
    let mut tw = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if tw + cw > tail_w {
            break;
        }
        tail.push(c);
        tw += cw;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// Right-aligns `s` in `w` columns (cutting it if longer).
pub fn right(s: &str, w: usize) -> String {
    let sw = width(s);
    if sw > w {
        let cut = truncate(s, w);
        return format!("{}{cut}", " ".repeat(w.saturating_sub(width(&cut))));
    }
    let mut out = String::with_capacity(w - sw + s.len());
    out.extend(std::iter::repeat(' ').take(w - sw));
    out.push_str(s);
    out
}

/// Draws `line` at (`x`, `y`) in at most `max_width` cells, exactly as
/// ratatui's `Buffer::set_line` does, but without its grapheme segmentation
/// for spans in which every character is a grapheme of its own (ASCII and
/// the symbols the views draw: arrows, marks, bars, box lines): segmenting
/// the tree's, detail's and status lines was a fifth of a key's frame.
pub fn put_line(buf: &mut Buffer, x: u16, y: u16, line: &Line<'_>, max_width: u16) -> (u16, u16) {
    let mut left = max_width;
    let mut x = x;
    for span in line {
        if left == 0 {
            break;
        }
        let style = line.style.patch(span.style);
        let text = span.content.as_ref();
        let end = if text.chars().all(stands_alone) {
            put_chars(buf, x, y, text, left, style)
        } else {
            buf.set_stringn(x, y, text, left as usize, style).0
        };
        left = left.saturating_sub(end.saturating_sub(x));
        x = end;
    }
    (x, y)
}

/// Whether `c` is always a grapheme by itself: ASCII, or a symbol from the
/// blocks the views draw with (none of them joins or extends a neighbour).
fn stands_alone(c: char) -> bool {
    c.is_ascii()
        || matches!(
            c,
            '\u{B7}' | '\u{D7}' | '\u{2026}' | '\u{2190}'..='\u{2BFF}'
        )
}

/// `Buffer::set_stringn` for text whose characters are graphemes of their
/// own: control characters are skipped, each other character takes its
/// width in cells (the cells a wide one covers are reset); returns the
/// column after the last.
fn put_chars(buf: &mut Buffer, mut x: u16, y: u16, text: &str, max: u16, style: Style) -> u16 {
    let mut room = buf.area.right().saturating_sub(x).min(max);
    let mut utf8 = [0u8; 4];
    for c in text.chars().filter(|c| !c.is_control()) {
        let w = if c.is_ascii() {
            1
        } else {
            width(c.encode_utf8(&mut utf8)) as u16
        };
        if w == 0 {
            continue;
        }
        let Some(r) = room.checked_sub(w) else {
            break;
        };
        room = r;
        buf[(x, y)].set_char(c).set_style(style);
        let next = x + w;
        x += 1;
        while x < next {
            buf[(x, y)].reset();
            x += 1;
        }
    }
    x
}

/// Splits `text` into spans, `hl` over the byte ranges in `spans`.
pub fn highlighted(
    text: &str,
    spans: &[(usize, usize)],
    base: Style,
    hl: Style,
) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut at = 0;
    for &(s, e) in spans {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        if s > at {
            out.push(Span::styled(text[at..s].to_string(), base));
        }
        out.push(Span::styled(text[s..e].to_string(), base.patch(hl)));
        at = e;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), base));
    }
    out
}

/// Cuts a run of spans to `max` columns, ending in `…` when cut.
pub fn fit(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::new();
    let mut left = max.saturating_sub(1);
    let mut last_style = Style::new();
    for s in spans {
        if left == 0 {
            break;
        }
        last_style = s.style;
        let w = width(&s.content);
        if w <= left {
            left -= w;
            out.push(s);
            continue;
        }
        let mut cut = String::new();
        for c in s.content.chars() {
            let cw = c.width().unwrap_or(0);
            if cw > left {
                break;
            }
            cut.push(c);
            left -= cw;
        }
        out.push(Span::styled(cut, s.style));
        break;
    }
    if max > 0 {
        out.push(Span::styled("…", last_style));
    }
    out
}

/// A bar of `cells` cells filled to `share` (0..=1), in eighths.
pub fn bar(share: f64, cells: usize) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (share.clamp(0.0, 1.0) * (cells * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(EIGHTHS[eighths % 8]);
    let w = width(&s);
    s.push_str(&" ".repeat(cells.saturating_sub(w)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier};

    #[test]
    fn put_line_draws_what_set_line_draws() {
        let red = Style::new().fg(Color::Red);
        let lines = [
            Line::from("plain ASCII, cut at the edge of the area: 0123456789"),
            Line::from(vec![
                Span::styled("> ", red),
                Span::raw("tab\there, bell\x07, CRLF\r\n, DEL\x7f end"),
                Span::styled(" 1.2 MiB", Style::new().add_modifier(Modifier::BOLD)),
            ]),
            Line::from(vec![
                Span::raw("wide 漢字 and ● marks ▼ "),
                Span::raw("e\u{301} combining, then ASCII after"),
            ]),
            Line::from(vec![
                Span::raw("▶ ⚠ ▁▃▆█ ↑ ≈ │─ × · … "),
                Span::raw("⌚ wide symbol, ✅ emoji, ⚠\u{FE0F} with a selector"),
            ]),
            Line::styled("a line style under spans", red),
            Line::from(vec![Span::raw(""), Span::raw("x")]),
        ];
        for line in &lines {
            for (x, max) in [(0, 30), (3, 30), (20, 200), (29, 5), (30, 5), (0, 0)] {
                let area = Rect::new(0, 0, 30, 2);
                let mut a = Buffer::empty(area);
                let mut b = Buffer::empty(area);
                let ea = a.set_line(x, 1, line, max);
                let eb = put_line(&mut b, x, 1, line, max);
                assert_eq!(ea, eb, "{line:?} at {x}, {max}");
                assert_eq!(a, b, "{line:?} at {x}, {max}");
            }
        }
    }

    #[test]
    fn truncation_and_bars() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(right("7", 3), "  7");
        assert_eq!(
            elide_middle("/home/me/.config/leakscope/rules.supp", 22),
            "/home/m…ope/rules.supp"
        );
        assert_eq!(elide_middle("short", 22), "short");
        assert_eq!(bar(1.0, 3), "███");
        assert_eq!(bar(0.5, 2), "█ ");
        assert_eq!(bar(0.0, 2), "  ");
        let f = fit(vec![Span::raw("abc"), Span::raw("def")], 5);
        let s: String = f.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(s, "abcd…");
    }
}
