//! Valgrind's text output (`--log-file`, stderr, or a regression expectation).
//!
//! Fed one line at a time, so it streams: the caller owns the reading and can
//! show progress. Each PID has its own state, because --trace-children=yes logs
//! interleave processes line by line.

mod chunked;
#[cfg(test)]
mod chunked_tests;
mod frame_texts;
mod grammar;
mod items;
mod newlines;
mod pids;
mod repeats;
mod summaries;

pub use chunked::{read_chunked, ChunkSizes, ReadEnd};
pub(crate) use items::learn_mangled;

pub use grammar::{
    after_binary_junk, parse_frame, record_header, split_prefix, Marker, Prefix, PrefixCache,
    RecordHeader,
};

use crate::model::{
    ErrorKind, FrameId, HeapSummary, LeakSummary, MemcheckError, Report, StackBuilder, Warning,
};
use grammar::{context_count, error_summary, frame_text, used_suppression};
use std::borrow::Cow;
use summaries::{heap_summary_line, leak_summary_line, tool_banner};

/// What a PID's next lines belong to.
#[derive(Debug, Default)]
enum Block {
    #[default]
    None,
    Record(RecordHeader, u64),
    Error(PendingError),
    /// An unrecognised headline: it becomes an error of its own kind if a stack
    /// follows (a kind this version does not know), else it was just text.
    Candidate(String, u64),
    LeakSummary(LeakSummary),
    HeapSummary(HeapSummary),
    Options,
    /// Lines to pass over until the next blank line (a fatal signal's stack).
    Skip,
}

#[derive(Debug)]
struct PendingError {
    kind: ErrorKind,
    what: String,
    line: u64,
    aux: Vec<(String, Vec<FrameId>)>,
    /// `N errors in context K of M:` heads it: a repeat from the -v listing.
    listed_count: Option<u64>,
}

#[derive(Debug, Default)]
struct PidState {
    process: usize,
    block: Block,
    frames: StackBuilder,
    /// Whether the process's last leak search is still open (records arriving,
    /// no summary yet). Records go straight into the report, so a reader of the
    /// report mid-parse (the explorer's loader) sees them at once.
    open_search: bool,
    listed_count: Option<u64>,
    in_heuristics: bool,
}

/// What a `{ … }` suppression block that follows will be attached to.
#[derive(Debug, Clone, Copy)]
enum LastItem {
    Record { process: usize, index: usize },
    Error { process: usize, index: usize },
}

pub struct TextParser {
    input: usize,
    pids: pids::Pids<PidState>,
    /// Whether any line carried a `==PID==` prefix. Until one does, unprefixed
    /// lines are read as a prefix-less log (valgrind's filtered expectations);
    /// after, they are the program's own output.
    seen_prefix: bool,
    supp: Option<(Vec<String>, u64)>,
    last_item: Option<LastItem>,
    warned_mangled: bool,
    pub warnings: Vec<Warning>,
    /// Set for a chunk parsed apart from the rest (see `chunked`): repeats
    /// from a -v listing whose originals are in an earlier chunk are kept
    /// here for the merge to match, not added as new errors.
    chunk: bool,
    pub unmatched_listed: Vec<(u32, MemcheckError)>,
    prefix: grammar::PrefixCache,
    /// The time stamp of the line being read (`--time-stamp=yes`), in ms.
    stamp_ms: Option<u64>,
    /// gdbserver messages noted already (each is said once).
    gdbserver_said: Vec<String>,
    /// A chunk's frames, as its frame line texts (see `frame_texts`): its
    /// stacks hold their numbers, not the report interner's frame ids.
    /// None for a whole log read in order, which interns each frame line.
    frame_texts: Option<frame_texts::FrameTexts>,
    /// A chunk's `{ … }` blocks' `fun:` names, for the stacks they follow
    /// (see `learn_mangled`): taught to the frames by the merge, once they
    /// are the report's.
    learned: Vec<Learned>,
}

