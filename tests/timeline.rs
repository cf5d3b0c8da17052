//! Timelines in `leakscope summary`: a process with several leak searches
//! (here `VALGRIND_DO_ADDED_LEAK_CHECK` before each request of service.c).

mod common;

use common::fixture;
use std::process::{Command, Output};

fn summary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .arg("summary")
        .args(args)
        .output()
        .expect("runs")
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

#[test]
fn json_timeline_of_client_request_checks() {
    let o = summary(&["--format", "json", &fx("service-checks.txt")]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let t = &v["processes"][0]["timeline"];
    let searches = t["searches"].as_array().unwrap();
    let sources: Vec<_> = searches
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["client-request", "client-request", "client-request", "exit"]
    );
    let times: Vec<_> = searches
        .iter()
        .map(|s| s["time_s"].as_f64().unwrap())
        .collect();
    assert_eq!(times, [2.604, 2.637, 2.638, 2.781]);
    for (i, s) in searches.iter().enumerate() {
        assert_eq!(s["index"], i);
        assert_eq!(s["leaks"]["definitely_lost"]["bytes"], 256 * i);
        assert_eq!(s["leaks"]["definitely_lost"]["blocks"], i);
        assert_eq!(s["leaks"]["still_reachable"]["total_bytes"], 16_384);
        assert_eq!(s["leaks"]["still_reachable"]["records"], 1);
    }
    let groups = t["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["kind"], "definitely_lost");
    assert_eq!(groups[0]["top_frame"], "handle_request (service.c:28)");
    assert_eq!(groups[0]["hidden_by"], serde_json::Value::Null);
    assert_eq!(
        groups[0]["total_bytes"],
        serde_json::json!([0, 256, 512, 768])
    );
    assert_eq!(groups[0]["trend"], "grows");
    assert_eq!(groups[0]["bytes_per_search"], 256);
    assert_eq!(groups[1]["top_frame"], "setup (service.c:23)");
    assert_eq!(groups[1]["kind"], "still_reachable");
    assert_eq!(
        groups[1]["total_bytes"],
        serde_json::json!([16_384, 16_384, 16_384, 16_384])
    );
    assert_eq!(groups[1]["trend"], "flat");
}

#[test]
fn one_leak_search_has_no_timeline_field() {
    let o = summary(&["--format", "json", &fx("leaky.txt")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["processes"][0].get("timeline").is_none());
}

#[test]
fn text_summary_has_a_timeline_section() {
    let o = summary(&[&fx("service-checks.txt")]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("timeline: 4 leak searches over 0.2 s (3 client-request, exit)"),
        "{out}"
    );
    let grows = out.lines().find(|l| l.contains("handle_request")).unwrap();
    assert!(grows.trim_start().starts_with("grows"), "{out}");
    assert!(out.contains("flat       16.0 KiB → 16.0 KiB"), "{out}");
}

/// tests/fixtures/run-warmup: `leakscope run --every 1s -- service 24
/// --delay-ms 250 --warm-up 8`. The warm-up cache (8 × 2,048 bytes, one
/// block every 400 ms) rises over the first snapshots, then stays at 16 KiB
/// while each request leaks 256 bytes to the end (24 × 256 = 6,144 bytes,
/// valgrind's own figure at exit). Growth is what separates a leak from
/// set-up: the per-request group is listed first as growing, the warm-up as
/// start-up growth with the search it settled at, never as a leak.
#[test]
fn start_up_growth_is_said_apart_from_growth_that_goes_on() {
    let dir = fx("run-warmup");
    let o = summary(&[&dir]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("timeline: 8 leak searches"))
        .skip(1)
        .take(3)
        .map(str::trim_start)
        .collect();
    assert!(
        lines[0].starts_with("grows           0 B → 6.0 KiB"),
        "{out}"
    );
    assert!(lines[0].ends_with("definitely lost handle_request (service.c:28)"));
    assert!(
        lines[1].starts_with("start-up    6.0 KiB → 16.0 KiB"),
        "{out}"
    );
    assert!(lines[1].ends_with("still reachable warm_up (service.c:39)"));
    assert!(
        lines[2].starts_with("flat       16.0 KiB → 16.0 KiB"),
        "{out}"
    );

    let o = summary(&["--format", "json", &dir]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let groups = v["processes"][0]["timeline"]["groups"].as_array().unwrap();
    let warm = &groups[1];
    assert_eq!(warm["top_frame"], "warm_up (service.c:39)");
    assert_eq!(warm["trend"], "grows");
    assert_eq!(warm["settled_at"], 2);
    assert_eq!(warm["total_bytes"][2], 16_384);
    assert_eq!(groups[0]["settled_at"], serde_json::Value::Null);
    assert_eq!(groups[0]["total_bytes"][7], 24 * 256);
}

/// The snapshots of `leakscope run` are marked in valgrind's own log, so
/// they stay snapshots when that log is opened without its directory:
/// under its own name, renamed, or gzipped. Only a log that cannot be read
/// twice (stdin) leaves them as the log's own searches, client requests.
#[test]
fn a_run_log_opened_alone_still_tells_snapshots_from_client_requests() {
    let log = fixture("run-warmup").join("valgrind.8251.log");
    let text = std::fs::read(&log).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("service.log");
    std::fs::write(&renamed, &text).unwrap();
    let gz = dir.path().join("valgrind.8251.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &text).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();

    for path in [&log, &renamed, &gz] {
        let o = summary(&[path.to_str().unwrap()]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("timeline: 8 leak searches over 8.3 s (7 snapshot, exit)"),
            "{}: {out}",
            path.display()
        );
        let o = summary(&["--format", "json", path.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let searches = v["processes"][0]["timeline"]["searches"]
            .as_array()
            .unwrap();
        let asked: Vec<_> = searches.iter().map(|s| s["asked_s"].as_f64()).collect();
        // As in the run directory: the first marker's search found the heap
        // empty ("All heap blocks were freed"), so it is no search.
        let want = [2.328, 3.536, 4.769, 6.031, 7.252, 8.476, 9.786].map(Some);
        assert_eq!(asked[..7], want, "{}", path.display());
        assert_eq!(asked[7], None);
    }

    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(["summary", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &text).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("(7 client-request, exit)"), "{out}");
}
