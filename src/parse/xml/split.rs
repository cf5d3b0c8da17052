//! Where a valgrind XML document can be cut for parallel parsing.
//!
//! Valgrind writes every top-level element at column 0 and indents all
//! nested ones, so a line starting with `<error>` is the start of a
//! top-level error and one starting with `</error>` its end. Runs of
//! consecutive top-level `<error>`s (with the `<suppression>`s 3.19 repeats
//! after each) become [`Cut::Run`] pieces that workers parse on their own;
//! everything else is [`Cut::Rest`], read by the main parser in order. A
//! misjudged cut costs only speed: a worker that finds anything but clean
//! top-level errors in its run hands the bytes back to the main parser.
//!
//! The input is read straight into the buffer a piece is handed out in, and
//! buffers come back to be filled again ([`Splitter::recycle`]): every byte
//! is copied once by the kernel, and only the bytes after a cut once more.
//! The splitter counts no lines: whoever reads a piece does.

use memchr::memmem;
use std::io::{self, Read};
use std::ops::Deref;

/// One piece of the document, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Cut {
    /// Bytes the main parser reads itself.
    Rest(Buffer),
    /// Whole top-level `<error>`/`<suppression>` elements.
    Run(Buffer),
}

/// A piece's bytes, in storage kept initialized to its length so that it
/// can be read into again without zeroing it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Buffer {
    storage: Vec<u8>,
    len: usize,
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.storage[..self.len]
    }
}

impl From<Vec<u8>> for Buffer {
    fn from(storage: Vec<u8>) -> Self {
        Buffer {
            len: storage.len(),
            storage,
        }
    }
}

/// A run never grows past this inside one element: a giant or unclosed
/// `<error>` is left to the main parser instead.
const MAX_RUN: usize = 64 << 20;

/// Bytes asked of the input at a time.
const BLOCK: usize = 1 << 18;

/// Cuts a stream fed in arbitrary blocks. A run starts at a line start or
/// with the blank lines before it; a rest piece ends at its last non-blank
/// byte.
pub struct Splitter {
    /// Bytes not yet handed out.
    buf: Buffer,
    /// How far `buf` has been classified (always a line start).
    scanned: usize,
    in_run: bool,
    /// The end tag that closes the element the run is inside.
    open: Option<&'static [u8]>,
    /// A run is handed out once it reaches this size between elements.
    chunk: usize,
    /// `buf[0]` continues a line handed out already.
    mid_line: bool,
    /// Storage of pieces already read, to be filled again (new storage
    /// costs page faults on every chunk).
    spare: Vec<Vec<u8>>,
}

impl Splitter {
    pub fn new(chunk: usize) -> Self {
        Splitter {
            buf: Buffer::default(),
            scanned: 0,
            in_run: false,
            open: None,
            chunk: chunk.max(1),
            mid_line: false,
            spare: Vec::new(),
        }
    }

    /// What a buffer is made to hold: a run cut past `chunk`, with the
    /// block read past it, without growing.
    fn storage_size(&self) -> usize {
        self.chunk.min(MAX_RUN) + 2 * BLOCK
    }

    /// A buffer whose piece has been read, for the next piece. One grown
    /// far past the usual size (a giant element) is freed instead.
    pub fn recycle(&mut self, buf: Buffer) {
        if self.spare.len() < 8 && buf.storage.len() <= 2 * self.storage_size() {
            self.spare.push(buf.storage);
        }
    }

    /// Reads the next block of `reader` and hands out every piece that is
    /// complete. `Ok(0)` at the end of the input.
    pub fn read_from(
        &mut self,
        reader: &mut impl Read,
        out: &mut impl FnMut(Cut),
    ) -> io::Result<usize> {
        let at = self.buf.len;
        self.make_room(BLOCK);
        let n = reader.read(&mut self.buf.storage[at..at + BLOCK])?;
        self.buf.len += n;
        if n > 0 {
            self.advance(out);
        }
        Ok(n)
    }

    /// Adds bytes and hands out every piece that is complete.
    #[cfg(test)]
    pub fn feed(&mut self, data: &[u8], out: &mut impl FnMut(Cut)) {
        let at = self.buf.len;
        self.make_room(data.len());
        self.buf.storage[at..at + data.len()].copy_from_slice(data);
        self.buf.len += data.len();
        self.advance(out);
    }

    /// Makes room for `n` more bytes after those held.
    fn make_room(&mut self, n: usize) {
        let want = self.buf.len + n;
        if self.buf.storage.len() < want {
            let size = want.max(self.storage_size());
            self.buf.storage.resize(size, 0);
        }
    }

    /// Classifies what came in and hands out every piece that is complete.
    fn advance(&mut self, out: &mut impl FnMut(Cut)) {
        let mut limit = match memchr::memrchr(b'\n', &self.buf) {
            Some(nl) => nl + 1,
            None => 0,
        };
        while self.scanned < limit {
            let before = self.buf.len;
            if self.mid_line {
                self.mid_line = false;
            } else {
                self.line_at(self.scanned, out);
            }
            limit -= before - self.buf.len;
            let pos = self.scanned;
            self.scanned = match memmem::find(&self.buf[pos..limit], b"\n<") {
                Some(i) => pos + i + 1,
                None => limit,
            };
        }
        if !self.in_run {
            // What the main parser reads can stream to it right away.
            self.give(self.content_end(limit), out);
        } else if self.open.is_some() && self.scanned > MAX_RUN {
            self.in_run = false;
            self.open = None;
            self.give(self.content_end(limit), out);
        }
        if self.buf.len - self.scanned > MAX_RUN {
            // One endless line: the main parser reports it.
            self.finish(out);
            self.mid_line = true;
        }
    }

