//! Line grammar of valgrind's text output: each function recognises one kind of
//! line and returns its parts, or `None`. No state here; the state machine in
//! `mod.rs` decides what a line means in context.

use crate::model::{At, Figure, Frame, LeakKind};
use crate::parse::cursor::{Cursor, Num};
use std::sync::LazyLock;

/// Which marker a prefix used: `==PID==` for memcheck's own output, `--PID--` for
/// verbose (-v / -d) lines, `**PID**` for client messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Normal,
    Verbose,
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    pub pid: u32,
    pub marker: Marker,
    /// `==1151==11511== `: a shared --log-file that a child truncated.
    pub mangled: bool,
    /// Milliseconds since valgrind started, from a `--time-stamp=yes` stamp.
    pub stamp_ms: Option<u64>,
}

/// The text after binary data (NUL and control bytes other than tab and
/// escape) on a line, when there is any: a record whose header follows 4 KB
/// of NULs on the same line (a log written over a sparse or reused file) is
/// read, not dropped. `None` when the line has no such bytes or nothing
/// follows them.
pub fn after_binary_junk(line: &[u8]) -> Option<&[u8]> {
    let junk = |b: u8| b == 0x7f || (b < 0x20 && !matches!(b, b'\t' | 0x1b | b'\r' | b'\n'));
    let p = line.iter().rposition(|&b| junk(b))?;
    let rest = &line[p + 1..];
    (!rest.trim_ascii().is_empty()).then_some(rest)
}

/// Splits `==PID== content` (also with a `--time-stamp=yes` stamp,
/// `==00:00:00:01.234 12345== `) into its prefix and content.
pub fn split_prefix(line: &[u8]) -> Option<(Prefix, &[u8])> {
    let c = *line.first()?;
    let marker = match c {
        b'=' => Marker::Normal,
        b'-' => Marker::Verbose,
        b'*' => Marker::Client,
        _ => return None,
    };
    if line.get(1) != Some(&c) {
        return None;
    }
    let mut i = 2;
    let mut pid = read_pid(line, &mut i, c)?;
    let mut stamp_ms = None;
    if matches!(pid, PidRead::Stamp) {
        stamp_ms = stamp_millis(&line[2..]);
    }
    if let Some(p) = pid.take_stamped(line, &mut i, c) {
        pid = p;
    }
    let mut mangled = false;
    // `==1151==11511== `: after one full prefix, more digits closed by `==`.
    loop {
        let mut j = i;
        match read_pid(line, &mut j, c) {
            Some(PidRead::Pid(p)) => {
                pid = PidRead::Pid(p);
                i = j;
                mangled = true;
            }
            _ => break,
        }
    }
    let PidRead::Pid(pid) = pid else { return None };
    let mut content = &line[i..];
    if content.first() == Some(&b' ') {
        content = &content[1..];
    }
    Some((
        Prefix {
            pid,
            marker,
            mangled,
            stamp_ms,
        },
        content,
    ))
}

/// Reads valgrind's `DD:HH:MM:SS.mmm` time stamp at the start of `s`.
fn stamp_millis(s: &[u8]) -> Option<u64> {
    let end = memchr::memchr(b' ', s)?;
    let text = std::str::from_utf8(&s[..end]).ok()?;
    let (whole, millis) = text.split_once('.')?;
    let mut parts = whole.split(':').map(|p| p.parse::<u64>().ok());
    let (d, h, m, sec) = (
        parts.next()??,
        parts.next()??,
        parts.next()??,
        parts.next()??,
    );
    let ms: u64 = millis.parse().ok()?;
    let secs = ((d * 24 + h) * 60 + m).checked_mul(60)?.checked_add(sec)?;
    secs.checked_mul(1000)?.checked_add(ms)
}

/// Remembers the last prefix seen. Nearly every line of a log carries the same
/// `==PID== `, so comparing its bytes is cheaper than parsing it again.
#[derive(Debug, Default)]
pub struct PrefixCache {
    bytes: [u8; 24],
    len: usize,
    prefix: Option<Prefix>,
}

impl PrefixCache {
    #[inline]
    pub fn split<'a>(&mut self, line: &'a [u8]) -> Option<(Prefix, &'a [u8])> {
        if let Some(p) = self.prefix {
            if starts_with(line, &self.bytes[..self.len]) {
                let mut content = &line[self.len..];
                // `==1151==11511== `: digits right after the prefix mean a
                // mangled prefix; let the full parser read it.
                if !content.first().is_some_and(|c| c.is_ascii_digit()) {
                    if content.first() == Some(&b' ') {
                        content = &content[1..];
                    }
                    return Some((p, content));
                }
            }
        }
        let (p, content) = split_prefix(line)?;
        let mut head = line.len() - content.len();
        if line.get(head.wrapping_sub(1)) == Some(&b' ') {
            head -= 1;
        }
        if head <= self.bytes.len() && !p.mangled {
            self.bytes[..head].copy_from_slice(&line[..head]);
            self.len = head;
            self.prefix = Some(p);
        } else {
            self.prefix = None;
        }
        Some((p, content))
    }
}

