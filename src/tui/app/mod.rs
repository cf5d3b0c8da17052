//! The explorer's state and its one entry point, [`App::update`]: an action
//! in, an effect out. No drawing, no I/O, so tests drive it directly.

mod commands;
mod navigate;
mod rules_panel;
mod run;
mod supp;

pub use rules_panel::RulesPanel;
pub use run::{RunState, RunTick};
pub use supp::SuppPrompt;

use super::action::{Action, Cmd, Effect};
use super::cursor::TreeCursor;
use super::jobs::Built;
use super::keymap::Mode;
use super::layout::{areas, Areas};
use super::view::theme::Theme;
use crate::explore::detail::Detail;
use crate::explore::index::SortKey;
use crate::explore::tree::{key_of, resolve, NodeKey, NodeRef};
use crate::explore::{notices, Explorer, Inputs};
use crate::parse::Progress;
use crate::triage::rules::RuleSet;
use ratatui::layout::Rect;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Detail,
}

/// A one-line message for the user, shown until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, Default)]
pub struct LoadState {
    pub progress: Option<Progress>,
    pub done: bool,
    pub error: Option<String>,
    /// Re-reads of a followed log that changed the report.
    pub updates: u32,
}

/// What sits over the tree and takes the keys: at most one thing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Overlay {
    #[default]
    None,
    /// The filter bar, being typed in.
    Filter,
    /// The help overlay, at a scroll position.
    Help(usize),
    /// The log's warnings (W), at a scroll position.
    Warnings(usize),
    /// The rules panel.
    Rules(RulesPanel),
    /// The write-a-suppression prompt.
    Supp(SuppPrompt),
    /// Asking whether to stop the program `leakscope run` runs.
    StopRun,
}

/// UI state only: what is derived from the report lives in the model.
pub struct App {
    /// The input's name as the user gave it (sanitized).
    pub source: String,
    pub follow: bool,
    /// The log comes from a pipe, shown as it arrives (`parse::live`):
    /// until it closes, a missing ERROR SUMMARY means "still running".
    pub live: bool,
    pub theme: Theme,
    pub size: (u16, u16),
    pub load: LoadState,
    /// The report, the user's inputs and everything derived from them.
    pub model: Explorer,
    /// `--baseline`: the earlier run's name (sanitized).
    pub baseline: Option<String>,
    /// Files a suppression can be written to (S); the first is the default.
    pub supp_targets: Vec<std::path::PathBuf>,
    /// A rules file was written since the rules were last loaded (L loads).
    pub rules_stale: bool,
    /// A reload of the rules is under way.
    pub reloading: bool,
    pub focus: Focus,
    pub overlay: Overlay,
    pub tree: TreeCursor,
    /// The selected node's identity: what the selection returns to after a
    /// rebuild, even if it was hidden in between.
    selected_key: Option<NodeKey>,
    pub detail_cursor: usize,
    pub detail_offset: usize,
    pub status: Option<Status>,
    /// The last `n`/`N` jump: (1-based match, matches).
    pub match_pos: Option<(usize, usize)>,
    /// Until the user moves, the selection stays on the first row as
    /// snapshots arrive (categories appear in the order the log lists them).
    moved: bool,
    /// `leakscope run`: the program being run, live.
    pub run: Option<RunState>,
}

/// Where the selection goes when its node is no longer shown.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    /// To the nearest shown ancestor.
    Parent,
    /// To the row at this position (after hiding the selected row).
    Row(usize),
}

impl App {
    pub fn new(source: &str, theme: Theme, size: (u16, u16), follow: bool) -> App {
        App {
            source: crate::sanitize::sanitize(source).into_owned(),
            follow,
            live: false,
            theme,
            size,
            load: LoadState::default(),
            model: Explorer::default(),
            baseline: None,
            supp_targets: crate::triage::rules::user_rules_path()
                .into_iter()
                .collect(),
            rules_stale: false,
            reloading: false,
            focus: Focus::Tree,
            overlay: Overlay::None,
            tree: TreeCursor::default(),
            selected_key: None,
            detail_cursor: 0,
            detail_offset: 0,
            status: None,
            match_pos: None,
            moved: false,
            run: None,
        }
    }

    /// Hides what `set`'s rules match.
    pub fn with_rules(mut self, set: Arc<RuleSet>) -> App {
        self.model = Explorer::new(Inputs {
            rule_set: set,
            ..Inputs::default()
        });
        self
    }

    /// Whether a report with anything in it has arrived.
    pub fn has_content(&self) -> bool {
        self.model.has_content()
    }

    /// Which key bindings apply now: the overlay's.
    pub fn mode(&self) -> Mode {
        match self.overlay {
            Overlay::None => Mode::Normal,
            Overlay::Filter => Mode::Filter,
            Overlay::Help(_) | Overlay::Warnings(_) => Mode::Help,
            Overlay::Rules(_) => Mode::Rules,
            Overlay::Supp(_) => Mode::Supp,
            Overlay::StopRun => Mode::Stop,
        }
    }

