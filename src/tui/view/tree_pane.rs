//! The tree pane: one row per visible node with its bytes, blocks, records
//! and share of its parent, as dua and ncdu show directories.

use super::columns::{cell, Columns, Spec};
use super::text::{bar, fit, fit_middle, highlighted, truncate, width};
use crate::explore::frames::short_label;
use crate::explore::growth::Delta;
use crate::explore::index::{Category, Index, SortKey};
use crate::explore::notices;
use crate::explore::projection::{Projection, Tot};
use crate::explore::tree::{NodeRef, Row};
use crate::model::Report;
use crate::report::human::{bytes, count, sparkline};
use crate::triage::diff::Status;
use crate::triage::GroupBy;
use crate::tui::app::{App, Focus, Overlay};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// The tree's figure columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeCol {
    /// Growth against the baseline, or a timeline's sparkline and trend
    /// (only with one of them).
    Growth,
    Bytes,
    Blocks,
    Records,
    /// The share bar.
    Bar,
    /// The share in percent.
    Pct,
}

/// Cells of the share bar.
const BAR: usize = 5;
/// Points of a timeline's sparkline in the tree (the latest searches).
const SPARK: usize = 8;
/// What the names keep, at least, before figure columns give way.
const NAME_MIN: usize = 24;

/// The tree's columns for a pane `w` wide: as wide as the figures of
/// `cells` (the rows on screen) and of the report's totals (which bound
/// every row's, so scrolling rarely changes a width) need.
fn columns(app: &App, cells: &[RowCells], w: usize) -> Columns<TreeCol> {
    let inputs = app.model.inputs();
    let mark = |k: SortKey, name: &str| {
        if inputs.sort == k && !inputs.growth_sort {
            format!("{name}▼")
        } else {
            name.to_string()
        }
    };
    let mut specs = Vec::new();
    if let Some(g) = app.model.growth() {
        let head = match (g.is_timeline(), inputs.growth_sort) {
            (true, true) => "timeline▼",
            (true, false) => "timeline",
            (false, true) => "growth▼",
            (false, false) => "growth",
        };
        specs.push(Spec::new(TreeCol::Growth, head, 0));
    }
    specs.push(Spec::new(TreeCol::Bytes, mark(SortKey::Bytes, "bytes"), 0));
    specs.push(Spec::new(
        TreeCol::Blocks,
        mark(SortKey::Blocks, "blocks"),
        2,
    ));
    specs.push(Spec::new(TreeCol::Records, mark(SortKey::Count, "recs"), 1));
    let mut bar = Spec::new(TreeCol::Bar, "", 4);
    bar.fit_width(BAR);
    specs.push(bar);
    let mut pct = Spec::new(TreeCol::Pct, "share", 3);
    pct.fit("100%");
    specs.push(pct);
    // Bounds: everything the log holds, shown or not.
    let mut all = Tot::default();
    let (mut leak_bytes, mut occurrences) = (0u128, 0u128);
    for (cat, fig) in &app.model.proj().by_category {
        let t = fig.all();
        if cat.is_leak() {
            leak_bytes += t.bytes;
        } else {
            occurrences += t.count;
        }
        all.add(&t);
    }
    for s in &mut specs {
        match s.id {
            TreeCol::Bytes => {
                s.fit(&bytes(leak_bytes));
                // A smaller figure in the unit below can be wider.
                if leak_bytes >= 1 << 20 {
                    s.fit("1023.9 KiB");
                }
                s.fit(&format!("×{}", count(occurrences)));
            }
            TreeCol::Blocks => s.fit(&count(all.blocks)),
            TreeCol::Records => s.fit(&count(all.items)),
            _ => {}
        }
        for c in cells {
            s.fit(&c.figure(s.id));
        }
    }
    Columns::layout(specs, w, NAME_MIN.min(w / 3))
}

