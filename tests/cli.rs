//! The real binary, as CI scripts use it: exit codes, messages, JSON contract.

mod common;

use common::fixture;
use std::process::{Command, Output, Stdio};

fn leakscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .output()
        .expect("runs")
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn text_summary_shows_each_kind_and_the_top_groups() {
    let o = leakscope(&["summary", &fx("leaky.txt")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("definitely lost"), "{out}");
    assert!(out.contains("385"), "definite bytes: {out}");
    assert!(
        out.contains("leak_in_loop (leaky.c:44)"),
        "top group: {out}"
    );
    assert!(out.contains("errors: 8 in 8 contexts"), "{out}");
}

#[test]
fn json_summary_follows_the_schema_and_agrees_with_valgrind() {
    let o = leakscope(&["summary", "--format", "json", &fx("leaky.txt")]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["inputs"][0]["format"], "valgrind-text");
    assert!(v["inputs"][0]["warnings"].as_array().unwrap().is_empty());
    let p = &v["processes"][0];
    assert_eq!(p["tool"], "memcheck");
    assert_eq!(p["valgrind_version"], "3.19.0");
    assert_eq!(p["command"], "./leaky");
    for kind in [
        "definitely_lost",
        "indirectly_lost",
        "possibly_lost",
        "still_reachable",
    ] {
        for field in ["bytes", "blocks"] {
            assert_eq!(
                p["leaks"][kind][field], p["reported_leaks"][kind][field],
                "{kind} {field}"
            );
        }
        assert!(p["leaks"][kind]["total_bytes"].is_u64());
        assert!(p["leaks"][kind]["records"].is_u64());
    }
    assert_eq!(p["reported_leaks"]["suppressed"]["bytes"], 0);
    assert_eq!(p["leaks"]["definitely_lost"]["records"], 4);
    assert_eq!(p["errors"]["by_kind"]["InvalidRead"], 1);
    assert_eq!(p["reported_errors"]["contexts"], 13);
    let groups = p["groups"].as_array().unwrap();
    assert!(groups
        .windows(2)
        .all(|w| w[0]["total_bytes"].as_u64() >= w[1]["total_bytes"].as_u64()));
    let records: u64 = groups.iter().map(|g| g["records"].as_u64().unwrap()).sum();
    assert_eq!(records, 9, "every record is in one group");
}

#[test]
fn fail_on_exits_1_only_for_kinds_present() {
    let leaky = fx("leaky.txt");
    assert_eq!(
        leakscope(&["summary", "--fail-on", "definite", &leaky])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        leakscope(&["summary", "--fail-on", "errors", &leaky])
            .status
            .code(),
        Some(1)
    );
    // multi-pid.txt's parent and children have no possibly-lost records.
    let multi = fx("multi-pid.txt");
    assert_eq!(
        leakscope(&["summary", "--fail-on", "possible,indirect", &multi])
            .status
            .code(),
        Some(0)
    );
    let bad = leakscope(&["summary", "--fail-on", "sometimes", &leaky]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("sometimes"));
}

#[test]
fn unreadable_inputs_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let cases = [
        (fx("no-such-file.txt"), "no such file"),
        (dir.path().to_string_lossy().into_owned(), "directory"),
        (
            empty.to_string_lossy().into_owned(),
            "no valgrind or sanitizer output",
        ),
        (fx("not-a-log.txt"), "no valgrind or sanitizer output"),
        (fx("binary.bin"), "binary"),
    ];
    for (path, words) in cases {
        let o = leakscope(&["summary", &path]);
        assert_eq!(o.status.code(), Some(2), "{path}");
        let err = stderr(&o);
        assert!(err.contains(&path), "{path}: {err}");
        assert!(err.contains(words), "{path}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn truncated_input_gives_the_partial_report_with_a_warning() {
    for name in ["truncated.txt", "truncated.txt.gz"] {
        let o = leakscope(&["summary", &fx(name)]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("warning: line "), "{name}: {out}");
        assert!(out.contains("definitely lost"), "{name}: {out}");
    }
}

#[test]
fn compressed_and_piped_inputs_read_like_the_plain_file() {
    let plain = stdout(&leakscope(&[
        "summary",
        "--format",
        "json",
        &fx("leaky.txt"),
    ]));
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["inputs"][0]["path"] = serde_json::Value::Null;
        v
    };
    for name in ["leaky.txt.gz", "leaky.txt.zst"] {
        let o = leakscope(&["summary", "--format", "json", &fx(name)]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert_eq!(strip(&stdout(&o)), strip(&plain), "{name}");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(["summary", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(fixture("leaky.txt.gz")).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &data).unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let piped = strip(&stdout(&o));
    assert_eq!(piped, strip(&plain));
}

#[test]
fn an_enormous_line_is_cut_and_the_rest_still_read() {
    let log = std::fs::read(fixture("leaky.txt")).unwrap();
    let at = log.len() / 3;
    let at = at + log[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-line.log");
    let mut data = log[..at].to_vec();
    data.extend(std::iter::repeat_n(b'A', 50 << 20));
    data.push(b'\n');
    data.extend_from_slice(&log[at..]);
    std::fs::write(&path, &data).unwrap();
    let o = leakscope(&["summary", "--format", "json", &path.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let warnings = v["inputs"][0]["warnings"].to_string();
    assert!(warnings.contains("longer than"), "{warnings}");
    let p = &v["processes"][0];
    assert_eq!(
        p["leaks"]["definitely_lost"]["bytes"],
        p["reported_leaks"]["definitely_lost"]["bytes"]
    );
}

#[test]
fn escape_sequences_never_reach_the_terminal_raw() {
    let o = leakscope(&["summary", &fx("escapes.txt")]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!o.stdout.contains(&0x1b), "raw ESC in output");
    assert!(
        !o.stdout.iter().any(|&b| b < 0x20 && b != b'\n'),
        "raw control character in output"
    );
    assert!(stdout(&o).contains("^["), "ESC shown as ^[");
}

#[test]
fn several_pids_in_one_file_are_separate_processes() {
    let o = leakscope(&["summary", "--format", "json", &fx("multi-pid.txt")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pids: Vec<u64> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    assert!(pids.windows(2).all(|w| w[0] != w[1]));
}

#[test]
fn help_version_and_completions() {
    let v = leakscope(&["--version"]);
    assert!(stdout(&v).starts_with("leakscope "));
    let h = leakscope(&["summary", "--help"]);
    assert!(stdout(&h).contains("--fail-on"));
    for shell in ["bash", "zsh", "fish"] {
        let c = leakscope(&["completions", shell]);
        assert_eq!(c.status.code(), Some(0));
        assert!(stdout(&c).contains("leakscope"), "{shell}");
    }
}

/// A log made with `--show-leak-kinds=definite` prints records of one kind
/// and LEAK SUMMARY figures of all four: the three kinds it shows no record
/// of are said with valgrind's own figures, not left as a silent 0 B.
#[test]
fn kinds_valgrind_counted_but_did_not_show_are_said() {
    let log = fx("perfmap/numba31315.d/numba31315.log.gz");
    let o = leakscope(&["summary", "--no-perf-map-search", &log]);
    let text = stdout(&o);
    for line in [
        "  indirectly lost: valgrind counted 4,662,978 bytes in 16,043 blocks; this log shows none of its records (--show-leak-kinds)",
        "  possibly lost: valgrind counted 2,414,432 bytes in 18,130 blocks; this log shows none of its records (--show-leak-kinds)",
        "  still reachable: valgrind counted 828,945 bytes in 2,434 blocks; this log shows none of its records (--show-leak-kinds)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    assert!(
        !text.contains("definitely lost: valgrind counted"),
        "{text}"
    );
    let o = leakscope(&["summary", "--format", "json", "--no-perf-map-search", &log]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        json["processes"][0]["kinds_not_shown"],
        serde_json::json!(["indirectly_lost", "possibly_lost", "still_reachable"])
    );
    // A log that shows every kind names none.
    let o = leakscope(&["summary", "--format", "json", &fx("real/numba-seed.txt.gz")]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        json["processes"][0]["kinds_not_shown"],
        serde_json::json!([])
    );
}
