//! Timelines: how each group of one process changes across its leak searches.
//!
//! A process searched more than once — vgdb snapshots of a `leakscope run`, or
//! a program calling `VALGRIND_DO_LEAK_CHECK` / `VALGRIND_DO_ADDED_LEAK_CHECK` —
//! tells what grows while it runs. Each group (kind × top frame × hiding rule)
//! gets its total bytes at every search and the same verdict as the scaling
//! view over several runs ([`super::trend::classify`]), so "grows" means one
//! thing in `diff` and here.
//!
//! Incremental searches (`ADDED` / `CHANGED`, records printed with `(+N)`)
//! list only what changed: a record they leave out keeps the value it had at
//! the search before, so a one-time group stays flat instead of dropping to 0.

use super::signature::{signature, Signature, SignatureOptions};
use super::totals::Totals;
use super::trend::{classify, growth_order, same, slope, Trend};
use crate::model::{LeakKind, LeakSearch, LossRecord, Process, Report, SearchOrigin, StackId};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Where a leak search came from, as the JSON contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SearchSource {
    /// A vgdb `leak_check` snapshot taken by `leakscope run`.
    Snapshot,
    /// A search in the log before the one at exit: the program asked for it.
    ClientRequest,
    /// The search valgrind runs when the process ends.
    Exit,
    /// The last search of a log that ends without a HEAP SUMMARY (still
    /// running, or cut off): it may be either.
    Unknown,
}

impl Search {
    /// How long after it was asked for a snapshot was taken, when that is
    /// more than [`LATE_AFTER`] (its point belongs to the later time).
    pub fn late_by(&self) -> Option<f64> {
        late_by(self.time_s, self.asked_s)
    }
}

/// How late a search taken at `time_s` and asked for at `asked_s` came, when
/// it came late at all.
pub fn late_by(time_s: Option<f64>, asked_s: Option<f64>) -> Option<f64> {
    let late = time_s? - asked_s?;
    (late >= LATE_AFTER).then_some(late)
}

/// A snapshot taken this many seconds or more after it was asked for is
/// called late (a prompt one starts well within a second).
pub const LATE_AFTER: f64 = 2.0;

impl SearchSource {
    pub fn word(self) -> &'static str {
        match self {
            SearchSource::Snapshot => "snapshot",
            SearchSource::ClientRequest => "client-request",
            SearchSource::Exit => "exit",
            SearchSource::Unknown => "unknown",
        }
    }
}

/// One leak search of the timeline.
#[derive(Debug, Clone)]
pub struct Search {
    pub source: SearchSource,
    /// Seconds since valgrind started (`--time-stamp=yes`), if known.
    pub time_s: Option<f64>,
    /// For a snapshot, when it was asked for (same clock): a process busy in
    /// a system call serves it later, and its search tells that later time.
    pub asked_s: Option<f64>,
    /// Every record alive at this search, per kind (indexed by
    /// `LeakKind::index()`), counting those an incremental search left out.
    pub leaks: [Totals; 4],
}

/// One group followed across the searches.
#[derive(Debug, Clone)]
pub struct TimelineGroup {
    pub kind: LeakKind,
    pub signature: Signature,
    /// The rule hiding the group's records; `None` when visible.
    pub hidden_by: Option<String>,
    /// Direct plus indirect bytes at each search (0 where it had no record).
    pub total_bytes: Vec<u128>,
    pub trend: Trend,
    /// The search from which it stayed the same while other groups kept
    /// growing: its growth before was start-up ([`super::settled`]).
    pub settled_at: Option<usize>,
}

impl TimelineGroup {
    /// The label `leakscope summary` gives the group.
    pub fn top_frame(&self) -> String {
        self.signature.top_label()
    }

    /// Average change per search step (last minus first over the steps).
    pub fn bytes_per_search(&self) -> i128 {
        slope(&self.total_bytes)
    }

    /// Change per minute between the first and the last search, when both
    /// have a time and they differ.
    pub fn bytes_per_minute(&self, searches: &[Search]) -> Option<f64> {
        per_minute(&self.total_bytes, searches)
    }

    pub fn is_visible(&self) -> bool {
        self.hidden_by.is_none()
    }