pub fn render(app: &App, buf: &mut Buffer, header: Rect, rows: Rect) {
    let theme = &app.theme;
    let w = header.width as usize;
    let inputs = app.model.inputs();
    let focused =
        app.focus == Focus::Tree && !matches!(app.overlay, Overlay::Help(_) | Overlay::Warnings(_));
    let title_style = if focused {
        theme.focused_title()
    } else {
        theme.title()
    };
    // A single process has no row of its own: its PID and command head the tree.
    let procs = &app.model.report().processes;
    let who = match procs.as_slice() {
        [p] => format!(" PID {}", crate::sanitize::sanitize(&p.title())),
        _ => " Leaks and errors".to_string(),
    };
    let left = format!(
        "{who} by {}{}",
        inputs.group_by.name(),
        if inputs.sort == SortKey::Name && !inputs.growth_sort {
            " ▲name"
        } else {
            ""
        }
    );
    let m = &app.model;
    // The rows on screen, built first: their figures size the columns.
    let end = (app.tree.offset + rows.height as usize).min(m.rows().len());
    let cells: Vec<RowCells> = if m.is_loaded() {
        let totals = ParentTotals::of(m.proj());
        (app.tree.offset..end)
            .filter_map(|ri| m.rows().get(ri))
            .map(|row| RowCells::of(app, m.report(), m.index(), m.proj(), &totals, row))
            .collect()
    } else {
        Vec::new()
    };
    let cols = columns(app, &cells, w);
    let right_part = cols.header();
    let lw = w.saturating_sub(width(&right_part));
    let line = Line::from(vec![
        Span::styled(format!("{:<lw$}", truncate(&left, lw)), title_style),
        Span::styled(right_part, theme.title()),
    ]);
    super::text::put_line(buf, header.x, header.y, &line, header.width);

    if !app.model.is_loaded() {
        let msg = match (&app.load.error, &app.load.progress) {
            (Some(e), _) => format!(" {}", crate::sanitize::sanitize(e)),
            (None, Some(p)) => format!(" Reading {}… {}", app.source, progress_text(p)),
            (None, None) => format!(" Reading {}…", app.source),
        };
        let style = if app.load.error.is_some() {
            theme.error()
        } else {
            theme.dim()
        };
        // Errors name paths and can be long: wrap rather than cut.
        Paragraph::new(Line::styled(msg, style))
            .wrap(Wrap { trim: false })
            .render(rows, buf);
        return;
    }
    if m.rows().is_empty() {
        let msg = if m.filter().is_active() {
            " No record's stack matches the filter (Esc clears it)"
        } else if !inputs.manual.is_empty() {
            " Everything is hidden (. shows hidden records, u undoes a hide)"
        } else if !app.load.done {
            " Nothing yet…"
        } else if m
            .report()
            .processes
            .iter()
            .all(|p| p.leak_searches.is_empty())
        {
            " No leak search ran (--leak-check=no?) and no errors"
        } else {
            " No leaks or errors in this log"
        };
        super::text::put_line(
            buf,
            rows.x,
            rows.y,
            &Line::styled(msg, theme.dim()),
            rows.width,
        );
        return;
    }
    for (y, (ri, cells)) in (app.tree.offset..end).zip(&cells).enumerate() {
        let Some(row) = m.rows().get(ri) else { break };
        let selected = ri == app.tree.selected;
        let line = cells.line(app, &cols, w, row.depth as usize, selected && !focused);
        let ry = rows.y + y as u16;
        super::text::put_line(buf, rows.x, ry, &line, rows.width);
        if selected {
            let r = Rect::new(rows.x, ry, rows.width, 1);
            buf.set_style(r, theme.selected(focused));
        }
    }
}

pub fn progress_text(p: &crate::parse::Progress) -> String {
    let lines = (p.lines > 0).then(|| format!("{} lines", count(p.lines)));
    match (p.total, lines) {
        (Some(t), Some(l)) if t > 0 => format!("{}% ({l})", p.read.min(t) * 100 / t),
        (Some(t), None) if t > 0 => format!("{}%", p.read.min(t) * 100 / t),
        (_, Some(l)) => l,
        _ => format!("{} read", bytes(p.read)),
    }
}

/// What a row's share is a share of.
struct ParentTotals {
    /// Per process: leak bytes and error occurrences shown.
    procs: Vec<(u128, u128)>,
    all: (u128, u128),
}

impl ParentTotals {
    fn of(proj: &Projection) -> ParentTotals {
        let procs: Vec<(u128, u128)> = proj
            .procs
            .iter()
            .map(|pv| (pv.leaks.vis.bytes, pv.errors.vis.count))
            .collect();
        let all = procs.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        ParentTotals { procs, all }
    }
}

/// The text and figures of one row.
struct RowCells {
    arrow: &'static str,
    name: String,
    /// Whether the name is log text the filter can highlight.
    matchable: bool,
    style: Style,
    /// The category's colour, for the share bar.
    accent: Style,
    tot: Tot,
    leak: bool,
    share: Option<f64>,
    hidden: bool,
    /// Growth against the baseline or over a timeline (groups and categories).
    delta: Option<Delta>,
    /// Over a timeline: the node's total bytes per leak search (empty otherwise).
    series: Vec<u128>,
    /// Errors: whether the log counts occurrences (else only contexts).
    counts_known: bool,
    /// Growth comes from a timeline (no baseline figures to show).
    timeline: bool,
}

