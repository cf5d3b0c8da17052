//! The scaling view: several runs of increasing workload (5, 20, 40 JIT
//! compiles; 1k, 10k requests), and per group how its bytes follow the
//! workload. Per-compile or per-request memory rises run after run; one-time
//! setup stays flat; that tells a real leak from infrastructure.

use super::compare::{compare, Compared, GroupKind, Side};
use super::hide::Hider;
use super::pairing::ProcessChain;
use super::signature::{Signature, SignatureOptions};
use crate::model::Report;
use serde::Serialize;
use std::cmp::Ordering;

/// Two values closer than this share of the larger one are "the same": lazily
/// sized tables and string interning move one-time groups by a few bytes
/// between runs.
pub const FLAT_RELATIVE: f64 = 0.01;
/// … or closer than this many bytes (error groups: occurrences).
pub const FLAT_ABSOLUTE: u128 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Rises with every run, and the last run is clearly above the first.
    Grows,
    /// Goes up and down, or stays still for a step: look closer.
    Mixed,
    /// The same in every run, within the tolerance.
    Flat,
    /// Falls with every run, and the last run is clearly below the first.
    Shrinks,
}

impl Trend {
    pub fn word(self) -> &'static str {
        match self {
            Trend::Grows => "grows",
            Trend::Mixed => "mixed",
            Trend::Flat => "flat",
            Trend::Shrinks => "shrinks",
        }
    }
}

/// Whether two values are equal within the tolerance.
pub fn same(a: u128, b: u128) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    hi - lo <= FLAT_ABSOLUTE.max((hi as f64 * FLAT_RELATIVE) as u128)
}

/// The verdict on one group's values, in run order.
pub fn classify(values: &[u128]) -> Trend {
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return Trend::Flat;
    };
    let (lo, hi) = values
        .iter()
        .fold((u128::MAX, 0), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if same(lo, hi) {
        return Trend::Flat;
    }
    let steps = || values.windows(2).map(|w| (w[0], w[1]));
    if last > first && !same(first, last) && steps().all(|(a, b)| b > a) {
        Trend::Grows
    } else if first > last && !same(first, last) && steps().all(|(a, b)| b < a) {
        Trend::Shrinks
    } else {
        Trend::Mixed
    }
}

/// Average change per step of `values`, last minus first over the steps.
pub fn slope(values: &[u128]) -> i128 {
    match (values.first(), values.last()) {
        (Some(&f), Some(&l)) if values.len() > 1 => {
            super::diff::delta(f, l) / (values.len() as i128 - 1)
        }
        _ => 0,
    }
}

/// Fastest growth first: growing, mixed, flat, shrinking; growing and mixed by
/// slope, flat by size, shrinking steepest first; then the larger last value.
/// The one order of the scaling view and of a process's timeline.
pub fn growth_order(a: Trend, av: &[u128], b: Trend, bv: &[u128]) -> Ordering {
    let last = |v: &[u128]| v.last().copied().unwrap_or(0);
    a.cmp(&b)
        .then_with(|| match a {
            Trend::Grows | Trend::Mixed => slope(bv).cmp(&slope(av)),
            Trend::Flat => last(bv).cmp(&last(av)),
            Trend::Shrinks => slope(av).cmp(&slope(bv)),
        })
        .then_with(|| last(bv).cmp(&last(av)))
}

#[derive(Debug, Clone)]
pub struct TrendGroup {
    /// Index into [`Trends::chains`].
    pub chain: usize,
    pub kind: GroupKind,
    pub signature: Signature,
    pub hidden_by: Option<String>,
    pub trend: Trend,
    /// One per run, in run order.
    pub runs: Vec<Side>,
}

impl TrendGroup {
    /// What the verdict is about: total bytes, or occurrences for errors.
    pub fn values(&self) -> Vec<u128> {
        self.runs.iter().map(|s| measure(&self.kind, s)).collect()
    }

