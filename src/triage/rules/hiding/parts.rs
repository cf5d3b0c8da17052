//! Work split over every core, in order.

/// `f` of every item, in order, computed in parts of at least `min_part`
/// items on up to 4 threads; part k works with `states[k]` (made with `new`
/// when missing, kept for the next call: a matcher's per-location verdicts).
pub(super) fn in_parts<T: Sync, S: Send, R: Send>(
    items: &[T],
    min_part: usize,
    states: &mut Vec<S>,
    new: impl Fn() -> S,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let per = items.len().div_ceil(threads).max(min_part);
    while states.len() < items.len().div_ceil(per) {
        states.push(new());
    }
    if items.len() <= per {
        // One part (or none): no thread to start.
        return match states.first_mut() {
            Some(state) => items.iter().map(|t| f(state, t)).collect(),
            None => Vec::new(),
        };
    }
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per)
            .zip(states.iter_mut())
            .map(|(part, state)| {
                scope.spawn(move || part.iter().map(|t| f(state, t)).collect::<Vec<R>>())
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::in_parts;

    #[test]
    fn work_done_in_parts_is_each_items_in_order() {
        let hash = |x: &u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 7);
        for n in [0u64, 1, 4_095, 20_001, 70_000] {
            let jobs: Vec<u64> = (0..n).collect();
            let serial: Vec<u64> = jobs.iter().map(hash).collect();
            let mut states = Vec::new();
            let hashes = in_parts(&jobs, 4096, &mut states, || (), |_, j| hash(j));
            assert_eq!(hashes, serial, "{n} jobs");
        }
    }
}