    /// The values the growth safety net judges: from the search where the
    /// group first held anything when it is flat from there (allocated once
    /// after the first search), from the search where it settled when its
    /// growth was start-up, else all of them.
    pub fn growth_values(&self) -> &[u128] {
        if self.trend == Trend::Flat {
            return from_first_seen(&self.total_bytes);
        }
        match self.settled_at {
            Some(k) => &self.total_bytes[k..],
            None => &self.total_bytes,
        }
    }

    /// Its growth during start-up, up to the search where it settled.
    pub fn startup_values(&self) -> Option<&[u128]> {
        let k = self.settled_at?;
        Some(from_first_seen(&self.total_bytes[..=k]))
    }

    /// Whether the safety net sees it grow.
    pub fn grew(&self) -> bool {
        let v = self.growth_values();
        v.last() > v.first()
    }
}

#[derive(Debug, Clone)]
pub struct Timeline {
    /// Index into `report.processes`.
    pub process: usize,
    pub searches: Vec<Search>,
    /// Every group, fastest growth first (the scaling view's order).
    pub groups: Vec<TimelineGroup>,
    /// For each record of the last search (`Process::loss_records()`), the
    /// index of its group in `groups`: how the explorer's tree, which shows
    /// the last search, finds a record's series.
    pub of_record: Vec<Option<usize>>,
}

impl Timeline {
    /// The growth that rules hid from the first search to the last (the
    /// safety net shared with `diff`: [`super::hidden_growth`]).
    pub fn hidden_growth(
        &self,
        locate: &dyn Fn(&str) -> Option<(String, u64)>,
    ) -> Vec<super::hidden_growth::HiddenGrowth> {
        use super::compare::GroupKind;
        use super::hidden_growth::{hidden_growth, GroupSeries};
        let kinds: Vec<GroupKind> = self
            .groups
            .iter()
            .map(|g| GroupKind::Leak(g.kind))
            .collect();
        hidden_growth(
            self.groups.iter().zip(&kinds).map(|(g, kind)| GroupSeries {
                rule: g.hidden_by.as_deref(),
                kind,
                label: g.top_frame(),
                values: g.growth_values(),
            }),
            locate,
        )
    }

    /// Per rule, the growth it hid during start-up only: groups that grew,
    /// then stayed the same while others kept growing. Said apart from
    /// [`Timeline::hidden_growth`], never dropped.
    pub fn startup_growth(
        &self,
        locate: &dyn Fn(&str) -> Option<(String, u64)>,
    ) -> Vec<super::hidden_growth::HiddenGrowth> {
        use super::compare::GroupKind;
        use super::hidden_growth::{hidden_growth, GroupSeries};
        let settled: Vec<(&TimelineGroup, GroupKind, &[u128])> = self
            .groups
            .iter()
            .filter_map(|g| Some((g, GroupKind::Leak(g.kind), g.startup_values()?)))
            .collect();
        hidden_growth(
            settled.iter().map(|(g, kind, values)| GroupSeries {
                rule: g.hidden_by.as_deref(),
                kind,
                label: g.top_frame(),
                values,
            }),
            locate,
        )
    }
}

/// Change per minute of `values` (one per search) between the first and the
/// last search, when both have a time and they differ.
pub fn per_minute(values: &[u128], searches: &[Search]) -> Option<f64> {
    let (t0, t1) = (searches.first()?.time_s?, searches.last()?.time_s?);
    let (v0, v1) = (*values.first()?, *values.last()?);
    (t1 > t0).then(|| (v1 as f64 - v0 as f64) / (t1 - t0) * 60.0)
}

/// Names the rule hiding record `record` of leak search `search` of a process.
pub trait SearchHider {
    fn hidden_by(&self, search: usize, record: usize) -> Option<String>;
}

impl<F: Fn(usize, usize) -> Option<String>> SearchHider for F {
    fn hidden_by(&self, search: usize, record: usize) -> Option<String> {
        self(search, record)
    }
}

/// What a search says about a place, carried to later searches that leave it out.
#[derive(Debug, Clone)]
struct Alive {
    totals: Totals,
    hidden_by: Option<String>,
}

