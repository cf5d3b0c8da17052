//! How a finished block becomes part of the report: a loss record or an
//! error at the end of its stack, a leak search closed by its summary, a
//! `{ … }` suppression block attached to the item it follows.

use super::{Block, LastItem, TextParser};
use crate::model::{
    AuxStack, Interner, LeakSearch, LeakSummary, LossRecord, MemcheckError, Report, StackId,
};

/// A leak search opened by a line stamped `stamp_ms` (if time stamps are on).
fn new_search(stamp_ms: Option<u64>) -> LeakSearch {
    LeakSearch {
        time_s: stamp_ms.map(|ms| ms as f64 / 1000.0),
        ..LeakSearch::default()
    }
}

/// Longest suppression block kept; valgrind's own are --num-callers + 5 lines.
const MAX_SUPP_LINES: usize = 600;

impl TextParser {
    /// Closes the PID's open block: a record or error is complete at the blank
    /// line (or the next headline) that follows its stack.
    pub(super) fn end_block(&mut self, report: &mut Report, pid: u32) {
        let Some(st) = self.pids.get_mut(&pid) else {
            return;
        };
        match std::mem::take(&mut st.block) {
            Block::Record(h, line) => {
                let stack = report.interner.intern_stack_built(&mut st.frames);
                let process = st.process;
                let searches = &mut report.processes[process].leak_searches;
                if !st.open_search {
                    searches.push(new_search(self.stamp_ms));
                    st.open_search = true;
                }
                let search = searches.last_mut().expect("open search");
                let mut r = LossRecord::new(h.kind, h.direct, h.indirect, h.blocks, stack, line);
                r.set_number(h.number);
                r.set_deltas(h.delta_bytes, h.delta_blocks);
                search.push(r, h.of);
                self.last_item = Some(LastItem::Record {
                    process,
                    index: search.records.len() - 1,
                });
            }
            Block::Error(e) => {
                let stack = report.interner.intern_stack_built(&mut st.frames);
                let aux = e
                    .aux
                    .iter()
                    .map(|(what, frames)| AuxStack {
                        what: what.as_str().into(),
                        stack: report.interner.intern_stack(frames),
                    })
                    .collect();
                let process = st.process;
                let errors = &mut report.processes[process].errors;
                let err = MemcheckError {
                    kind: e.kind,
                    what: e.what.into(),
                    stack,
                    aux,
                    count: 1,
                    suppression: None,
                    line: e.line,
                };
                if let Some(n) = e.listed_count {
                    // A repeat from the -v/-s listing: it tells the count of a
                    // context already read, so it is not a new error.
                    if let Some(i) = errors.iter().position(|x| {
                        x.kind == err.kind && x.stack == err.stack && x.what == err.what
                    }) {
                        errors[i].count = n;
                        self.last_item = None;
                        return;
                    }
                    if self.chunk {
                        self.unmatched_listed
                            .push((pid, MemcheckError { count: n, ..err }));
                        self.last_item = None;
                        return;
                    }
                    errors.push(MemcheckError { count: n, ..err });
                } else {
                    errors.push(err);
                }
                self.last_item = Some(LastItem::Error {
                    process,
                    index: errors.len() - 1,
                });
            }
            Block::LeakSummary(sum) => {
                st.frames.clear();
                self.close_search(report, pid, sum);
                return;
            }
            Block::HeapSummary(h) => {
                report.processes[st.process].heap_summary = Some(h);
            }
            Block::None | Block::Candidate(..) | Block::Options | Block::Skip => {}
        }
        st.frames.clear();
    }

    /// Ends the PID's leak search with the summary valgrind printed for it.
    pub(super) fn close_search(&mut self, report: &mut Report, pid: u32, summary: LeakSummary) {
        let stamp_ms = self.stamp_ms;
        let st = self.state(report, pid);
        let searches = &mut report.processes[st.process].leak_searches;
        if !st.open_search {
            searches.push(new_search(stamp_ms));
        }
        st.open_search = false;
        searches.last_mut().expect("search").summary = Some(summary);
    }

    pub(super) fn supp_line(&mut self, report: &mut Report, line: &[u8], no: u64) {
        let text = String::from_utf8_lossy(line).trim_end().to_string();
        let (lines, _) = self.supp.get_or_insert_with(|| (Vec::new(), no));
        if lines.len() < MAX_SUPP_LINES {
            lines.push(text.clone());
        }
        if text.trim() == "}" {
            self.close_supp(report, no);
        }
    }

    /// Attaches a finished `{ … }` block to the record or error it follows, and
    /// teaches the stack's frames their mangled names from its `fun:` lines.
    pub(super) fn close_supp(&mut self, report: &mut Report, no: u64) {
        let Some((lines, start)) = self.supp.take() else {
            return;
        };
        let complete = lines.last().is_some_and(|l| l.trim() == "}");
        let well_formed = complete
            && lines.len() >= 4
            && lines[2].trim().contains(':')
            && !lines[2].trim().contains(' ');
        if !well_formed {
            if lines.len() > 1 || no == u64::MAX {
                self.warn(
                    start,
                    "an unterminated or malformed suppression block; ignored",
                );
            }
            return;
        }
        let text: Box<str> = lines.join("\n").into();
        let funs: Vec<Option<&str>> = lines[3..lines.len() - 1]
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.starts_with("match-leak-kinds:"))
            .map(|l| l.strip_prefix("fun:"))
            .collect();
        let stack = match self.last_item.take() {
            Some(LastItem::Record { process, index }) => {
                let search = report.processes[process].leak_searches.last_mut();
                let Some(r) = search.and_then(|s| s.records.get_mut(index)) else {
                    return;
                };
                r.set_suppression(Some(text));
                r.stack
            }
            Some(LastItem::Error { process, index }) => {
                let e = &mut report.processes[process].errors[index];
                e.suppression = Some(text);
                e.stack
            }
            None => return,
        };
        if self.frame_texts.is_some() {
            // A chunk's stacks are numbered by its frame texts, not yet by
            // the report's frames: the merge teaches these.
            let funs = funs.iter().map(|f| f.map(Into::into)).collect();
            self.learned.push((stack, funs));
            return;
        }
        learn_mangled(&mut report.interner, stack, &funs);
    }
}

pub(crate) fn learn_mangled<S: AsRef<str>>(
    interner: &mut Interner,
    stack: StackId,
    funs: &[Option<S>],
) {
    for (i, fun) in funs.iter().enumerate() {
        let (Some(fun), Some(&id)) = (fun, interner.stack(stack).get(i)) else {
            continue;
        };
        let fun = fun.as_ref();
        let frame = interner.frame_mut(id);
        if frame.mangled.is_none() && frame.function.as_deref() != Some(fun) {
            frame.mangled = Some(fun.into());
        }
    }
}
