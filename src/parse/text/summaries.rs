//! The lines of valgrind's preamble and summary blocks: the tool banner,
//! LEAK SUMMARY's and HEAP SUMMARY's figures.

use super::grammar::figure;
use crate::model::{HeapSummary, LeakKind, LeakSummary};

/// `Memcheck, a memory error detector` → `memcheck`.
pub(super) fn tool_banner(text: &str) -> Option<String> {
    let (name, rest) = text.split_once(", a ")?;
    let known = [
        "Memcheck",
        "Helgrind",
        "DRD",
        "Massif",
        "Cachegrind",
        "Callgrind",
        "DHAT",
        "Nulgrind",
        "Lackey",
    ];
    let ok = known.contains(&name)
        || (rest.contains("detector") || rest.contains("profiler")) && !name.contains(' ');
    ok.then(|| name.to_ascii_lowercase())
}

/// One line inside LEAK SUMMARY. Returns false when the block has ended.
pub(super) fn leak_summary_line(
    sum: &mut LeakSummary,
    text: &str,
    in_heuristics: &mut bool,
) -> bool {
    if text == "of which reachable via heuristic:" {
        *in_heuristics = true;
        return true;
    }
    let Some((label, rest)) = text.split_once(':') else {
        return false;
    };
    let label = label.trim();
    let Some(fig) = figure(rest) else {
        return false;
    };
    if let Some(kind) = LeakKind::from_text(label) {
        sum.kinds[kind.index()] = fig;
        *in_heuristics = false;
    } else if label == "suppressed" {
        sum.suppressed = fig;
        *in_heuristics = false;
    } else if *in_heuristics {
        sum.heuristics.push((label.to_string(), fig));
    } else {
        return false;
    }
    true
}

pub(super) fn heap_summary_line(h: &mut HeapSummary, text: &str) -> bool {
    use crate::parse::cursor::Cursor;
    if let Some(rest) = text.strip_prefix("in use at exit: ") {
        if let Some(f) = figure(rest) {
            h.in_use_bytes = f.bytes;
            h.in_use_blocks = f.blocks;
            return true;
        }
    } else if let Some(rest) = text.strip_prefix("total heap usage: ") {
        let mut c = Cursor::new(rest);
        let allocs = c.num();
        let ok1 = c.eat(" allocs, ");
        let frees = c.num();
        let ok2 = c.eat(" frees, ");
        let bytes = c.num();
        if let (Some(a), true, Some(f), true, Some(b)) = (allocs, ok1, frees, ok2, bytes) {
            h.allocs = a.value;
            h.frees = f.value;
            h.bytes_allocated = b.value;
            return true;
        }
    }
    false
}
