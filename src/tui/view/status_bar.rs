//! Two status lines: what is open and how it is viewed, then the visible,
//! rule-hidden and filtered-out totals. Both are segments (`segments.rs`):
//! at 80 columns the least important ones shorten or drop, whole.

use super::segments::{fit_segments, Segment, ALWAYS};
use super::text::{elide_middle, fit_middle};
use super::tree_pane::progress_text;
use crate::explore::filter::Mode as FilterMode;
use crate::report::human::{bytes, count};
use crate::tui::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// `n thing` or `n things`.
fn n(v: u128, one: &str, many: &str) -> String {
    format!("{} {}", count(v), if v == 1 { one } else { many })
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let w = area.width as usize;
    // Only the first line is a bar: category colours need the plain background.
    buf.set_style(Rect::new(area.x, area.y, area.width, 1), theme.status());
    let line = fit_segments(&view_segments(app), " ", " · ", theme.status(), w);
    super::text::put_line(buf, area.x, area.y, &Line::from(line), area.width);
    if area.height < 2 {
        return;
    }
    let line = fit_segments(&total_segments(app), " ", "  ", theme.dim(), w);
    super::text::put_line(buf, area.x, area.y + 1, &Line::from(line), area.width);
}

/// Line 1: the input and how it is viewed. What changes (loading, filter,
/// warnings) matters more than what the tree's header already says (sort,
/// grouping) or what does not change (format, processes).
pub fn view_segments(app: &App) -> Vec<Segment> {
    let style = app.theme.status();
    let seg = |full: String, keep: u8| Segment::new(full, keep).style(style);
    let file = crate::explore::frames::file_name(&app.source).to_string();
    let mut out = Vec::new();
    if let Some(run) = &app.run {
        out.push(run_segment(run).style(style));
    }
    out.push(seg(file.clone(), ALWAYS).short(elide_middle(&file, 24)));
    let warnings = crate::explore::notices::warning_count(app.model.report()) as u128;
    if warnings > 0 && app.banner().is_none() {
        out.push(
            seg(format!("⚠ {} (W)", n(warnings, "warning", "warnings")), 9)
                .short(format!("⚠ {} W", count(warnings))),
        );
    }
    if !app.load.done {
        let p = app.load.progress.as_ref();
        let full = p.map(progress_text).unwrap_or_default();
        let short = match p.and_then(|p| p.total.filter(|&t| t > 0).map(|t| (p.read, t))) {
            Some((read, t)) => format!("{}%", read.min(t) * 100 / t),
            None => full.clone(),
        };
        out.push(seg(format!("loading {full}"), 9).short(format!("loading {short}")));
    } else if app.follow {
        let u = u128::from(app.load.updates);
        out.push(seg(format!("following ({})", n(u, "update", "updates")), 7).short("following"));
    }
    if let Some(s) = filter_segment(app) {
        out.push(s.style(style));
    }
    baseline_segments(app, &mut out);
    timeline_segments(app, &mut out);
    let inputs = app.model.inputs();
    let sort = if inputs.growth_sort {
        "growth"
    } else {
        inputs.sort.name()
    };
    out.push(seg(format!("sort {sort}"), 2));
    out.push(seg(format!("by {}", inputs.group_by.name()), 2));
    if !inputs.rule_set.is_empty() {
        let rules = n(inputs.rule_set.len() as u128, "rule", "rules");
        let off = app.rules_off() as u128;
        let (full, short) = if inputs.toggles.builtin_off {
            (
                format!("{rules}, built-ins off ({} off)", count(off)),
                "built-ins off".to_string(),
            )
        } else if off > 0 {
            (
                format!("{rules} ({} off)", count(off)),
                format!("{} off", n(off, "rule", "rules")),
            )
        } else {
            (rules, String::new())
        };
        let keep = if off > 0 || inputs.toggles.builtin_off {
            6
        } else {
            3
        };
        let s = seg(full, keep);
        out.push(if short.is_empty() { s } else { s.short(short) });
    }
    if app.reloading {
        out.push(seg("loading rules…".into(), 7));
    } else if app.rules_stale {
        out.push(seg("rules file written: L loads it".into(), 7).short("L loads rules"));
    }
    if !inputs.manual.is_empty() {
        let m = inputs.manual.len() as u128;
        out.push(
            seg(format!("{} hidden by hand", count(m)), 6).short(format!("{} by hand", count(m))),
        );
    }
    if inputs.show_hidden {
        out.push(seg("hidden shown".into(), 6));
    }
    if app.model.is_loaded() {
        let report = app.model.report();
        if let Some(input) = report.inputs.first() {
            out.push(seg(input.format.name().to_string(), 1));
        }
        let p = report.processes.len() as u128;
        out.push(seg(n(p, "process", "processes"), 1));
    }
    out
}

