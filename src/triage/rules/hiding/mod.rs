//! Which rule hides which record, computed once per report.
//!
//! Testing hundreds of rules on thousands of stacks is the expensive part, so
//! it is done once: each record and error keeps the list of rules that match
//! it, in priority order. What a user toggles (a rule, all built-ins) only
//! changes which of those rules are enabled; the hiding rule is then the first
//! enabled one, and the totals are recounted from the lists.
//!
//! A record's matches depend only on its stack, its leak kind and its
//! process's kind of log and --num-callers, so they are computed once per
//! distinct (stack, kind, …): a log of millions of records from a few
//! thousand stacks is matched a few thousand times, and each record costs
//! one `u32` here (the id of its match set), whatever the log's size. Match
//! sets are kept once per distinct content (most stacks match no rule, or
//! the same few), and which set a stack has is a dense table per (kind of
//! log, --num-callers, leak kind): a million distinct stacks cost 4 bytes
//! each, not a hash-map entry and a set each.

mod batch;
mod parts;
mod plan;
mod rows;
mod same_locations;
mod set_ids;

use super::matcher::FrameMatcher;
use super::{Rule, RuleId, RuleSet};
use crate::model::{Format, LeakKind, LossRecord, MemcheckError, Process, Report, StackId};
use crate::triage::Totals;
use batch::Batch;
use parts::in_parts;
use plan::Plan;
use rustc_hash::FxHashMap;
use set_ids::SetIds;
use std::collections::BTreeMap;

/// What the rules say about one record or error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hidden by this rule (the first enabled rule that matches).
    Hidden(RuleId),
    /// Visible; this enabled rule might hide it, but the log does not say
    /// enough to decide (an `obj:` line on a frame shown without its object).
    Undecided(RuleId),
    Visible,
}

/// What one rule hides (or could not decide) in one process, or in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCounts {
    /// Loss records of the last leak search that this rule hides.
    pub leaks: Totals,
    /// The same, per leak kind (indexed by `LeakKind::index()`).
    pub by_kind: [Totals; 4],
    /// Error contexts hidden, and their occurrences.
    pub error_contexts: u64,
    pub errors: u128,
    /// Records and error contexts left visible because the rule could not be
    /// decided on them.
    pub undecided_records: u64,
    pub undecided_errors: u64,
}

impl RuleCounts {
    fn add_record(&mut self, r: &LossRecord) {
        self.leaks.add(r);
        self.by_kind[r.kind.index()].add(r);
    }

    fn add_error(&mut self, e: &MemcheckError) {
        self.error_contexts += 1;
        self.errors += u128::from(e.count);
    }

    pub fn merge(&mut self, o: &RuleCounts) {
        self.leaks.merge(&o.leaks);
        for (a, b) in self.by_kind.iter_mut().zip(&o.by_kind) {
            a.merge(b);
        }
        self.error_contexts += o.error_contexts;
        self.errors += o.errors;
        self.undecided_records += o.undecided_records;
        self.undecided_errors += o.undecided_errors;
    }

    /// Whether the rule hid or left undecided anything.
    pub fn is_empty(&self) -> bool {
        self.leaks.records == 0
            && self.error_contexts == 0
            && self.undecided_records == 0
            && self.undecided_errors == 0
    }
}

/// The rules matching one record or error, in priority order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Matches {
    yes: Box<[RuleId]>,
    maybe: Box<[RuleId]>,
}

/// Index into `Hiding::sets`.
type SetId = u32;

#[derive(Debug, Clone, Default)]
struct ProcessHiding {
    /// Per leak search, per record: its match set.
    records: Vec<SetIds>,
    errors: Vec<SetId>,
    counts: BTreeMap<RuleId, RuleCounts>,
}

/// What a record's matches depend on besides its stack and leak kind: log
/// kind (LSan), --num-callers.
type TableKey = (bool, usize);

/// A stack whose set is not known yet (in `by_stack`).
const UNKNOWN: SetId = SetId::MAX;
/// Matches computed in one go at most: bounds the memory of a first load
/// of a million distinct stacks.
const BATCH: usize = 1 << 16;
/// Jobs matched in one go within a batch (see `run_batch`).
const MATCH_PART: usize = 1 << 14;

/// The rules' verdicts on a report: see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Hiding {
    enabled: Vec<bool>,
    procs: Vec<ProcessHiding>,
    totals: Vec<RuleCounts>,
    /// Per disabled rule: what it would hide if it alone were turned back on.
    would: Vec<RuleCounts>,
    /// Distinct match sets (by content).
    sets: Vec<Matches>,
    set_ids: FxHashMap<Matches, SetId>,
    /// The verdict of each set under the enabled rules.
    verdicts: Vec<Verdict>,
    /// Per table key and leak kind, each stack's set (`UNKNOWN`: not
    /// matched yet).
    by_stack: FxHashMap<TableKey, [SetIds; 4]>,
}

