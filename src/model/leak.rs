//! Loss records: one per distinct allocation stack and leak kind in a leak search.

use super::frame::StackId;
use serde::Serialize;

/// Memcheck's four leak kinds, in the order valgrind reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakKind {
    DefinitelyLost,
    IndirectlyLost,
    PossiblyLost,
    StillReachable,
}

impl LeakKind {
    pub const ALL: [LeakKind; 4] = [
        LeakKind::DefinitelyLost,
        LeakKind::IndirectlyLost,
        LeakKind::PossiblyLost,
        LeakKind::StillReachable,
    ];

    /// The key used in JSON output (`definitely_lost`, …).
    pub fn key(self) -> &'static str {
        match self {
            LeakKind::DefinitelyLost => "definitely_lost",
            LeakKind::IndirectlyLost => "indirectly_lost",
            LeakKind::PossiblyLost => "possibly_lost",
            LeakKind::StillReachable => "still_reachable",
        }
    }

    /// The words valgrind's text output uses (`definitely lost`, …).
    pub fn text(self) -> &'static str {
        match self {
            LeakKind::DefinitelyLost => "definitely lost",
            LeakKind::IndirectlyLost => "indirectly lost",
            LeakKind::PossiblyLost => "possibly lost",
            LeakKind::StillReachable => "still reachable",
        }
    }

    /// The XML `<kind>` (`Leak_DefinitelyLost`, …).
    pub fn xml_kind(self) -> &'static str {
        match self {
            LeakKind::DefinitelyLost => "Leak_DefinitelyLost",
            LeakKind::IndirectlyLost => "Leak_IndirectlyLost",
            LeakKind::PossiblyLost => "Leak_PossiblyLost",
            LeakKind::StillReachable => "Leak_StillReachable",
        }
    }

    /// The word of `--show-leak-kinds` / `match-leak-kinds:` (`definite`, …).
    pub fn option_word(self) -> &'static str {
        match self {
            LeakKind::DefinitelyLost => "definite",
            LeakKind::IndirectlyLost => "indirect",
            LeakKind::PossiblyLost => "possible",
            LeakKind::StillReachable => "reachable",
        }
    }

    pub fn from_text(s: &str) -> Option<Self> {
        LeakKind::ALL.into_iter().find(|k| k.text() == s)
    }

    pub fn from_xml_kind(s: &str) -> Option<Self> {
        LeakKind::ALL.into_iter().find(|k| k.xml_kind() == s)
    }

    pub fn from_option_word(s: &str) -> Option<Self> {
        LeakKind::ALL.into_iter().find(|k| k.option_word() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossRecord {
    pub kind: LeakKind,
    /// What valgrind's LEAK SUMMARY counts for this kind.
    pub direct_bytes: u64,
    /// Bytes of blocks reachable only through this record's blocks.
    pub indirect_bytes: u64,
    pub blocks: u64,
    /// `in loss record N of M`; `None` when masked (`... of ...`).
    pub number: Option<u32>,
    pub of: Option<u32>,
    /// Changes since the previous leak search (`(+N)`), when valgrind printed them.
    pub delta_bytes: Option<i64>,
    pub delta_blocks: Option<i64>,
    pub stack: StackId,
    /// The suppression valgrind generated for this record (--gen-suppressions).
    pub suppression: Option<Box<str>>,
    /// 1-based line (text) or line of the `<error>` (XML) where the record starts.
    pub line: u64,
}

impl LossRecord {
    /// Direct plus indirect bytes, as XML's `<leakedbytes>` counts them.
    pub fn total_bytes(&self) -> u64 {
        self.direct_bytes + self.indirect_bytes
    }
}