/// The filter: its mode, pattern and matches (and where `n` is).
fn filter_segment(app: &App) -> Option<Segment> {
    let f = app.model.filter();
    if !f.is_active() {
        return None;
    }
    let mode = match f.mode() {
        FilterMode::Regex => "regex",
        FilterMode::Fuzzy => "fuzzy",
    };
    let pattern = crate::sanitize::sanitize(f.pattern());
    let matches = u128::from(app.model.proj().matches);
    let mut full = format!("{mode} /{pattern}/ {}", n(matches, "match", "matches"));
    let mut short = format!("/{}/ {}", fit_middle(&pattern, 16), count(matches));
    if let Some((i, of)) = app.match_pos {
        full.push_str(&format!(
            " · match {} of {}",
            count(i as u64),
            count(of as u64)
        ));
        short.push_str(&format!(" ({}/{})", count(i as u64), count(of as u64)));
    }
    Some(Segment::new(full, 8).short(short))
}

/// What a live `leakscope run` is doing: program, elapsed time, snapshots
/// (and `p` to take one), a failed snapshot, and how it ended. Shortened
/// before anything else goes: it is what a live run is watched for.
fn run_segment(run: &crate::tui::app::RunState) -> Segment {
    let t = &run.tick;
    let s = t.elapsed_s;
    let elapsed = if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s / 60 % 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    };
    let state = match t.exit {
        Some(code) => format!("exited {code}"),
        None if t.stuck => "not exiting: K kills".to_string(),
        None if t.stopping => "stopping".to_string(),
        None => "running".to_string(),
    };
    let name = crate::explore::frames::file_name(&run.program);
    let snaps = t.snapshots as u128;
    let key = if t.exit.is_none() && !t.stopping {
        " (p)"
    } else {
        ""
    };
    let warn = if run.warning.is_some() {
        " · ⚠ a snapshot failed"
    } else {
        ""
    };
    Segment::new(
        format!(
            "{name} {state} {elapsed} · {}{key}{warn}",
            n(snaps, "snapshot", "snapshots")
        ),
        ALWAYS,
    )
    .short(format!(
        "{} {state} {elapsed} · {} snap{}",
        elide_middle(name, 12),
        count(snaps),
        if run.warning.is_some() { " ⚠" } else { "" }
    ))
}

/// Over a timeline (a run directory, client-request leak checks): how many
/// leak searches, growth rules hid, and whether only growing groups show.
fn timeline_segments(app: &App, out: &mut Vec<Segment>) {
    let Some(g) = app.model.growth().filter(|g| g.is_timeline()) else {
        return;
    };
    let style = app.theme.status();
    let searches = g
        .timelines
        .iter()
        .flatten()
        .map(|t| t.searches.len() as u128)
        .max()
        .unwrap_or(0);
    out.push(
        Segment::new(
            format!("timeline: {}", n(searches, "leak search", "leak searches")),
            5,
        )
        .short(format!("{} searches", count(searches)))
        .style(style),
    );
    hidden_growth_segment(app, out);
    if app.model.inputs().only_growth {
        out.push(
            Segment::new("only growing", 6)
                .short("growing")
                .style(style),
        );
    }
}

