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

/// What a map entry names, borrowed from its map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol<'a> {
    /// `py::qualname:path` — a CPython perf trampoline.
    Python { qualname: &'a str, path: &'a str },
    /// Anything else, kept as written.
    Other(&'a str),
}

impl<'a> Symbol<'a> {
    fn parse(name: &'a str) -> Symbol<'a> {
        if let Some(rest) = name.strip_prefix("py::") {
            // Qualnames never contain `:`; paths might (`<frozen …>` does not).
            if let Some((qualname, path)) = rest.split_once(':') {
                if !qualname.is_empty() && !path.is_empty() {
                    return Symbol::Python { qualname, path };
                }
            }
        }
        Symbol::Other(name)
    }
}

/// One entry: where its code is and where its name sits in the map's name
/// buffer. Names are parsed into a `Symbol` only when an address is looked
/// up, so a 5 MB map costs its lines' scan, not 100,000 strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    name: (usize, usize),
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
    /// Every entry's name, one after another (`Entry::name` ranges into it).
    names: String,
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
        PerfMap::read_sized(path, reader, None)
    }

    /// `read`, with room made at once for a file of `size` bytes (a 5 MB
    /// map holds 100,000 entries: growing to that copies them again and again).
    pub fn read_sized(path: &str, reader: impl Read, size: Option<u64>) -> PerfMap {
        let size = usize::try_from(size.unwrap_or(0)).unwrap_or(0);
        let mut map = PerfMap {
            path: path.to_string(),
            names: String::with_capacity(size),
            ..PerfMap::default()
        };
        // CPython's lines are 40 to 120 bytes.
        let mut raw: Vec<Entry> = Vec::with_capacity(size / 40);
        let mut lines = LineReader::new(reader);
        while let Some(line) = lines.next_line() {
            match parse_line(line.text) {
                Ok(Some((start, end, name))) => {
                    let at = map.names.len();
                    map.names.push_str(&String::from_utf8_lossy(name));
                    raw.push(Entry {
                        start,
                        end,
                        name: (at, map.names.len()),
                    });
                }
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

    /// What the entry containing `addr` names.
    pub fn symbol_at(&self, addr: u64) -> Option<Symbol<'_>> {
        self.lookup(addr).map(|e| self.symbol(e))
    }

    /// What `entry` (one of this map's) names.
    pub fn symbol(&self, entry: &Entry) -> Symbol<'_> {
        Symbol::parse(&self.names[entry.name.0..entry.name.1])
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
        self.entries.iter().filter_map(|e| match self.symbol(e) {
            Symbol::Python { path, .. } => Some(path),
            Symbol::Other(_) => None,
        })
    }
}

/// A map line's start, end (one past the last byte) and name.
type Parsed<'a> = (u64, u64, &'a [u8]);

/// `START SIZE name` → (start, end, name); `Ok(None)` for a blank line.
/// Bytes, not text: a map's 100,000 lines are split and their hex read
/// without a copy or a UTF-8 check (names are checked when stored).
fn parse_line(line: &[u8]) -> Result<Option<Parsed<'_>>, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii_start();
    if line.is_empty() {
        return Ok(None);
    }
    let field = |s: &[u8]| -> (usize, usize) {
        let end = s.iter().position(|&b| b == b' ' || b == b'\t');
        end.map_or((s.len(), s.len()), |e| (e, e + 1))
    };
    let (start_end, rest_at) = field(line);
    if rest_at == line.len() && start_end == line.len() {
        return Err("expected `START SIZE name`".to_string());
    }
    let (start, rest) = (&line[..start_end], &line[rest_at..]);
    let (size_end, name_at) = field(rest);
    let (size, name) = (&rest[..size_end], &rest[name_at..]);
    let start = hex(start).ok_or_else(|| not_hex("start", start))?;
    let size = hex(size).ok_or_else(|| not_hex("size", size))?;
    let name = name.trim_ascii();
    if name.is_empty() {
        return Err("entry without a name".to_string());
    }
    if size == 0 {
        return Err("entry of size 0".to_string());
    }
    let end = start
        .checked_add(size)
        .ok_or_else(|| "entry runs past the end of the address space".to_string())?;
    Ok(Some((start, end, name)))
}

/// Hex digits, `0x` allowed, at most 64 bits.
fn hex(s: &[u8]) -> Option<u64> {
    let digits = s.strip_prefix(b"0x").unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |v, &b| {
        let d = char::from(b).to_digit(16)?;
        v.checked_mul(16)?.checked_add(u64::from(d))
    })
}

fn not_hex(what: &str, s: &[u8]) -> String {
    format!("{what} {:?} is not hex", String::from_utf8_lossy(s))
}

/// Resolves overlaps the way perf does: code written later replaces what was
/// there (a JIT reuses freed memory), so each entry is painted over the
/// earlier ones in file order. Maps written in address order without
/// overlaps (CPython's, arena by arena) skip the sort and the painting.
fn non_overlapping(raw: Vec<Entry>) -> Vec<Entry> {
    let disjoint = |v: &[Entry]| v.windows(2).all(|w| w[0].end <= w[1].start);
    if disjoint(&raw) {
        return raw;
    }
    // Several code arenas written in turn: out of order, yet no overlap. The
    // painting needs the file's order, so the sort works on a copy.
    let mut sorted = raw.clone();
    sorted.sort_by_key(|e| e.start);
    if disjoint(&sorted) {
        return sorted;
    }
    paint(raw)
}

/// Each entry painted over the earlier ones (in file order): what is left of
/// every entry, sorted by start.
fn paint(raw: Vec<Entry>) -> Vec<Entry> {
    let mut painted: BTreeMap<u64, Entry> = BTreeMap::new();
    let mut inside: Vec<u64> = Vec::new();
    for entry in raw {
        let (start, end) = (entry.start, entry.end);
        // An earlier entry running into this one keeps its head and its tail.
        if let Some((_, before)) = painted.range_mut(..start).next_back() {
            if before.end > start {
                let tail = Entry {
                    start: end,
                    ..*before
                };
                before.end = start;
                if tail.end > end {
                    painted.insert(end, tail);
                }
            }
        }
        inside.clear();
        inside.extend(painted.range(start..end).map(|(&s, _)| s));
        for &s in &inside {
            if let Some(old) = painted.remove(&s) {
                if old.end > end {
                    painted.insert(end, Entry { start: end, ..old });
                }
            }
        }
        painted.insert(start, entry);
    }
    painted.into_values().collect()
}
