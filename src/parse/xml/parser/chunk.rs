//! The chunk worker's side of the parser: collecting a run's items instead
//! of adding them to the report, and the main parser replaying them.

use super::XmlParser;
use crate::model::{FrameId, Remap, Report};
use crate::parse::xml::error::{PendingError, PendingSupp, ReadFrame};
use crate::parse::xml::frames::{trim_ascii, Field};
use crate::parse::xml::tag::Tag;

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

impl XmlParser {
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
    /// them, with their stacks moved into the report's interner and their
    /// lines (counted from the chunk's first) moved down by `lines_before`.
    pub fn replay(
        &mut self,
        report: &mut Report,
        items: Vec<ChunkItem>,
        remap: &Remap,
        lines_before: u64,
    ) {
        for item in items {
            match item {
                ChunkItem::Error(mut e) => {
                    e.line += lines_before;
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
    /// [`crate::parse::xml::frames::scan`]), handled as its events would have been:
    /// each field closed with its text, then the frame. The frame interned,
    /// and with `keep` what it was interned by.
    pub fn plain_frame(
        &mut self,
        report: &mut Report,
        fields: &[Field<'_>],
        keep: bool,
    ) -> Option<(FrameId, Option<ReadFrame>)> {
        let e = self.error.as_mut()?;
        for f in fields {
            if f.plain {
                e.frame.set_ascii(f.tag, trim_ascii(f.raw));
            } else {
                e.frame
                    .set(f.tag, crate::parse::xml::unescape(f.raw).trim());
            }
        }
        let read = e.end_frame_keeping(&mut report.interner, keep);
        self.text.clear();
        Some(read)
    }

    /// A `<frame>` whose very text was read as `read` in an earlier chunk:
    /// [`Self::plain_frame`] would intern the same frame.
    pub fn read_frame(&mut self, report: &mut Report, read: &ReadFrame) -> Option<FrameId> {
        let e = self.error.as_mut()?;
        let id = e.push_read_frame(&mut report.interner, read);
        self.text.clear();
        Some(id)
    }

    /// A `<frame>` whose very text was read as `id` earlier in the chunk:
    /// [`Self::plain_frame`] would intern it as `id` again.
    pub fn seen_frame(&mut self, id: FrameId) {
        if let Some(e) = &mut self.error {
            e.frames.push(id);
        }
        self.text.clear();
    }
}