/// `line.starts_with(p)` for a prefix of 8 to 16 bytes (`==12345== `) as
/// two word compares, not a call to `memcmp`: it runs on every line, twice
/// (the chunk cutter and the parser).
#[inline]
fn starts_with(line: &[u8], p: &[u8]) -> bool {
    let n = p.len();
    if line.len() < n {
        return false;
    }
    if !(8..=16).contains(&n) {
        return line[..n] == *p;
    }
    let word = |b: &[u8], at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    word(line, 0) == word(p, 0) && word(line, n - 8) == word(p, n - 8)
}

enum PidRead {
    Pid(u32),
    /// Digits followed by `:`: the start of a time stamp.
    Stamp,
}

impl PidRead {
    /// Skips a `00:00:00:01.234 ` time stamp and reads the PID after it.
    fn take_stamped(&self, line: &[u8], i: &mut usize, c: u8) -> Option<PidRead> {
        if !matches!(self, PidRead::Stamp) {
            return None;
        }
        let sp = memchr::memchr(b' ', &line[*i..])?;
        *i += sp + 1;
        match read_pid(line, i, c)? {
            PidRead::Pid(p) => Some(PidRead::Pid(p)),
            PidRead::Stamp => None,
        }
    }
}

/// Reads `DIGITS` then the closing marker pair (`==`), advancing `i`.
fn read_pid(line: &[u8], i: &mut usize, c: u8) -> Option<PidRead> {
    let start = *i;
    let mut j = start;
    let mut pid: u32 = 0;
    while j < line.len() && line[j].is_ascii_digit() {
        pid = pid.checked_mul(10)?.checked_add((line[j] - b'0') as u32)?;
        j += 1;
    }
    if j == start {
        return None;
    }
    if line.get(j) == Some(&b':') {
        return Some(PidRead::Stamp);
    }
    if line.get(j) == Some(&c) && line.get(j + 1) == Some(&c) {
        *i = j + 2;
        Some(PidRead::Pid(pid))
    } else {
        None
    }
}

/// The text of a frame line after `at ` / `by `: `0x4841F2F: malloc (in /x.so)`.
/// Returns that text (the interning key) when the line is a frame.
pub fn frame_text(trimmed: &[u8]) -> Option<&[u8]> {
    let rest = trimmed
        .strip_prefix(b"at ")
        .or_else(|| trimmed.strip_prefix(b"by "))?;
    rest.starts_with(b"0x").then_some(rest)
}

/// Builds a frame from `0xADDR: function (file:line)` or `… (in object)`.
pub fn parse_frame(text: &str) -> At<Frame> {
    let (addr_s, rest) = match text.find(": ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches(':'), ""),
    };
    let addr = addr_s
        .strip_prefix("0x")
        .and_then(|h| u64::from_str_radix(h, 16).ok());
    let mut frame = Frame::default();
    let rest = rest.trim_end();
    let (func, loc) = split_location(rest);
    if let Some(loc) = loc {
        if let Some(obj) = loc.strip_prefix("in ") {
            frame.object = Some(obj.into());
        } else if let Some((file, line)) = split_file_line(loc) {
            frame.file = Some(file.into());
            frame.line = Some(line);
        }
    }
    if !func.is_empty() && func != "???" {
        frame.function = Some(func.into());
    }
    At { addr, frame }
}

/// Splits `fn (loc)` at the parenthesis balancing the final `)`, when what is
/// inside looks like a location (`in obj` or `file:line`). `operator new(unsigned
/// long)` alone is a function name, not a location.
fn split_location(s: &str) -> (&str, Option<&str>) {
    if !s.ends_with(')') {
        return (s, None);
    }
    let b = s.as_bytes();
    let mut depth = 0i32;
    for i in (0..b.len()).rev() {
        match b[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    let inner = &s[i + 1..s.len() - 1];
                    let is_loc = inner.starts_with("in ") || split_file_line(inner).is_some();
                    if is_loc && (i == 0 || b[i - 1] == b' ') {
                        return (s[..i].trim_end(), Some(inner));
                    }
                    return (s, None);
                }
            }
            _ => {}
        }
    }
    (s, None)
}

