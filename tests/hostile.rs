//! Hostile input against the real binary, on files generated here: every
//! case of issue 12 and those handled before. Each checks the exit code, a
//! message naming file and line, exact totals where they are defined, and
//! that nothing panics. A run that does not finish is killed by the harness
//! after a generous limit (a hang fails the test; no timing is asserted).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run of the binary produced.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn no_panic(&self) -> &Self {
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        self
    }
}

/// How long a run may take before it counts as a hang: generous, since a
/// debug build reading a million frames under `cargo test` on a loaded
/// 2-core machine took over two minutes (it needs ~16 s of CPU).
const HARNESS_LIMIT: Duration = Duration::from_secs(600);

/// Runs leakscope with `args` (and `stdin`), killing it after `HARNESS_LIMIT`.
fn run_in(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin");
        // The reader may stop early (not a log): a broken pipe is expected.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if start.elapsed() > HARNESS_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not finish within the harness limit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out_t.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("writes");
    p
}

/// `summary --format json` of one file: exit code 0 and the raw JSON text
/// (numbers past u64 are checked as text: a JSON reader may round them).
fn json_text(dir: &Path, name: &str) -> String {
    let r = run_in(dir, &["summary", "--format", "json", name], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
    r.stdout
}

const TWO_63: &str = "9223372036854775808";
const TWO_63_COMMAS: &str = "9,223,372,036,854,775,808";
const TWO_64: &str = "18446744073709551616";

/// A text log: a header, then `records` (each: bytes with commas, kind words,
/// function), numbered N of M.
fn text_log(records: &[(&str, &str, &str)]) -> String {
    let mut s =
        String::from("==7== Memcheck, a memory error detector\n==7== Command: ./hostile\n==7== \n");
    let m = records.len();
    for (i, (bytes, kind, func)) in records.iter().enumerate() {
        s += &format!(
            "==7== {bytes} bytes in 1 blocks are {kind} in loss record {} of {m}\n\
             ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
             ==7==    by 0x10{i}: {func} (hostile.c:{})\n==7== \n",
            i + 1,
            i + 10
        );
    }
    s
}

fn xml_log(records: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<valgrindoutput>\n<protocolversion>4</protocolversion>\n\
         <protocoltool>memcheck</protocoltool>\n<pid>7</pid>\n<tool>memcheck</tool>\n",
    );
    let m = records.len();
    for (i, (bytes, func)) in records.iter().enumerate() {
        s += &format!(
            "<error>\n<unique>0x{i}</unique>\n<tid>1</tid>\n<kind>Leak_DefinitelyLost</kind>\n\
             <xwhat>\n<text>{bytes} bytes in 1 blocks are definitely lost in loss record {} of {m}</text>\n\
             <leakedbytes>{bytes}</leakedbytes>\n<leakedblocks>1</leakedblocks>\n</xwhat>\n\
             <stack>\n<frame>\n<ip>0x10{i}</ip>\n<fn>{func}</fn>\n</frame>\n</stack>\n</error>\n",
            i + 1
        );
    }
    s + "</valgrindoutput>\n"
}

fn lsan_log(records: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "=================================================================\n\
         ==7==ERROR: LeakSanitizer: detected memory leaks\n\n",
    );
    for (i, (bytes, func)) in records.iter().enumerate() {
        s += &format!(
            "Direct leak of {bytes} byte(s) in 1 object(s) allocated from:\n\
             \x20   #0 0x7ff0 in malloc asan_malloc_linux.cpp:69\n\
             \x20   #1 0x55{i} in {func} hostile.c:{}\n\n",
            i + 10
        );
    }
    s
}

