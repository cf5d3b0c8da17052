//! Byte, block and record totals per leak kind.
//!
//! Sums are u128: a record's figures are u64 (what valgrind prints), and a
//! sum of up to 2^64 of them cannot wrap, so two records of 2^63 bytes total
//! 2^64 bytes, not 0. JSON writes them as exact integers.

use crate::model::LossRecord;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Direct bytes: what valgrind's LEAK SUMMARY counts.
    pub bytes: u128,
    /// Direct plus indirect bytes: what XML's `<leakedbytes>` counts.
    pub total_bytes: u128,
    pub blocks: u128,
    /// Records are counted one by one, so a u64 cannot wrap.
    pub records: u64,
}

impl Totals {
    pub fn add(&mut self, r: &LossRecord) {
        self.bytes += u128::from(r.direct_bytes());
        self.total_bytes += r.total_bytes();
        self.blocks += u128::from(r.blocks());
        self.records += 1;
    }

    pub fn merge(&mut self, o: &Totals) {
        self.bytes += o.bytes;
        self.total_bytes += o.total_bytes;
        self.blocks += o.blocks;
        self.records += o.records;
    }
}

/// Totals per kind, indexed by `LeakKind::index()`.
pub fn leak_totals<'a>(records: impl IntoIterator<Item = &'a LossRecord>) -> [Totals; 4] {
    let mut t = [Totals::default(); 4];
    for r in records {
        t[r.kind.index()].add(r);
    }
    t
}