/// The `fun:` lines of a suppression block and the (chunk's) stack it follows.
type Learned = (crate::model::StackId, Vec<Option<Box<str>>>);

/// What a chunk's parser leaves for the merge beside its report.
struct ChunkFrames {
    /// The chunk's frame texts, numbered as its stacks number them.
    texts: frame_texts::FrameTexts,
    learned: Vec<Learned>,
}

/// Warns about each process of `input` whose last leak search never got its
/// LEAK SUMMARY: the log was cut off (or the summary filtered out).
pub fn warn_open_searches(report: &mut Report, input: usize) {
    let mut warnings = Vec::new();
    for p in report.processes.iter().filter(|p| p.input == input) {
        if let Some(s) = p.leak_searches.last().filter(|s| s.summary.is_none()) {
            warnings.push(Warning {
                line: s.records.last().map_or(0, |r| r.line()),
                message: format!(
                    "PID {}: the log ends before this leak search's LEAK SUMMARY (truncated?); its records are kept",
                    p.pid
                ),
            });
        }
    }
    report.inputs[input].warnings.extend(warnings);
}

impl TextParser {
    pub fn new(input: usize) -> Self {
        TextParser {
            input,
            pids: pids::Pids::default(),
            seen_prefix: false,
            supp: None,
            last_item: None,
            warned_mangled: false,
            warnings: Vec::new(),
            chunk: false,
            unmatched_listed: Vec::new(),
            prefix: grammar::PrefixCache::default(),
            stamp_ms: None,
            gdbserver_said: Vec::new(),
            frame_texts: None,
            learned: Vec::new(),
        }
    }

    /// A parser for one chunk of a log cut at a clean point (every PID
    /// between items), to be merged into the whole afterwards.
    pub fn for_chunk(input: usize) -> Self {
        TextParser {
            chunk: true,
            frame_texts: Some(frame_texts::FrameTexts::default()),
            ..TextParser::new(input)
        }
    }

    /// A parser that carries on with `report` as parsed so far, from a clean
    /// point: each PID's process and open leak search are found again.
    pub fn resume(input: usize, report: &Report) -> Self {
        let mut p = TextParser::new(input);
        p.seen_prefix = true;
        for (i, proc) in report.processes.iter().enumerate() {
            if proc.input == input {
                let open_search = proc
                    .leak_searches
                    .last()
                    .is_some_and(|s| s.summary.is_none());
                p.pids.insert(
                    proc.pid,
                    PidState {
                        process: i,
                        open_search,
                        ..PidState::default()
                    },
                );
            }
        }
        p
    }

    /// Feeds line `no` (1-based), without its newline.
    #[inline]
    pub fn feed(&mut self, report: &mut Report, no: u64, line: &[u8]) {
        if self.stack_line(report, line).is_none() {
            self.feed_any(report, no, line);
        }
    }

    /// [`Self::feed`] for any line: the general path, a call of its own
    /// so that the hot path's caller saves no registers for it.
    #[inline(never)]
    fn feed_any(&mut self, report: &mut Report, no: u64, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((prefix, content)) = self.prefix.split(line) {
            self.seen_prefix = true;
            self.stamp_ms = prefix.stamp_ms;
            if prefix.mangled && !self.warned_mangled {
                self.warned_mangled = true;
                self.warn(no, "mangled PID prefix (a shared --log-file without %p?); read as the last PID it names");
            }
            if self.supp.is_some() {
                self.close_supp(report, no);
            }
            self.content(report, prefix.pid, content, no);
            return;
        }
        if let Some(rest) = grammar::after_binary_junk(line) {
            self.warn(
                no,
                &format!(
                    "{} bytes of binary data skipped; reading the text after them",
                    line.len() - rest.len()
                ),
            );
            self.feed_any(report, no, rest);
            return;
        }
        if self.supp.is_some() || line.first() == Some(&b'{') && line.trim_ascii() == b"{" {
            self.supp_line(report, line, no);
            return;
        }
        if !self.seen_prefix {
            self.content(report, 0, line, no);
        }
    }

