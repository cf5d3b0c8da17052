//! `leakscope diff` as text: what a person reads in a CI log. One section per
//! process pair: totals per kind on both sides, then the groups by growth, with
//! the unchanged ones folded into one line (they are the reassuring part, not
//! the news); errors in a table of their own, since they have no bytes.

use super::diff::{DiffOutput, GroupHead, Hidden, OptionsOut, ProcessOut, RunInfo, SideOut};
use super::human::{bytes, count, signed_bytes, signed_count};
use crate::model::LeakKind;
use crate::sanitize::sanitize;
use crate::triage::compare::GroupKind;
use crate::triage::diff::Status;
use crate::triage::hidden_growth::{total, HiddenGrowth, TOLERANCE_BYTES};
use std::borrow::Cow;
use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// List unchanged (diff) or flat (scaling view) groups one by one.
    pub all: bool,
    /// Columns to fit rows into by shortening the frame label; 0: no limit.
    pub width: usize,
    /// Whether any rule was in force, so "nothing hidden" can say why.
    pub rules_applied: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            all: false,
            width: 100,
            rules_applied: false,
        }
    }
}

/// Narrowest frame column, even when that makes a row wider than `width`.
const MIN_LABEL: usize = 24;

pub fn write(d: &DiffOutput, t: &TextOptions) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "leakscope diff: what changed from base to new");
    write_run(&mut o, "base: ", &d.base);
    write_run(&mut o, "new:  ", &d.new);
    write_grouping(&mut o, &d.options);
    let _ = writeln!(o, "  status: + new  ↑ grown  ↓ shrunk  = unchanged  − gone");
    let _ = writeln!(o, "  kinds: {KIND_LEGEND}");
    write_hidden_growth(&mut o, &d.hidden_growth);
    for (pi, p) in d.processes.iter().enumerate() {
        let _ = writeln!(o);
        write_process_head(&mut o, pi, p, &["base", "new"]);
        write_totals(&mut o, p, &["base", "new"]);
        let visible: Vec<_> = d
            .groups
            .iter()
            .filter(|g| g.head.process == pi && g.head.hidden_by.is_none())
            .collect();
        write_counts(&mut o, visible.iter().map(|g| g.status));
        write_leak_rows(&mut o, &visible, t);
        write_error_rows(&mut o, &visible, t);
    }
    let _ = writeln!(o);
    write_hidden(&mut o, &d.hidden, &["base", "new"], t);
    let _ = writeln!(
        o,
        "visible growth: {}, what --fail-on-growth compares: the positive Δ total of\n  \
         visible groups, indirectly lost left out (their bytes are in their owners' totals)",
        signed_bytes(i128::try_from(d.visible_growth).unwrap_or(i128::MAX))
    );
    write_hidden_growth_total(&mut o, &d.hidden_growth);
    write_width_hint(&mut o, t);
    o
}

/// One warning per rule that hid growth, at the top where a CI log is read.
pub(crate) fn write_hidden_growth(o: &mut String, hidden: &[HiddenGrowth]) {
    for h in hidden {
        let _ = writeln!(o, "warning: {}", sanitize(&h.warning()));
        for g in h.groups.iter().take(3) {
            let _ = writeln!(
                o,
                "  {} {} {}",
                signed_bytes(g.delta_total_bytes),
                g.kind,
                sanitize(&g.top_frame)
            );
        }
        if h.groups.len() > 3 {
            let _ = writeln!(o, "  … {} more groups", count(h.groups.len() as u64 - 3));
        }
    }
}

/// The closing line about hidden growth, next to the visible growth.
pub(crate) fn write_hidden_growth_total(o: &mut String, hidden: &[HiddenGrowth]) {
    if hidden.is_empty() {
        let _ = writeln!(
            o,
            "hidden growth: none (no rule hid more than {} B of growth)",
            TOLERANCE_BYTES
        );
    } else {
        let _ = writeln!(
            o,
            "hidden growth: {} under {}, also counted by --fail-on-growth unless\n  \
             --allow-hidden-growth: rules hide noise, not growth",
            signed_bytes(i128::try_from(total(hidden)).unwrap_or(i128::MAX)),
            plural(hidden.len(), "rule")
        );
    }
}

/// `1 unchanged group`, `114 unchanged groups`.
pub(crate) fn plural(n: usize, what: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {what}{s}", count(n as u64))
}

pub(crate) fn write_width_hint(o: &mut String, t: &TextOptions) {
    if t.width > 0 {
        let _ = writeln!(
            o,
            "(frame names shortened to {} columns: --width 0 shows them whole, --format json in full)",
            t.width
        );
    }
}

pub(crate) const KIND_LEGEND: &str = "def(initely) ind(irectly) poss(ibly) lost, reach(able)";