/// The timeline of `report.processes[process]`, or `None` when it has fewer
/// than two leak searches.
pub fn timeline(report: &Report, process: usize, hider: &dyn SearchHider) -> Option<Timeline> {
    let p = report.processes.get(process)?;
    // Searches before the program allocated anything (vgdb answers a
    // snapshot asked for during valgrind's start-up with "All heap blocks
    // were freed") say nothing about growth: the timeline starts after them.
    let start = p.leak_searches.iter().position(|s| !is_empty(s))?;
    let n = p.leak_searches.len() - start;
    if n < 2 {
        return None;
    }
    let opts = SignatureOptions::default();
    let mut sigs: FxHashMap<StackId, Signature> = FxHashMap::default();
    let mut alive: FxHashMap<(LeakKind, StackId), Alive> = FxHashMap::default();
    let mut index: FxHashMap<(LeakKind, Signature, Option<String>), usize> = FxHashMap::default();
    let mut groups: Vec<TimelineGroup> = Vec::new();
    let mut searches = Vec::with_capacity(n);
    for (s, search) in p.leak_searches.iter().enumerate().skip(start) {
        if !is_incremental(search) {
            alive.clear();
        }
        for (i, r) in search.records.iter().enumerate() {
            alive.insert((r.kind, r.stack), alive_of(r, hider.hidden_by(s, i)));
        }
        let s = s - start;
        let mut leaks = [Totals::default(); 4];
        for (&(kind, stack), a) in &alive {
            leaks[kind.index()].merge(&a.totals);
            let sig = sigs
                .entry(stack)
                .or_insert_with(|| signature(&report.interner, stack, &opts));
            let key = (kind, sig.clone(), a.hidden_by.clone());
            let g = *index.entry(key).or_insert_with(|| {
                groups.push(TimelineGroup {
                    kind,
                    signature: sig.clone(),
                    hidden_by: a.hidden_by.clone(),
                    total_bytes: vec![0; n],
                    trend: Trend::Flat,
                    settled_at: None,
                });
                groups.len() - 1
            });
            groups[g].total_bytes[s] += a.totals.total_bytes;
        }
        searches.push(Search {
            source: source_of(p, s + start),
            time_s: search.time_s,
            asked_s: search.asked_s,
            leaks,
        });
    }
    for g in &mut groups {
        g.trend = timeline_trend(&g.total_bytes);
    }
    let settled = super::settled::settled_at(&groups);
    for (g, k) in groups.iter_mut().zip(settled) {
        g.settled_at = k;
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    // Growing groups first, those still growing before those that grew
    // during start-up only (set-up, not a leak).
    let startup = |g: &TimelineGroup| super::settled::is_startup(g.trend, g.settled_at);
    order.sort_by(|&a, &b| {
        let (a, b) = (&groups[a], &groups[b]);
        (a.trend, startup(a))
            .cmp(&(b.trend, startup(b)))
            .then_with(|| growth_order(a.trend, &a.total_bytes, b.trend, &b.total_bytes))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.signature.cmp(&b.signature))
            .then_with(|| a.hidden_by.cmp(&b.hidden_by))
    });
    let mut rank = vec![0; groups.len()];
    for (pos, &g) in order.iter().enumerate() {
        rank[g] = pos;
    }
    // Every record of the last search was keyed into `index` above.
    let last = p.leak_searches.len() - 1;
    let of_record = p.leak_searches[last]
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let sig = sigs.get(&r.stack)?.clone();
            let g = index.get(&(r.kind, sig, hider.hidden_by(last, i)))?;
            Some(rank[*g])
        })
        .collect();
    let mut slots: Vec<Option<TimelineGroup>> = groups.into_iter().map(Some).collect();
    let groups = order.iter().filter_map(|&g| slots[g].take()).collect();
    Some(Timeline {
        process,
        searches,
        groups,
        of_record,
    })
}

/// The scaling view's verdict on a group's values, with the searches in which
/// the group did not change (within the tolerance) left out: between two
/// snapshots the program may have done no work at all, and idle time is not
/// a workload step. So 0 → 768 → 768 → 1,536 grows, as it does per request.
///
/// A group is judged from the first search in which it holds anything:
/// memory allocated once after the first snapshot (start-up, a JIT's
/// one-time initialisation) is 0 → X → X → X, and that is flat, not growth.
pub fn timeline_trend(values: &[u128]) -> Trend {
    let values = from_first_seen(values);
    let mut steps: Vec<u128> = Vec::with_capacity(values.len());
    for &v in values {
        match steps.last() {
            Some(&prev) if same(prev, v) => {}
            _ => steps.push(v),
        }
    }
    classify(&steps)
}

