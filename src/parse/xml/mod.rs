//! Valgrind's XML output (`--xml=yes`), protocols 4, 5 and 6.
//!
//! Streamed with quick-xml on every core (see [`parallel`]): memory grows
//! with the distinct frames and stacks, not with the log, and records reach
//! the report as their part of the document is merged (the explorer draws
//! from the report while it loads). XML that is cut off or
//! malformed keeps everything read before the problem, plus a warning with
//! its line.

mod counted;
mod error;
mod frames;
mod parallel;
mod parser;
mod search;
mod seen_frames;
mod split;
mod summary;
mod tag;

#[cfg(test)]
mod parallel_tests;
#[cfg(test)]
mod tests;

use super::source::{Peek, Source};
use super::{progress_of, Progress, PROGRESS_EVERY};
use crate::model::{Report, Warning};
use counted::Counted;
use memchr::memmem;
use parser::XmlParser;
use quick_xml::events::Event;
use quick_xml::Reader;
use seen_frames::{KnownFrames, SeenFrames};
use std::borrow::Cow;
use std::io::Read;

/// Errors of the XML reader tolerated before giving up on an input.
const MAX_XML_ERRORS: u32 = 100;

pub(super) fn read_xml(
    report: &mut Report,
    index: usize,
    src: &Source,
    reader: Peek,
    progress: &mut dyn FnMut(&Report, Progress),
) {
    read_parallel(
        report,
        index,
        reader,
        parallel::CHUNK_BYTES,
        &mut |r, line| progress(r, progress_of(src, line)),
    );
}

/// Reads a whole XML input on every core: see [`parallel`]. `progress` gets
/// the line reached now and then.
fn read_parallel<R: Read + Send>(
    report: &mut Report,
    index: usize,
    reader: R,
    chunk: usize,
    progress: &mut dyn FnMut(&Report, u64),
) {
    parallel::with_pieces(reader, chunk, |pieces| {
        let mut xml = Reader::from_reader(Counted::new(pieces));
        let mut parser = XmlParser::new(index);
        let mut next_progress = PROGRESS_EVERY;
        feed(
            &mut xml,
            &mut parser,
            report,
            &mut |xml, parser, report| loop {
                let merged = parallel::merge_reached(xml, parser, report);
                let line = xml.get_ref().line();
                if line >= next_progress {
                    // One call per PROGRESS_EVERY lines passed, however far
                    // a merged run moved the line.
                    next_progress = (line / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
                    progress(report, line);
                }
                if !merged {
                    return;
                }
            },
        );
        finish(report, index, &xml, parser, progress);
    });
}

/// Reads a whole XML input on one thread: what the parallel reader must
/// equal, event for event.
#[cfg(test)]
fn read_sequential<R: Read>(report: &mut Report, index: usize, reader: R) {
    let mut xml = Reader::from_reader(Counted::new(reader));
    let mut parser = XmlParser::new(index);
    feed(&mut xml, &mut parser, report, &mut |_, _, _| {});
    finish(report, index, &xml, parser, &mut |_, _| {});
}

fn finish<R: Read>(
    report: &mut Report,
    index: usize,
    xml: &Reader<Counted<R>>,
    mut parser: XmlParser,
    progress: &mut dyn FnMut(&Report, u64),
) {
    let counted = xml.get_ref();
    let (bytes, lines, last_line) = (counted.bytes_read(), counted.lines_seen(), counted.line());
    parser.finish(report, last_line);
    let warnings: Vec<Warning> = std::mem::take(&mut parser.warnings);
    let input = &mut report.inputs[index];
    input.warnings.extend(warnings);
    input.bytes = bytes;
    input.lines = lines;
    progress(report, lines);
}

/// What runs before each event: merging parsed chunks, progress.
type Between<'a, S> = dyn FnMut(&mut S, &mut XmlParser, &mut Report) + 'a;

/// Where [`feed`] reads its events: a stream, or a run of the document
/// already in memory.
trait Events {
    /// The next event (a stream copies it into `buf`, memory lends it) and
    /// the line of the byte after it.
    fn next_event<'b>(&'b mut self, buf: &'b mut Vec<u8>) -> (quick_xml::Result<Event<'b>>, u64);
    /// Bytes read so far (to tell a reader that stopped moving).
    fn position(&self) -> u64;
    /// Reads the plain frames that come next in a stack, when the reader
    /// can see them ([`InMemory`]).
    fn frames(&mut self, _parser: &mut XmlParser, _report: &mut Report) {}
}

