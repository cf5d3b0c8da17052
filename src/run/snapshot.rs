//! One vgdb snapshot: valgrind is told to print into its own log
//! (`v.set log_output`), prints a marker line (`v.info n_errs_found MARK`,
//! see `parse::marks`) and then a full leak search of the live process
//! (`leak_check full reachable any`), then goes back to answering vgdb
//! (`v.set mixed_output`, valgrind's default). The search is an ordinary part
//! of `valgrind.PID.log`, which `parse::rundir` reads back, the marker
//! telling it from a client request.
//!
//! Streaming the search to vgdb instead (its default) costs about 3× the
//! time during which the program is stopped, and a vgdb that gives up while
//! it streams cuts the search in two (the rest goes to the log). In the log,
//! a search asked for by a vgdb that timed out still arrives whole, late.

use crate::parse::marks::marker_text;
use std::path::Path;
use std::process::{Child, Command, Stdio};
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
                "vgdb did not answer within {} s (process busy in a long system call, or ptrace not permitted: see /proc/sys/kernel/yama/ptrace_scope); vgdb is left to finish, and the search lands in the log late, marked with the time it was asked for",
                d.as_secs_f64()
            ),
            SnapshotError::Failed(m) => write!(f, "vgdb failed: {m}"),
        }
    }
}

/// The vgdb commands of snapshot `seq`, asked for `asked_s` seconds after
/// valgrind started.
pub fn commands(seq: u32, asked_s: f64) -> Vec<String> {
    [
        "v.set log_output".to_string(),
        format!("v.info n_errs_found {}", marker_text(seq, asked_s)),
        "leak_check full reachable any".to_string(),
        "v.set mixed_output".to_string(),
    ]
    .into_iter()
    .flat_map(|c| ["-c".to_string(), c])
    .collect()
}

/// A snapshot vgdb is working on. It is never killed while the process
/// lives: a vgdb killed while valgrind answers it makes valgrind's next
/// write to it fail, and that SIGPIPE can end the program (seen with
/// valgrind 3.19). A slow one is left to finish: its search lands in the
/// log, late, marked with the time it was asked for.
pub struct Pending {
    child: Child,
    pub pid: u32,
    started: Instant,
}

impl Pending {
    /// Asks vgdb for snapshot `seq` of `pid`, asked for `asked_s` seconds
    /// after valgrind started: a marked leak search in the process's log.
    pub fn start(vgdb: &Path, pid: u32, seq: u32, asked_s: f64) -> Result<Pending, SnapshotError> {
        let child = Command::new(vgdb)
            .arg(format!("--pid={pid}"))
            .args(commands(seq, asked_s))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SnapshotError::Failed(format!("{}: {e}", vgdb.display())))?;
        Ok(Pending {
            child,
            pid,
            started: Instant::now(),
        })
    }

    /// How long vgdb has been at it.
    pub fn waited(&self) -> Duration {
        self.started.elapsed()
    }

    /// `None` while vgdb runs; then whether the snapshot was taken.
    pub fn poll(&mut self) -> Option<Result<(), SnapshotError>> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) if status.success() => Some(Ok(())),
            Ok(Some(_)) if !super::session::is_alive(self.pid) => Some(Err(SnapshotError::Gone)),
            Ok(Some(_)) => Some(Err(SnapshotError::Failed(self.last_words()))),
            Err(e) => Some(Err(SnapshotError::Failed(e.to_string()))),
        }
    }

    /// Waits up to `timeout` (from the start) for vgdb: `None` when it is
    /// still running then.
    pub fn wait(&mut self, timeout: Duration) -> Option<Result<(), SnapshotError>> {
        loop {
            if let Some(r) = self.poll() {
                return Some(r);
            }
            if self.waited() >= timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends a vgdb still waiting when the run ends (valgrind is gone or
    /// being stopped, so no search is lost).
    pub fn end(mut self) {
        if self.poll().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// vgdb's last line on stderr (not its `sending command` chatter).
    fn last_words(&mut self) -> String {
        let mut err = String::new();
        if let Some(e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.take(4096).read_to_string(&mut err);
        }
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("sending command"))
            .unwrap_or("no message");
        crate::sanitize::sanitize(last).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_a_marked_search_in_the_log_then_vgdb_gets_its_output_back() {
        assert_eq!(
            commands(3, 12.5),
            [
                "-c",
                "v.set log_output",
                "-c",
                "v.info n_errs_found leakscope-snapshot 3 asked-at 12.500",
                "-c",
                "leak_check full reachable any",
                "-c",
                "v.set mixed_output"
            ]
        );
    }
}
