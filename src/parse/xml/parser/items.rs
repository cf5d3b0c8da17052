//! An `<error>` and the `<suppression>`s around it as they close: what
//! they add to the report (or to a chunk's items).

use super::{ChunkItem, XmlParser};
use crate::model::Report;
use crate::parse::text::learn_mangled;
use crate::parse::xml::tag::Tag;

/// What a top-level `<suppression>` (3.19 repeats each one after its error)
/// would attach to.
#[derive(Debug, Clone, Copy)]
pub(super) enum LastItem {
    Record { search: usize, index: usize },
    Error { index: usize },
}

impl XmlParser {
    pub(super) fn close_in_error(
        &mut self,
        report: &mut Report,
        path: &[Tag],
        text: &str,
        line: u64,
    ) {
        use Tag::*;
        if path.is_empty() {
            self.finish_error(report);
            return;
        }
        if let [Suppression, rest @ ..] = path {
            self.close_in_supp(report, rest, text, false);
            return;
        }
        let leak_number = match path {
            [XWhat, LeakedBytes] | [XWhat, LeakedBlocks] => self.number(text, line),
            _ => None,
        };
        let Some(e) = &mut self.error else { return };
        if leak_number.is_none() && matches!(path, [XWhat, LeakedBytes] | [XWhat, LeakedBlocks]) {
            e.unreadable |= text != "..." && !text.is_empty();
        }
        match path {
            [Unique] => e.unique = Some(text.to_string()),
            [Kind] => e.kind = Some(text.to_string()),
            [What] | [XWhat, Text] => e.add_what(text),
            [AuxWhat] | [XAuxWhat, Text] => e.add_aux(text),
            [XWhat, LeakedBytes] => e.leaked_bytes = leak_number,
            [XWhat, LeakedBlocks] => e.leaked_blocks = leak_number,
            [Stack] => e.end_stack(&mut report.interner),
            [Stack, Frame] => {
                e.end_frame(&mut report.interner);
            }
            [Stack, Frame, field] => e.frame.set(*field, text),
            _ => {}
        }
    }

    pub(super) fn close_in_supp(
        &mut self,
        report: &mut Report,
        path: &[Tag],
        text: &str,
        top: bool,
    ) {
        use Tag::*;
        let Some(s) = &mut self.supp else { return };
        match path {
            [SFrame, Fun] => s.funs.push(Some(text.to_string())),
            [SFrame, Obj] => s.funs.push(None),
            [RawText] => s.raw = text.to_string(),
            [] if top => self.attach_top_supp(report),
            [] => {
                if let Some(e) = &mut self.error {
                    e.supp = self.supp.take();
                }
            }
            _ => {}
        }
    }

    /// valgrind 3.19 with --gen-suppressions=all prints each suppression a
    /// second time after its `</error>`. It belongs to that error: attached
    /// when the error had none, ignored when it is the repeat.
    pub(super) fn attach_top_supp(&mut self, report: &mut Report) {
        let Some(supp) = self.supp.take() else { return };
        if let Some(c) = &mut self.chunk {
            c.items.push(ChunkItem::Supp(supp));
            return;
        }
        let (Some(item), Some(p)) = (self.last_item, self.process) else {
            return;
        };
        let process = &mut report.processes[p];
        let stack = match item {
            LastItem::Record { search, index } => {
                match process
                    .leak_searches
                    .get_mut(search)
                    .and_then(|s| s.records.get_mut(index))
                {
                    Some(r) if r.suppression().is_none() => {
                        r.set_suppression(supp.text());
                        r.stack
                    }
                    _ => return,
                }
            }
            LastItem::Error { index } => match process.errors.get_mut(index) {
                Some(e) if e.suppression.is_none() => {
                    e.suppression = supp.text();
                    e.stack
                }
                _ => return,
            },
        };
        learn_mangled(&mut report.interner, stack, &supp.fun_refs());
    }

    pub(super) fn finish_error(&mut self, report: &mut Report) {
        let Some(e) = self.error.take() else { return };
        if let Some(c) = &mut self.chunk {
            c.items.push(ChunkItem::Error(Box::new(e)));
            return;
        }
        let p = match self.process {
            Some(p) => p,
            None => self.begin_process(report),
        };
        let process = &mut report.processes[p];
        if e.unreadable && e.leak_kind().is_some() {
            // Warned where the figure was read; counted, never summed.
            process.unreadable_records += 1;
            self.last_item = None;
            return;
        }
        let (stack, supp) = if let Some(kind) = e.leak_kind() {
            let (record, of, supp) = e.into_record(kind);
            let stack = record.stack;
            let (search, index) = self.searches.add(process, record, of);
            self.last_item = Some(LastItem::Record { search, index });
            (stack, supp)
        } else {
            self.searches.interrupt();
            let unique = e.unique.clone();
            let (error, supp) = e.into_error();
            let stack = error.stack;
            process.errors.push(error);
            let index = process.errors.len() - 1;
            if let Some(u) = unique {
                self.uniques.insert(u, index);
            }
            self.last_item = Some(LastItem::Error { index });
            (stack, supp)
        };
        if let Some(s) = supp {
            learn_mangled(&mut report.interner, stack, &s.fun_refs());
        }
    }
}
