//! Two runs compared: which groups are new, grown, shrunk, unchanged or gone.
//!
//! The question for a long-running service is not what is allocated at exit
//! but what grows: a group that rises from a short run to a long one is the
//! leak, a group that stays the same is one-time setup.

use super::compare::{compare, Compared, GroupKind, Side};
use super::hide::{Hider, Item};
use super::pairing::ProcessChain;
use super::signature::{Signature, SignatureOptions};
use crate::model::Report;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    pub signature: SignatureOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Grown,
    Unchanged,
    Shrunk,
    Gone,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Grown,
        Status::Unchanged,
        Status::Shrunk,
        Status::Gone,
    ];

    /// The one-character marker of text output and the explorer.
    pub fn marker(self) -> char {
        match self {
            Status::New => '+',
            Status::Grown => '↑',
            Status::Unchanged => '=',
            Status::Shrunk => '↓',
            Status::Gone => '−',
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Grown => "grown",
            Status::Unchanged => "unchanged",
            Status::Shrunk => "shrunk",
            Status::Gone => "gone",
        }
    }
}

/// Which of the two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    Base,
    New,
}

#[derive(Debug, Clone)]
pub struct DiffGroup {
    /// Index into [`Diff::chains`]: the process pair the group belongs to.
    pub chain: usize,
    pub kind: GroupKind,
    pub signature: Signature,
    pub hidden_by: Option<String>,
    pub status: Status,
    pub base: Side,
    pub new: Side,
}

/// `new - base`, exact for any sum of u64 figures (those stay below 2^127);
/// saturated rather than wrapped beyond.
pub fn delta(base: u128, new: u128) -> i128 {
    let clamp = |v: u128| i128::try_from(v).unwrap_or(i128::MAX);
    clamp(new).saturating_sub(clamp(base))
}

impl DiffGroup {
    pub fn delta_bytes(&self) -> i128 {
        delta(self.base.totals.bytes, self.new.totals.bytes)
    }

    pub fn delta_total_bytes(&self) -> i128 {
        delta(self.base.totals.total_bytes, self.new.totals.total_bytes)
    }

    pub fn delta_blocks(&self) -> i128 {
        delta(self.base.totals.blocks, self.new.totals.blocks)
    }

    pub fn delta_records(&self) -> i128 {
        delta(
            self.base.totals.records.into(),
            self.new.totals.records.into(),
        )
    }

    pub fn delta_occurrences(&self) -> i128 {
        delta(self.base.occurrences, self.new.occurrences)
    }

    pub fn is_visible(&self) -> bool {
        self.hidden_by.is_none()
    }

    pub fn side(&self, which: Which) -> &Side {
        match which {
            Which::Base => &self.base,
            Which::New => &self.new,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diff {
    /// Process pairs: `procs[0]` in the base report, `procs[1]` in the new one.
    pub chains: Vec<ProcessChain>,
    /// Largest growth (`delta_total_bytes`) first.
    pub groups: Vec<DiffGroup>,
    lookup: FxHashMap<(Which, usize, Item), usize>,
}

impl Diff {
    /// What a growth gate checks: the sum of the positive `delta_total_bytes`
    /// of groups no rule hides. Indirectly lost groups are left out: their
    /// bytes are already in the total bytes of the definitely or possibly
    /// lost records that own them, and counting both would double the growth.
    pub fn visible_growth(&self) -> u128 {
        self.groups
            .iter()
            .filter(|g| g.is_visible() && g.kind.counts_toward_growth())
            .map(|g| g.delta_total_bytes().max(0).unsigned_abs())
            .fold(0, u128::saturating_add)
    }

    /// The group a record or error of either run landed in: lets the explorer
    /// put delta columns next to the groups it builds itself.
    pub fn group_of(&self, which: Which, process: usize, item: Item) -> Option<&DiffGroup> {
        self.lookup
            .get(&(which, process, item))
            .map(|&g| &self.groups[g])
    }

    /// The position in [`Diff::groups`] of the group an item landed in.
    pub fn group_index_of(&self, which: Which, process: usize, item: Item) -> Option<usize> {
        self.lookup.get(&(which, process, item)).copied()
    }

    /// Visible groups with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.groups
            .iter()
            .filter(|g| g.is_visible() && g.status == status)
            .count()
    }
}

/// Compares two runs. Both go through the same `hider`, so rules treat them
/// alike; what it hides stays in the result with `hidden_by` set.
pub fn diff(base: &Report, new: &Report, opts: &DiffOptions, hider: &dyn Hider) -> Diff {
    let cmp = compare(&[base, new], &opts.signature, hider);
    let mut groups: Vec<DiffGroup> = cmp.groups.into_iter().map(to_diff_group).collect();
    groups.sort_by(growth_order);
    let mut lookup = FxHashMap::default();
    for (g, group) in groups.iter().enumerate() {
        let chain = &cmp.chains[group.chain];
        for (which, side, proc) in [
            (Which::Base, &group.base, chain.procs[0]),
            (Which::New, &group.new, chain.procs[1]),
        ] {
            let Some(p) = proc else { continue };
            for &i in &side.items {
                let item = match group.kind {
                    GroupKind::Leak(_) => Item::Record(i),
                    GroupKind::Error(_) => Item::Error(i),
                };
                lookup.insert((which, p, item), g);
            }
        }
    }
    Diff {
        chains: cmp.chains,
        groups,
        lookup,
    }
}

fn to_diff_group(c: Compared) -> DiffGroup {
    let mut sides = c.sides.into_iter();
    let base = sides.next().unwrap_or_default();
    let new = sides.next().unwrap_or_default();
    let status = status(&c.kind, &base, &new);
    DiffGroup {
        chain: c.chain,
        kind: c.kind,
        signature: c.signature,
        hidden_by: c.hidden_by,
        status,
        base,
        new,
    }
}

/// Exact comparison: a byte more is growth. Bytes decide first (they are what
/// a leak costs), then blocks and records; errors by occurrences, then contexts.
fn status(kind: &GroupKind, base: &Side, new: &Side) -> Status {
    if base.is_empty() {
        return Status::New;
    }
    if new.is_empty() {
        return Status::Gone;
    }
    let measure = |s: &Side| match kind {
        GroupKind::Leak(_) => (
            s.totals.total_bytes,
            s.totals.bytes,
            s.totals.blocks,
            u128::from(s.totals.records),
        ),
        GroupKind::Error(_) => (s.occurrences, u128::from(s.totals.records), 0, 0),
    };
    match measure(new).cmp(&measure(base)) {
        Ordering::Greater => Status::Grown,
        Ordering::Less => Status::Shrunk,
        Ordering::Equal => Status::Unchanged,
    }
}

/// Largest growth first; among equal growth, new before grown before
/// unchanged…, then the biggest group, then by name so the order is stable.
fn growth_order(a: &DiffGroup, b: &DiffGroup) -> Ordering {
    b.delta_total_bytes()
        .cmp(&a.delta_total_bytes())
        .then_with(|| a.status.cmp(&b.status))
        .then_with(|| b.delta_occurrences().cmp(&a.delta_occurrences()))
        .then_with(|| b.new.totals.total_bytes.cmp(&a.new.totals.total_bytes))
        .then_with(|| b.base.totals.total_bytes.cmp(&a.base.totals.total_bytes))
        .then_with(|| a.chain.cmp(&b.chain))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.signature.cmp(&b.signature))
        .then_with(|| a.hidden_by.cmp(&b.hidden_by))
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
