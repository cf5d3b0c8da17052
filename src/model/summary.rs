//! The figures valgrind itself printed. Kept apart from what leakscope computes,
//! so the two can be checked against each other.

use super::leak::LeakKind;

/// `N bytes in M blocks`, with the `(+N)` changes of an incremental leak search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figure {
    pub bytes: u64,
    pub blocks: u64,
    pub delta_bytes: Option<i64>,
    pub delta_blocks: Option<i64>,
}

/// A LEAK SUMMARY block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeakSummary {
    /// Indexed by `LeakKind::index()`.
    pub kinds: [Figure; 4],
    pub suppressed: Figure,
    /// `of which reachable via heuristic:` lines, as (heuristic, figure).
    pub heuristics: Vec<(String, Figure)>,
    /// Line where the summary starts.
    pub line: u64,
    /// A grand total, as (bytes, blocks), printed instead of per-kind
    /// figures: LeakSanitizer's `SUMMARY: … N byte(s) leaked in M allocation(s).`
    pub total: Option<(u64, u64)>,
}

impl LeakSummary {
    pub fn get(&self, kind: LeakKind) -> &Figure {
        &self.kinds[kind.index()]
    }
}

/// `ERROR SUMMARY: 108 errors from 104 contexts (suppressed: 0 from 0)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorSummary {
    pub errors: u64,
    pub contexts: u64,
    pub suppressed: u64,
    pub suppressed_contexts: u64,
}

/// The HEAP SUMMARY block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapSummary {
    pub in_use_bytes: u64,
    pub in_use_blocks: u64,
    pub allocs: u64,
    pub frees: u64,
    pub bytes_allocated: u64,
}
