//! Protocol 6's `<heap_summary>`, `<leak_summary>` and `<error_summary>`:
//! the figures the text log prints in its HEAP/LEAK/ERROR SUMMARY blocks,
//! filled field by field as their elements close.

use super::tag::Tag;
use crate::model::{ErrorSummary, Figure, HeapSummary, LeakKind, LeakSummary};

/// A `<leak_summary>` being read.
#[derive(Debug, Default)]
pub struct LeakSummaryBuilder {
    pub summary: LeakSummary,
    heuristic: (String, Figure),
}

impl LeakSummaryBuilder {
    pub fn new(line: u64) -> Self {
        LeakSummaryBuilder {
            summary: LeakSummary {
                line,
                ..LeakSummary::default()
            },
            heuristic: Default::default(),
        }
    }

    /// A number inside the summary; `path` starts below `<leak_summary>`.
    pub fn number(&mut self, path: &[Tag], n: u64) {
        let fig = match path {
            [Tag::StillReachable, Tag::ReachableHeuristic, field] => {
                set_figure(&mut self.heuristic.1, *field, n);
                return;
            }
            [Tag::Suppressed, field] => (&mut self.summary.suppressed, *field),
            [kind, field] => match leak_kind(*kind) {
                Some(k) => (&mut self.summary.kinds[k.index()], *field),
                None => return,
            },
            _ => return,
        };
        set_figure(fig.0, fig.1, n);
    }

    /// The `<kind>` of a `<reachable_heuristic>` (`stdstring`, `newarray`…).
    pub fn heuristic_kind(&mut self, kind: &str) {
        self.heuristic.0 = kind.to_string();
    }

    pub fn end_heuristic(&mut self) {
        let h = std::mem::take(&mut self.heuristic);
        self.summary.heuristics.push(h);
    }
}

fn leak_kind(t: Tag) -> Option<LeakKind> {
    Some(match t {
        Tag::DefinitelyLost => LeakKind::DefinitelyLost,
        Tag::IndirectlyLost => LeakKind::IndirectlyLost,
        Tag::PossiblyLost => LeakKind::PossiblyLost,
        Tag::StillReachable => LeakKind::StillReachable,
        _ => return None,
    })
}

fn set_figure(f: &mut Figure, field: Tag, n: u64) {
    match field {
        Tag::Bytes => f.bytes = n,
        // The spec says <in_blocks> for the kinds, <blocks> in heuristics.
        Tag::InBlocks | Tag::Blocks => f.blocks = n,
        _ => {}
    }
}

/// A number inside `<heap_summary>`; `path` starts below it.
pub fn heap_number(h: &mut HeapSummary, path: &[Tag], n: u64) {
    match path {
        [Tag::MemoryInUseAtExit, Tag::Bytes] => h.in_use_bytes = n,
        [Tag::MemoryInUseAtExit, Tag::Blocks | Tag::InBlocks] => h.in_use_blocks = n,
        [Tag::TotalHeapUsage, Tag::Allocs] => h.allocs = n,
        [Tag::TotalHeapUsage, Tag::Frees] => h.frees = n,
        [Tag::TotalHeapUsage, Tag::BytesAllocated] => h.bytes_allocated = n,
        _ => {}
    }
}

/// A number inside `<error_summary>`; `path` starts below it.
pub fn error_number(e: &mut ErrorSummary, path: &[Tag], n: u64) {
    match path {
        [Tag::Errors] => e.errors = n,
        [Tag::ErrorContexts] => e.contexts = n,
        [Tag::Suppressed] => e.suppressed = n,
        [Tag::SuppressedContexts] => e.suppressed_contexts = n,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_land_where_the_path_says() {
        let mut b = LeakSummaryBuilder::new(3);
        b.number(&[Tag::DefinitelyLost, Tag::Bytes], 48);
        b.number(&[Tag::DefinitelyLost, Tag::InBlocks], 3);
        b.number(&[Tag::Suppressed, Tag::Bytes], 5);
        b.number(
            &[Tag::StillReachable, Tag::ReachableHeuristic, Tag::Bytes],
            8,
        );
        b.heuristic_kind("stdstring");
        b.end_heuristic();
        let s = b.summary;
        assert_eq!(s.get(LeakKind::DefinitelyLost).blocks, 3);
        assert_eq!((s.suppressed.bytes, s.line), (5, 3));
        assert_eq!(s.heuristics[0].0, "stdstring");
        let mut h = HeapSummary::default();
        heap_number(&mut h, &[Tag::TotalHeapUsage, Tag::Frees], 9);
        assert_eq!(h.frees, 9);
    }
}
