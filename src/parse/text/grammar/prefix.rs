//! A line's `==PID==` prefix (with its marker and time stamp), and the cache
//! that skips re-reading the same prefix on every line.

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
    /// Counts the times the prefix remembered may have changed: lines
    /// read under one generation were all answered by the same prefix.
    generation: u32,
}

impl PrefixCache {
    /// The prefix remembered, if any.
    #[inline]
    pub fn prefix(&self) -> Option<Prefix> {
        self.prefix
    }

    /// Which prefix is remembered, as a count that changes whenever it
    /// may have: a line [`Self::same`] answered under one generation is
    /// answered alike for as long as the generation lasts.
    #[inline]
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The PID of the prefix remembered, if any.
    #[inline]
    pub fn pid(&self) -> Option<u32> {
        self.prefix.map(|p| p.pid)
    }

    /// The content of `line` when it carries exactly the prefix remembered
    /// (what [`Self::split`] answers without parsing); `None` otherwise,
    /// when `split` may still read a prefix.
    #[inline]
    pub fn same<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        self.prefix?;
        if !starts_with(line, &self.bytes[..self.len]) {
            return None;
        }
        let content = &line[self.len..];
        match content.first() {
            Some(c) if c.is_ascii_digit() => None,
            Some(b' ') => Some(&content[1..]),
            _ => Some(content),
        }
    }

    /// The prefix remembered as masked words, for a loop over many lines
    /// that keeps it in registers (see [`PrefixWords`]); `None` when no
    /// prefix is remembered or it is longer than 16 bytes.
    #[inline]
    pub fn words(&self) -> Option<PrefixWords> {
        self.prefix?;
        PrefixWords::new(&self.bytes[..self.len])
    }

    /// The prefix remembered and the space after it, as words: a line
    /// that starts with them carries the prefix and its content starts
    /// after them. `None` unless the two are under 16 bytes.
    #[inline]
    pub fn spaced_words(&self) -> Option<PrefixWords> {
        self.prefix?;
        if self.len + 1 >= 16 {
            return None;
        }
        let mut spaced = [b' '; 16];
        spaced[..self.len].copy_from_slice(&self.bytes[..self.len]);
        PrefixWords::new(&spaced[..self.len + 1])
    }

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
        self.generation = self.generation.wrapping_add(1);
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

/// A prefix of up to 16 bytes as two words and their masks: whether a line
/// carries it is one 16-byte load and two masked compares, with no length
/// cases and no call, which matters in the cutter's loop over the lines of
/// an open item (every line of a stack passes through it).
#[derive(Debug, Clone, Copy)]
pub struct PrefixWords {
    word: u128,
    mask: u128,
    len: usize,
}

impl PrefixWords {
    fn new(p: &[u8]) -> Option<Self> {
        if p.is_empty() || p.len() > 16 {
            return None;
        }
        let (mut bytes, mut mask) = ([0u8; 16], [0u8; 16]);
        bytes[..p.len()].copy_from_slice(p);
        mask[..p.len()].fill(0xff);
        Some(PrefixWords {
            word: u128::from_le_bytes(bytes),
            mask: u128::from_le_bytes(mask),
            len: p.len(),
        })
    }

    /// Whether a line whose first 16 bytes are `head` starts with these
    /// bytes.
    #[inline(always)]
    pub fn starts(&self, head: &[u8; 16]) -> bool {
        (u128::from_le_bytes(*head) ^ self.word) & self.mask == 0
    }

    /// How many bytes these words hold (under 16 when given by
    /// [`PrefixCache::spaced_words`]).
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Exactly [`PrefixCache::same`] for the prefix these words hold, for
    /// a line of 16 bytes or more (`head`: its first 16).
    #[inline(always)]
    pub fn same<'a>(&self, head: &[u8; 16], line: &'a [u8]) -> Option<&'a [u8]> {
        if (u128::from_le_bytes(*head) ^ self.word) & self.mask != 0 {
            return None;
        }
        let content = line.get(self.len..)?;
        match content.first() {
            Some(c) if c.is_ascii_digit() => None,
            Some(b' ') => Some(&content[1..]),
            _ => Some(content),
        }
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

    /// The words answer exactly what the cache answers, for every line of
    /// 16 bytes or more: the prefix or not, a mangled PID's digits, with or
    /// without the space, a prefix of another PID that shares its start.
    #[test]
    fn prefix_words_agree_with_the_cache() {
        for first in ["==4200== a", "==7== a", "==1234567== a", "--42-- x"] {
            let mut cache = PrefixCache::default();
            cache.split(first.as_bytes());
            let words = cache.words().expect("a short prefix has words");
            for line in [
                "==4200==    at 0x4841F2F: malloc (in /x.so)",
                "==4200==  0123456789abcdef",
                "==4200==11511== mangled, with more",
                "==42000== another PID, longer one",
                "==4201==    at 0x1: a different PID",
                "==4200==                         ",
                "==7==    by 0x1: f (a.c:1)      x",
                "==7==12== f (a.c:1) and so on...",
                "==1234567==    at 0x1: f (a.c:1)",
                "==1234567==ERROR SUMMARY: 0",
                "==1234567==        ",
                "--42--    by 0x1: g (b.c:2) and more",
                "plain program output, long enough",
            ] {
                let line = line.as_bytes();
                let head = line.first_chunk::<16>().expect("16 bytes");
                assert_eq!(
                    words.same(head, line),
                    cache.same(line),
                    "{first} / {line:?}"
                );
            }
        }
        let mut cache = PrefixCache::default();
        cache.split(b"==00:00:00:01.234 12345== stamped");
        assert!(cache.words().is_none());
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
}
