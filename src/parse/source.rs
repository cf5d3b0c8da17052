//! Opening an input: a path or `-` (stdin), transparently gunzipped or
//! un-zstd'ed by magic bytes, read as lines in large blocks.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Why an input could not be opened at all. (Problems inside an input are
/// warnings, not errors.)
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: no such file")]
    NotFound { path: String },
    #[error("{path}: is a directory, not a log file")]
    Directory { path: String },
    /// The io::Error is in the message and not a `source`, so `{:#}` (which
    /// appends sources) does not print it twice.
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// An opened input, decompressing as needed.
pub struct Source {
    pub name: String,
    pub compression: Compression,
    /// Size on disk, for progress (of the compressed file when compressed).
    pub size: Option<u64>,
    /// Bytes of the file read so far (compressed), shared with progress displays.
    pub progress: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub reader: Box<dyn Read + Send>,
    /// Shown as it arrives (a pipe in the explorer): read through
    /// [`crate::parse::live::Live`]. Off for files and headless commands.
    pub live: bool,
}

/// Reads through another reader, counting bytes into a shared counter.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

pub fn open(path: &str) -> Result<Source, OpenError> {
    if path == "-" {
        return Ok(wrap("-".into(), None, Box::new(io::stdin())));
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => OpenError::NotFound { path: path.into() },
        _ => OpenError::Io {
            path: path.into(),
            error: e,
        },
    })?;
    if meta.is_dir() {
        return Err(OpenError::Directory { path: path.into() });
    }
    let file = File::open(p).map_err(|e| OpenError::Io {
        path: path.into(),
        error: e,
    })?;
    let size = meta.is_file().then_some(meta.len());
    Ok(wrap(path.into(), size, Box::new(file)))
}

/// Wraps any reader (a file, stdin, a test's bytes) with decompression.
pub fn from_reader(name: String, reader: Box<dyn Read + Send>) -> Source {
    wrap(name, None, reader)
}

fn wrap(name: String, size: Option<u64>, raw: Box<dyn Read + Send>) -> Source {
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Counting {
        inner: raw,
        count: progress.clone(),
    };
    let mut peeked = Peek::new(Box::new(counted));
    let head = peeked.peek(4);
    let compression = match head {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd] => Compression::Zstd,
        _ => Compression::None,
    };
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(peeked),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
            io::BufReader::with_capacity(1 << 16, peeked),
        )),
        Compression::Zstd => Box::new(ZstdLazy::new(peeked)),
    };
    Source {
        name,
        compression,
        size,
        progress,
        reader,
        live: false,
    }
}

/// A reader that can look at its first bytes without consuming them.
pub struct Peek {
    head: Vec<u8>,
    pos: usize,
    inner: Box<dyn Read + Send>,
    /// The input ended (or failed) while peeking.
    ended: bool,
}

impl Peek {
    pub fn new(inner: Box<dyn Read + Send>) -> Self {
        Peek {
            head: Vec::new(),
            pos: 0,
            inner,
            ended: false,
        }
    }

    /// Up to `n` first bytes (fewer at end of input or on a read error, which
    /// the next `read` reports).
    pub fn peek(&mut self, n: usize) -> &[u8] {
        while self.head.len() < n {
            let mut buf = vec![0u8; n - self.head.len()];
            match self.inner.read(&mut buf) {
                Err(e) if crate::parse::live::is_pause(&e) => break,
                Ok(0) | Err(_) => {
                    self.ended = true;
                    break;
                }
                Ok(k) => self.head.extend_from_slice(&buf[..k]),
            }
        }
        &self.head[..self.head.len().min(n)]
    }

    /// [`Peek::peek`] on a live stream, which pauses: waits through pauses
    /// until `enough` says the bytes so far decide (or `n` bytes, or the end).
    pub fn peek_until(&mut self, n: usize, enough: impl Fn(&[u8]) -> bool) -> &[u8] {
        while self.head.len() < n && !self.ended && !enough(&self.head) {
            self.peek(n);
        }
        &self.head[..self.head.len().min(n)]
    }
}

impl Read for Peek {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = (self.head.len() - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// A zstd stream of one or more frames (`cat a.zst b.zst`, and compressors
/// that flush frame by frame, write several): ruzstd's decoder reads one
/// frame, so a new one is started on whatever follows a finished frame.
/// Each decoder is built on first read, so a bad frame header surfaces as a
/// read error with the usual handling (a warning naming the line).
struct ZstdLazy {
    src: Option<io::BufReader<Peek>>,
    dec: Option<
        ruzstd::decoding::StreamingDecoder<io::BufReader<Peek>, ruzstd::decoding::FrameDecoder>,
    >,
}

impl ZstdLazy {
    fn new(src: Peek) -> Self {
        ZstdLazy {
            src: Some(io::BufReader::new(src)),
            dec: None,
        }
    }
}

fn zstd_error(e: impl std::fmt::Display, kind: io::ErrorKind) -> io::Error {
    io::Error::new(kind, format!("zstd: {e}"))
}

impl Read for ZstdLazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::BufRead;
        loop {
            if self.dec.is_none() {
                let Some(mut src) = self.src.take() else {
                    return Ok(0);
                };
                // The end of the input after a whole frame is its end.
                if src.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                let dec = ruzstd::decoding::StreamingDecoder::new(src)
                    .map_err(|e| zstd_error(e, io::ErrorKind::InvalidData))?;
                self.dec = Some(dec);
            }
            let dec = self.dec.as_mut().expect("decoder");
            match dec.read(buf) {
                Ok(0) if !buf.is_empty() => {
                    // This frame is finished: the next one, if any.
                    let dec = self.dec.take().expect("decoder");
                    self.src = Some(dec.into_inner());
                }
                Ok(n) => return Ok(n),
                Err(e) => return Err(zstd_error(&e, e.kind())),
            }
        }
    }
}

