//! The growth stage's timeline source: a process searched for leaks twice or
//! more (vgdb snapshots of `leakscope run`, `VALGRIND_DO_LEAK_CHECK` client
//! requests) gets [`crate::triage::timeline`]'s timeline — each group's total
//! bytes at every search and its trend, the notion of growth `summary` and
//! `diff` use — and every tree node the summed series of the timeline groups
//! its records fall in. The tree shows the last search, so a node's series
//! ends at what its row shows (in total bytes).
//!
//! Rules decide the timeline with the explorer's own verdicts (toggles
//! applied) on every search; a rule that hides a growing group is named in
//! [`Growth::hidden`] and the nodes it hides are marked, as with a baseline.

use super::detail::Line;
use super::growth::{Delta, Growth, Measure};
use super::index::Category;
use crate::report::human::{bytes, signed_bytes, sparkline};
use crate::triage::diff::{delta, Status};
use crate::triage::hidden_growth::HiddenGrowth;
use crate::triage::timeline::{per_minute, timeline, timeline_trend, Timeline};
use crate::triage::trend::{slope, Trend};
use rustc_hash::FxHashSet;

/// Per-node series and growth of every process with a timeline; `None` when
/// no process has one.
pub fn measure(m: &Measure) -> Option<Growth> {
    let timelines: Vec<Option<Timeline>> = m
        .index
        .procs
        .iter()
        .map(|pn| {
            let p = pn.process;
            let hider = |search: usize, record: usize| {
                let id = m.engine?.search_record(p, search, record)?;
                m.rules.get(id).map(|r| r.name.clone())
            };
            timeline(m.report, p, &hider)
        })
        .collect();
    if timelines.iter().all(Option::is_none) {
        return None;
    }
    let hidden = hidden_growth(&timelines, &|name| m.rules.locate(name));
    let flagged: FxHashSet<&str> = hidden.iter().map(|h| h.rule.as_str()).collect();
    let mut out = Growth::default();
    for (p, t) in timelines.iter().enumerate() {
        let (mut cats, mut groups, mut cat_series, mut group_series) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let sets = m.index.group_sets(m.report, p, |cat, i| match (cat, t) {
            (Category::Leak(_), Some(t)) => t.of_record.get(i as usize).copied().flatten(),
            _ => None,
        });
        for sets in &sets {
            let mut cat_seen = FxHashSet::default();
            let (mut ds, mut ss) = (Vec::new(), Vec::new());
            for seen in sets {
                cat_seen.extend(seen.iter().copied());
                let series = sum_series(t.as_ref(), seen);
                ds.push(series_delta(&series, t.as_ref(), seen, &flagged));
                ss.push(series);
            }
            let series = sum_series(t.as_ref(), &cat_seen);
            cats.push(series_delta(&series, t.as_ref(), &cat_seen, &flagged));
            cat_series.push(series);
            groups.push(ds);
            group_series.push(ss);
        }
        out.cats.push(cats);
        out.groups.push(groups);
        out.cat_series.push(cat_series);
        out.group_series.push(group_series);
    }
    out.hidden = hidden;
    out.timelines = timelines;
    Some(out)
}

/// Per rule, the growth it hid over every process's timeline.
fn hidden_growth(
    timelines: &[Option<Timeline>],
    locate: &dyn Fn(&str) -> Option<(String, u64)>,
) -> Vec<HiddenGrowth> {
    let mut all: Vec<HiddenGrowth> = Vec::new();
    for h in timelines
        .iter()
        .flatten()
        .flat_map(|t| t.hidden_growth(locate))
    {
        match all.iter_mut().find(|a| a.rule == h.rule) {
            Some(a) => {
                a.delta_total_bytes = a.delta_total_bytes.saturating_add(h.delta_total_bytes);
                a.groups.extend(h.groups);
            }
            None => all.push(h),
        }
    }
    all.sort_by_key(|h| std::cmp::Reverse(h.delta_total_bytes));
    all
}

/// The element-wise sum of timeline groups' series; empty without any.
fn sum_series(t: Option<&Timeline>, groups: &FxHashSet<usize>) -> Vec<u128> {
    let Some(t) = t.filter(|_| !groups.is_empty()) else {
        return Vec::new();
    };
    let mut out = vec![0u128; t.searches.len()];
    for &g in groups {
        for (o, v) in out.iter_mut().zip(&t.groups[g].total_bytes) {
            *o = o.saturating_add(*v);
        }
    }
    out
}

