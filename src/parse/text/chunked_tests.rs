//! Chunked parsing gives exactly what one parser gives: at any chunk size,
//! with no clean point in reach, and on a live stream that pauses anywhere.

use super::chunked::*;
use super::TextParser;
use crate::model::Report;
use crate::parse::source::LineReader;
use crate::parse::Progress;
use crate::report::summarize;
use std::io::Read;
use std::sync::mpsc;

/// The whole log through one parser, for comparison.
fn sequential(data: &[u8]) -> Report {
    let mut report = Report::new();
    report.inputs.push(test_input());
    let mut parser = TextParser::new(0);
    let mut lines = LineReader::new(data);
    while let Some(l) = lines.next_line() {
        parser.feed(&mut report, l.no, l.text);
    }
    parser.finish(&mut report);
    report.inputs[0].warnings.extend(parser.warnings);
    report
}

fn test_input() -> crate::model::Input {
    crate::model::Input {
        path: "t".into(),
        format: crate::model::Format::ValgrindText,
        warnings: Vec::new(),
        bytes: 0,
        lines: 0,
    }
}

fn chunked(data: &[u8], sizes: ChunkSizes) -> (Report, u64) {
    let mut report = Report::new();
    report.inputs.push(test_input());
    let ReadEnd { lines, bytes, .. } = read_chunked(
        &mut report,
        0,
        data,
        sizes,
        &mut |_| Progress::default(),
        &mut |_, _| {},
    );
    assert_eq!(bytes, data.len() as u64, "every byte counted once");
    (report, lines)
}

use crate::parse::test_fixture as fixture;

/// Cutting anywhere clean and merging must give exactly what one parser
/// gives: same processes, records, errors, summaries and groups.
#[test]
fn chunked_parse_equals_sequential_parse() {
    for (name, chunks) in [
        ("real/numba-seed-gensupp.txt.gz", &[65_536, 1 << 20][..]),
        ("multi-pid.txt", &[300, 4096][..]),
        ("leaky-v.txt", &[300, 4096][..]),
        ("leaky-ts.txt", &[300, 4096][..]),
        ("delta.txt", &[300, 4096][..]),
        ("truncated.txt", &[300, 4096][..]),
        ("leaky-stderr.txt", &[300, 4096][..]),
        ("mangled-gensupp.txt", &[300, 4096][..]),
        ("leaky-gensupp.txt", &[300, 4096][..]),
    ] {
        let data = fixture(name);
        let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
        for &chunk in chunks {
            let sizes = ChunkSizes {
                chunk,
                max_pending: 64 << 20,
            };
            let (got, lines) = chunked(&data, sizes);
            let got_json = serde_json::to_string(&summarize(&got)).unwrap();
            assert!(got_json == want, "{name} with {chunk}-byte chunks differs");
            assert_eq!(
                lines as usize,
                data.split(|&b| b == b'\n').filter(|_| true).count()
                    - data.ends_with(b"\n") as usize,
                "{name}: line count"
            );
            // Suppression texts and record lines survive the merge too.
            let seq = sequential(&data);
            same_frames_and_stacks(&seq, &got, &format!("{name} with {chunk}-byte chunks"));
            for (a, b) in seq.processes.iter().zip(&got.processes) {
                let sa: Vec<_> = a
                    .loss_records()
                    .iter()
                    .map(|r| (r.line(), r.suppression().map(str::to_owned)))
                    .collect();
                let sb: Vec<_> = b
                    .loss_records()
                    .iter()
                    .map(|r| (r.line(), r.suppression().map(str::to_owned)))
                    .collect();
                assert_eq!(sa, sb, "{name}: record lines and suppressions");
            }
        }
    }
}

/// The chunked reader numbers frames and stacks as one parser does (a
/// chunk's frames are interned in the order it first shows them), and every
/// frame has the same location, mangled names learned from `{ … }` blocks
/// included.
fn same_frames_and_stacks(want: &Report, got: &Report, what: &str) {
    let (a, b) = (&want.interner, &got.interner);
    assert_eq!(a.frame_count(), b.frame_count(), "{what}: frames");
    for i in 0..a.frame_count() as u32 {
        let id = crate::model::FrameId(i);
        let (fa, fb) = (a.frame(id), b.frame(id));
        assert_eq!(
            (fa.addr, fa.frame),
            (fb.addr, fb.frame),
            "{what}: frame {i}"
        );
    }
    assert_eq!(a.stack_count(), b.stack_count(), "{what}: stacks");
    for i in 0..a.stack_count() as u32 {
        let id = crate::model::StackId(i);
        assert!(a.stack(id) == b.stack(id), "{what}: stack {i}");
    }
}

