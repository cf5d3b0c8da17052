//! A live `leakscope run` as the explorer sees it: what the status line says
//! about the program, the snapshot key, and the prompt that asks before
//! stopping it. The session itself (`crate::run::Session`) belongs to the run
//! loop, which reports its state here as [`RunTick`]s and performs the
//! effects (snapshot, stop, kill).

use super::{App, Overlay};
use crate::tui::action::{Cmd, Effect};

/// The session's state, as the run loop last saw it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTick {
    /// Whole seconds since the program started.
    pub elapsed_s: u64,
    /// Snapshots saved so far (every process counts).
    pub snapshots: usize,
    /// The exit code once valgrind has ended (128 + N after signal N).
    pub exit: Option<i32>,
    /// A stop was asked (SIGINT sent; SIGTERM follows after the grace).
    pub stopping: bool,
    /// Valgrind has not ended long after SIGTERM: the user may kill it.
    pub stuck: bool,
}

/// What the explorer shows of a live run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunState {
    /// The program as given (sanitized).
    pub program: String,
    pub tick: RunTick,
    /// The first snapshot failure (warned once, kept in the status line).
    pub warning: Option<String>,
}

impl RunState {
    pub fn new(program: &str) -> RunState {
        RunState {
            program: crate::sanitize::sanitize(program).into_owned(),
            ..RunState::default()
        }
    }

    /// The program is still running.
    pub fn live(&self) -> bool {
        self.tick.exit.is_none()
    }
}

impl App {
    /// The run loop's latest view of the session.
    pub(crate) fn run_tick(&mut self, tick: RunTick) -> Effect {
        let Some(run) = self.run.as_mut() else {
            return Effect::None;
        };
        if run.tick == tick {
            return Effect::None;
        }
        let was = run.tick;
        run.tick = tick;
        if let (None, Some(code)) = (was.exit, tick.exit) {
            // Nothing left to stop: a pending prompt has no object.
            if self.overlay == Overlay::StopRun {
                self.overlay = Overlay::None;
            }
            let program = self.run.as_ref().map_or("", |r| r.program.as_str());
            self.say(format!(
                "{program} exited with status {code}; valgrind's final report follows"
            ));
        } else if tick.stuck && !was.stuck {
            self.warn(
                "valgrind has not exited after SIGTERM: K kills it (SIGKILL; its final report may be lost)",
            );
        }
        Effect::Redraw
    }

    /// A snapshot failed (the session says so once per kind of failure).
    pub(crate) fn run_warning(&mut self, text: String) -> Effect {
        if let Some(run) = self.run.as_mut() {
            run.warning.get_or_insert_with(|| text.clone());
        }
        self.warn(text);
        Effect::Redraw
    }

    /// `p`: a snapshot of every live process now.
    pub(crate) fn snapshot_now(&mut self) -> Effect {
        match &self.run {
            Some(r) if r.live() && !r.tick.stopping => {
                self.say("Taking a snapshot (vgdb leak search of every live process)…");
                Effect::Snapshot
            }
            Some(_) => {
                self.warn("The program has ended (or is stopping): no snapshot to take");
                Effect::Redraw
            }
            None => {
                self.warn("p takes a snapshot of a program under `leakscope run`");
                Effect::Redraw
            }
        }
    }

    /// `q` / Ctrl-C: quits, but asks first while the program runs.
    pub(crate) fn quit(&mut self) -> Effect {
        match &self.run {
            Some(r) if r.live() && !r.tick.stopping => {
                self.overlay = Overlay::StopRun;
                Effect::Redraw
            }
            _ => Effect::Quit,
        }
    }

    /// The stop prompt's keys: `y` stops the program and stays to show its
    /// final report, `q` stops it and quits, anything else keeps it running.
    pub(crate) fn stop_command(&mut self, cmd: Cmd) -> Effect {
        self.overlay = Overlay::None;
        match cmd {
            Cmd::StopRun => {
                self.say(format!(
                    "Stopping {}: SIGINT sent, SIGTERM follows after {} s; valgrind writes its final report",
                    self.run.as_ref().map_or("", |r| r.program.as_str()),
                    crate::run::session::STOP_GRACE.as_secs()
                ));
                Effect::StopRun
            }
            Cmd::Quit => Effect::Quit,
            _ => {
                self.say("The program keeps running");
                Effect::Redraw
            }
        }
    }

    /// `K`: kill valgrind when it did not end after SIGTERM.
    pub(crate) fn kill_run(&mut self) -> Effect {
        match &self.run {
            Some(r) if r.live() && r.tick.stuck => {
                self.warn("Killing valgrind (SIGKILL): what its log holds so far stays");
                Effect::KillRun
            }
            _ => {
                self.warn("K kills valgrind only when it does not end after a stop");
                Effect::Redraw
            }
        }
    }
}
