//! The detail pane: the selected node's figures and stacks. The program's own
//! frames are marked and coloured apart from library and runtime frames.

use super::text::{fit, highlighted, truncate, width};
use crate::explore::detail::{Detail, Line as DLine};
use crate::model::Interner;
use crate::report::human::count;
use crate::tui::app::{App, Focus, Overlay};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn render(app: &App, buf: &mut Buffer, title: Rect, body: Rect, separator: Option<Rect>) {
    let theme = &app.theme;
    if let Some(sep) = separator {
        for y in sep.y..sep.y + sep.height {
            buf.set_string(sep.x, y, "│", theme.border());
        }
    }
    let focused = app.focus == Focus::Detail
        && !matches!(app.overlay, Overlay::Help(_) | Overlay::Warnings(_));
    let detail = app.detail();
    let mut head = String::from(" Detail");
    if let Some(d) = detail.as_ref().filter(|_| focused) {
        if !d.frames.is_empty() {
            head.push_str(&format!(
                " · frame {} of {}",
                app.detail_cursor.min(d.frames.len() - 1) + 1,
                count(d.frames.len() as u64)
            ));
        }
    }
    let legend = " ● your code ";
    let w = title.width as usize;
    let style = if focused {
        theme.focused_title()
    } else {
        theme.title()
    };
    head.push(' ');
    let mut spans = vec![Span::styled(truncate(&head, w), style)];
    let used = width(&head);
    if used + width(legend) < w {
        spans.push(Span::styled(
            "─".repeat(w - used - width(legend)),
            theme.border(),
        ));
        spans.push(Span::styled(legend, theme.own_frame()));
    } else if used < w {
        spans.push(Span::styled("─".repeat(w - used), theme.border()));
    }
    super::text::put_line(buf, title.x, title.y, &Line::from(spans), title.width);

    let Some(d) = detail else {
        return;
    };
    let interner = &app.model.report().interner;
    let cursor_line = if focused {
        d.frames.get(app.detail_cursor).copied()
    } else {
        None
    };
    let bw = body.width as usize;
    let off = app.detail_offset.min(d.lines.len().saturating_sub(1));
    for (y, li) in (off..d.lines.len()).take(body.height as usize).enumerate() {
        let line = render_line(app, interner, &d, li, bw);
        let ry = body.y + y as u16;
        super::text::put_line(buf, body.x, ry, &line, body.width);
        if cursor_line == Some(li) {
            buf.set_style(Rect::new(body.x, ry, body.width, 1), theme.selected(true));
        }
    }
}

fn render_line(app: &App, interner: &Interner, d: &Detail, li: usize, w: usize) -> Line<'static> {
    let theme = &app.theme;
    let one = |s: &str, style: Style| Line::styled(truncate(&format!(" {s}"), w), style);
    match &d.lines[li] {
        DLine::Title(s) => {
            let style = match &d.category {
                Some(c) => theme.category(c).patch(theme.title()),
                None => theme.title(),
            };
            one(s, style)
        }
        DLine::Text(s) | DLine::Row(s) => one(s, Style::new()),
        DLine::Dim(s) => one(s, theme.dim()),
        DLine::Hidden(s) => one(s, theme.hidden()),
        DLine::Heading(s) => one(s, theme.title()),
        DLine::Code(s) => one(&format!("  {s}"), theme.dim()),
        DLine::Blank => Line::raw(""),
        DLine::Folded { first, last, frames } => one(
            &format!(
                " {first:>3}…{last}  ⋯ {frames} interpreter frames (eval loop, calls, trampolines) · i unfolds"
            ),
            theme.dim(),
        ),
        DLine::Repeat {
            first,
            last,
            period,
        } => one(
            &format!(
                " {first:>3}…{}  ↻ {}",
                count(*last as u64),
                crate::explore::detail::repeat_summary(*last + 1 - *first, *period)
            ),
            theme.dim(),
        ),
        DLine::Frame { n, id, own } => {
            let f = interner.frame(*id);
            let base = if *own {
                theme.own_frame()
            } else {
                theme.library_frame()
            };
            let marker = if *own { "●" } else { " " };
            let label = app.model.frames().label(interner, *id);
            let text = match f.mark() {
                Some(m) => format!("[{m}] {label}"),
                None => label,
            };
            let mut spans = vec![
                Span::styled(format!(" {n:>3} "), theme.dim()),
                Span::styled(format!("{marker} "), base),
            ];
            match app.model.filter().matcher() {
                Some(m) => spans.extend(highlighted(&text, &m.spans(&text), base, theme.matched())),
                None => spans.push(Span::styled(text, base)),
            }
            if let Some(a) = f.addr {
                spans.push(Span::styled(format!("  0x{a:X}"), theme.dim()));
            }
            Line::from(fit(spans, w))
        }
    }
}
