//! LeakSanitizer and AddressSanitizer reports (`-fsanitize=address|leak`).
//!
//! Read into the same model as valgrind's logs so triage, rules and diffs
//! work alike: `Direct leak` records are definitely lost, `Indirect leak`
//! records indirectly lost (LSan lists the blocks reachable from a direct
//! leak as records of their own, so a direct record's indirect bytes are 0).
//! ASan's error reports (heap-use-after-free, heap-buffer-overflow, …)
//! become errors with their stacks and the "freed by" / "previously
//! allocated by" stacks as auxiliary ones.
//!
//! Only the banner lines carry the `==PID==` prefix; the report's body
//! belongs to the PID of the last banner.

mod grammar;

use super::source::{LineReader, Peek, Source};
use super::{progress_of, reader_warnings, Progress, PROGRESS_EVERY};
use crate::model::{
    AuxStack, ErrorKind, FrameId, Interner, LeakSearch, LeakSummary, LossRecord, MemcheckError,
    Report, UsedSuppression, Warning,
};
use crate::parse::text::split_prefix;
use grammar::{LeakHeader, Summary};
use rustc_hash::FxHashMap;

pub(super) fn read_lsan(
    report: &mut Report,
    index: usize,
    src: &Source,
    reader: Peek,
    progress: &mut dyn FnMut(&Report, Progress),
) {
    let mut parser = LsanParser::new(index);
    let mut lines = LineReader::new(reader);
    let mut next_progress = PROGRESS_EVERY;
    loop {
        let Some(line) = lines.next_line() else {
            // A live stream paused: show what is parsed so far.
            let Some(idle) = lines.pause() else { break };
            let p = progress_of(src, lines.line_no);
            progress(report, Progress { idle, ..p });
            continue;
        };
        let no = line.no;
        parser.feed(report, no, line.text);
        if no >= next_progress {
            next_progress = no + PROGRESS_EVERY;
            progress(report, progress_of(src, no));
        }
    }
    parser.finish(report);
    let mut warnings = std::mem::take(&mut parser.warnings);
    warnings.extend(reader_warnings(
        &lines.long_lines,
        lines.error.as_ref(),
        lines.line_no,
    ));
    let input = &mut report.inputs[index];
    input.warnings.extend(warnings);
    input.bytes = lines.bytes;
    input.lines = lines.line_no;
    progress(report, progress_of(src, lines.line_no));
}

#[derive(Debug)]
struct PendingError {
    /// The sanitizer's name for it (`heap-use-after-free`).
    name: String,
    headline: String,
    /// `READ of size 4 at 0x… thread T0`, with the kind it maps to.
    access: Option<(ErrorKind, String)>,
    frames: Vec<FrameId>,
    /// Sentences after the stack; `open` ones take the frames that follow.
    aux: Vec<(String, Vec<FrameId>, bool)>,
    line: u64,
}

#[derive(Debug, Default)]
enum Block {
    #[default]
    None,
    Leak(LeakHeader, u64, Vec<FrameId>),
    Error(PendingError),
    Suppressions,
}

#[derive(Debug, Clone, Copy)]
struct PidState {
    process: usize,
    /// The leak report being read, as an index into the process's searches.
    search: Option<usize>,
    search_line: u64,
}

struct LsanParser {
    input: usize,
    pids: FxHashMap<u32, PidState>,
    /// The PID the report's unprefixed lines belong to.
    current: u32,
    block: Block,
    warnings: Vec<Warning>,
}

impl LsanParser {
    fn new(input: usize) -> Self {
        LsanParser {
            input,
            pids: FxHashMap::default(),
            current: 0,
            block: Block::None,
            warnings: Vec::new(),
        }
    }

    fn state(&mut self, report: &mut Report, pid: u32) -> &mut PidState {
        let input = self.input;
        self.pids.entry(pid).or_insert_with(|| PidState {
            process: report.add_process(pid, input),
            search: None,
            search_line: 0,
        })
    }