/// A live stream: `data` in reads that end at the given offsets, each
/// followed by a pause (as [`crate::parse::live::Live`] reports one).
struct Pausing<'a> {
    data: &'a [u8],
    pos: usize,
    stops: Vec<usize>,
    paused: bool,
    /// At the end, wait (up to 10 s) for a word before ending: a writer
    /// that keeps the stream open until the test has seen the screen.
    hold: Option<mpsc::Receiver<()>>,
    /// Set once the end is read.
    ended: Option<&'a std::sync::atomic::AtomicBool>,
}

impl Read for Pausing<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let stop = self.stops.iter().copied().find(|&s| s > self.pos);
        if !self.paused && self.stops.contains(&self.pos) {
            self.paused = true;
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        self.paused = false;
        if self.pos == self.data.len() {
            if let Some(hold) = self.hold.take() {
                let _ = hold.recv_timeout(std::time::Duration::from_secs(10));
            }
        }
        let end = stop.unwrap_or(self.data.len()).min(self.pos + out.len());
        let n = end - self.pos;
        if n == 0 {
            if let Some(e) = self.ended {
                e.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        out[..n].copy_from_slice(&self.data[self.pos..end]);
        self.pos = end;
        Ok(n)
    }
}

/// Pauses anywhere — after a record's blank line and before the
/// suppression valgrind prints for it, inside a record, inside a
/// suppression, after the ERROR SUMMARY — never change the report: a
/// pause cuts only at points that are clean for every PID, before the
/// next item's first line. (A draft that cut at the end of what had come
/// when every PID was between items parted `--gen-suppressions` blocks
/// from their records.)
#[test]
fn pauses_of_a_live_stream_never_change_the_report() {
    for name in [
        "real/numba-seed-gensupp.txt.gz",
        "leaky-gensupp.txt",
        "multi-pid.txt",
        "leaky-v.txt",
        "delta.txt",
        "truncated.txt",
    ] {
        let data = fixture(name);
        let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
        let seq_report = sequential(&data);
        let supps = |r: &Report| -> Vec<_> {
            r.processes
                .iter()
                .flat_map(|p| p.loss_records())
                .map(|r| (r.line(), r.suppression().map(str::to_owned)))
                .collect()
        };
        // After every line, and at pseudo-random offsets.
        let mut every_line: Vec<usize> = memchr::memchr_iter(b'\n', &data).map(|i| i + 1).collect();
        if every_line.len() > 3000 {
            // A real Numba log: 400 pauses spread over its 250,000 lines.
            let step = every_line.len() / 400;
            every_line = every_line.into_iter().step_by(step).collect();
        }
        let mut x = 0x9e37_79b9_u64;
        let random: Vec<usize> = (0..200)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % data.len() as u64) as usize
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for stops in [every_line, random] {
            let mut report = Report::new();
            report.inputs.push(test_input());
            let mut views = 0;
            let reader = Pausing {
                data: &data,
                pos: 0,
                stops,
                paused: false,
                hold: None,
                ended: None,
            };
            read_chunked(
                &mut report,
                0,
                reader,
                ChunkSizes::default(),
                &mut |_| Progress::default(),
                &mut |_, _| views += 1,
            );
            let got = serde_json::to_string(&summarize(&report)).unwrap();
            assert!(got == want, "{name}: a paused stream parses differently");
            assert_eq!(supps(&report), supps(&seq_report), "{name}: suppressions");
            assert!(views > 1, "{name}: pauses show what came");
        }
    }
}

