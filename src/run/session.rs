//! One program under valgrind: started in its own process group (so a Ctrl-C
//! at the terminal reaches leakscope, which asks, not valgrind), watched by a
//! snapshot thread, stopped gently (SIGINT, then SIGTERM after a grace
//! period: valgrind still writes its final report either way).

use super::perfmaps::MapCollector;
use super::python::{self, PythonRun};
use super::snapshot::{Pending, SnapshotError};
use super::tools;
use crate::parse::rundir::run_files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How long valgrind gets after SIGINT before SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(3);

/// How long valgrind may take to end after SIGTERM before the user is told
/// it seems stuck and offered SIGKILL (a valgrind that asserted can wedge;
/// a big final report can also take this long, so nothing kills by itself).
pub const STUCK_AFTER: Duration = Duration::from_secs(15);

/// A round of snapshots is followed by at least this many times its
/// duration of the program running (so snapshots take at most a quarter of
/// its time).
pub const SNAPSHOT_SHARE: u32 = 3;

/// A round shorter than this is not spaced out (see `Snapshotter::spacing`).
pub const SLOW_ROUND: Duration = Duration::from_secs(5);

/// Default time a vgdb snapshot may take.
pub const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct RunSpec {
    pub program: String,
    pub args: Vec<String>,
    /// `--valgrind PATH`; `valgrind` on PATH otherwise.
    pub valgrind: Option<PathBuf>,
    /// `--valgrind-arg`s, after leakscope's own flags.
    pub valgrind_args: Vec<String>,
    /// The run directory, created already.
    pub dir: PathBuf,
    /// `--every`: snapshot interval.
    pub every: Option<Duration>,
    pub snapshot_timeout: Duration,
    /// Give the program leakscope's stdin (a pipe or file); otherwise it gets
    /// none, since the terminal belongs to the explorer or to Ctrl-C.
    pub inherit_stdin: bool,
    /// Set `PYTHONPERFSUPPORT=1` for a Python PROGRAM whose interpreter has
    /// perf trampolines (off with `--no-python-perf`).
    pub python_perf: bool,
}

/// What a run reports while it goes on.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// A snapshot was taken: valgrind printed it into the log at `path`.
    Snapshot { pid: u32, path: PathBuf },
    /// Something went wrong that does not stop the run (said once per kind).
    Warning(String),
    /// Worth knowing, nothing failed (snapshots spaced out, asked too early).
    Notice(String),
}

pub type EventSink = Arc<dyn Fn(RunEvent) + Send + Sync>;

pub struct Session {
    pub dir: PathBuf,
    /// The program as given, for status lines.
    pub program: String,
    pub started: Instant,
    child: Child,
    pid: u32,
    now: Option<Sender<()>>,
    snapshots: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    snapshotter: Option<JoinHandle<()>>,
    stop_asked: Option<Instant>,
    term_sent: Option<Instant>,
    exit: Option<ExitStatus>,
    /// When `exit` was seen.
    ended: Option<Instant>,
    has_vgdb: bool,
    events: EventSink,
    /// What was done for a Python PROGRAM ([`PythonRun::status`] says it).
    pub python: Option<PythonRun>,
    maps: MapCollector,
    maps_checked: Instant,
    maps_copied: usize,
}