    fn feed(&mut self, report: &mut Report, no: u64, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((prefix, content)) = split_prefix(line) {
            self.current = prefix.pid;
            let content = String::from_utf8_lossy(content);
            self.prefixed(report, content.trim_end(), no);
            return;
        }
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if let Some(f) = grammar::frame(text) {
            self.frame(report, f);
            return;
        }
        // Only a line that reads as nothing else: a frame whose name holds
        // control bytes (a BEL ending an OSC sequence) is a frame.
        if let Some(rest) = crate::parse::text::after_binary_junk(line) {
            self.warnings.push(Warning {
                line: no,
                message: format!(
                    "{} bytes of binary data skipped; reading the text after them",
                    line.len() - rest.len()
                ),
            });
            return self.feed(report, no, rest);
        }
        if text.is_empty() {
            match &mut self.block {
                Block::Leak(..) | Block::Suppressions => self.end_block(report),
                Block::Error(e) => {
                    if let Some(a) = e.aux.last_mut() {
                        a.2 = false;
                    }
                }
                Block::None => {}
            }
            return;
        }
        self.body_line(report, text, no);
    }

    /// A `==PID==` line: a report's banner, or a sanitizer remark.
    fn prefixed(&mut self, report: &mut Report, content: &str, no: u64) {
        let Some((tool, headline)) = grammar::banner(content) else {
            match &mut self.block {
                // `==PID==The signal is caused by a READ memory access.`
                Block::Error(e) if e.access.is_none() => {
                    if content.contains("caused by a READ") {
                        e.access = Some((ErrorKind::InvalidRead, content.to_string()));
                    } else if content.contains("caused by a WRITE") {
                        e.access = Some((ErrorKind::InvalidWrite, content.to_string()));
                    }
                }
                _ if content == "ABORTING" => self.end_block(report),
                _ => {}
            }
            return;
        };
        self.end_block(report);
        let pid = self.current;
        let tool = tool.to_ascii_lowercase();
        let st = *self.state(report, pid);
        let p = &mut report.processes[st.process];
        if p.tool.is_none() {
            p.tool = Some(tool.clone());
        }
        if tool == "leaksanitizer" || headline.starts_with("detected memory leaks") {
            self.open_search(report, pid, no);
        } else {
            self.block = Block::Error(PendingError {
                name: grammar::error_name(headline).to_string(),
                headline: headline.to_string(),
                access: None,
                frames: Vec::new(),
                aux: Vec::new(),
                line: no,
            });
        }
    }

    fn open_search(&mut self, report: &mut Report, pid: u32, no: u64) {
        let st = self.state(report, pid);
        let searches = &mut report.processes[st.process].leak_searches;
        searches.push(LeakSearch::default());
        st.search = Some(searches.len() - 1);
        st.search_line = no;
    }

    fn frame(&mut self, report: &mut Report, f: crate::model::At<crate::model::Frame>) {
        let frames = match &mut self.block {
            Block::Leak(_, _, frames) => frames,
            Block::Error(e) => {
                let aux_open = e.aux.last().is_some_and(|a| a.2);
                if aux_open {
                    &mut e.aux.last_mut().expect("open aux").1
                } else if e.aux.is_empty() || e.frames.is_empty() {
                    &mut e.frames
                } else {
                    return;
                }
            }
            _ => return,
        };
        frames.push(report.interner.intern_frame(f));
    }

    /// An unprefixed line that is neither a frame nor blank.
    fn body_line(&mut self, report: &mut Report, text: &str, no: u64) {
        if let Some(h) = grammar::leak_header(text) {
            self.end_block(report);
            let pid = self.current;
            if self.state(report, pid).search.is_none() {
                self.open_search(report, pid, no);
            }
            self.block = Block::Leak(h, no, Vec::new());
            return;
        }
        if grammar::looks_like_leak_header(text) {
            self.end_block(report);
            let p = self.state(report, self.current).process;
            report.processes[p].unreadable_records += 1;
            self.warnings.push(Warning {
                line: no,
                message: format!(
                    "unreadable leak header, not counted in any total: {}",
                    crate::sanitize::excerpt(text, 120)
                ),
            });
            return;
        }
        if let Some(s) = grammar::summary(text) {
            self.summary(report, s, no);
            return;
        }
        if text == "Suppressions used:" {
            self.end_block(report);
            self.block = Block::Suppressions;
            return;
        }
        if text.starts_with("-----") || text.starts_with("Shadow bytes around") {
            self.end_block(report);
            return;
        }
        match &mut self.block {
            Block::Leak(..) => self.end_block(report),
            Block::Suppressions => {
                if let Some((count, bytes, name)) = grammar::suppression_row(text) {
                    let p = self.state(report, self.current).process;
                    report.processes[p].used_suppressions.push(UsedSuppression {
                        count,
                        name: name.to_string(),
                        location: String::new(),
                        bytes: Some(bytes),
                        blocks: None,
                    });
                }
            }
            Block::Error(e) => match grammar::access(text) {
                Some(kind) if e.access.is_none() && e.frames.is_empty() => {
                    e.access = Some((kind, text.to_string()));
                }
                _ => {
                    let takes_stack = !e.frames.is_empty();
                    e.aux.push((text.to_string(), Vec::new(), takes_stack));
                }
            },
            Block::None => {}
        }
    }

