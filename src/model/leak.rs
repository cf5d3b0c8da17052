//! Loss records: one per distinct allocation stack and leak kind in a leak search.

use super::interner::StackId;
use serde::Serialize;
use std::mem::ManuallyDrop;

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
/// of these, so only what every record has lives inline, in 24 bytes: kind,
/// record number, line, interned stack, and the figures that almost always
/// fit 32 bits (direct and indirect bytes) or 24 (blocks) stored that narrow.
/// A figure past its width, the `(+N)` deltas of an incremental search and a
/// generated suppression sit in one boxed side entry; a record with one has
/// it where its number and line would be (they move into the entry), and
/// says so with its blocks field (`RARE24`; its blocks move too), so the
/// entry costs a record without one nothing. The `M` of `N of M` is the same
/// for a whole search, so the search keeps it ([`super::LeakSearch::of`]),
/// not each record. Read the narrowed and moved fields through their
/// accessors: `direct_bytes()`, `indirect_bytes()`, `blocks()`, `line()`,
/// `number()`, `delta_bytes()`, `delta_blocks()`, `suppression()`.
pub struct LossRecord {
    tail: Tail,
    /// What valgrind's LEAK SUMMARY counts for this kind; `WIDE32`: the
    /// figure is in the side entry.
    direct: u32,
    pub stack: StackId,
    /// `WIDE32`: the figure is in the side entry.
    indirect: u32,
    /// Little-endian; `RARE24`: the record has a side entry (`tail.rare`),
    /// which holds the blocks.
    blocks: [u8; 3],
    pub kind: LeakKind,
}

/// A record's number and line, or (blocks `RARE24`) its side entry, which
/// then holds them.
union Tail {
    plain: Plain,
    rare: ManuallyDrop<Box<RecordRare>>,
}

#[derive(Clone, Copy)]
struct Plain {
    /// `in loss record N of M`; 0 when masked (`... of ...`): see `number()`.
    number: u32,
    line: u32,
}

/// An inline figure holding this says "the value is in the side entry".
const WIDE32: u32 = u32::MAX;
/// Blocks holding this say "the record has a side entry".
const RARE24: [u8; 3] = [0xff; 3];

