//! Runs of frame lines that repeat lines the chunk showed before.
//!
//! Stacks repeat: a record's callers are the callers of records before it,
//! frame line for frame line (a 768 KiB chunk of a real log has ~9,000
//! frame lines and ~430 distinct ones). Once the hot path has read a frame
//! line ([`TextParser::stack_line`]), the bytes after it are compared with
//! the bytes after the same frame's last line, 32 at a time; each line
//! equal to its counterpart is that counterpart's frame, pushed onto the
//! stack being read with no prefix, PID, block or frame text looked at
//! again: a few instructions a line where the hot path spent ~200.
//!
//! A line is passed over this way only when its counterpart was read by
//! the hot path under the same remembered prefix (the cache's generation):
//! then the hot path would take it too, for the same state (the PID's, the
//! suppression block's; none changes on that path) and the same text, so
//! the same frame — the one numbered for that text (a text not kept in the
//! table would get a number of its own; the merge interns both to the
//! same frame, so the report is the same).

use super::{stack_being_read, TextParser};
use crate::model::{FrameId, Report};

/// No frame number, no line.
const NONE: u32 = u32::MAX;
/// No frame: a line another path took.
const NO_FRAME: FrameId = FrameId(NONE);

/// A chunk's lines as the hot path read them.
struct Repeats {
    /// Per line: the frame the hot path read it as ([`NO_FRAME`]: it
    /// took another path).
    lines: Vec<FrameId>,
    /// Per frame number: the last line read as it, and the prefix cache's
    /// generation then.
    last: Vec<(u32, u32)>,
}

impl TextParser {
    /// Feeds a chunk's lines (`ends`: each line's newline offset in
    /// `data`; the first is line `line_base + 1`): exactly what
    /// [`Self::feed`] does line by line, with repeated runs of frame lines
    /// passed over whole.
    pub(super) fn feed_lines(
        &mut self,
        report: &mut Report,
        data: &[u8],
        ends: &[u32],
        line_base: u64,
    ) {
        let mut repeats = Repeats {
            lines: vec![NO_FRAME; ends.len()],
            last: vec![(NONE, 0); 1024],
        };
        let mut i = 0;
        while i < ends.len() {
            let start = if i == 0 { 0 } else { ends[i - 1] as usize + 1 };
            let end = ends[i] as usize;
            // Cut as `LineReader` cuts an over-long line (the cutter noted it).
            let line = &data[start..end.min(start + crate::parse::source::MAX_LINE)];
            match self.stack_line(report, line) {
                Some(id) => i = self.repeat(&mut repeats, data, ends, i, id),
                None => {
                    self.feed_any(report, line_base + i as u64 + 1, line);
                    i += 1;
                }
            }
        }
    }

    /// Line `i` was just read as frame `id` by the hot path: pushes the
    /// frames of the lines after it that equal their counterparts after
    /// `id`'s last line, and returns the next line to read.
    #[inline(always)]
    fn repeat(
        &mut self,
        repeats: &mut Repeats,
        data: &[u8],
        ends: &[u32],
        i: usize,
        id: FrameId,
    ) -> usize {
        let generation = self.prefix.generation();
        repeats.lines[i] = id;
        let k = id.0 as usize;
        if repeats.last.len() <= k {
            repeats
                .last
                .resize((k + 1).max(2 * repeats.last.len()), (NONE, 0));
        }
        let (j, then) = std::mem::replace(&mut repeats.last[k], (i as u32, generation));
        if j == NONE || then != generation {
            return i + 1;
        }
        let Some(pid) = self.prefix.pid() else {
            return i + 1;
        };
        let Some(mut stack) = stack_being_read(&mut self.pids, pid) else {
            return i + 1;
        };
        // Line `n` and its counterpart `m` (before it; maybe a line of this
        // very run: a recursion repeats itself), the bytes after lines `i`
        // and `j`, and how many of them are known to be equal.
        let (mut n, mut m) = (i + 1, j as usize + 1);
        let (after_i, after_j) = (ends[i] as usize + 1, ends[j as usize] as usize + 1);
        let mut equal = 0;
        while n < ends.len() {
            let id = repeats.lines[m];
            if id == NO_FRAME {
                break;
            }
            // Through the newline of line `m`, from `after_j`.
            let through = ends[m] as usize + 1 - after_j;
            if equal < through {
                equal = equal_from(data, after_j, after_i, equal, through);
                if equal < through {
                    break;
                }
            }
            debug_assert_eq!(ends[n] as usize - after_i, ends[m] as usize - after_j);
            repeats.lines[n] = id;
            (n, m) = (n + 1, m + 1);
        }
        // The run, lines `i + 1..n`: its frames onto the stack at once.
        let run = &repeats.lines[i + 1..n];
        stack.extend_from_slice(run);
        for (line, id) in (i + 1..n).zip(run) {
            repeats.last[id.0 as usize] = (line as u32, generation);
        }
        if let (Some(t), Some(&last)) = (&mut self.frame_texts, run.last()) {
            t.read_last(last);
        }
        n
    }
}

/// How many bytes from `a` and from `b` (`a < b`) are equal, knowing the
/// first `known` are, reading on at least until `want` (past it, to the
/// next 32: a run goes on over several lines).
#[inline(always)]
fn equal_from(data: &[u8], a: usize, b: usize, mut known: usize, want: usize) -> usize {
    let y = &data[b..];
    let x = &data[a..a + y.len()];
    while known < want {
        if known + 32 > y.len() {
            let same = x[known..]
                .iter()
                .zip(&y[known..])
                .take_while(|(x, y)| x == y)
                .count();
            return known + same;
        }
        let (Ok(xs), Ok(ys)) = (
            x[known..known + 32].try_into(),
            y[known..known + 32].try_into(),
        ) else {
            unreachable!("32 bytes");
        };
        match differ32(xs, ys) {
            0 => known += 32,
            d => return known + d.trailing_zeros() as usize,
        }
    }
    known
}