    fn summary(&mut self, report: &mut Report, s: Summary, no: u64) {
        match s {
            Summary::Error(name) => {
                if let Block::Error(e) = &mut self.block {
                    e.name = name;
                }
                self.end_block(report);
            }
            Summary::Leaked(bytes, blocks) => {
                self.end_block(report);
                let pid = self.current;
                let st = self.state(report, pid);
                let (process, search) = (st.process, st.search.take());
                let searches = &mut report.processes[process].leak_searches;
                let search = match search {
                    Some(i) => &mut searches[i],
                    None => {
                        searches.push(LeakSearch::default());
                        searches.last_mut().expect("just pushed")
                    }
                };
                // LSan prints no per-kind summary: the records are its
                // statement of each kind, the SUMMARY line of the total.
                let mut summary = LeakSummary {
                    line: no,
                    total: Some((bytes, blocks)),
                    ..LeakSummary::default()
                };
                for r in &search.records {
                    let f = &mut summary.kinds[r.kind.index()];
                    // Saturating: the exact sums are leakscope's own totals
                    // (u128); this stands in for a per-kind line LSan lacks.
                    f.bytes = f.bytes.saturating_add(r.direct_bytes());
                    f.blocks = f.blocks.saturating_add(r.blocks());
                }
                search.summary = Some(summary);
            }
        }
    }

    fn end_block(&mut self, report: &mut Report) {
        match std::mem::take(&mut self.block) {
            Block::Leak(h, line, mut frames) => {
                let stack = report.interner.intern_stack_taken(&mut frames);
                let st = *self.state(report, self.current);
                let searches = &mut report.processes[st.process].leak_searches;
                if let Some(search) = st.search.and_then(|i| searches.get_mut(i)) {
                    let r = LossRecord::new(h.kind, h.bytes, 0, h.objects, stack, line);
                    search.records.push(r);
                }
            }
            Block::Error(e) => {
                let stack = report.interner.intern_stack(&e.frames);
                let aux = e
                    .aux
                    .iter()
                    .map(|(what, frames, _)| AuxStack {
                        what: what.trim_end_matches(':').into(),
                        stack: if frames.is_empty() {
                            Interner::EMPTY_STACK
                        } else {
                            report.interner.intern_stack(frames)
                        },
                    })
                    .collect();
                let (kind, what) = match e.access {
                    Some((kind, access)) => (kind, format!("{}: {}", e.name, access)),
                    None => (ErrorKind::Other(e.name.as_str().into()), e.headline),
                };
                let p = self.state(report, self.current).process;
                report.processes[p].errors.push(MemcheckError {
                    kind,
                    what: what.into(),
                    stack,
                    aux,
                    count: 1,
                    suppression: None,
                    line: e.line,
                });
            }
            Block::Suppressions | Block::None => {}
        }
    }

    fn finish(&mut self, report: &mut Report) {
        self.end_block(report);
        if self.pids.is_empty() {
            self.warnings.push(Warning {
                line: 0,
                message: "no sanitizer report: no `ERROR: …Sanitizer:` banner and no `Direct leak of` record".to_string(),
            });
        }
        let mut open: Vec<(u32, u64)> = self
            .pids
            .iter()
            .filter(|(_, st)| st.search.is_some())
            .map(|(&pid, st)| (pid, st.search_line))
            .collect();
        open.sort_unstable();
        for (pid, line) in open {
            self.warnings.push(Warning {
                line,
                message: format!(
                    "PID {pid}: the report ends before its SUMMARY line (truncated?); its leak records are kept"
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests;
