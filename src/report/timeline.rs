//! A process's timeline in the summary (`"timeline"`, JSON contract of issue
//! 9): its leak searches and every group's total bytes at each, fastest growth
//! first. Computed by [`crate::triage::timeline`]; written here as JSON
//! fields and as the text summary's short timeline section.

use super::human::{bytes, signed_bytes};
use super::summary::ByKind;
use crate::model::{LeakKind, Report};
use crate::sanitize::sanitize;
use crate::triage::hidden_growth::HiddenGrowth;
use crate::triage::rules::{Hiding, RuleSet};
use crate::triage::timeline::{late_by, timeline, Timeline};
use crate::triage::trend::Trend;
use crate::triage::Totals;
use serde::Serialize;
use std::fmt::Write;

/// Groups listed in the text summary's timeline; the JSON output has all.
pub const TOP_TIMELINE_GROUPS: usize = 5;

#[derive(Debug, Serialize)]
pub struct TimelineSummary {
    pub searches: Vec<SearchSummary>,
    /// Every group, fastest growth first.
    pub groups: Vec<TimelineGroupSummary>,
    /// Per rule, the growth it hid from the first search to the last (the
    /// safety net of `diff`, same fields).
    pub hidden_growth: Vec<HiddenGrowth>,
    /// Per rule, the growth it hid during start-up only (groups that grew,
    /// then stayed the same while others kept growing: set-up, said apart
    /// from `hidden_growth`; same fields).
    pub startup_growth: Vec<HiddenGrowth>,
}

#[derive(Debug, Serialize)]
pub struct SearchSummary {
    pub index: usize,
    /// `snapshot`, `client-request`, `exit` or `unknown`.
    pub source: &'static str,
    /// Seconds since valgrind started; `null` without `--time-stamp=yes`.
    pub time_s: Option<f64>,
    /// For a `leakscope run` snapshot, when it was asked for (same clock);
    /// later than that by `time_s - asked_s` when the process was busy.
    pub asked_s: Option<f64>,
    /// Everything alive at this search (records an incremental search left
    /// out counted as they were).
    pub leaks: ByKind<Totals>,
}

#[derive(Debug, Serialize)]
pub struct TimelineGroupSummary {
    pub kind: LeakKind,
    pub top_frame: String,
    pub hidden_by: Option<String>,
    /// Direct plus indirect bytes, one value per search.
    pub total_bytes: Vec<u128>,
    pub trend: Trend,
    /// Average change per search step.
    pub bytes_per_search: i128,
    /// Change per minute from the first search to the last; `null` when the
    /// searches have no times.
    pub bytes_per_minute: Option<f64>,
    /// The search (index) from which it stayed the same while other groups
    /// kept growing: it grew during start-up only; `null` otherwise.
    pub settled_at: Option<usize>,
}

/// The timeline of process `index` with the rules' verdicts on every search,
/// or `None` when it has fewer than two leak searches.
pub fn timeline_summary(
    report: &Report,
    index: usize,
    rules: &RuleSet,
    hiding: &Hiding,
) -> Option<TimelineSummary> {
    let hider = |search: usize, record: usize| {
        let id = hiding.search_record(index, search, record)?;
        rules.get(id).map(|r| r.name.clone())
    };
    let locate = |name: &str| rules.locate(name);
    timeline(report, index, &hider).map(|t| to_summary(&t, &locate))
}

pub fn to_summary(t: &Timeline, locate: &dyn Fn(&str) -> Option<(String, u64)>) -> TimelineSummary {
    TimelineSummary {
        searches: t
            .searches
            .iter()
            .enumerate()
            .map(|(index, s)| SearchSummary {
                index,
                source: s.source.word(),
                time_s: s.time_s,
                asked_s: s.asked_s,
                leaks: ByKind::from_array(&s.leaks),
            })
            .collect(),
        groups: t
            .groups
            .iter()
            .map(|g| TimelineGroupSummary {
                kind: g.kind,
                top_frame: g.top_frame(),
                hidden_by: g.hidden_by.clone(),
                total_bytes: g.total_bytes.clone(),
                trend: g.trend,
                bytes_per_search: g.bytes_per_search(),
                bytes_per_minute: g.bytes_per_minute(&t.searches),
                settled_at: g.settled_at,
            })
            .collect(),
        hidden_growth: t.hidden_growth(locate),
        startup_growth: t.startup_growth(locate),
    }
}