impl Session {
    /// Checks that valgrind (and vgdb, when snapshots are due) and PROGRAM
    /// exist, then starts PROGRAM under valgrind with its output in the run
    /// directory.
    pub fn start(spec: &RunSpec, events: EventSink) -> Result<Session, String> {
        let valgrind = tools::find_valgrind(spec.valgrind.as_deref())?;
        let vgdb = match tools::find_vgdb(&valgrind) {
            Ok(v) => Some(v),
            Err(e) if spec.every.is_some() => return Err(e),
            Err(_) => None,
        };
        tools::check_program(&spec.program)?;
        let out_path = spec.dir.join(tools::PROGRAM_OUTPUT);
        let out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&out_path)
            .map_err(|e| format!("{}: {e}", out_path.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let python = python::plan(
            &spec.program,
            spec.python_perf,
            std::env::var_os(python::PERF_VAR).is_some(),
        );
        // Python's flags first, so the user's --valgrind-arg overrides them.
        let mut extra = python
            .as_ref()
            .map(PythonRun::valgrind_args)
            .unwrap_or_default();
        extra.extend(spec.valgrind_args.iter().cloned());
        let mut cmd = Command::new(&valgrind);
        if python.as_ref().is_some_and(|p| p.perf_set) {
            cmd.env(python::PERF_VAR, "1");
        }
        let started_at = SystemTime::now();
        cmd.args(tools::valgrind_args(&spec.dir, &extra))
            .arg(&spec.program)
            .args(&spec.args)
            .stdout(out)
            .stderr(err)
            .stdin(if spec.inherit_stdin {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("starting {}: {e}", valgrind.display()))?;
        let pid = child.id();
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let snapshots = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let has_vgdb = vgdb.is_some();
        let snapshotter = vgdb.map(|vgdb| {
            let worker = Snapshotter {
                vgdb,
                dir: spec.dir.clone(),
                pgid: pid,
                timeout: spec.snapshot_timeout,
                every: spec.every,
                taken: snapshots.clone(),
                done: done.clone(),
                events: events.clone(),
                seq: BTreeMap::new(),
                warned: Vec::new(),
                pending: BTreeMap::new(),
                started,
            };
            std::thread::Builder::new()
                .name("leakscope-snapshots".into())
                .spawn(move || worker.run(rx))
                .expect("spawning the snapshot thread")
        });
        Ok(Session {
            dir: spec.dir.clone(),
            program: spec.program.clone(),
            started,
            child,
            pid,
            now: Some(tx),
            snapshots,
            done,
            snapshotter,
            stop_asked: None,
            term_sent: None,
            ended: None,
            exit: None,
            has_vgdb,
            events,
            python,
            maps: MapCollector::new(&spec.dir, Path::new("/tmp"), started_at),
            maps_checked: Instant::now(),
            maps_copied: 0,
        })
    }

    /// Takes a snapshot of every live process now (the explorer's key).
    pub fn snapshot_now(&self) {
        if !self.has_vgdb {
            (self.events)(RunEvent::Warning(
                "no snapshot: vgdb is not installed (it comes with valgrind)".into(),
            ));
        } else if let Some(tx) = &self.now {
            let _ = tx.send(());
        }
    }

    pub fn snapshots_taken(&self) -> usize {
        self.snapshots.load(Ordering::Relaxed)
    }

    /// The exit status, once the program has ended.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.exit
    }

    /// Whether a stop was asked for (SIGINT sent).
    pub fn stopping(&self) -> bool {
        self.stop_asked.is_some()
    }

    /// Perf maps copied into the run directory so far.
    pub fn maps_copied(&self) -> usize {
        self.maps_copied
    }

    /// Checks whether valgrind ended, and sends SIGTERM once the grace after
    /// a stop has passed; keeps the perf maps of processes that ended. Call
    /// it often (every 50–100 ms).
    pub fn poll(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            if let Ok(Some(s)) = self.child.try_wait() {
                self.exit = Some(s);
                self.ended = Some(Instant::now());
                self.done.store(true, Ordering::Relaxed);
                self.now = None;
                self.keep_maps();
            } else if self.maps_checked.elapsed() >= Duration::from_secs(1) {
                self.keep_maps();
            }
        }
        if self.exit.is_none() && self.term_sent.is_none() {
            if let Some(t) = self.stop_asked {
                if t.elapsed() >= STOP_GRACE {
                    signal_group(self.pid, libc::SIGTERM);
                    self.term_sent = Some(Instant::now());
                }
            }
        }
        self.exit
    }

    /// Copies the perf maps of the run's processes that have ended.
    fn keep_maps(&mut self) {
        self.maps_checked = Instant::now();
        let (copied, problems) = self.maps.collect(|pid| !is_alive(pid));
        self.maps_copied += copied.len();
        for p in problems {
            (self.events)(RunEvent::Warning(p));
        }
    }

    /// Valgrind has not ended [`STUCK_AFTER`] after SIGTERM: say so and
    /// offer [`Session::kill`] (never done without the user: a slow final
    /// report would be lost).
    pub fn stuck(&self) -> bool {
        self.exit.is_none() && self.term_sent.is_some_and(|t| t.elapsed() >= STUCK_AFTER)
    }

    /// SIGKILL to valgrind's process group: the end of a valgrind that does
    /// not end otherwise. Its log keeps what it wrote so far.
    pub fn kill(&mut self) {
        if self.exit.is_none() {
            self.done.store(true, Ordering::Relaxed);
            signal_group(self.pid, libc::SIGKILL);
        }
    }