impl Hiding {
    /// Tests every rule of `rules` on `report`; every rule starts enabled.
    pub fn compute(rules: &RuleSet, report: &Report) -> Self {
        let mut h = Hiding {
            enabled: vec![true; rules.len()],
            ..Hiding::default()
        };
        h.update(rules, report);
        h
    }

    /// Tests the rules on what `report` gained since the last call (new
    /// processes, errors, leak searches and records), for a report that is
    /// still loading. `rules` must be the set this was computed with.
    pub fn update(&mut self, rules: &RuleSet, report: &Report) {
        self.update_in_batches(rules, report, BATCH);
    }

    /// [`Self::update`], with stacks matched `size` at most at a time.
    fn update_in_batches(&mut self, rules: &RuleSet, report: &Report, size: usize) {
        self.enabled.resize(rules.len(), true);
        let plan = Plan::new(rules, report.interner.location_count());
        // What is new is gathered in batches and matched on every core: this
        // is the expensive part of a run (every rule over every stack).
        // A batch is one process's: its kind of log and --num-callers are
        // the same for every stack in it, kept once.
        let mut batch = Batch {
            size,
            ..Batch::default()
        };
        // One matcher per thread, kept across batches (verdicts per location).
        let mut fms: Vec<FrameMatcher> = Vec::new();
        let stacks = report.interner.stack_count();
        for (pi, p) in report.processes.iter().enumerate() {
            if self.procs.len() <= pi {
                self.procs.push(ProcessHiding::default());
            }
            let lsan = report.inputs.get(p.input).map(|i| i.format) == Some(Format::Lsan);
            let limit = num_callers(report, p, plan.longest_rule());
            self.procs[pi]
                .records
                .resize_with(p.leak_searches.len(), SetIds::default);
            batch.key = (lsan, limit);
            batch.tables = self.by_stack.remove(&batch.key).unwrap_or_default();
            // Pass 1: match every (stack, kind) not matched before.
            for (si, s) in p.leak_searches.iter().enumerate() {
                let done = self.procs[pi].records[si].len().min(s.records.len());
                for r in &s.records[done..] {
                    if !plan.any_for(lsan, r.kind) {
                        // No rule takes this kind: nothing to match (pass 2
                        // gives the record the empty set).
                        continue;
                    }
                    let table = &mut batch.tables[r.kind.index()];
                    if table.len() < stacks {
                        table.resize(stacks, UNKNOWN);
                    }
                    if table.at(r.stack.0 as usize) != UNKNOWN {
                        continue;
                    }
                    // Claimed: a later record on this stack waits for the batch.
                    table.set(r.stack.0 as usize, UNKNOWN - 1);
                    batch.entries.push((r.stack, r.kind));
                    if batch.entries.len() >= batch.size {
                        self.run_batch(&plan, report, &mut fms, &mut batch, false);
                    }
                }
            }
            self.run_batch(&plan, report, &mut fms, &mut batch, true);
            // Pass 2: every new record takes its stack's set.
            let empty = self.set_id(Matches::default());
            let ph = &mut self.procs[pi];
            for (si, s) in p.leak_searches.iter().enumerate() {
                let done = ph.records[si].len().min(s.records.len());
                for r in &s.records[done..] {
                    let set = if plan.any_for(lsan, r.kind) {
                        batch.tables[r.kind.index()].at(r.stack.0 as usize)
                    } else {
                        empty
                    };
                    ph.records[si].push(set);
                }
            }
            let tables = std::mem::take(&mut batch.tables);
            self.by_stack.insert(batch.key, tables);
            // Errors: one match each (their kind and text count too).
            let done = self.procs[pi].errors.len().min(p.errors.len());
            for chunk in p.errors[done..].chunks(BATCH) {
                let jobs: Vec<Job> = chunk
                    .iter()
                    .map(|e| Job {
                        lsan,
                        limit,
                        item: Item::Error(e),
                    })
                    .collect();
                let sets = self.match_jobs(&plan, report, &mut fms, &jobs);
                self.procs[pi].errors.extend(sets);
            }
        }
        self.refresh(report);
    }

