//! Loss record headers and the figures and counts of summary lines
//! (LEAK SUMMARY, ERROR SUMMARY, used suppressions, gdbserver messages).

use crate::model::{Figure, LeakKind};
use crate::parse::cursor::{Cursor, Num};
use std::sync::LazyLock;

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
