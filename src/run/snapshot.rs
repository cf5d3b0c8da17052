//! One vgdb snapshot: `vgdb --pid=N leak_check full reachable any` prints a
//! full leak search of the live process (with its `==PID==` prefixes and time
//! stamps), which is saved in the run directory as an ordinary valgrind text
//! log that `parse::rundir` reads back.

use crate::parse::rundir::snapshot_name;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why a snapshot was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// The process ended meanwhile: nothing to warn about.
    Gone,
    /// vgdb did not answer in time (a process blocked in a long system call
    /// with ptrace not permitted answers only when it next polls).
    TimedOut(Duration),
    /// vgdb failed: its own words.
    Failed(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Gone => f.write_str("the process has ended"),
            SnapshotError::TimedOut(d) => write!(
                f,
                "vgdb did not answer within {} s (process busy in a long system call, or ptrace not permitted: see /proc/sys/kernel/yama/ptrace_scope)",
                d.as_secs_f64()
            ),
            SnapshotError::Failed(m) => write!(f, "vgdb failed: {m}"),
        }
    }
}

/// Asks vgdb for a full leak search of `pid` and saves it as snapshot `seq`
/// in `dir`. The file appears whole (written beside, then linked in), and an
/// existing file is never replaced.
pub fn take(
    vgdb: &Path,
    dir: &Path,
    pid: u32,
    seq: u32,
    timeout: Duration,
) -> Result<PathBuf, SnapshotError> {
    let final_path = dir.join(snapshot_name(pid, seq));
    let part = dir.join(format!(".{}.part", snapshot_name(pid, seq)));
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&part)
        .map_err(|e| SnapshotError::Failed(format!("{}: {e}", part.display())))?;
    let result = run_vgdb(vgdb, pid, out, timeout);
    let result = result.and_then(|()| {
        let text = std::fs::read(&part).unwrap_or_default();
        if memchr::memmem::find(&text, b"LEAK SUMMARY").is_none()
            && memchr::memmem::find(&text, b"All heap blocks were freed").is_none()
        {
            return Err(SnapshotError::Failed(
                "its answer held no leak search".to_string(),
            ));
        }
        std::fs::hard_link(&part, &final_path)
            .map_err(|e| SnapshotError::Failed(format!("{}: {e}", final_path.display())))
    });
    let _ = std::fs::remove_file(&part);
    result.map(|()| final_path)
}

fn run_vgdb(
    vgdb: &Path,
    pid: u32,
    out: std::fs::File,
    timeout: Duration,
) -> Result<(), SnapshotError> {
    let mut child = Command::new(vgdb)
        .arg(format!("--pid={pid}"))
        .args(["leak_check", "full", "reachable", "any"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SnapshotError::Failed(format!("{}: {e}", vgdb.display())))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(if super::session::is_alive(pid) {
                    SnapshotError::TimedOut(timeout)
                } else {
                    SnapshotError::Gone
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(SnapshotError::Failed(e.to_string())),
        }
    };
    if status.success() {
        return Ok(());
    }
    if !super::session::is_alive(pid) {
        return Err(SnapshotError::Gone);
    }
    let mut err = String::new();
    if let Some(e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.take(4096).read_to_string(&mut err);
    }
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("sending command"))
        .unwrap_or("no message")
        .to_string();
    Err(SnapshotError::Failed(
        crate::sanitize::sanitize(&last).into_owned(),
    ))
}