    /// How long the program has run (until it ended).
    pub fn elapsed(&self) -> Duration {
        self.ended.unwrap_or_else(Instant::now) - self.started
    }

    /// Stops the program: SIGINT to valgrind's process group now, SIGTERM
    /// after [`STOP_GRACE`] (sent by [`Session::poll`]).
    pub fn stop(&mut self) {
        if self.exit.is_none() && self.stop_asked.is_none() {
            // No new snapshot once a stop is asked: vgdb requests to a
            // valgrind that is writing its final report only delay it.
            self.done.store(true, Ordering::Relaxed);
            signal_group(self.pid, libc::SIGINT);
            self.stop_asked = Some(Instant::now());
        }
    }

    /// Waits for the program and the snapshot thread; returns the exit status.
    pub fn wait(mut self) -> ExitStatus {
        let status = loop {
            if let Some(s) = self.poll() {
                break s;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.finish();
        status
    }

    /// Joins the snapshot thread (after the program ended).
    pub fn finish(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        self.now = None;
        if let Some(h) = self.snapshotter.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Session {
    /// A session dropped while valgrind runs (an error, a panic) stops it the
    /// gentle way and does not wait: the logs stay in the run directory.
    fn drop(&mut self) {
        if self.exit.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            signal_group(self.pid, libc::SIGINT);
        }
        self.done.store(true, Ordering::Relaxed);
        self.now = None;
    }
}

/// The exit code a shell would report: the code, or 128 + signal.
pub fn exit_code(s: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code()
        .or_else(|| s.signal().map(|n| 128 + n))
        .unwrap_or(1)
}

fn signal_group(pgid: u32, sig: i32) {
    // SAFETY: kill(2) with a negative PID signals that process group; no
    // memory is involved.
    unsafe {
        libc::kill(-(pgid as i32), sig);
    }
}

/// Whether `pid` is a process that still runs (not a zombie).
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) S …`: the state follows the last `)`.
        Ok(s) => s
            .rfind(')')
            .and_then(|i| s[i + 1..].trim_start().chars().next())
            .is_some_and(|c| c != 'Z' && c != 'X'),
        // SAFETY: kill(pid, 0) only checks that the process exists.
        Err(_) => unsafe { libc::kill(pid as i32, 0) == 0 },
    }
}

fn in_group(pid: u32, pgid: u32) -> bool {
    // SAFETY: getpgid(2) reads the process group of a PID.
    unsafe { libc::getpgid(pid as i32) == pgid as i32 }
}

struct Snapshotter {
    vgdb: PathBuf,
    dir: PathBuf,
    pgid: u32,
    timeout: Duration,
    every: Option<Duration>,
    taken: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    events: EventSink,
    seq: BTreeMap<u32, u32>,
    /// Kinds of failure warned about already (said once per run).
    warned: Vec<&'static str>,
    /// Snapshots vgdb is still working on, by PID.
    pending: BTreeMap<u32, Pending>,
    /// When valgrind was started: the clock of its `--time-stamp=yes`
    /// prefixes, in which a snapshot's marker says when it was asked for.
    started: Instant,
}

impl Snapshotter {
    fn run(mut self, now: Receiver<()>) {
        let mut next = self.every.map(|e| Instant::now() + e);
        loop {
            let wait = next.map_or(Duration::from_secs(3600), |t| {
                t.saturating_duration_since(Instant::now())
            });
            match now.recv_timeout(wait) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) if next.is_none() => continue,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return self.end(),
            }
            if self.done.load(Ordering::Relaxed) {
                return self.end();
            }
            let started = Instant::now();
            self.round();
            next = self
                .every
                .map(|e| Instant::now() + self.spacing(e, started.elapsed()));
        }
    }

    /// The wait after a round that took `took`. A leak search stops the
    /// program while valgrind runs it (a Numba service's takes 20–30 s under
    /// load), so the wait is at least [`SNAPSHOT_SHARE`] times the round:
    /// the program keeps most of its time instead of being searched back to
    /// back (which starved the Numba trial; the user is told once).
    fn spacing(&mut self, every: Duration, took: Duration) -> Duration {
        let floor = took * SNAPSHOT_SHARE;
        // A quick round is mostly vgdb waiting for valgrind to notice it,
        // while the program runs on: only long searches are spaced out.
        if took < SLOW_ROUND || floor <= every {
            return every;
        }
        if !self.warned.contains(&"slow") && !self.done.load(Ordering::Relaxed) {
            self.warned.push("slow");
            (self.events)(RunEvent::Notice(format!(
                "a snapshot took {:.0} s (the program stops while valgrind searches): snapshots are now {:.0}+ s apart so it can run",
                took.as_secs_f64(),
                floor.as_secs_f64()
            )));
        }
        floor
    }

    /// One snapshot of every live process of the run. A process whose vgdb
    /// is still at an earlier snapshot (served late) is not asked again.
    fn round(&mut self) {
        self.reap();
        let pids = live_pids(&self.dir, self.pgid);
        // Asked before valgrind has started the program (no log yet): say
        // so rather than nothing.
        if pids.is_empty() && !self.warned.contains(&"early") && !self.done.load(Ordering::Relaxed)
        {
            self.warned.push("early");
            (self.events)(RunEvent::Notice(
                "no snapshot: valgrind has not started the program yet (no valgrind.PID.log); ask again in a moment".into(),
            ));
        }
        let mut asked = Vec::new();
        for pid in pids {
            if self.done.load(Ordering::Relaxed) {
                return;
            }
            if self.pending.contains_key(&pid) {
                continue;
            }
            let seq = self.seq.entry(pid).or_insert(0);
            *seq += 1;
            let asked_s = self.started.elapsed().as_secs_f64();
            match Pending::start(&self.vgdb, pid, *seq, asked_s) {
                Ok(p) => {
                    self.pending.insert(pid, p);
                    asked.push(pid);
                }
                Err(e) => self.failed(pid, e),
            }
        }
        for pid in asked {
            let Some(p) = self.pending.get_mut(&pid) else {
                continue;
            };
            match p.wait(self.timeout) {
                Some(result) => {
                    self.pending.remove(&pid);
                    self.finished(pid, result);
                }
                // Left to finish (see `Pending`): said once.
                None => self.failed(pid, SnapshotError::TimedOut(self.timeout)),
            }
        }
    }

    /// Counts the late snapshots whose vgdb has finished since.
    fn reap(&mut self) {
        let done: Vec<(u32, Result<(), SnapshotError>)> = self
            .pending
            .iter_mut()
            .filter_map(|(&pid, p)| p.poll().map(|r| (pid, r)))
            .collect();
        for (pid, result) in done {
            self.pending.remove(&pid);
            self.finished(pid, result);
        }
    }

    fn finished(&mut self, pid: u32, result: Result<(), SnapshotError>) {
        match result {
            Ok(()) => {
                self.taken.fetch_add(1, Ordering::Relaxed);
                let path = self.dir.join(format!("valgrind.{pid}.log"));
                (self.events)(RunEvent::Snapshot { pid, path });
            }
            Err(SnapshotError::Gone) => {}
            Err(e) => self.failed(pid, e),
        }
    }

    /// Says once per kind that a snapshot failed (a warning) or is late (a
    /// notice: nothing is lost, it lands in the log when valgrind serves it).
    fn failed(&mut self, pid: u32, e: SnapshotError) {
        let kind = match e {
            SnapshotError::TimedOut(_) => "timeout",
            SnapshotError::Gone => return,
            SnapshotError::Failed(_) => "failed",
        };
        if self.warned.contains(&kind) || self.done.load(Ordering::Relaxed) {
            return;
        }
        self.warned.push(kind);
        (self.events)(match e {
            SnapshotError::TimedOut(_) => {
                RunEvent::Notice(format!("snapshot of PID {pid} is late: {e}"))
            }
            _ => RunEvent::Warning(format!(
                "snapshot of PID {pid} failed: {e}; the run goes on and keeps its final report"
            )),
        });
    }

    /// The run is over: counts what finished, ends the vgdbs still waiting.
    fn end(&mut self) {
        self.reap();
        for (_, p) in std::mem::take(&mut self.pending) {
            p.end();
        }
    }
}

/// The run's processes that are still alive: each has a log in the run
/// directory and belongs to valgrind's process group.
fn live_pids(dir: &Path, pgid: u32) -> Vec<u32> {
    let Ok(files) = run_files(dir) else {
        return Vec::new();
    };
    files
        .logs
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            name.strip_prefix("valgrind.")?
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .filter(|&pid| is_alive(pid) && in_group(pid, pgid))
        .collect()
}