impl<R: Read> Events for Reader<Counted<R>> {
    fn next_event<'b>(&'b mut self, buf: &'b mut Vec<u8>) -> (quick_xml::Result<Event<'b>>, u64) {
        let event = self.read_event_into(buf);
        // The event borrows `buf`, not the reader.
        let line = self.get_ref().line();
        (event, line)
    }
    fn position(&self) -> u64 {
        self.buffer_position()
    }
}

/// A run of the document in memory (a worker's chunk): quick-xml lends each
/// event from the bytes instead of copying it through a buffer, and a
/// stack's plain frames are read without events at all ([`frames`]). Lines
/// are counted as the reading moves forward, one vectorised count over what
/// was passed (mostly whole stacks at once). The bytes are bounded by the
/// chunk size, so no token-length guard is needed here.
struct InMemory<'a> {
    xml: Reader<&'a [u8]>,
    bytes: &'a [u8],
    /// Bytes read by [`frames`] behind quick-xml's back.
    skipped: usize,
    /// Line of `bytes[counted]`, and of `bytes[0]`.
    line: u64,
    first_line: u64,
    counted: usize,
    /// Whether the last event was a tag: quick-xml is then between
    /// markup (it has not taken the next `<` yet) and frames may be read.
    after_tag: bool,
    fields: Vec<frames::Field<'a>>,
    /// The frames read so far, by text, and those its worker read in
    /// earlier runs ([`seen_frames`]).
    seen: SeenFrames<'a>,
    known: Option<KnownFrames>,
    frame_end: memmem::Finder<'static>,
}

impl<'a> InMemory<'a> {
    /// The run `bytes`, whose first byte is on the document's line `line`.
    fn new(bytes: &'a [u8], line: u64) -> Self {
        InMemory {
            xml: Reader::from_reader(bytes),
            bytes,
            skipped: 0,
            line: line.max(1),
            first_line: line.max(1),
            counted: 0,
            after_tag: false,
            fields: Vec::new(),
            seen: SeenFrames::default(),
            known: None,
            frame_end: memmem::Finder::new(frames::FRAME_END),
        }
    }
}

impl InMemory<'_> {
    /// The newlines in the whole run, once it has been read.
    fn newlines(&self) -> u64 {
        let rest = &self.bytes[self.counted.min(self.bytes.len())..];
        self.line - self.first_line + memchr::memchr_iter(b'\n', rest).count() as u64
    }
}

impl<'a> Events for InMemory<'a> {
    fn next_event<'b>(&'b mut self, _: &'b mut Vec<u8>) -> (quick_xml::Result<Event<'b>>, u64) {
        let event = self.xml.read_event();
        self.after_tag = matches!(event, Ok(Event::Start(_) | Event::End(_)));
        let to = self.skipped + self.xml.buffer_position() as usize;
        let line = line_at(self.bytes, &mut self.counted, &mut self.line, to);
        (event, line)
    }
    fn position(&self) -> u64 {
        (self.skipped as u64) + self.xml.buffer_position()
    }
    fn frames(&mut self, parser: &mut XmlParser, report: &mut Report) {
        if !self.after_tag || !parser.in_stack() {
            return;
        }
        // The reader is at `bytes[counted]` (events leave it there).
        let rest: &'a [u8] = self.xml.get_ref();
        let (mut used, mut newlines) = (0, 0);
        loop {
            let (at, blank_lines) = frames::skip_blank(rest, used);
            let seen = match self.seen.get(&rest[at..]) {
                Some(seen) => {
                    parser.seen_frame(seen.id);
                    seen
                }
                None => {
                    let Some(text) = frames::whole(&rest[at..], &self.frame_end) else {
                        break;
                    };
                    let known = self.known.as_ref().and_then(|k| k.get(text));
                    let id = if let Some(read) = known {
                        let Some(id) = parser.read_frame(report, read) else {
                            break;
                        };
                        id
                    } else {
                        // The scan reads nothing past the first `</frame>`.
                        if frames::scan(text, &mut self.fields) != Some(text.len()) {
                            break;
                        }
                        let keep = self.known.is_some();
                        let Some((id, read)) = parser.plain_frame(report, &self.fields, keep)
                        else {
                            break;
                        };
                        if let (Some(known), Some(read)) = (&mut self.known, read) {
                            known.insert(text, read);
                        }
                        id
                    };
                    self.seen.insert(text, id)
                }
            };
            used = at + seen.text_len();
            newlines += blank_lines + u64::from(seen.newlines);
        }
        if used > 0 {
            *self.xml.get_mut() = &rest[used..];
            self.skipped += used;
            self.counted += used;
            self.line += newlines;
        }
    }
}

