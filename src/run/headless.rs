//! Running a program to the end without the explorer (`--no-explore`, CI):
//! snapshots as asked, warnings on stderr, Ctrl-C asks before stopping.

use super::session::{RunEvent, RunSpec, Session};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Signals that ask leakscope to stop the program.
struct StopSignals {
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

impl StopSignals {
    fn register() -> StopSignals {
        let int = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        if let Ok(id) = signal_hook::flag::register(libc::SIGINT, int.clone()) {
            ids.push(id);
        }
        for sig in [libc::SIGTERM, libc::SIGHUP] {
            if let Ok(id) = signal_hook::flag::register(sig, term.clone()) {
                ids.push(id);
            }
        }
        StopSignals { int, term, ids }
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Runs `spec` to the end. The first Ctrl-C asks, the second stops the
/// program (SIGINT, then SIGTERM after the grace period); SIGTERM or SIGHUP
/// stop it at once. Valgrind writes its final report either way.
pub fn run_to_end(spec: &RunSpec) -> Result<ExitStatus, String> {
    let sink: super::session::EventSink = Arc::new(|e| match e {
        RunEvent::Warning(w) => eprintln!("leakscope: warning: {w}"),
        RunEvent::Notice(n) => eprintln!("leakscope: {n}"),
        RunEvent::Snapshot { .. } => {}
    });
    let signals = StopSignals::register();
    let session = Session::start(spec, sink)?;
    eprintln!(
        "leakscope: running {} under valgrind; logs in {}",
        crate::sanitize::sanitize(&spec.program),
        spec.dir.display()
    );
    if let Some(py) = &session.python {
        eprintln!("leakscope: {}", crate::sanitize::sanitize(&py.status()));
    }
    Ok(supervise(session, &signals))
}

/// Stops a session the explorer left running (the user quit while the
/// program ran) and waits for valgrind's final report on the plain
/// terminal, Ctrl-C offering SIGKILL only when valgrind seems stuck.
pub fn stop_and_wait(mut session: Session) -> ExitStatus {
    let signals = StopSignals::register();
    if session.exit_status().is_none() {
        eprintln!(
            "leakscope: stopping {} (SIGINT, SIGTERM after {} s); waiting for valgrind's final report in {}",
            crate::sanitize::sanitize(&session.program),
            super::session::STOP_GRACE.as_secs(),
            session.dir.display()
        );
        session.stop();
    }
    supervise(session, &signals)
}

/// Waits for the program to end. The first Ctrl-C asks, the second stops
/// it; SIGTERM or SIGHUP stop it at once. Once valgrind has not ended long
/// after SIGTERM, the user is told and Ctrl-C kills it: `run` never waits
/// forever without saying so, and never drops a slow final report unasked.
fn supervise(mut session: Session, signals: &StopSignals) -> ExitStatus {
    let mut asked = false;
    let mut told_stuck = false;
    let status = loop {
        if let Some(s) = session.poll() {
            break s;
        }
        if session.stuck() && !told_stuck {
            told_stuck = true;
            eprintln!(
                "leakscope: valgrind has not exited {} s after SIGTERM; press Ctrl-C to kill it (SIGKILL: its final report may be lost), or wait",
                super::session::STUCK_AFTER.as_secs()
            );
        }
        if signals.term.swap(false, Ordering::Relaxed) {
            stop(&mut session);
        }
        if signals.int.swap(false, Ordering::Relaxed) {
            if told_stuck {
                eprintln!("leakscope: killing valgrind (SIGKILL)");
                session.kill();
            } else if session.stopping() {
                eprintln!(
                    "leakscope: waiting for valgrind's final report (SIGTERM follows after {} s)",
                    super::session::STOP_GRACE.as_secs()
                );
            } else if asked {
                stop(&mut session);
            } else {
                asked = true;
                eprintln!(
                    "leakscope: {} is still running. Stop it? Press Ctrl-C again to stop it (valgrind writes its final report)",
                    crate::sanitize::sanitize(&session.program)
                );
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    session.finish();
    status
}

fn stop(session: &mut Session) {
    if !session.stopping() {
        eprintln!("leakscope: stopping the program (SIGINT; valgrind writes its final report)");
        session.stop();
    }
}
