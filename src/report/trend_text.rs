//! The scaling view as text: per group, its bytes in each run side by side and
//! a verdict, growing groups first. Flat groups (one-time setup) fold into one
//! line unless `--all`: they are what the view exists to set aside.

use super::diff::{TrendGroupOut, TrendOutput};
use super::diff_text::{
    kind_abbrev, label, plural, write_grouping, write_hidden, write_hidden_growth,
    write_hidden_growth_total, write_process_head, write_run, write_totals, write_width_hint,
    TextOptions, KIND_LEGEND,
};
use super::human::{bytes, count, signed_bytes, signed_count};
use crate::triage::trend::{Trend, FLAT_ABSOLUTE, FLAT_RELATIVE};
use std::fmt::Write;

pub fn write(d: &TrendOutput, t: &TextOptions) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "leakscope diff: how each group scales over {} runs (in workload order)",
        d.runs.len()
    );
    let names: Vec<String> = (1..=d.runs.len()).map(|i| format!("run {i}")).collect();
    for (name, run) in names.iter().zip(&d.runs) {
        write_run(&mut o, &format!("{name}: "), run);
    }
    write_grouping(&mut o, &d.options);
    let _ = writeln!(
        o,
        "  trend: grows = up in every run; flat = within {:.0}% or {} B; shrinks; mixed = other;\n  \
         per step = (last run - first run) / (runs - 1)",
        FLAT_RELATIVE * 100.0,
        FLAT_ABSOLUTE
    );
    let _ = writeln!(o, "  kinds: {KIND_LEGEND}");
    write_hidden_growth(&mut o, &d.hidden_growth);
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    for (pi, p) in d.processes.iter().enumerate() {
        let _ = writeln!(o);
        write_process_head(&mut o, pi, p, &cols);
        write_totals(&mut o, p, &cols);
        let visible: Vec<_> = d
            .groups
            .iter()
            .filter(|g| g.head.process == pi && g.head.hidden_by.is_none())
            .collect();
        write_counts(&mut o, &visible);
        write_rows(&mut o, &visible, &cols, false, t);
        write_rows(&mut o, &visible, &cols, true, t);
    }
    let _ = writeln!(o);
    write_hidden(&mut o, &d.hidden, &cols, t);
    let _ = writeln!(
        o,
        "visible growth, first run to last: {}, what --fail-on-growth compares (visible\n  \
         groups that grew, indirectly lost left out: their bytes are in their owners' totals)",
        signed_bytes(i128::try_from(d.visible_growth).unwrap_or(i128::MAX))
    );
    write_hidden_growth_total(&mut o, &d.hidden_growth);
    write_width_hint(&mut o, t);
    o
}

fn write_counts(o: &mut String, groups: &[&TrendGroupOut]) {
    let parts: Vec<String> = [Trend::Grows, Trend::Mixed, Trend::Flat, Trend::Shrinks]
        .iter()
        .map(|tr| (tr, groups.iter().filter(|g| g.trend == *tr).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(tr, n)| format!("{n} {}", tr.word()))
        .collect();
    let _ = writeln!(
        o,
        "  groups: {}",
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    );
}

/// Leak rows show total bytes per run; error rows (a table of their own)
/// show occurrences.
fn write_rows(
    o: &mut String,
    groups: &[&TrendGroupOut],
    cols: &[&str],
    errors: bool,
    t: &TextOptions,
) {
    let rows: Vec<_> = groups
        .iter()
        .filter(|g| g.head.group_kind.is_error() == errors)
        .collect();
    if rows.is_empty() {
        return;
    }
    let kind_w = rows
        .iter()
        .map(|g| kind_abbrev(&g.head.group_kind).chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut head = format!("  {:<7}", if errors { "errors" } else { "trend" });
    for c in cols {
        let _ = write!(head, " {c:>10}");
    }
    let _ = write!(head, " {:>11}  {:<kind_w$} ", "per step", "kind");
    let used = head.chars().count();
    let _ = writeln!(o, "{head}top frame");
    let flat: Vec<_> = rows.iter().filter(|g| g.trend == Trend::Flat).collect();
    let mut folded = false;
    for g in &rows {
        if g.trend == Trend::Flat && !t.all {
            if !folded {
                let total: u128 = flat
                    .iter()
                    .map(|g| g.runs.last().map_or(0, |s| s.total_bytes))
                    .sum();
                let what = if errors {
                    plural(flat.len(), "flat error group")
                } else {
                    format!(
                        "{}, {} in the last run",
                        plural(flat.len(), "flat group"),
                        bytes(total)
                    )
                };
                let _ = writeln!(o, "  = {what} (--all lists them)");
                folded = true;
            }
            continue;
        }
        let _ = write!(o, "  {:<7}", g.trend.word());
        for s in &g.runs {
            let cell = match (s.records, errors) {
                (0, _) => "-".to_string(),
                (_, true) => count(s.occurrences.unwrap_or(0)),
                (_, false) => bytes(s.total_bytes),
            };
            let _ = write!(o, " {cell:>10}");
        }
        let slope = if errors {
            signed_count(g.slope)
        } else {
            signed_bytes(g.slope)
        };
        let _ = writeln!(
            o,
            " {slope:>11}  {:<kind_w$} {}",
            kind_abbrev(&g.head.group_kind),
            label(&g.head, used, t.width)
        );
    }
}
