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
        RunEvent::Snapshot { .. } => {}
    });
    let signals = StopSignals::register();
    let mut session = Session::start(spec, sink)?;
    eprintln!(
        "leakscope: running {} under valgrind; logs in {}",
        crate::sanitize::sanitize(&spec.program),
        spec.dir.display()
    );
    if let Some(py) = &session.python {
        eprintln!("leakscope: {}", crate::sanitize::sanitize(&py.status()));
    }
    let mut asked = false;
    let status = loop {
        if let Some(s) = session.poll() {
            break s;
        }
        if signals.term.swap(false, Ordering::Relaxed) {
            stop(&mut session);
        }
        if signals.int.swap(false, Ordering::Relaxed) {
            if session.stopping() {
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
                    crate::sanitize::sanitize(&spec.program)
                );
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    session.finish();
    drop(signals);
    Ok(status)
}

fn stop(session: &mut Session) {
    if !session.stopping() {
        eprintln!("leakscope: stopping the program (SIGINT; valgrind writes its final report)");
        session.stop();
    }
}
