//! Stacks that differ only by addresses, found in a batch of record jobs so
//! that each is matched once.

use super::parts::in_parts;
use super::{Item, Job};
use crate::model::Interner;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// Groups record jobs that would match alike (same locations, leak kind,
/// kind of log and --num-callers): the index of each group's first job,
/// and each job's group. Keys are not stored: a candidate is compared with
/// its group's first job frame by frame.
pub(super) fn same_locations(interner: &Interner, jobs: &[Job]) -> (Vec<usize>, Vec<usize>) {
    let key = |job: &Job| match job.item {
        Item::Record(stack, kind) => Some((interner.stack(stack), kind, job.limit, job.lsan)),
        Item::Error(_) => None,
    };
    let hash = |job: &Job| {
        let mut h = FxHasher::default();
        if let Some((stack, kind, limit, lsan)) = key(job) {
            for &f in stack {
                h.write_u32(interner.location_of(f) as u32);
            }
            (kind.index(), limit, lsan).hash(&mut h);
        }
        h.finish()
    };
    let same = |a: &Job, b: &Job| match (key(a), key(b)) {
        (Some((sa, ka, la, ma)), Some((sb, kb, lb, mb))) => {
            (ka, la, ma) == (kb, lb, mb)
                && sa.len() == sb.len()
                && sa
                    .iter()
                    .zip(sb)
                    .all(|(&x, &y)| x == y || interner.location_of(x) == interner.location_of(y))
        }
        _ => false,
    };
    // Hashing walks every frame of every stack: done on every core, once
    // (the table is sized for the batch, so it never rehashes).
    let hashes = in_parts(jobs, 4096, &mut Vec::new(), || (), |_, j| hash(j));
    let mut table: HashTable<usize> = HashTable::with_capacity(jobs.len());
    let mut reps: Vec<usize> = Vec::new();
    let mut of = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let h = hashes[i];
        if let Some(&g) = table.find(h, |&g| same(&jobs[reps[g]], job)) {
            of.push(g);
            continue;
        }
        reps.push(i);
        let g = reps.len() - 1;
        table.insert_unique(h, g, |&g| hashes[reps[g]]);
        of.push(g);
    }
    (reps, of)
}
