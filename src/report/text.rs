//! The plain-text summary: what a person reads in a CI log.

use super::human::{bytes, count};
use super::summary::{ByKind, ProcessSummary, Summary};
use crate::model::LeakKind;
use crate::sanitize::sanitize;
use crate::triage::Totals;
use std::fmt::Write;

/// Groups shown per process; the JSON output has all of them.
pub const TOP_GROUPS: usize = 10;

/// Hidden-by-rule lines shown per process; the JSON output has all of them.
pub const TOP_RULES: usize = 15;

pub fn write(summary: &Summary) -> String {
    let mut o = String::new();
    for p in &summary.rules.problems {
        let _ = writeln!(
            o,
            "rules: {}: {}:{}: {}",
            p.severity,
            sanitize(&p.file),
            p.line,
            sanitize(&p.message)
        );
    }
    for input in &summary.inputs {
        let _ = writeln!(o, "{} ({})", sanitize(&input.path), input.format);
        for w in &input.warnings {
            let _ = if w.line > 0 {
                writeln!(o, "  warning: line {}: {}", w.line, sanitize(&w.message))
            } else {
                writeln!(o, "  warning: {}", sanitize(&w.message))
            };
        }
    }
    for p in &summary.processes {
        let _ = writeln!(o);
        let cmd = p.command.as_deref().map(sanitize).unwrap_or_default();
        let _ = write!(o, "PID {}", p.pid);
        if !cmd.is_empty() {
            let _ = write!(o, "  {cmd}");
        }
        let tool = p.tool.as_deref().map(sanitize);
        match (tool, &p.valgrind_version) {
            (tool, Some(v)) => {
                let tool = tool.unwrap_or_default();
                let _ = write!(o, "  ({tool}, valgrind {})", sanitize(v));
            }
            (Some(tool), None) => {
                let _ = write!(o, "  ({tool})");
            }
            (None, None) => {}
        }
        let _ = writeln!(o);
        kind_table(&mut o, "leaks", &p.leaks);
        if p.unreadable_records > 0 {
            let _ = writeln!(
                o,
                "  unreadable records: {} (not in the figures above; see the warnings)",
                count(p.unreadable_records)
            );
        }
        if let Some(r) = &p.reported_leaks {
            let differs = LeakKind::ALL.iter().any(|&k| {
                let (c, v) = (p.leaks.get(k), r.kinds.get(k));
                c.records > 0
                    && (c.bytes != u128::from(v.bytes) || c.blocks != u128::from(v.blocks))
            });
            if differs {
                let _ = writeln!(o, "  note: valgrind's own LEAK SUMMARY differs from the records shown (not every kind was shown?)");
            }
            let not_shown = LeakKind::ALL
                .into_iter()
                .filter(|k| p.kinds_not_shown.contains(&k.key()));
            for k in not_shown {
                let f = r.kinds.get(k);
                let _ = writeln!(
                    o,
                    "  {}: valgrind counted {} bytes in {} blocks; this log shows none of its records (--show-leak-kinds)",
                    k.text(),
                    count(f.bytes),
                    count(f.blocks)
                );
            }
        }
        let any_hidden = !p.hidden.is_empty();
        if any_hidden {
            write_rules(&mut o, p);
        }
        if p.errors.contexts > 0 {
            let kinds: Vec<String> = p
                .errors
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(
                o,
                "  errors: {} in {} contexts ({})",
                count(p.errors.total),
                count(p.errors.contexts),
                kinds.join(", ")
            );
            if p.visible_errors.contexts != p.errors.contexts {
                let _ = writeln!(
                    o,
                    "  errors left by rules: {} in {} contexts",
                    count(p.visible_errors.total),
                    count(p.visible_errors.contexts)
                );
            }
        } else {
            let _ = writeln!(o, "  errors: none");
        }
        if let Some(e) = &p.reported_errors {
            let _ = writeln!(
                o,
                "  valgrind's ERROR SUMMARY: {} errors from {} contexts (suppressed: {} from {})",
                count(e.errors),
                count(e.contexts),
                count(e.suppressed),
                count(e.suppressed_contexts)
            );
        }
        if let Some(sig) = &p.fatal_signal {
            let _ = writeln!(o, "  {}", sanitize(sig));
        }
        if let Some(t) = &p.timeline {
            super::timeline::write_text(&mut o, t);
        }
        let shown: Vec<_> = p.groups.iter().filter(|g| g.hidden_by.is_none()).collect();
        if !shown.is_empty() {
            let heading = if any_hidden {
                "top visible groups by bytes (direct + indirect):"
            } else {
                "top groups by bytes (direct + indirect):"
            };
            let _ = writeln!(o, "  {heading}");
            for g in shown.iter().take(TOP_GROUPS) {
                let _ = writeln!(
                    o,
                    "    {:>10}  {:<15} {:>6} blocks {:>5} rec  {}",
                    bytes(g.total_bytes),
                    g.kind.text(),
                    count(g.blocks),
                    count(g.records),
                    group_name(g)
                );
            }
            if shown.len() > TOP_GROUPS {
                let _ = writeln!(
                    o,
                    "    … {} more groups (--format json lists all)",
                    shown.len() - TOP_GROUPS
                );
            }
        }
    }
    o
}