/// The line of `bytes[to]`: `line` is that of `bytes[counted]`, and both
/// move forward to `to` (events only move forward).
fn line_at(bytes: &[u8], counted: &mut usize, line: &mut u64, to: usize) -> u64 {
    let passed = &bytes[(*counted).min(to)..to];
    // Most events are a few bytes: a plain loop beats setting up a
    // vectorised count for each.
    *line += if passed.len() < 64 {
        passed.iter().filter(|&&b| b == b'\n').count() as u64
    } else {
        memchr::memchr_iter(b'\n', passed).count() as u64
    };
    *counted = (*counted).max(to);
    *line
}

/// Feeds every event of `xml` to `parser` until the end, a read error, or
/// too many XML errors.
fn feed<S: Events>(
    xml: &mut S,
    parser: &mut XmlParser,
    report: &mut Report,
    between: &mut Between<'_, S>,
) {
    let mut buf = Vec::with_capacity(1 << 12);
    let mut errors = 0;
    loop {
        between(xml, parser, report);
        xml.frames(parser, report);
        buf.clear();
        let before = xml.position();
        let (event, line) = xml.next_event(&mut buf);
        match event {
            Ok(Event::Start(e)) => parser.start(report, e.name().as_ref(), &e, line),
            Ok(Event::Empty(e)) => parser.empty(report, e.name().as_ref(), &e, line),
            Ok(Event::End(e)) => parser.end(report, e.name().as_ref(), line),
            Ok(Event::Text(t)) if parser.in_comment() => {
                parser.text(&String::from_utf8_lossy(&t));
            }
            Ok(Event::Text(t)) => parser.text(&unescape(&t)),
            Ok(Event::CData(c)) => parser.text(&String::from_utf8_lossy(&c)),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let stop = match &e {
                    quick_xml::Error::Io(_) => {
                        parser.warn(
                            line,
                            format!(
                                "reading stopped at this line: {e} (truncated or corrupt input?)"
                            ),
                        );
                        true
                    }
                    quick_xml::Error::IllFormed(
                        quick_xml::errors::IllFormedError::MismatchedEndTag { .. },
                    ) => {
                        // quick-xml closed the innermost element; so do we.
                        parser.close_top_element(report, line);
                        parser.warn(line, format!("malformed XML: {e}"));
                        false
                    }
                    _ => {
                        parser.warn(line, format!("malformed XML: {e}"));
                        false
                    }
                };
                errors += 1;
                if stop || errors >= MAX_XML_ERRORS || xml.position() == before {
                    if !stop {
                        parser.warn(
                            line,
                            "too broken to read on; reading stopped here, everything before is kept"
                                .to_string(),
                        );
                    }
                    break;
                }
            }
        }
    }
}

/// Text with entities resolved; valgrind writes bytes as they are, so invalid
/// UTF-8 and stray `&` are kept as read rather than failing the element.
fn unescape(raw: &[u8]) -> Cow<'_, str> {
    // Valid UTF-8 without `&` (nearly every text): no copy, and std's
    // validation, which is faster than the lossy one's.
    if let Ok(s) = std::str::from_utf8(raw) {
        if memchr::memchr(b'&', raw).is_none() {
            return Cow::Borrowed(s);
        }
    }
    let s = String::from_utf8_lossy(raw);
    match quick_xml::escape::unescape(&s) {
        Ok(Cow::Borrowed(_)) => s,
        Ok(Cow::Owned(o)) => Cow::Owned(o),
        Err(_) => s,
    }
}
