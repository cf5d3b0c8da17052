//! Markdown for a CI job's summary page (`--format markdown`, appended to
//! `$GITHUB_STEP_SUMMARY`): per process a table of leak kinds (all, and
//! what the rules leave), the top visible groups, what the rules hid and
//! why; for a diff, each process's growth and the new and grown groups.

use super::diff::DiffOutput;
use super::findings::{Finding, Findings};
use super::human::{bytes, count};
use super::kinds::info;
use super::source_tree::{primary, Place, SourceTree};
use super::summary::Summary;
use crate::model::LeakKind;
use crate::sanitize::sanitize;
use std::fmt::Write;

/// Groups listed per process.
pub const TOP_GROUPS: usize = 10;
/// Rules listed per process.
pub const TOP_RULES: usize = 10;

pub fn summary(s: &Summary, f: &Findings, tree: &SourceTree) -> String {
    let mut o = String::from("## leakscope: memcheck summary\n");
    for (pi, p) in s.processes.iter().enumerate() {
        let _ = writeln!(o, "\n### {}\n", cell(&f.processes[pi].label()));
        o.push_str(
            "| kind | bytes | blocks | records | left by rules: bytes | blocks | records |\n",
        );
        o.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for k in LeakKind::ALL {
            let (a, v) = (p.leaks.get(k), p.visible_leaks.get(k));
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                k.text(),
                bytes(a.bytes),
                count(a.blocks),
                count(a.records),
                bytes(v.bytes),
                count(v.blocks),
                count(v.records)
            );
        }
        let _ = writeln!(
            o,
            "\nErrors: {} in {} contexts; left by rules: {} in {} contexts.",
            count(p.errors.total),
            count(p.errors.contexts),
            count(p.visible_errors.total),
            count(p.visible_errors.contexts)
        );
        groups(&mut o, f, pi, tree, false);
        hidden(&mut o, f, pi);
    }
    o
}

pub fn diff(d: &DiffOutput, f: &Findings, tree: &SourceTree) -> String {
    let mut o = String::from("## leakscope: growth since the baseline\n");
    let _ = writeln!(
        o,
        "\nVisible growth: **{} bytes** ({}).",
        count(d.visible_growth),
        bytes(d.visible_growth)
    );
    for (pi, p) in d.processes.iter().enumerate() {
        let _ = writeln!(o, "\n### {}\n", cell(&f.processes[pi].label()));
        o.push_str("| kind (visible) | base bytes | new bytes | growth |\n|---|---:|---:|---:|\n");
        for k in LeakKind::ALL {
            let runs = &p.leaks[k.key()];
            let (b, n) = (runs[0].total_bytes, runs[runs.len() - 1].total_bytes);
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                k.text(),
                bytes(b),
                bytes(n),
                signed(n as i128 - b as i128)
            );
        }
        groups(&mut o, f, pi, tree, true);
    }
    o
}

fn groups(o: &mut String, f: &Findings, process: usize, tree: &SourceTree, comparing: bool) {
    let mine: Vec<&Finding> = f.findings.iter().filter(|x| x.process == process).collect();
    if mine.is_empty() {
        let none = if comparing {
            "No new or grown visible groups."
        } else {
            "No visible groups."
        };
        let _ = writeln!(o, "\n{none}");
        return;
    }
    let what = if comparing {
        "New and grown groups"
    } else {
        "Top visible groups"
    };
    let _ = writeln!(
        o,
        "\n**{what}** ({} of {}):\n",
        mine.len().min(TOP_GROUPS),
        mine.len()
    );
    let growth = if comparing { " growth |" } else { "" };
    let _ = writeln!(
        o,
        "| kind | size | blocks | records |{growth} where | top frame |"
    );
    let _ = writeln!(
        o,
        "|---|---:|---:|---:|{}---|---|",
        if comparing { "---:|" } else { "" }
    );
    for x in mine.iter().take(TOP_GROUPS) {
        let size = match x.kind {
            crate::triage::compare::GroupKind::Leak(_) => bytes(x.total_bytes),
            _ => format!("{} errors", count(x.occurrences)),
        };
        let growth = match &x.growth {
            Some(g) if g.status == crate::triage::diff::Status::New => " new |".to_string(),
            Some(g) => format!(" {} |", signed(g.delta)),
            None => String::new(),
        };
        let placed = tree.place_stack(f.interner, x.stack);
        let place = match primary(&placed, f.interner, x.stack).map(|p| p.place) {
            Some(Place::Tree {
                path,
                line: Some(l),
            }) => format!("`{}:{l}`", code(&path)),
            Some(Place::Tree { path, line: None }) => format!("`{}`", code(&path)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {} | {size} | {} | {} |{growth} {place} | {} |",
            cell(info(&x.kind).title),
            count(x.blocks),
            count(x.records),
            cell(&x.top_frame)
        );
    }
}

fn hidden(o: &mut String, f: &Findings, process: usize) {
    let mut mine: Vec<_> = f.hidden.iter().filter(|h| h.process == process).collect();
    if mine.is_empty() {
        return;
    }
    mine.sort_by_key(|h| std::cmp::Reverse(h.total_bytes));
    let _ = writeln!(o, "\n**Hidden by rules** ({} rules):\n", mine.len());
    o.push_str("| rule | records | bytes | errors | why |\n|---|---:|---:|---:|---|\n");
    for h in mine.iter().take(TOP_RULES) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            cell(&h.rule),
            count(h.records),
            bytes(h.total_bytes),
            count(h.error_contexts),
            cell(h.reason.as_deref().unwrap_or("(no # why: comment)"))
        );
    }
    if mine.len() > TOP_RULES {
        let _ = writeln!(o, "\n… and {} more rules.", mine.len() - TOP_RULES);
    }
}

fn signed(n: i128) -> String {
    let b = bytes(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{b}"),
        -1 => format!("−{b}"),
        _ => "=".to_string(),
    }
}

/// Log text for a table cell: control characters made visible, HTML and
/// Markdown syntax escaped, so a name can neither inject markup nor break
/// the table.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backticks and pipes cannot be escaped there,
/// so they are replaced.
fn code(s: &str) -> String {
    sanitize(s).replace('`', "'").replace('|', "¦")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_markup() {
        assert_eq!(cell("a|b <img> & *x*"), "a\\|b &lt;img&gt; &amp; \\*x\\*");
        assert_eq!(cell("f\u{1b}[31m"), "f^\\[\\[31m");
    }
}