#[test]
fn totals_past_2_64_are_exact_in_text_xml_and_lsan() {
    let d = tmp();
    let two = [
        (TWO_63_COMMAS, "definitely lost", "a"),
        (TWO_63_COMMAS, "definitely lost", "b"),
    ];
    write(d.path(), "big.txt", text_log(&two));
    write(
        d.path(),
        "big.xml",
        xml_log(&[(TWO_63, "a"), (TWO_63, "b")]),
    );
    write(
        d.path(),
        "big-lsan.txt",
        lsan_log(&[(TWO_63, "a"), (TWO_63, "b")]),
    );
    for name in ["big.txt", "big.xml", "big-lsan.txt"] {
        let j = json_text(d.path(), name);
        let dl = &j[j.find("\"definitely_lost\"").expect("leaks")..];
        assert!(
            dl.starts_with(&format!(
                "\"definitely_lost\": {{\n          \"bytes\": {TWO_64},\n          \"total_bytes\": {TWO_64},\n          \"blocks\": 2,"
            )),
            "{name}: {}",
            &dl[..200.min(dl.len())]
        );
        let text = run_in(d.path(), &["summary", name], None);
        assert_eq!(text.code, Some(0));
        let line = text
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("definitely lost"))
            .expect("kind table");
        assert!(line.contains("16.0 EiB"), "{name}: {line}");
        assert!(
            line.contains("18,446,744,073,709,551,616"),
            "{name}: {line}"
        );
        // Each group is half of the whole, not "8192 PiB" of "32 B".
        assert!(text.stdout.contains("8.0 EiB"), "{name}: {}", text.stdout);
    }
}

#[test]
fn diff_past_2_64_grows_exactly() {
    let d = tmp();
    write(
        d.path(),
        "base.txt",
        text_log(&[("1", "definitely lost", "a")]),
    );
    write(
        d.path(),
        "new.txt",
        text_log(&[
            (TWO_63_COMMAS, "definitely lost", "a"),
            (TWO_63_COMMAS, "definitely lost", "b"),
        ]),
    );
    let r = run_in(
        d.path(),
        &["diff", "--format", "json", "base.txt", "new.txt"],
        None,
    );
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // a grew by 2^63 - 1, b is new with 2^63: 2^64 - 1 in all.
    assert!(
        r.stdout
            .contains("\"visible_growth\": 18446744073709551615"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("\"delta_total_bytes\": 9223372036854775807"));
    assert!(!r.stdout.contains("\"shrunk\""), "{}", r.stdout);
    let text = run_in(d.path(), &["diff", "base.txt", "new.txt"], None);
    assert_eq!(text.code, Some(0));
    assert!(text.stdout.contains("+16.0 EiB"), "{}", text.stdout);
    let gate = run_in(
        d.path(),
        &["diff", "--fail-on-growth", "1T", "base.txt", "new.txt"],
        None,
    );
    assert_eq!(gate.code, Some(1), "{}", gate.stderr);
}

/// Text lines a leak header would be, with `n of m` numbering.
fn text_record(bytes: &str, n: &str, m: &str, func: &str) -> String {
    format!(
        "==7== {bytes} bytes in 1 blocks are definitely lost in loss record {n} of {m}\n\
         ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
         ==7==    by 0x100: {func} (hostile.c:3)\n==7== \n"
    )
}

const TEXT_HEAD: &str =
    "==7== Memcheck, a memory error detector\n==7== Command: ./hostile\n==7== \n";

#[test]
fn unreadable_text_headers_are_warned_counted_and_never_error_kinds() {
    let d = tmp();
    let log = [
        TEXT_HEAD.to_string(),
        text_record("8", "1", "4", "good"),
        text_record("99999999999999999999999", "2", "4", "huge"),
        text_record("-300", "3", "4", "negative"),
        text_record("8", "18446744073709551616", "4", "numbered_past_u64"),
        text_record("16", "4", "4", "last"),
    ]
    .concat();
    write(d.path(), "unreadable.txt", log);
    let r = run_in(d.path(), &["summary", "unreadable.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.starts_with("unreadable.txt (valgrind-text)\n"));
    for line in [8, 12, 16] {
        assert!(
            r.stdout.contains(&format!(
                "warning: line {line}: unreadable loss record header, not counted in any total: "
            )),
            "line {line}: {}",
            r.stdout
        );
    }
    assert!(r
        .stdout
        .contains("  unreadable records: 3 (not in the figures above"));
    assert!(
        r.stdout.contains("errors: none"),
        "no error kind: {}",
        r.stdout
    );
    let j = json_text(d.path(), "unreadable.txt");
    assert!(j.contains("\"unreadable_records\": 3,"), "{j}");
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let p = &v["processes"][0];
    assert_eq!(p["leaks"]["definitely_lost"]["bytes"], 24);
    assert_eq!(p["leaks"]["definitely_lost"]["records"], 2);
    assert_eq!(p["errors"]["contexts"], 0);
}

#[test]
fn unreadable_xml_and_lsan_headers_are_warned_and_counted() {
    let d = tmp();
    write(
        d.path(),
        "unreadable.xml",
        xml_log(&[
            ("8", "good"),
            ("99999999999999999999999", "huge"),
            ("-3", "negative"),
        ]),
    );
    write(
        d.path(),
        "unreadable-lsan.txt",
        lsan_log(&[
            ("8", "good"),
            ("99999999999999999999999", "huge"),
            ("-300", "negative"),
        ]),
    );
    for (name, lines) in [
        ("unreadable.xml", [29, 45]),
        ("unreadable-lsan.txt", [8, 12]),
    ] {
        let r = run_in(d.path(), &["summary", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        for line in lines {
            assert!(
                r.stdout.contains(&format!("warning: line {line}: ")),
                "{name} line {line}: {}",
                r.stdout
            );
        }
        assert!(
            r.stdout
                .contains("  unreadable records: 2 (not in the figures above"),
            "{name}: {}",
            r.stdout
        );
        let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), name)).unwrap();
        let p = &v["processes"][0];
        assert_eq!(p["unreadable_records"], 2, "{name}");
        assert_eq!(p["leaks"]["definitely_lost"]["bytes"], 8, "{name}");
        assert_eq!(p["leaks"]["definitely_lost"]["records"], 1, "{name}");
        assert_eq!(p["errors"]["contexts"], 0, "{name}");
    }
}

#[test]
fn impossible_numbering_is_a_warning_with_its_line() {
    let d = tmp();
    let log = [
        TEXT_HEAD.to_string(),
        text_record("8", "5", "3", "past"),
        text_record("8", "2", "4", "changed"),
    ]
    .concat();
    write(d.path(), "numbering.txt", log);
    let r = run_in(d.path(), &["summary", "numbering.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0));
    assert!(r
        .stdout
        .contains("warning: line 4: PID 7: loss record 5 of 3 is numbered past its own total"));
    assert!(r.stdout.contains(
        "warning: line 8: PID 7: loss record 2 of 4 in a leak search whose records were numbered of 3"
    ));
    let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), "numbering.txt")).unwrap();
    assert_eq!(v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 16);
}

#[test]
fn a_record_after_binary_junk_is_found() {
    let d = tmp();
    let mut log = TEXT_HEAD.as_bytes().to_vec();
    log.extend(text_record("8", "1", "2", "before").as_bytes());
    log.extend(vec![0u8; 4096]);
    log.extend(text_record("32", "2", "2", "after_the_nuls").as_bytes());
    write(d.path(), "junk.txt", &log);
    let mut lsan = lsan_log(&[("8", "before")]).into_bytes();
    lsan.extend(vec![0u8; 4096]);
    lsan.extend(
        lsan_log(&[("32", "after_the_nuls")])
            .lines()
            .skip(3)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    write(d.path(), "junk-lsan.txt", &lsan);
    for (name, line) in [("junk.txt", 8), ("junk-lsan.txt", 8)] {
        let r = run_in(d.path(), &["summary", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!(
                "warning: line {line}: 4096 bytes of binary data skipped; reading the text after them"
            )),
            "{name}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("after_the_nuls"), "{name}: {}", r.stdout);
        let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), name)).unwrap();
        assert_eq!(
            v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 40,
            "{name}"
        );
    }
}

