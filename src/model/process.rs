//! One process under valgrind. A log with --trace-children=yes holds several.

use super::error::MemcheckError;
use super::leak::{LeakKind, LossRecord};
use super::summary::Figure;
use super::summary::{ErrorSummary, HeapSummary, LeakSummary};

/// One leak search: the final one at exit, or one requested by the client
/// (VALGRIND_DO_LEAK_CHECK) or through vgdb during the run.
#[derive(Debug, Clone, Default)]
pub struct LeakSearch {
    pub records: Vec<LossRecord>,
    /// What valgrind printed at the end of the search; `None` when the log
    /// stops before it (truncated) or the search printed none.
    pub summary: Option<LeakSummary>,
    /// Seconds since valgrind started, from the `--time-stamp=yes` prefix of
    /// the line that opened the search; `None` without time stamps.
    pub time_s: Option<f64>,
    /// Where the search came from, as far as leakscope knows.
    pub origin: SearchOrigin,
    /// For a snapshot: when `leakscope run` asked for it, in the same clock
    /// as `time_s` (a process busy in a system call serves it later).
    pub asked_s: Option<f64>,
    /// The `M` of the records' `in loss record N of M` (read it with
    /// [`LeakSearch::of`], set it with [`LeakSearch::push`]).
    pub of_runs: OfRuns,
}

/// The `M` of a search's `in loss record N of M`, as runs: `(first record,
/// M)` wherever M changes (`None`: masked or not stated). One entry for a
/// whole search as valgrind writes it, where a field per record cost 4
/// bytes each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfRuns(Vec<(u32, Option<u32>)>);

impl LeakSearch {
    /// Adds a record numbered `N of M` (`of`: M).
    pub fn push(&mut self, record: LossRecord, of: Option<u32>) {
        let at = self.records.len() as u32;
        self.mark_of(at, of);
        self.records.push(record);
    }

    /// M of record `i`'s `in loss record N of M`, `None` when masked or
    /// not stated.
    pub fn of(&self, i: usize) -> Option<u32> {
        let runs = &self.of_runs.0;
        let k = runs.partition_point(|&(first, _)| first as usize <= i);
        k.checked_sub(1).and_then(|k| runs[k].1)
    }

    /// Moves `other`'s records (and their M) to the end of this search: a
    /// search a chunk cut in two, joined again.
    pub fn append(&mut self, other: LeakSearch) {
        let base = self.records.len() as u32;
        self.mark_of(base, other.of(0));
        for &(first, of) in &other.of_runs.0 {
            self.mark_of(base + first, of);
        }
        self.records.extend(other.records);
    }

    /// Notes that the records from `at` on are numbered `of M`, unless the
    /// run before says so already (so the runs are the same however the
    /// records came in).
    fn mark_of(&mut self, at: u32, of: Option<u32>) {
        let runs = &mut self.of_runs.0;
        let last = |runs: &[(u32, Option<u32>)]| runs.last().and_then(|r| r.1);
        if last(runs) == of {
            return;
        }
        if runs.last().is_some_and(|r| r.0 == at) {
            runs.pop();
            if last(runs) == of {
                return;
            }
        }
        runs.push((at, of));
    }
}

/// How a leak search got into the report. A log alone cannot tell a client
/// request from a search at exit except by position, so the parsers leave
/// `Log`; a run directory marks the searches read from its vgdb snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchOrigin {
    /// Printed into the log by valgrind (a client request, or the search at exit).
    #[default]
    Log,
    /// A `vgdb … leak_check` snapshot of `leakscope run`: marked in the log
    /// (see `parse::rundir::marker_text`), or saved beside it by older runs.
    Snapshot,
}

/// A `used_suppression:` line of -v output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedSuppression {
    pub count: u64,
    pub name: String,
    /// `file:line` as printed.
    pub location: String,
    /// `suppressed: N bytes in M blocks`, for leak suppressions.
    pub bytes: Option<u64>,
    pub blocks: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Process {
    /// The PID; 0 when the log does not say (prefix-less logs).
    pub pid: u32,
    pub ppid: Option<u32>,
    pub command: Option<String>,
    /// `memcheck`, `helgrind`… (lower case).
    pub tool: Option<String>,
    pub valgrind_version: Option<String>,
    /// Valgrind's options, where the log lists them (-v text, XML `<vargv>`).
    pub options: Vec<String>,
    /// Which of the report's inputs this process came from.
    pub input: usize,
    pub errors: Vec<MemcheckError>,
    /// Every leak search in order; the last one is the state at exit.
    pub leak_searches: Vec<LeakSearch>,
    pub heap_summary: Option<HeapSummary>,
    /// The last ERROR SUMMARY printed (-v prints it twice, with the same figures).
    pub error_summary: Option<ErrorSummary>,
    pub used_suppressions: Vec<UsedSuppression>,
    /// `Process terminating with default action of signal 11 (SIGSEGV)`.
    pub fatal_signal: Option<String>,
    /// The log is whole: XML's `<suppcounts>` closed, the last element
    /// valgrind writes (after the leak search; `<status>` FINISHED comes
    /// before it). XML protocol 4 (valgrind 3.19) writes no ERROR SUMMARY,
    /// so this is how such a log says it is whole.
    pub finished: bool,
    /// XML `<protocolversion>`: 4 (valgrind ≤ 3.25), 5 (with --track-fds), 6.
    /// Decides whether leak searches end with a `<leak_summary>` of their own.
    pub protocol_version: Option<u32>,
    /// `--xml-user-comment=…`, as given: it may itself be a piece of XML.
    pub user_comment: Option<String>,
    /// Lines that look like a loss record header (or an XML record whose
    /// figures are not numbers) but cannot be read: each is a warning with
    /// its line, and none is counted in any total, so the figures shown may
    /// be short by these records.
    pub unreadable_records: u64,
}