    /// Matches jobs on every core; returns the id of each one's match set.
    fn match_jobs<'r>(
        &mut self,
        plan: &Plan,
        report: &'r Report,
        fms: &mut Vec<FrameMatcher<'r>>,
        jobs: &[Job],
    ) -> Vec<SetId> {
        let results = in_parts(
            jobs,
            1024,
            fms,
            || FrameMatcher::new(&report.interner),
            |fm, j| plan.job_matches(fm, report, j),
        );
        results.into_iter().map(|m| self.set_id(m)).collect()
    }

    /// The id of match set `m`, kept once per distinct content.
    fn set_id(&mut self, m: Matches) -> SetId {
        if let Some(&id) = self.set_ids.get(&m) {
            return id;
        }
        let id = self.sets.len() as SetId;
        self.sets.push(m.clone());
        self.set_ids.insert(m, id);
        id
    }

    /// Recomputes verdicts and totals from the match lists and the enabled
    /// flags.
    fn refresh(&mut self, report: &Report) {
        self.totals = vec![RuleCounts::default(); self.enabled.len()];
        let enabled = &self.enabled;
        let verdict = |m: &Matches| -> Verdict {
            if let Some(&r) = m.yes.iter().find(|r| enabled[r.index()]) {
                Verdict::Hidden(r)
            } else if let Some(&r) = m.maybe.iter().find(|r| enabled[r.index()]) {
                Verdict::Undecided(r)
            } else {
                Verdict::Visible
            }
        };
        self.verdicts = self.sets.iter().map(verdict).collect();
        // The disabled rules a set meets before its first enabled one: each
        // would hide the item if it alone were turned on.
        let would_sets: Vec<Box<[RuleId]>> = self
            .sets
            .iter()
            .map(|m| {
                m.yes
                    .iter()
                    .take_while(|r| !enabled[r.index()])
                    .copied()
                    .collect()
            })
            .collect();
        self.would = vec![RuleCounts::default(); self.enabled.len()];
        let would = &mut self.would;
        let verdicts = &self.verdicts;
        for (ph, p) in self.procs.iter_mut().zip(&report.processes) {
            ph.counts.clear();
            let last = p.leak_searches.len().checked_sub(1);
            if let Some(last) = last {
                let records = &p.leak_searches[last].records;
                for (r, set) in records.iter().zip(ph.records[last].iter()) {
                    for id in would_sets[set as usize].iter() {
                        would[id.index()].add_record(r);
                    }
                    match verdicts[set as usize] {
                        Verdict::Hidden(id) => ph.counts.entry(id).or_default().add_record(r),
                        Verdict::Undecided(id) => {
                            ph.counts.entry(id).or_default().undecided_records += 1
                        }
                        Verdict::Visible => {}
                    }
                }
            }
            for (e, &set) in p.errors.iter().zip(&ph.errors) {
                for id in would_sets[set as usize].iter() {
                    would[id.index()].add_error(e);
                }
                match verdicts[set as usize] {
                    Verdict::Hidden(id) => ph.counts.entry(id).or_default().add_error(e),
                    Verdict::Undecided(id) => {
                        ph.counts.entry(id).or_default().undecided_errors += 1
                    }
                    Verdict::Visible => {}
                }
            }
            for (id, c) in &ph.counts {
                self.totals[id.index()].merge(c);
            }
        }
    }

    /// The rule hiding record `index` of the process's last leak search.
    pub fn record(&self, process: usize, index: usize) -> Option<RuleId> {
        let p = self.procs.get(process)?;
        let last = p.records.len().checked_sub(1)?;
        self.search_record(process, last, index)
    }

    /// The rule hiding record `index` of leak search `search`.
    pub fn search_record(&self, process: usize, search: usize, index: usize) -> Option<RuleId> {
        match self.search_record_verdict(process, search, index) {
            Verdict::Hidden(r) => Some(r),
            _ => None,
        }
    }

    pub fn search_record_verdict(&self, process: usize, search: usize, index: usize) -> Verdict {
        self.procs
            .get(process)
            .and_then(|p| p.records.get(search))
            .and_then(|s| s.get(index))
            .and_then(|set| self.verdicts.get(set as usize))
            .copied()
            .unwrap_or(Verdict::Visible)
    }

    /// The verdict on record `index` of the process's last leak search.
    pub fn record_verdict(&self, process: usize, index: usize) -> Verdict {
        match self.procs.get(process) {
            Some(p) if !p.records.is_empty() => {
                self.search_record_verdict(process, p.records.len() - 1, index)
            }
            _ => Verdict::Visible,
        }
    }

    /// The rule hiding error `index` of the process.
    pub fn error(&self, process: usize, index: usize) -> Option<RuleId> {
        match self.error_verdict(process, index) {
            Verdict::Hidden(r) => Some(r),
            _ => None,
        }
    }

    pub fn error_verdict(&self, process: usize, index: usize) -> Verdict {
        self.procs
            .get(process)
            .and_then(|p| p.errors.get(index))
            .and_then(|&set| self.verdicts.get(set as usize))
            .copied()
            .unwrap_or(Verdict::Visible)
    }

    /// Every rule that matches record `index` of the last leak search,
    /// enabled or not, in priority order: what would hide it if the rule
    /// before were turned off.
    pub fn record_rules(&self, process: usize, index: usize) -> &[RuleId] {
        self.procs
            .get(process)
            .and_then(|p| p.records.last())
            .and_then(|s| s.get(index))
            .and_then(|set| self.sets.get(set as usize))
            .map_or(&[], |m| &m.yes)
    }

    /// Every rule that matches error `index`, enabled or not.
    pub fn error_rules(&self, process: usize, index: usize) -> &[RuleId] {
        self.procs
            .get(process)
            .and_then(|p| p.errors.get(index))
            .and_then(|&set| self.sets.get(set as usize))
            .map_or(&[], |m| &m.yes)
    }

    pub fn is_enabled(&self, rule: RuleId) -> bool {
        self.enabled.get(rule.index()).copied().unwrap_or(false)
    }

    /// Turns one rule on or off and recounts.
    pub fn set_enabled(&mut self, report: &Report, rule: RuleId, on: bool) {
        if let Some(e) = self.enabled.get_mut(rule.index()) {
            *e = on;
            self.refresh(report);
        }
    }

    /// Turns every rule that `which` selects on or off (e.g. all built-ins),
    /// then recounts once.
    pub fn set_enabled_where(
        &mut self,
        report: &Report,
        rules: &RuleSet,
        which: impl Fn(&Rule) -> bool,
        on: bool,
    ) {
        for (e, r) in self.enabled.iter_mut().zip(rules.rules()) {
            if which(r) {
                *e = on;
            }
        }
        self.refresh(report);
    }

    /// Sets every rule on or off at once (`on(id)`), then recounts once: how
    /// the explorer re-applies the user's toggles to a fresh snapshot.
    pub fn set_enabled_by(&mut self, report: &Report, on: impl Fn(RuleId) -> bool) {
        for (i, e) in self.enabled.iter_mut().enumerate() {
            *e = on(RuleId(i as u32));
        }
        self.refresh(report);
    }

    /// What `rule` hides over the whole report.
    pub fn counts(&self, rule: RuleId) -> RuleCounts {
        self.totals.get(rule.index()).copied().unwrap_or_default()
    }

    /// What a disabled `rule` would hide if it alone were turned back on
    /// (the rules before it as they are); nothing for an enabled rule.
    pub fn would_hide(&self, rule: RuleId) -> RuleCounts {
        self.would.get(rule.index()).copied().unwrap_or_default()
    }

    /// What each rule hides in one process, in priority order; only rules
    /// that hid or left undecided something.
    pub fn process_counts(&self, process: usize) -> impl Iterator<Item = (RuleId, &RuleCounts)> {
        self.procs
            .get(process)
            .into_iter()
            .flat_map(|p| p.counts.iter().map(|(&id, c)| (id, c)))
    }

    /// Everything rules hide in one process.
    pub fn process_hidden(&self, process: usize) -> RuleCounts {
        let mut t = RuleCounts::default();
        for (_, c) in self.process_counts(process) {
            t.merge(c);
        }
        t
    }

    /// Indices of the records of the process's last leak search that no
    /// rule hides.
    pub fn visible_records(
        &self,
        process: usize,
        count: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        (0..count).filter(move |&i| self.record(process, i).is_none())
    }
}

