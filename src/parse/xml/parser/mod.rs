//! The state machine over XML events: keeps the path of open elements and
//! decides, as each element closes, what its text means in the model:
//! `document` for the document's own elements, `items` for errors and
//! suppressions, `chunk` for a chunk worker's parser and the replay of
//! what it read.

mod chunk;
mod document;
mod items;

pub use chunk::{ChunkItem, ChunkItems};

use super::error::{PendingError, PendingSupp};
use super::search::Searches;
use super::summary::LeakSummaryBuilder;
use super::tag::Tag;
use crate::model::{ErrorSummary, HeapSummary, Process, Report, TextKeyed, Warning};
use items::LastItem;
use std::collections::HashMap;

/// Longest text kept for one element; the rest is dropped.
const MAX_TEXT: usize = 1 << 20;
/// Warnings about odd content kept per input; more are counted, not listed.
const MAX_WARNINGS: usize = 50;

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
    uniques: HashMap<String, usize, TextKeyed>,
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
            uniques: HashMap::default(),
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
