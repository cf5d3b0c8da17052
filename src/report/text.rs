//! The plain-text summary: what a person reads in a CI log.

use super::human::{bytes, count};
use super::summary::Summary;
use crate::model::LeakKind;
use crate::sanitize::sanitize;
use std::fmt::Write;

/// Groups shown per process; the JSON output has all of them.
pub const TOP_GROUPS: usize = 10;

pub fn write(summary: &Summary) -> String {
    let mut o = String::new();
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
        let _ = writeln!(
            o,
            "  {:<17} {:>12} {:>14} {:>10} {:>9}",
            "leaks", "size", "bytes", "blocks", "records"
        );
        for k in LeakKind::ALL {
            let t = p.leaks.get(k);
            let _ = writeln!(
                o,
                "  {:<17} {:>12} {:>14} {:>10} {:>9}",
                k.text(),
                bytes(t.bytes),
                count(t.bytes),
                count(t.blocks),
                count(t.records)
            );
        }
        if let Some(r) = &p.reported_leaks {
            let differs = LeakKind::ALL.iter().any(|&k| {
                let (c, v) = (p.leaks.get(k), r.kinds.get(k));
                c.records > 0 && (c.bytes != v.bytes || c.blocks != v.blocks)
            });
            if differs {
                let _ = writeln!(o, "  note: valgrind's own LEAK SUMMARY differs from the records shown (not every kind was shown?)");
            }
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
        if !p.groups.is_empty() {
            let _ = writeln!(o, "  top groups by bytes (direct + indirect):");
            for g in p.groups.iter().take(TOP_GROUPS) {
                let _ = writeln!(
                    o,
                    "    {:>10}  {:<15} {:>6} blocks {:>5} rec  {}",
                    bytes(g.total_bytes),
                    g.kind.text(),
                    count(g.blocks),
                    count(g.records),
                    sanitize(&g.top_frame)
                );
            }
            if p.groups.len() > TOP_GROUPS {
                let _ = writeln!(
                    o,
                    "    … {} more groups (--format json lists all)",
                    p.groups.len() - TOP_GROUPS
                );
            }
        }
    }
    o
}
