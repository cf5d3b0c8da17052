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

use super::lsan_supp::{self, LsanSuppression};
use super::matcher::{stack_verdict, FrameMatcher, Tri};
use super::supp_file::{FramePattern, Suppression};
use super::{Matcher, Rule, RuleId, RuleSet};
use crate::model::{
    Format, FrameId, Frames, Interner, LeakKind, LossRecord, MemcheckError, Process, Report,
    StackId,
};
use crate::triage::Totals;
use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHasher};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

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
    records: Vec<Vec<SetId>>,
    errors: Vec<SetId>,
    counts: BTreeMap<RuleId, RuleCounts>,
}

/// What a record's matches depend on besides its stack: log kind (LSan),
/// --num-callers, leak kind.
type TableKey = (bool, usize, LeakKind);

/// A stack whose set is not known yet (in `by_stack`).
const UNKNOWN: SetId = SetId::MAX;
/// Matches computed in one go at most: bounds the memory of a first load
/// of a million distinct stacks.
const BATCH: usize = 1 << 16;

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
    /// Per table key, each stack's set (`UNKNOWN`: not matched yet).
    by_stack: FxHashMap<TableKey, Vec<SetId>>,
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
        self.enabled.resize(rules.len(), true);
        let plan = Plan::new(rules);
        // What is new is gathered in batches and matched on every core: this
        // is the expensive part of a run (every rule over every stack).
        let mut jobs: Vec<Job> = Vec::new();
        // One matcher per thread, kept across batches (verdicts per location).
        let mut fms: Vec<FrameMatcher> = Vec::new();
        let stacks = report.interner.stack_count();
        for (pi, p) in report.processes.iter().enumerate() {
            if self.procs.len() <= pi {
                self.procs.push(ProcessHiding::default());
            }
            let lsan = report.inputs.get(p.input).map(|i| i.format) == Some(Format::Lsan);
            let limit = num_callers(report, p);
            self.procs[pi]
                .records
                .resize_with(p.leak_searches.len(), Vec::new);
            // Pass 1: match every (stack, kind) not matched before.
            for (si, s) in p.leak_searches.iter().enumerate() {
                let done = self.procs[pi].records[si].len().min(s.records.len());
                for r in &s.records[done..] {
                    let table = self.by_stack.entry((lsan, limit, r.kind)).or_default();
                    if table.len() < stacks {
                        table.resize(stacks, UNKNOWN);
                    }
                    let slot = &mut table[r.stack.0 as usize];
                    if *slot != UNKNOWN {
                        continue;
                    }
                    // Claimed: a later record on this stack waits for the batch.
                    *slot = UNKNOWN - 1;
                    let item = Item::Record(r.stack, r.kind);
                    jobs.push(Job { lsan, limit, item });
                    if jobs.len() >= BATCH {
                        self.run_batch(&plan, report, &mut fms, &mut jobs);
                    }
                }
            }
            self.run_batch(&plan, report, &mut fms, &mut jobs);
            // Pass 2: every new record takes its stack's set.
            let ph = &mut self.procs[pi];
            for (si, s) in p.leak_searches.iter().enumerate() {
                let done = ph.records[si].len().min(s.records.len());
                for r in &s.records[done..] {
                    let set = self.by_stack[&(lsan, limit, r.kind)][r.stack.0 as usize];
                    ph.records[si].push(set);
                }
            }
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

    /// Matches a batch of record jobs and records each stack's set. Stacks
    /// that differ only by addresses (the same code reached again, or
    /// moved) are matched once: a verdict depends only on the frames'
    /// locations, the leak kind and the job's kind of log and --num-callers.
    fn run_batch<'r>(
        &mut self,
        plan: &Plan,
        report: &'r Report,
        fms: &mut Vec<FrameMatcher<'r>>,
        jobs: &mut Vec<Job<'r>>,
    ) {
        if jobs.is_empty() {
            return;
        }
        let (reps, of) = same_locations(&report.interner, jobs);
        let unique: Vec<Job> = reps.iter().map(|&i| jobs[i]).collect();
        let sets = self.match_jobs(plan, report, fms, &unique);
        for (job, &u) in jobs.iter().zip(&of) {
            if let Item::Record(stack, kind) = job.item {
                if let Some(table) = self.by_stack.get_mut(&(job.lsan, job.limit, kind)) {
                    table[stack.0 as usize] = sets[u];
                }
            }
        }
        jobs.clear();
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
        results
            .into_iter()
            .map(|m| {
                if let Some(&id) = self.set_ids.get(&m) {
                    return id;
                }
                let id = self.sets.len() as SetId;
                self.sets.push(m.clone());
                self.set_ids.insert(m, id);
                id
            })
            .collect()
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
                for (r, &set) in records.iter().zip(&ph.records[last]) {
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
            .and_then(|&set| self.verdicts.get(set as usize))
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
            .and_then(|&set| self.sets.get(set as usize))
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

/// Rules sorted by what they apply to, with their frame-pattern ids.
struct Plan<'a> {
    /// Each rule with the id of its first frame pattern: pattern ids are
    /// dense, one verdict table each in the `FrameMatcher`.
    valgrind: Vec<(RuleId, &'a Suppression, u32)>,
    /// For rules that start with `...`: (index into `valgrind`, pattern id
    /// and pattern of the first real frame line), the prefilter's anchors.
    anchored: Vec<(usize, u32, &'a FramePattern, usize)>,
    /// The anchors alone (pattern id and pattern), as the matcher takes them.
    anchors: Vec<(u32, &'a FramePattern)>,
    lsan: Vec<(RuleId, &'a LsanSuppression)>,
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

impl<'a> Plan<'a> {
    fn job_matches(&self, fm: &mut FrameMatcher, report: &Report, job: &Job) -> Matches {
        match job.item {
            Item::Record(stack, kind) => {
                let stack = report.interner.stack(stack);
                let valgrind =
                    self.valgrind_matches(fm, stack, job.limit, |s| s.kind.matches_leak(kind));
                if !job.lsan {
                    return valgrind;
                }
                // An LSan leak: LSan's own `leak:` rules as LSan finds them,
                // then valgrind-format rules (the built-in sets, users'
                // .supp files) matched on the same frames, sanitizer
                // interceptors standing for the allocators they replace.
                let lsan = self.lsan_matches(report, stack);
                Matches {
                    yes: lsan
                        .yes
                        .iter()
                        .chain(valgrind.yes.iter())
                        .copied()
                        .collect(),
                    maybe: valgrind.maybe,
                }
            }
            Item::Error(e) => {
                if job.lsan {
                    return Matches::default();
                }
                let stack = report.interner.stack(e.stack);
                self.valgrind_matches(fm, stack, job.limit, |s| s.kind.matches_error(e))
            }
        }
    }

    fn new(rules: &'a RuleSet) -> Self {
        let mut plan = Plan {
            valgrind: Vec::new(),
            anchored: Vec::new(),
            anchors: Vec::new(),
            lsan: Vec::new(),
        };
        for (id, r) in rules.ids().zip(rules.rules()) {
            match &r.matcher {
                Matcher::Valgrind(s) => {
                    let first = plan
                        .valgrind
                        .last()
                        .map_or(0, |&(_, p, f): &(_, &Suppression, u32)| {
                            f + p.frames.len() as u32
                        });
                    plan.valgrind.push((id, s, first));
                    if s.frames.first() == Some(&FramePattern::Ellipsis) {
                        if let Some(a) = s.frames.iter().position(|p| *p != FramePattern::Ellipsis)
                        {
                            let rule = plan.valgrind.len() - 1;
                            plan.anchored
                                .push((rule, first + a as u32, &s.frames[a], a));
                        }
                    }
                }
                Matcher::Lsan(l) => plan.lsan.push((id, l)),
            }
        }
        plan.anchors = plan
            .anchored
            .iter()
            .map(|&(_, pid, p, _)| (pid, p))
            .collect();
        plan
    }

    /// Valgrind rules whose kind fits (`kind_fits`) and whose frames match
    /// `stack`, with patterns cut at the process's --num-callers as valgrind
    /// cuts them when it reads the file. Verdicts depend on the frames'
    /// locations only: a stack's locations are written into the matcher's
    /// scratch vector once (a pattern tests a frame many times), but a long
    /// (packed) stack's are read in place, never copied — it may hold a
    /// million frames.
    fn valgrind_matches(
        &self,
        fm: &mut FrameMatcher,
        stack: Frames,
        limit: usize,
        kind_fits: impl Fn(&Suppression) -> bool,
    ) -> Matches {
        if self.valgrind.is_empty() {
            return Matches::default();
        }
        let (mut yes, mut maybe) = (Vec::new(), Vec::new());
        let mut present = Vec::new();
        let interner = fm.interner();
        let loc = |f: FrameId| interner.location_of(f) as u32;
        // The locations of a stack the parser kept written out (see
        // `model::Frames`); none for a packed one.
        let mut locs = std::mem::take(&mut fm.scratch);
        locs.clear();
        let written = stack.as_slice().is_some();
        if let Some(frames) = stack.as_slice() {
            locs.extend(frames.iter().map(|&f| loc(f)));
            fm.anchors_present(&self.anchors, locs.iter().copied(), &mut present);
        } else {
            let listed = stack.listed_frames().map(|&f| loc(f));
            fm.anchors_present(&self.anchors, listed, &mut present);
        }
        let mut absent = vec![false; self.valgrind.len()];
        for (i, &(rule, _, _, at)) in self.anchored.iter().enumerate() {
            // Past --num-callers the anchor is cut off the rule: no prefilter.
            absent[rule] = at < limit.max(1) && present[i / 64] & (1 << (i % 64)) == 0;
        }
        for (ri, &(id, s, base)) in self.valgrind.iter().enumerate() {
            if absent[ri] || !kind_fits(s) {
                continue;
            }
            let pats = &s.frames[..s.frames.len().min(limit.max(1))];
            let v = if written {
                stack_verdict(pats, locs.len(), |p, f| {
                    fm.matches_at(base + p as u32, &pats[p], locs[f])
                })
            } else {
                stack_verdict(pats, stack.len(), |p, f| {
                    fm.matches_at(base + p as u32, &pats[p], loc(stack[f]))
                })
            };
            match v {
                Tri::Yes => yes.push(id),
                Tri::Unknown => maybe.push(id),
                Tri::No => {}
            }
        }
        fm.scratch = locs;
        Matches {
            yes: yes.into(),
            maybe: maybe.into(),
        }
    }

    /// LSan rules matching a leak's stack, in the order LSan would find them:
    /// frame by frame from the top, each frame's module, function and file.
    fn lsan_matches(&self, report: &Report, stack: Frames) -> Matches {
        let mut yes: Vec<RuleId> = Vec::new();
        if self.lsan.is_empty() {
            return Matches::default();
        }
        for &f in stack {
            for name in lsan_supp::frame_names(&report.interner.frame(f).as_logged()) {
                for &(id, l) in &self.lsan {
                    if !yes.contains(&id) && l.matches_name(&name) {
                        yes.push(id);
                    }
                }
            }
        }
        Matches {
            yes: yes.into(),
            maybe: Box::default(),
        }
    }
}

/// Groups record jobs that would match alike (same locations, leak kind,
/// kind of log and --num-callers): the index of each group's first job,
/// and each job's group. Keys are not stored: a candidate is compared with
/// its group's first job frame by frame.
fn same_locations(interner: &Interner, jobs: &[Job]) -> (Vec<usize>, Vec<usize>) {
    let key = |job: &Job| match job.item {
        Item::Record(stack, kind) => Some((interner.stack(stack), kind, job.limit, job.lsan)),
        Item::Error(_) => None,
    };
    let hash = |job: &Job| {
        let mut h = FxHasher::default();
        if let Some((stack, kind, limit, lsan)) = key(job) {
            for &f in stack {
                h.write_u32(interner.location_of(f) as u32);
            }
            (kind.index(), limit, lsan).hash(&mut h);
        }
        h.finish()
    };
    let same = |a: &Job, b: &Job| match (key(a), key(b)) {
        (Some((sa, ka, la, ma)), Some((sb, kb, lb, mb))) => {
            (ka, la, ma) == (kb, lb, mb)
                && sa.len() == sb.len()
                && sa
                    .iter()
                    .zip(sb)
                    .all(|(&x, &y)| x == y || interner.location_of(x) == interner.location_of(y))
        }
        _ => false,
    };
    // Hashing walks every frame of every stack: done on every core, once
    // (the table is sized for the batch, so it never rehashes).
    let hashes = in_parts(jobs, 4096, &mut Vec::new(), || (), |_, j| hash(j));
    let mut table: HashTable<usize> = HashTable::with_capacity(jobs.len());
    let mut reps: Vec<usize> = Vec::new();
    let mut of = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let h = hashes[i];
        if let Some(&g) = table.find(h, |&g| same(&jobs[reps[g]], job)) {
            of.push(g);
            continue;
        }
        reps.push(i);
        let g = reps.len() - 1;
        table.insert_unique(h, g, |&g| hashes[reps[g]]);
        of.push(g);
    }
    (reps, of)
}

/// `f` of every item, in order, computed in parts of at least `min_part`
/// items on up to 4 threads; part k works with `states[k]` (made with `new`
/// when missing, kept for the next call: a matcher's per-location verdicts).
fn in_parts<T: Sync, S: Send, R: Send>(
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

/// How many frame lines of a suppression valgrind uses: --num-callers where
/// the log lists the options, else (a lower bound) the deepest stack shown,
/// at least valgrind's default of 12.
fn num_callers(report: &Report, p: &Process) -> usize {
    let from_options = p.options.iter().rev().find_map(|o| {
        o.strip_prefix("--num-callers=")
            .and_then(|n| n.trim().parse::<usize>().ok())
    });
    if let Some(n) = from_options {
        return n;
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
    deepest_records
        .chain(deepest_errors)
        .max()
        .unwrap_or(0)
        .max(12)
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
