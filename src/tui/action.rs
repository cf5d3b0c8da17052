//! What can happen to the app (actions in) and what the app asks the outside
//! world to do (effects out). `App::update` maps one to the other without I/O.

use super::jobs::{Built, Reloaded};
use super::loader::Snapshot;
use crate::model::Report;
use crate::parse::Progress;
use std::path::PathBuf;

/// A command a key is bound to; the keymap table maps keys to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Toggle,
    Expand,
    Collapse,
    ExpandAll,
    CollapseAll,
    FocusNext,
    OpenFilter,
    NextMatch,
    PrevMatch,
    Escape,
    CycleGroup,
    /// Fold or unfold interpreter frames in the detail pane.
    ToggleInterpreter,
    CycleSort,
    SortBytes,
    SortBlocks,
    SortCount,
    SortName,
    /// Sort groups by growth against the baseline.
    SortGrowth,
    /// Show only new or grown groups.
    OnlyGrowth,
    Hide,
    Unhide,
    ToggleHidden,
    OpenEditor,
    /// Open the log at the selected record's line in $PAGER.
    ViewLog,
    CopyStack,
    /// Open / close the rules panel.
    Rules,
    /// Turn the selected rule of the rules panel on or off.
    ToggleRule,
    /// Turn every built-in rule on or off.
    ToggleBuiltin,
    /// Write a suppression for the selected group or record (opens a prompt).
    Suppress,
    /// In the prompt: write the exact stack.
    SuppExact,
    /// In the prompt: write a generalised stack.
    SuppGeneral,
    /// In the prompt: the next target file.
    SuppTarget,
    /// Reload the rules (after writing one).
    LoadRules,
    Help,
    /// List the log's warnings.
    Warnings,
    /// `leakscope run`: a snapshot of every live process now.
    Snapshot,
    /// In the stop prompt: stop the program.
    StopRun,
    /// Kill valgrind when it did not end after a stop.
    KillRun,
    Quit,
    /// Ctrl-Z: give the terminal back and stop, as a shell job (`fg` resumes).
    Suspend,
    FilterAccept,
    FilterCancel,
    FilterBackspace,
    FilterClearLine,
    FilterDeleteWord,
    FilterToggleMode,
}

pub enum Action {
    Cmd(Cmd),
    /// A character typed into the filter bar.
    Insert(char),
    Click {
        col: u16,
        row: u16,
    },
    Wheel {
        col: u16,
        row: u16,
        down: bool,
    },
    Resize(u16, u16),
    /// A report snapshot, built into the model on the UI thread (tests,
    /// benches; the run loop builds snapshots on the job thread instead).
    Loaded(Box<Snapshot>),
    /// A model built on the job thread from a snapshot.
    Built(Box<Built>),
    Progress(Progress),
    LoadFailed(String),
    /// Something the run loop wants the user to know (an editor that failed).
    Notify(String),
    /// The outcome of [`Effect::WriteRules`]: the file written, or why not.
    RulesWritten(Result<String, String>),
    /// Rules reloaded (after [`Effect::ReloadRules`]), with their verdicts on
    /// the report as it was when the reload started.
    RulesReloaded(Box<Reloaded>),
    /// `leakscope run`: the session's state (every tick of the run loop).
    RunTick(super::app::RunTick),
    /// `leakscope run`: a snapshot failed (said once per kind of failure).
    RunWarning(String),
}

impl Action {
    /// A finished load of `report`, with nothing prepared in advance.
    pub fn loaded(report: Report) -> Action {
        Action::Loaded(Box::new(Snapshot::bare(report, Progress::default(), true)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing changed on screen.
    None,
    Redraw,
    Quit,
    /// Restore the terminal and stop the process (Ctrl-Z); redraw on `fg`.
    Suspend,
    /// Suspend the terminal and edit `file` at `line`.
    OpenEditor {
        file: String,
        line: Option<u32>,
    },
    /// Suspend the terminal and show the log `file` from `line` in $PAGER.
    OpenPager {
        file: String,
        line: u64,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Append suppressions to a rules file (atomically, refusing if it
    /// changed since leakscope read it); answer with `Action::RulesWritten`.
    WriteRules {
        path: PathBuf,
        text: String,
    },
    /// Load the rules again from the same sources, off the UI thread; answer
    /// with `Action::RulesReloaded`.
    ReloadRules,
    /// A model the app let go of: free it off the UI thread (a big report
    /// takes longer than a frame to free), and redraw.
    Discard(Discarded),
    /// `leakscope run`: snapshot every live process now.
    Snapshot,
    /// `leakscope run`: stop the program (SIGINT, SIGTERM after the grace).
    StopRun,
    /// `leakscope run`: SIGKILL to valgrind, which did not end after SIGTERM.
    KillRun,
}

/// A replaced model, on its way to be freed elsewhere.
#[derive(Clone)]
pub struct Discarded(pub std::sync::Arc<crate::explore::Explorer>);

impl PartialEq for Discarded {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Discarded {}

impl std::fmt::Debug for Discarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discarded")
    }
}
