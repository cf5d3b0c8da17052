//! Work split in two halves, one per core, where there are two: what is
//! left after the parse and the rules runs on a machine of two cores, and
//! one core alone would leave the other idle to the end.

use std::ops::Range;

/// Whether this process may use a second core.
fn two_cores() -> bool {
    std::thread::available_parallelism().map_or(1, |c| c.get()) >= 2
}

/// `f` over `0..n`, in two halves on two cores when `n` is `split_at` or
/// more: the halves' results in order (one result when not split).
pub fn on_halves<T: Send>(
    n: usize,
    split_at: usize,
    f: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    if n < split_at.max(2) || !two_cores() {
        return vec![f(0..n)];
    }
    let half = n / 2;
    let f = &f;
    std::thread::scope(|scope| {
        let second = scope.spawn(move || f(half..n));
        let first = f(0..half);
        let second = second
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        vec![first, second]
    })
}

/// `f` on each item of `items`, in order: half of them on each core from
/// `split_at` items.
pub fn map_halves<T: Send, U: Send>(
    mut items: Vec<T>,
    split_at: usize,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    if items.len() < split_at.max(2) || !two_cores() {
        return items.into_iter().map(f).collect();
    }
    let later = items.split_off(items.len() / 2);
    let f = &f;
    std::thread::scope(|scope| {
        let second = scope.spawn(move || later.into_iter().map(f).collect::<Vec<U>>());
        let mut out: Vec<U> = Vec::with_capacity(items.len() * 2 + 1);
        out.extend(items.into_iter().map(f));
        let second = second
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        out.extend(second);
        out
    })
}

/// `items` sorted by `cmp`, each half sorted on a core and the halves
/// merged; `cmp` must be a total order without ties (equal items would come
/// out in an order of their own).
pub fn sort_halves<T: Send>(
    mut items: Vec<T>,
    split_at: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Sync,
) -> Vec<T> {
    if items.len() < split_at.max(2) || !two_cores() {
        items.sort_unstable_by(&cmp);
        return items;
    }
    let mut later = items.split_off(items.len() / 2);
    let cmp = &cmp;
    std::thread::scope(|scope| {
        let second = scope.spawn(|| later.sort_unstable_by(cmp));
        items.sort_unstable_by(cmp);
        second
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
    });
    let mut out = Vec::with_capacity(items.len() + later.len());
    let (mut a, mut b) = (items.into_iter().peekable(), later.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => cmp(x, y) != std::cmp::Ordering::Greater,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_give_what_one_pass_gives() {
        let items: Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 1009).collect();
        for split_at in [0, 10, usize::MAX] {
            let sums = on_halves(items.len(), split_at, |r| items[r].iter().sum::<u64>());
            assert_eq!(sums.iter().sum::<u64>(), items.iter().sum::<u64>());
            assert_eq!(sums.len(), if split_at == usize::MAX { 1 } else { 2 });
            let doubled = map_halves(items.clone(), split_at, |x| x * 2);
            assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
            let mut want = items.clone();
            want.sort();
            let keyed: Vec<(u64, usize)> = items.iter().copied().zip(0..).collect();
            let got = sort_halves(keyed, split_at, |a, b| a.cmp(b));
            assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), want);
        }
        assert!(map_halves(Vec::<u8>::new(), 0, |x| x).is_empty());
        assert!(sort_halves(vec![1u8], 0, |a, b| a.cmp(b)) == [1]);
    }
}