impl RowCells {
    #[allow(clippy::too_many_arguments)]
    fn of(
        app: &App,
        report: &Report,
        index: &Index,
        proj: &Projection,
        totals: &ParentTotals,
        row: Row,
    ) -> RowCells {
        let theme = &app.theme;
        let deltas = app.model.growth();
        let timeline = deltas.is_some_and(|g| g.is_timeline());
        let arrow = |open: bool| if open { "▾ " } else { "▸ " };
        let proc_of = &report.processes[index.procs[row.node.proc_()].process];
        let counts_known = crate::explore::notices::occurrences_known(report, proc_of);
        let share = |part: u128, whole: u128| (whole > 0).then(|| part as f64 / whole as f64);
        match row.node {
            NodeRef::Proc { p } => {
                let pn = &index.procs[p as usize];
                // A process row totals its leaks; errors have no bytes.
                let (t, hidden) = app.model.row_figures(row.node);
                let (pb, _) = totals.procs[p as usize];
                let proc_ = &report.processes[pn.process];
                let note = if proc_.leak_searches.is_empty() && !notices::is_lsan(report, proc_) {
                    " · no leak search ran"
                } else {
                    ""
                };
                RowCells {
                    arrow: arrow(pn.expanded),
                    name: format!("PID {}{note}", pn.title),
                    matchable: false,
                    style: theme.title(),
                    accent: theme.dim(),
                    tot: t,
                    leak: true,
                    share: share(pb, totals.all.0),
                    hidden,
                    delta: None,
                    series: Vec::new(),
                    counts_known,
                    timeline,
                }
            }
            NodeRef::Cat { p, c } => {
                let cn = &index.procs[p as usize].cats[c as usize];
                let (t, hidden) = app.model.row_figures(row.node);
                let leak = cn.category.is_leak();
                let (pb, pc) = totals.procs[p as usize];
                RowCells {
                    arrow: arrow(cn.expanded),
                    name: cn.category.name().to_string(),
                    matchable: false,
                    style: theme.category(&cn.category),
                    accent: theme.category(&cn.category),
                    tot: t,
                    leak,
                    share: if leak {
                        share(t.bytes, pb)
                    } else {
                        share(t.count, pc)
                    },
                    hidden,
                    delta: deltas.and_then(|d| d.cat(p as usize, c as usize)),
                    series: deltas
                        .and_then(|d| d.cat_series(p as usize, c as usize))
                        .map(<[u128]>::to_vec)
                        .unwrap_or_default(),
                    counts_known,
                    timeline,
                }
            }
            NodeRef::Group { p, c, g } => {
                let cn = &index.procs[p as usize].cats[c as usize];
                let cv = &proj.procs[p as usize].cats[c as usize];
                let gn = &cn.groups[g as usize];
                let (t, hidden) = app.model.row_figures(row.node);
                let leak = cn.category.is_leak();
                RowCells {
                    arrow: arrow(gn.expanded),
                    name: gn.display.clone(),
                    matchable: true,
                    style: Style::new(),
                    accent: theme.category(&cn.category),
                    tot: t,
                    leak,
                    share: share(t.weight(leak), cv.fig.vis.weight(leak)),
                    hidden,
                    delta: deltas.and_then(|d| d.group(p as usize, c as usize, g as usize)),
                    series: deltas
                        .and_then(|d| d.group_series(p as usize, c as usize, g as usize))
                        .map(<[u128]>::to_vec)
                        .unwrap_or_default(),
                    counts_known,
                    timeline,
                }
            }
            NodeRef::Item { p, c, g, item } => {
                let pn = &index.procs[p as usize];
                let cn = &pn.cats[c as usize];
                let gn = &cn.groups[g as usize];
                let gv = &proj.procs[p as usize].cats[c as usize].groups[g as usize];
                let proc_ = &report.processes[pn.process];
                let (t, hidden) = app.model.row_figures(row.node);
                let leak = cn.category.is_leak();
                let (stack, head) = match &cn.category {
                    Category::Leak(_) => {
                        let r = &proc_.loss_records()[item as usize];
                        let head = match r.number() {
                            Some(n) => format!("#{n}"),
                            None => format!("line {}", r.line()),
                        };
                        (r.stack, head)
                    }
                    Category::Error(_) => {
                        let e = &proc_.errors[item as usize];
                        (e.stack, crate::sanitize::sanitize(&e.what).into_owned())
                    }
                };
                let frames = report.interner.stack(stack);
                // Reached from the user's Python code: name that function.
                let py_origin = (index.by != GroupBy::Origin)
                    .then(|| {
                        frames
                            .listed()
                            .map(|(_, f)| report.interner.frame(f).frame)
                            .find(|f| f.is_python() && crate::triage::own::is_own(f))
                    })
                    .flatten();
                let name = match (py_origin, frames.get(gn.common as usize)) {
                    (Some(f), _) => format!("{head} via {}", short_label(f)),
                    (None, Some(&f)) => format!(
                        "{head} via {}",
                        app.model.frames().label(&app.model.report().interner, f)
                    ),
                    (None, None) => head,
                };
                let (parent, _) = gv.fig.shown_or_hidden();
                RowCells {
                    arrow: "",
                    name,
                    matchable: true,
                    style: Style::new(),
                    accent: theme.category(&cn.category),
                    tot: t,
                    leak,
                    share: share(t.weight(leak), parent.weight(leak)),
                    hidden,
                    delta: None,
                    series: Vec::new(),
                    counts_known,
                    timeline,
                }
            }
        }
    }

