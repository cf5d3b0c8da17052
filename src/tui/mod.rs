//! The explorer: `leakscope FILE` in a terminal.
//!
//! One loop: events (keys, mouse, resize, loader snapshots, signals) arrive on
//! one channel; a key becomes an action through the keymap table;
//! [`App::update`] turns the action into state changes and an [`Effect`]; the
//! loop performs the effect (quit, editor, clipboard) and draws if anything
//! changed. Drawing never changes state and `update` never draws.

pub mod action;
pub mod app;
mod clipboard;
pub mod cursor;
mod editor;
pub mod event;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod loader;
pub mod pager;
pub mod rules_io;
pub mod terminal;
pub mod view;

// The model moved to `crate::explore`; these keep the old paths working.
pub use crate::explore::{detail, filter, frames, hide, index, places, projection, tree};

pub use action::{Action, Cmd, Effect};
pub use app::App;
pub use view::theme::Theme;

use crate::model::Format;
use crate::triage::rules::{RuleOptions, RuleSet};
use anyhow::{bail, Context, Result};
use crossterm::event::{Event as TermEvent, MouseButton, MouseEventKind};
use event::{Event, Input};
use loader::{LoadMsg, LoadSpec};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use terminal::TerminalGuard;

pub struct Options {
    /// The logs (several: a `--log-file=run.%p` set, read as `summary` does);
    /// none reads stdin when it is not a terminal.
    pub files: Vec<String>,
    pub format: Option<Format>,
    pub follow: bool,
    /// Rules that hide benign records (loaded by the caller).
    pub rules: RuleSet,
    /// Where `rules` came from: L loads them again from there.
    pub rule_options: RuleOptions,
    /// `--baseline BASE`: an earlier run to show growth against.
    pub baseline: Option<String>,
    /// `--source-dir DIR`: where `e` looks for the sources a log names.
    pub source_dirs: Vec<std::path::PathBuf>,
    /// `--perf-map` and where else to look for perf maps.
    pub perf_maps: crate::parse::perfmap::find::MapOptions,
    /// `leakscope run`: the program to run under valgrind, live; `files` is
    /// then its run directory, followed.
    pub run: Option<crate::run::RunSpec>,
}