    pub fn rows(&self) -> crate::explore::RowsView<'_> {
        self.model.rows()
    }

    pub fn areas(&self) -> Areas {
        let banner = self.banner().is_some();
        areas(Rect::new(0, 0, self.size.0, self.size.1), banner)
    }

    /// The warning line above everything: a log cut off.
    pub fn banner(&self) -> Option<String> {
        let running = self.follow || (self.live && !self.load.done);
        notices::banner(self.model.report(), running)
    }

    pub(crate) fn tree_height(&self) -> usize {
        self.areas().tree_rows.height as usize
    }

    pub(crate) fn detail_height(&self) -> usize {
        self.areas().detail_body.height as usize
    }

    pub fn update(&mut self, action: Action) -> Effect {
        match action {
            // In every mode, whatever is open: it is there again on `fg`.
            Action::Cmd(Cmd::Suspend) => Effect::Suspend,
            Action::Cmd(cmd) => {
                let had_status = self.status.take().is_some();
                let effect = self.command(cmd);
                if had_status && effect == Effect::None {
                    Effect::Redraw
                } else {
                    effect
                }
            }
            Action::Insert(c) => {
                self.status = None;
                let mut text = self.model.filter().text().to_string();
                text.push(c);
                self.set_filter(text);
                Effect::Redraw
            }
            Action::Click { col, row } => self.click(col, row),
            Action::Wheel { col, row, down } => self.wheel(col, row, down),
            Action::Resize(w, h) => {
                self.size = (w, h);
                let th = self.tree_height();
                self.tree.scroll_into_view(self.rows().len(), th);
                self.keep_cursor_visible();
                Effect::Redraw
            }
            Action::Loaded(snapshot) => {
                let s = *snapshot;
                self.loaded(s.progress, s.done);
                let growth = s.growth_source();
                self.model.load(s.report, s.parse, growth);
                self.follow_selection(Fallback::Parent);
                Effect::Redraw
            }
            Action::Built(built) => {
                let Built {
                    model,
                    progress,
                    done,
                } = *built;
                self.loaded(progress, done);
                let old = self.model.adopt(model);
                self.follow_selection(Fallback::Parent);
                Effect::Discard(super::action::Discarded(Arc::new(old)))
            }
            Action::Progress(p) => {
                self.load.progress = Some(p);
                Effect::Redraw
            }
            Action::LoadFailed(msg) => {
                self.load.done = true;
                if self.model.is_loaded() {
                    self.status = Some(Status {
                        text: msg,
                        error: true,
                    });
                } else if let Some(run) = self.run.as_ref().filter(|r| r.live()) {
                    // A run directory before valgrind has written its log.
                    self.load.error = Some(format!("Starting {} under valgrind…", run.program));
                } else {
                    // Nothing to explore (not a log, not there yet): say so,
                    // and that q leaves.
                    self.load.error = Some(format!("{msg} · q quits"));
                }
                Effect::Redraw
            }
            Action::Notify(text) => {
                self.status = Some(Status { text, error: true });
                Effect::Redraw
            }
            Action::RulesWritten(r) => self.rules_written(r),
            Action::RulesReloaded(r) => self.rules_reloaded(*r),
            Action::RunTick(t) => self.run_tick(t),
            Action::RunWarning(w) => self.run_warning(w),
        }
    }

    /// Notes a snapshot's progress.
    fn loaded(&mut self, progress: Progress, done: bool) {
        if done && self.load.done {
            self.load.updates += 1;
        }
        self.load.progress = Some(progress);
        self.load.done |= done;
        self.load.error = None;
    }

    fn command(&mut self, cmd: Cmd) -> Effect {
        match self.mode() {
            Mode::Help => return self.help_command(cmd),
            Mode::Rules => return self.rules_command(cmd),
            Mode::Supp => return self.supp_command(cmd),
            Mode::Stop => return self.stop_command(cmd),
            Mode::Normal | Mode::Filter => {}
        }
        match cmd {
            Cmd::Quit => self.quit(),
            Cmd::Snapshot => self.snapshot_now(),
            Cmd::KillRun => self.kill_run(),
            Cmd::Suspend => Effect::Suspend,
            Cmd::Help => {
                self.overlay = Overlay::Help(0);
                Effect::Redraw
            }
            Cmd::Warnings => {
                if notices::warning_count(self.model.report()) == 0 {
                    self.say("The log raised no warnings");
                } else {
                    self.overlay = Overlay::Warnings(0);
                }
                Effect::Redraw
            }
            Cmd::Up => self.move_by(-1),
            Cmd::Down => self.move_by(1),
            Cmd::PageUp => self.page(-1),
            Cmd::PageDown => self.page(1),
            Cmd::Top => self.move_to_end(false),
            Cmd::Bottom => self.move_to_end(true),
            Cmd::Toggle => self.toggle(),
            Cmd::Expand => self.expand(),
            Cmd::Collapse => self.collapse(),
            Cmd::ExpandAll => self.expand_all(true),
            Cmd::CollapseAll => self.expand_all(false),
            Cmd::FocusNext => {
                self.focus = match self.focus {
                    Focus::Tree => Focus::Detail,
                    Focus::Detail => Focus::Tree,
                };
                Effect::Redraw
            }
            Cmd::NextMatch => self.jump_match(true),
            Cmd::PrevMatch => self.jump_match(false),
            Cmd::Escape => self.escape(),
            Cmd::CycleGroup => self.set_group_by(self.model.inputs().group_by.next()),
            Cmd::ToggleInterpreter => {
                let on = !self.model.inputs().unfold_interpreter;
                self.model.set_unfold_interpreter(on);
                Effect::Redraw
            }
            Cmd::CycleSort => self.set_sort(self.model.inputs().sort.next()),
            Cmd::SortGrowth => self.sort_growth(),
            Cmd::OnlyGrowth => self.toggle_only_growth(),
            Cmd::SortBytes => self.set_sort(SortKey::Bytes),
            Cmd::SortBlocks => self.set_sort(SortKey::Blocks),
            Cmd::SortCount => self.set_sort(SortKey::Count),
            Cmd::SortName => self.set_sort(SortKey::Name),
            Cmd::Hide => self.hide_selected(),
            Cmd::Unhide => self.unhide(),
            Cmd::ToggleHidden => self.toggle_hidden(),
            Cmd::OpenEditor => self.open_editor(),
            Cmd::ViewLog => self.view_log(),
            Cmd::CopyStack => self.copy_stack(),
            Cmd::Rules => self.open_rules(),
            Cmd::ToggleBuiltin => self.toggle_builtin(),
            Cmd::Suppress => self.open_supp(),
            Cmd::LoadRules => self.load_rules(),
            Cmd::ToggleRule
            | Cmd::SuppExact
            | Cmd::SuppGeneral
            | Cmd::SuppTarget
            | Cmd::StopRun => Effect::None,
            Cmd::OpenFilter
            | Cmd::FilterAccept
            | Cmd::FilterCancel
            | Cmd::FilterBackspace
            | Cmd::FilterClearLine
            | Cmd::FilterDeleteWord
            | Cmd::FilterToggleMode => self.filter_command(cmd),
        }
    }

    fn help_command(&mut self, cmd: Cmd) -> Effect {
        let max = super::view::help::max_offset(self, self.size.1);
        let (Overlay::Help(off) | Overlay::Warnings(off)) = &mut self.overlay else {
            return Effect::None;
        };
        match cmd {
            Cmd::Quit => return self.quit(),
            Cmd::Up => *off = off.saturating_sub(1),
            Cmd::Down => *off = (*off + 1).min(max),
            Cmd::PageUp => *off = off.saturating_sub(10),
            Cmd::PageDown => *off = (*off + 10).min(max),
            _ => self.overlay = Overlay::None,
        }
        Effect::Redraw
    }

    /// Puts the selection back on its node after the model's rows changed
    /// (or on `fallback` when the node is gone).
    fn follow_selection(&mut self, fallback: Fallback) {
        let h = self.tree_height();
        let n = self.rows().len();
        let before = self.tree.selected;
        if !self.moved {
            self.tree.select(0, n, h);
            self.sync_key();
            return;
        }
        let m = &self.model;
        let mut key = self.selected_key.clone();
        let mut first = true;
        while let Some(k) = key {
            if let Some(pos) = resolve(m.index(), m.report(), &k).and_then(|n| m.position(n)) {
                self.tree.select(pos, n, h);
                if pos != before {
                    self.detail_cursor = 0;
                    self.detail_offset = 0;
                }
                return;
            }
            if first {
                if let Fallback::Row(i) = fallback {
                    self.tree.select(i, n, h);
                    self.sync_key();
                    return;
                }
            }
            first = false;
            key = k.parent();
        }
        self.tree.select(before, n, h);
        if self.selected_key.is_none() {
            self.sync_key();
        }
    }

    /// Records the selected node's identity after the selection moved.
    pub(crate) fn sync_key(&mut self) {
        let m = &self.model;
        self.selected_key = self
            .selected_node()
            .map(|node| key_of(m.index(), m.report(), node));
    }

    pub fn selected_node(&self) -> Option<NodeRef> {
        self.rows().get(self.tree.selected).map(|r| r.node)
    }

    /// The detail pane's content for the selection.
    pub fn detail(&self) -> Option<Detail> {
        let node = self.selected_node()?;
        // One column of margin on the left, as the pane draws it.
        let width = (self.areas().detail_body.width as usize).saturating_sub(1);
        Some(self.model.detail(node, width))
    }
}
