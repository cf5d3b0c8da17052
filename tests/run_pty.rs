//! End to end: `leakscope run` in the explorer, the real binary in a
//! pseudo-terminal with real valgrind on tests/fixtures/src/service.c. The
//! live tree fills as snapshots arrive, `p` adds a point to the sparklines,
//! and quitting while the program runs asks, stops it (valgrind still writes
//! its final report) and leaves the logs.
#![cfg(all(feature = "tui", unix))]

mod common;

#[path = "common/pty.rs"]
mod pty;

use pty::Session;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ROWS: u16 = 30;
const COLS: u16 = 110;

fn service(dir: &Path) -> PathBuf {
    let bin = dir.join("service");
    let ok = std::process::Command::new("gcc")
        .args(["-g", "-O0", "-o"])
        .arg(&bin)
        .arg(common::fixture("src/service.c"))
        .status()
        .expect("gcc runs");
    assert!(ok.success(), "compiling service.c");
    bin
}

/// The selected row's text (the `>` marker's line).
fn row_of<'a>(screen: &'a str, label: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label}:\n{screen}"))
}

/// The leak searches the status line counts (1 before there is a timeline).
fn timeline_len(screen: &str) -> usize {
    screen
        .split("timeline: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// Points of the sparkline on a row: the block characters before the trend.
fn points(row: &str) -> usize {
    let words: Vec<&str> = row.split_whitespace().collect();
    let mark = words
        .iter()
        .position(|w| ["↑", "=", "~", "↓"].contains(w))
        .unwrap_or_else(|| panic!("no trend on {row}"));
    words[mark - 1].chars().count()
}

#[test]
fn a_live_run_fills_takes_snapshots_on_a_key_and_stops_when_asked() {
    let t = tempfile::tempdir().unwrap();
    let bin = service(t.path());
    let out = t.path().join("run");
    // No --every: snapshots come only from the key.
    let mut pty = Session::start(
        env!("CARGO_BIN_EXE_leakscope"),
        &[
            "run",
            "--out",
            out.to_str().unwrap(),
            "--",
            bin.to_str().unwrap(),
            "100000",
            "--delay-ms",
            "20",
        ],
        &[],
        t.path(),
        (ROWS, COLS),
    );
    pty.wait_for("service running");
    pty.wait_for("0 snapshots (p)");
    // Valgrind has written its log (no leak search yet: it runs).
    pty.wait_for("No leak search ran");
    // Snapshots on the key until the tree fills with the per-request leak (a
    // snapshot while valgrind still starts the program finds no block).
    let mut taken = 0;
    let snap = |pty: &mut Session, taken: &mut usize| {
        pty.send("p");
        *taken += 1;
        let n = if *taken == 1 {
            "1 snapshot (p)".to_string()
        } else {
            format!("{taken} snapshots (p)")
        };
        pty.wait_for(&n);
        // The loader shows it once it has read the new file.
        std::thread::sleep(Duration::from_millis(1500));
        pty.contents()
    };
    while !snap(&mut pty, &mut taken).contains("handle_request (service.c:28)") {
        assert!(taken < 6, "{}", pty.contents());
    }
    // Each key adds a search to the timeline and a point to the sparkline.
    for _ in 0..2 {
        let before = pty.contents();
        let searches = timeline_len(&before);
        let s = snap(&mut pty, &mut taken);
        let s = if timeline_len(&s) == searches + 1 {
            s
        } else {
            pty.wait_for(&format!("timeline: {} leak searches", searches + 1))
        };
        let row = row_of(&s, "handle_request (service.c:28)");
        assert_eq!(points(row), (searches + 1).min(8), "{row}");
        assert!(row.contains('↑'), "{row}");
    }

    let searches = timeline_len(&pty.contents());
    // q asks; n keeps it running.
    pty.send("q");
    pty.wait_for("service is still running. Stop it?");
    pty.send("n");
    pty.wait_for("The program keeps running");
    // q then y stops it: SIGINT, and valgrind's final report is shown.
    pty.send("q");
    pty.wait_for("Stop it?");
    pty.send("y");
    pty.wait_for("service exited 130");
    // valgrind's final report: one more search.
    pty.wait_for(&format!("timeline: {} leak searches", searches + 1));
    pty.send("q");
    let status = pty.wait_exit();
    assert!(status.success(), "{status:?}");
    let s = pty.contents();
    assert!(s.contains("the run is in"), "{s}");
    // The log stays: valgrind's own, with each snapshot marked in it and
    // its final report.
    let files = leakscope::parse::rundir::run_files(&out).unwrap();
    assert_eq!(files.logs.len(), 1);
    assert!(files.snapshots.is_empty());
    let log = std::fs::read_to_string(&files.logs[0]).unwrap();
    assert_eq!(log.matches(" leakscope-snapshot ").count(), taken, "{log}");
    assert!(log.contains("LEAK SUMMARY"), "{log}");
    assert!(log.contains("handle_request (service.c:28)"), "{log}");
}
