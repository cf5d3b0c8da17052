//! The rules panel (R): every loaded rule, what it hides in the report (or,
//! turned off, what it would hide) and why; two lines per rule, in the
//! order the panel opened with.

use super::columns::{cell, Columns, Spec};
use super::text::{elide_middle, fit, width};
use crate::report::human::{bytes, count};
use crate::sanitize::sanitize;
use crate::triage::rules::RuleCounts;
use crate::tui::app::{App, Overlay};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Bytes,
    Blocks,
    Records,
    Errors,
    Undecided,
}

const COLS: [(Col, &str, u8); 5] = [
    (Col::Bytes, "bytes", 0),
    (Col::Blocks, "blocks", 2),
    (Col::Records, "records", 0),
    (Col::Errors, "errors", 1),
    (Col::Undecided, "undec.", 3),
];

fn figure(c: &RuleCounts, col: Col) -> String {
    match col {
        Col::Bytes => bytes(c.leaks.bytes),
        Col::Blocks => count(c.leaks.blocks),
        Col::Records => count(c.leaks.records),
        Col::Errors => count(c.error_contexts),
        Col::Undecided => count(c.undecided_records + c.undecided_errors),
    }
}

/// Where the panel goes: the whole terminal but a margin, at most 140 wide.
fn panel_area(area: Rect) -> Rect {
    let w = area.width.saturating_sub(2).min(140);
    let h = area.height.saturating_sub(2);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let Overlay::Rules(panel) = &app.overlay else {
        return;
    };
    let theme = &app.theme;
    let r = panel_area(area);
    if r.width < 20 || r.height < 5 {
        return;
    }
    Clear.render(r, buf);
    let rows = &panel.order;
    let off = app.rules_off();
    let builtin_off = app.model.inputs().toggles.builtin_off;
    let title = format!(
        " Rules · {}{}{} · Space on/off · B built-ins ",
        count(rows.len() as u64),
        if off > 0 {
            format!(", {} off", count(off as u64))
        } else {
            String::new()
        },
        if builtin_off { " (built-ins off)" } else { "" },
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            super::text::truncate(&title, r.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let inner = block.inner(r);
    block.render(r, buf);
    let iw = inner.width as usize;
    let counts: Vec<RuleCounts> = rows.iter().map(|&id| app.model.rule_counts(id)).collect();
    let mut specs: Vec<Spec<Col>> = COLS
        .iter()
        .map(|&(id, head, drop)| Spec::new(id, head, drop))
        .collect();
    for s in &mut specs {
        for c in &counts {
            s.fit(&figure(c, s.id));
        }
    }
    // "[x]" and a space before the figures; the name keeps 20 cells.
    let cols = Columns::layout(specs, iw.saturating_sub(4), 20);
    let header = format!("    {}  rule", cols.header());
    super::text::put_line(
        buf,
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
        let c = &counts[pos];
        let on = app.rule_enabled(id);
        let selected = pos == panel.selected;
        let base = if selected {
            theme.selected(true)
        } else if on {
            ratatui::style::Style::default()
        } else {
            theme.dim()
        };
        let figures: String = cols
            .cols
            .iter()
            .map(|col| cell(&figure(c, col.id), col.width))
            .collect();
        let lead = format!(" {}{figures}  ", if on { "[x]" } else { "[ ]" });
        let name = elide_middle(&sanitize(&rule.name), iw.saturating_sub(width(&lead)));
        let y = inner.y + 1 + (slot * 2) as u16;
        if y >= inner.y + inner.height {
            break;
        }
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        let l1 = Line::from(vec![Span::styled(format!("{lead}{name}"), base)]);
        super::text::put_line(buf, inner.x, y, &l1, inner.width);
        if y + 1 < inner.y + inner.height {
            let line = second_line(app, id, on, iw);
            super::text::put_line(buf, inner.x, y + 1, &line, inner.width);
        }
    }
}

/// Under a rule: whether its figures are what it would hide, growth it hid
/// since the baseline, where it is written and why.
fn second_line(app: &App, id: crate::triage::rules::RuleId, on: bool, w: usize) -> Line<'static> {
    let theme = &app.theme;
    let Some(rule) = app.model.inputs().rule_set.get(id) else {
        return Line::raw("");
    };
    let mut spans = vec![Span::raw("     ")];
    if !on {
        spans.push(Span::styled("off, would hide the above · ", theme.key()));
    }
    // The safety net: a rule that hid growth since the baseline says so.
    if let Some(h) = app
        .model
        .growth()
        .and_then(|g| g.hidden_by(&rule.name, &rule.location()))
    {
        spans.push(Span::styled(
            format!("⚠ hid +{} B of growth · ", count(h.delta_total_bytes)),
            theme.error(),
        ));
    }
    spans.push(Span::styled(
        format!("{} · ", sanitize(&rule.location())),
        theme.dim(),
    ));
    let why = match &rule.reason {
        Some(why) => format!("why: {}", sanitize(why)),
        None => "(no # why: line)".to_string(),
    };
    spans.push(Span::styled(why, theme.dim()));
    Line::from(fit(spans, w))
}
