//! The bottom line: the filter bar while typing, else a message, else the
//! key hints (from the keymap table).

use super::text::{fit, width};
use crate::explore::filter::Mode as FilterMode;
use crate::report::human::count;
use crate::sanitize::sanitize;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::hints;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let w = area.width as usize;
    let spans = if app.overlay == Overlay::Filter {
        filter_spans(app)
    } else if let Overlay::Supp(p) = &app.overlay {
        let target = app
            .supp_target()
            .map(|t| sanitize(&t.to_string_lossy()).into_owned())
            .unwrap_or_default();
        let mut v = vec![
            Span::styled(" Suppression for ", theme.title()),
            Span::raw(p.what.clone()),
            Span::styled(" → ", theme.dim()),
            Span::raw(target),
            Span::raw(" "),
        ];
        v.append(&mut hint_spans(app));
        v
    } else if let Some(s) = &app.status {
        let style = if s.error { theme.error() } else { theme.ok() };
        vec![Span::styled(format!(" {}", sanitize(&s.text)), style)]
    } else {
        hint_spans(app)
    };
    buf.set_line(area.x, area.y, &Line::from(fit(spans, w)), area.width);
}

fn filter_spans(app: &App) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let mode = match app.model.filter().mode() {
        FilterMode::Regex => "regex",
        FilterMode::Fuzzy => "fuzzy",
    };
    let mut spans = vec![
        Span::styled("/", theme.key()),
        Span::raw(sanitize(app.model.filter().text()).into_owned()),
        Span::styled(
            " ",
            ratatui::style::Style::new().add_modifier(Modifier::REVERSED),
        ),
        Span::raw("  "),
        Span::styled(mode, theme.dim()),
    ];
    if let Some(e) = app.model.filter().error() {
        spans.push(Span::styled(format!("  ✗ {}", sanitize(e)), theme.error()));
    } else if app.model.filter().is_active() {
        let n = app.model.proj().matches;
        spans.push(Span::styled(
            format!("  {} match{}", count(n), if n == 1 { "" } else { "es" }),
            theme.ok(),
        ));
    }
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    let mut tail = hint_spans(app);
    let tail_w: usize = tail.iter().map(|s| width(&s.content)).sum();
    let w = app.size.0 as usize;
    if used + tail_w + 2 <= w {
        spans.push(Span::raw(" ".repeat(w - used - tail_w)));
        spans.append(&mut tail);
    }
    spans
}

fn hint_spans(app: &App) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for (key, hint) in hints(app.mode()) {
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::styled(format!(" {hint} "), theme.dim()));
    }
    spans
}
