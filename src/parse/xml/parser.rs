//! The state machine over XML events: keeps the path of open elements and
//! decides, as each element closes, what its text means in the model.

use super::error::{PendingError, PendingSupp};
use super::frames::{trim_ascii, Field};
use super::search::Searches;
use super::summary::{error_number, heap_number, LeakSummaryBuilder};
use super::tag::Tag;
use crate::model::{ErrorSummary, HeapSummary, Process, Remap, Report, UsedSuppression, Warning};
use crate::parse::text::learn_mangled;
use rustc_hash::FxHashMap;

/// Longest text kept for one element; the rest is dropped.
const MAX_TEXT: usize = 1 << 20;
/// Warnings about odd content kept per input; more are counted, not listed.
const MAX_WARNINGS: usize = 50;

/// What a top-level `<suppression>` (3.19 repeats each one after its error)
/// would attach to.
#[derive(Debug, Clone, Copy)]
enum LastItem {
    Record { search: usize, index: usize },
    Error { index: usize },
}

/// What a chunk worker's parser read, in order, for the main parser to
/// replay at the chunk's place in the document.
#[derive(Debug, Default)]
pub struct ChunkItems {
    pub items: Vec<ChunkItem>,
    /// False when the chunk held anything but top-level `<error>`s and
    /// `<suppression>`s, or anything odd: the main parser then reads its
    /// bytes itself, so the report is exactly the sequential one.
    pub clean: bool,
}

#[derive(Debug)]
pub enum ChunkItem {
    Error(Box<PendingError>),
    Supp(PendingSupp),
}

pub struct XmlParser {
    input: usize,
    /// Set on a chunk worker's parser: see [`ChunkItems`].
    chunk: Option<ChunkItems>,
    /// Index of the current `<valgrindoutput>`'s process in the report.
    process: Option<usize>,
    pub path: Vec<Tag>,
    /// The element being closed, for messages.
    closing: Tag,
    text: String,
    error: Option<PendingError>,
    supp: Option<PendingSupp>,
    searches: Searches,
    /// `<unique>` of each non-leak error → its index, for `<errorcounts>`.
    uniques: FxHashMap<String, usize>,
    last_item: Option<LastItem>,
    argv: Vec<String>,
    preamble_command: Option<String>,
    pair_count: Option<u64>,
    pair_key: Option<String>,
    heap: HeapSummary,
    leak: LeakSummaryBuilder,
    errsum: ErrorSummary,
    signal: (Option<String>, Option<String>),
    /// `--xml-user-comment` text and the depth of its element.
    comment: Option<(usize, String)>,
    warned_tool: bool,
    seen_root: bool,
    dropped_warnings: u64,
    pub warnings: Vec<Warning>,
}

impl XmlParser {
    pub fn new(input: usize) -> Self {
        XmlParser {
            input,
            chunk: None,
            process: None,
            path: Vec::new(),
            closing: Tag::Other,
            text: String::new(),
            error: None,
            supp: None,
            searches: Searches::default(),
            uniques: FxHashMap::default(),
            last_item: None,
            argv: Vec::new(),
            preamble_command: None,
            pair_count: None,
            pair_key: None,
            heap: HeapSummary::default(),
            leak: LeakSummaryBuilder::default(),
            errsum: ErrorSummary::default(),
            signal: (None, None),
            comment: None,
            warned_tool: false,
            seen_root: false,
            dropped_warnings: 0,
            warnings: Vec::new(),
        }
    }

    /// A parser for a chunk of top-level elements cut out of a document:
    /// it starts inside `<valgrindoutput>` of a process of its own (in the
    /// worker's private report) and collects instead of adding to it.
    pub fn for_chunk(report: &mut Report) -> Self {
        let mut p = XmlParser::new(0);
        p.path.push(Tag::ValgrindOutput);
        p.seen_root = true;
        p.begin_process(report);
        p.chunk = Some(ChunkItems {
            items: Vec::new(),
            clean: true,
        });
        p
    }

    /// What a chunk parser collected; unclean unless it ended where it
    /// started, between top-level elements, without a warning.
    pub fn into_chunk(self) -> ChunkItems {
        let mut c = self.chunk.unwrap_or_default();
        c.clean &= self.warnings.is_empty()
            && self.path == [Tag::ValgrindOutput]
            && self.error.is_none()
            && self.comment.is_none();
        c
    }

    /// Whether the document is between top-level elements, where a chunk's
    /// items can be replayed as if read here.
    pub fn at_top(&self) -> bool {
        self.path == [Tag::ValgrindOutput] && self.error.is_none() && self.comment.is_none()
    }