impl Process {
    /// Renumbers every stack of the process after its report's interner was
    /// absorbed into another (`Interner::absorb`).
    pub fn remap_stacks(&mut self, remap: &super::interner::Remap) {
        for e in &mut self.errors {
            e.stack = remap.stack(e.stack);
            for a in &mut e.aux {
                a.stack = remap.stack(a.stack);
            }
        }
        for s in &mut self.leak_searches {
            for r in &mut s.records {
                r.stack = remap.stack(r.stack);
            }
        }
    }

    /// The loss records of the last leak search: what was still allocated when
    /// the process ended (or when the log stops).
    pub fn loss_records(&self) -> &[LossRecord] {
        self.leak_searches
            .last()
            .map(|s| &s.records[..])
            .unwrap_or(&[])
    }

    /// The LEAK SUMMARY of the last leak search.
    pub fn leak_summary(&self) -> Option<&LeakSummary> {
        self.leak_searches.last().and_then(|s| s.summary.as_ref())
    }

    /// Kinds the last LEAK SUMMARY counts but the log shows no loss record
    /// of (`--show-leak-kinds=definite` prints records of one kind and
    /// figures of all four), with valgrind's figure: what the log says that
    /// the records alone would leave out. `has_records` says whether a kind
    /// has records, from the caller's own totals or index (scanning
    /// millions of records here would put that scan in the explorer's draw).
    pub fn kinds_not_shown(
        &self,
        has_records: impl Fn(LeakKind) -> bool,
    ) -> Vec<(LeakKind, Figure)> {
        let Some(summary) = self.leak_summary() else {
            return Vec::new();
        };
        LeakKind::ALL
            .iter()
            .map(|&k| (k, *summary.get(k)))
            .filter(|(k, f)| (f.bytes > 0 || f.blocks > 0) && !has_records(*k))
            .collect()
    }

    /// A short name for the UI and text output: `1234 python nb_jit.py`.
    pub fn title(&self) -> String {
        match &self.command {
            Some(c) => format!("{} {}", self.pid, c),
            None => format!("{}", self.pid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Interner, LeakKind};

    fn rec(n: u32) -> LossRecord {
        let mut r = LossRecord::new(LeakKind::DefinitelyLost, 1, 0, 1, Interner::EMPTY_STACK, 0);
        r.set_number(Some(n));
        r
    }

    const OFS: [Option<u32>; 7] = [Some(3), Some(3), None, Some(9), Some(9), Some(3), None];

    #[test]
    fn each_record_reads_back_its_own_of() {
        let mut s = LeakSearch::default();
        for (i, &of) in OFS.iter().enumerate() {
            s.push(rec(i as u32 + 1), of);
        }
        let got: Vec<_> = (0..OFS.len()).map(|i| s.of(i)).collect();
        assert_eq!(got, OFS);
        // A search as valgrind writes it keeps one run.
        let mut one = LeakSearch::default();
        for n in 1..=1000 {
            one.push(rec(n), Some(1000));
        }
        assert_eq!(one.of_runs.0, [(0, Some(1000))]);
        assert_eq!((one.of(0), one.of(999)), (Some(1000), Some(1000)));
        assert_eq!(LeakSearch::default().of(0), None);
    }

    #[test]
    fn a_search_joined_from_pieces_is_the_search_read_whole() {
        let mut whole = LeakSearch::default();
        for (i, &of) in OFS.iter().enumerate() {
            whole.push(rec(i as u32 + 1), of);
        }
        for cut in 0..=OFS.len() {
            for cut2 in cut..=OFS.len() {
                let mut parts = [0..cut, cut..cut2, cut2..OFS.len()].map(|range| {
                    let mut s = LeakSearch::default();
                    for i in range {
                        s.push(rec(i as u32 + 1), OFS[i]);
                    }
                    s
                });
                let [a, b, c] = std::mem::take(&mut parts);
                let mut joined = a;
                joined.append(b);
                joined.append(c);
                assert_eq!(joined.of_runs, whole.of_runs, "cut at {cut}, {cut2}");
                assert_eq!(joined.records, whole.records);
            }
        }
    }
}
