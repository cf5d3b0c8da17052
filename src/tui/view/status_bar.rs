//! Two status lines: what is open and how it is viewed, then the visible and
//! hidden totals per category.

use super::text::fit;
use super::tree_pane::progress_text;
use crate::explore::filter::Mode as FilterMode;
use crate::report::human::{bytes, count};
use crate::tui::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let w = area.width as usize;
    // Only the first line is a bar: category colours need the plain background.
    buf.set_style(Rect::new(area.x, area.y, area.width, 1), theme.status());

    // Line 1: the input, then what changes (loading, filter, sort…) before
    // what does not (format, processes), so a narrow line cuts the latter.
    let mut info: Vec<String> = vec![crate::explore::frames::file_name(&app.source).to_string()];
    let warnings = crate::explore::notices::warning_count(app.model.report());
    if warnings > 0 && app.banner().is_none() {
        info.push(format!(
            "⚠ {} warning{} (W)",
            count(warnings as u64),
            if warnings == 1 { "" } else { "s" }
        ));
    }
    if !app.load.done {
        let p = app
            .load
            .progress
            .as_ref()
            .map(progress_text)
            .unwrap_or_default();
        info.push(format!("loading {p}"));
    } else if app.follow {
        let n = app.load.updates;
        info.push(format!(
            "following ({n} update{})",
            if n == 1 { "" } else { "s" }
        ));
    }
    if app.model.filter().is_active() {
        let mode = match app.model.filter().mode() {
            FilterMode::Regex => "regex",
            FilterMode::Fuzzy => "fuzzy",
        };
        let n = app.model.proj().matches;
        let mut f = format!(
            "{mode} /{}/ {} match{}",
            crate::sanitize::sanitize(app.model.filter().pattern()),
            count(n),
            if n == 1 { "" } else { "es" }
        );
        if let Some((i, n)) = app.match_pos {
            f.push_str(&format!(
                " · match {} of {}",
                count(i as u64),
                count(n as u64)
            ));
        }
        info.push(f);
    }
    if let Some(b) = &app.baseline {
        let file = crate::explore::frames::file_name(b);
        match app.model.growth() {
            Some(d) if d.gone > 0 => info.push(format!(
                "baseline: {file} ({} group{} gone)",
                count(d.gone as u64),
                if d.gone == 1 { "" } else { "s" }
            )),
            Some(_) => info.push(format!("baseline: {file}")),
            None => info.push(format!("baseline: {file} (comparing once loaded)")),
        }
        if let Some(d) = app.model.growth().filter(|d| !d.hidden.is_empty()) {
            let hid = crate::triage::hidden_growth::total(&d.hidden);
            info.push(format!(
                "⚠ {} hid +{} of growth (R)",
                if d.hidden.len() == 1 {
                    "1 rule".to_string()
                } else {
                    format!("{} rules", count(d.hidden.len() as u64))
                },
                crate::report::human::bytes(hid)
            ));
        }
        if app.model.inputs().only_growth {
            info.push("only new/grown".into());
        }
    }
    let inputs = app.model.inputs();
    if inputs.growth_sort {
        info.push("sort growth".into());
    } else {
        info.push(format!("sort {}", inputs.sort.name()));
    }
    info.push(format!("by {}", inputs.group_by.name()));
    if !inputs.rule_set.is_empty() {
        let off = app.rules_off();
        if inputs.toggles.builtin_off {
            info.push(format!(
                "{} rules, built-ins off ({} off)",
                count(inputs.rule_set.len() as u64),
                count(off as u64)
            ));
        } else if off > 0 {
            info.push(format!(
                "{} rules ({} off)",
                count(inputs.rule_set.len() as u64),
                count(off as u64)
            ));
        } else {
            info.push(format!("{} rules", count(inputs.rule_set.len() as u64)));
        }
    }
    if app.reloading {
        info.push("loading rules…".into());
    } else if app.rules_stale {
        info.push("rules file written: L loads it".into());
    }
    if !inputs.manual.is_empty() {
        let n = inputs.manual.len();
        info.push(format!("{n} hidden by hand"));
    }
    if inputs.show_hidden {
        info.push("hidden shown".into());
    }
    if app.model.is_loaded() {
        let report = app.model.report();
        if let Some(input) = report.inputs.first() {
            info.push(input.format.name().to_string());
        }
        let n = report.processes.len();
        info.push(format!("{n} process{}", if n == 1 { "" } else { "es" }));
    }
    let line = Line::from(fit(
        vec![Span::styled(
            format!(" {}", info.join(" · ")),
            theme.status(),
        )],
        w,
    ));
    buf.set_line(area.x, area.y, &line, area.width);

    if area.height < 2 {
        return;
    }
    // Line 2: visible (and hidden) per category.
    let mut spans = vec![Span::raw(" ")];
    {
        let report = app.model.report();
        for (cat, fig) in &app.model.proj().by_category {
            let (vis, hid) = (&fig.vis, &fig.hid);
            if vis.is_empty() && hid.is_empty() {
                continue;
            }
            let style = theme.category(cat);
            let text = if cat.is_leak() {
                format!("{} {}/{}", cat.tag(), bytes(vis.bytes), count(vis.blocks))
            } else {
                let known = report
                    .processes
                    .iter()
                    .all(|p| crate::explore::notices::occurrences_known(report, p));
                if known {
                    format!("{} ×{}", cat.name(), count(vis.count))
                } else {
                    format!("{} {}", cat.name(), count(vis.items))
                }
            };
            spans.push(Span::styled(text, style));
            if !hid.is_empty() {
                let h = if cat.is_leak() {
                    format!(" (+{}/{} hidden)", bytes(hid.bytes), count(hid.blocks))
                } else {
                    format!(" (+{} hidden)", count(hid.count))
                };
                spans.push(Span::styled(h, theme.dim()));
            }
            spans.push(Span::raw("  "));
        }
    }
    buf.set_line(area.x, area.y + 1, &Line::from(fit(spans, w)), area.width);
}
