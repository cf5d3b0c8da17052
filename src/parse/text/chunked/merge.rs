//! Merging parsed chunks into the report, in input order.

use super::super::{frame_location, learn_mangled};
use super::Parsed;
use crate::model::{FrameId, MemcheckError, Remap, Report};
use crate::parse::Progress;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Merges parsed chunks into the report in input order.
pub(super) struct Merger {
    pub(super) input: usize,
    pub(super) next: u64,
    pub(super) waiting: BTreeMap<u64, Parsed>,
    /// The newest provisional tail, until the chunks before it are merged.
    pub(super) provisional: Option<Parsed>,
    /// The report with the provisional tail merged, while it is current.
    pub(super) view: Option<Report>,
    /// The generation of the provisional tail last shown.
    pub(super) shown: u64,
}

impl Merger {
    /// Takes a parsed chunk; merges every chunk now in order. Returns how
    /// many were merged (provisional tails are not counted).
    pub(super) fn take(
        &mut self,
        report: &mut Report,
        p: Parsed,
        progress: &mut dyn FnMut(&Report) -> Progress,
        on_progress: &mut dyn FnMut(&Report, Progress),
    ) -> usize {
        let mut merged = 0;
        if let Some(g) = p.provisional {
            let newer = !matches!(&self.provisional, Some(q) if q.provisional >= Some(g));
            if newer && g > self.shown {
                self.provisional = Some(p);
            }
        } else {
            self.waiting.insert(p.seq, p);
        }
        while let Some(p) = self.waiting.remove(&self.next) {
            self.next += 1;
            merged += 1;
            merge(report, self.input, p);
            self.view = None;
            let pr = progress(report);
            expect_growth(report, pr);
            on_progress(report, pr);
        }
        // A tail whose chunks are all merged is shown; one they overtook is
        // stale.
        match self.provisional.take() {
            Some(q) if q.seq == self.next => {
                self.shown = q.provisional.unwrap_or(0);
                let mut view = report.clone();
                merge(&mut view, self.input, q);
                let pr = progress(&view);
                on_progress(&view, pr);
                self.view = Some(view);
            }
            Some(q) if q.seq > self.next => self.provisional = Some(q),
            _ => {}
        }
        merged
    }

    /// A live stream is still paused: the last view again, marked idle.
    pub(super) fn idle(
        &mut self,
        report: &Report,
        progress: &mut dyn FnMut(&Report) -> Progress,
        on_progress: &mut dyn FnMut(&Report, Progress),
    ) {
        let shown = self.view.as_ref().unwrap_or(report);
        let pr = progress(shown);
        on_progress(shown, Progress { idle: true, ..pr });
    }
}

/// Tells the interner how many stacks and frames the input will likely
/// give, from the share of it read so far, so that its indices grow there
/// at once (see [`crate::model::Interner::expect`]). The reader runs a few
/// chunks ahead of the merge, so the share read overstates the share
/// merged: the guess is raised by an eighth to make up for it.
fn expect_growth(report: &mut Report, pr: Progress) {
    let Some(total) = pr.total.filter(|_| pr.read > 0) else {
        return;
    };
    let guess = |n: usize| {
        let g = n as u128 * u128::from(total) / u128::from(pr.read) * 9 / 8;
        usize::try_from(g).unwrap_or(usize::MAX)
    };
    let i = &mut report.interner;
    i.expect(guess(i.stack_count()), guess(i.frame_count()));
}

/// Moves a chunk's processes into the report, renumbering its frames and
/// stacks, and joining a leak search that the cut split in two.
fn merge(report: &mut Report, input: usize, part: Parsed) {
    // Each distinct frame text of the chunk, interned in the order the
    // chunk first showed it: frame ids come out as one parser numbers them.
    let interner = &mut report.interner;
    let frames: Vec<FrameId> = (part.frames.texts.texts())
        .map(|text| interner.intern_frame_text(text, frame_location))
        .collect();
    let stacks = interner.absorb_stacks(&part.report.interner, &frames);
    let remap = Remap { frames, stacks };
    for (stack, funs) in &part.frames.learned {
        learn_mangled(interner, remap.stack(*stack), funs);
    }
    report.inputs[input].warnings.extend(part.warnings);
    let mut by_pid: FxHashMap<u32, usize> = FxHashMap::default();
    for (i, p) in report.processes.iter().enumerate() {
        if p.input == input {
            by_pid.insert(p.pid, i);
        }
    }
    for mut proc in part.report.processes {
        proc.input = input;
        for e in &mut proc.errors {
            remap_error(&remap, e);
        }
        for s in &mut proc.leak_searches {
            for r in &mut s.records {
                r.stack = remap.stack(r.stack);
            }
        }
        let Some(&t) = by_pid.get(&proc.pid) else {
            by_pid.insert(proc.pid, report.processes.len());
            report.processes.push(proc);
            continue;
        };
        let main = &mut report.processes[t];
        main.command = main.command.take().or(proc.command);
        main.tool = main.tool.take().or(proc.tool);
        main.valgrind_version = main.valgrind_version.take().or(proc.valgrind_version);
        main.ppid = main.ppid.or(proc.ppid);
        main.options.extend(proc.options);
        main.errors.extend(proc.errors);
        let mut searches = proc.leak_searches.into_iter();
        if let Some(open) = main
            .leak_searches
            .last_mut()
            .filter(|s| s.summary.is_none())
        {
            if let Some(first) = searches.next() {
                let summary = first.summary.clone();
                open.append(first);
                open.summary = summary;
            }
        }
        main.leak_searches.extend(searches);
        main.heap_summary = proc.heap_summary.or(main.heap_summary);
        main.error_summary = proc.error_summary.or(main.error_summary);
        main.used_suppressions.extend(proc.used_suppressions);
        main.fatal_signal = proc.fatal_signal.or(main.fatal_signal.take());
        main.unreadable_records += proc.unreadable_records;
    }
    for (pid, mut e) in part.listed {
        remap_error(&remap, &mut e);
        let Some(&t) = by_pid.get(&pid) else { continue };
        let errors = &mut report.processes[t].errors;
        match errors
            .iter_mut()
            .find(|x| x.kind == e.kind && x.stack == e.stack && x.what == e.what)
        {
            Some(x) => x.count = e.count,
            None => errors.push(e),
        }
    }
}

fn remap_error(remap: &Remap, e: &mut MemcheckError) {
    e.stack = remap.stack(e.stack);
    for a in &mut e.aux {
        a.stack = remap.stack(a.stack);
    }
}
