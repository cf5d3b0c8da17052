//! What the document's own elements mean as they close: the preamble,
//! arguments, counts, the fatal signal and the three summaries.

use super::XmlParser;
use crate::model::{Report, UsedSuppression};
use crate::parse::xml::summary::{error_number, heap_number};
use crate::parse::xml::tag::Tag;

impl XmlParser {
    pub(super) fn close_in_doc(
        &mut self,
        report: &mut Report,
        path: &[Tag],
        text: &str,
        line: u64,
    ) {
        use Tag::*;
        match path {
            [] => {
                if let Some(c) = &mut self.chunk {
                    c.clean = false;
                }
                self.process = None;
            }
            [Error, rest @ ..] => self.close_in_error(report, rest, text, line),
            [Suppression, rest @ ..] => self.close_in_supp(report, rest, text, true),
            [ProtocolVersion] => {
                let v = self
                    .number(text, line)
                    .map(|n| n.min(u32::MAX as u64) as u32);
                self.proc(report).protocol_version = v;
            }
            [ProtocolTool] | [Tool] => self.tool(report, text, line),
            [Preamble, Line] => self.preamble_line(report, text),
            [Pid] => {
                let pid = self.number(text, line).and_then(|n| u32::try_from(n).ok());
                self.proc(report).pid = pid.unwrap_or(0);
            }
            [Ppid] => {
                let ppid = self.number(text, line).and_then(|n| u32::try_from(n).ok());
                self.proc(report).ppid = ppid;
            }
            [UserComment] => {
                if let Some((_, c)) = self.comment.take() {
                    self.proc(report).user_comment = Some(c.trim().to_string());
                }
            }
            [Args, Vargv, Arg] => self.proc(report).options.push(text.to_string()),
            [Args, Argv, Exe | Arg] => self.argv.push(text.to_string()),
            [Args, Argv] if !self.argv.is_empty() => {
                let cmd = self.argv.join(" ");
                self.proc(report).command = Some(cmd);
            }
            [ErrorCounts, Pair, Count] | [SuppCounts, Pair, Count] => {
                self.pair_count = self.number(text, line);
            }
            [ErrorCounts, Pair, Unique] | [SuppCounts, Pair, Name] => {
                self.pair_key = Some(text.to_string());
            }
            [ErrorCounts, Pair] => self.error_count(report),
            [SuppCounts, Pair] => {
                if let (Some(count), Some(name)) = (self.pair_count, self.pair_key.take()) {
                    self.proc(report).used_suppressions.push(UsedSuppression {
                        count,
                        name,
                        location: String::new(),
                        bytes: None,
                        blocks: None,
                    });
                }
            }
            [SuppCounts] => self.proc(report).finished = true,
            [FatalSignal, Signo] => self.signal.0 = Some(text.to_string()),
            [FatalSignal, Signame] => self.signal.1 = Some(text.to_string()),
            [FatalSignal] => {
                let msg = match &self.signal {
                    (Some(no), Some(name)) => {
                        format!("Process terminating with default action of signal {no} ({name})")
                    }
                    (Some(no), None) => {
                        format!("Process terminating with default action of signal {no}")
                    }
                    (None, Some(name)) => format!("Process terminating with signal {name}"),
                    (None, None) => "Process terminated by a fatal signal".to_string(),
                };
                self.proc(report).fatal_signal = Some(msg);
            }
            [HeapSummary, rest @ ..] if !rest.is_empty() => {
                if let Some(n) = self.number(text, line) {
                    heap_number(&mut self.heap, rest, n);
                }
            }
            [HeapSummary] if text != "..." => {
                let h = self.heap;
                self.proc(report).heap_summary = Some(h);
            }
            [AllHeapBlocksFreed] if text == "true" => {
                let p = self.proc(report);
                self.searches.all_freed(p, line);
            }
            [LeakSummary, StillReachable, ReachableHeuristic, Kind] => {
                self.leak.heuristic_kind(text);
            }
            [LeakSummary, StillReachable, ReachableHeuristic] => self.leak.end_heuristic(),
            [LeakSummary, rest @ ..] if !rest.is_empty() => {
                if let Some(n) = self.number(text, line) {
                    self.leak.number(rest, n);
                }
            }
            [LeakSummary] if text != "..." => {
                let s = std::mem::take(&mut self.leak).summary;
                let p = self.proc(report);
                self.searches.summary(p, s);
            }
            [ErrorSummary, rest @ ..] if !rest.is_empty() => {
                if let Some(n) = self.number(text, line) {
                    error_number(&mut self.errsum, rest, n);
                }
            }
            [ErrorSummary] if text != "..." => {
                let e = self.errsum;
                self.proc(report).error_summary = Some(e);
            }
            _ => {}
        }
    }

    /// `<errorcounts>` gives the occurrences of each error by its `<unique>`.
    pub(super) fn error_count(&mut self, report: &mut Report) {
        let (Some(count), Some(key)) = (self.pair_count, self.pair_key.take()) else {
            return;
        };
        if let (Some(&i), Some(p)) = (self.uniques.get(&key), self.process) {
            if let Some(e) = report.processes[p].errors.get_mut(i) {
                e.count = count;
            }
        }
    }

    pub(super) fn tool(&mut self, report: &mut Report, text: &str, line: u64) {
        let tool = text.to_ascii_lowercase();
        let p = self.proc(report);
        if p.tool.is_none() && !tool.is_empty() && tool != "..." {
            p.tool = Some(tool.clone());
        }
        if !self.warned_tool && !tool.is_empty() && tool != "memcheck" && tool != "..." {
            self.warned_tool = true;
            self.warn(
                line,
                format!(
                    "this is {tool} output, not memcheck: its errors are read (their kinds kept by name), but leak triage applies to memcheck only"
                ),
            );
        }
    }

    pub(super) fn preamble_line(&mut self, report: &mut Report, text: &str) {
        if let Some(v) = text.strip_prefix("Using Valgrind-") {
            let version = v.split_whitespace().next().unwrap_or("").to_string();
            self.proc(report).valgrind_version = Some(version);
        } else if let Some(cmd) = text.strip_prefix("Command: ") {
            self.preamble_command = Some(cmd.to_string());
            let p = self.proc(report);
            if p.command.is_none() {
                p.command = Some(cmd.to_string());
            }
        }
    }
}