/// Runs leakscope with stdin fed by `feed` (which may write forever: it
/// stops when leakscope closes the pipe).
fn run_fed(
    dir: &Path,
    args: &[&str],
    feed: impl FnOnce(std::process::ChildStdin) + Send + 'static,
) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let pipe = child.stdin.take().expect("stdin");
    std::thread::spawn(move || feed(pipe));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if start.elapsed() > HARNESS_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not finish within the harness limit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |r: Option<Box<dyn std::io::Read>>| {
        let mut s = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut s);
        }
        String::from_utf8_lossy(&s).into_owned()
    };
    Run {
        code: status.code(),
        stdout: read(
            child
                .stdout
                .take()
                .map(|r| Box::new(r) as Box<dyn std::io::Read>),
        ),
        stderr: read(
            child
                .stderr
                .take()
                .map(|r| Box::new(r) as Box<dyn std::io::Read>),
        ),
    }
}

/// Exit code 2 and exactly `message` on stderr (nothing on stdout).
fn refused(r: &Run, message: &str) {
    r.no_panic();
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr, format!("leakscope: error: {message}\n"));
    assert_eq!(r.stdout, "");
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_at_once() {
    let r = run_in(Path::new("/"), &["summary", "/dev/zero"], None);
    refused(
        &r,
        "/dev/zero: no valgrind or sanitizer output found (this looks like a binary file)",
    );
}

