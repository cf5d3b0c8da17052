//! Groups matched across runs: the common ground of the two-run diff and the
//! scaling view over several runs.
//!
//! A group is (process, kind, signature, hiding rule). The rule is part of the
//! key so that what rules hide is kept apart from what stays visible but still
//! compared, run against run, like everything else.

use super::hide::{Hider, Item};
use super::own::OwnCode;
use super::pairing::{align_processes, ProcessChain};
use super::signature::{signature_with, Signature, SignatureOptions};
use super::totals::Totals;
use crate::model::{ErrorKind, LeakKind, Report, StackId};
use rustc_hash::FxHashMap;

/// A leak kind or an error kind: errors are compared in the same list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKind {
    Leak(LeakKind),
    Error(ErrorKind),
}

impl GroupKind {
    /// The JSON name: `definitely_lost`… for leaks, `InvalidRead`… for errors.
    pub fn key(&self) -> &str {
        match self {
            GroupKind::Leak(k) => k.key(),
            GroupKind::Error(e) => e.as_str(),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, GroupKind::Error(_))
    }

    /// Whether the group's bytes are its own to count in a growth total:
    /// errors have none, and indirectly lost bytes are already inside the
    /// total bytes of the records whose blocks point to them.
    pub fn counts_toward_growth(&self) -> bool {
        !matches!(
            self,
            GroupKind::Error(_) | GroupKind::Leak(LeakKind::IndirectlyLost)
        )
    }
}

/// One group in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    /// For error groups `records` counts contexts and the byte fields are 0.
    pub totals: Totals,
    /// Error occurrences (a context seen N times counts N where the log says);
    /// 0 for leaks.
    pub occurrences: u128,
    /// Indices into the process's `loss_records()` (leaks) or `errors`.
    pub items: Vec<usize>,
}

impl Side {
    pub fn is_empty(&self) -> bool {
        self.totals.records == 0
    }
}

/// A group followed across runs.
#[derive(Debug, Clone)]
pub struct Compared {
    /// Index into the chains the groups were compared under.
    pub chain: usize,
    pub kind: GroupKind,
    pub signature: Signature,
    /// The rule that hid these records (on every run alike); `None` if visible.
    pub hidden_by: Option<String>,
    /// One per run, in run order.
    pub sides: Vec<Side>,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub chains: Vec<ProcessChain>,
    /// In no particular order; the diff and the scaling view sort.
    pub groups: Vec<Compared>,
}

type Key = (usize, GroupKind, Signature, Option<String>);

/// Matches processes across `reports`, then groups every record and error of
/// every run under its chain, kind, signature and hiding rule.
pub fn compare(reports: &[&Report], opts: &SignatureOptions, hider: &dyn Hider) -> Comparison {
    let chains = align_processes(reports);
    let runs = reports.len();
    let mut index: FxHashMap<Key, usize> = FxHashMap::default();
    let mut groups: Vec<Compared> = Vec::new();
    for (run, report) in reports.iter().enumerate() {
        let mut sigs: FxHashMap<StackId, Signature> = FxHashMap::default();
        let own = opts.by_origin.then(|| OwnCode::of(&report.interner));
        let mut sig_of = |stack: StackId| {
            sigs.entry(stack)
                .or_insert_with(|| signature_with(&report.interner, own.as_ref(), stack, opts))
                .clone()
        };
        for (c, chain) in chains.iter().enumerate() {
            let Some(p) = chain.procs[run] else { continue };
            let process = &report.processes[p];
            for (i, r) in process.loss_records().iter().enumerate() {
                let key = (
                    c,
                    GroupKind::Leak(r.kind),
                    sig_of(r.stack),
                    hider.hidden_by(report, p, Item::Record(i)),
                );
                let side = slot(&mut index, &mut groups, key, runs, run);
                side.totals.add(r);
                side.items.push(i);
            }
            for (i, e) in process.errors.iter().enumerate() {
                let key = (
                    c,
                    GroupKind::Error(e.kind.clone()),
                    sig_of(e.stack),
                    hider.hidden_by(report, p, Item::Error(i)),
                );
                let side = slot(&mut index, &mut groups, key, runs, run);
                side.totals.records += 1;
                side.occurrences += u128::from(e.count);
                side.items.push(i);
            }
        }
    }
    Comparison { chains, groups }
}

/// The side of `run` in the group of `key`, creating the group on first use.
fn slot<'a>(
    index: &mut FxHashMap<Key, usize>,
    groups: &'a mut Vec<Compared>,
    key: Key,
    runs: usize,
    run: usize,
) -> &'a mut Side {
    let g = *index.entry(key).or_insert_with_key(|k| {
        groups.push(Compared {
            chain: k.0,
            kind: k.1.clone(),
            signature: k.2.clone(),
            hidden_by: k.3.clone(),
            sides: vec![Side::default(); runs],
        });
        groups.len() - 1
    });
    &mut groups[g].sides[run]
}