    /// The hot path: a frame line (`==PID==    at 0x…: …`) under the prefix
    /// remembered, of the stack being read (a record's or an error's).
    /// Does exactly what [`Self::feed`] does with such a line, without the
    /// general path's steps (the prefix split, the suppression block, the
    /// content's trims, the block's cases), and returns the frame's number;
    /// `None`, having done nothing, for any other line.
    #[inline(always)]
    fn stack_line(&mut self, report: &mut Report, line: &[u8]) -> Option<FrameId> {
        if self.supp.is_some() {
            return None;
        }
        let (Some(prefix), Some(content)) = (self.prefix.prefix(), self.prefix.same(line)) else {
            return None;
        };
        // `   at 0x` / `   by 0x`: a main stack's frame; other indents
        // (an auxiliary stack's) take the general path.
        if !matches!(content.first_chunk::<8>(), Some(b"   at 0x" | b"   by 0x")) {
            return None;
        }
        let spaces = 3;
        let mut stack = stack_being_read(&mut self.pids, prefix.pid)?;
        self.seen_prefix = true;
        self.stamp_ms = prefix.stamp_ms;
        let text = content[spaces + 3..].trim_ascii_end();
        let id = match &mut self.frame_texts {
            Some(t) => t.id(text),
            None => report.interner.intern_frame_text(text, frame_location),
        };
        stack.push(id);
        Some(id)
    }

    /// A chunk parser's frame texts and learned names (see [`ChunkFrames`]),
    /// after [`Self::finish`].
    fn take_chunk_frames(&mut self) -> ChunkFrames {
        ChunkFrames {
            texts: self.frame_texts.take().unwrap_or_default(),
            learned: std::mem::take(&mut self.learned),
        }
    }

    /// Ends the input (or chunk): closes whatever is open, as at a blank line.
    pub fn finish(&mut self, report: &mut Report) {
        if self.supp.is_some() {
            self.close_supp(report, u64::MAX);
        }
        let mut pids: Vec<u32> = self.pids.keys().copied().collect();
        pids.sort_unstable();
        for pid in pids {
            self.end_block(report, pid);
        }
    }

    fn warn(&mut self, line: u64, message: &str) {
        self.warnings.push(Warning {
            line,
            message: message.to_string(),
        });
    }

    fn state(&mut self, report: &mut Report, pid: u32) -> &mut PidState {
        let input = self.input;
        self.pids.get_or_insert_with(pid, || PidState {
            process: report.add_process(pid, input),
            ..PidState::default()
        })
    }

