//! Which group a loss record is in, found from its stack rather than kept
//! per record: a group is a (kind, label) and a label is a function of the
//! stack, so the index keeps a label number per stack (`StackLabels`, in
//! as few bytes as the labels need) and, per process, each label's group in
//! each leak kind's category (`LabelGroups`). 6.8 M records of one stack
//! cost a byte, not 6.8 MB (a byte a record) or 27 MB (a list entry a
//! record): the explorer needs no more than `summary` plus what it shows.

use crate::model::{Interner, LossRecord, StackId};
use crate::triage::tally::{Key, StackKeys};
use rustc_hash::FxHashMap;

/// No group: a label the process has no record of in that kind.
pub const NONE: u32 = u32::MAX;

/// Numbers in as few bytes as the largest needs.
#[derive(Debug, Clone)]
enum Narrow {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Narrow {
    /// `len` zeros, for numbers below `count`.
    fn new(len: usize, count: usize) -> Narrow {
        if count <= 1 << 8 {
            Narrow::U8(vec![0; len])
        } else if count <= 1 << 16 {
            Narrow::U16(vec![0; len])
        } else {
            Narrow::U32(vec![0; len])
        }
    }

    /// Sets entry `i` to `v` (which fits: see `new`).
    fn set(&mut self, i: usize, v: u32) {
        match self {
            Narrow::U8(t) => t[i] = v as u8,
            Narrow::U16(t) => t[i] = v as u16,
            Narrow::U32(t) => t[i] = v,
        }
    }
}

/// Per stack of the interner, the number of its label under the index's
/// grouping (0 for a stack no loss record names).
#[derive(Debug, Clone)]
pub struct StackLabels {
    table: Narrow,
    /// How many labels there are.
    count: usize,
}

impl Default for StackLabels {
    fn default() -> Self {
        StackLabels {
            table: Narrow::U8(Vec::new()),
            count: 0,
        }
    }
}

impl StackLabels {
    /// Numbers every stack by its key's label: `by_key` gives the number
    /// (below `count`) of each key the loss records name, as the tally
    /// numbered it (`triage::tally::tally_numbered`), so no label is
    /// written again here.
    pub fn of(
        interner: &Interner,
        keys: &StackKeys,
        by_key: &FxHashMap<Key, u32>,
        count: usize,
    ) -> StackLabels {
        let stacks = interner.stack_count();
        let mut table = Narrow::new(stacks, count);
        for s in 0..stacks {
            if let Some(&n) = by_key.get(&keys.get(StackId(s as u32))) {
                table.set(s, n);
            }
        }
        StackLabels { table, count }
    }
}

/// A process's groups by label: per label, its group's position in each
/// leak kind's category (by `LeakKind::index`). Dense while the labels are
/// not many more than the process's records (a process of a multi-process
/// log names few of them), a map otherwise.
#[derive(Debug, Clone)]
pub enum LabelGroups {
    Dense(Vec<[u32; 4]>),
    Sparse(FxHashMap<u32, [u32; 4]>),
}

impl LabelGroups {
    pub fn new(labels: &StackLabels, records: usize) -> LabelGroups {
        if labels.count <= 4 * records + 1024 {
            LabelGroups::Dense(vec![[NONE; 4]; labels.count])
        } else {
            LabelGroups::Sparse(FxHashMap::default())
        }
    }

    /// Records that `label`'s group in leak kind `kind` is at `position`.
    pub fn set(&mut self, label: u32, kind: usize, position: u32) {
        match self {
            LabelGroups::Dense(t) => t[label as usize][kind] = position,
            LabelGroups::Sparse(m) => m.entry(label).or_insert([NONE; 4])[kind] = position,
        }
    }

    /// The group position of `label` in leak kind `kind` ([`NONE`]: none).
    pub fn get(&self, label: u32, kind: usize) -> u32 {
        match self {
            LabelGroups::Dense(t) => t[label as usize][kind],
            LabelGroups::Sparse(m) => m.get(&label).map_or(NONE, |g| g[kind]),
        }
    }
}

/// Calls `f(i, &records[i], its group's position in its kind's category)`
/// for every record in order: the widths are decided once, and the loop is
/// compiled for each.
#[inline]
pub fn each_record(
    labels: &StackLabels,
    groups: &LabelGroups,
    records: &[LossRecord],
    f: impl FnMut(usize, &LossRecord, u32),
) {
    match (&labels.table, groups) {
        (Narrow::U8(t), LabelGroups::Dense(g)) => walk(records, |s| t[s].into(), dense(g), f),
        (Narrow::U16(t), LabelGroups::Dense(g)) => walk(records, |s| t[s].into(), dense(g), f),
        (Narrow::U32(t), LabelGroups::Dense(g)) => walk(records, |s| t[s], dense(g), f),
        (table, groups) => {
            let label = |s: usize| match table {
                Narrow::U8(t) => t[s].into(),
                Narrow::U16(t) => t[s].into(),
                Narrow::U32(t) => t[s],
            };
            walk(records, label, |l, k| groups.get(l, k), f)
        }
    }
}

fn dense(g: &[[u32; 4]]) -> impl Fn(u32, usize) -> u32 + '_ {
    move |l, k| g[l as usize][k]
}

#[inline(always)]
fn walk(
    records: &[LossRecord],
    label: impl Fn(usize) -> u32,
    group: impl Fn(u32, usize) -> u32,
    mut f: impl FnMut(usize, &LossRecord, u32),
) {
    // Neighbours often share a stack (6.8 M records of one).
    let mut last = (u32::MAX, 0);
    for (i, r) in records.iter().enumerate() {
        let l = if r.stack.0 == last.0 {
            last.1
        } else {
            let l = label(r.stack.0 as usize);
            last = (r.stack.0, l);
            l
        };
        f(i, r, group(l, r.kind.index()));
    }
}

/// The group of one record (as [`each_record`] gives it).
pub fn group_of(labels: &StackLabels, groups: &LabelGroups, r: &LossRecord) -> u32 {
    let s = r.stack.0 as usize;
    let l = match &labels.table {
        Narrow::U8(t) => t[s].into(),
        Narrow::U16(t) => t[s].into(),
        Narrow::U32(t) => t[s],
    };
    groups.get(l, r.kind.index())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_tables_take_the_narrowest_width() {
        for (count, wide) in [(1, 1), (256, 1), (257, 2), (65_536, 2), (65_537, 4)] {
            let mut t = Narrow::new(3, count);
            let width = match &t {
                Narrow::U8(_) => 1,
                Narrow::U16(_) => 2,
                Narrow::U32(_) => 4,
            };
            assert_eq!(width, wide, "{count} labels");
            t.set(2, count as u32 - 1);
        }
    }

    #[test]
    fn label_groups_dense_and_sparse_agree() {
        let labels = StackLabels {
            table: Narrow::U8(vec![0, 1, 2]),
            count: 3,
        };
        let mut dense = LabelGroups::new(&labels, 10);
        let mut sparse = LabelGroups::Sparse(FxHashMap::default());
        assert!(matches!(dense, LabelGroups::Dense(_)));
        for g in [&mut dense, &mut sparse] {
            g.set(2, 1, 7);
            g.set(0, 3, 0);
        }
        for g in [&dense, &sparse] {
            assert_eq!(g.get(2, 1), 7);
            assert_eq!(g.get(0, 3), 0);
            assert_eq!(g.get(1, 0), NONE);
            assert_eq!(g.get(2, 0), NONE);
        }
    }
}