/// One row per leak kind: size, exact bytes, blocks, records.
fn kind_table(o: &mut String, title: &str, totals: &ByKind<Totals>) {
    // The bytes column widens for figures past 10^13 so columns stay aligned.
    let w = LeakKind::ALL
        .iter()
        .map(|&k| count(totals.get(k).bytes).len())
        .max()
        .unwrap_or(0)
        .max(14);
    let _ = writeln!(
        o,
        "  {:<17} {:>12} {:>w$} {:>10} {:>9}",
        title, "size", "bytes", "blocks", "records"
    );
    for k in LeakKind::ALL {
        let t = totals.get(k);
        let _ = writeln!(
            o,
            "  {:<17} {:>12} {:>w$} {:>10} {:>9}",
            k.text(),
            bytes(t.bytes),
            count(t.bytes),
            count(t.blocks),
            count(t.records)
        );
    }
}

/// What rules hid in one process: the visible remainder per kind, then each
/// rule with its totals and its reason.
fn write_rules(o: &mut String, p: &ProcessSummary) {
    kind_table(o, "left by rules", &p.visible_leaks);
    let hid: Vec<_> = p
        .hidden
        .iter()
        .filter(|h| h.records > 0 || h.error_contexts > 0)
        .collect();
    let (records, total_bytes): (u64, u128) = hid
        .iter()
        .fold((0, 0), |(r, b), h| (r + h.records, b + h.total_bytes));
    if !hid.is_empty() {
        let hint = if hid.iter().any(|h| h.builtin) {
            "; --no-builtin-rules shows all"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  hidden by {} rule{}: {} records, {} (direct + indirect){hint}",
            hid.len(),
            if hid.len() == 1 { "" } else { "s" },
            count(records),
            bytes(total_bytes)
        );
    }
    let mut by_size = hid.clone();
    by_size.sort_by(|a, b| {
        b.total_bytes
            .cmp(&a.total_bytes)
            .then(b.errors.cmp(&a.errors))
    });
    for h in by_size.iter().take(TOP_RULES) {
        let errs = if h.error_contexts > 0 {
            format!(" {:>4} err", count(h.error_contexts))
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "    {:>10} {:>7} blocks {:>5} rec{errs}  {}  ({}:{})",
            bytes(h.total_bytes),
            count(h.blocks),
            count(h.records),
            sanitize(&h.rule),
            sanitize(&h.file),
            h.line
        );
        let reason = h.reason.as_deref().unwrap_or("(no # why: comment)");
        for line in wrap(&sanitize(reason), 88) {
            let _ = writeln!(o, "               {line}");
        }
    }
    if by_size.len() > TOP_RULES {
        let _ = writeln!(
            o,
            "    … {} more rules (--format json lists all)",
            by_size.len() - TOP_RULES
        );
    }
    for h in p
        .hidden
        .iter()
        .filter(|h| h.undecided_records > 0 || h.undecided_errors > 0)
    {
        let _ = writeln!(
            o,
            "  undecided: {} records and {} error contexts might be hidden by {} ({}:{}), but the log \
             does not name the objects its obj: lines test; they stay visible (an XML log names them)",
            count(h.undecided_records),
            count(h.undecided_errors),
            sanitize(&h.rule),
            sanitize(&h.file),
            h.line
        );
    }
}

/// Greedy word wrap at `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A group's label as text shows it: `[py]` before a Python function, and
/// "via handle_request (svc.py)" after a top frame reached from Python code.
fn group_name(g: &super::summary::GroupSummary) -> String {
    let mut out = match g.mark {
        Some(m) => format!("[{m}] {}", sanitize(&g.label)),
        None => sanitize(&g.label).into_owned(),
    };
    if let Some(origin) = g
        .origin
        .as_deref()
        .filter(|o| g.origin_python && *o != g.label)
    {
        out.push_str(&format!("  via {}", sanitize(&short_origin(origin))));
    }
    out
}

/// `handle_request (/srv/app/svc.py)` → `handle_request (svc.py)`.
pub fn short_origin(label: &str) -> String {
    match label.rsplit_once(" (") {
        Some((name, path)) => {
            let file = path
                .trim_end_matches(')')
                .rsplit('/')
                .next()
                .unwrap_or(path);
            format!("{name} ({file})")
        }
        None => label.to_string(),
    }
}