    /// The text of a figure column (the bar has none: it is drawn).
    fn figure(&self, col: TreeCol) -> String {
        let t = &self.tot;
        match col {
            TreeCol::Growth => match self.delta {
                // Over a timeline: the series as a sparkline, then its trend.
                Some(d) if !self.series.is_empty() => format!(
                    "{}{} {}",
                    if d.hidden_growth { "⚠" } else { "" },
                    sparkline(&self.series, SPARK),
                    d.trend_mark()
                ),
                // A node with no record in any search (errors) has no series.
                Some(d) if d.trend.is_none() && !self.timeline => d.text(self.leak),
                _ => String::new(),
            },
            TreeCol::Bytes if self.leak => bytes(t.bytes),
            // Occurrences only where the log counts them; recs has contexts.
            TreeCol::Bytes if self.counts_known => format!("×{}", count(t.count)),
            TreeCol::Blocks if self.leak => count(t.blocks),
            TreeCol::Bytes | TreeCol::Blocks | TreeCol::Bar => String::new(),
            TreeCol::Records => count(t.items),
            TreeCol::Pct => match self.shown_share() {
                Some(s) => format!("{:.0}%", (s * 100.0).min(100.0)),
                None => String::new(),
            },
        }
    }

    /// A hidden row is not part of its parent's visible total.
    fn shown_share(&self) -> Option<f64> {
        if self.hidden {
            None
        } else {
            self.share
        }
    }

    fn line(
        &self,
        app: &App,
        cols: &Columns<TreeCol>,
        w: usize,
        depth: usize,
        marker: bool,
    ) -> Line<'static> {
        let theme = &app.theme;
        let base = if self.hidden {
            theme.hidden()
        } else {
            self.style
        };
        let indent = format!("{}{}", if marker { ">" } else { " " }, "  ".repeat(depth));
        let arrow = if self.arrow.is_empty() {
            "  "
        } else {
            self.arrow
        };
        let name_w = w.saturating_sub(cols.total() + width(&indent) + 2);
        // Shortened in the middle, so the `(file:line)` at the end survives.
        let new_mark = if self.delta.is_some_and(|d| d.status == Status::New) {
            2
        } else {
            0
        };
        let name = fit_middle(&self.name, name_w.saturating_sub(new_mark));
        let name_spans = match app.model.filter().matcher().filter(|_| self.matchable) {
            Some(m) => highlighted(&name, &m.spans(&name), base, theme.matched()),
            None => vec![Span::styled(name, base)],
        };
        let mut spans = vec![Span::styled(indent, base), Span::styled(arrow, base)];
        // A group the baseline did not have: marked before its name.
        let mut name_spans = name_spans;
        if let Some(d) = self.delta.filter(|d| d.status == Status::New) {
            name_spans.insert(0, Span::styled("+ ", theme.growth(d.status)));
        }
        let name = fit(name_spans, name_w);
        let used: usize = name.iter().map(|s| width(&s.content)).sum();
        spans.extend(name);
        spans.push(Span::raw(" ".repeat(name_w - used.min(name_w))));
        let num = if self.hidden {
            theme.hidden()
        } else {
            Style::new()
        };
        for col in &cols.cols {
            let style = match col.id {
                TreeCol::Growth => match self.delta {
                    Some(_) if self.hidden => theme.hidden(),
                    Some(d) => theme.growth(d.status),
                    None => num,
                },
                TreeCol::Bar if self.hidden => theme.hidden(),
                TreeCol::Bar => self.accent,
                _ => num,
            };
            let text = if col.id == TreeCol::Bar {
                format!(" {}", bar(self.shown_share().unwrap_or(0.0), col.width))
            } else {
                cell(&self.figure(col.id), col.width)
            };
            spans.push(Span::styled(text, style));
        }
        Line::from(spans)
    }
}
