//! Line grammar of LeakSanitizer / AddressSanitizer reports: each function
//! recognises one kind of line and returns its parts, or `None`. The state
//! machine in `mod.rs` decides what a line means in context.

use crate::model::{At, ErrorKind, Frame, LeakKind};
use crate::parse::cursor::Cursor;

/// `ERROR: LeakSanitizer: detected memory leaks` (after the `==PID==`):
/// the tool and the rest of the headline.
pub fn banner(content: &str) -> Option<(&str, &str)> {
    let rest = content.strip_prefix("ERROR: ")?;
    let (tool, headline) = rest.split_once(": ")?;
    tool.ends_with("Sanitizer")
        .then_some((tool, headline.trim_end()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakHeader {
    pub kind: LeakKind,
    pub bytes: u64,
    pub objects: u64,
}

/// Whether a line [`leak_header`] cannot read is still meant as one
/// (numbers past u64, negative): reported, never dropped silently.
pub fn looks_like_leak_header(line: &str) -> bool {
    line.starts_with("Direct leak of ") || line.starts_with("Indirect leak of ")
}

/// `Direct leak of 300 byte(s) in 3 object(s) allocated from:`.
pub fn leak_header(line: &str) -> Option<LeakHeader> {
    let (kind, rest) = if let Some(r) = line.strip_prefix("Direct leak of ") {
        (LeakKind::DefinitelyLost, r)
    } else {
        (
            LeakKind::IndirectlyLost,
            line.strip_prefix("Indirect leak of ")?,
        )
    };
    let mut c = Cursor::new(rest);
    let bytes = c.num()?.value;
    if !c.eat(" byte(s) in ") {
        return None;
    }
    let objects = c.num()?.value;
    c.eat(" object(s)").then_some(LeakHeader {
        kind,
        bytes,
        objects,
    })
}

/// `#3 0x5555555554c0 in main src/lsan_leaky.c:57:5`, `#4 0x… in _start
/// (/tmp/prog+0x10f0)`, `#1 0x4011d6  (/lib/libc.so.6+0x29d90) (BuildId: …)`.
pub fn frame(line: &str) -> Option<At<Frame>> {
    let rest = line.strip_prefix('#')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = rest[digits..].trim_start();
    let hex = rest.strip_prefix("0x")?;
    let hex_len = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
    let addr = u64::from_str_radix(&hex[..hex_len], 16).ok();
    let mut rest = hex[hex_len..].trim();
    rest = rest.strip_prefix("in ").unwrap_or(rest);
    if let Some(i) = rest.rfind(" (BuildId: ") {
        if rest.ends_with(')') {
            rest = rest[..i].trim_end();
        }
    }
    let mut frame = Frame::default();
    // Code outside any module (JIT code): as valgrind would, `???` with no
    // object, which a perf map may name. `#5 0x7f3a2c01f0c4  (<unknown
    // module>)`, or with a function name before it.
    if rest == "(<unknown module>)" || rest.ends_with(" (<unknown module>)") {
        let head = rest.trim_end_matches("(<unknown module>)").trim_end();
        if !head.is_empty() && head != "<null>" {
            frame.function = Some(head.into());
        }
        return Some(At { addr, frame });
    }
    if let Some((head, module)) = module_suffix(rest) {
        frame.object = Some(module.into());
        rest = head;
    }
    let (function, location) = match rest.rsplit_once(' ') {
        Some((f, loc)) => match source_location(loc) {
            Some(l) => (f.trim_end(), Some(l)),
            None => (rest, None),
        },
        None => (rest, None),
    };
    if let Some((path, line)) = location {
        let (dir, file) = match path.rsplit_once('/') {
            Some((d, f)) if !f.is_empty() => (Some(d), f),
            _ => (None, path),
        };
        frame.dir = dir.filter(|d| !d.is_empty()).map(Into::into);
        frame.file = Some(file.into());
        frame.line = line;
    }
    if !function.is_empty() && function != "<null>" {
        frame.function = Some(function.into());
    }
    Some(At { addr, frame })
}

/// Splits `fn (module+0xoff)` into `fn` and `module`.
fn module_suffix(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let (module, off) = inner[open + 1..].rsplit_once("+0x")?;
    if module.is_empty() || !off.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((inner[..open].trim_end(), module))
}

/// `path:line:col` or `path:line`; the line is what grouping needs.
fn source_location(s: &str) -> Option<(&str, Option<u32>)> {
    let num = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let (head, last) = s.rsplit_once(':')?;
    if !num(last) {
        return None;
    }
    if let Some((path, line)) = head.rsplit_once(':') {
        if num(line) && !path.is_empty() {
            return Some((path, line.parse().ok()));
        }
    }
    (!head.is_empty()).then(|| (head, last.parse().ok()))
}

/// What a `SUMMARY: AddressSanitizer: …` line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summary {
    /// `465 byte(s) leaked in 8 allocation(s).`: (bytes, blocks).
    Leaked(u64, u64),
    /// `heap-use-after-free src/asan_uaf.c:23 in read_after_free`: the name.
    Error(String),
}

pub fn summary(line: &str) -> Option<Summary> {
    let rest = line.strip_prefix("SUMMARY: ")?;
    let (tool, rest) = rest.split_once(": ")?;
    if !tool.ends_with("Sanitizer") {
        return None;
    }
    let mut c = Cursor::new(rest);
    if let Some(bytes) = c.num() {
        if c.eat(" byte(s) leaked in ") {
            let blocks = c.num()?.value;
            return Some(Summary::Leaked(bytes.value, blocks));
        }
    }
    let name = rest.split_whitespace().next()?;
    Some(Summary::Error(name.to_string()))
}

/// `READ of size 4 at 0x604000000024 thread T0`: an invalid read or write.
pub fn access(line: &str) -> Option<ErrorKind> {
    if line.starts_with("READ of size ") {
        Some(ErrorKind::InvalidRead)
    } else if line.starts_with("WRITE of size ") {
        Some(ErrorKind::InvalidWrite)
    } else {
        None
    }
}

/// The error's name from its headline: `heap-use-after-free on address …`,
/// `attempting double-free on 0x…`, `SEGV on unknown address …`.
pub fn error_name(headline: &str) -> &str {
    let h = headline.strip_prefix("attempting ").unwrap_or(headline);
    let end = [" on ", ": ", " (", " "]
        .iter()
        .filter_map(|sep| h.find(sep))
        .min()
        .unwrap_or(h.len());
    &h[..end]
}

/// A row of the `Suppressions used:` table: `      1         37 make_label`.
pub fn suppression_row(line: &str) -> Option<(u64, u64, &str)> {
    let mut words = line.split_whitespace();
    let count = words.next()?.parse().ok()?;
    let bytes = words.next()?.parse().ok()?;
    let start = line.find(words.next()?)?;
    Some((count, bytes, line[start..].trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_in_each_shape() {
        let f = frame("#1 0x5555555552f3 in leak_in_loop src/lsan_leaky.c:26").unwrap();
        assert_eq!(f.addr, Some(0x5555555552f3));
        assert_eq!(f.function.as_deref(), Some("leak_in_loop"));
        assert_eq!(
            (f.dir.as_deref(), f.file.as_deref()),
            (Some("src"), Some("lsan_leaky.c"))
        );
        assert_eq!(f.line, Some(26));
        let f =
            frame("#4 0x5555555550f0 in _start (/tmp/leakscope-fixtures/asan_uaf+0x10f0)").unwrap();
        assert_eq!(f.function.as_deref(), Some("_start"));
        assert_eq!(
            f.object.as_deref(),
            Some("/tmp/leakscope-fixtures/asan_uaf")
        );
        let jit = frame("#5 0x7f3a2c01f0c4  (<unknown module>)").unwrap();
        assert_eq!(
            (&jit.function, &jit.object, &jit.file),
            (&None, &None, &None)
        );
        assert_eq!(
            frame("#5 0x7f3a2c01f0c4  (<unknown module>)")
                .unwrap()
                .label(),
            "JIT code (no module)"
        );
        let f = frame("#2 0x7f2f3e  (/lib/x86_64-linux-gnu/libc.so.6+0x29d90) (BuildId: 89c3)")
            .unwrap();
        assert!(f.function.is_none());
        assert_eq!(f.object.as_deref(), Some("/lib/x86_64-linux-gnu/libc.so.6"));
        let f = frame(
            "#0 0x4c8a2b in operator new(unsigned long, std::nothrow_t const&) /src/new.cc:95:3",
        )
        .unwrap();
        assert_eq!(
            f.function.as_deref(),
            Some("operator new(unsigned long, std::nothrow_t const&)")
        );
        assert_eq!((f.file.as_deref(), f.line), (Some("new.cc"), Some(95)));
        let f = frame("#0 0x1 in foo(int) (/bin/prog+0x1)").unwrap();
        assert_eq!(f.function.as_deref(), Some("foo(int)"));
        let f = frame("#5 0x1 in alloc::alloc::alloc /rustc/abc/library/alloc/src/alloc.rs:98:9")
            .unwrap();
        assert_eq!(f.function.as_deref(), Some("alloc::alloc::alloc"));
        // JIT code: `???` with no object, as valgrind shows it.
        let f = frame("#2 0x7f3d19eca02e  (<unknown module>)").unwrap();
        assert_eq!(f.addr, Some(0x7f3d19eca02e));
        assert!(f.function.is_none() && f.object.is_none());
        assert!(frame("#x 0x1 in f").is_none());
        assert!(frame("# 0x1").is_none());
        assert!(frame("#1 nothex").is_none());
    }

    #[test]
    fn headers_summaries_and_names() {
        assert_eq!(
            leak_header("Direct leak of 300 byte(s) in 3 object(s) allocated from:"),
            Some(LeakHeader {
                kind: LeakKind::DefinitelyLost,
                bytes: 300,
                objects: 3
            })
        );
        assert_eq!(
            leak_header("Indirect leak of 64 byte(s) in 2 object(s) allocated from:")
                .map(|h| h.kind),
            Some(LeakKind::IndirectlyLost)
        );
        assert!(leak_header("Direct leak of many bytes").is_none());
        assert_eq!(
            summary("SUMMARY: AddressSanitizer: 465 byte(s) leaked in 8 allocation(s)."),
            Some(Summary::Leaked(465, 8))
        );
        assert_eq!(
            summary("SUMMARY: AddressSanitizer: heap-use-after-free src/a.c:23 in f"),
            Some(Summary::Error("heap-use-after-free".into()))
        );
        assert_eq!(
            error_name("attempting double-free on 0x6020 in thread T0:"),
            "double-free"
        );
        assert_eq!(error_name("SEGV on unknown address 0x000"), "SEGV");
        assert_eq!(
            error_name("memcpy-param-overlap: memory ranges"),
            "memcpy-param-overlap"
        );
        assert_eq!(
            banner("ERROR: LeakSanitizer: detected memory leaks"),
            Some(("LeakSanitizer", "detected memory leaks"))
        );
        assert_eq!(banner("ERROR: something else"), None);
        assert_eq!(
            suppression_row("      1         37 make_label"),
            Some((1, 37, "make_label"))
        );
        assert_eq!(suppression_row("  count      bytes template"), None);
        assert_eq!(
            access("WRITE of size 1 at 0x6020 thread T0"),
            Some(ErrorKind::InvalidWrite)
        );
    }
}