/// Bit `i` set where `x[i] != y[i]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn differ32(x: &[u8; 32], y: &[u8; 32]) -> u32 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
    let (px, py) = (x.as_ptr().cast::<__m128i>(), y.as_ptr().cast::<__m128i>());
    // SAFETY: SSE2 is part of the x86_64 baseline, and the unaligned
    // 16-byte loads stay within the 32 bytes of `x` and `y`.
    unsafe {
        let half = |i: usize| {
            _mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128(px.add(i)),
                _mm_loadu_si128(py.add(i)),
            )) as u32
                & 0xffff
        };
        !(half(0) | half(1) << 16)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn differ32(x: &[u8; 32], y: &[u8; 32]) -> u32 {
    (0..32).fold(0, |d, i| d | u32::from(x[i] != y[i]) << i)
}

#[cfg(test)]
mod tests {
    use super::super::newlines::NewLines;
    use super::*;

    /// Every stack of a chunk's report (records', errors', auxiliary),
    /// as the chunk's frame numbers, and the texts they number.
    fn stacks(data: &[u8], whole_runs: bool) -> (Vec<Vec<u32>>, Vec<Vec<u8>>) {
        let mut report = Report::new();
        let mut parser = TextParser::for_chunk(0);
        let ends: Vec<u32> = NewLines::new(data, 0).map(|e| e as u32).collect();
        if whole_runs {
            parser.feed_lines(&mut report, data, &ends, 0);
        } else {
            let mut start = 0;
            for (no, &end) in ends.iter().enumerate() {
                parser.feed(&mut report, no as u64 + 1, &data[start..end as usize]);
                start = end as usize + 1;
            }
        }
        parser.finish(&mut report);
        let ids = |s| report.interner.stack(s).iter().map(|f| f.0).collect();
        let mut all = Vec::new();
        for p in &report.processes {
            all.extend(p.loss_records().iter().map(|r| ids(r.stack)));
            for e in &p.errors {
                all.push(ids(e.stack));
                all.extend(e.aux.iter().map(|a| ids(a.stack)));
            }
        }
        let texts = parser.take_chunk_frames().texts;
        (all, texts.texts().map(<[u8]>::to_vec).collect())
    }

    /// Runs repeated under another PID's prefix, inside an error's
    /// auxiliary stack, cut short by a line that differs in one byte or
    /// ends a stack early, and a recursion whose run overlaps itself:
    /// passed over whole, every stack is the one read line by line.
    #[test]
    fn repeated_runs_give_the_stacks_read_line_by_line() {
        let frames = |pid: u32, first: &str, names: &[&str]| -> String {
            let mut s = String::new();
            for (i, n) in names.iter().enumerate() {
                let word = if i == 0 { first } else { "by" };
                s += &format!(
                    "=={pid}==    {word} 0x40{:04X}: {n} (a.c:{i})\n",
                    n.len() * 7
                );
            }
            s
        };
        let abc = ["malloc", "make_node", "build_tree", "parse_input", "main"];
        let mut log = String::new();
        for pid in [7, 7, 1234, 7] {
            log += &format!(
                "=={pid}== 16 bytes in 1 blocks are definitely lost in loss record 1 of 9\n"
            );
            log += &frames(pid, "at", &abc);
            log += &format!("=={pid}== \n");
        }
        // One byte off in the middle, then a stack that stops early.
        log += "==7== 8 bytes in 1 blocks are definitely lost in loss record 2 of 9\n";
        log += &frames(7, "at", &abc).replace("build_tree (a.c:2)", "build_tree (a.c:3)");
        log += "==7== \n==7== 8 bytes in 1 blocks are definitely lost in loss record 3 of 9\n";
        log += &frames(7, "at", &abc[..3]);
        log += "==7== \n";
        // An error whose auxiliary stack repeats the record's frames.
        log += "==7== Invalid read of size 4\n";
        log += &frames(7, "at", &["reader", "main"]);
        log += "==7==  Address 0x1 is 0 bytes inside a block of size 16 alloc'd\n";
        log += &frames(7, "at", &abc);
        log += "==7== \n";
        // A recursion: the frames repeat with a period of two.
        log += "==7== 4 bytes in 1 blocks are definitely lost in loss record 4 of 9\n";
        let deep: Vec<&str> = std::iter::once("malloc")
            .chain(std::iter::repeat(["walk", "visit"]).take(40).flatten())
            .chain(["main"])
            .collect();
        log += &frames(7, "at", &deep);
        log += "==7== \n";
        let data = log.as_bytes();
        let (want, want_texts) = stacks(data, false);
        let (got, got_texts) = stacks(data, true);
        // PID 7's six records, its error and the error's auxiliary stack,
        // then PID 1234's record.
        assert_eq!(want.len(), 9);
        assert_eq!(want[4].len(), 3, "the stack that stops early");
        assert_eq!(want[5].len(), 82, "the recursion");
        assert_eq!((want[7].len(), &want[7]), (5, &want[0]), "aux stack");
        assert_eq!(got, want);
        assert_eq!(got_texts, want_texts);
    }
}
