//! Rules sorted by what they apply to, and the matching of one job (a
//! record's stack and leak kind, or an error) against them.

use super::{Item, Job, Matches};
use crate::model::{FrameId, Frames, Report};
use crate::triage::rules::lsan_supp::{self, LsanSuppression};
use crate::triage::rules::matcher::{stack_verdict, FrameMatcher, Tri};
use crate::triage::rules::supp_file::{FramePattern, Suppression};
use crate::triage::rules::{Matcher, RuleId, RuleSet};

/// Rules sorted by what they apply to, with their frame-pattern ids.
pub(super) struct Plan<'a> {
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

    pub(super) fn new(rules: &'a RuleSet) -> Self {
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