    /// The stream ended: hands out what is left.
    pub fn finish(&mut self, out: &mut impl FnMut(Cut)) {
        if self.in_run && self.open.is_none() {
            self.give(self.scanned, out);
        }
        self.in_run = false;
        self.open = None;
        self.give(self.buf.len, out);
        self.scanned = 0;
    }

    /// Classifies the line starting at `pos` (a line start), handing out
    /// the piece it ends.
    fn line_at(&mut self, pos: usize, out: &mut impl FnMut(Cut)) {
        let line = &self.buf[pos..];
        if !line.starts_with(b"<") {
            return;
        }
        if let Some(close) = self.open {
            if line.starts_with(close) {
                self.open = None;
            }
            return;
        }
        let opens = if line.starts_with(b"<error>") {
            Some(&b"</error>"[..])
        } else if self.in_run && line.starts_with(b"<suppression>") {
            Some(&b"</suppression>"[..])
        } else {
            None
        };
        match (self.in_run, opens) {
            (false, Some(close)) => {
                self.give(self.content_end(pos), out);
                self.in_run = true;
                self.open = Some(close);
            }
            (true, Some(close)) => {
                if pos >= self.chunk && close == b"</error>" {
                    self.give(pos, out);
                }
                self.open = Some(close);
            }
            (true, None) => {
                self.give(pos, out);
                self.in_run = false;
            }
            (false, None) => {}
        }
    }

    /// Where the content of `buf[..pos]` ends: after its last byte that is
    /// not XML whitespace. A piece the main parser reads ends there, and the
    /// blanks go with the next piece: the parser's last event then ends
    /// where the piece does, so a run that follows is merged before the
    /// parser asks for more bytes, one run at a time (see
    /// `parallel::merge_reached`).
    fn content_end(&self, pos: usize) -> usize {
        self.buf[..pos]
            .iter()
            .rposition(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            .map_or(0, |i| i + 1)
    }

    /// Hands out `buf[..end]` as what it is (a run while in one).
    fn give(&mut self, end: usize, out: &mut impl FnMut(Cut)) {
        if end == 0 {
            return;
        }
        // The piece keeps the buffer; only what follows it is copied.
        let size = self.storage_size().max(self.buf.len - end);
        let mut rest = match self.spare.pop() {
            Some(mut v) => {
                if v.len() < size {
                    v.resize(size, 0);
                }
                v
            }
            // Zeroed by the allocator (fresh pages), not written here.
            None => vec![0; size],
        };
        rest[..self.buf.len - end].copy_from_slice(&self.buf[end..]);
        let rest = Buffer {
            storage: rest,
            len: self.buf.len - end,
        };
        let mut piece = std::mem::replace(&mut self.buf, rest);
        piece.len = end;
        self.scanned = self.scanned.saturating_sub(end);
        out(if self.in_run {
            Cut::Run(piece)
        } else {
            Cut::Rest(piece)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(doc: &str, block: usize, chunk: usize) -> Vec<Cut> {
        let mut s = Splitter::new(chunk);
        let mut v = Vec::new();
        for b in doc.as_bytes().chunks(block) {
            s.feed(b, &mut |c| v.push(c));
        }
        s.finish(&mut |c| v.push(c));
        v
    }

    fn kinds(v: &[Cut]) -> Vec<(bool, String)> {
        v.iter()
            .map(|c| match c {
                Cut::Rest(b) => (false, String::from_utf8_lossy(b).into_owned()),
                Cut::Run(b) => (true, String::from_utf8_lossy(b).into_owned()),
            })
            .collect()
    }

    const DOC: &str = "<valgrindoutput>\n<pid>1</pid>\n<error>\n  <kind>A</kind>\n</error>\n\n<suppression>\n  <x/>\n</suppression>\n<error>\n  <kind>B</kind>\n</error>\n<errorcounts>\n</errorcounts>\n</valgrindoutput>\n";

    #[test]
    fn runs_of_top_level_errors_are_cut_out_at_any_block_size() {
        for block in [1, 2, 3, 7, 16, 1000] {
            let v = kinds(&cut(DOC, block, 1 << 20));
            let joined: String = v.iter().map(|k| k.1.as_str()).collect();
            assert_eq!(joined, DOC, "block {block}");
            let runs: Vec<_> = v.iter().filter(|k| k.0).collect();
            assert_eq!(runs.len(), 1, "block {block}: {v:?}");
            // The blanks before a run go with it: the rest piece before
            // ends with the markup the parser reads last.
            assert!(runs[0].1.starts_with("\n<error>") && runs[0].1.ends_with("</error>\n"));
            assert!(
                v.iter()
                    .all(|k| k.0 || k.1.ends_with('>') || k.1.trim().is_empty()),
                "block {block}: {v:?}"
            );
        }
    }

    #[test]
    fn a_small_chunk_cuts_between_errors_only() {
        let v = kinds(&cut(DOC, 5, 1));
        let runs: Vec<_> = v.iter().filter(|k| k.0).map(|k| k.1.clone()).collect();
        assert_eq!(runs.len(), 2, "{v:?}");
        assert!(runs[0].ends_with("</suppression>\n"));
        assert_eq!(runs[1], "<error>\n  <kind>B</kind>\n</error>\n");
    }

    #[test]
    fn an_unclosed_error_stays_with_the_main_parser() {
        let doc = "<valgrindoutput>\n<error>\n  <kind>A</kind>\n";
        let v = kinds(&cut(doc, 4, 1 << 20));
        assert!(v.iter().all(|k| !k.0), "{v:?}");
        assert_eq!(v.iter().map(|k| k.1.as_str()).collect::<String>(), doc);
    }
}
