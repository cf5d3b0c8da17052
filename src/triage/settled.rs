//! Growth that stopped: set-up spread over several searches.
//!
//! A program watched from its start grows while it starts up (a Python
//! service imports modules for minutes under valgrind), then settles. A group
//! that grew only then is set-up, not a leak — but from the first search to
//! the last it did grow, so the safety net ([`super::hidden_growth`]) would
//! flag the rule hiding it as hiding growth for the whole run.
//!
//! The rule here: a group **settled** at search *k*, its last rise, when it
//! did not rise again (within the trend tolerance; falling, e.g. objects
//! freed at exit, is no rise) over at least [`SETTLED_SEARCHES`] searches up
//! to the last, *while another group kept growing*: the
//! program was doing its repeated work (each compile, each request) and this
//! group did not take part. Its growth before *k* is start-up growth, said
//! apart (never dropped silently); the safety net judges it from *k* on.
//! When nothing else grew meanwhile (an idle program), a flat stretch proves
//! nothing and the group is judged over the whole run, as before.

use super::timeline::TimelineGroup;
use super::trend::{same, Trend};

/// How many searches after its last rise a group must not rise again.
pub const SETTLED_SEARCHES: usize = 2;

/// The word for a group's trend: `start-up` for one that grew and then
/// settled (its growth was set-up, see the module documentation), else the
/// trend's own word.
pub fn trend_word(trend: Trend, settled_at: Option<usize>) -> &'static str {
    if is_startup(trend, settled_at) {
        "start-up"
    } else {
        trend.word()
    }
}

/// Whether a group (or node) grew during start-up only: it grew, and it
/// settled (see the module documentation). Such growth is set-up, not a
/// leak: it is not listed as growing, marked `↑`, or kept by "only what grows".
pub fn is_startup(trend: Trend, settled_at: Option<usize>) -> bool {
    trend == Trend::Grows && settled_at.is_some()
}

/// For each group, the search from which it settled (see the module
/// documentation), or `None`.
pub fn settled_at(groups: &[TimelineGroup]) -> Vec<Option<usize>> {
    let n = groups.first().map_or(0, |g| g.total_bytes.len());
    // growing_after[k]: whether some growing group rose from search k to the
    // last one.
    let mut growing_after = vec![false; n];
    for g in groups.iter().filter(|g| g.trend == Trend::Grows) {
        let v = &g.total_bytes;
        let last = v[n - 1];
        for (k, slot) in growing_after.iter_mut().enumerate() {
            *slot |= last > v[k] && !same(v[k], last);
        }
    }
    groups
        .iter()
        .map(|g| {
            let v = &g.total_bytes;
            // Its last rise: a fall after it (objects freed at exit) is no
            // growth, so it does not undo the settling.
            let k = (1..n)
                .rev()
                .find(|&i| v[i] > v[i - 1] && !same(v[i - 1], v[i]))?;
            (n - 1 - k >= SETTLED_SEARCHES && growing_after[k]).then_some(k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LeakKind;
    use crate::triage::signature::Signature;
    use crate::triage::timeline::timeline_trend;

    fn group(values: &[u128]) -> TimelineGroup {
        TimelineGroup {
            kind: LeakKind::StillReachable,
            signature: Signature::default(),
            hidden_by: Some("rule".into()),
            total_bytes: values.to_vec(),
            trend: timeline_trend(values),
            settled_at: None,
        }
    }

    #[test]
    fn start_up_growth_settles_only_while_other_work_grows() {
        let import = group(&[1_000, 50_000, 90_000, 90_000, 90_000, 90_000]);
        let per_compile = group(&[0, 0, 4_096, 8_192, 12_288, 16_384]);
        let once = group(&[0, 0, 65_536, 65_536, 65_536, 65_536]);
        // The import group settled at search 2; the per-compile group never
        // does; a one-time group settles too (the safety net sees it flat).
        assert_eq!(
            settled_at(&[import.clone(), per_compile.clone(), once]),
            [Some(2), None, Some(2)]
        );
        // Idle after start-up (nothing else grows): no verdict, judged whole.
        assert_eq!(settled_at(std::slice::from_ref(&import)), [None]);
        // Flat for one search only is not yet settled.
        let late = group(&[1_000, 50_000, 90_000, 90_000, 120_000, 150_000]);
        let recent = group(&[1_000, 50_000, 90_000, 130_000, 130_000, 130_000]);
        assert_eq!(
            settled_at(&[late, recent, per_compile.clone()]),
            [None, Some(3), None]
        );
        // Objects freed at exit do not undo the settling.
        let freed = group(&[1_000, 50_000, 90_000, 90_000, 90_000, 60_000]);
        assert_eq!(settled_at(&[freed, per_compile.clone()]), [Some(2), None]);
        // A per-compile group that rose at every search is never settled,
        // even beside another growing group.
        let per_request = group(&[256, 512, 768, 1_024, 1_280, 1_536]);
        assert_eq!(settled_at(&[per_request, per_compile]), [None, None]);
    }
}
