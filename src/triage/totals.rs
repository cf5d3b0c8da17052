//! Byte, block and record totals per leak kind.

use crate::model::LossRecord;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Direct bytes: what valgrind's LEAK SUMMARY counts.
    pub bytes: u64,
    /// Direct plus indirect bytes: what XML's `<leakedbytes>` counts.
    pub total_bytes: u64,
    pub blocks: u64,
    pub records: u64,
}

impl Totals {
    pub fn add(&mut self, r: &LossRecord) {
        self.bytes += r.direct_bytes;
        self.total_bytes += r.total_bytes();
        self.blocks += r.blocks;
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
