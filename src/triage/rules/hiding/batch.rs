//! New stacks matched in batches: screened on every core as they come
//! (most match nothing), and those left compared by locations and matched
//! in full once they fill most of a batch.

use super::parts::in_parts;
use super::plan::Plan;
use super::same_locations::same_locations;
use super::set_ids::SetIds;
use super::{Hiding, Item, Job, Matches, SetId, MATCH_PART};
use crate::model::{LeakKind, Report, StackId};
use crate::triage::rules::matcher::FrameMatcher;

/// Stacks claimed for matching (see `Hiding::run_batch`): at most
/// `size` (`BATCH`), the first `screened` of them left by the screening;
/// with the process's kind of log and --num-callers, and its stacks' sets
/// per leak kind (taken out of `Hiding::by_stack` while the process is
/// matched: a record's table is then an index, not a hash lookup).
#[derive(Default)]
pub(super) struct Batch {
    pub(super) entries: Vec<(StackId, LeakKind)>,
    pub(super) screened: usize,
    pub(super) size: usize,
    pub(super) key: (bool, usize),
    pub(super) tables: [SetIds; 4],
}

impl Hiding {
    /// Screens a batch of one process's (stack, leak kind)s, and matches
    /// those left once they fill most of a batch (or when `last`), recording
    /// each stack's set. Stacks that differ only by addresses (the same code
    /// reached again, or moved) are matched once: a verdict depends only on
    /// the frames' locations, the leak kind and the process's kind of log
    /// and --num-callers.
    pub(super) fn run_batch<'r>(
        &mut self,
        plan: &Plan,
        report: &'r Report,
        fms: &mut Vec<FrameMatcher<'r>>,
        batch: &mut Batch,
        last: bool,
    ) {
        self.screen(plan, report, fms, batch);
        // Few stacks survive the screening: those of several batches are
        // matched together, so that a stack's locations met in two of them
        // are matched once.
        if batch.entries.is_empty() || (!last && batch.entries.len() < batch.size * 3 / 4) {
            return;
        }
        // Matched below, all of them: the batch starts over.
        batch.screened = 0;
        let (lsan, limit) = batch.key;
        let tables = &mut batch.tables;
        let batch = &mut batch.entries;
        let (reps, of) = same_locations(&report.interner, batch);
        // Jobs are made and matched a part at a time: a job is 32 bytes and
        // its matches a pair of boxed lists until interned as a set id, so
        // a whole batch's would be several MB more at the explorer's peak.
        let mut sets: Vec<SetId> = Vec::with_capacity(reps.len());
        let mut jobs: Vec<Job> = Vec::with_capacity(MATCH_PART.min(reps.len()));
        for part in reps.chunks(MATCH_PART) {
            jobs.clear();
            jobs.extend(part.iter().map(|&i| {
                let (stack, kind) = batch[i as usize];
                let item = Item::Record(stack, kind);
                Job { lsan, limit, item }
            }));
            sets.extend(self.match_jobs(plan, report, fms, &jobs));
        }
        for (&(stack, kind), &u) in batch.iter().zip(&of) {
            tables[kind.index()].set(stack.0 as usize, sets[u as usize]);
        }
        batch.clear();
    }

    /// Tests the stacks of `batch` not screened yet with the cheap tests
    /// that rule most stacks out (their top frames, the lines rules need
    /// somewhere), on every core: those ruled out match nothing; the rest
    /// stay in the batch to be compared by locations and matched in full.
    fn screen<'r>(
        &mut self,
        plan: &Plan,
        report: &'r Report,
        fms: &mut Vec<FrameMatcher<'r>>,
        batch: &mut Batch,
    ) {
        let from = batch.screened;
        let key = batch.key;
        let may = in_parts(
            &batch.entries[from..],
            1024,
            fms,
            || FrameMatcher::new(&report.interner),
            |fm, &(stack, kind)| plan.may_match(fm, report.interner.stack(stack), key, kind),
        );
        let mut kept = from;
        let empty = self.set_id(Matches::default());
        for (i, may) in may.into_iter().enumerate() {
            let (stack, kind) = batch.entries[from + i];
            if may {
                batch.entries[kept] = (stack, kind);
                kept += 1;
            } else {
                batch.tables[kind.index()].set(stack.0 as usize, empty);
            }
        }
        batch.entries.truncate(kept);
        batch.screened = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_bytes;
    use crate::triage::rules::{RuleSet, Source};

    /// A log of `n` records of every kind, on stacks drawn from a few
    /// functions at many addresses: stacks that differ only by address,
    /// stacks some rule takes and stacks it does not.
    fn log(n: usize) -> Vec<u8> {
        let kinds = [
            "definitely lost",
            "indirectly lost",
            "possibly lost",
            "still reachable",
        ];
        let funs = ["malloc", "calloc", "alpha", "beta", "gamma", "main"];
        let mut s =
            String::from("==1== Memcheck, a memory error detector\n==1== Command: ./x\n==1== \n");
        for i in 0..n {
            let kind = kinds[i % 4];
            s += &format!(
                "==1== 8 bytes in 1 blocks are {kind} in loss record {} of {n}\n",
                i + 1
            );
            for j in 0..2 + i % 5 {
                let at = if j == 0 { "at" } else { "by" };
                let f = funs[(i / 4 + j * (i % 3 + 1)) % funs.len()];
                let addr = 0x1000 * (i % 7 + 1) + j;
                s += &format!("==1==    {at} 0x{addr:X}: {f} (a.c:{})\n", j + 1);
            }
            s += "==1== \n";
        }
        s.into_bytes()
    }

    /// Batching (and the screening that lets a batch wait for the next)
    /// never changes a verdict: matched a few stacks at a time or all at
    /// once, every record gets the same rules.
    #[test]
    fn batches_of_any_size_give_the_same_verdicts() {
        let report = parse_bytes("t", &log(600), None).unwrap();
        let mut rules = RuleSet::new();
        let supp = "{\n   r1\n   Memcheck:Leak\n   match-leak-kinds: reachable,possible\n   fun:malloc\n   ...\n   fun:beta\n}\n\
                    {\n   r2\n   Memcheck:Leak\n   fun:*alloc\n   fun:alpha\n}\n\
                    {\n   r3\n   Memcheck:Leak\n   match-leak-kinds: definite\n   ...\n   fun:gamma\n   fun:main\n}\n";
        rules.add_text("t.supp", supp, Source::CommandLine);
        assert!(rules.problems().is_empty(), "{:?}", rules.problems());
        let whole = rules.apply(&report);
        let records = report.processes[0].leak_searches[0].records.len();
        assert_eq!(records, 600);
        let hidden = (0..records)
            .filter(|&i| whole.record(0, i).is_some())
            .count();
        assert!(
            hidden > 0 && hidden < records,
            "{hidden} of {records} hidden"
        );
        for size in [1, 2, 7, 64, 500] {
            let mut h = Hiding {
                enabled: vec![true; rules.len()],
                ..Hiding::default()
            };
            h.update_in_batches(&rules, &report, size);
            for i in 0..records {
                assert_eq!(
                    h.record_rules(0, i),
                    whole.record_rules(0, i),
                    "record {i}, batches of {size}"
                );
                assert_eq!(h.record_verdict(0, i), whole.record_verdict(0, i));
            }
        }
    }
}
