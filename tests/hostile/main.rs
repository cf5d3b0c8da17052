//! Hostile input against the real binary, on files generated here: every
//! case of issue 12 and those handled before. Each checks the exit code, a
//! message naming file and line, exact totals where they are defined, and
//! that nothing panics. A run that does not finish is killed by the harness
//! after a generous limit (a hang fails the test; no timing is asserted).

mod damaged;
mod huge;
mod numbers;
mod refusals;

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

/// Exit code 2 and exactly `message` on stderr (nothing on stdout).
fn refused(r: &Run, message: &str) {
    r.no_panic();
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr, format!("leakscope: error: {message}\n"));
    assert_eq!(r.stdout, "");
}

const TEXT_HEAD: &str =
    "==7== Memcheck, a memory error detector\n==7== Command: ./hostile\n==7== \n";

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

/// Text lines a leak header would be, with `n of m` numbering.
fn text_record(bytes: &str, n: &str, m: &str, func: &str) -> String {
    format!(
        "==7== {bytes} bytes in 1 blocks are definitely lost in loss record {n} of {m}\n\
         ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
         ==7==    by 0x100: {func} (hostile.c:3)\n==7== \n"
    )
}