    /// Replays a chunk's items as `start_top`/`close` would have handled
    /// them, with their stacks moved into the report's interner.
    pub fn replay(&mut self, report: &mut Report, items: Vec<ChunkItem>, remap: &Remap) {
        for item in items {
            match item {
                ChunkItem::Error(mut e) => {
                    e.stack = e.stack.map(|s| remap.stack(s));
                    for (_, s) in &mut e.aux {
                        *s = s.map(|s| remap.stack(s));
                    }
                    self.last_item = None;
                    self.error = Some(*e);
                    self.finish_error(report);
                }
                ChunkItem::Supp(s) => {
                    self.supp = Some(s);
                    self.attach_top_supp(report);
                }
            }
        }
    }

    /// Whether the next thing may be a frame of a top-level error's stack
    /// (where [`Self::plain_frame`] may be called instead of events).
    pub fn in_stack(&self) -> bool {
        self.path == [Tag::ValgrindOutput, Tag::Error, Tag::Stack]
            && self.error.is_some()
            && self.comment.is_none()
    }

    /// A whole `<frame>` of plain field elements (read by
    /// [`super::frames::scan`]), handled as its events would have been:
    /// each field closed with its text, then the frame.
    pub fn plain_frame(&mut self, report: &mut Report, fields: &[Field<'_>]) {
        let Some(e) = &mut self.error else { return };
        for f in fields {
            if f.plain {
                e.frame.set_ascii(f.tag, trim_ascii(f.raw));
            } else {
                e.frame.set(f.tag, super::unescape(f.raw).trim());
            }
        }
        e.end_frame(&mut report.interner);
        self.text.clear();
    }

    pub fn warn(&mut self, line: u64, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning { line, message });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// The process of the current document, created when first needed.
    fn proc<'r>(&mut self, report: &'r mut Report) -> &'r mut Process {
        let i = match self.process {
            Some(i) => i,
            None => self.begin_process(report),
        };
        &mut report.processes[i]
    }

    /// Every `<valgrindoutput>` is one process: a file may hold several
    /// documents one after the other.
    fn begin_process(&mut self, report: &mut Report) -> usize {
        let i = report.add_process(0, self.input);
        self.process = Some(i);
        self.searches = Searches::default();
        self.uniques.clear();
        self.last_item = None;
        self.argv.clear();
        self.preamble_command = None;
        i
    }

    /// Whether a user comment is being read: its content is kept as written,
    /// markup and entities included.
    pub fn in_comment(&self) -> bool {
        self.comment.is_some()
    }

    /// `raw` is the whole tag between `<` and `>`, for user comments.
    pub fn start(&mut self, report: &mut Report, name: &[u8], raw: &[u8], line: u64) {
        if let Some((depth, c)) = &mut self.comment {
            if self.path.len() >= *depth {
                c.push('<');
                c.push_str(&String::from_utf8_lossy(raw));
                c.push('>');
                self.path.push(Tag::Other);
                return;
            }
        }
        self.path.push(Tag::of(name));
        self.text.clear();
        match self.path[..] {
            [Tag::ValgrindOutput] => {
                self.seen_root = true;
                self.begin_process(report);
                return;
            }
            [Tag::ValgrindOutput, top] => self.start_top(report, top, line),
            _ => {}
        }
        match self.path[..] {
            [.., Tag::Error, Tag::Stack] => {
                if let Some(e) = &mut self.error {
                    e.frames.clear();
                }
            }
            [.., Tag::Suppression] => self.supp = Some(PendingSupp::default()),
            [.., Tag::Pair] => (self.pair_count, self.pair_key) = (None, None),
            _ => {}
        }
    }

    fn start_top(&mut self, report: &mut Report, top: Tag, line: u64) {
        if let Some(c) = &mut self.chunk {
            c.clean &= matches!(top, Tag::Error | Tag::Suppression);
        }
        if top != Tag::Suppression {
            self.last_item = None;
        }
        // A leak search's records run until anything else; its own
        // `<leak_summary>` closes it instead.
        if !matches!(top, Tag::Suppression | Tag::Error | Tag::LeakSummary) {
            self.searches.interrupt();
        }
        match top {
            Tag::Error => self.error = Some(PendingError::new(line)),
            Tag::HeapSummary => self.heap = HeapSummary::default(),
            Tag::LeakSummary => self.leak = LeakSummaryBuilder::new(line),
            Tag::ErrorSummary => self.errsum = ErrorSummary::default(),
            Tag::FatalSignal => self.signal = (None, None),
            Tag::UserComment => {
                self.proc(report);
                self.comment = Some((self.path.len(), String::new()));
            }
            _ => {}
        }
    }

    pub fn text(&mut self, s: &str) {
        if let Some((_, c)) = &mut self.comment {
            c.push_str(s);
            return;
        }
        let room = MAX_TEXT.saturating_sub(self.text.len());
        if room >= s.len() {
            self.text.push_str(s);
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&s[..cut]);
        }
    }

    /// `<tag/>`: opened and closed at once.
    pub fn empty(&mut self, report: &mut Report, name: &[u8], raw: &[u8], line: u64) {
        if let Some((depth, c)) = &mut self.comment {
            if self.path.len() >= *depth {
                c.push('<');
                c.push_str(&String::from_utf8_lossy(raw));
                c.push_str("/>");
                return;
            }
        }
        self.start(report, name, raw, line);
        self.end(report, name, line);
    }

    pub fn end(&mut self, report: &mut Report, name: &[u8], line: u64) {
        if let Some((depth, c)) = &mut self.comment {
            if self.path.len() > *depth {
                c.push_str("</");
                c.push_str(&String::from_utf8_lossy(name));
                c.push('>');
                self.path.pop();
                return;
            }
        }
        self.close_top_element(report, line);
    }

    /// Closes the innermost open element (also when a mismatched end tag
    /// closed it: its content is still worth keeping).
    pub fn close_top_element(&mut self, report: &mut Report, line: u64) {
        if self.path.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        self.close(report, text.trim(), line);
        self.text = text;
        self.text.clear();
        self.path.pop();
    }

    fn close(&mut self, report: &mut Report, text: &str, line: u64) {
        // The path is moved out while its parts are matched, so the handlers
        // can take `&mut self`.
        let path = std::mem::take(&mut self.path);
        self.closing = path.last().copied().unwrap_or(Tag::Other);
        if let [Tag::ValgrindOutput, rest @ ..] = &path[..] {
            self.close_in_doc(report, rest, text, line);
        }
        self.path = path;
    }

    fn close_in_doc(&mut self, report: &mut Report, path: &[Tag], text: &str, line: u64) {
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

    fn close_in_error(&mut self, report: &mut Report, path: &[Tag], text: &str, line: u64) {
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
            [Stack, Frame] => e.end_frame(&mut report.interner),
            [Stack, Frame, field] => e.frame.set(*field, text),
            _ => {}
        }
    }

    fn close_in_supp(&mut self, report: &mut Report, path: &[Tag], text: &str, top: bool) {
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
    fn attach_top_supp(&mut self, report: &mut Report) {
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

    fn finish_error(&mut self, report: &mut Report) {
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
            let (record, supp) = e.into_record(kind);
            let stack = record.stack;
            let (search, index) = self.searches.add(process, record);
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

    /// `<errorcounts>` gives the occurrences of each error by its `<unique>`.
    fn error_count(&mut self, report: &mut Report) {
        let (Some(count), Some(key)) = (self.pair_count, self.pair_key.take()) else {
            return;
        };
        if let (Some(&i), Some(p)) = (self.uniques.get(&key), self.process) {
            if let Some(e) = report.processes[p].errors.get_mut(i) {
                e.count = count;
            }
        }
    }

    fn tool(&mut self, report: &mut Report, text: &str, line: u64) {
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

    fn preamble_line(&mut self, report: &mut Report, text: &str) {
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

    /// A number element. The regression suite masks numbers as `...`; those,
    /// and the empty text of an element with children, read as absent
    /// without a warning.
    fn number(&mut self, text: &str, line: u64) -> Option<u64> {
        if let Ok(n) = text.parse::<u64>() {
            return Some(n);
        }
        if text != "..." && !text.is_empty() {
            let what = self.closing.name();
            let outcome = match self.closing {
                Tag::LeakedBytes | Tag::LeakedBlocks => "the record is not counted",
                _ => "ignored",
            };
            self.warn(
                line,
                format!(
                    "expected a number in <{what}>, found {:?}; {outcome}",
                    crate::sanitize::excerpt(text, 60)
                ),
            );
        }
        None
    }

    /// Called at the end of input (or where reading stopped).
    pub fn finish(&mut self, _report: &mut Report, line: u64) {
        if !self.seen_root {
            self.warnings.push(Warning {
                line: 0,
                message: "no <valgrindoutput> element: not a valgrind XML log?".to_string(),
            });
        }
        if !self.path.is_empty() {
            // The outermost and innermost few: a 100,000-deep nesting is
            // one line of warning, not 600 KB of it.
            const SHOWN: usize = 4;
            let names: Vec<String> = self
                .path
                .iter()
                .map(|t| format!("<{}>", t.name()))
                .collect();
            let open = if names.len() > 2 * SHOWN {
                format!(
                    "{} … ({} more) … {}",
                    names[..SHOWN].join(" "),
                    names.len() - 2 * SHOWN,
                    names[names.len() - SHOWN..].join(" ")
                )
            } else {
                names.join(" ")
            };
            let mut message = format!(
                "the XML ends inside {open} (cut off: was the process killed?); everything before is kept"
            );
            if let Some(e) = &self.error {
                message.push_str(&format!(
                    "; the unfinished <error> from line {} is left out",
                    e.line
                ));
            }
            self.warnings.push(Warning { line, message });
        }
        if self.dropped_warnings > 0 {
            self.warnings.push(Warning {
                line: 0,
                message: format!("{} more warnings not listed", self.dropped_warnings),
            });
        }
    }
}