/// A node's growth over its series: the timeline's trend and the change from
/// the first search to the last; marked when a rule that hid growth hides
/// one of its groups that grew.
fn series_delta(
    series: &[u128],
    t: Option<&Timeline>,
    groups: &FxHashSet<usize>,
    flagged: &FxHashSet<&str>,
) -> Delta {
    let (first, last) = match (series.first(), series.last()) {
        (Some(&f), Some(&l)) => (f, l),
        _ => (0, 0),
    };
    let amount = delta(first, last);
    let trend = (!series.is_empty()).then(|| timeline_trend(series));
    let status = match trend {
        Some(Trend::Grows) => Status::Grown,
        Some(Trend::Shrinks) => Status::Shrunk,
        Some(Trend::Mixed) if amount > 0 => Status::Grown,
        Some(Trend::Mixed) if amount < 0 => Status::Shrunk,
        _ => Status::Unchanged,
    };
    let hidden_growth = t.is_some_and(|t| {
        groups.iter().any(|&g| {
            let tg = &t.groups[g];
            tg.grew() && tg.hidden_by.as_deref().is_some_and(|r| flagged.contains(r))
        })
    });
    // Start-up growth only: no group of the node grows past where it
    // settled, and one settled.
    let settled_at = t
        .filter(|t| !groups.iter().any(|&g| t.groups[g].grew()))
        .and_then(|t| groups.iter().filter_map(|&g| t.groups[g].settled_at).max());
    Delta {
        settled_at,
        amount,
        indirect: 0,
        status,
        hidden_growth,
        trend,
    }
}

/// Searches listed one by one in a group's detail (the latest ones).
const LISTED_SEARCHES: usize = 12;

/// A node's timeline in the detail pane: trend and change, the rates, a
/// sparkline and the value at each search (the latest ones).
pub fn detail_lines(series: &[u128], t: &Timeline, d: Delta) -> Vec<Line> {
    let last = series[series.len() - 1];
    // Judged from the search where it first held anything (see
    // `timeline_trend`): say which, when that is not the first.
    let seen = series.iter().position(|&v| v > 0).unwrap_or(0);
    let since = if seen > 0 {
        format!(" since search #{}", seen + 1)
    } else {
        String::new()
    };
    let mut out = vec![
        Line::Blank,
        Line::Heading(format!("Timeline ({} leak searches)", series.len())),
        Line::Text(format!(
            "{}{}{since}: {} → {} total bytes (direct + indirect)",
            if d.hidden_growth { "⚠ " } else { "" },
            d.trend
                .map_or("flat", |t| crate::triage::settled::trend_word(
                    t,
                    d.settled_at
                )),
            bytes(series[seen]),
            bytes(last)
        )),
    ];
    let mut rate = format!("{} per search", signed_bytes(slope(series)));
    if let Some(m) = per_minute(series, &t.searches) {
        rate.push_str(&format!(
            " · {} per minute",
            signed_bytes(m.round() as i128)
        ));
    }
    out.push(Line::Dim(rate));
    if let Some(k) = d.settled_at.filter(|&k| series[k] > series[seen]) {
        out.push(Line::Dim(format!(
            "grew during start-up only: the same since search #{} while other groups kept growing (set-up, not growth)",
            k + 1
        )));
    }
    if d.hidden_growth {
        out.push(Line::Hidden(
            "a rule hides growth here: rules hide noise, not growth (R)".into(),
        ));
    }
    out.push(Line::Row(sparkline(series, 60)));
    let skip = series.len().saturating_sub(LISTED_SEARCHES);
    if skip > 0 {
        out.push(Line::Dim(format!("… {skip} earlier searches")));
    }
    for (i, (v, s)) in series.iter().zip(&t.searches).enumerate().skip(skip) {
        let when = s.time_s.map_or(String::new(), |t| format!("{t:.1} s"));
        // A snapshot served late stands at the time it was taken: say so.
        let late = s
            .late_by()
            .map_or(String::new(), |l| format!("  (asked {l:.0} s earlier)"));
        out.push(Line::Row(format!(
            "{:>4}  {:<14} {:>9} {:>11}{late}",
            format!("#{}", i + 1),
            s.source.word(),
            when,
            bytes(*v)
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_series_grows_and_a_flat_one_does_not() {
        let (none, flagged) = (FxHashSet::default(), FxHashSet::default());
        let d = series_delta(&[512, 1_536, 2_560, 3_584, 3_584], None, &none, &flagged);
        assert_eq!(
            (d.trend, d.amount, d.status, d.grows()),
            (Some(Trend::Grows), 3_072, Status::Grown, true)
        );
        let d = series_delta(&[16_384; 5], None, &none, &flagged);
        assert_eq!(
            (d.trend, d.amount, d.status, d.grows()),
            (Some(Trend::Flat), 0, Status::Unchanged, false)
        );
        let d = series_delta(&[], None, &none, &flagged);
        assert_eq!((d.trend, d.grows()), (None, false));
    }
}