/// Runs the explorer; returns the exit code (128 + N after signal N).
pub fn run(mut opts: Options) -> Result<i32> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "the explorer draws on a terminal and stdout is not one; \
             for text output run `leakscope summary FILE`"
        );
    }
    let paths = if !opts.files.is_empty() {
        opts.files
    } else if !std::io::stdin().is_terminal() {
        vec!["-".to_string()]
    } else {
        bail!("no log to explore: run `leakscope FILE`, or pipe one in (`leakscope - < run.log`)")
    };
    if opts.follow && paths.len() > 1 {
        bail!("--follow needs one file that valgrind is writing, not several files");
    }
    // `--follow -` is what a pipe always gets: read as it arrives until it
    // closes (parse::live); there is no file to re-read.
    if paths[0] == "-" {
        opts.follow = false;
    }
    // Opened before the terminal changes, so a missing file is a plain error
    // (except with --follow: the loader waits for valgrind to create it).
    let waiting = opts.follow && !std::path::Path::new(&paths[0]).exists();
    // A `leakscope run` directory: its logs with all their snapshots.
    let run_dir = std::path::Path::new(&paths[0]).is_dir();
    if run_dir && paths.len() > 1 {
        bail!("a run directory is opened alone: run `leakscope DIR`");
    }
    if run_dir && !opts.follow && !crate::parse::rundir::is_run_dir(std::path::Path::new(&paths[0]))
    {
        bail!(
            "{} holds no valgrind.PID.log: not a `leakscope run` directory",
            crate::sanitize::sanitize(&paths[0])
        );
    }
    let srcs = paths
        .iter()
        .filter(|_| !waiting && !run_dir)
        .map(|p| {
            // A pipe is shown as it arrives (parse::live).
            crate::parse::source::open(p).map(|mut src| {
                src.live = p == "-";
                src
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let live = paths[0] == "-";
    let name = match paths.len() {
        1 => paths[0].clone(),
        n => format!("{} (+{} more)", paths[0], n - 1),
    };
    let (tx, rx) = mpsc::channel();
    // Started before the terminal changes: valgrind missing or PROGRAM not
    // found is a plain error.
    let session = match &opts.run {
        Some(spec) => {
            let to_ui = tx.clone();
            let sink: crate::run::session::EventSink = Arc::new(move |e| {
                let _ = to_ui.send(Event::Run(e));
            });
            Some(crate::run::Session::start(spec, sink).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let rules = Arc::new(opts.rules);
    loader::spawn(
        srcs,
        LoadSpec {
            paths,
            format: opts.format,
            follow: opts.follow,
            rules: rules.clone(),
            baseline: opts.baseline.clone(),
            perf_maps: opts.perf_maps.clone(),
            run_dir,
        },
        tx.clone(),
        stop.clone(),
    );
    let mut guard = TerminalGuard::enter().context("setting up the terminal")?;
    let input = Input::spawn(tx.clone());
    let signals = event::spawn_signals(tx.clone()).context("installing signal handlers")?;
    let size = guard.terminal.size()?;
    let mut app = App::new(
        &name,
        Theme::from_env(),
        (size.width, size.height),
        opts.follow,
    )
    .with_rules(rules);
    app.live = live;
    app.run = opts.run.as_ref().map(|r| app::RunState::new(&r.program));
    app.baseline = opts
        .baseline
        .as_deref()
        .map(|b| crate::sanitize::sanitize(b).into_owned());
    // A suppression goes to the user's rules file by default, or to a
    // --suppressions file.
    app.supp_targets = opts
        .rule_options
        .user_file
        .iter()
        .chain(&opts.rule_options.files)
        .cloned()
        .collect();
    // A Python PROGRAM: what was turned on, what it costs, what to expect.
    if let Some(py) = session.as_ref().and_then(|s| s.python.as_ref()) {
        app.update(Action::Notify(
            crate::sanitize::sanitize(&py.status()).into_owned(),
        ));
    }
    let mut io = LoopIo {
        source_dirs: opts.source_dirs,
        files: rules_io::RuleFiles::read(&app.supp_targets),
        rule_options: opts.rule_options,
        jobs: jobs::Jobs::spawn(tx.clone()),
        session,
    };
    let result = event_loop(&mut app, &mut guard, &rx, &input, &mut io);
    stop.store(true, Ordering::Relaxed);
    input.stop();
    signals.close();
    drop(guard);
    // Quit while the program ran: stop it on the plain terminal and wait for
    // valgrind's final report (the logs stay either way).
    if let Some(mut session) = io.session.take() {
        session.poll();
        let dir = session.dir.clone();
        let status = if session.exit_status().is_none() {
            crate::run::headless::stop_and_wait(session)
        } else {
            session.finish();
            session.exit_status().expect("ended")
        };
        eprintln!(
            "leakscope: the program exited with status {}; the run is in {} (reopen it with `leakscope {}`)",
            crate::run::exit_code(status),
            dir.display(),
            dir.display()
        );
    }
    result
}

/// What the run loop needs to perform effects: the editor's source dirs and
/// the rules files.
struct LoopIo {
    source_dirs: Vec<std::path::PathBuf>,
    files: rules_io::RuleFiles,
    rule_options: RuleOptions,
    /// Background work: building snapshots into the model, reloading rules.
    jobs: jobs::Jobs,
    /// `leakscope run`: the program under valgrind.
    session: Option<crate::run::Session>,
}

/// How often a live run's state is looked at (exit, SIGTERM after the
/// grace, the elapsed time in the status line).
const RUN_TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// The session's state for the status line; polling it also sends SIGTERM
/// once the grace after a stop has passed.
fn run_tick(session: &mut crate::run::Session) -> app::RunTick {
    let exit = session.poll().map(crate::run::exit_code);
    app::RunTick {
        elapsed_s: session.elapsed().as_secs(),
        snapshots: session.snapshots_taken(),
        exit,
        stopping: session.stopping(),
        stuck: session.stuck(),
    }
}

fn event_loop(
    app: &mut App,
    guard: &mut TerminalGuard,
    rx: &Receiver<Event>,
    input: &Input,
    io: &mut LoopIo,
) -> Result<i32> {
    guard.terminal.draw(|f| view::render(app, f))?;
    loop {
        let mut batch = Vec::new();
        match &mut io.session {
            Some(s) => {
                match rx.recv_timeout(RUN_TICK) {
                    Ok(e) => batch.push(e),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(0),
                }
                let tick = run_tick(s);
                batch.push(Event::Job(Action::RunTick(tick)));
            }
            None => match rx.recv() {
                Ok(e) => batch.push(e),
                Err(_) => return Ok(0),
            },
        }
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        // Only the newest report snapshot in a batch is worth building.
        let newest = batch
            .iter()
            .rposition(|e| matches!(e, Event::Load(LoadMsg::Snapshot(_))));
        let mut redraw = false;
        for (i, ev) in batch.into_iter().enumerate() {
            let action = match ev {
                Event::Signal(sig) => return Ok(128 + sig),
                Event::Suspend => {
                    suspend(app, guard, input)?;
                    redraw = true;
                    None
                }
                Event::Term(te) => match te {
                    TermEvent::Key(k) => keymap::action_for(app.mode(), k),
                    TermEvent::Mouse(m) => mouse_action(m),
                    TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
                    _ => None,
                },
                Event::Load(LoadMsg::Snapshot(s)) if Some(i) != newest => {
                    io.jobs.discard(s);
                    None
                }
                // Built into the model on the job thread; `Action::Built`
                // brings it back.
                Event::Load(LoadMsg::Snapshot(s)) => {
                    io.jobs.build(app.model.seed(), s);
                    None
                }
                Event::Load(LoadMsg::Progress(p)) => Some(Action::Progress(p)),
                // Nothing to explore and nothing more coming: say why, as
                // `summary` would, instead of showing an empty explorer.
                Event::Load(LoadMsg::Failed(m)) if !app.has_content() && !app.follow => {
                    bail!("{m}")
                }
                Event::Load(LoadMsg::Failed(m)) => Some(Action::LoadFailed(m)),
                Event::Job(a) => Some(a),
                Event::Run(crate::run::RunEvent::Warning(w)) => Some(Action::RunWarning(w)),
                Event::Run(crate::run::RunEvent::Notice(n)) => Some(Action::Notify(n)),
                // The followed run directory shows the new snapshot file.
                Event::Run(crate::run::RunEvent::Snapshot { .. }) => None,
            };
            let Some(action) = action else {
                continue;
            };
            match app.update(action) {
                Effect::None => {}
                Effect::Redraw => redraw = true,
                Effect::Quit => return Ok(0),
                Effect::Suspend => {
                    suspend(app, guard, input)?;
                    redraw = true;
                }
                Effect::OpenEditor { file, line } => {
                    edit(app, guard, input, &io.source_dirs, &file, line)?;
                    redraw = true;
                }
                Effect::OpenPager { file, line } => {
                    let (program, args) =
                        pager::command(&pager::from_env(), std::path::Path::new(&file), line);
                    run_on_terminal(app, guard, input, &program, &args)?;
                    redraw = true;
                }
                Effect::Copy(text) => {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(clipboard::osc52(&text).as_bytes());
                    let _ = out.flush();
                    redraw = true;
                }
                Effect::WriteRules { path, text } => {
                    let r = io.files.append(&path, &text);
                    app.update(Action::RulesWritten(r));
                    redraw = true;
                }
                Effect::ReloadRules => {
                    let m = &app.model;
                    let report = m.report_arc().clone();
                    io.jobs.reload(io.rule_options.clone(), report, m.parse());
                    redraw = true;
                }
                Effect::Discard(old) => {
                    io.jobs.discard(old);
                    redraw = true;
                }
                Effect::Snapshot => {
                    if let Some(s) = &io.session {
                        s.snapshot_now();
                    }
                    redraw = true;
                }
                Effect::StopRun => {
                    if let Some(s) = &mut io.session {
                        s.stop();
                    }
                    redraw = true;
                }
                Effect::KillRun => {
                    if let Some(s) = &mut io.session {
                        s.kill();
                    }
                    redraw = true;
                }
            }
        }
        if redraw {
            guard.terminal.draw(|f| view::render(app, f))?;
        }
    }
}

fn mouse_action(m: crossterm::event::MouseEvent) -> Option<Action> {
    let (col, row) = (m.column, m.row);
    match m.kind {
        MouseEventKind::ScrollDown => Some(Action::Wheel {
            col,
            row,
            down: true,
        }),
        MouseEventKind::ScrollUp => Some(Action::Wheel {
            col,
            row,
            down: false,
        }),
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { col, row }),
        _ => None,
    }
}

/// Ctrl-Z: gives the terminal back as the shell had it (raw mode off, main
/// screen, cursor shown), stops the process as SIGTSTP's default would, and
/// once continued (`fg`) takes the terminal again; the caller redraws.
fn suspend(app: &mut App, guard: &mut TerminalGuard, input: &Input) -> Result<()> {
    input.pause();
    guard.suspend();
    // SIGTSTP is caught (to get here first), so its default is emulated:
    // the process stops until SIGCONT.
    let stopped = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP);
    let resumed = guard.resume();
    input.resume();
    stopped.context("stopping for Ctrl-Z")?;
    resumed.context("restoring the terminal")?;
    // The terminal may have been resized meanwhile.
    let size = guard.terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    Ok(())
}

/// Suspends the explorer, runs the editor on the terminal, and comes back.
fn edit(
    app: &mut App,
    guard: &mut TerminalGuard,
    input: &Input,
    source_dirs: &[std::path::PathBuf],
    file: &str,
    line: Option<u32>,
) -> Result<()> {
    let shown = crate::sanitize::sanitize(file).into_owned();
    let Some(words) = editor::from_env() else {
        app.update(Action::Notify(
            "Set $VISUAL or $EDITOR to open sources from here".into(),
        ));
        return Ok(());
    };
    let Some(path) = editor::locate(file, source_dirs) else {
        app.update(Action::Notify(format!(
            "{shown}: not found here · give --source-dir DIR or run from the source tree · y copies the stack"
        )));
        return Ok(());
    };
    let (program, args) = editor::command(&words, &path, line);
    run_on_terminal(app, guard, input, &program, &args)
}

/// Suspends the explorer, runs `program` on the terminal (no shell), and
/// comes back; a failure becomes a message.
fn run_on_terminal(
    app: &mut App,
    guard: &mut TerminalGuard,
    input: &Input,
    program: &str,
    args: &[String],
) -> Result<()> {
    input.pause();
    guard.suspend();
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    // The log may be on stdin; the program needs the terminal.
    if !std::io::stdin().is_terminal() {
        if let Ok(tty) = std::fs::File::open("/dev/tty") {
            cmd.stdin(tty);
        }
    }
    let status = cmd.status();
    let resumed = guard.resume();
    input.resume();
    resumed.context("restoring the terminal")?;
    let program = crate::sanitize::sanitize(program).into_owned();
    match status {
        Err(e) => {
            app.update(Action::Notify(format!("Could not start {program}: {e}")));
        }
        Ok(s) if !s.success() => {
            app.update(Action::Notify(format!("{program} exited with {s}")));
        }
        Ok(_) => {}
    }
    Ok(())
}