/// A rule hid growth: the safety net, in the status line.
fn hidden_growth_segment(app: &App, out: &mut Vec<Segment>) {
    if let Some(d) = app.model.growth().filter(|d| !d.hidden.is_empty()) {
        let hid = bytes(crate::triage::hidden_growth::total(&d.hidden));
        let rules = n(d.hidden.len() as u128, "rule", "rules");
        out.push(
            Segment::new(format!("⚠ {rules} hid +{hid} of growth (R)"), 9)
                .short(format!("⚠ hid +{hid} (R)"))
                .style(app.theme.status()),
        );
    }
}

/// With `--baseline`: what it is compared with, and growth rules hid.
fn baseline_segments(app: &App, out: &mut Vec<Segment>) {
    let Some(b) = &app.baseline else {
        return;
    };
    let style = app.theme.status();
    let file = crate::explore::frames::file_name(b);
    let growth = app.model.growth();
    let full = match growth {
        Some(d) if d.gone > 0 => format!(
            "baseline: {file} ({} gone)",
            n(d.gone as u128, "group", "groups")
        ),
        Some(_) => format!("baseline: {file}"),
        None => format!("baseline: {file} (comparing once loaded)"),
    };
    out.push(
        Segment::new(full, 5)
            .short(format!("vs {}", elide_middle(file, 16)))
            .style(style),
    );
    hidden_growth_segment(app, out);
    if app.model.inputs().only_growth {
        out.push(
            Segment::new("only new/grown", 6)
                .short("grown")
                .style(style),
        );
    }
}

/// Line 2: per category what is shown, and what rules hide; then what the
/// filter leaves out (never called hidden: the filter is not a rule).
pub fn total_segments(app: &App) -> Vec<Segment> {
    let theme = &app.theme;
    let report = app.model.report();
    let known = report
        .processes
        .iter()
        .all(|p| crate::explore::notices::occurrences_known(report, p));
    let mut out = Vec::new();
    // Filtered out: loss records and error contexts, apart.
    let (mut out_recs, mut out_ctx) = (0u128, 0u128);
    let cats = &app.model.proj().by_category;
    for (i, (cat, fig)) in cats.iter().enumerate() {
        let (vis, hid) = (&fig.vis, &fig.hid);
        if cat.is_leak() {
            out_recs += u128::from(fig.out.items);
        } else {
            out_ctx += u128::from(fig.out.items);
        }
        if vis.is_empty() && hid.is_empty() {
            continue;
        }
        // Earlier categories (definitely lost first) matter more.
        let keep = 9u8.saturating_sub(i as u8).max(2);
        let (shown, hidden) = if cat.is_leak() {
            (
                format!("{} {}/{}", cat.tag(), bytes(vis.bytes), count(vis.blocks)),
                format!("+{}/{}", bytes(hid.bytes), count(hid.blocks)),
            )
        } else if known {
            (
                format!("{} ×{}", cat.name(), count(vis.count)),
                format!("+{}", count(hid.count)),
            )
        } else {
            (
                format!("{} {}", cat.name(), count(vis.items)),
                format!("+{}", count(hid.items)),
            )
        };
        let seg = if hid.is_empty() {
            Segment::new(shown, keep)
        } else if vis.is_empty() {
            // Nothing shown: only what rules hide, and it gives way first.
            let label = if cat.is_leak() { cat.tag() } else { cat.name() };
            Segment::new(format!("{label} {hidden} hidden"), keep / 2)
        } else {
            Segment::new(format!("{shown} ({hidden} hidden)"), keep).short(shown)
        };
        out.push(seg.style(theme.category(cat)));
    }
    if app.model.filter().is_active() && out_recs + out_ctx > 0 {
        let what = match (out_recs, out_ctx) {
            (r, 0) => n(r, "record", "records"),
            (0, c) => n(c, "error context", "error contexts"),
            (r, c) => format!(
                "{}, {}",
                n(r, "record", "records"),
                n(c, "context", "contexts")
            ),
        };
        out.push(
            Segment::new(format!("filtered out: {what}"), 8)
                .short(format!("{} filtered out", count(out_recs + out_ctx)))
                .style(theme.dim()),
        );
    }
    out
}