/// One match set to compute, in the order of `Hiding::sets`.
#[derive(Clone, Copy)]
struct Job<'r> {
    lsan: bool,
    limit: usize,
    item: Item<'r>,
}

#[derive(Clone, Copy)]
enum Item<'r> {
    /// A record's stack and leak kind.
    Record(StackId, LeakKind),
    Error(&'r MemcheckError),
}

/// How many frame lines of a suppression valgrind uses: --num-callers where
/// the log lists the options, else (a lower bound) the deepest stack shown,
/// at least valgrind's default of 12. Rules of at most `longest` lines are
/// cut the same by any number from `longest` up, so the stacks are not
/// walked when no rule is longer than 12 lines (the built-in sets'), and
/// only until one as deep as `longest` is found otherwise: a log of a
/// million records that does not list its options cost a million stack
/// look-ups here.
fn num_callers(report: &Report, p: &Process, longest: usize) -> usize {
    let from_options = p.options.iter().rev().find_map(|o| {
        o.strip_prefix("--num-callers=")
            .and_then(|n| n.trim().parse::<usize>().ok())
    });
    if let Some(n) = from_options {
        return n;
    }
    const DEFAULT: usize = 12;
    if longest <= DEFAULT {
        return DEFAULT;
    }
    let deepest_records = p
        .leak_searches
        .iter()
        .flat_map(|s| &s.records)
        .map(|r| report.interner.stack(r.stack).len());
    let deepest_errors = p
        .errors
        .iter()
        .map(|e| report.interner.stack(e.stack).len());
    let mut deepest = DEFAULT;
    for depth in deepest_records.chain(deepest_errors) {
        deepest = deepest.max(depth);
        if deepest >= longest {
            break;
        }
    }
    deepest
}
