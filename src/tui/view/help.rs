//! The `?` overlay (every binding of the keymap table, by mode) and the `W`
//! overlay (the log's warnings, each with file and line): scrolled text in a
//! box sized to its content and the terminal.

use super::text::fit;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::help_sections;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

/// The open overlay's lines, also used to bound its scrolling.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    match app.overlay {
        Overlay::Warnings(_) => warning_lines(app),
        _ => help_lines(app),
    }
}

/// Each warning as `file:line:` then its message, wrapped to the terminal
/// (a warning is read whole, never cut).
fn warning_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let width = (app.size.0 as usize).saturating_sub(4).max(20);
    let mut out = Vec::new();
    for n in crate::explore::notices::warnings(app.model.report()) {
        out.push(Line::styled(format!("{}:", n.place), theme.key()));
        let mut line = String::from("  ");
        for word in n.text.split(' ') {
            if line.chars().count() + word.chars().count() + 1 > width && line.len() > 2 {
                out.push(Line::raw(std::mem::replace(&mut line, String::from("  "))));
            }
            if line.len() > 2 {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(Line::raw(line));
    }
    out
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut out = Vec::new();
    for (i, (title, rows)) in help_sections().into_iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(title.to_string(), theme.title()));
        for (keys, help) in rows {
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), theme.key()),
                Span::raw(help.to_string()),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Bytes are direct bytes, as valgrind's LEAK SUMMARY counts them;".to_string(),
        theme.dim(),
    ));
    out.push(Line::styled(
        "the detail pane adds what is indirectly lost through them.".to_string(),
        theme.dim(),
    ));
    out
}

/// The largest useful scroll offset for the overlay at a terminal height
/// (`update` clamps to it, so scrolling back up is never a dead key).
pub fn max_offset(app: &App, height: u16) -> usize {
    let n = lines(app).len();
    let inner = (height.saturating_sub(2) as usize)
        .min(n + 2)
        .saturating_sub(2);
    n.saturating_sub(inner)
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let (offset, title) = match app.overlay {
        Overlay::Help(o) => (o, " Keys · any other key closes "),
        Overlay::Warnings(o) => (o, " Warnings · any other key closes "),
        _ => return,
    };
    let lines = lines(app);
    // As wide as the longest line (and the title), within the terminal.
    let widest = lines
        .iter()
        .map(|l| l.width())
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0);
    let w = area.width.saturating_sub(2).min(widest as u16 + 2);
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    if w < 10 || h < 3 {
        return;
    }
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let inner_h = (h - 2) as usize;
    let max_off = lines.len().saturating_sub(inner_h);
    let off = offset.min(max_off);
    let more = if max_off > 0 {
        format!(
            " {}/{} · j/k scroll ",
            off + inner_h.min(lines.len()),
            lines.len()
        )
    } else {
        String::new()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(Span::styled(title, app.theme.title()))
        .title_bottom(Line::from(more).right_aligned());
    let inner = block.inner(r);
    block.render(r, buf);
    for (y, line) in lines.into_iter().skip(off).take(inner_h).enumerate() {
        let spans = fit(line.spans, inner.width as usize);
        super::text::put_line(
            buf,
            inner.x,
            inner.y + y as u16,
            &Line::from(spans),
            inner.width,
        );
    }
}
