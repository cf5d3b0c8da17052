//! The one channel everything arrives on: terminal input, loader messages and
//! signals, each from its own thread.

use super::loader::LoadMsg;
use crossterm::event as ct;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub enum Event {
    Term(ct::Event),
    Load(LoadMsg),
    /// SIGTERM, SIGHUP, SIGINT or SIGQUIT: leave now, restoring the terminal.
    Signal(i32),
    /// SIGTSTP from outside (`kill -TSTP`): suspend as Ctrl-Z does.
    Suspend,
    /// A background job's answer (`jobs.rs`): a built model, reloaded rules,
    /// or why not.
    Job(super::Action),
    /// `leakscope run`: what the session reports (a snapshot saved, a
    /// snapshot that failed).
    Run(crate::run::RunEvent),
}

#[derive(Default)]
struct PauseState {
    want: bool,
    parked: bool,
    stop: bool,
}

/// The input thread. It can be paused, so that an editor started from the
/// explorer gets every keystroke: `pause` returns only once the thread is
/// parked outside `poll`/`read`.
pub struct Input {
    state: Arc<(Mutex<PauseState>, Condvar)>,
}

impl Input {
    pub fn spawn(tx: Sender<Event>) -> Input {
        let state = Arc::new((Mutex::new(PauseState::default()), Condvar::new()));
        let st = state.clone();
        std::thread::Builder::new()
            .name("leakscope-input".into())
            .spawn(move || input_loop(&st, &tx))
            .expect("spawning the input thread");
        Input { state }
    }

    pub fn pause(&self) {
        let (m, cv) = &*self.state;
        let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
        s.want = true;
        while !s.parked && !s.stop {
            s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn resume(&self) {
        let (m, cv) = &*self.state;
        let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
        s.want = false;
        cv.notify_all();
    }

    pub fn stop(&self) {
        let (m, cv) = &*self.state;
        let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
        s.stop = true;
        s.want = false;
        cv.notify_all();
    }
}

fn input_loop(state: &(Mutex<PauseState>, Condvar), tx: &Sender<Event>) {
    let (m, cv) = state;
    loop {
        {
            let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
            if s.want {
                s.parked = true;
                cv.notify_all();
                while s.want && !s.stop {
                    s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                s.parked = false;
            }
            if s.stop {
                return;
            }
        }
        match ct::poll(Duration::from_millis(50)) {
            Ok(true) => match ct::read() {
                Ok(ev) => {
                    if tx.send(Event::Term(ev)).is_err() {
                        return;
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            },
            Ok(false) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Forwards termination signals, and SIGTSTP, into the channel (caught, so
/// that the terminal is restored before the process stops).
pub fn spawn_signals(tx: Sender<Event>) -> std::io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("leakscope-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let ev = match sig {
                    // The terminal is an editor's or pager's (its job got
                    // ^Z): stop with it now, as SIGTSTP's default would, so
                    // the shell sees the whole job stopped.
                    SIGTSTP if !super::terminal::is_active() => {
                        let _ = signal_hook::low_level::emulate_default_handler(SIGTSTP);
                        continue;
                    }
                    SIGTSTP => Event::Suspend,
                    sig => Event::Signal(sig),
                };
                if tx.send(ev).is_err() {
                    break;
                }
            }
        })?;
    Ok(handle)
}
