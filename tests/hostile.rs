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

/// Runs leakscope with `args` (and `stdin`), killing it after `HARNESS_LIMIT`.
fn run_in(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    const HARNESS_LIMIT: Duration = Duration::from_secs(120);
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