/// `values` from the first non-zero one (the last value when all are zero).
pub fn from_first_seen(values: &[u128]) -> &[u128] {
    let start = values
        .iter()
        .position(|&v| v > 0)
        .unwrap_or(values.len().saturating_sub(1));
    &values[start..]
}

fn alive_of(r: &LossRecord, hidden_by: Option<String>) -> Alive {
    let mut totals = Totals::default();
    totals.add(r);
    Alive { totals, hidden_by }
}

/// A search that found no heap block at all.
fn is_empty(s: &LeakSearch) -> bool {
    s.records.is_empty()
        && s.summary.as_ref().map_or(true, |m| {
            m.kinds.iter().all(|f| f.blocks == 0) && m.suppressed.blocks == 0
        })
}

/// An `ADDED` / `CHANGED` search prints `(+N)` deltas and leaves out what did
/// not change (even its LEAK SUMMARY shows `(+0)`).
fn is_incremental(s: &LeakSearch) -> bool {
    s.records.iter().any(|r| r.delta_bytes().is_some())
        || s.summary
            .as_ref()
            .is_some_and(|m| m.kinds.iter().any(|f| f.delta_bytes.is_some()))
}

/// A log alone says where a search came from only by its place: the last one
/// is the search at exit once the HEAP SUMMARY printed at exit is there.
fn source_of(p: &Process, s: usize) -> SearchSource {
    let last = p.leak_searches.len() - 1;
    match p.leak_searches[s].origin {
        SearchOrigin::Snapshot => SearchSource::Snapshot,
        SearchOrigin::Log if s < last => SearchSource::ClientRequest,
        SearchOrigin::Log if p.heap_summary.is_some() => SearchSource::Exit,
        SearchOrigin::Log => SearchSource::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_bytes;

    fn fixture(name: &str) -> Report {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        parse_bytes(name, &std::fs::read(path).unwrap(), None).unwrap()
    }

    fn visible(_: usize, _: usize) -> Option<String> {
        None
    }

    #[test]
    fn added_leak_checks_carry_unchanged_records_forward() {
        // service.c 3 --check: an ADDED check before each request, then exit.
        let report = fixture("service-checks.txt");
        let t = timeline(&report, 0, &visible).expect("4 searches");
        let sources: Vec<_> = t.searches.iter().map(|s| s.source).collect();
        use SearchSource::*;
        assert_eq!(sources, [ClientRequest, ClientRequest, ClientRequest, Exit]);
        assert!(t.searches.iter().all(|s| s.time_s.is_some()));
        let labels: Vec<_> = t.groups.iter().map(|g| g.top_frame()).collect();
        assert_eq!(
            labels,
            ["handle_request (service.c:28)", "setup (service.c:23)"]
        );
        let (req, setup) = (&t.groups[0], &t.groups[1]);
        // The last search's records find their groups.
        let last = report.processes[0].loss_records();
        assert_eq!(t.of_record.len(), last.len());
        for (i, r) in last.iter().enumerate() {
            assert_eq!(t.groups[t.of_record[i].unwrap()].kind, r.kind);
        }
        assert_eq!(req.total_bytes, [0, 256, 512, 768]);
        assert_eq!(req.trend, Trend::Grows);
        assert_eq!(req.kind, LeakKind::DefinitelyLost);
        assert_eq!(req.bytes_per_search(), 256);
        // The ADDED checks after the first print only handle_request; setup's
        // tables are still there.
        assert_eq!(setup.total_bytes, [16_384; 4]);
        assert_eq!(setup.trend, Trend::Flat);
        assert_eq!(setup.kind, LeakKind::StillReachable);
        // The exit search's totals are valgrind's own LEAK SUMMARY figures.
        let exit = &t.searches[3].leaks;
        let sum = report.processes[0].leak_summary().unwrap();
        for k in LeakKind::ALL {
            assert_eq!(exit[k.index()].bytes, u128::from(sum.get(k).bytes), "{k:?}");
            assert_eq!(
                exit[k.index()].blocks,
                u128::from(sum.get(k).blocks),
                "{k:?}"
            );
        }
    }

    #[test]
    fn idle_searches_are_no_step() {
        assert_eq!(timeline_trend(&[768, 1_536, 1_536, 2_304]), Trend::Grows);
        assert_eq!(timeline_trend(&[512, 3_584, 3_584]), Trend::Grows);
        assert_eq!(timeline_trend(&[16_384; 5]), Trend::Flat);
        assert_eq!(timeline_trend(&[0, 0, 4_096, 0]), Trend::Shrinks);
        // Allocated once after the first search: one-time, not growth.
        assert_eq!(timeline_trend(&[0, 0, 4_096, 4_096, 4_096]), Trend::Flat);
        assert_eq!(timeline_trend(&[0, 256, 512, 768]), Trend::Grows);
        assert_eq!(timeline_trend(&[0, 0, 0]), Trend::Flat);
        assert_eq!(timeline_trend(&[9_000, 9_000, 4_000]), Trend::Shrinks);
        // Slow growth, each step within the tolerance, still adds up.
        let slow: Vec<u128> = (0..40).map(|i| 100_000 + i * 50).collect();
        assert_eq!(timeline_trend(&slow), Trend::Grows);
    }

    #[test]
    fn a_snapshot_served_2_s_or_more_after_it_was_asked_for_is_late() {
        assert_eq!(late_by(Some(48.0), Some(12.5)), Some(35.5));
        assert_eq!(late_by(Some(14.0), Some(12.0)), Some(2.0));
        assert_eq!(late_by(Some(13.9), Some(12.0)), None);
        // valgrind's clock starts a moment after leakscope's.
        assert_eq!(late_by(Some(2.26), Some(2.4)), None);
        assert_eq!(late_by(None, Some(1.0)), None);
        assert_eq!(late_by(Some(1.0), None), None);
    }

    #[test]
    fn rates_per_minute_come_from_the_time_stamps() {
        let g = TimelineGroup {
            kind: LeakKind::DefinitelyLost,
            signature: Signature::default(),
            hidden_by: None,
            total_bytes: vec![100, 400, 700],
            trend: Trend::Grows,
            settled_at: None,
        };
        let at = |t: Option<f64>| Search {
            source: SearchSource::Snapshot,
            time_s: t,
            asked_s: None,
            leaks: Default::default(),
        };
        let timed = [at(Some(1.0)), at(Some(16.0)), at(Some(31.0))];
        assert_eq!(g.bytes_per_search(), 300);
        assert_eq!(g.bytes_per_minute(&timed), Some(1200.0));
        assert_eq!(g.bytes_per_minute(&[at(None), at(None), at(None)]), None);
    }

    #[test]
    fn one_search_has_no_timeline() {
        let report = fixture("leaky.txt");
        assert!(timeline(&report, 0, &visible).is_none());
    }

    #[test]
    fn rules_split_groups_and_hidden_ones_keep_their_name() {
        let report = fixture("service-checks.txt");
        let hide_setup = |s: usize, i: usize| {
            let r = &report.processes[0].leak_searches[s].records[i];
            (r.kind == LeakKind::StillReachable).then(|| "setup-tables".to_string())
        };
        let t = timeline(&report, 0, &hide_setup).unwrap();
        let setup = t.groups.iter().find(|g| !g.is_visible()).unwrap();
        assert_eq!(setup.hidden_by.as_deref(), Some("setup-tables"));
        assert_eq!(setup.total_bytes, [16_384; 4]);
        // A flat hidden group is no hidden growth…
        assert!(t.hidden_growth(&|_| None).is_empty());
        // … a growing one is, named with its rule.
        let hide_requests = |s: usize, i: usize| {
            let r = &report.processes[0].leak_searches[s].records[i];
            (r.kind == LeakKind::DefinitelyLost).then(|| "requests".to_string())
        };
        let t = timeline(&report, 0, &hide_requests).unwrap();
        let h = t.hidden_growth(&|_| Some(("mine.supp".into(), 3)));
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].rule.as_str(), h[0].delta_total_bytes),
            ("requests", 768)
        );
        assert_eq!(h[0].file.as_deref(), Some("mine.supp"));
    }
}