/// The kind column: short for leaks, the error kind's name for errors
/// (sanitised: a kind leakscope does not know keeps the name the log gave it).
pub(crate) fn kind_abbrev(k: &GroupKind) -> Cow<'_, str> {
    match k {
        GroupKind::Leak(LeakKind::DefinitelyLost) => "def".into(),
        GroupKind::Leak(LeakKind::IndirectlyLost) => "ind".into(),
        GroupKind::Leak(LeakKind::PossiblyLost) => "poss".into(),
        GroupKind::Leak(LeakKind::StillReachable) => "reach".into(),
        GroupKind::Error(e) => sanitize(e.as_str()),
    }
}

pub(crate) fn write_run(o: &mut String, tag: &str, run: &RunInfo) {
    for input in &run.inputs {
        let _ = writeln!(o, "  {tag}{} ({})", sanitize(&input.path), input.format);
        for w in &input.warnings {
            let _ = if w.line > 0 {
                writeln!(o, "    warning: line {}: {}", w.line, sanitize(&w.message))
            } else {
                writeln!(o, "    warning: {}", sanitize(&w.message))
            };
        }
    }
}

pub(crate) fn write_grouping(o: &mut String, opts: &OptionsOut) {
    let frames = if opts.depth <= 1 {
        "kind + top frame (as `summary` groups)".to_string()
    } else {
        format!("kind + {} frames from the top frame down", opts.depth)
    };
    let lines = if opts.ignore_lines {
        "line numbers ignored"
    } else {
        "line numbers kept"
    };
    let _ = writeln!(o, "  groups: {frames}; {lines}; never addresses");
}

/// `process 2 (same command)` and, per run, which PID and command it was.
pub(crate) fn write_process_head(o: &mut String, index: usize, p: &ProcessOut, runs: &[&str]) {
    let _ = writeln!(o, "process {} ({})", index + 1, p.matched_by.describe());
    let w = runs.iter().map(|r| r.chars().count()).max().unwrap_or(0) + 1;
    for (name, r) in runs.iter().zip(&p.runs) {
        let what = match r {
            Some(r) => match &r.command {
                Some(c) => format!("PID {} {}", r.pid, sanitize(c)),
                None => format!("PID {} (no command line in the log)", r.pid),
            },
            None => "(no such process)".to_string(),
        };
        let _ = writeln!(o, "  {:<w$} {what}", format!("{name}:"));
    }
}

pub(crate) fn write_totals(o: &mut String, p: &ProcessOut, runs: &[&str]) {
    let _ = write!(o, "  {:<17}", "visible leaks");
    for r in runs {
        let _ = write!(o, " {r:>11}");
    }
    if runs.len() == 2 {
        let _ = write!(o, " {:>11}", "Δ");
    }
    let _ = writeln!(o, "   (direct bytes, as LEAK SUMMARY counts)");
    for k in LeakKind::ALL {
        let Some(sides) = p.leaks.get(k.key()) else {
            continue;
        };
        let _ = write!(o, "  {:<17}", k.text());
        for s in sides {
            let _ = write!(o, " {:>11}", bytes(s.bytes));
        }
        if let [a, b] = &sides[..] {
            let d = crate::triage::diff::delta(a.bytes, b.bytes);
            let _ = write!(o, " {:>11}", signed_bytes(d));
        }
        let _ = writeln!(o);
    }
    let occ = |s: &SideOut| s.occurrences.unwrap_or(0);
    if p.errors.iter().any(|s| s.records > 0) {
        let _ = write!(o, "  {:<17}", "errors (occur.)");
        for s in &p.errors {
            let _ = write!(o, " {:>11}", count(occ(s)));
        }
        if let [a, b] = &p.errors[..] {
            let d = crate::triage::diff::delta(occ(a), occ(b));
            let _ = write!(o, " {:>11}", signed_count(d));
        }
        let _ = writeln!(o);
    }
}

fn write_counts(o: &mut String, statuses: impl Iterator<Item = Status>) {
    let mut n = [0usize; 5];
    for s in statuses {
        n[s as usize] += 1;
    }
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter(|s| n[**s as usize] > 0)
        .map(|s| format!("{} {}", n[*s as usize], s.word()))
        .collect();
    if parts.is_empty() {
        let _ = writeln!(o, "  groups: none");
    } else {
        let _ = writeln!(o, "  groups: {}", parts.join(", "));
    }
}

