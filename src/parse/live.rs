//! Logs still being written: a pipe from a running valgrind
//! (`valgrind … 2>&1 | leakscope`) or a file valgrind is writing
//! (`--follow`). Both are shown as far as their last complete block.
//!
//! A pipe is read ahead on a thread of its own ([`Live`]), so that a pause of
//! the writer can be told from a slow read: after [`PAUSE`] without new
//! bytes, `read` fails with [`io::ErrorKind::WouldBlock`] and the parser
//! shows what came so far (`text::read_chunked` hands the complete blocks to
//! the explorer); the next `read` goes on waiting. Nothing else ever sees
//! `WouldBlock`: a file or a test's bytes never pause.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer must be silent before what came is shown. Valgrind
/// writes a record or an error at once, so a shorter silence is the middle
/// of a burst.
pub const PAUSE: Duration = Duration::from_millis(150);

/// Bytes the pump reads at a time, and how many such reads may wait: the
/// read-ahead holds at most 1 MiB.
const PUMP_READ: usize = 64 << 10;
const PUMP_DEPTH: usize = 16;

/// A stream read ahead by a pump thread; see the module documentation.
pub struct Live {
    rx: Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
    pump: Option<JoinHandle<()>>,
}

impl Live {
    pub fn new(mut inner: Box<dyn Read + Send>) -> Live {
        let (tx, rx) = mpsc::sync_channel(PUMP_DEPTH);
        let pump = std::thread::Builder::new()
            .name("leakscope-pump".into())
            .spawn(move || loop {
                let mut b = vec![0; PUMP_READ];
                let msg = match inner.read(&mut b) {
                    Ok(n) => {
                        b.truncate(n);
                        Ok(b)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let last = !matches!(&msg, Ok(b) if !b.is_empty());
                if tx.send(msg).is_err() || last {
                    return;
                }
            })
            .ok();
        Live {
            rx,
            buf: Vec::new(),
            pos: 0,
            done: false,
            pump,
        }
    }

    /// The input ended: the pump has sent its last message and is exiting,
    /// so joining it is quick (and no thread outlives the parse).
    fn finish(&mut self) {
        self.done = true;
        if let Some(p) = self.pump.take() {
            let _ = p.join();
        }
    }
}

impl Read for Live {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv_timeout(PAUSE) {
                Ok(Ok(b)) if b.is_empty() => self.finish(),
                Ok(Ok(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.finish();
                    return Err(e);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "the writer paused",
                    ))
                }
                Err(RecvTimeoutError::Disconnected) => self.finish(),
            }
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A live stream for a reader that cannot resume after a pause (quick-xml):
/// pauses are waited through, so it sees an ordinary blocking stream.
pub struct Patient<R>(pub R);

impl<R: Read> Read for Patient<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(out) {
                Err(e) if is_pause(&e) => continue,
                r => return r,
            }
        }
    }
}

/// Whether a read error is a live stream's pause (try again), not an end.
pub fn is_pause(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// How much of `tail` (the end of a log still being written) holds complete
/// blocks: a record counts once the blank line after its stack is written,
/// so it is never shown with a cut frame name. Past the last blank line,
/// complete lines are kept when none of them belongs to a record (an ERROR
/// SUMMARY at the end).
pub fn complete_len(tail: &[u8]) -> usize {
    let Some(last_nl) = memchr::memrchr(b'\n', tail) else {
        return 0;
    };
    let lines_end = last_nl + 1;
    let is_blank = |line: &[u8]| {
        let t = line.trim_ascii();
        t.is_empty()
            || crate::parse::text::split_prefix(t).is_some_and(|(_, c)| c.trim_ascii().is_empty())
    };
    let in_block = |line: &[u8]| {
        let s = String::from_utf8_lossy(line);
        s.contains(" in loss record ")
            || s.contains(" at 0x")
            || s.contains(" by 0x")
            || s.trim_start().starts_with('#')
            || s.contains("leak of ")
    };
    let mut pos = lines_end;
    let mut any_block_line = false;
    for line in tail[..lines_end].rsplit(|&b| b == b'\n').skip(1) {
        if is_blank(line) {
            return if any_block_line { pos } else { lines_end };
        }
        any_block_line |= in_block(line);
        pos -= line.len() + 1;
    }
    if any_block_line {
        pos
    } else {
        lines_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_log_is_read_to_its_last_complete_block() {
        let done = "==7== 8 bytes in 1 blocks are definitely lost in loss record 1 of 2\n==7==    at 0x1: malloc (a.c:1)\n==7== \n";
        let half = format!("{done}==7== 16 bytes in 1 blocks are definitely lost in loss record 2 of 2\n==7==    at 0x1: mal");
        assert_eq!(complete_len(half.as_bytes()), done.len());
        let whole = format!("{done}==7== ERROR SUMMARY: 0 errors from 0 contexts\n");
        assert_eq!(complete_len(whole.as_bytes()), whole.len());
        let cut_line = format!("{done}==7== ERROR SUMM");
        assert_eq!(complete_len(cut_line.as_bytes()), done.len());
        assert_eq!(complete_len(b"==7== Memch"), 0);
    }

    /// A writer that sends bytes when the test says, like a pipe.
    struct Pipe(mpsc::Receiver<Vec<u8>>);

    impl Read for Pipe {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Ok(b) = self.0.recv() else { return Ok(0) };
            out[..b.len()].copy_from_slice(&b);
            Ok(b.len())
        }
    }

    /// The bytes so far, then a pause, then the rest and the end, and the
    /// pump thread is gone.
    #[test]
    fn a_pause_is_reported_and_reading_goes_on() {
        let (w, r) = mpsc::channel();
        let mut live = Live::new(Box::new(Pipe(r)));
        w.send(b"first\n".to_vec()).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(live.read(&mut buf).unwrap(), 6);
        assert!(is_pause(&live.read(&mut buf).unwrap_err()));
        w.send(b"second\n".to_vec()).unwrap();
        drop(w);
        let mut rest = Vec::new();
        loop {
            match live.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => rest.extend_from_slice(&buf[..n]),
                Err(e) if is_pause(&e) => continue,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(rest, b"second\n");
        assert!(live.pump.is_none(), "the pump was joined at the end");
    }
}