    fn content(&mut self, report: &mut Report, pid: u32, content: &[u8], no: u64) {
        let trimmed = content.trim_ascii_start();
        let indent = content.len() - trimmed.len();

        // Hot path: a frame line, one hash lookup.
        if let Some(text) = frame_text(trimmed) {
            let Some(st) = self.pids.get_mut(&pid) else {
                return;
            };
            match st.block {
                Block::Record(..) | Block::Error(_) => {}
                Block::Candidate(..) => {
                    let Block::Candidate(headline, line) = std::mem::take(&mut st.block) else {
                        unreachable!()
                    };
                    st.frames.clear();
                    st.block = Block::Error(PendingError {
                        kind: ErrorKind::Other(headline.clone().into()),
                        what: headline,
                        line,
                        aux: Vec::new(),
                        listed_count: st.listed_count.take(),
                    });
                }
                _ => return,
            }
            let text = text.trim_ascii_end();
            let id = match &mut self.frame_texts {
                Some(t) => t.id(text),
                None => report.interner.intern_frame_text(text, frame_location),
            };
            match &mut st.block {
                Block::Error(e) if !e.aux.is_empty() => e.aux.last_mut().expect("aux").1.push(id),
                _ => st.frames.push(id),
            }
            return;
        }

        if trimmed.is_empty() {
            if self.pids.contains_key(&pid) {
                self.end_block(report, pid);
            }
            return;
        }

        let text = lossy(trimmed);
        let text = text.trim_end();

        // Blocks that read their own continuation lines.
        if let Some(st) = self.pids.get_mut(&pid) {
            match &mut st.block {
                Block::LeakSummary(sum) => {
                    if leak_summary_line(sum, text, &mut st.in_heuristics) {
                        return;
                    }
                    self.end_block(report, pid);
                }
                Block::HeapSummary(h) => {
                    if heap_summary_line(h, text) {
                        return;
                    }
                    self.end_block(report, pid);
                }
                Block::Options => {
                    if indent >= 2 && text.starts_with('-') {
                        let p = st.process;
                        report.processes[p].options.push(text.to_string());
                        return;
                    }
                    st.block = Block::None;
                }
                Block::Error(e) if indent == 1 => {
                    e.aux.push((text.to_string(), Vec::new()));
                    return;
                }
                Block::Skip => return,
                _ => {}
            }
        }

        if let Some(h) = record_header(text) {
            self.end_block(report, pid);
            let st = self.state(report, pid);
            st.frames.clear();
            st.block = Block::Record(h, no);
            return;
        }
        if grammar::looks_like_record_header(text) {
            // Never an error kind, never silently gone: a warning and a count.
            self.end_block(report, pid);
            let p = self.state(report, pid).process;
            report.processes[p].unreadable_records += 1;
            self.warn(no, &unreadable_header(text));
            return;
        }
        if indent > 0 {
            // An unexpected indented line; ignore it (it is not a record or headline).
            return;
        }
        self.top_level(report, pid, text, no);
    }

    /// A non-indented line that is not a loss record header.
    fn top_level(&mut self, report: &mut Report, pid: u32, text: &str, no: u64) {
        self.end_block(report, pid);
        if let Some(kind) = ErrorKind::from_headline(text) {
            let st = self.state(report, pid);
            st.frames.clear();
            let listed_count = st.listed_count.take();
            st.block = Block::Error(PendingError {
                kind,
                what: text.to_string(),
                line: no,
                aux: Vec::new(),
                listed_count,
            });
            return;
        }
        if text == "LEAK SUMMARY:" {
            let st = self.state(report, pid);
            st.in_heuristics = false;
            st.block = Block::LeakSummary(LeakSummary {
                line: no,
                ..LeakSummary::default()
            });
            return;
        }
        if text == "HEAP SUMMARY:" {
            self.state(report, pid).block = Block::HeapSummary(HeapSummary::default());
            return;
        }
        if let Some(rest) = text.strip_prefix("ERROR SUMMARY: ") {
            if let Some(s) = error_summary(rest) {
                let p = self.state(report, pid).process;
                report.processes[p].error_summary = Some(s);
            }
            return;
        }
        if text == "All heap blocks were freed -- no leaks are possible" {
            let summary = LeakSummary {
                line: no,
                ..LeakSummary::default()
            };
            self.close_search(report, pid, summary);
            return;
        }
        if let Some(n) = context_count(text) {
            self.state(report, pid).listed_count = Some(n);
            return;
        }
        if let Some(u) = used_suppression(text) {
            let p = self.state(report, pid).process;
            report.processes[p].used_suppressions.push(u);
            return;
        }
        if self.preamble(report, pid, text) {
            return;
        }
        if let Some(meaning) = grammar::gdbserver_message(text) {
            // valgrind's own words about vgdb: a note on the run, once per
            // message (the stack lines that may follow belong to a record
            // whose header went to vgdb, and are passed over).
            if !self.gdbserver_said.iter().any(|s| s == text) {
                self.gdbserver_said.push(text.to_string());
                let note = format!(
                    "valgrind's gdbserver said \"{}\": {meaning} (a note on the run, not an error of the program)",
                    crate::sanitize::sanitize(text)
                );
                self.warn(no, &note);
            }
            return;
        }
        if text.starts_with("Process terminating with default action of signal") {
            let st = self.state(report, pid);
            st.block = Block::Skip;
            let p = st.process;
            report.processes[p].fatal_signal = Some(text.to_string());
            return;
        }
        if let Some(st) = self.pids.get_mut(&pid) {
            st.block = Block::Candidate(text.to_string(), no);
        }
    }

