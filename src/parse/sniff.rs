//! Deciding early that an input is not a log. Endless input that is not
//! valgrind or sanitizer output (`/dev/zero`, `gzip -c </dev/zero`, `yes`)
//! would otherwise be read until killed: every input passes through
//! [`Sniff`], which stops it with an error once [`LIMIT`] bytes have gone by
//! without one line valgrind or a sanitizer writes. Binary data is refused
//! from its first 64 KiB (see `parse::read_source`).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How much input may pass before a valgrind or sanitizer line must have
/// been seen. Valgrind writes its preamble first; a sanitizer report comes at
/// exit, after the program's own output, so this is generous.
pub const LIMIT: u64 = 8 << 20;

/// Whether `buf` holds something only valgrind or a sanitizer writes: a
/// `==PID==`, `--PID--` or `**PID**` prefix, the XML root, a sanitizer
/// banner or a `Direct leak of` record.
pub fn has_marker(buf: &[u8]) -> bool {
    for pair in [b"==", b"--", b"**"] {
        if memchr::memmem::find_iter(buf, pair)
            .any(|i| buf.get(i + 2).is_some_and(u8::is_ascii_digit))
        {
            return true;
        }
    }
    ["<valgrindoutput", "Sanitizer", "leak of "]
        .iter()
        .any(|m| memchr::memmem::find(buf, m.as_bytes()).is_some())
}

/// A reader that fails with [`io::ErrorKind::InvalidData`] after [`LIMIT`]
/// bytes without a marker, and says so through `refused`.
pub struct Sniff<R> {
    inner: R,
    seen: u64,
    found: bool,
    /// The end of the previous read, so a marker cut by a read boundary counts.
    carry: Vec<u8>,
    refused: Arc<AtomicBool>,
}

impl<R: Read> Sniff<R> {
    pub fn new(inner: R, refused: Arc<AtomicBool>) -> Self {
        Sniff {
            inner,
            seen: 0,
            found: false,
            carry: Vec::new(),
            refused,
        }
    }

    fn look(&mut self, data: &[u8]) {
        let head = &data[..data.len().min(32)];
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(head);
        self.found = has_marker(&joined) || has_marker(data);
        let tail = &data[data.len().saturating_sub(32)..];
        self.carry = tail.to_vec();
    }
}

impl<R: Read> Read for Sniff<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.found {
            return self.inner.read(buf);
        }
        if self.seen >= LIMIT {
            self.refused.store(true, Ordering::Relaxed);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not valgrind or sanitizer output",
            ));
        }
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        self.look(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert!(has_marker(b"==123== Memcheck"));
        assert!(has_marker(b"--9-- warning"));
        assert!(has_marker(b"x\n==00:00:00:01.234 99== hi"));
        assert!(has_marker(b"<?xml?>\n<valgrindoutput>"));
        assert!(has_marker(b"==1==ERROR: LeakSanitizer: detected"));
        assert!(!has_marker(&[0u8; 4096]));
        assert!(!has_marker(b"y\ny\ny\n==\n"));
    }

    #[test]
    fn endless_non_log_input_stops_and_a_log_reads_on() {
        let refused = Arc::new(AtomicBool::new(false));
        let mut zeros = Sniff::new(io::repeat(0).take(u64::MAX), refused.clone());
        let err = io::copy(&mut zeros, &mut io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(refused.load(Ordering::Relaxed));
        // A marker cut in two by a read boundary still counts.
        let refused = Arc::new(AtomicBool::new(false));
        let mut data = vec![b'y'; 8191];
        data.extend_from_slice(b"==7== Memcheck\n");
        data.extend(vec![b'y'; (LIMIT * 2) as usize]);
        let mut log = Sniff::new(
            io::BufReader::with_capacity(8192, &data[..]),
            refused.clone(),
        );
        let n = io::copy(&mut log, &mut io::sink()).unwrap();
        assert_eq!(n, data.len() as u64);
        assert!(!refused.load(Ordering::Relaxed));
    }
}
