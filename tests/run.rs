//! `leakscope run` with real valgrind on a small C service (tests/fixtures/
//! src/service.c: setup tables once, 256 bytes leaked per request), and with
//! fake `valgrind`/`vgdb` scripts for the failures real valgrind can't produce.

mod common;

use common::fixture;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// service.c compiled once per test binary.
fn service() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("leakscope-run-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("service");
        let ok = Command::new("gcc")
            .args(["-g", "-O0", "-o"])
            .arg(&bin)
            .arg(fixture("src/service.c"))
            .status()
            .expect("gcc runs");
        assert!(ok.success(), "compiling service.c");
        bin
    })
}

fn leakscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
}

fn run(args: &[&str]) -> Output {
    leakscope().arg("run").args(args).output().expect("runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", String::from_utf8_lossy(&o.stdout), err(o)))
}

fn group<'a>(timeline: &'a Value, top: &str) -> &'a Value {
    timeline["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["top_frame"].as_str().unwrap().starts_with(top))
        .unwrap_or_else(|| panic!("no group {top}: {timeline}"))
}

#[test]
fn snapshots_show_the_per_request_leak_growing_and_setup_flat() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let out_s = out.to_str().unwrap();
    let bin = service().to_str().unwrap();
    // Snapshots 2 s apart: under a loaded CI a snapshot 1 s in once caught
    // valgrind half-way through setup's four callocs (8,192 of 16,384 bytes),
    // which is growth.
    let o = run(&[
        "--every",
        "2s",
        "--no-explore",
        "--format",
        "json",
        "--out",
        out_s,
        "--",
        bin,
        "28",
        "--delay-ms",
        "250",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = json(&o);
    let p = &v["processes"][0];
    let tl = &p["timeline"];
    let searches = tl["searches"].as_array().unwrap();
    assert!(searches.len() >= 3, "{tl}");
    assert!(searches[..searches.len() - 1]
        .iter()
        .all(|s| s["source"] == "snapshot"));
    assert_eq!(searches.last().unwrap()["source"], "exit");
    let times: Vec<f64> = searches
        .iter()
        .map(|s| s["time_s"].as_f64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "time order: {times:?}"
    );
    let req = group(tl, "handle_request (service.c:28)");
    assert_eq!(req["trend"], "grows", "{req}");
    assert_eq!(req["kind"], "definitely_lost");
    // The search at exit is valgrind's own: 28 requests × 256 bytes.
    assert_eq!(
        req["total_bytes"].as_array().unwrap().last().unwrap(),
        28 * 256
    );
    let setup = group(tl, "setup (service.c:23)");
    assert_eq!(setup["trend"], "flat", "{setup}");
    assert!(setup["total_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b == 16_384));
    assert_eq!(
        tl["groups"][0]["top_frame"],
        "handle_request (service.c:28)"
    );
    // The program's own output went to the run directory.
    let said = std::fs::read_to_string(out.join("program.out")).unwrap();
    assert!(said.contains("served 28 requests"), "{said}");

    // Reopened later, the run directory gives the same timeline.
    let again = leakscope()
        .args(["summary", "--format", "json", out_s])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(json(&again)["processes"][0]["timeline"], *tl);
}

#[test]
fn a_series_ranks_the_per_request_group_first() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("series");
    let o = run(&[
        "--series",
        "2,8",
        "--no-explore",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--",
        service().to_str().unwrap(),
        "{}",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = json(&o);
    let g = &v["groups"][0];
    assert_eq!(g["top_frame"], "handle_request (service.c:28)", "{v}");
    assert_eq!(g["base"]["total_bytes"], 2 * 256);
    assert_eq!(g["new"]["total_bytes"], 8 * 256);
    assert_eq!(g["status"], "grown");
    assert!(out.join("01-2/program.out").exists() && out.join("02-8/program.out").exists());
}

#[test]
fn the_program_exit_status_is_leakscopes() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("r");
    let o = run(&[
        "--no-explore",
        "--out",
        out.to_str().unwrap(),
        "--",
        "false",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("(memcheck, valgrind"), "{text}");
}

#[test]
fn ctrl_c_asks_then_stops_and_valgrind_still_reports() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("r");
    let mut child = leakscope()
        .args(["run", "--no-explore", "--out", out.to_str().unwrap(), "--"])
        .arg(service())
        .args(["1000", "--delay-ms", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until valgrind's log shows the program started.
    let start = Instant::now();
    while !std::fs::read_dir(&out).is_ok_and(|d| d.count() >= 2) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "valgrind never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id() as i32;
    let sigint = || unsafe { libc_kill(pid, 2) };
    sigint();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "one Ctrl-C only asks");
    sigint();
    let o = child.wait_with_output().unwrap();
    let e = err(&o);
    assert!(e.contains("Press Ctrl-C again to stop it"), "{e}");
    // The C program dies of SIGINT; valgrind still writes its report.
    assert_eq!(o.status.code(), Some(130), "{e}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("handle_request (service.c:28)"), "{text}");
    let log = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .find(|f| f.file_name().to_string_lossy().starts_with("valgrind."))
        .unwrap();
    let log = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        log.contains("HEAP SUMMARY") && log.contains("LEAK SUMMARY"),
        "{log}"
    );
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// A directory holding a fake `valgrind` (runs the program, writes a tiny
/// log) and, if given, a fake `vgdb` with this body.
fn fakes(vgdb: Option<&str>) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let valgrind = r#"#!/bin/sh
PATH=/usr/bin:/bin:$PATH
log=
while [ $# -gt 0 ]; do
  case "$1" in --log-file=*) log="${1#--log-file=}";; -*) ;; *) break;; esac
  shift
done
log=$(printf '%s' "$log" | sed "s/%p/$$/")
printf '==%s== Memcheck, a memory error detector\n==%s== Command: %s\n==%s== \n' $$ $$ "$*" $$ > "$log"
"$@"
rc=$?
printf '==%s== LEAK SUMMARY:\n==%s==    definitely lost: 0 bytes in 0 blocks\n==%s== \n' $$ $$ $$ >> "$log"
exit $rc
"#;
    let write = |name: &str, body: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write("valgrind", valgrind);
    if let Some(body) = vgdb {
        write("vgdb", &format!("#!/bin/sh\n{body}\n"));
    }
    d
}

#[test]
fn valgrind_missing_says_how_to_get_it() {
    let t = tempfile::tempdir().unwrap();
    let o = leakscope()
        .args(["run", "--no-explore", "--out"])
        .arg(t.path().join("r"))
        .args(["--", "/bin/true"])
        .env("PATH", t.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("valgrind is not installed"), "{}", err(&o));
    assert!(err(&o).contains("apt install valgrind"), "{}", err(&o));
    let o = run(&[
        "--no-explore",
        "--valgrind",
        "/no/such/valgrind",
        "--",
        "/bin/true",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--valgrind /no/such/valgrind: no such executable"),
        "{}",
        err(&o)
    );
}

#[test]
fn vgdb_missing_is_an_error_only_when_snapshots_are_due() {
    let f = fakes(None);
    let vg = f.path().join("valgrind");
    let t = tempfile::tempdir().unwrap();
    let o = leakscope()
        .args(["run", "--no-explore", "--every", "1s", "--valgrind"])
        .arg(&vg)
        .arg("--out")
        .arg(t.path().join("a"))
        .args(["--", "/bin/true"])
        .env("PATH", f.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("vgdb is not installed"), "{}", err(&o));
    let o = leakscope()
        .args(["run", "--no-explore", "--valgrind"])
        .arg(&vg)
        .arg("--out")
        .arg(t.path().join("b"))
        .args(["--", "/bin/true"])
        .env("PATH", f.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn program_not_found() {
    let o = run(&["--no-explore", "--", "./no-such-program"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("PROGRAM ./no-such-program: no such executable file"),
        "{}",
        err(&o)
    );
    let o = run(&["--no-explore", "--", "no-such-program-anywhere"]);
    assert!(err(&o).contains("not found on PATH"), "{}", err(&o));
}

fn run_with_vgdb(body: &str, extra: &[&str]) -> Output {
    let f = fakes(Some(body));
    let t = tempfile::tempdir().unwrap();
    leakscope()
        .args(["run", "--no-explore", "--every", "300ms", "--valgrind"])
        .arg(f.path().join("valgrind"))
        .args(extra)
        .arg("--out")
        .arg(t.path().join("r"))
        .args(["--", "/bin/sh", "-c", "sleep 2; exit 7"])
        .output()
        .unwrap()
}

#[test]
fn a_failing_snapshot_warns_once_and_the_run_goes_on() {
    let o = run_with_vgdb("echo 'vgdb error: ptrace not permitted' >&2; exit 1", &[]);
    assert_eq!(o.status.code(), Some(7), "{}", err(&o));
    let e = err(&o);
    assert_eq!(e.matches("snapshot of PID").count(), 1, "{e}");
    assert!(
        e.contains("vgdb failed: vgdb error: ptrace not permitted"),
        "{e}"
    );
}

#[test]
fn a_snapshot_that_hangs_times_out_once() {
    let o = run_with_vgdb("exec sleep 30", &["--snapshot-timeout", "400ms"]);
    assert_eq!(o.status.code(), Some(7), "{}", err(&o));
    let e = err(&o);
    assert_eq!(e.matches("snapshot of PID").count(), 1, "{e}");
    assert!(e.contains("did not answer within 0.4 s"), "{e}");
}

#[test]
fn a_snapshot_vgdb_is_slow_on_lands_late_whole_and_the_program_lives() {
    // A 10 ms --snapshot-timeout: vgdb needs longer to reach a process
    // sleeping between requests, so every snapshot outlives it. vgdb is
    // left to finish (killing it mid-answer made valgrind's next write to
    // it raise SIGPIPE, which ended the program): each search still lands
    // whole in the log, marked as a snapshot.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("late");
    let o = run(&[
        "--every",
        "1s",
        "--snapshot-timeout",
        "10ms",
        "--no-explore",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--",
        service().to_str().unwrap(),
        "16",
        "--delay-ms",
        "250",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let e = err(&o);
    assert_eq!(e.matches("did not answer within 0.01 s").count(), 1, "{e}");
    let v = json(&o);
    let p = &v["processes"][0];
    assert_eq!(p["fatal_signal"], Value::Null, "{p}");
    let tl = &p["timeline"];
    let searches = tl["searches"].as_array().unwrap();
    assert!(searches.len() >= 3, "{tl}");
    let (last, snaps) = searches.split_last().unwrap();
    assert_eq!(last["source"], "exit");
    assert!(snaps.iter().all(|s| s["source"] == "snapshot"), "{tl}");
    // Each snapshot says when it was asked for, and was taken after that.
    for s in snaps {
        let (asked, at) = (
            s["asked_s"].as_f64().unwrap(),
            s["time_s"].as_f64().unwrap(),
        );
        assert!(asked <= at + 0.1, "asked {asked} s, taken {at} s");
    }
    let req = group(tl, "handle_request (service.c:28)");
    assert_eq!(req["trend"], "grows", "{req}");
    assert_eq!(
        req["total_bytes"].as_array().unwrap().last().unwrap(),
        16 * 256
    );
    // No gdbserver complaint: vgdb was never cut off.
    let log = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .find(|f| f.file_name().to_string_lossy().starts_with("valgrind."))
        .unwrap();
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(!text.contains("putpkt"), "{text}");
}

#[test]
fn a_snapshot_cut_by_a_killed_vgdb_is_left_out_and_gdbserver_words_are_notes() {
    // tests/fixtures/run-cut: a marked snapshot, a search streamed to a vgdb
    // killed after 0.06 s (its records 50–256 went to the log after "Reset
    // valgrind output to log"), another marked snapshot, putpkt errors,
    // then the search at exit.
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("valgrind.28015.log"),
        common::read_plain(&fixture("run-cut/valgrind.28015.log.gz")),
    )
    .unwrap();
    let o = leakscope()
        .args(["summary", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = json(&o);
    let p = &v["processes"][0];
    // valgrind's messages are no errors: the count is valgrind's own.
    assert_eq!(p["errors"]["total"], 0, "{p}");
    assert_eq!(p["reported_errors"]["errors"], 0, "{p}");
    let tl = &p["timeline"];
    let at: Vec<(&str, f64, Option<f64>)> = tl["searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap(),
                s["time_s"].as_f64().unwrap(),
                s["asked_s"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("snapshot", 2.541, Some(2.4)),
            ("snapshot", 4.413, Some(4.0)),
            ("exit", 4.669, None)
        ]
    );
    let leaf = group(tl, "leaf (many256.c:8)");
    assert_eq!(leaf["trend"], "flat");
    assert_eq!(
        leaf["total_bytes"],
        serde_json::json!([12_160, 12_160, 12_160])
    );
    let warnings: Vec<&str> = v["inputs"][0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].starts_with("valgrind's gdbserver said \"Reset valgrind output to log"));
    assert!(warnings[1]
        .starts_with("valgrind's gdbserver said \"putpkt(write) error: no write_remote_desc\""));
    assert!(
        warnings[2].contains("a snapshot cut short at 4.3 s is left out of the timeline")
            && warnings[2].contains("(207 records)"),
        "{}",
        warnings[2]
    );
}

#[test]
fn start_up_growth_under_a_rule_is_said_apart_and_per_request_growth_stays_flagged() {
    // service --warm-up 8: a 2,048-byte block every 400 ms (start-up,
    // spread over several snapshots), then a 256-byte leak per request.
    // One rule hides the warm-up blocks, another the per-request leak.
    let t = tempfile::tempdir().unwrap();
    let rules = t.path().join("rules.supp");
    std::fs::write(
        &rules,
        "{\n   hide-warm-up\n   Memcheck:Leak\n   match-leak-kinds: reachable\n   fun:calloc\n   fun:warm_up\n}\n\
         {\n   hide-requests\n   Memcheck:Leak\n   match-leak-kinds: definite\n   fun:malloc\n   fun:handle_request\n}\n",
    )
    .unwrap();
    let out = t.path().join("warm");
    let o = run(&[
        "--every",
        "1s",
        "--suppressions",
        rules.to_str().unwrap(),
        "--no-explore",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--",
        service().to_str().unwrap(),
        "24",
        "--delay-ms",
        "250",
        "--warm-up",
        "8",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = json(&o);
    let tl = &v["processes"][0]["timeline"];
    let rules_in = |field: &str| -> Vec<String> {
        tl[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["rule"].as_str().unwrap().to_string())
            .collect()
    };
    // The per-request leak grows to the end: the rule hiding it is flagged,
    // with valgrind's own figure at exit (24 × 256).
    assert_eq!(rules_in("hidden_growth"), ["hide-requests"], "{tl}");
    let req = group(tl, "handle_request (service.c:28)");
    assert_eq!(req["hidden_by"], "hide-requests");
    assert_eq!(req["settled_at"], Value::Null);
    assert_eq!(
        req["total_bytes"].as_array().unwrap().last().unwrap(),
        24 * 256
    );
    // The warm-up blocks stop at 16,384 bytes while the requests go on:
    // never flagged as hidden growth; when a snapshot caught them half-way,
    // their growth is said apart as start-up growth.
    let warm = group(tl, "warm_up (service.c:39)");
    assert_eq!(warm["hidden_by"], "hide-warm-up");
    let values: Vec<u64> = warm["total_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap())
        .collect();
    assert_eq!(*values.last().unwrap(), 8 * 2048);
    let first_seen = *values.iter().find(|&&b| b > 0).unwrap();
    if first_seen < 8 * 2048 {
        assert!(warm["settled_at"].as_u64().is_some(), "{warm}");
        let startup = &tl["startup_growth"][0];
        assert_eq!(startup["rule"], "hide-warm-up", "{tl}");
        assert_eq!(startup["delta_total_bytes"], 8 * 2048 - first_seen);
    } else {
        assert_eq!(rules_in("startup_growth"), Vec::<String>::new());
    }
}
