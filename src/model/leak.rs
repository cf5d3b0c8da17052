//! Loss records: one per distinct allocation stack and leak kind in a leak search.

use super::interner::StackId;
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
/// of these, so only what every record has lives inline, in 32 bytes: kind,
/// record number, interned stack, and the figures that almost always fit 32
/// bits (direct and indirect bytes, line) or 24 (blocks) stored that narrow.
/// A figure past its width, the `(+N)` deltas of an incremental search and a
/// generated suppression sit in one boxed side entry, absent (8 bytes of
/// `None`) for the rest. The `M` of `N of M` is the same for a whole search,
/// so the search keeps it ([`super::LeakSearch::of`]), not each record.
/// Read the narrowed and moved fields through their accessors:
/// `direct_bytes()`, `indirect_bytes()`, `blocks()`, `line()`, `number()`,
/// `delta_bytes()`, `delta_blocks()`, `suppression()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossRecord {
    rare: Option<Box<RecordRare>>,
    /// What valgrind's LEAK SUMMARY counts for this kind; `WIDE32`: the
    /// figure is in `rare`.
    direct: u32,
    pub stack: StackId,
    /// `in loss record N of M`; 0 when masked (`... of ...`): see `number()`.
    number: u32,
    /// `WIDE32`: the line is in `rare`.
    line: u32,
    /// `WIDE32`: the figure is in `rare`.
    indirect: u32,
    /// Little-endian; `WIDE24`: the figure is in `rare`.
    blocks: [u8; 3],
    pub kind: LeakKind,
}

/// A narrowed field holding this says "the value is in the side entry".
const WIDE32: u32 = u32::MAX;
const WIDE24: u32 = 0xff_ffff;

/// The fields few records have, kept out of line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecordRare {
    delta_bytes: Option<i64>,
    delta_blocks: Option<i64>,
    suppression: Option<Box<str>>,
    /// Figures too wide for their inline field (see `LossRecord`).
    direct_bytes: u64,
    indirect_bytes: u64,
    blocks: u64,
    line: u64,
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
        let mut r = LossRecord {
            rare: None,
            direct: 0,
            stack,
            number: 0,
            line: 0,
            indirect: 0,
            blocks: [0; 3],
            kind,
        };
        r.set_direct_bytes(direct_bytes);
        r.set_indirect_bytes(indirect_bytes);
        r.set_blocks(blocks);
        r.set_line(line);
        r
    }

    /// What valgrind's LEAK SUMMARY counts for this kind: the bytes of this
    /// record's blocks.
    pub fn direct_bytes(&self) -> u64 {
        self.widen(self.direct, WIDE32, |r| r.direct_bytes)
    }

    pub fn set_direct_bytes(&mut self, v: u64) {
        self.direct = self.narrow(v, WIDE32, |r| &mut r.direct_bytes);
    }

    /// Bytes of blocks reachable only through this record's blocks.
    pub fn indirect_bytes(&self) -> u64 {
        self.widen(self.indirect, WIDE32, |r| r.indirect_bytes)
    }

    pub fn set_indirect_bytes(&mut self, v: u64) {
        self.indirect = self.narrow(v, WIDE32, |r| &mut r.indirect_bytes);
    }

    pub fn blocks(&self) -> u64 {
        let [a, b, c] = self.blocks;
        self.widen(u32::from_le_bytes([a, b, c, 0]), WIDE24, |r| r.blocks)
    }

    pub fn set_blocks(&mut self, v: u64) {
        let n = self.narrow(v, WIDE24, |r| &mut r.blocks);
        let [a, b, c, _] = n.to_le_bytes();
        self.blocks = [a, b, c];
    }

    /// 1-based line (text) or line of the `<error>` (XML) where the record starts.
    pub fn line(&self) -> u64 {
        self.widen(self.line, WIDE32, |r| r.line)
    }

    pub fn set_line(&mut self, v: u64) {
        self.line = self.narrow(v, WIDE32, |r| &mut r.line);
    }

    /// `v` as stored inline: itself when below `wide`, else `wide`, with
    /// `v` put in the side entry's `field`.
    fn narrow(&mut self, v: u64, wide: u32, field: fn(&mut RecordRare) -> &mut u64) -> u32 {
        match u32::try_from(v) {
            Ok(n) if n < wide => n,
            _ => {
                *field(self.rare.get_or_insert_with(Box::default)) = v;
                wide
            }
        }
    }

    /// The inverse of [`Self::narrow`]: the inline `n`, or the side entry's
    /// `field` when `n` is `wide`.
    fn widen(&self, n: u32, wide: u32, field: fn(&RecordRare) -> u64) -> u64 {
        if n == wide {
            field(self.rare())
        } else {
            u64::from(n)
        }
    }

    /// The side entry; only read where a field says its value is there.
    fn rare(&self) -> &RecordRare {
        self.rare
            .as_deref()
            .expect("a wide field has its side entry")
    }

    /// Direct plus indirect bytes, as XML's `<leakedbytes>` counts them
    /// (u128: the sum of two u64 figures cannot wrap).
    pub fn total_bytes(&self) -> u128 {
        u128::from(self.direct_bytes()) + u128::from(self.indirect_bytes())
    }

    /// `in loss record N of M`: N, or `None` when masked (valgrind numbers
    /// records from 1, so 0 stands for "not stated").
    pub fn number(&self) -> Option<u32> {
        (self.number != 0).then_some(self.number)
    }

    /// Sets N of `in loss record N of M` (M goes to the search: see
    /// [`super::LeakSearch::push`]).
    pub fn set_number(&mut self, number: Option<u32>) {
        self.number = number.unwrap_or(0);
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
        // A million records are 32 MB: the 1 M small records shape's budget.
        const _: () = assert!(std::mem::size_of::<LossRecord>() == 32);
        assert_eq!(std::mem::size_of::<LossRecord>(), 32);
    }

    #[test]
    fn wide_figures_read_back_exactly() {
        for v in [
            0,
            1,
            0xfe_ffff,
            0xff_ffff,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut r = LossRecord::new(LeakKind::PossiblyLost, v, v, v, StackId(2), v);
            assert_eq!(
                (r.direct_bytes(), r.indirect_bytes(), r.blocks(), r.line()),
                (v, v, v, v)
            );
            assert_eq!(r.total_bytes(), 2 * u128::from(v));
            r.set_deltas(Some(-1), None);
            r.set_suppression(Some("{}".into()));
            assert_eq!(
                (r.direct_bytes(), r.indirect_bytes(), r.blocks(), r.line()),
                (v, v, v, v)
            );
            r.set_blocks(3);
            assert_eq!(
                (r.blocks(), r.line(), r.kind),
                (3, v, LeakKind::PossiblyLost)
            );
        }
    }

    #[test]
    fn masked_numbers_and_rare_fields_read_back() {
        let mut r = LossRecord::new(LeakKind::DefinitelyLost, 8, 0, 1, StackId(1), 3);
        assert_eq!(
            (r.number(), r.delta_bytes(), r.suppression()),
            (None, None, None)
        );
        r.set_number(Some(2));
        r.set_deltas(Some(-8), Some(0));
        r.set_suppression(Some("{\n}".into()));
        assert_eq!(r.number(), Some(2));
        assert_eq!((r.delta_bytes(), r.delta_blocks()), (Some(-8), Some(0)));
        assert_eq!(r.suppression(), Some("{\n}"));
    }
}
