//! Naming a process's `???` frames from its perf map.
//!
//! The report's interner is shared by every process of a log, and one address
//! may be different code in two processes, so frames are never renamed in
//! place: each stack of the process is re-interned with named copies of its
//! frames, and the process's records and errors point at the new stacks.

use super::{PerfMap, Symbol};
use crate::model::{At, Frame, FrameId, FrameRef, Interner, NamedBy, Report, StackId};
use rustc_hash::{FxHashMap, FxHashSet};

/// Trampolines sit this close together; an address in the gap between two
/// entries (3.13 aligns each trampoline to 16 bytes) is padding, not code.
const PADDING: u64 = 16;

/// A frame a perf map may name: valgrind's `???` without an object, LSan's
/// `(<unknown module>)` or bare address.
pub fn is_nameable(f: FrameRef<'_>) -> bool {
    f.named_by == NamedBy::Log
        && f.function.is_none()
        && f.file.is_none()
        && f.addr.is_some()
        && matches!(f.object.as_deref(), None | Some("<unknown module>"))
}

/// How much of a process a map explains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Distinct addresses of nameable frames in the process's stacks.
    pub unnamed: usize,
    /// Those inside an entry of the map.
    pub covered: usize,
}

/// Every stack a process refers to: its errors' (with auxiliary stacks) and
/// every leak search's records'.
fn stacks_of(report: &Report, process: usize) -> Vec<StackId> {
    let p = &report.processes[process];
    let mut out: Vec<StackId> = Vec::new();
    for e in &p.errors {
        out.push(e.stack);
        out.extend(e.aux.iter().map(|a| a.stack));
    }
    for s in &p.leak_searches {
        out.extend(s.records.iter().map(|r| r.stack));
    }
    out.sort_unstable();
    out.dedup();
    out
}

pub fn coverage(report: &Report, process: usize, map: &PerfMap) -> Coverage {
    let i = &report.interner;
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    let mut c = Coverage::default();
    for s in stacks_of(report, process) {
        for f in i.frames_of(s).filter(|&f| is_nameable(f)) {
            let addr = f.addr.unwrap_or_default();
            if seen.insert(addr) {
                c.unnamed += 1;
                c.covered += usize::from(map.lookup(addr).is_some());
            }
        }
    }
    c
}

/// Names the process's frames from `map`; returns how many distinct frames
/// got a name.
pub fn apply(report: &mut Report, process: usize, map: &PerfMap) -> usize {
    let stacks = stacks_of(report, process);
    let mut named: FxHashMap<FrameId, FrameId> = FxHashMap::default();
    let mut remap: FxHashMap<StackId, StackId> = FxHashMap::default();
    let interner = &mut report.interner;
    let mut buf = Vec::new();
    for s in stacks {
        buf.clear();
        buf.extend(interner.stack(s).iter().copied());
        for f in buf.iter_mut() {
            *f = *named
                .entry(*f)
                .or_insert_with(|| name_frame(interner, *f, map));
        }
        mark_not_code(interner, &mut buf, map);
        let new = interner.intern_stack(&buf);
        if new != s {
            remap.insert(s, new);
        }
    }
    let count = named.iter().filter(|(a, b)| a != b).count();
    let to = |s: &mut StackId| {
        if let Some(&n) = remap.get(s) {
            *s = n;
        }
    };
    let p = &mut report.processes[process];
    for e in &mut p.errors {
        to(&mut e.stack);
        e.aux.iter_mut().for_each(|a| to(&mut a.stack));
    }
    for search in &mut p.leak_searches {
        search.records.iter_mut().for_each(|r| to(&mut r.stack));
    }
    count
}

/// The named copy of a frame the map covers; the frame itself otherwise.
fn name_frame(interner: &mut Interner, id: FrameId, map: &PerfMap) -> FrameId {
    let f = interner.frame(id);
    if !is_nameable(f) {
        return id;
    }
    let Some(symbol) = f.addr.and_then(|a| map.symbol_at(a)) else {
        return id;
    };
    let addr = f.addr;
    let mut named = Frame::default();
    match symbol {
        Symbol::Python { qualname, path } => {
            named.function = Some(qualname.into());
            named.file = Some(path.into());
            named.named_by = NamedBy::Python;
        }
        Symbol::Other(name) => {
            named.function = Some(name.into());
            named.named_by = NamedBy::PerfMap;
        }
    }
    interner.intern_frame(At { addr, frame: named })
}

/// Marks what the frame-pointer unwinder made up around map-named frames:
/// still-unnamed `???` frames right after a named trampoline (up to the next
/// named frame) and addresses in the padding between trampolines.
fn mark_not_code(interner: &mut Interner, stack: &mut [FrameId], map: &PerfMap) {
    let mut after_mapped = false;
    for i in 0..stack.len() {
        let f = interner.frame(stack[i]);
        if f.named_by == NamedBy::Python || f.named_by == NamedBy::PerfMap {
            after_mapped = true;
            continue;
        }
        if !is_nameable(f) {
            after_mapped = false;
            continue;
        }
        let padding = f.addr.is_some_and(|a| map.in_padding(a, PADDING));
        let closed = stack[i + 1..]
            .iter()
            .any(|&n| !is_nameable(interner.frame(n)));
        if padding || (after_mapped && closed) {
            let mut copy = f.cloned();
            copy.frame.named_by = NamedBy::NotCode;
            stack[i] = interner.intern_frame(copy);
        }
    }
}