/// Longest line kept whole; the rest of a longer line is skipped (and reported).
pub const MAX_LINE: usize = 1 << 20;

/// The line buffer's first size: it grows for a longer line (up to
/// `MAX_LINE`), so reading a log of ordinary lines holds 256 KiB, not the
/// 1 MiB only a giant line needs.
const FIRST_BUF: usize = 256 << 10;

/// Splits a reader into lines with memchr over a large buffer: no allocation
/// per line, and lines of any length cost bounded memory.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Skipping the tail of an over-long line.
    skipping: bool,
    pub line_no: u64,
    /// Decompressed bytes consumed.
    pub bytes: u64,
    /// The read error that ended the input early, if any.
    pub error: Option<io::Error>,
    pub long_lines: Vec<u64>,
    pub invalid_utf8: u64,
    /// Set when `next_line` returned `None` because a live stream paused
    /// (not at its end): the caller shows what it has and calls again.
    pub paused: bool,
    /// Lines read at the last pause, to tell a repeat from news.
    lines_at_pause: u64,
}

pub struct Line<'a> {
    pub no: u64,
    pub text: &'a [u8],
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; FIRST_BUF],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
            line_no: 0,
            bytes: 0,
            error: None,
            long_lines: Vec::new(),
            invalid_utf8: 0,
            paused: false,
            lines_at_pause: 0,
        }
    }

    /// After `next_line` gave `None`: `Some(idle)` when a live stream
    /// paused (`idle`: no line came since the last pause), `None` at the end.
    pub fn pause(&mut self) -> Option<bool> {
        if !self.paused {
            return None;
        }
        let idle = self.line_no == self.lines_at_pause;
        self.lines_at_pause = self.line_no;
        Some(idle)
    }

    pub fn next_line(&mut self) -> Option<Line<'_>> {
        self.paused = false;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let s = self.start;
                self.start += i + 1;
                self.bytes += (i + 1) as u64;
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                self.line_no += 1;
                return Some(Line {
                    no: self.line_no,
                    text: &self.buf[s..s + i],
                });
            }
            if self.eof {
                if self.start < self.end && !self.skipping {
                    let s = self.start;
                    self.bytes += (self.end - s) as u64;
                    self.start = self.end;
                    self.line_no += 1;
                    return Some(Line {
                        no: self.line_no,
                        text: &self.buf[s..self.end],
                    });
                }
                return None;
            }
            let pending = self.end - self.start;
            if pending >= MAX_LINE {
                // An enormous line: keep its first MAX_LINE bytes as the line
                // and drop the rest up to the next newline.
                let s = self.start;
                self.bytes += pending as u64;
                self.start = self.end;
                if self.skipping {
                    continue;
                }
                self.skipping = true;
                self.line_no += 1;
                self.long_lines.push(self.line_no);
                return Some(Line {
                    no: self.line_no,
                    text: &self.buf[s..s + MAX_LINE],
                });
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                // A line longer than the buffer: grow it, up to a whole
                // MAX_LINE and a read.
                let len = (self.buf.len() * 2).min(MAX_LINE + (1 << 16));
                self.buf.resize(len, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if crate::parse::live::is_pause(&e) => {
                    self.paused = true;
                    return None;
                }
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8]) -> Vec<Vec<u8>> {
        let mut r = LineReader::new(data);
        let mut out = Vec::new();
        while let Some(l) = r.next_line() {
            out.push(l.text.to_vec());
        }
        out
    }

    #[test]
    fn splits_lines_with_or_without_final_newline() {
        assert_eq!(lines(b"a\nb\n"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(
            lines(b"a\n\nb"),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn enormous_lines_are_cut_not_buffered_whole() {
        let mut data = vec![b'x'; MAX_LINE * 3 + 5];
        data.extend_from_slice(b"\nnext\n");
        let mut r = LineReader::new(&data[..]);
        let first = r.next_line().unwrap();
        assert_eq!(first.text.len(), MAX_LINE);
        let second = r.next_line().unwrap();
        assert_eq!((second.no, second.text), (2, &b"next"[..]));
        assert!(r.next_line().is_none());
        assert_eq!(r.long_lines, vec![1]);
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"==1== hello\n").unwrap();
        let gz = enc.finish().unwrap();
        let mut src = from_reader("t".into(), Box::new(std::io::Cursor::new(gz)));
        assert_eq!(src.compression, Compression::Gzip);
        let mut s = String::new();
        src.reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "==1== hello\n");
    }
}