/// The label column of a row whose other columns take `used` characters.
/// With `--depth` > 1 the callers (the rest of the signature, which is what
/// tells apart groups of the same top frame) follow on a line of their own,
/// under the label, each as its function name.
pub(crate) fn label(head: &GroupHead, used: usize, width: usize) -> String {
    let room = match width {
        0 => 0,
        w => w.saturating_sub(used).max(MIN_LABEL),
    };
    let mut out = head.short.fit(room);
    if !head.short_callers.is_empty() {
        // `???` says nothing without its object (`??? (in libffi.so.8)`).
        let names: Vec<String> = head
            .short_callers
            .iter()
            .map(|c| match c.function.as_str() {
                "???" => c.fit(0),
                f => f.to_string(),
            })
            .collect();
        let callers = format!("← {}", names.join(" ← "));
        let (pad, callers) = match width {
            0 => (used, callers),
            w => {
                let pad = used.min(w.saturating_sub(MIN_LABEL));
                (pad, super::short::fit(&callers, w.saturating_sub(pad)))
            }
        };
        out.push('\n');
        out.push_str(&" ".repeat(pad));
        out.push_str(&callers);
    }
    out
}

fn write_leak_rows(o: &mut String, groups: &[&super::diff::DiffGroupOut], t: &TextOptions) {
    let leaks: Vec<_> = groups
        .iter()
        .filter(|g| !g.head.group_kind.is_error())
        .collect();
    if leaks.is_empty() {
        return;
    }
    let head = format!(
        "    {:>10} {:>10} {:>10} {:>9}  {:<5} ",
        "Δ total", "base", "new", "Δ blocks", "kind"
    );
    let used = head.chars().count();
    let _ = writeln!(o, "{head}top frame");
    let unchanged: Vec<_> = leaks
        .iter()
        .filter(|g| g.status == Status::Unchanged)
        .collect();
    let mut folded = false;
    for g in &leaks {
        if g.status == Status::Unchanged && !t.all {
            if !folded {
                let total: u128 = unchanged.iter().map(|g| g.new.total_bytes).sum();
                let _ = writeln!(
                    o,
                    "  = {}, {} on each side (--all lists them)",
                    plural(unchanged.len(), "unchanged group"),
                    bytes(total)
                );
                folded = true;
            }
            continue;
        }
        let _ = writeln!(
            o,
            "  {} {:>10} {:>10} {:>10} {:>9}  {:<5} {}",
            g.status.marker(),
            signed_bytes(g.delta_total_bytes),
            side_bytes(&g.base),
            side_bytes(&g.new),
            signed_count(g.delta_blocks),
            kind_abbrev(&g.head.group_kind),
            label(&g.head, used, t.width)
        );
    }
}

/// An absent side shows as `-`, not `0 B`: the group is not there at all.
fn side_bytes(s: &SideOut) -> String {
    if s.records == 0 {
        "-".to_string()
    } else {
        bytes(s.total_bytes)
    }
}

fn write_error_rows(o: &mut String, groups: &[&super::diff::DiffGroupOut], t: &TextOptions) {
    let errors: Vec<_> = groups
        .iter()
        .filter(|g| g.head.group_kind.is_error())
        .collect();
    if errors.is_empty() {
        return;
    }
    let width = errors
        .iter()
        .map(|g| kind_abbrev(&g.head.group_kind).chars().count())
        .max()
        .unwrap_or(0);
    let head = format!(
        "    {:>10} {:>10} {:>10}  {:<width$} ",
        "Δ errors", "base", "new", "error"
    );
    let used = head.chars().count();
    let _ = writeln!(o, "{head}top frame");
    let occ = |s: &SideOut| match s.records {
        0 => "-".to_string(),
        _ => count(s.occurrences.unwrap_or(0)),
    };
    let unchanged = errors
        .iter()
        .filter(|g| g.status == Status::Unchanged)
        .count();
    let mut folded = false;
    for g in errors {
        if g.status == Status::Unchanged && !t.all {
            if !folded {
                let _ = writeln!(
                    o,
                    "  = {} (--all lists them)",
                    plural(unchanged, "unchanged error group")
                );
                folded = true;
            }
            continue;
        }
        let _ = writeln!(
            o,
            "  {} {:>10} {:>10} {:>10}  {:<width$} {}",
            g.status.marker(),
            signed_count(g.delta_occurrences.unwrap_or(0)),
            occ(&g.base),
            occ(&g.new),
            kind_abbrev(&g.head.group_kind),
            label(&g.head, used, t.width)
        );
    }
}

pub(crate) fn write_hidden(o: &mut String, hidden: &[Hidden], runs: &[&str], t: &TextOptions) {
    if hidden.is_empty() {
        let why = if t.rules_applied {
            ""
        } else {
            " (no rules applied)"
        };
        let _ = writeln!(o, "hidden by rules: nothing{why}");
        return;
    }
    let _ = writeln!(o, "hidden by rules (same rules on every run):");
    for h in hidden {
        let figures: Vec<String> = runs
            .iter()
            .zip(&h.runs)
            .map(|(r, s)| format!("{r} {}", bytes(s.total_bytes)))
            .collect();
        let _ = writeln!(
            o,
            "  {}: {} groups; {}",
            sanitize(&h.rule),
            count(h.groups),
            figures.join(", ")
        );
    }
}
