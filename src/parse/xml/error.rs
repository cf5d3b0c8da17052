//! One `<error>` while it is being read, and what it becomes: a loss record
//! for the `Leak_*` kinds, a [`MemcheckError`] for every other kind.

use super::tag::Tag;
use crate::model::{
    AuxStack, ErrorKind, Frame, FrameId, Interner, LeakKind, LossRecord, MemcheckError, StackId,
};
use crate::parse::text::record_header;

/// A `<suppression>` (inside an error, or repeated at top level by 3.19).
#[derive(Debug, Default)]
pub struct PendingSupp {
    /// One entry per `<sframe>`: the `<fun>` name, or `None` for `<obj>`.
    pub funs: Vec<Option<String>>,
    pub raw: String,
}

impl PendingSupp {
    /// The text as a .supp file holds it; `None` when `<rawtext>` was empty.
    pub fn text(&self) -> Option<Box<str>> {
        let t = self.raw.trim();
        (!t.is_empty()).then(|| t.into())
    }

    pub fn fun_refs(&self) -> Vec<Option<&str>> {
        self.funs.iter().map(|f| f.as_deref()).collect()
    }
}

#[derive(Debug, Default)]
pub struct PendingError {
    pub line: u64,
    pub unique: Option<String>,
    pub kind: Option<String>,
    pub what: Option<String>,
    pub leaked_bytes: Option<u64>,
    pub leaked_blocks: Option<u64>,
    /// `<leakedbytes>` or `<leakedblocks>` held something other than a
    /// number (out of range, negative): the record cannot be counted.
    pub unreadable: bool,
    /// The first `<stack>`: where the error happened or the block was allocated.
    pub stack: Option<StackId>,
    /// Sentences after the first, each with the stack that followed it;
    /// `None` while a stack may still follow.
    pub aux: Vec<(String, Option<StackId>)>,
    /// The stack and frame being read.
    pub frames: Vec<FrameId>,
    pub frame: PendingFrame,
    pub supp: Option<PendingSupp>,
}

/// The `<frame>` being read. Its fields are kept as text in reused buffers
/// and the frame is looked up by them: the strings of a [`Frame`] are
/// allocated only the first time its location is seen, not once per
/// occurrence (a log repeats the same frames millions of times).
#[derive(Debug, Default)]
pub struct PendingFrame {
    addr: Option<u64>,
    /// `<fn>`, `<dir>`, `<file>`, `<obj>`: the text (always UTF-8), and
    /// whether it was given.
    text: [(Vec<u8>, bool); 4],
    line: Option<u32>,
    key: Vec<u8>,
}

impl PendingFrame {
    /// A field element of the frame closed with `text`.
    pub fn set(&mut self, field: Tag, text: &str) {
        self.set_utf8(field, text.as_bytes());
    }

    /// [`Self::set`] for a text known to be ASCII: what a chunk worker reads
    /// from the bytes, with no validation needed.
    pub fn set_ascii(&mut self, field: Tag, text: &[u8]) {
        debug_assert!(text.is_ascii());
        self.set_utf8(field, text);
    }

    /// `text` is valid UTF-8 (a `&str`, or ASCII).
    fn set_utf8(&mut self, field: Tag, text: &[u8]) {
        let slot = match field {
            Tag::Ip => {
                self.addr = text.strip_prefix(b"0x").and_then(|h| number(h, 16));
                return;
            }
            Tag::Line => {
                self.line = number(text, 10).and_then(|n| u32::try_from(n).ok());
                return;
            }
            Tag::Fn if text == b"???" || text.is_empty() => {
                self.text[0].1 = false;
                return;
            }
            Tag::Fn => 0,
            Tag::Dir => 1,
            Tag::File => 2,
            Tag::Obj => 3,
            _ => return,
        };
        let (buf, given) = &mut self.text[slot];
        buf.clear();
        buf.extend_from_slice(text);
        *given = true;
    }