/// What a pause shows: every record whose block is complete, and the
/// summaries after the last record; a record still being written is not
/// shown.
#[test]
fn a_pause_shows_every_complete_block() {
    let data = fixture("leaky.txt");
    let text = String::from_utf8_lossy(&data);
    let whole = sequential(&data);
    let records = |r: &Report| {
        r.processes
            .iter()
            .map(|p| p.loss_records().len())
            .sum::<usize>()
    };
    let all = records(&whole);
    // Stop in the middle of the last record's stack, then at the end
    // with the stream still open.
    let last = text.rfind(" in loss record ").unwrap();
    let mid = last + text[last..].find(" by 0x").unwrap();
    let stops = vec![mid, data.len()];
    let mut report = Report::new();
    report.inputs.push(test_input());
    let mut seen = Vec::new();
    let (tx, hold) = mpsc::channel();
    let ended = std::sync::atomic::AtomicBool::new(false);
    let reader = Pausing {
        data: &data,
        pos: 0,
        stops,
        paused: false,
        hold: Some(hold),
        ended: Some(&ended),
    };
    read_chunked(
        &mut report,
        0,
        reader,
        ChunkSizes::default(),
        &mut |_| Progress::default(),
        &mut |r, p| {
            let summary = r.processes.first().and_then(|p| p.error_summary).is_some();
            let open = !ended.load(std::sync::atomic::Ordering::SeqCst);
            seen.push((records(r), summary, p.idle, open));
            if summary && open {
                let _ = tx.send(());
            }
        },
    );
    assert!(
        seen.contains(&(all - 1, false, false, true)),
        "paused inside the last record: all but it shown, {seen:?}"
    );
    assert!(
        seen.contains(&(all, true, false, true)),
        "paused at the end, still open: every record and the ERROR SUMMARY, {seen:?}"
    );
}

/// With no clean point in reach, the rest is parsed in order, resumed
/// from what the chunks already gave.
#[test]
fn falls_back_to_one_parser_without_losing_anything() {
    // A record with a 2 MB stack in the middle: no clean point there.
    let log = fixture("real/numba-seed-gensupp.txt.gz");
    let at = log.len() / 2;
    let at = at
        + log[at..]
            .windows(9)
            .position(|w| w == b"==6110== ")
            .unwrap_or(0);
    let at = at + log[at..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
    let mut data = log[..at].to_vec();
    let frame = b"==6110==    by 0x4AA2A3F: _PyEval_Vector (ceval.c:6434)\n";
    while data.len() < at + (2 << 20) {
        data.extend_from_slice(frame);
    }
    data.extend_from_slice(&log[at..]);
    let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
    let sizes = ChunkSizes {
        chunk: 256 << 10,
        max_pending: 1 << 20,
    };
    let (got, _) = chunked(&data, sizes);
    assert_eq!(serde_json::to_string(&summarize(&got)).unwrap(), want);
}

/// A prefixed line longer than a chunk buffer, right at a cut: the rest of
/// the input after the cut is moved whole, nothing is lost and the reader
/// thread does not fail.
#[test]
fn a_cut_before_a_line_longer_than_a_buffer() {
    let mut data = fixture("leaky.txt");
    let long = format!("==11377== {}\n", "x".repeat(3 << 20));
    let at = data.len() / 2;
    let at = at
        + data[at..]
            .windows(11)
            .position(|w| w == b"\n==11377== ")
            .unwrap()
        + 1;
    data.splice(at..at, long.bytes());
    let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
    let sizes = ChunkSizes {
        chunk: 300,
        max_pending: 64 << 20,
    };
    let (got, _) = chunked(&data, sizes);
    assert_eq!(serde_json::to_string(&summarize(&got)).unwrap(), want);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Whatever the chunk size (so wherever the cuts fall), the chunked
    /// reader gives the sequential parser's report and line count.
    #[test]
    fn any_chunk_size_gives_the_sequential_report(which in 0usize..7, chunk in 1usize..6000) {
        let name = [
            "multi-pid.txt",
            "leaky-v.txt",
            "leaky-ts.txt",
            "delta.txt",
            "truncated.txt",
            "leaky-stderr.txt",
            "mangled-gensupp.txt",
        ][which];
        let data = fixture(name);
        let want = serde_json::to_string(&summarize(&sequential(&data))).unwrap();
        let sizes = ChunkSizes {
            chunk,
            max_pending: 64 << 20,
        };
        let (got, lines) = chunked(&data, sizes);
        let got_json = serde_json::to_string(&summarize(&got)).unwrap();
        proptest::prop_assert!(got_json == want, "{} with {}-byte chunks differs", name, chunk);
        same_frames_and_stacks(&sequential(&data), &got, &format!("{name} with {chunk}-byte chunks"));
        let want_lines = data.split(|&b| b == b'\n').count() - data.ends_with(b"\n") as usize;
        proptest::prop_assert_eq!(lines as usize, want_lines);
    }
}
