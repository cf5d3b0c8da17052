//! The rules panel (R): every loaded rule, what it hides in the report and
//! why, most hidden bytes first; two lines per rule.

use super::text::fit;
use crate::report::human::{bytes, count};
use crate::sanitize::sanitize;
use crate::tui::app::{App, Overlay};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let Overlay::Rules(panel) = app.overlay else {
        return;
    };
    let theme = &app.theme;
    let w = area.width.saturating_sub(4).min(140);
    let h = area.height.saturating_sub(2);
    if w < 20 || h < 5 {
        return;
    }
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let rows = app.rule_rows();
    let engine = app.model.engine();
    let off = app.rules_off();
    let title = format!(
        " Rules · {} loaded{}{} · Space on/off · B built-ins · Esc closes ",
        count(rows.len() as u64),
        if off > 0 {
            format!(", {} off", count(off as u64))
        } else {
            String::new()
        },
        if app.model.inputs().toggles.builtin_off {
            " (built-ins off)"
        } else {
            ""
        },
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(r);
    block.render(r, buf);
    let iw = inner.width as usize;
    // A header line, then two lines per rule.
    let header = format!(
        "     {:>10} {:>8} {:>7} {:>7} {:>7}  rule · where",
        "bytes", "blocks", "records", "errors", "undec."
    );
    buf.set_line(
        inner.x,
        inner.y,
        &Line::from(fit(vec![Span::styled(header, theme.dim())], iw)),
        inner.width,
    );
    let per_page = ((inner.height as usize).saturating_sub(1) / 2).max(1);
    let first = panel.selected.saturating_sub(per_page - 1);
    for (slot, (pos, &id)) in rows
        .iter()
        .enumerate()
        .skip(first)
        .take(per_page)
        .enumerate()
    {
        let Some(rule) = app.model.inputs().rule_set.get(id) else {
            continue;
        };
        let c = engine.map(|e| e.counts(id)).unwrap_or_default();
        let on = app.rule_enabled(id);
        let selected = pos == panel.selected;
        let base = if selected {
            theme.selected(true)
        } else if on {
            ratatui::style::Style::default()
        } else {
            theme.dim()
        };
        let undecided = c.undecided_records + c.undecided_errors;
        let line1 = format!(
            " {} {:>10} {:>8} {:>7} {:>7} {:>7}  {} · {}",
            if on { "[x]" } else { "[ ]" },
            bytes(c.leaks.bytes),
            count(c.leaks.blocks),
            count(c.leaks.records),
            count(c.error_contexts),
            count(undecided),
            sanitize(&rule.name),
            sanitize(&rule.location()),
        );
        // The safety net: a rule that hid growth since the baseline says so.
        let line1 = match app
            .model
            .growth()
            .and_then(|g| g.hidden_by(&rule.name, &rule.location()))
        {
            Some(h) => format!("{line1}  ⚠ hid +{} B of growth", count(h.delta_total_bytes)),
            None => line1,
        };
        let why = match &rule.reason {
            Some(why) => format!("     why: {}", sanitize(why)),
            None => "     (no # why: line)".to_string(),
        };
        let y = inner.y + 1 + (slot * 2) as u16;
        if y >= inner.y + inner.height {
            break;
        }
        let mut l1 = Line::from(fit(vec![Span::styled(line1, base)], iw));
        if selected {
            l1 = l1.style(base);
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        buf.set_line(inner.x, y, &l1, inner.width);
        if y + 1 < inner.y + inner.height {
            buf.set_line(
                inner.x,
                y + 1,
                &Line::from(fit(vec![Span::styled(why, theme.dim())], iw)),
                inner.width,
            );
        }
    }
}
