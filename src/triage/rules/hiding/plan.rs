//! Rules sorted by what they apply to, and the matching of one job (a
//! record's stack and leak kind, or an error) against them.

use super::rows::{LocationRows, TopLine, ANCHOR_BITS, LINE_BITS};
use super::{Item, Job, Matches};
use crate::model::{FrameId, Frames, LeakKind, Report};
use crate::triage::rules::lsan_supp::{self, LsanSuppression};
use crate::triage::rules::matcher::{stack_verdict, FrameMatcher, Tri};
use crate::triage::rules::supp_file::{FramePattern, Suppression};
use crate::triage::rules::{Matcher, RuleId, RuleSet};

/// Rules sorted by what they apply to, with their frame-pattern ids.
pub(super) struct Plan<'a> {
    /// Each rule with the id of its first frame pattern: pattern ids are
    /// dense, one verdict table each in the `FrameMatcher`.
    valgrind: Vec<(RuleId, &'a Suppression, u32)>,
    /// The prefilter's needs: (index into `valgrind`, index into `anchors`,
    /// position in the rule) for each real frame line after a rule's first
    /// `...`. A rule can only match a stack where each of them matches (or
    /// might) at some frame; the lines before its first `...` are tested
    /// at the top of the stack, where a mismatch costs one test.
    needs: Vec<(usize, usize, usize)>,
    /// The distinct patterns needed (an id to test each with, the
    /// pattern), as the matcher takes them: several rules need the same
    /// `fun:call_init` or `fun:PyImport_ImportModuleLevelObject`, each
    /// tested once per location.
    anchors: Vec<(u32, &'a FramePattern)>,
    /// Per leak kind (`LeakKind::index()`), the valgrind rules (indices
    /// into `valgrind`) whose `match-leak-kinds` take it: most rules take
    /// one or two kinds, so most stacks of the others meet none.
    by_kind: [Vec<usize>; 4],
    /// Per valgrind rule, its `needs` as (anchor, position in the rule).
    needs_of: Vec<Vec<(usize, usize)>>,
    /// Per valgrind rule (with `rows`), its needs as bits, and how many of
    /// its lines --num-callers must leave for all of them to count.
    needs_bits: Vec<(u64, usize)>,
    /// For at most 64 valgrind rules (else empty): per position from the
    /// top, each distinct line rules have there before their first `...`
    /// (a pattern id, the pattern, the rules as bits): `fun:malloc` opens
    /// six built-in rules and is tested once per stack, not six times.
    tops: Vec<Vec<(u32, &'a FramePattern, u64)>>,
    /// The rules of each leak kind as bits (with `tops`).
    kind_bits: [u64; 4],
    /// `tops` in one list, position by position (with `rows`).
    lines: Vec<TopLine<'a>>,
    /// Per position, its lines in `lines` as bits, and the rules they open.
    position_lines: Vec<u64>,
    position_rules: Vec<u64>,
    /// Each location's answers to `lines` and `anchors`, shared by every
    /// thread: when there are at most 32 lines and 63 anchors (the built-in
    /// sets have 15 and 24), else each matcher keeps its own.
    rows: Option<LocationRows>,
    lsan: Vec<(RuleId, &'a LsanSuppression)>,
}

impl<'a> Plan<'a> {
    pub(super) fn job_matches(&self, fm: &mut FrameMatcher, report: &Report, job: &Job) -> Matches {
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

    /// The plan for `rules` on a report of `locations` locations.
    pub(super) fn new(rules: &'a RuleSet, locations: usize) -> Self {
        let mut plan = Plan {
            valgrind: Vec::new(),
            needs: Vec::new(),
            anchors: Vec::new(),
            by_kind: Default::default(),
            needs_of: Vec::new(),
            needs_bits: Vec::new(),
            tops: Vec::new(),
            kind_bits: [0; 4],
            lines: Vec::new(),
            position_lines: Vec::new(),
            position_rules: Vec::new(),
            rows: None,
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
                    // Every real frame line after the first `...`, not only
                    // the next one: `... obj:*/libX.so fun:call_init` meets
                    // its first line in most of a program's stacks but its
                    // last in a few, and `fun:*alloc ... fun:_dl_map_object`
                    // would otherwise walk every stack that starts at malloc.
                    let rule = plan.valgrind.len() - 1;
                    let after = s.frames.iter().position(|p| *p == FramePattern::Ellipsis);
                    for (at, pat) in s
                        .frames
                        .iter()
                        .enumerate()
                        .skip(after.unwrap_or(usize::MAX))
                    {
                        if *pat == FramePattern::Ellipsis {
                            continue;
                        }
                        let anchor = match plan.anchors.iter().position(|&(_, p)| p == pat) {
                            Some(a) => a,
                            None => {
                                plan.anchors.push((first + at as u32, pat));
                                plan.anchors.len() - 1
                            }
                        };
                        plan.needs.push((rule, anchor, at));
                    }
                }
                Matcher::Lsan(l) => plan.lsan.push((id, l)),
            }
        }
        plan.needs_of = vec![Vec::new(); plan.valgrind.len()];
        for &(rule, anchor, at) in &plan.needs {
            plan.needs_of[rule].push((anchor, at));
        }
        plan.needs_bits = (plan.needs_of.iter())
            .map(|needs| {
                let bits = needs.iter().fold(0u64, |g, &(a, _)| g | 1u64 << (a % 64));
                (bits, needs.iter().map(|&(_, at)| at + 1).max().unwrap_or(0))
            })
            .collect();
        for kind in LeakKind::ALL {
            plan.by_kind[kind.index()] = (plan.valgrind.iter().enumerate())
                .filter(|(_, (_, s, _))| s.kind.matches_leak(kind))
                .map(|(ri, _)| ri)
                .collect();
        }
        if plan.valgrind.len() <= 64 {
            plan.sort_tops();
        }
        let (lines, anchors) = (plan.lines.len(), plan.anchors.len());
        if !plan.tops.is_empty() && lines <= LINE_BITS && anchors <= ANCHOR_BITS {
            plan.rows = Some(LocationRows::new(locations));
        }
        plan
    }

    /// Fills `tops` and `kind_bits` (at most 64 valgrind rules).
    fn sort_tops(&mut self) {
        for (ri, &(_, s, base)) in self.valgrind.iter().enumerate() {
            let top = s
                .frames
                .iter()
                .take_while(|p| **p != FramePattern::Ellipsis);
            for (p, pat) in top.enumerate() {
                if self.tops.len() <= p {
                    self.tops.push(Vec::new());
                }
                let lines = &mut self.tops[p];
                match lines.iter_mut().find(|(_, q, _)| *q == pat) {
                    Some((_, _, rules)) => *rules |= 1 << ri,
                    None => lines.push((base + p as u32, pat, 1 << ri)),
                }
            }
        }
        for (k, ris) in self.kind_bits.iter_mut().zip(&self.by_kind) {
            *k = ris.iter().fold(0, |k, &ri| k | 1 << ri);
        }
        for (p, lines) in self.tops.iter().enumerate() {
            let (mut bits, mut rules) = (0u64, 0u64);
            for &(pid, pat, r) in lines {
                if self.lines.len() < 64 {
                    bits |= 1 << self.lines.len();
                }
                self.lines.push((p, pid, pat, r));
                rules |= r;
            }
            self.position_lines.push(bits);
            self.position_rules.push(rules);
        }
    }

    /// [`Self::top_survivors`] with each location's lines answered by
    /// `rows`: a top frame costs one row, not a test per line.
    fn top_survivors_by_rows(
        &self,
        rows: &LocationRows,
        fm: &mut FrameMatcher,
        stack: Frames,
        limit: usize,
        kind: LeakKind,
    ) -> u64 {
        let interner = fm.interner();
        let mut alive = self.kind_bits[kind.index()];
        // Lines past --num-callers are cut off the rule: not tested.
        for p in 0..self.tops.len().min(limit.max(1)) {
            if alive == 0 {
                break;
            }
            let Some(&f) = stack.get(p) else {
                // No frame here: every line at p says no.
                alive &= !self.position_rules[p];
                continue;
            };
            // The lines here that could rule out a rule still alive.
            let mut want = 0;
            let mut at_p = self.position_lines[p];
            while at_p != 0 {
                let k = at_p.trailing_zeros() as usize;
                if self.lines[k].3 & alive != 0 {
                    want |= 1 << k;
                }
                at_p &= at_p - 1;
            }
            let loc = interner.location_of(f) as u32;
            let mut no = rows.no(fm, &self.lines, loc, want);
            while no != 0 {
                alive &= !self.lines[no.trailing_zeros() as usize].3;
                no &= no - 1;
            }
        }
        alive
    }

    /// The rules of `kind` (as bits, with `tops`) whose lines before their
    /// first `...` do not rule `stack` out: each line tests one frame from
    /// the top, and one that says no rules its rules out.
    fn top_survivors(
        &self,
        fm: &mut FrameMatcher,
        stack: Frames,
        limit: usize,
        kind: LeakKind,
    ) -> u64 {
        let interner = fm.interner();
        let mut alive = self.kind_bits[kind.index()];
        // Lines past --num-callers are cut off the rule: not tested.
        for (p, lines) in self.tops.iter().enumerate().take(limit.max(1)) {
            if alive == 0 {
                break;
            }
            let loc = stack.get(p).map(|&f| interner.location_of(f) as u32);
            for &(pid, pat, rules) in lines {
                if rules & alive == 0 {
                    continue;
                }
                let no = match loc {
                    Some(l) => fm.matches_at(pid, pat, l) == Tri::No,
                    None => true,
                };
                if no {
                    alive &= !rules;
                }
            }
        }
        alive
    }

    /// The most frame lines (`...` included) a valgrind rule has: what
    /// --num-callers cuts a rule at is the same for any number from there.
    pub(super) fn longest_rule(&self) -> usize {
        (self.valgrind.iter())
            .map(|&(_, s, _)| s.frames.len())
            .max()
            .unwrap_or(0)
    }

    /// Whether any rule could match a record of `kind` at all, whatever its
    /// stack: when none can, its match set is empty without a look at it.
    pub(super) fn any_for(&self, lsan: bool, kind: LeakKind) -> bool {
        (lsan && !self.lsan.is_empty()) || !self.by_kind[kind.index()].is_empty()
    }

    /// Whether a rule might match a record of `kind` on `stack`, by the
    /// cheap tests that rule most stacks out: a rule's lines before its
    /// first `...` on the stack's top frames, and its lines after it
    /// somewhere in the stack (see `needs`). `false` says its match set is
    /// empty; `true` only that the full match must decide. Run on every new
    /// stack before stacks are compared (by their locations) and matched.
    pub(super) fn may_match(
        &self,
        fm: &mut FrameMatcher,
        stack: Frames,
        (lsan, limit): (bool, usize),
        kind: LeakKind,
    ) -> bool {
        if lsan && !self.lsan.is_empty() {
            return true;
        }
        if let Some(rows) = &self.rows {
            let alive = self.top_survivors_by_rows(rows, fm, stack, limit, kind);
            return alive != 0 && self.needs_met_by_rows(rows, fm, stack, limit, alive);
        }
        let interner = fm.interner();
        let loc = |i: usize| interner.location_of(stack[i]) as u32;
        let mut survivors = std::mem::take(&mut fm.survivors);
        survivors.clear();
        let kind_bits = self.kind_bits[kind.index()];
        if kind_bits != 0 && !self.tops.is_empty() {
            let mut alive = self.top_survivors(fm, stack, limit, kind);
            while alive != 0 {
                survivors.push(alive.trailing_zeros() as usize);
                alive &= alive - 1;
            }
        }
        let by_rule = if self.tops.is_empty() {
            &self.by_kind[kind.index()][..]
        } else {
            &[]
        };
        for &ri in by_rule {
            let (_, s, base) = self.valgrind[ri];
            let pats = &s.frames[..s.frames.len().min(limit.max(1))];
            // The lines before the first `...` each test one frame from the
            // top: one that says no rules the rule out.
            let top = pats.iter().take_while(|p| **p != FramePattern::Ellipsis);
            let ruled_out = top.enumerate().any(|(p, pat)| {
                p >= stack.len() || fm.matches_at(base + p as u32, pat, loc(p)) == Tri::No
            });
            if !ruled_out {
                survivors.push(ri);
            }
        }
        let mut may = !survivors.is_empty();
        if may && self.anchors.len() <= 64 {
            may = self.needs_met(fm, stack, limit, &survivors);
        } else if may && survivors.iter().all(|&ri| !self.needs_of[ri].is_empty()) {
            let mut present = std::mem::take(&mut fm.present);
            let listed = stack
                .listed_frames()
                .map(|&f| interner.location_of(f) as u32);
            fm.anchors_present(&self.anchors, listed, &mut present);
            may = survivors.iter().any(|&ri| {
                self.needs_of[ri]
                    .iter()
                    .all(|&(a, at)| at >= limit.max(1) || present[a / 64] & (1 << (a % 64)) != 0)
            });
            fm.present = present;
        }
        fm.survivors = survivors;
        may
    }

    /// Whether one of rules `survivors` finds every line it needs after its
    /// first `...` somewhere in `stack`, for at most 64 anchors (a word of
    /// bits): the stack is read from the top until one does, or to its end.
    fn needs_met(
        &self,
        fm: &mut FrameMatcher,
        stack: Frames,
        limit: usize,
        survivors: &[usize],
    ) -> bool {
        // Per rule, the anchors it needs (lines past --num-callers are cut
        // off the rule, so not needed).
        let mut goals = std::mem::take(&mut fm.present);
        goals.clear();
        goals.extend(survivors.iter().map(|&ri| {
            (self.needs_of[ri].iter())
                .filter(|&&(_, at)| at < limit.max(1))
                .fold(0u64, |g, &(a, _)| g | 1 << a)
        }));
        let interner = fm.interner();
        let met = goals.contains(&0) || {
            let mut present = 0u64;
            let mut see = |fm: &mut FrameMatcher, f: FrameId| {
                let m = fm.anchors_at(&self.anchors, interner.location_of(f) as u32);
                // A new anchor found: has a rule now all it needs?
                m & !present != 0 && {
                    present |= m;
                    goals.iter().any(|&g| g & !present == 0)
                }
            };
            match stack.as_slice() {
                Some(frames) => frames.iter().any(|&f| see(fm, f)),
                None => stack.listed_frames().any(|&f| see(fm, f)),
            }
        };
        fm.present = goals;
        met
    }

    /// [`Self::needs_met`] for the rules `alive` (as bits), each
    /// location's anchors read from `rows`.
    fn needs_met_by_rows(
        &self,
        rows: &LocationRows,
        fm: &mut FrameMatcher,
        stack: Frames,
        limit: usize,
        alive: u64,
    ) -> bool {
        if bits(alive).any(|ri| self.goal(ri, limit) == 0) {
            return true;
        }
        match stack.as_slice() {
            Some(frames) => self.goal_met(rows, fm, frames.iter(), limit, alive),
            None => self.goal_met(rows, fm, stack.listed_frames(), limit, alive),
        }
    }

    /// The anchors rule `ri` needs, as bits: lines past --num-callers are
    /// cut off the rule, so not needed.
    #[inline]
    fn goal(&self, ri: usize, limit: usize) -> u64 {
        let (all, reach) = self.needs_bits[ri];
        if limit.max(1) >= reach {
            return all;
        }
        (self.needs_of[ri].iter())
            .filter(|&&(_, at)| at < limit.max(1))
            .fold(0u64, |g, &(a, _)| g | 1 << a)
    }

    /// Whether one of the rules `alive` finds all its anchors in `frames`,
    /// read from the top until one does.
    fn goal_met<'f>(
        &self,
        rows: &LocationRows,
        fm: &mut FrameMatcher,
        frames: impl Iterator<Item = &'f FrameId>,
        limit: usize,
        alive: u64,
    ) -> bool {
        let interner = fm.interner();
        let mut present = 0u64;
        for &f in frames {
            let m = rows.anchors(fm, &self.anchors, interner.location_of(f) as u32);
            // A new anchor found: has a rule now all it needs?
            if m & !present != 0 {
                present |= m;
                if bits(alive).any(|ri| self.goal(ri, limit) & !present == 0) {
                    return true;
                }
            }
        }
        false
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
        if let Some(rows) = &self.rows {
            present.push(rows.anchors_in(fm, &self.anchors, stack));
            if let Some(frames) = stack.as_slice() {
                locs.extend(frames.iter().map(|&f| loc(f)));
            }
        } else if let Some(frames) = stack.as_slice() {
            locs.extend(frames.iter().map(|&f| loc(f)));
            fm.anchors_present(&self.anchors, locs.iter().copied(), &mut present);
        } else {
            let listed = stack.listed_frames().map(|&f| loc(f));
            fm.anchors_present(&self.anchors, listed, &mut present);
        }
        let mut absent = vec![false; self.valgrind.len()];
        for &(rule, a, at) in &self.needs {
            // Past --num-callers the line is cut off the rule: not needed.
            absent[rule] |= at < limit.max(1) && present[a / 64] & (1 << (a % 64)) == 0;
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

/// The indices of the bits set in `b`, lowest first.
fn bits(mut b: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (b != 0).then(|| {
            let i = b.trailing_zeros() as usize;
            b &= b - 1;
            i
        })
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