/// The fields few records have, kept out of line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RecordRare {
    delta_bytes: Option<i64>,
    delta_blocks: Option<i64>,
    suppression: Option<Box<str>>,
    /// Figures too wide for their inline field (see `LossRecord`).
    direct_bytes: u64,
    indirect_bytes: u64,
    /// Moved here from the record with the entry.
    blocks: u64,
    line: u64,
    number: u32,
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
            tail: Tail {
                plain: Plain { number: 0, line: 0 },
            },
            direct: 0,
            stack,
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
        self.widen(self.direct, |r| r.direct_bytes)
    }

    pub fn set_direct_bytes(&mut self, v: u64) {
        self.direct = self.narrow(v, |r| &mut r.direct_bytes);
    }

    /// Bytes of blocks reachable only through this record's blocks.
    pub fn indirect_bytes(&self) -> u64 {
        self.widen(self.indirect, |r| r.indirect_bytes)
    }

    pub fn set_indirect_bytes(&mut self, v: u64) {
        self.indirect = self.narrow(v, |r| &mut r.indirect_bytes);
    }

    pub fn blocks(&self) -> u64 {
        match self.rare() {
            Some(r) => r.blocks,
            None => {
                let [a, b, c] = self.blocks;
                u64::from(u32::from_le_bytes([a, b, c, 0]))
            }
        }
    }

    pub fn set_blocks(&mut self, v: u64) {
        match u32::try_from(v) {
            Ok(n) if n < 1 << 24 && self.rare().is_none() && n.to_le_bytes()[..3] != RARE24 => {
                let [a, b, c, _] = n.to_le_bytes();
                self.blocks = [a, b, c];
            }
            _ => self.rare_mut().blocks = v,
        }
    }

    /// 1-based line (text) or line of the `<error>` (XML) where the record starts.
    pub fn line(&self) -> u64 {
        match self.rare() {
            Some(r) => r.line,
            None => u64::from(self.plain().line),
        }
    }

    pub fn set_line(&mut self, v: u64) {
        match (u32::try_from(v), self.plain_mut()) {
            (Ok(n), Some(p)) => p.line = n,
            _ => self.rare_mut().line = v,
        }
    }

    /// `v` as stored inline: itself when below `WIDE32`, else `WIDE32`,
    /// with `v` put in the side entry's `field`.
    fn narrow(&mut self, v: u64, field: fn(&mut RecordRare) -> &mut u64) -> u32 {
        match u32::try_from(v) {
            Ok(n) if n < WIDE32 => n,
            _ => {
                *field(self.rare_mut()) = v;
                WIDE32
            }
        }
    }

    /// The inverse of [`Self::narrow`]: the inline `n`, or the side entry's
    /// `field` when `n` is `WIDE32`.
    fn widen(&self, n: u32, field: fn(&RecordRare) -> u64) -> u64 {
        if n == WIDE32 {
            field(self.rare().expect("a wide field has its side entry"))
        } else {
            u64::from(n)
        }
    }

    /// Number and line, when the record has no side entry.
    fn plain(&self) -> Plain {
        debug_assert!(self.blocks != RARE24);
        // SAFETY: without a side entry (blocks not `RARE24`), `plain` is
        // the field last written.
        unsafe { self.tail.plain }
    }

    fn plain_mut(&mut self) -> Option<&mut Plain> {
        if self.blocks == RARE24 {
            return None;
        }
        // SAFETY: as in `plain`.
        Some(unsafe { &mut self.tail.plain })
    }

    /// The side entry, if the record has one.
    fn rare(&self) -> Option<&RecordRare> {
        if self.blocks != RARE24 {
            return None;
        }
        // SAFETY: blocks `RARE24` says `rare` is the field last written.
        Some(unsafe { &**self.tail.rare })
    }

    /// The side entry, made (taking in the number, line and blocks) if
    /// the record has none yet.
    fn rare_mut(&mut self) -> &mut RecordRare {
        if self.blocks != RARE24 {
            let plain = self.plain();
            let rare = RecordRare {
                blocks: self.blocks(),
                line: u64::from(plain.line),
                number: plain.number,
                ..RecordRare::default()
            };
            self.tail = Tail {
                rare: ManuallyDrop::new(Box::new(rare)),
            };
            self.blocks = RARE24;
        }
        // SAFETY: blocks `RARE24`: `rare` is the field last written.
        unsafe { &mut self.tail.rare }
    }

    /// Direct plus indirect bytes, as XML's `<leakedbytes>` counts them
    /// (u128: the sum of two u64 figures cannot wrap).
    pub fn total_bytes(&self) -> u128 {
        u128::from(self.direct_bytes()) + u128::from(self.indirect_bytes())
    }

    /// `in loss record N of M`: N, or `None` when masked (valgrind numbers
    /// records from 1, so 0 stands for "not stated").
    pub fn number(&self) -> Option<u32> {
        let n = match self.rare() {
            Some(r) => r.number,
            None => self.plain().number,
        };
        (n != 0).then_some(n)
    }

    /// Sets N of `in loss record N of M` (M goes to the search: see
    /// [`super::LeakSearch::push`]).
    pub fn set_number(&mut self, number: Option<u32>) {
        let n = number.unwrap_or(0);
        match self.plain_mut() {
            Some(p) => p.number = n,
            None => self.rare_mut().number = n,
        }
    }

    /// Changes since the previous leak search (`(+N)`), when valgrind printed them.
    pub fn delta_bytes(&self) -> Option<i64> {
        self.rare().and_then(|r| r.delta_bytes)
    }

    pub fn delta_blocks(&self) -> Option<i64> {
        self.rare().and_then(|r| r.delta_blocks)
    }

    pub fn set_deltas(&mut self, bytes: Option<i64>, blocks: Option<i64>) {
        if bytes.is_some() || blocks.is_some() || self.rare().is_some() {
            let r = self.rare_mut();
            r.delta_bytes = bytes;
            r.delta_blocks = blocks;
        }
    }

    /// The suppression valgrind generated for this record (--gen-suppressions).
    pub fn suppression(&self) -> Option<&str> {
        self.rare().and_then(|r| r.suppression.as_deref())
    }

    pub fn set_suppression(&mut self, text: Option<Box<str>>) {
        if text.is_some() || self.rare().is_some() {
            self.rare_mut().suppression = text;
        }
    }
}

impl Drop for LossRecord {
    fn drop(&mut self) {
        if self.blocks == RARE24 {
            // SAFETY: blocks `RARE24`: `rare` is the live field, dropped once
            // here.
            unsafe { ManuallyDrop::drop(&mut self.tail.rare) }
        }
    }
}