    /// The lines valgrind prints at start-up. Returns whether `text` was one.
    fn preamble(&mut self, report: &mut Report, pid: u32, text: &str) -> bool {
        if let Some(cmd) = text.strip_prefix("Command: ") {
            let p = self.state(report, pid).process;
            report.processes[p].command = Some(cmd.to_string());
        } else if let Some(pp) = text.strip_prefix("Parent PID: ") {
            let p = self.state(report, pid).process;
            report.processes[p].ppid = pp.trim().parse().ok();
        } else if let Some(v) = text.strip_prefix("Using Valgrind-") {
            let version = v.split_whitespace().next().unwrap_or("").to_string();
            let p = self.state(report, pid).process;
            report.processes[p].valgrind_version = Some(version);
        } else if text == "Valgrind options:" {
            self.state(report, pid).block = Block::Options;
        } else if let Some(tool) = tool_banner(text) {
            let p = self.state(report, pid).process;
            let proc = &mut report.processes[p];
            if proc.tool.is_none() {
                proc.tool = Some(tool);
            }
        } else {
            return false;
        }
        true
    }
}

/// Where a PID's frame lines go while it reads a stack: the record's or
/// error's own stack, or the error's last auxiliary stack once one began.
enum StackSink<'a> {
    Main(&'a mut StackBuilder),
    Aux(&'a mut Vec<FrameId>),
}

impl StackSink<'_> {
    #[inline(always)]
    fn push(&mut self, id: FrameId) {
        match self {
            StackSink::Main(b) => b.push(id),
            StackSink::Aux(v) => v.push(id),
        }
    }

    #[inline(always)]
    fn extend_from_slice(&mut self, ids: &[FrameId]) {
        match self {
            StackSink::Main(b) => b.extend_from_slice(ids),
            StackSink::Aux(v) => v.extend_from_slice(ids),
        }
    }
}

/// The stack `pid` is reading, if it is in a record or an error.
#[inline(always)]
fn stack_being_read(pids: &mut pids::Pids<PidState>, pid: u32) -> Option<StackSink<'_>> {
    let st = pids.get_mut(&pid)?;
    match &mut st.block {
        Block::Error(e) if !e.aux.is_empty() => e.aux.last_mut().map(|a| StackSink::Aux(&mut a.1)),
        Block::Record(..) | Block::Error(_) => Some(StackSink::Main(&mut st.frames)),
        _ => None,
    }
}

/// `bytes` as text, invalid UTF-8 replaced: `String::from_utf8_lossy`,
/// with the check for valid text first (a log's lines nearly always are,
/// and that check reads a word at a time where the lossy one reads
/// byte by byte).
#[inline]
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The location of a frame line's text (`0xADDR: location`), for the
/// interner (which parses a location once, when first seen).
pub(crate) fn frame_location(text: &[u8]) -> crate::model::Frame {
    grammar::parse_frame(&lossy(text)).frame
}

/// The warning for a leak header that cannot be read (numbers out of range,
/// negative, malformed): the line is quoted, cut to a readable length.
pub fn unreadable_header(text: &str) -> String {
    format!(
        "unreadable loss record header, not counted in any total: {}",
        crate::sanitize::excerpt(text, 120)
    )
}

#[cfg(test)]
mod tests;
