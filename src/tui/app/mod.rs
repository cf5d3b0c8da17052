//! The explorer's state and its one entry point, [`App::update`]: an action
//! in, an effect out. No drawing, no I/O, so tests drive it directly.

mod commands;
mod navigate;
mod rules_panel;
mod supp;

pub use rules_panel::RulesPanel;
pub use supp::SuppPrompt;

use super::action::{Action, Cmd, Effect};
use super::baseline::Deltas;
use super::detail::{self, Ctx, Detail};
use super::filter::Filter;
use super::hide::{Hiding, Verdicts};
use super::index::{Category, Index, SortKey};
use super::keymap::Mode;
use super::layout::{areas, Areas};
use super::places::FrameInfo;
use super::projection::{project, Growth, Projection, Visibility};
use super::tree::{build_rows, key_of, resolve, NodeKey, NodeRef, TreeState};
use super::view::theme::Theme;
use crate::model::{LeakKind, Report};
use crate::parse::Progress;
use crate::triage::rules::{self, RuleId, RuleSet};
use crate::triage::GroupBy;
use ratatui::layout::Rect;
use std::collections::BTreeMap;
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

/// A report and everything derived from it.
pub struct Data {
    pub report: Report,
    pub frames: FrameInfo,
    pub index: Index,
    /// The loaded rules' verdicts (none when no rule is loaded).
    pub engine: Option<rules::Hiding>,
    pub verdicts: Verdicts,
    pub proj: Projection,
    /// The diff against the baseline, and its growth per tree node.
    pub diff: Option<Arc<crate::triage::diff::Diff>>,
    pub deltas: Option<Deltas>,
}

