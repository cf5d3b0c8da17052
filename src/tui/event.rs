//! The one channel everything arrives on: terminal input, loader messages and
//! signals, each from its own thread.

use super::loader::LoadMsg;
use crossterm::event as ct;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
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
    /// Wakes the thread from its wait on the terminal (pause, stop).
    wake: Option<UnixStream>,
}

impl Input {
    pub fn spawn(tx: Sender<Event>) -> Input {
        let state = Arc::new((Mutex::new(PauseState::default()), Condvar::new()));
        let st = state.clone();
        let (wait, wake) = Wait::new().unzip();
        std::thread::Builder::new()
            .name("leakscope-input".into())
            .spawn(move || input_loop(&st, &tx, wait.as_ref()))
            .expect("spawning the input thread");
        Input { state, wake }
    }

    fn set(&self, f: impl FnOnce(&mut PauseState)) -> std::sync::MutexGuard<'_, PauseState> {
        let (m, cv) = &*self.state;
        let mut s = m.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        cv.notify_all();
        if let Some(mut w) = self.wake.as_ref() {
            let _ = w.write(&[1]);
        }
        s
    }

    pub fn pause(&self) {
        let mut s = self.set(|s| s.want = true);
        while !s.parked && !s.stop {
            s = self.state.1.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn resume(&self) {
        drop(self.set(|s| s.want = false));
    }

    pub fn stop(&self) {
        drop(self.set(|s| {
            s.stop = true;
            s.want = false;
        }));
    }
}

fn input_loop(state: &(Mutex<PauseState>, Condvar), tx: &Sender<Event>, wait: Option<&Wait>) {
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
        if !wait.map_or(true, Wait::wait) {
            continue;
        }
        // Ready: the terminal has input or was resized. crossterm is asked
        // with a short timeout, again until it has nothing more (it parses
        // several keys from one read: a paste, a held key).
        let timeout = if wait.is_some() { CT_DRAIN } else { POLL_EVERY };
        loop {
            match ct::poll(timeout) {
                Ok(true) => match ct::read() {
                    Ok(ev) => {
                        if tx.send(Event::Term(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => std::thread::sleep(POLL_EVERY),
                },
                Ok(false) => break,
                Err(_) => {
                    std::thread::sleep(POLL_EVERY);
                    break;
                }
            }
        }
    }
}

/// Without a terminal to wait on, how often crossterm is polled.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// How long crossterm is given to turn ready input into events. Its
/// `poll(timeout)` rounds what is left of a timeout down to whole
/// milliseconds and spins through the last one with zero-timeout polls, and
/// with a zero timeout it does not read at all: so it is only asked once the
/// terminal is known to be ready, never to wait.
const CT_DRAIN: Duration = Duration::from_millis(1);

/// What the input thread waits on while the explorer is idle: the terminal
/// crossterm reads keys from (stdin when it is one, else /dev/tty, as its
/// `use-dev-tty` source does), SIGWINCH, and a wake-up from `Input`. An idle
/// explorer makes no system call at all; a busy-polling one (crossterm's
/// `poll(50 ms)` in a loop) made about a thousand a second, 1% of a core.
struct Wait {
    tty: Option<std::fs::File>,
    winch: UnixStream,
    woken: UnixStream,
}

impl Wait {
    /// The wait, and the other end of its wake-up pipe (for `Input`).
    fn new() -> Option<(Wait, UnixStream)> {
        use std::io::IsTerminal;
        let tty = if std::io::stdin().is_terminal() {
            None
        } else {
            Some(std::fs::File::open("/dev/tty").ok()?)
        };
        let (winch, winch_tx) = UnixStream::pair().ok()?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, winch_tx).ok()?;
        let (woken, wake) = UnixStream::pair().ok()?;
        for s in [&winch, &woken] {
            s.set_nonblocking(true).ok()?;
        }
        Some((Wait { tty, winch, woken }, wake))
    }

    /// Blocks until the terminal has input or was resized (true), or
    /// `Input` wants the thread's attention (false).
    fn wait(&self) -> bool {
        use std::os::fd::AsRawFd;
        let fd = |raw| libc::pollfd {
            fd: raw,
            events: libc::POLLIN,
            revents: 0,
        };
        let tty = self.tty.as_ref().map_or(0, |f| f.as_raw_fd());
        let mut fds = [
            fd(tty),
            fd(self.winch.as_raw_fd()),
            fd(self.woken.as_raw_fd()),
        ];
        // SAFETY: three valid pollfds, their count 3; the fds are open for
        // the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 3, -1) };
        if r < 0 {
            return false; // EINTR: look again
        }
        for s in [&self.winch, &self.woken] {
            let mut buf = [0u8; 64];
            while matches!((&*s).read(&mut buf), Ok(n) if n > 0) {}
        }
        if fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
            // No terminal left to wait on: crossterm's own errors say why;
            // do not spin meanwhile.
            std::thread::sleep(POLL_EVERY);
        }
        fds[0].revents != 0 || fds[1].revents != 0
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
