//! The byte stream under the XML reader, counting lines as it goes.
//!
//! quick-xml consumes exactly the bytes of the event it returns, so the count
//! of newlines consumed so far is the line the reader is on: warnings and
//! records get line numbers without a second pass. It also bounds memory: a
//! single token (text or tag) longer than [`MAX_TOKEN`] would make quick-xml
//! buffer it whole, so it becomes a read error instead.

use std::io::{self, BufRead, BufReader, Read};

/// Longest run of bytes without `<` or `>` accepted; valgrind's longest
/// tokens are function names and suppression texts, far below this.
pub const MAX_TOKEN: u64 = 16 << 20;

pub struct Counted<R> {
    inner: BufReader<R>,
    newlines: u64,
    bytes: u64,
    /// Bytes since the last `<` or `>`.
    run: u64,
    ends_with_newline: bool,
}

impl<R: Read> Counted<R> {
    pub fn new(inner: R) -> Self {
        Counted {
            inner: BufReader::with_capacity(1 << 16, inner),
            newlines: 0,
            bytes: 0,
            run: 0,
            ends_with_newline: true,
        }
    }

    /// Counts bytes the stream does not carry (a chunk parsed elsewhere and
    /// merged in its place, whole lines) as consumed here. `passed`: bytes
    /// after them were consumed already (quick-xml takes the `<` that ends
    /// a text with the text), so the last byte consumed is still one of
    /// those.
    pub fn skip(&mut self, bytes: u64, newlines: u64, passed: bool) {
        self.bytes += bytes;
        self.newlines += newlines;
        if !passed {
            self.run = 0;
            self.ends_with_newline = true;
        }
    }

    pub fn inner_mut(&mut self) -> &mut R {
        self.inner.get_mut()
    }

    /// The 1-based line of the next byte to be read.
    pub fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// Bytes consumed so far (decompressed).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Lines seen so far, counting a last line without its newline.
    pub fn lines_seen(&self) -> u64 {
        self.newlines + u64::from(!self.ends_with_newline)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.run > MAX_TOKEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("more than {} MiB without any XML markup", MAX_TOKEN >> 20),
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let done = &self.inner.buffer()[..amt.min(self.inner.buffer().len())];
        if !done.is_empty() {
            // Most events are a few bytes: a plain loop beats setting up
            // a vectorised count for each.
            self.newlines += if done.len() < 64 {
                done.iter().filter(|&&b| b == b'\n').count() as u64
            } else {
                memchr::memchr_iter(b'\n', done).count() as u64
            };
            self.ends_with_newline = done.last() == Some(&b'\n');
            let last_markup = if done.len() < 64 {
                done.iter().rposition(|&b| b == b'<' || b == b'>')
            } else {
                memchr::memrchr2(b'<', b'>', done)
            };
            self.run = match last_markup {
                Some(i) => (done.len() - i - 1) as u64,
                None => self.run + done.len() as u64,
            };
            self.bytes += done.len() as u64;
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_bytes_as_consumed() {
        let mut c = Counted::new(&b"<a>\n<b>x</b>\n</a>"[..]);
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert_eq!((c.line(), c.lines_seen(), c.bytes_read()), (3, 3, 17));
        let mut c = Counted::new(&b"a\n"[..]);
        c.read_to_string(&mut s).unwrap();
        assert_eq!(c.lines_seen(), 1);
    }

    #[test]
    fn a_token_without_markup_is_cut_off() {
        let data = vec![b'x'; (MAX_TOKEN + (2 << 20)) as usize];
        let mut c = Counted::new(&data[..]);
        let mut sink = Vec::new();
        let e = c.read_to_end(&mut sink).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(sink.len() as u64 <= MAX_TOKEN + (1 << 16) + 1);
    }
}