#[test]
fn endless_compressed_zeros_on_a_pipe_are_refused() {
    let d = tmp();
    let r = run_fed(d.path(), &["summary", "-"], |pipe| {
        let mut gz = flate2::write::GzEncoder::new(pipe, flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        while gz.write_all(&zeros).is_ok() {}
    });
    refused(
        &r,
        "-: no valgrind or sanitizer output found (this looks like a binary file)",
    );
}

#[test]
fn endless_text_that_is_not_a_log_is_refused_after_a_few_mb() {
    let d = tmp();
    let r = run_fed(d.path(), &["summary", "-"], |mut pipe| {
        let lines = b"y\n".repeat(1 << 16);
        while pipe.write_all(&lines).is_ok() {}
    });
    refused(
        &r,
        "-: no valgrind or sanitizer output found (none in the first 8.0 MiB; stopped reading)",
    );
}

#[test]
fn inputs_that_cannot_be_read_are_refused_with_one_clear_message() {
    let d = tmp();
    write(d.path(), "empty.txt", "");
    std::fs::create_dir(d.path().join("dir")).unwrap();
    write(
        d.path(),
        "binary.bin",
        (0..=255u8).cycle().take(65536).collect::<Vec<_>>(),
    );
    let cases = [
        (
            "empty.txt",
            "empty.txt: no valgrind or sanitizer output found",
        ),
        ("dir", "dir: is a directory, not a log file"),
        ("missing.txt", "missing.txt: no such file"),
        // Not a permission test (root reads anything): any io error, said once.
        ("empty.txt/x", "empty.txt/x: Not a directory (os error 20)"),
        (
            "binary.bin",
            "binary.bin: no valgrind or sanitizer output found (this looks like a binary file)",
        ),
    ];
    for (name, message) in cases {
        refused(&run_in(d.path(), &["summary", name], None), message);
    }
}

/// What a decoder gives before the stream breaks off.
fn decode(mut r: impl std::io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// The fixture log, compressed here, cut at half its length.
fn truncated(compress: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let packed = compress(&records_3000());
    packed[..packed.len() / 2].to_vec()
}

/// A log of 3000 records of 8 bytes.
fn records_3000() -> Vec<u8> {
    [
        TEXT_HEAD.to_string(),
        (1..=3000)
            .map(|i| text_record("8", &i.to_string(), "3000", &format!("f{i}")))
            .collect(),
    ]
    .concat()
    .into_bytes()
}

#[test]
fn truncated_text_xml_gzip_and_zstd_keep_what_was_read_and_say_where() {
    let d = tmp();
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let zst = |b: &[u8]| {
        ruzstd::encoding::compress_to_vec(b, ruzstd::encoding::CompressionLevel::Fastest)
    };
    write(d.path(), "cut.txt.gz", truncated(gz));
    write(d.path(), "cut.txt.zst", truncated(zst));
    let text = [TEXT_HEAD.to_string(), text_record("8", "1", "2", "a")].concat();
    write(d.path(), "cut.txt", &text[..text.len() - 20]);
    let xml = xml_log(&[("8", "a"), ("16", "b")]);
    write(d.path(), "cut.xml", &xml[..xml.find("<fn>b").unwrap()]);
    // zstd keeps its window (here the whole stream) until the frame ends, so
    // a cut single-frame stream yields nothing decodable: refused, saying why.
    refused(
        &run_in(d.path(), &["summary", "cut.txt.zst"], None),
        "cut.txt.zst: no valgrind or sanitizer output found (reading failed before the \
         first line: zstd: Failed to parse/decode block body: Error while reading the block header)",
    );
    // Two zstd frames (as `cat a.zst b.zst` makes), cut inside the second;
    // and the gzip stream cut at half its length: exactly the records
    // decoded before the cut, and a warning at the last line read.
    let log = records_3000();
    let half = log.len() / 2;
    let mut frames = zst(&log[..half]);
    let second = zst(&log[half..]);
    let mut whole = frames.clone();
    whole.extend_from_slice(&second);
    write(d.path(), "frames.txt.zst", &whole);
    let cut_second = &second[..second.len() / 2];
    frames.extend_from_slice(cut_second);
    write(d.path(), "cut-frames.txt.zst", &frames);
    let decoded_gz = decode(flate2::read::MultiGzDecoder::new(&truncated(gz)[..]));
    let mut decoded_zst = log[..half].to_vec();
    decoded_zst.extend(decode(
        ruzstd::decoding::StreamingDecoder::new(cut_second).expect("frame header"),
    ));
    // Every frame is read, not only the first.
    let v: serde_json::Value =
        serde_json::from_str(&json_text(d.path(), "frames.txt.zst")).unwrap();
    let dl = &v["processes"][0]["leaks"]["definitely_lost"];
    assert_eq!(
        (&dl["records"], &dl["bytes"]),
        (&3000.into(), &24000.into())
    );
    for (name, decoded) in [
        ("cut.txt.gz", decoded_gz),
        ("cut-frames.txt.zst", decoded_zst),
    ] {
        let r = run_in(d.path(), &["summary", "--format", "json", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let text = String::from_utf8_lossy(&decoded);
        let lines = text.lines().count();
        let warnings = v["inputs"][0]["warnings"].as_array().unwrap();
        let stopped = warnings
            .iter()
            .find(|w| {
                w["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("reading stopped after this line: ")
            })
            .expect("a warning where reading stopped");
        assert_eq!(stopped["line"], lines, "{name}: {stopped}");
        // Every record whose header line was decoded whole.
        let headers = text.lines().filter(|l| l.ends_with(" of 3000")).count() as u64;
        let dl = &v["processes"][0]["leaks"]["definitely_lost"];
        assert!(headers > 0 && headers < 3000, "{name}: {headers}");
        assert_eq!(dl["records"], headers, "{name}");
        assert_eq!(dl["bytes"], 8 * headers, "{name}");
    }
    let r = run_in(d.path(), &["summary", "cut.txt"], None);
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.contains(
            "warning: line 4: PID 7: the log ends before this leak search's LEAK SUMMARY"
        ),
        "{}",
        r.stdout
    );
    let r = run_in(d.path(), &["summary", "--format", "json", "cut.xml"], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 8);
    let w = &v["inputs"][0]["warnings"][0];
    assert_eq!(w["line"], 35);
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .starts_with("the XML ends inside <valgrindoutput> <error> <stack> <frame>"),
        "{w}"
    );
}

#[test]
fn deep_xml_nesting_is_one_short_warning() {
    let d = tmp();
    let xml = xml_log(&[("8", "a")]).replace("</valgrindoutput>\n", "") + &"<a>".repeat(100_000);
    write(d.path(), "deep.xml", xml);
    let r = run_in(d.path(), &["summary", "deep.xml"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let w = r
        .stdout
        .lines()
        .find(|l| l.contains("warning:"))
        .expect("warning");
    assert!(w.len() < 300, "{} bytes", w.len());
    assert!(
        w.contains("warning: line 23: the XML ends inside <valgrindoutput> <…> <…> <…> … (99993 more) … <…> <…> <…> <…> (cut off"),
        "{w}"
    );
    assert!(r.stdout.contains("definitely lost            8 B"));
}

#[test]
fn entities_are_never_expanded_or_fetched() {
    let d = tmp();
    let bomb = "<!DOCTYPE v [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\
                <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY ext SYSTEM \"file:///etc/passwd\">]>\n";
    let xml = xml_log(&[("8", "f&c;&ext;")]).replacen("\n", &format!("\n{bomb}"), 1);
    write(d.path(), "bomb.xml", xml);
    let r = run_in(d.path(), &["summary", "bomb.xml"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("f&c;&ext;"), "{}", r.stdout);
    assert!(!r.stdout.contains("root:"), "no file was read");
    assert!(!r.stdout.contains("aaaaaaaaaa"));
}

#[test]
fn invalid_utf8_escapes_and_a_50_mb_line_are_survived() {
    let d = tmp();
    let mut log = TEXT_HEAD.as_bytes().to_vec();
    log.extend(
        text_record("8", "1", "3", "bad\u{fffd}name")
            .replace('\u{fffd}', "\u{1}")
            .as_bytes(),
    );
    let pos = log.iter().position(|&b| b == 1).unwrap();
    log[pos] = 0xff;
    log.extend(text_record("16", "2", "3", "evil\x1b]0;pwned\x07title").as_bytes());
    log.extend(vec![b'x'; 50 << 20]);
    log.push(b'\n');
    log.extend(text_record("32", "3", "3", "after_the_long_line").as_bytes());
    write(d.path(), "odd.txt", &log);
    let r = run_in(d.path(), &["summary", "odd.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stdout.contains('\x1b') && !r.stdout.contains('\x07'));
    assert!(r.stdout.contains("evil^[]0;pwned^Gtitle"), "{}", r.stdout);
    assert!(r.stdout.contains("bad\u{fffd}name"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("warning: line 12: line longer than 1048576 bytes; only its start was read"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("after_the_long_line"));
    assert!(
        r.stdout.contains("definitely lost           56 B"),
        "{}",
        r.stdout
    );
}

/// Valgrind's LEAK SUMMARY for `bytes` definitely lost in `blocks`, and its
/// ERROR SUMMARY, closing a generated log.
fn leak_summary(out: &mut impl Write, bytes: &str, blocks: &str) {
    write!(
        out,
        "==7== LEAK SUMMARY:\n==7==    definitely lost: {bytes} bytes in {blocks} blocks\n\
         ==7==    indirectly lost: 0 bytes in 0 blocks\n==7==      possibly lost: 0 bytes in 0 blocks\n\
         ==7==    still reachable: 0 bytes in 0 blocks\n==7==         suppressed: 0 bytes in 0 blocks\n\
         ==7== \n==7== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)\n"
    )
    .unwrap();
}

/// `summary --format json` of a generated log: the process, checked against
/// the log's own LEAK SUMMARY (which the generator wrote).
fn summarized(dir: &Path, name: &str, bytes: u64, records: u64) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&json_text(dir, name)).unwrap();
    let p = v["processes"][0].clone();
    let dl = &p["leaks"]["definitely_lost"];
    assert_eq!(dl["bytes"], bytes, "{name}");
    assert_eq!(dl["blocks"], records, "{name}");
    assert_eq!(dl["records"], records, "{name}");
    let reported = &p["reported_leaks"]["definitely_lost"];
    assert_eq!(
        (&reported["bytes"], &reported["blocks"]),
        (&dl["bytes"], &dl["blocks"])
    );
    assert_eq!(v["inputs"][0]["warnings"], serde_json::json!([]), "{name}");
    p
}

/// A million loss records (in 1000 groups of 1000): exact totals, as the
/// log's LEAK SUMMARY states them, and every group whole.
#[test]
fn a_million_records() {
    let d = tmp();
    let n = 1_000_000u64;
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(d.path().join("records.txt")).unwrap());
    log.write_all(TEXT_HEAD.as_bytes()).unwrap();
    for i in 1..=n {
        write!(
            log,
            "==7== 8 bytes in 1 blocks are definitely lost in loss record {i} of {n}\n\
             ==7==    at 0x{i:x}: f{} (a.c:{})\n==7== \n",
            i % 1000,
            i % 100
        )
        .unwrap();
    }
    leak_summary(&mut log, "8,000,000", "1,000,000");
    drop(log);
    let p = summarized(d.path(), "records.txt", 8 * n, n);
    let groups = p["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1000);
    assert!(groups
        .iter()
        .all(|g| g["records"] == 1000 && g["bytes"] == 8000));
}

/// One loss record whose stack has a million frames: read whole, grouped by
/// its top frame.
#[test]
fn a_million_frames() {
    let d = tmp();
    let n = 1_000_000u64;
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(d.path().join("frames.txt")).unwrap());
    log.write_all(TEXT_HEAD.as_bytes()).unwrap();
    log.write_all(b"==7== 8 bytes in 1 blocks are definitely lost in loss record 1 of 1\n")
        .unwrap();
    for i in 0..n {
        writeln!(log, "==7==    by 0x{i:x}: g{i} (b.c:{})", i % 1000).unwrap();
    }
    log.write_all(b"==7== \n").unwrap();
    leak_summary(&mut log, "8", "1");
    drop(log);
    let p = summarized(d.path(), "frames.txt", 8, 1);
    assert_eq!(p["groups"][0]["top_frame"], "g0 (b.c:0)");
}