impl Clone for LossRecord {
    fn clone(&self) -> Self {
        let tail = match self.rare() {
            Some(r) => Tail {
                rare: ManuallyDrop::new(Box::new(r.clone())),
            },
            None => Tail {
                plain: self.plain(),
            },
        };
        LossRecord {
            tail,
            direct: self.direct,
            stack: self.stack,
            indirect: self.indirect,
            blocks: self.blocks,
            kind: self.kind,
        }
    }
}

impl LossRecord {
    /// Every value the record states, however it is stored.
    #[allow(clippy::type_complexity)]
    fn values(
        &self,
    ) -> (
        LeakKind,
        StackId,
        [u64; 4],
        Option<u32>,
        (Option<i64>, Option<i64>),
        Option<&str>,
    ) {
        (
            self.kind,
            self.stack,
            [
                self.direct_bytes(),
                self.indirect_bytes(),
                self.blocks(),
                self.line(),
            ],
            self.number(),
            (self.delta_bytes(), self.delta_blocks()),
            self.suppression(),
        )
    }
}

impl PartialEq for LossRecord {
    fn eq(&self, other: &Self) -> bool {
        self.values() == other.values()
    }
}

impl Eq for LossRecord {}

impl std::fmt::Debug for LossRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LossRecord")
            .field("kind", &self.kind)
            .field("stack", &self.stack)
            .field("direct_bytes", &self.direct_bytes())
            .field("indirect_bytes", &self.indirect_bytes())
            .field("blocks", &self.blocks())
            .field("line", &self.line())
            .field("number", &self.number())
            .field("delta_bytes", &self.delta_bytes())
            .field("delta_blocks", &self.delta_blocks())
            .field("suppression", &self.suppression())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stays_small() {
        // A million records are 24 MB: the 1 M small records shape's budget.
        const _: () = assert!(std::mem::size_of::<LossRecord>() == 24);
        assert_eq!(std::mem::size_of::<LossRecord>(), 24);
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

    /// What a record states, kept plainly: the model `LossRecord` must match.
    #[derive(Debug, Clone, PartialEq)]
    struct Model {
        figures: [u64; 4],
        number: Option<u32>,
        deltas: (Option<i64>, Option<i64>),
        suppression: Option<Box<str>>,
    }

    fn read(r: &LossRecord) -> Model {
        Model {
            figures: [r.direct_bytes(), r.indirect_bytes(), r.blocks(), r.line()],
            number: r.number(),
            deltas: (r.delta_bytes(), r.delta_blocks()),
            suppression: r.suppression().map(Into::into),
        }
    }

    #[test]
    fn every_value_survives_its_side_entry_coming_and_cloning() {
        // Values at and around each inline width and sentinel.
        let values = [
            0,
            1,
            0xff_fffe,
            0xff_ffff,
            1 << 24,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
            1 << 32,
            u64::MAX,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..200 {
            let mut r = LossRecord::new(LeakKind::StillReachable, 5, 6, 7, StackId(9), 11);
            let mut want = Model {
                figures: [5, 6, 7, 11],
                number: None,
                deltas: (None, None),
                suppression: None,
            };
            let mut copies = Vec::new();
            for _ in 0..12 {
                let v = values[next(values.len())];
                match next(7) {
                    k @ 0..=3 => {
                        want.figures[k] = v;
                        [
                            LossRecord::set_direct_bytes,
                            LossRecord::set_indirect_bytes,
                            LossRecord::set_blocks,
                            LossRecord::set_line,
                        ][k](&mut r, v)
                    }
                    4 => {
                        want.number = Some(v as u32).filter(|&n| n != 0);
                        r.set_number(want.number);
                    }
                    5 => {
                        want.deltas = (Some(v as i64), None);
                        r.set_deltas(want.deltas.0, None);
                    }
                    _ => {
                        want.suppression = Some(format!("{{{v}}}").into());
                        r.set_suppression(want.suppression.clone());
                    }
                }
                assert_eq!(read(&r), want);
                let copy = r.clone();
                assert_eq!(copy, r);
                copies.push((copy, want.clone()));
            }
            // Each copy kept its values while the record changed on.
            for (copy, was) in &copies {
                assert_eq!(&read(copy), was);
            }
            assert_eq!((r.kind, r.stack), (LeakKind::StillReachable, StackId(9)));
        }
    }
}
