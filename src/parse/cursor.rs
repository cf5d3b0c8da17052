//! A tiny cursor over one line of valgrind output, for the fixed phrases valgrind
//! prints (`1,472 (+16) bytes in 1 blocks are …`). Hand-written rather than regex:
//! these lines are on the hot path of multi-gigabyte logs.

/// Numbers as valgrind prints them: `1,234,567`; the regression suite masks
/// some as `x` or `...` and those read as 0 (`masked` tells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub value: u64,
    pub masked: bool,
}

pub struct Cursor<'a> {
    pub rest: &'a str,
}

impl<'a> Cursor<'a> {
    pub fn new(s: &'a str) -> Self {
        Cursor { rest: s }
    }

    pub fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    /// Consumes `lit` if the rest starts with it.
    pub fn eat(&mut self, lit: &str) -> bool {
        if let Some(r) = self.rest.strip_prefix(lit) {
            self.rest = r;
            true
        } else {
            false
        }
    }

    /// A number with thousands separators, or a mask (`x`, `...`). Read
    /// byte by byte with no calls: a record header holds four of them.
    #[inline]
    pub fn num(&mut self) -> Option<Num> {
        let bytes = self.rest.as_bytes();
        let masked = match bytes.first() {
            Some(b'.') if bytes.starts_with(b"...") => 3,
            Some(b'x') => 1,
            _ => 0,
        };
        if masked > 0 {
            self.rest = &self.rest[masked..];
            return Some(Num {
                value: 0,
                masked: true,
            });
        }
        let mut value: u64 = 0;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_digit() {
                value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            } else if !(b == b',' && i > 0 && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                // A separator only between digits: `1,234` but not `1, 2`.
                break;
            }
            i += 1;
        }
        if i == 0 {
            return None;
        }
        self.rest = &self.rest[i..];
        Some(Num {
            value,
            masked: false,
        })
    }

    /// A signed delta as in `(+16)` / `(-x)`, after a space. Returns `None` and
    /// consumes nothing when there is none.
    pub fn delta(&mut self) -> Option<i64> {
        let save = self.rest;
        if !self.eat(" (") {
            return None;
        }
        let neg = if self.eat("+") {
            false
        } else if self.eat("-") {
            true
        } else {
            self.rest = save;
            return None;
        };
        let n = match self.num() {
            Some(n) => n.value as i64,
            None => {
                self.rest = save;
                return None;
            }
        };
        if !self.eat(")") {
            self.rest = save;
            return None;
        }
        Some(if neg { -n } else { n })
    }

    /// Everything up to `lit`, consuming `lit` too.
    pub fn until(&mut self, lit: &str) -> Option<&'a str> {
        let i = self.rest.find(lit)?;
        let head = &self.rest[..i];
        self.rest = &self.rest[i + lit.len()..];
        Some(head)
    }
}

/// Parses a whole string as a valgrind number (`1,952`).
pub fn parse_num(s: &str) -> Option<u64> {
    let mut c = Cursor::new(s.trim());
    let n = c.num()?;
    c.rest.is_empty().then_some(n.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_separators_and_masks() {
        assert_eq!(parse_num("1,234,567"), Some(1_234_567));
        assert_eq!(parse_num("0"), Some(0));
        assert_eq!(parse_num("x"), Some(0));
        assert_eq!(parse_num("..."), Some(0));
        assert_eq!(parse_num("12a"), None);
        assert_eq!(parse_num(""), None);
        assert_eq!(parse_num("99999999999999999999999"), None);
        assert_eq!(parse_num(",123"), None);
        assert_eq!(parse_num("1,,2"), None);
        assert_eq!(parse_num("12,"), None);
        assert_eq!(parse_num("..x"), None);
        let mut c = Cursor::new("1,234, 5");
        assert_eq!(c.num().map(|n| n.value), Some(1234));
        assert_eq!(c.rest, ", 5");
    }

    #[test]
    fn deltas() {
        let mut c = Cursor::new(" (+16) bytes");
        assert_eq!(c.delta(), Some(16));
        assert_eq!(c.rest, " bytes");
        let mut c = Cursor::new(" (-1,024)");
        assert_eq!(c.delta(), Some(-1024));
        let mut c = Cursor::new(" (16 direct");
        assert_eq!(c.delta(), None);
        assert_eq!(c.rest, " (16 direct");
    }
}
