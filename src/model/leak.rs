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

/// One loss record, fixed-size: a log of millions of records holds millions
/// of these, so only what every record has lives inline (kind, figures, record
/// number, interned stack, line: 56 bytes). What few records carry — `(+N)`
/// deltas of an incremental search, a generated suppression — sits in one
/// boxed side entry, absent (8 bytes of `None`) for the rest. Read the moved
/// fields through their accessors: `number()`, `of()`, `delta_bytes()`,
/// `delta_blocks()`, `suppression()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossRecord {
    pub kind: LeakKind,
    /// `in loss record N of M`; 0 when masked (`... of ...`): see `number()`.
    number: u32,
    of: u32,
    pub stack: StackId,
    /// What valgrind's LEAK SUMMARY counts for this kind.
    pub direct_bytes: u64,
    /// Bytes of blocks reachable only through this record's blocks.
    pub indirect_bytes: u64,
    pub blocks: u64,
    /// 1-based line (text) or line of the `<error>` (XML) where the record starts.
    pub line: u64,
    rare: Option<Box<RecordRare>>,
}

/// The fields few records have, kept out of line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecordRare {
    delta_bytes: Option<i64>,
    delta_blocks: Option<i64>,
    suppression: Option<Box<str>>,
}

impl LossRecord {
    pub fn new(
        kind: LeakKind,
        direct_bytes: u64,
        indirect_bytes: u64,
        blocks: u64,
        stack: StackId,
        line: u64,
    ) -> Self {
        LossRecord {
            kind,
            number: 0,
            of: 0,
            stack,
            direct_bytes,
            indirect_bytes,
            blocks,
            line,
            rare: None,
        }
    }

    /// Direct plus indirect bytes, as XML's `<leakedbytes>` counts them
    /// (u128: the sum of two u64 figures cannot wrap).
    pub fn total_bytes(&self) -> u128 {
        u128::from(self.direct_bytes) + u128::from(self.indirect_bytes)
    }

    /// `in loss record N of M`: N, or `None` when masked (valgrind numbers
    /// records from 1, so 0 stands for "not stated").
    pub fn number(&self) -> Option<u32> {
        (self.number != 0).then_some(self.number)
    }

    /// M of `in loss record N of M`, `None` when masked.
    pub fn of(&self) -> Option<u32> {
        (self.of != 0).then_some(self.of)
    }

    pub fn set_numbers(&mut self, number: Option<u32>, of: Option<u32>) {
        self.number = number.unwrap_or(0);
        self.of = of.unwrap_or(0);
    }

    /// Changes since the previous leak search (`(+N)`), when valgrind printed them.
    pub fn delta_bytes(&self) -> Option<i64> {
        self.rare.as_ref().and_then(|r| r.delta_bytes)
    }

    pub fn delta_blocks(&self) -> Option<i64> {
        self.rare.as_ref().and_then(|r| r.delta_blocks)
    }

    pub fn set_deltas(&mut self, bytes: Option<i64>, blocks: Option<i64>) {
        if bytes.is_some() || blocks.is_some() || self.rare.is_some() {
            let r = self.rare.get_or_insert_with(Box::default);
            r.delta_bytes = bytes;
            r.delta_blocks = blocks;
        }
    }

    /// The suppression valgrind generated for this record (--gen-suppressions).
    pub fn suppression(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.suppression.as_deref())
    }

    pub fn set_suppression(&mut self, text: Option<Box<str>>) {
        if text.is_some() || self.rare.is_some() {
            self.rare.get_or_insert_with(Box::default).suppression = text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stays_small() {
        assert!(std::mem::size_of::<LossRecord>() <= 56);
    }

    #[test]
    fn masked_numbers_and_rare_fields_read_back() {
        let mut r = LossRecord::new(LeakKind::DefinitelyLost, 8, 0, 1, StackId(1), 3);
        assert_eq!(
            (r.number(), r.of(), r.delta_bytes(), r.suppression()),
            (None, None, None, None)
        );
        r.set_numbers(Some(2), Some(9));
        r.set_deltas(Some(-8), Some(0));
        r.set_suppression(Some("{\n}".into()));
        assert_eq!((r.number(), r.of()), (Some(2), Some(9)));
        assert_eq!((r.delta_bytes(), r.delta_blocks()), (Some(-8), Some(0)));
        assert_eq!(r.suppression(), Some("{\n}"));
    }
}
