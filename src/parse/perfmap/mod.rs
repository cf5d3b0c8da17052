//! Perf maps: `/tmp/perf-PID.map` as written by JITs for `perf` — CPython ≥
//! 3.12 with `-X perf` / `PYTHONPERFSUPPORT=1`, Node's `--perf-basic-prof`,
//! the JVM's perf-map-agent, .NET, Julia, LuaJIT. One line per piece of
//! generated code: `START SIZE name`, hex without `0x`.
//!
//! Valgrind cannot name such code (it is in anonymous memory), so it prints
//! `???` frames whose addresses fall inside these entries; `resolve` names
//! them, `find` decides which map belongs to which process of a log.

pub mod find;
pub mod resolve;
#[cfg(test)]
mod tests;

use super::source::LineReader;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// What a map entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    /// `py::qualname:path` — a CPython perf trampoline.
    Python { qualname: Arc<str>, path: Arc<str> },
    /// Anything else, kept as written.
    Other(Arc<str>),
}

impl Symbol {
    fn parse(name: &str) -> Symbol {
        if let Some(rest) = name.strip_prefix("py::") {
            // Qualnames never contain `:`; paths might (`<frozen …>` does not).
            if let Some((q, p)) = rest.split_once(':') {
                if !q.is_empty() && !p.is_empty() {
                    return Symbol::Python {
                        qualname: q.into(),
                        path: p.into(),
                    };
                }
            }
        }
        Symbol::Other(name.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    pub symbol: Symbol,
}

/// A malformed line of a map: the map's line number and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapProblem {
    pub line: u64,
    pub message: String,
}

/// One process's map as an interval index: non-overlapping entries sorted by
/// start, so a lookup is one binary search.
#[derive(Debug, Clone, Default)]
pub struct PerfMap {
    /// Where it was read from, for warnings.
    pub path: String,
    entries: Vec<Entry>,
    pub problems: Vec<MapProblem>,
    /// Malformed lines beyond the ones listed in `problems`.
    pub more_problems: u64,
}

/// Malformed lines listed one by one; the rest are only counted.
const LISTED_PROBLEMS: usize = 10;

impl PerfMap {
    /// Reads a map of any size line by line. Malformed lines are listed as
    /// problems (the first few) and skipped; they never stop the read.
    pub fn read(path: &str, reader: impl Read) -> PerfMap {
        let mut map = PerfMap {
            path: path.to_string(),
            ..PerfMap::default()
        };
        let mut raw: Vec<(u64, u64, Symbol)> = Vec::new();
        let mut lines = LineReader::new(reader);
        while let Some(line) = lines.next_line() {
            let text = String::from_utf8_lossy(line.text);
            match parse_line(text.trim_end_matches('\r')) {
                Ok(Some(entry)) => raw.push(entry),
                Ok(None) => {}
                Err(message) => map.problem(line.no, message),
            }
        }
        for no in lines.long_lines.clone() {
            map.problem(no, "line too long; skipped".to_string());
        }
        if let Some(e) = &lines.error {
            map.problem(
                lines.line_no,
                format!("reading stopped after this line: {e}"),
            );
        }
        map.entries = non_overlapping(raw);
        map
    }

    fn problem(&mut self, line: u64, message: String) {
        if self.problems.len() < LISTED_PROBLEMS {
            self.problems.push(MapProblem { line, message });
        } else {
            self.more_problems += 1;
        }
    }

    /// The entry containing `addr`.
    pub fn lookup(&self, addr: u64) -> Option<&Entry> {
        let i = self.entries.partition_point(|e| e.start <= addr);
        let e = self.entries.get(i.checked_sub(1)?)?;
        (addr < e.end).then_some(e)
    }

    /// True when `addr` lies between two entries less than `gap` bytes apart:
    /// padding between trampolines, which is never executed.
    pub fn in_padding(&self, addr: u64, gap: u64) -> bool {
        let i = self.entries.partition_point(|e| e.start <= addr);
        match (
            i.checked_sub(1).and_then(|p| self.entries.get(p)),
            self.entries.get(i),
        ) {
            (Some(before), Some(after)) => addr >= before.end && after.start - before.end < gap,
            _ => false,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The files of its Python entries (`<module>` and functions alike).
    pub fn python_paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| match &e.symbol {
            Symbol::Python { path, .. } => Some(&**path),
            Symbol::Other(_) => None,
        })
    }
}

/// `START SIZE name` → (start, end, symbol); `Ok(None)` for a blank line.
fn parse_line(line: &str) -> Result<Option<(u64, u64, Symbol)>, String> {
    let line = line.trim_start();
    if line.is_empty() {
        return Ok(None);
    }
    let mut parts = line.splitn(3, [' ', '\t']);
    let (Some(start), Some(size)) = (parts.next(), parts.next()) else {
        return Err("expected `START SIZE name`".to_string());
    };
    let hex = |s: &str, what: &str| {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        u64::from_str_radix(digits, 16).map_err(|_| format!("{what} {s:?} is not hex"))
    };
    let start = hex(start, "start")?;
    let size = hex(size, "size")?;
    let name = parts.next().map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err("entry without a name".to_string());
    }
    if size == 0 {
        return Err("entry of size 0".to_string());
    }
    let end = start
        .checked_add(size)
        .ok_or_else(|| "entry runs past the end of the address space".to_string())?;
    Ok(Some((start, end, Symbol::parse(name))))
}

/// Resolves overlaps the way perf does: code written later replaces what was
/// there (a JIT reuses freed memory), so each entry is painted over the
/// earlier ones in file order. Maps written in address order without
/// overlaps (the usual case) skip the painting.
fn non_overlapping(mut raw: Vec<(u64, u64, Symbol)>) -> Vec<Entry> {
    let ordered = raw.windows(2).all(|w| w[0].1 <= w[1].0);
    // Several code arenas written in turn: out of order, yet no overlap.
    let disjoint = ordered || {
        let mut by_start: Vec<(u64, u64)> = raw.iter().map(|e| (e.0, e.1)).collect();
        by_start.sort_unstable();
        by_start.windows(2).all(|w| w[0].1 <= w[1].0)
    };
    if disjoint {
        if !ordered {
            raw.sort_by_key(|e| e.0);
        }
        return raw
            .into_iter()
            .map(|(start, end, symbol)| Entry { start, end, symbol })
            .collect();
    }
    let mut painted: BTreeMap<u64, (u64, Symbol)> = BTreeMap::new();
    for (start, end, symbol) in raw {
        // An earlier entry running into this one keeps its head and its tail.
        if let Some((_, (e, sym))) = painted.range_mut(..start).next_back() {
            if *e > start {
                let (old_end, sym) = (*e, sym.clone());
                *e = start;
                if old_end > end {
                    painted.insert(end, (old_end, sym));
                }
            }
        }
        let inside: Vec<u64> = painted.range(start..end).map(|(&s, _)| s).collect();
        for s in inside {
            if let Some((e, sym)) = painted.remove(&s) {
                if e > end {
                    painted.insert(end, (e, sym));
                }
            }
        }
        painted.insert(start, (end, symbol));
    }
    painted
        .into_iter()
        .map(|(start, (end, symbol))| Entry { start, end, symbol })
        .collect()
}
