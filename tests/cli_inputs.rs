//! The binary on each kind of input: formats named in JSON, a per-PID
//! `--log-file=run.%p` set as one report, stdin, and bad input.

mod common;

use common::fixture;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn leakscope(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(fixture(""))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(data).expect("writes stdin");
    }
    child.wait_with_output().expect("finishes")
}

fn json(args: &[&str], stdin: Option<&[u8]>) -> serde_json::Value {
    let mut all = vec!["summary", "--format", "json"];
    all.extend_from_slice(args);
    let out = leakscope(&all, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn json_names_each_format() {
    let v = json(
        &["leaky.xml", "lsan.txt", "asan-uaf.txt", "leaky.txt"],
        None,
    );
    let formats: Vec<&str> = v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["format"].as_str().expect("format"))
        .collect();
    assert_eq!(formats, ["valgrind-xml", "lsan", "lsan", "valgrind-text"]);
    let p = &v["processes"];
    assert_eq!(p[0]["leaks"]["definitely_lost"]["bytes"], 385);
    assert_eq!(p[1]["leaks"]["definitely_lost"]["bytes"], 369);
    assert_eq!(p[1]["leaks"]["indirectly_lost"]["bytes"], 96);
    assert_eq!(p[2]["errors"]["by_kind"]["InvalidRead"], 1);
}

/// `valgrind --trace-children=yes --log-file=run.%p` writes one file per
/// process; given together they are one report with three processes.
#[test]
fn a_per_pid_log_set_is_one_report() {
    let v = json(
        &[
            "multi-pid-set/run.parent",
            "multi-pid-set/run.child1",
            "multi-pid-set/run.child2",
        ],
        None,
    );
    let procs = v["processes"].as_array().expect("processes");
    assert_eq!(procs.len(), 3);
    let parent = procs[0]["pid"].as_u64().expect("pid");
    for (i, child) in procs.iter().enumerate().skip(1) {
        assert_eq!(child["ppid"].as_u64(), Some(parent), "child {i}");
        assert_eq!(child["input"].as_u64(), Some(i as u64));
    }
    let definite: Vec<u64> = procs
        .iter()
        .map(|p| {
            p["leaks"]["definitely_lost"]["bytes"]
                .as_u64()
                .expect("bytes")
        })
        .collect();
    assert_eq!(definite, [8, 96, 512]);
    assert_eq!(procs[2]["leaks"]["still_reachable"]["bytes"], 32);
}

#[test]
fn stdin_reads_any_format_and_compression() {
    for (file, format) in [
        ("leaky.xml", "valgrind-xml"),
        ("lsan.txt", "lsan"),
        ("leaky.txt.gz", "valgrind-text"),
        ("real/numba-seed.xml.gz", "valgrind-xml"),
    ] {
        let data = std::fs::read(fixture(file)).expect("fixture");
        let v = json(&["-"], Some(&data));
        assert_eq!(v["inputs"][0]["path"], "-", "{file}");
        assert_eq!(v["inputs"][0]["format"], format, "{file}");
        assert!(v["processes"][0]["leaks"]["definitely_lost"]["bytes"].as_u64() > Some(0));
    }
}

#[test]
fn bad_input_exits_2_with_a_message_or_warns_and_goes_on() {
    let out = leakscope(&["summary", "binary.bin"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("binary.bin") && err.contains("binary file"),
        "{err}"
    );

    let out = leakscope(&["summary", "truncated.xml"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning: line 169:"), "{text}");
    assert!(text.contains("errors: 3 in 3 contexts"), "{text}");

    let out = leakscope(&["summary", "--input-format", "xml", "lsan.txt"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<valgrindoutput>"));
}
