//! End to end: `leakscope run` in the explorer, the real binary in a
//! pseudo-terminal with real valgrind on tests/fixtures/src/service.c. The
//! live tree fills as snapshots arrive, `p` adds a point to the sparklines,
//! and quitting while the program runs asks, stops it (valgrind still writes
//! its final report) and leaves the logs.
#![cfg(all(feature = "tui", unix))]

mod common;

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

struct Pty {
    _master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Pty {
    fn start(args: &[&str], cwd: &Path) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_leakscope"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.cwd(cwd);
        let child = pair.slave.spawn_command(cmd).unwrap();
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Pty {
            _master: pair.master,
            writer,
            child,
            screen,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits (valgrind is slow on a loaded machine) until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = self.contents();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }
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
    let mut pty = Pty::start(
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
        t.path(),
    );
    pty.wait_for("service running");
    pty.wait_for("0 snapshots (p)");
    // Valgrind has written its log (no leak search yet: it runs).
    pty.wait_for("No leak search ran");
    // Snapshots on the key until the tree fills with the per-request leak (a
    // snapshot while valgrind still starts the program finds no block).
    let mut taken = 0;
    let snap = |pty: &mut Pty, taken: &mut usize| {
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
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = pty.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "leakscope did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let s = pty.contents();
    assert!(s.contains("the run is in"), "{s}");
    // The logs stay: valgrind's own, with its final report, and the snapshots.
    let files = leakscope::parse::rundir::run_files(&out).unwrap();
    assert_eq!(files.logs.len(), 1);
    assert_eq!(files.snapshots.len(), taken);
    let log = std::fs::read_to_string(&files.logs[0]).unwrap();
    assert!(log.contains("LEAK SUMMARY"), "{log}");
    assert!(log.contains("handle_request (service.c:28)"), "{log}");
}