    /// Average change per run step, last minus first over the steps: for runs
    /// at evenly spaced workloads, bytes per workload step.
    pub fn slope(&self) -> i128 {
        slope(&self.values())
    }

    pub fn is_visible(&self) -> bool {
        self.hidden_by.is_none()
    }
}

fn measure(kind: &GroupKind, s: &Side) -> u128 {
    match kind {
        GroupKind::Leak(_) => s.totals.total_bytes,
        GroupKind::Error(_) => s.occurrences,
    }
}

#[derive(Debug, Clone)]
pub struct Trends {
    /// Processes followed across the runs; `procs[k]` is run k's process.
    pub chains: Vec<ProcessChain>,
    /// Growing groups first, steepest first; then mixed, flat, shrinking.
    pub groups: Vec<TrendGroup>,
}

impl Trends {
    /// Growth from the first run to the last, over visible groups: what a
    /// growth gate checks in this view (indirectly lost left out, as in
    /// [`super::diff::Diff::visible_growth`]).
    pub fn visible_growth(&self) -> u128 {
        self.groups
            .iter()
            .filter(|g| g.is_visible() && g.kind.counts_toward_growth())
            .map(|g| {
                let v = g.values();
                let (f, l) = (v.first().copied(), v.last().copied());
                l.unwrap_or(0).saturating_sub(f.unwrap_or(0))
            })
            .fold(0, u128::saturating_add)
    }
}

/// Follows every group across `runs`, which must be in increasing workload
/// order. Every run goes through the same `hider`.
pub fn trends(runs: &[&Report], opts: &SignatureOptions, hider: &dyn Hider) -> Trends {
    let cmp = compare(runs, opts, hider);
    let mut groups: Vec<TrendGroup> = cmp.groups.into_iter().map(to_trend_group).collect();
    groups.sort_by(trend_order);
    Trends {
        chains: cmp.chains,
        groups,
    }
}

fn to_trend_group(c: Compared) -> TrendGroup {
    let values: Vec<u128> = c.sides.iter().map(|s| measure(&c.kind, s)).collect();
    TrendGroup {
        chain: c.chain,
        trend: classify(&values),
        kind: c.kind,
        signature: c.signature,
        hidden_by: c.hidden_by,
        runs: c.sides,
    }
}

/// Leaks before errors within a verdict, since bytes and occurrences do not
/// compare; growing and mixed by slope, flat by size, shrinking steepest first.
fn trend_order(a: &TrendGroup, b: &TrendGroup) -> Ordering {
    a.trend
        .cmp(&b.trend)
        .then_with(|| a.kind.is_error().cmp(&b.kind.is_error()))
        .then_with(|| growth_order(a.trend, &a.values(), b.trend, &b.values()))
        .then_with(|| a.chain.cmp(&b.chain))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.signature.cmp(&b.signature))
        .then_with(|| a.hidden_by.cmp(&b.hidden_by))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(classify(&[100, 2_000, 8_000]), Trend::Grows);
        assert_eq!(classify(&[8_000, 2_000, 100]), Trend::Shrinks);
        assert_eq!(classify(&[5_000, 5_000, 5_000]), Trend::Flat);
        // A few bytes of jitter in a one-time group is still flat.
        assert_eq!(classify(&[100_000, 100_400, 100_200]), Trend::Flat);
        assert_eq!(classify(&[0, 24, 48]), Trend::Flat);
        // Growth that stops for a step, or comes and goes, is not "grows".
        assert_eq!(classify(&[1_000, 1_000, 9_000]), Trend::Mixed);
        assert_eq!(classify(&[1_000, 9_000, 4_000]), Trend::Mixed);
        // Strictly rising, but only within the tolerance overall: flat.
        assert_eq!(classify(&[10_000, 10_010, 10_020]), Trend::Flat);
        assert_eq!(classify(&[]), Trend::Flat);
    }
}