pub struct App {
    /// The input's name as the user gave it (sanitized).
    pub source: String,
    pub follow: bool,
    pub theme: Theme,
    pub size: (u16, u16),
    pub load: LoadState,
    pub data: Option<Data>,
    pub group_by: GroupBy,
    pub sort: SortKey,
    pub show_hidden: bool,
    pub filter: Filter,
    pub filter_open: bool,
    /// Loaded rules (suppression files, built-in sets).
    pub rule_set: Arc<RuleSet>,
    /// Rules made here with the hide key.
    pub hiding: Hiding,
    /// The rules panel, when open.
    pub rules_panel: Option<RulesPanel>,
    /// Loaded rules turned on or off here, re-applied to every snapshot.
    rule_toggles: BTreeMap<RuleId, bool>,
    /// Every built-in rule turned off (B), unless toggled back one by one.
    pub builtin_off: bool,
    /// Files a suppression can be written to (S); the first is the default.
    pub supp_targets: Vec<std::path::PathBuf>,
    /// The write-a-suppression prompt, when open.
    pub supp_prompt: Option<SuppPrompt>,
    /// A rules file was written since the rules were last loaded (L loads).
    pub rules_stale: bool,
    /// A reload of the rules is under way.
    pub reloading: bool,
    /// The rules were reloaded here (the loader's verdicts are stale).
    rules_reloaded: bool,
    /// `--baseline`: the earlier run's name (sanitized).
    pub baseline: Option<String>,
    /// Groups sorted by growth against the baseline (d).
    pub growth_sort: bool,
    /// Only new or grown groups shown (o).
    pub only_growth: bool,
    pub focus: Focus,
    pub tree: TreeState,
    /// The selected node's identity: what the selection returns to after a
    /// rebuild, even if it was hidden in between.
    selected_key: Option<NodeKey>,
    pub detail_cursor: usize,
    pub detail_offset: usize,
    /// Scroll position of the help overlay, when open.
    pub help: Option<usize>,
    pub status: Option<Status>,
    /// The last `n`/`N` jump: (1-based match, matches).
    pub match_pos: Option<(usize, usize)>,
    /// Until the user expands or collapses anything, new snapshots get the
    /// default expansion (definitely lost open) instead of the carried one.
    touched: bool,
    /// Until the user moves, the selection stays on the first row as
    /// snapshots arrive (categories appear in the order the log lists them).
    moved: bool,
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
            theme,
            size,
            load: LoadState::default(),
            data: None,
            group_by: GroupBy::default(),
            sort: SortKey::default(),
            show_hidden: false,
            filter: Filter::default(),
            filter_open: false,
            rule_set: Arc::new(RuleSet::new()),
            hiding: Hiding::default(),
            rules_panel: None,
            rule_toggles: BTreeMap::new(),
            builtin_off: false,
            supp_targets: rules::user_rules_path().into_iter().collect(),
            supp_prompt: None,
            rules_stale: false,
            reloading: false,
            rules_reloaded: false,
            baseline: None,
            growth_sort: false,
            only_growth: false,
            focus: Focus::Tree,
            tree: TreeState::default(),
            selected_key: None,
            detail_cursor: 0,
            detail_offset: 0,
            help: None,
            status: None,
            match_pos: None,
            touched: false,
            moved: false,
        }
    }

    /// Hides what `set`'s rules match (from the next report on).
    pub fn with_rules(mut self, set: Arc<RuleSet>) -> App {
        self.rule_set = set;
        self
    }

    /// Whether a report with anything in it has arrived.
    pub fn has_content(&self) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| !d.index.procs.is_empty())
    }

    /// Which key bindings apply now.
    pub fn mode(&self) -> Mode {
        if self.help.is_some() {
            Mode::Help
        } else if self.rules_panel.is_some() {
            Mode::Rules
        } else if self.supp_prompt.is_some() {
            Mode::Supp
        } else if self.filter_open {
            Mode::Filter
        } else {
            Mode::Normal
        }
    }

    pub fn areas(&self) -> Areas {
        areas(Rect::new(0, 0, self.size.0, self.size.1))
    }

    pub(crate) fn tree_height(&self) -> usize {
        self.areas().tree_rows.height as usize
    }

    pub(crate) fn detail_height(&self) -> usize {
        self.areas().detail_body.height as usize
    }

    pub fn update(&mut self, action: Action) -> Effect {
        match action {
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
                let mut text = self.filter.text().to_string();
                text.push(c);
                self.set_filter(text);
                Effect::Redraw
            }
            Action::Click { col, row } => self.click(col, row),
            Action::Wheel { col, row, down } => self.wheel(col, row, down),
            Action::Resize(w, h) => {
                self.size = (w, h);
                let th = self.tree_height();
                self.tree.scroll_into_view(th);
                self.keep_cursor_visible();
                Effect::Redraw
            }
            Action::Loaded(snapshot) => {
                let s = *snapshot;
                if s.done && self.load.done {
                    self.load.updates += 1;
                }
                self.load.progress = Some(s.progress);
                self.load.done |= s.done;
                self.load.error = None;
                self.set_report(s.report, s.frames, s.index, s.rules, s.diff);
                Effect::Redraw
            }
            Action::Progress(p) => {
                self.load.progress = Some(p);
                Effect::Redraw
            }
            Action::LoadFailed(msg) => {
                self.load.done = true;
                if self.data.is_some() {
                    self.status = Some(Status {
                        text: msg,
                        error: true,
                    });
                } else {
                    self.load.error = Some(msg);
                }
                Effect::Redraw
            }
            Action::Notify(text) => {
                self.status = Some(Status { text, error: true });
                Effect::Redraw
            }
            Action::RulesWritten(r) => self.rules_written(r),
            Action::RulesReloaded(b) => {
                let (set, engine) = *b;
                self.rules_reloaded(set, engine)
            }
        }
    }

    fn command(&mut self, cmd: Cmd) -> Effect {
        if self.help.is_some() {
            return self.help_command(cmd);
        }
        if self.rules_panel.is_some() {
            return self.rules_command(cmd);
        }
        if self.supp_prompt.is_some() {
            return self.supp_command(cmd);
        }
        match cmd {
            Cmd::Quit => Effect::Quit,
            Cmd::Help => {
                self.help = Some(0);
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
            Cmd::CycleGroup => self.set_group_by(self.group_by.next()),
            Cmd::CycleSort => self.set_sort(self.sort.next()),
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
            Cmd::CopyStack => self.copy_stack(),
            Cmd::Rules => self.open_rules(),
            Cmd::ToggleBuiltin => self.toggle_builtin(),
            Cmd::Suppress => self.open_supp(),
            Cmd::LoadRules => self.load_rules(),
            Cmd::ToggleRule | Cmd::SuppExact | Cmd::SuppGeneral | Cmd::SuppTarget => Effect::None,
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
        let Some(off) = self.help.as_mut() else {
            return Effect::None;
        };
        match cmd {
            Cmd::Quit => return Effect::Quit,
            Cmd::Up => *off = off.saturating_sub(1),
            Cmd::Down => *off = (*off + 1).min(max),
            Cmd::PageUp => *off = off.saturating_sub(10),
            Cmd::PageDown => *off = (*off + 10).min(max),
            _ => self.help = None,
        }
        Effect::Redraw
    }

    /// Takes a new report, with what the loader already derived from it.
    fn set_report(
        &mut self,
        report: Report,
        frames: Option<FrameInfo>,
        index: Option<Index>,
        engine: Option<rules::Hiding>,
        diff: Option<Arc<crate::triage::diff::Diff>>,
    ) {
        let carried = self.data.as_ref().map(|d| d.index.expansion());
        let frames = frames.unwrap_or_else(|| FrameInfo::build(&report.interner));
        let mut index = match index {
            Some(i) if i.by == self.group_by && i.sort == self.sort => i,
            _ => Index::build(&report, self.group_by, self.sort),
        };
        match carried {
            Some(e) if self.touched => index.apply_expansion(&e),
            _ => default_expansion(&mut index),
        }
        self.filter.refresh(&frames, &report.interner);
        let prev = self.data.as_ref().and_then(|d| d.engine.clone());
        let mut engine = match engine {
            // The loader decides with the rules it started with; once they
            // were reloaded here, the previous verdicts catch up instead.
            _ if self.rules_reloaded => match prev {
                Some(mut e) => {
                    e.update(&self.rule_set, &report);
                    Some(e)
                }
                None => Some(self.rule_set.apply(&report)),
            },
            Some(e) => Some(e),
            None if !self.rule_set.is_empty() => Some(self.rule_set.apply(&report)),
            None => None,
        };
        if let Some(e) = engine.as_mut() {
            self.apply_toggles(e, &report);
        }
        let verdicts = self.hiding.evaluate(&report, engine.as_ref());
        let deltas = diff.as_ref().map(|d| Deltas::build(&index, d));
        let old = self.data.take();
        self.data = Some(Data {
            report,
            frames,
            index,
            engine,
            verdicts,
            proj: Projection::default(),
            diff,
            deltas,
        });
        // Freeing a big report's millions of small allocations takes longer
        // than a frame; nothing else refers to it, so free it elsewhere.
        if let Some(old) = old {
            std::thread::spawn(move || drop(old));
        }
        self.reproject(Fallback::Parent);
    }

    /// Recomputes totals and order after the filter, rules or sort changed.
    fn reproject(&mut self, fallback: Fallback) {
        if let Some(d) = self.data.as_mut() {
            let vis = Visibility {
                filter: &self.filter,
                verdicts: &d.verdicts,
                growth: d.deltas.as_ref().map(|deltas| Growth {
                    deltas,
                    sort: self.growth_sort,
                    only: self.only_growth,
                }),
            };
            d.proj = project(&d.report, &d.index, &vis, self.show_hidden);
        }
        self.rebuild_rows(fallback);
    }

    /// Rebuilds the visible rows after expansion changed; the selection
    /// follows its node.
    fn rebuild_rows(&mut self, fallback: Fallback) {
        let h = self.tree_height();
        let Some(d) = self.data.as_mut() else {
            return;
        };
        for (p, pn) in d.index.procs.iter().enumerate() {
            for (c, cn) in pn.cats.iter().enumerate() {
                if pn.expanded && cn.expanded {
                    d.proj.sort(&d.index, p, c);
                }
            }
        }
        let d = &*d;
        let before = self.tree.selected;
        self.tree.rows = build_rows(&d.index, &d.proj);
        if !self.moved {
            self.tree.select(0, h);
            self.sync_key();
            return;
        }
        let mut key = self.selected_key.clone();
        let mut first = true;
        while let Some(k) = key {
            if let Some(pos) = resolve(&d.index, &d.report, &k).and_then(|n| self.tree.position(n))
            {
                self.tree.select(pos, h);
                if pos != before {
                    self.detail_cursor = 0;
                    self.detail_offset = 0;
                }
                return;
            }
            if first {
                if let Fallback::Row(i) = fallback {
                    self.tree.select(i, h);
                    self.sync_key();
                    return;
                }
            }
            first = false;
            key = k.parent();
        }
        self.tree.select(before, h);
        if self.selected_key.is_none() {
            self.sync_key();
        }
    }

    /// Records the selected node's identity after the selection moved.
    pub(crate) fn sync_key(&mut self) {
        self.selected_key = match (&self.data, self.tree.selected_row()) {
            (Some(d), Some(row)) => Some(key_of(&d.index, &d.report, row.node)),
            _ => None,
        };
    }

    pub fn selected_node(&self) -> Option<NodeRef> {
        self.tree.selected_row().map(|r| r.node)
    }

    pub fn ctx(&self) -> Option<Ctx<'_>> {
        let d = self.data.as_ref()?;
        Some(Ctx {
            report: &d.report,
            frames: &d.frames,
            index: &d.index,
            proj: &d.proj,
            vis: Visibility {
                filter: &self.filter,
                verdicts: &d.verdicts,
                growth: None,
            },
            hiding: &self.hiding,
            rule_set: &self.rule_set,
            engine: d.engine.as_ref(),
            deltas: d.deltas.as_ref(),
        })
    }

    /// The detail pane's content for the selection.
    pub fn detail(&self) -> Option<Detail> {
        let node = self.selected_node()?;
        // One column of margin on the left, as the pane draws it.
        let width = (self.areas().detail_body.width as usize).saturating_sub(1);
        Some(detail::build(&self.ctx()?, node, width))
    }
}

/// The first screen: every process open, and each process's definitely lost
/// records (the ones that matter most) one level open.
fn default_expansion(index: &mut Index) {
    for p in &mut index.procs {
        p.expanded = true;
        for c in &mut p.cats {
            c.expanded = c.category == Category::Leak(LeakKind::DefinitelyLost);
        }
    }
}
