//! The bottom line: the filter bar while typing, else a message, else the
//! key hints (from the keymap table).

use super::segments::{fit_segments, Segment, ALWAYS};
use super::text::{elide_middle, fit, fit_middle, width};
use crate::explore::filter::Mode as FilterMode;
use crate::report::human::count;
use crate::sanitize::sanitize;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::hints;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
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
        supp_spans(app, &p.what, w)
    } else if app.overlay == Overlay::StopRun {
        stop_spans(app, w)
    } else if let Some(s) = &app.status {
        let style = if s.error { theme.error() } else { theme.ok() };
        message_spans(&sanitize(&s.text), style, w)
    } else {
        hint_spans(app, w)
    };
    super::text::put_line(buf, area.x, area.y, &Line::from(fit(spans, w)), area.width);
}

/// The suppression prompt: its choices always whole; what it is for and
/// where it goes shortened in the middle to the room left.
fn supp_spans(app: &App, what: &str, w: usize) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let target = app
        .supp_target()
        .map(|t| sanitize(&t.to_string_lossy()).into_owned())
        .unwrap_or_default();
    let (lead, arrow) = if w >= 100 {
        (" Suppression for ", " → ")
    } else {
        (" S: ", " → ")
    };
    // On a narrow line the target is named by its file name.
    let short_target = crate::explore::frames::file_name(&target).to_string();
    let target = if w >= 120 { target } else { short_target };
    // What and where get room first (some of it); the choices take the
    // rest, as many whole as fit.
    let min_room = width(what).min(24) + width(&target).min(16);
    let mut hints = hint_spans(
        app,
        w.saturating_sub(width(lead) + width(arrow) + min_room + 1),
    );
    let hints_w: usize = hints.iter().map(|s| width(&s.content)).sum();
    let room = w.saturating_sub(hints_w + width(lead) + width(arrow) + 1);
    // Each gets what it needs when both fit; else the target up to half.
    let target_w = width(&target).min((room / 2).max(room.saturating_sub(width(what))));
    let what_w = room - target_w;
    let mut v = vec![
        Span::styled(lead, theme.title()),
        Span::raw(fit_middle(what, what_w)),
        Span::styled(arrow, theme.dim()),
        Span::raw(elide_middle(&target, target_w)),
        Span::raw(" "),
    ];
    v.append(&mut hints);
    v
}

/// A message: parts joined by ` · ` give way from the last; the first is
/// shortened in the middle, so its end (what happened) stays readable.
/// The stop prompt of a live run: the question, then as many choices as fit.
fn stop_spans(app: &App, w: usize) -> Vec<Span<'static>> {
    let program = app.run.as_ref().map_or("", |r| r.program.as_str());
    let name = crate::explore::frames::file_name(program);
    let question = if w >= 80 {
        format!(" {name} is still running. Stop it? ")
    } else {
        format!(" Stop {name}? ")
    };
    let mut v = vec![Span::styled(question.clone(), app.theme.title())];
    v.append(&mut hint_spans(app, w.saturating_sub(width(&question))));
    v
}

fn message_spans(text: &str, style: Style, w: usize) -> Vec<Span<'static>> {
    let parts: Vec<&str> = text.split(" · ").collect();
    let segs: Vec<Segment> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                Segment::new(*p, ALWAYS).short(fit_middle(p, w.saturating_sub(2)))
            } else {
                Segment::new(*p, (100 - i.min(99)) as u8)
            }
            .style(style)
        })
        .collect();
    fit_segments(&segs, " ", " · ", style, w)
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
    let mut tail = hint_spans(app, app.size.0 as usize);
    let tail_w: usize = tail.iter().map(|s| width(&s.content)).sum();
    let w = app.size.0 as usize;
    if used + tail_w + 2 <= w {
        spans.push(Span::raw(" ".repeat(w - used - tail_w)));
        spans.append(&mut tail);
    }
    spans
}

/// The mode's key hints, in table order, as many whole ones as fit in
/// `max` columns (the `?` help lists them all).
fn hint_spans(app: &App, max: usize) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, hint) in hints(app.mode()) {
        let (k, h) = (format!(" {key}"), format!(" {hint} "));
        let w = width(&k) + width(&h);
        if used + w > max {
            break;
        }
        used += w;
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(h, theme.dim()));
    }
    spans
}