    /// Interns the frame read and makes ready for the next one; with
    /// `keep`, also gives back what it was interned by ([`ReadFrame`]).
    fn intern(&mut self, interner: &mut Interner, keep: bool) -> (FrameId, Option<ReadFrame>) {
        // The key of `Interner::location_key` for the frame being built,
        // without building it: function, mangled (none in XML), dir, file,
        // object, line, named by the log.
        let part = |i: usize| self.text[i].1.then_some(self.text[i].0.as_slice());
        let parts = [part(0), None, part(1), part(2), part(3)];
        self.key.clear();
        self.key.push(0xff);
        for p in parts {
            self.key.extend_from_slice(p.unwrap_or(b""));
            self.key.push(0);
        }
        self.key
            .extend_from_slice(&self.line.unwrap_or(u32::MAX).to_le_bytes());
        self.key.push(crate::model::NamedBy::Log as u8);
        // Always UTF-8 (see `text`), so never replaced here.
        let arc = |p: Option<&[u8]>| {
            p.map(|b| match std::str::from_utf8(b) {
                Ok(s) => s.into(),
                Err(_) => String::from_utf8_lossy(b).into(),
            })
        };
        let make = || Frame {
            function: arc(parts[0]),
            dir: arc(parts[2]),
            file: arc(parts[3]),
            object: arc(parts[4]),
            line: self.line,
            ..Frame::default()
        };
        let (id, read) = if keep {
            let read = ReadFrame {
                addr: self.addr,
                key: self.key.as_slice().into(),
                frame: make(),
            };
            (read.intern(interner), Some(read))
        } else {
            (
                interner.intern_frame_keyed(self.addr, &self.key, make),
                None,
            )
        };
        self.addr = None;
        self.line = None;
        for t in &mut self.text {
            t.1 = false;
        }
        (id, read)
    }
}

/// A frame as its fields were read: what it is interned by, so that the
/// same text can be interned in another run's interner without reading
/// its fields again.
#[derive(Debug, Clone)]
pub struct ReadFrame {
    addr: Option<u64>,
    key: Box<[u8]>,
    frame: Frame,
}

impl ReadFrame {
    /// Interns the frame, as [`PendingFrame`] would have from its fields.
    pub fn intern(&self, interner: &mut Interner) -> FrameId {
        interner.intern_frame_keyed(self.addr, &self.key, || self.frame.clone())
    }

    /// Bytes it holds, roughly.
    pub fn size(&self) -> usize {
        self.key.len() + std::mem::size_of::<Self>()
    }
}

/// A number as `u64::from_str_radix` reads it (an optional `+`, then
/// digits, no overflow), from bytes: no UTF-8 check for each `<ip>`.
fn number(text: &[u8], radix: u32) -> Option<u64> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &c| {
        let d = (c as char).to_digit(radix)?;
        n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    })
}

impl PendingError {
    pub fn new(line: u64) -> Self {
        PendingError {
            line,
            ..PendingError::default()
        }
    }

    /// A `<what>` or `<xwhat><text>`. The protocol allows a second one before
    /// the stack; it is kept as a sentence without a stack.
    pub fn add_what(&mut self, text: &str) {
        if self.what.is_none() {
            self.what = Some(text.to_string());
        } else {
            self.aux
                .push((text.to_string(), Some(Interner::EMPTY_STACK)));
        }
    }

    /// An `<auxwhat>` or `<xauxwhat><text>`: a stack may follow it.
    pub fn add_aux(&mut self, text: &str) {
        self.aux.push((text.to_string(), None));
    }

    /// A `<stack>` ended: the first is the error's own, later ones belong to
    /// the sentence before them (origins, "Block was alloc'd at", …).
    pub fn end_stack(&mut self, interner: &mut Interner) {
        let id = interner.intern_stack_taken(&mut self.frames);
        if self.stack.is_none() {
            self.stack = Some(id);
            return;
        }
        match self.aux.last_mut() {
            Some((_, slot @ None)) => *slot = Some(id),
            _ => self.aux.push((String::new(), Some(id))),
        }
    }

    pub fn end_frame(&mut self, interner: &mut Interner) -> FrameId {
        self.end_frame_keeping(interner, false).0
    }

    /// [`Self::end_frame`], also giving back what the frame was interned by
    /// when `keep`.
    pub fn end_frame_keeping(
        &mut self,
        interner: &mut Interner,
        keep: bool,
    ) -> (FrameId, Option<ReadFrame>) {
        let (id, read) = self.frame.intern(interner, keep);
        self.frames.push(id);
        (id, read)
    }

    /// A frame interned from what it was read as elsewhere.
    pub fn push_read_frame(&mut self, interner: &mut Interner, read: &ReadFrame) -> FrameId {
        let id = read.intern(interner);
        self.frames.push(id);
        id
    }

    /// The leak kind, when `<kind>` is one of the four `Leak_*`.
    pub fn leak_kind(&self) -> Option<LeakKind> {
        LeakKind::from_xml_kind(self.kind.as_deref()?)
    }