fn split_file_line(s: &str) -> Option<(&str, u32)> {
    let (file, line) = s.rsplit_once(':')?;
    if file.is_empty() || line.is_empty() || !line.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((file, line.parse().ok()?))
}

/// `N (+d) (D (+d) direct, I (+d) indirect) bytes in B (+d) blocks are KIND in
/// loss record R of T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    pub kind: LeakKind,
    pub direct: u64,
    pub indirect: u64,
    pub blocks: u64,
    pub delta_bytes: Option<i64>,
    pub delta_blocks: Option<i64>,
    pub number: Option<u32>,
    pub of: Option<u32>,
}

/// Whether a line that [`record_header`] cannot read is still meant as one
/// (`-300 bytes in -3 blocks are definitely lost in loss record …`,
/// numbers past u64): such a line is reported, never taken for an error.
pub fn looks_like_record_header(s: &str) -> bool {
    IN_LOSS_RECORD.find(s.as_bytes()).is_some()
        || (s.contains(" bytes in ")
            && s.contains(" blocks are ")
            && LeakKind::ALL.iter().any(|k| s.contains(k.text())))
}

/// The phrase every loss record header has, looked for in every line that
/// is not a frame: with a searcher built once, not per line as `str::find`
/// builds it (which cost ~2,000 instructions a record).
static IN_LOSS_RECORD: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(IN_LOSS_RECORD_TEXT));
const IN_LOSS_RECORD_TEXT: &str = " in loss record ";

pub fn record_header(s: &str) -> Option<RecordHeader> {
    // The phrase's first place: nothing before the kind can hold it.
    let at = IN_LOSS_RECORD.find(s.as_bytes())?;
    let mut c = Cursor::new(&s[..at]);
    let total = c.num()?;
    let delta_bytes = c.delta();
    let (mut direct, mut indirect) = (total.value, 0);
    if c.eat(" (") {
        let d = c.num()?;
        c.delta();
        if !c.eat(" direct, ") {
            return None;
        }
        let ind = c.num()?;
        c.delta();
        if !c.eat(" indirect)") {
            return None;
        }
        // The split must add up to the total, or the header is corrupt.
        let masked = total.masked || d.masked || ind.masked;
        if !masked && d.value.checked_add(ind.value) != Some(total.value) {
            return None;
        }
        direct = d.value;
        indirect = ind.value;
    }
    if !c.eat(" bytes in ") {
        return None;
    }
    let blocks = c.num()?;
    let delta_blocks = c.delta();
    if !c.eat(" blocks are ") {
        return None;
    }
    let kind = LeakKind::from_text(c.rest)?;
    let mut c = Cursor::new(&s[at + IN_LOSS_RECORD_TEXT.len()..]);
    let number = c.num()?;
    if !c.eat(" of ") {
        return None;
    }
    let of = c.num()?;
    // Record numbers past u32 are not valgrind's: the header is unreadable.
    if !number.masked && u32::try_from(number.value).is_err()
        || !of.masked && u32::try_from(of.value).is_err()
    {
        return None;
    }
    let unmasked = |n: Num| (!n.masked).then_some(n.value as u32);
    Some(RecordHeader {
        kind,
        direct,
        indirect,
        blocks: blocks.value,
        delta_bytes,
        delta_blocks,
        number: unmasked(number),
        of: unmasked(of),
    })
}

/// `311,464 (+16) bytes in 423 (+1) blocks` (the part after `definitely lost: `).
pub fn figure(s: &str) -> Option<Figure> {
    let mut c = Cursor::new(s.trim());
    let bytes = c.num()?;
    let delta_bytes = c.delta();
    if !c.eat(" bytes in ") {
        return None;
    }
    let blocks = c.num()?;
    let delta_blocks = c.delta();
    if !c.eat(" blocks") {
        return None;
    }
    Some(Figure {
        bytes: bytes.value,
        blocks: blocks.value,
        delta_bytes,
        delta_blocks,
    })
}

/// `108 errors from 104 contexts (suppressed: 0 from 0)`.
pub fn error_summary(s: &str) -> Option<crate::model::ErrorSummary> {
    let mut c = Cursor::new(s.trim());
    let errors = c.num()?.value;
    if !c.eat(" errors from ") {
        return None;
    }
    let contexts = c.num()?.value;
    if !c.eat(" contexts (suppressed: ") {
        return None;
    }
    let suppressed = c.num()?.value;
    if !c.eat(" from ") {
        return None;
    }
    let suppressed_contexts = c.num()?.value;
    Some(crate::model::ErrorSummary {
        errors,
        contexts,
        suppressed,
        suppressed_contexts,
    })
}

