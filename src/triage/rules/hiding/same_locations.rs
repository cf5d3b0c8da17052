//! Stacks that differ only by addresses, found in a batch of one process's
//! (stack, leak kind)s so that each is matched once.

use super::parts::in_parts;
use crate::model::{Interner, LeakKind, StackId};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// Groups one process's (stack, leak kind)s that would match alike (same
/// locations and leak kind): the index of each group's first entry, and
/// each entry's group. Keys are not stored: a candidate is compared with
/// its group's first entry frame by frame.
pub(super) fn same_locations(
    interner: &Interner,
    batch: &[(StackId, LeakKind)],
) -> (Vec<u32>, Vec<u32>) {
    let hash = |&(stack, kind): &(StackId, LeakKind)| {
        let mut h = FxHasher::default();
        for &f in interner.stack(stack) {
            h.write_u32(interner.location_of(f) as u32);
        }
        kind.index().hash(&mut h);
        h.finish()
    };
    let same = |&(a, ka): &(StackId, LeakKind), &(b, kb): &(StackId, LeakKind)| {
        let (sa, sb) = (interner.stack(a), interner.stack(b));
        ka == kb
            && sa.len() == sb.len()
            && sa
                .iter()
                .zip(sb)
                .all(|(&x, &y)| x == y || interner.location_of(x) == interner.location_of(y))
    };
    // Hashing walks every frame of every stack: done on every core, once
    // (the table is sized for the batch, so it never rehashes).
    let hashes = in_parts(batch, 4096, &mut Vec::new(), || (), |_, j| hash(j));
    let mut table: HashTable<u32> = HashTable::with_capacity(batch.len());
    let mut reps: Vec<u32> = Vec::new();
    let mut of = Vec::with_capacity(batch.len());
    for (i, entry) in batch.iter().enumerate() {
        let h = hashes[i];
        if let Some(&g) = table.find(h, |&g| same(&batch[reps[g as usize] as usize], entry)) {
            of.push(g);
            continue;
        }
        reps.push(i as u32);
        let g = reps.len() as u32 - 1;
        table.insert_unique(h, g, |&g| hashes[reps[g as usize] as usize]);
        of.push(g);
    }
    (reps, of)
}