    /// Builds the loss record. `<leakedbytes>` is direct plus indirect; the
    /// split is only in the text (`48 (16 direct, 32 indirect) bytes in …`),
    /// read with the text log's grammar. When the two disagree (a masked
    /// text), the XML figures win and all bytes count as direct. Also
    /// returns M of `N of M`, which the search keeps.
    pub fn into_record(self, kind: LeakKind) -> (LossRecord, Option<u32>, Option<PendingSupp>) {
        let header = self.what.as_deref().and_then(record_header);
        let total = self
            .leaked_bytes
            .or_else(|| header.as_ref().map(|h| h.direct + h.indirect))
            .unwrap_or(0);
        let (mut direct, mut indirect) = (total, 0);
        if let Some(h) = &header {
            if h.direct.checked_add(h.indirect) == Some(total) {
                (direct, indirect) = (h.direct, h.indirect);
            }
        }
        let blocks = self
            .leaked_blocks
            .or_else(|| header.as_ref().map(|h| h.blocks))
            .unwrap_or(0);
        let stack = self.stack.unwrap_or(Interner::EMPTY_STACK);
        let mut record = LossRecord::new(kind, direct, indirect, blocks, stack, self.line);
        if let Some(h) = &header {
            record.set_number(h.number);
            record.set_deltas(h.delta_bytes, h.delta_blocks);
        }
        record.set_suppression(self.supp.as_ref().and_then(PendingSupp::text));
        (record, header.and_then(|h| h.of), self.supp)
    }

    pub fn into_error(self) -> (MemcheckError, Option<PendingSupp>) {
        let kind = match self.kind.as_deref() {
            Some(k) => ErrorKind::from_xml(k),
            None => ErrorKind::Other("(no kind)".into()),
        };
        let error = MemcheckError {
            what: self
                .what
                .unwrap_or_else(|| kind.as_str().to_string())
                .into(),
            kind,
            stack: self.stack.unwrap_or(Interner::EMPTY_STACK),
            aux: self
                .aux
                .into_iter()
                .map(|(what, stack)| AuxStack {
                    what: what.into(),
                    stack: stack.unwrap_or(Interner::EMPTY_STACK),
                })
                .collect(),
            count: 1,
            suppression: self.supp.as_ref().and_then(PendingSupp::text),
            line: self.line,
        };
        (error, self.supp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leak(text: &str, bytes: Option<u64>) -> LossRecord {
        leak_of(text, bytes).0
    }

    /// The record and M of its `N of M`.
    fn leak_of(text: &str, bytes: Option<u64>) -> (LossRecord, Option<u32>) {
        let e = PendingError {
            what: Some(text.into()),
            leaked_bytes: bytes,
            leaked_blocks: Some(1),
            ..PendingError::default()
        };
        let (r, of, _) = e.into_record(LeakKind::DefinitelyLost);
        (r, of)
    }

    #[test]
    fn direct_and_indirect_come_from_the_text() {
        let (r, of) = leak_of(
            "48 (16 direct, 32 indirect) bytes in 1 blocks are definitely lost in loss record 2 of 3",
            Some(48),
        );
        assert_eq!((r.direct_bytes(), r.indirect_bytes()), (16, 32));
        assert_eq!((r.number(), of), (Some(2), Some(3)));
    }

    #[test]
    fn leakedbytes_wins_over_a_text_that_disagrees() {
        let r = leak(
            "x (y direct, z indirect) bytes in 1 blocks are definitely lost in loss record ... of ...",
            Some(396),
        );
        assert_eq!(
            (r.direct_bytes(), r.indirect_bytes(), r.number()),
            (396, 0, None)
        );
        let r = leak("something else entirely", Some(7));
        assert_eq!((r.direct_bytes(), r.blocks()), (7, 1));
    }

    #[test]
    fn numbers_read_as_std_reads_them() {
        for t in [
            "0",
            "+7",
            "++7",
            "",
            "+",
            "-1",
            "12a",
            "ff",
            "FF",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            " 1",
        ] {
            assert_eq!(number(t.as_bytes(), 10), t.parse::<u64>().ok(), "{t:?}");
            assert_eq!(
                number(t.as_bytes(), 16),
                u64::from_str_radix(t, 16).ok(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn later_stacks_follow_their_sentence() {
        let mut i = Interner::new();
        let mut e = PendingError::new(1);
        e.frame.set(Tag::Fn, "f");
        e.end_frame(&mut i);
        e.end_stack(&mut i);
        e.add_aux("Address 0x1 is on thread 1's stack");
        e.add_aux("Block was alloc'd at");
        e.frame.set(Tag::Fn, "malloc");
        e.end_frame(&mut i);
        e.end_stack(&mut i);
        let (err, _) = e.into_error();
        assert_eq!(err.aux.len(), 2);
        assert_eq!(err.aux[0].stack, Interner::EMPTY_STACK);
        assert_eq!(i.stack(err.aux[1].stack).len(), 1);
        assert_eq!(err.kind, ErrorKind::Other("(no kind)".into()));
    }
}