/// Messages of valgrind's embedded gdbserver (`m_gdbserver`), written into
/// the log when talking to vgdb goes wrong (a vgdb that timed out or was
/// stopped while valgrind answered it). They are about the run, never an
/// error of the program. Returns what the message means.
pub fn gdbserver_message(s: &str) -> Option<&'static str> {
    const KNOWN: [(&str, &str); 5] = [
        ("putpkt(", "vgdb went away before valgrind had answered it"),
        ("Reset valgrind output to log", "vgdb went away while valgrind streamed a command's output to it; the rest went to this log"),
        ("readchar: ", "vgdb closed the connection"),
        ("remote communication not initialized", "vgdb asked before valgrind's gdbserver was ready"),
        ("error calling PR_SET_PTRACER", "vgdb may need ptrace to reach a blocked process"),
    ];
    KNOWN
        .iter()
        .find(|(start, _)| s.starts_with(start))
        .map(|(_, meaning)| *meaning)
}

/// `1 errors in context 3 of 7:` heads each error of the -v/-s listing.
pub fn context_count(s: &str) -> Option<u64> {
    let mut c = Cursor::new(s);
    let n = c.num()?.value;
    (c.eat(" errors in context ") && s.ends_with(':')).then_some(n)
}

/// `used_suppression:   1234 name file.supp:567 suppressed: 345 bytes in 3 blocks`.
pub fn used_suppression(s: &str) -> Option<crate::model::UsedSuppression> {
    let rest = s.strip_prefix("used_suppression:")?.trim_start();
    let mut c = Cursor::new(rest);
    let count = c.num()?.value;
    let mut body = c.rest.trim();
    let (mut bytes, mut blocks) = (None, None);
    if let Some(i) = body.rfind(" suppressed: ") {
        if let Some(f) = figure(&body[i + " suppressed: ".len()..]) {
            bytes = Some(f.bytes);
            blocks = Some(f.blocks);
            body = body[..i].trim_end();
        }
    }
    let (name, location) = match body.rsplit_once(' ') {
        Some((n, l)) => (n.trim().to_string(), l.to_string()),
        None => (body.to_string(), String::new()),
    };
    Some(crate::model::UsedSuppression {
        count,
        name,
        location,
        bytes,
        blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pre(s: &str) -> Option<(u32, Marker, bool, String)> {
        split_prefix(s.as_bytes()).map(|(p, c)| {
            (
                p.pid,
                p.marker,
                p.mangled,
                String::from_utf8(c.to_vec()).unwrap(),
            )
        })
    }

    #[test]
    fn time_stamps_become_milliseconds() {
        let stamp = |s: &str| split_prefix(s.as_bytes()).map(|(p, _)| (p.pid, p.stamp_ms));
        assert_eq!(
            stamp("==00:00:00:01.688 14362== x"),
            Some((14362, Some(1_688)))
        );
        assert_eq!(
            stamp("==01:02:03:04.005 7== x"),
            Some((7, Some(((26 * 60 + 3) * 60 + 4) * 1000 + 5)))
        );
        assert_eq!(stamp("==14362== x"), Some((14362, None)));
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            pre("==4200== Command: x"),
            Some((4200, Marker::Normal, false, "Command: x".into()))
        );
        assert_eq!(
            pre("--4200-- used_suppression: 1 a b:1"),
            Some((
                4200,
                Marker::Verbose,
                false,
                "used_suppression: 1 a b:1".into()
            ))
        );
        assert_eq!(pre("**12** hi").unwrap().1, Marker::Client);
        assert_eq!(
            pre("==00:00:00:01.234 12345== HEAP SUMMARY:"),
            Some((12345, Marker::Normal, false, "HEAP SUMMARY:".into()))
        );
        assert_eq!(
            pre("==1151==11511== x"),
            Some((11511, Marker::Normal, true, "x".into()))
        );
        assert_eq!(
            pre("==4200=="),
            Some((4200, Marker::Normal, false, "".into()))
        );
        assert_eq!(pre("== not"), None);
        assert_eq!(pre("=-1=="), None);
        assert_eq!(pre("==12-- mixed"), None);
    }

    #[test]
    fn prefix_cache_agrees_with_the_parser() {
        let mut cache = PrefixCache::default();
        for line in [
            "==4200== a",
            "==4200==    at 0x1: f",
            "==4200==",
            "==4201== b",
            "==1151==11511== c",
            "==4201== d",
            "==00:00:00:01.234 12345== e",
            "==00:00:00:01.235 12345== f",
            "plain",
        ] {
            assert_eq!(
                cache.split(line.as_bytes()),
                split_prefix(line.as_bytes()),
                "{line}"
            );
        }
    }

    #[test]
    fn frames() {
        let f = parse_frame("0x4841F2F: operator new(unsigned long) (in /usr/lib/vg.so)");
        assert_eq!(f.addr, Some(0x4841F2F));
        assert_eq!(f.function.as_deref(), Some("operator new(unsigned long)"));
        assert_eq!(f.object.as_deref(), Some("/usr/lib/vg.so"));
        let f = parse_frame("0x4AA2A3F: _PyEval_Vector (ceval.c:6434)");
        assert_eq!(f.file.as_deref(), Some("ceval.c"));
        assert_eq!(f.line, Some(6434));
        let f = parse_frame("0x85C0F79: ??? (in /usr/lib/libffi.so.8.1.2)");
        assert!(f.is_unknown());
        let f = parse_frame("0x........: main (leak.c:10)");
        assert_eq!(f.addr, None);
        assert_eq!(f.function.as_deref(), Some("main"));
        let f = parse_frame("0x1: operator new(unsigned long)");
        assert_eq!(f.function.as_deref(), Some("operator new(unsigned long)"));
        assert_eq!(f.file, None);
        let f = parse_frame("0x1: ???");
        assert!(f.is_unknown() && f.object.is_none());
    }

    #[test]
    fn record_headers() {
        let h = record_header(
            "1,472 bytes in 1 blocks are definitely lost in loss record 1,491 of 1,952",
        )
        .unwrap();
        assert_eq!(
            (h.kind, h.direct, h.indirect, h.blocks, h.number, h.of),
            (LeakKind::DefinitelyLost, 1472, 0, 1, Some(1491), Some(1952))
        );
        let h = record_header(
            "48 (16 direct, 32 indirect) bytes in 1 blocks are definitely lost in loss record ... of ...",
        )
        .unwrap();
        assert_eq!((h.direct, h.indirect, h.number), (16, 32, None));
        let h = record_header(
            "0 (-10) bytes in 0 (-1) blocks are still reachable in loss record ... of ...",
        )
        .unwrap();
        assert_eq!((h.delta_bytes, h.delta_blocks), (Some(-10), Some(-1)));
        let h = record_header(
            "48 (+48) (16 (+16) direct, 32 (+32) indirect) bytes in 1 (+1) blocks are definitely lost in loss record 2 of 3",
        )
        .unwrap();
        assert_eq!((h.direct, h.indirect, h.delta_bytes), (16, 32, Some(48)));
        assert!(
            record_header("1 bytes in 1 blocks are mostly fine in loss record 1 of 1").is_none()
        );
        for bad in [
            "99999999999999999999999 bytes in 1 blocks are definitely lost in loss record 1 of 2",
            "-300 bytes in -3 blocks are definitely lost in loss record 1 of 2",
            "8 bytes in 1 blocks are definitely lost in loss record 18446744073709551616 of 2",
            "8 bytes in 1 blocks are definitely lost in loss record 4294967296 of 2",
            "48 (16 direct, 31 indirect) bytes in 1 blocks are definitely lost in loss record 1 of 2",
        ] {
            assert!(record_header(bad).is_none(), "{bad}");
            assert!(looks_like_record_header(bad), "{bad}");
        }
        assert!(!looks_like_record_header("Invalid read of size 8"));
        assert!(looks_like_record_header(
            "8 bytes in 1 blocks are definitely lost in loss rec"
        ));
    }

    #[test]
    fn summaries() {
        let f = figure("311,464 bytes in 423 blocks").unwrap();
        assert_eq!((f.bytes, f.blocks), (311_464, 423));
        let f = figure("x (+x) bytes in 2 (+2) blocks").unwrap();
        assert_eq!((f.blocks, f.delta_blocks), (2, Some(2)));
        let e = error_summary("108 errors from 104 contexts (suppressed: 0 from 0)").unwrap();
        assert_eq!((e.errors, e.contexts), (108, 104));
        assert_eq!(context_count("5 errors in context 1 of 1:"), Some(5));
        let u = used_suppression(
            "used_suppression:      3 my leak rule /tmp/a.supp:12 suppressed: 1,024 bytes in 3 blocks",
        )
        .unwrap();
        assert_eq!(
            (u.count, u.name.as_str(), u.location.as_str(), u.bytes),
            (3, "my leak rule", "/tmp/a.supp:12", Some(1024))
        );
    }
}