/// `3 snapshot, exit`: the searches' sources in order, runs counted.
fn sources(t: &TimelineSummary) -> String {
    let mut runs: Vec<(&str, usize)> = Vec::new();
    for s in &t.searches {
        match runs.last_mut() {
            Some((w, n)) if *w == s.source => *n += 1,
            _ => runs.push((s.source, 1)),
        }
    }
    let words: Vec<String> = runs
        .iter()
        .map(|(w, n)| {
            if *n == 1 {
                w.to_string()
            } else {
                format!("{n} {w}")
            }
        })
        .collect();
    words.join(", ")
}

/// Late snapshots: each one when there are a few, else one line.
fn write_late(o: &mut String, t: &TimelineSummary) {
    let late: Vec<(&SearchSummary, f64)> = t
        .searches
        .iter()
        .filter_map(|s| Some((s, late_by(s.time_s, s.asked_s)?)))
        .collect();
    const LISTED: usize = 3;
    if late.len() > LISTED {
        let (lo, hi) = late.iter().fold((f64::MAX, 0f64), |(lo, hi), (_, l)| {
            (lo.min(*l), hi.max(*l))
        });
        let _ = writeln!(
            o,
            "    note: {} snapshots came {lo:.1}–{hi:.1} s after they were asked for (valgrind serves vgdb when the process next polls); each stands at the time it was taken (asked_s in --format json)",
            late.len()
        );
        return;
    }
    for (s, l) in late {
        let _ = writeln!(
            o,
            "    note: search #{} (a snapshot) came {l:.1} s late: asked for at {:.1} s, taken at {:.1} s (valgrind serves vgdb when the process next polls)",
            s.index + 1,
            s.asked_s.unwrap_or_default(),
            s.time_s.unwrap_or_default(),
        );
    }
}

/// The text summary's section: how many searches, over how long, then the
/// visible groups that grow fastest.
pub fn write_text(o: &mut String, t: &TimelineSummary) {
    let span = match (t.searches.first(), t.searches.last()) {
        (Some(a), Some(b)) => match (a.time_s, b.time_s) {
            (Some(x), Some(y)) => format!(" over {:.1} s", y - x),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "  timeline: {} leak searches{span} ({})",
        t.searches.len(),
        sources(t)
    );
    write_late(o, t);
    let visible: Vec<_> = t.groups.iter().filter(|g| g.hidden_by.is_none()).collect();
    for g in visible.iter().take(TOP_TIMELINE_GROUPS) {
        let first = g.total_bytes.first().copied().unwrap_or(0);
        let last = g.total_bytes.last().copied().unwrap_or(0);
        let rate = match g.bytes_per_minute {
            Some(m) => format!("{}/min", signed_bytes(m as i64)),
            None => format!("{}/search", signed_bytes(g.bytes_per_search)),
        };
        let _ = writeln!(
            o,
            "    {:<8} {:>10} → {:<10} {:>14}  {:<15} {}",
            crate::triage::settled::trend_word(g.trend, g.settled_at),
            bytes(first),
            bytes(last),
            rate,
            g.kind.text(),
            sanitize(&g.top_frame)
        );
    }
    if visible.len() > TOP_TIMELINE_GROUPS {
        let _ = writeln!(
            o,
            "    … {} more groups (--format json lists all)",
            visible.len() - TOP_TIMELINE_GROUPS
        );
    }
    for h in &t.hidden_growth {
        let _ = writeln!(o, "    warning: {}", sanitize(&h.warning()));
    }
    for h in &t.startup_growth {
        let _ = writeln!(
            o,
            "    note: rule {} hid +{} B that grew during start-up only (flat since, while other groups kept growing): set-up, not counted as hidden growth",
            sanitize(&h.rule),
            crate::report::human::count(h.delta_total_bytes)
        );
    }
}
