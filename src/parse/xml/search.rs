//! Which leak search a `Leak_*` error belongs to.
//!
//! Protocol 6 closes every search with a `<leak_summary>`; protocol 4 has no
//! such marker, so a search is a run of consecutive `Leak_*` errors. The run
//! ends at any other top-level element (a non-leak error, `<status>`, the
//! summaries…) and where the loss-record numbering starts again (`1 of 2`,
//! `2 of 2`, then `2 of 4`: two searches requested by the client back to back).
//! Masked numbers (`... of ...`) cannot tell, and keep the run together.

use crate::model::{LeakSearch, LeakSummary, LossRecord, Process};

#[derive(Debug, Default)]
pub struct Searches {
    /// Whether the process's last search may still take records.
    open: bool,
    /// `(number, of)` of the last record added to the open search.
    last: Option<(u32, u32)>,
    /// The last search was made by `<all_heap_blocks_freed>` and has no
    /// records: a `<leak_summary>` that follows belongs to it.
    freed: bool,
}

impl Searches {
    /// Adds a record, opening a new search where one begins. Returns the
    /// record's (search, index) in the process.
    /// `of`: M of the record's `N of M`.
    pub fn add(&mut self, p: &mut Process, record: LossRecord, of: Option<u32>) -> (usize, usize) {
        let numbers = record.number().zip(of);
        let restarts = match (self.last, numbers) {
            (Some((n0, of0)), Some((n, of))) => n <= n0 || of != of0,
            _ => false,
        };
        if !self.open || restarts || p.leak_searches.is_empty() {
            p.leak_searches.push(LeakSearch::default());
            self.open = true;
        }
        self.last = numbers;
        self.freed = false;
        let s = p.leak_searches.len() - 1;
        let search = &mut p.leak_searches[s];
        search.push(record, of);
        (s, search.records.len() - 1)
    }

    /// Something other than a loss record came: the open search is complete.
    pub fn interrupt(&mut self) {
        self.open = false;
        self.last = None;
    }

    /// A `<leak_summary>`: ends the open search, or stands for a search that
    /// printed no records.
    pub fn summary(&mut self, p: &mut Process, summary: LeakSummary) {
        match p.leak_searches.last_mut() {
            Some(s) if self.open || self.freed => s.summary = Some(summary),
            _ => p.leak_searches.push(LeakSearch {
                records: Vec::new(),
                summary: Some(summary),
                ..LeakSearch::default()
            }),
        }
        self.interrupt();
        self.freed = false;
    }

    /// `<all_heap_blocks_freed>true</…>`: a search that found nothing, as
    /// the text log's "All heap blocks were freed -- no leaks are possible".
    pub fn all_freed(&mut self, p: &mut Process, line: u64) {
        self.interrupt();
        p.leak_searches.push(LeakSearch {
            records: Vec::new(),
            summary: Some(LeakSummary {
                line,
                ..LeakSummary::default()
            }),
            ..LeakSearch::default()
        });
        self.freed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Interner, LeakKind};

    fn rec(number: Option<u32>) -> LossRecord {
        let mut r = LossRecord::new(LeakKind::DefinitelyLost, 1, 0, 1, Interner::EMPTY_STACK, 0);
        r.set_number(number);
        r
    }

    fn sizes(p: &Process) -> Vec<usize> {
        p.leak_searches.iter().map(|s| s.records.len()).collect()
    }

    #[test]
    fn numbering_that_starts_again_starts_a_search() {
        let (mut s, mut p) = (Searches::default(), Process::default());
        for (n, of) in [(1, 2), (2, 2), (2, 4), (4, 4), (1, 5), (5, 5)] {
            s.add(&mut p, rec(Some(n)), Some(of));
        }
        s.interrupt();
        for n in 1..=4 {
            s.add(&mut p, rec(Some(n)), Some(4));
        }
        assert_eq!(sizes(&p), [2, 2, 2, 4]);
    }

    #[test]
    fn masked_numbers_keep_a_run_together_until_interrupted() {
        let (mut s, mut p) = (Searches::default(), Process::default());
        s.add(&mut p, rec(None), None);
        s.add(&mut p, rec(None), None);
        s.interrupt();
        s.add(&mut p, rec(None), None);
        assert_eq!(sizes(&p), [2, 1]);
    }

    #[test]
    fn a_summary_closes_the_open_search_or_stands_alone() {
        let (mut s, mut p) = (Searches::default(), Process::default());
        s.add(&mut p, rec(Some(1)), Some(1));
        s.summary(&mut p, LeakSummary::default());
        s.summary(&mut p, LeakSummary::default());
        s.all_freed(&mut p, 9);
        s.summary(&mut p, LeakSummary::default());
        assert_eq!(sizes(&p), [1, 0, 0]);
        assert!(p.leak_searches.iter().all(|x| x.summary.is_some()));
    }
}
