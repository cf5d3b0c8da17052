//! Commands that change what is shown: the filter bar, grouping and sort,
//! hiding, and the two that reach outside (editor, clipboard) as effects.

use super::{App, Fallback, Focus, Overlay, Status};
use crate::explore::hide::{CategoryRule, GroupRule, Hide, StackRule};
use crate::explore::index::{display_label, SortKey};
use crate::explore::tree::{find_item, item_key, NodeKey, NodeRef};
use crate::report::human::{bytes, count};
use crate::sanitize::sanitize;
use crate::triage::GroupBy;
use crate::tui::action::{Cmd, Effect};

impl App {
    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub(crate) fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    pub(crate) fn filter_command(&mut self, cmd: Cmd) -> Effect {
        let text = self.model.filter().text().to_string();
        match cmd {
            Cmd::OpenFilter => {
                self.overlay = Overlay::Filter;
                self.focus = Focus::Tree;
            }
            Cmd::FilterAccept => {
                self.overlay = Overlay::None;
                if self.model.filter().is_active() {
                    let n = self.model.proj().matches;
                    self.say(format!(
                        "{} records match · n/N jump between them · Esc clears",
                        count(n)
                    ));
                }
            }
            Cmd::FilterCancel => {
                self.overlay = Overlay::None;
                self.set_filter(String::new());
            }
            Cmd::FilterBackspace => {
                let mut t = text;
                t.pop();
                self.set_filter(t);
            }
            Cmd::FilterClearLine => self.set_filter(String::new()),
            Cmd::FilterDeleteWord => {
                let t = text.trim_end();
                if t.is_empty() {
                    self.set_filter(String::new());
                    return Effect::Redraw;
                }
                // Back to the start of the last word, or drop one trailing symbol.
                let cut = t
                    .char_indices()
                    .rev()
                    .find(|&(_, c)| !c.is_alphanumeric() && c != '_')
                    .map(|(i, c)| i + c.len_utf8())
                    .unwrap_or(0);
                let cut = if cut == t.len() {
                    t.char_indices().last().map(|(i, _)| i).unwrap_or(0)
                } else {
                    cut
                };
                self.set_filter(t[..cut].to_string());
            }
            Cmd::FilterToggleMode => {
                let t = match text.strip_prefix(crate::explore::filter::FUZZY_PREFIX) {
                    Some(rest) => rest.to_string(),
                    None => format!("{}{text}", crate::explore::filter::FUZZY_PREFIX),
                };
                self.set_filter(t);
            }
            _ => return Effect::None,
        }
        Effect::Redraw
    }

    /// Applies a new filter text: evaluate per distinct frame, re-project.
    pub(crate) fn set_filter(&mut self, text: String) {
        self.model.set_filter(text);
        self.match_pos = None;
        self.follow_selection(Fallback::Parent);
    }

    pub(crate) fn escape(&mut self) -> Effect {
        if self.focus == Focus::Detail {
            self.focus = Focus::Tree;
        } else if !self.model.filter().text().is_empty() {
            self.set_filter(String::new());
        } else {
            return Effect::None;
        }
        Effect::Redraw
    }

    pub(crate) fn set_group_by(&mut self, by: GroupBy) -> Effect {
        let key = self.selected_key.clone();
        self.model.set_group_by(by);
        self.follow_selection(Fallback::Parent);
        // A record keeps its selection in whatever group now holds it.
        if let Some(k @ NodeKey::Item(..)) = key {
            let m = &self.model;
            if let Some(node) = find_item(m.index(), m.report(), &k) {
                if let Some(g) = node.parent() {
                    self.set_expanded(g, true);
                    if let Some(c) = g.parent() {
                        self.set_expanded(c, true);
                    }
                }
                if let Some(pos) = self.model.position(node) {
                    self.select_row(pos);
                }
            }
        }
        self.say(format!("Grouped by {}", by.name()));
        Effect::Redraw
    }

    pub(crate) fn set_sort(&mut self, sort: SortKey) -> Effect {
        self.model.set_sort(sort);
        self.follow_selection(Fallback::Parent);
        self.say(format!("Sorted by {}", sort.name()));
        Effect::Redraw
    }

    pub(crate) fn sort_growth(&mut self) -> Effect {
        if self.model.growth().is_none() {
            self.warn(no_baseline(self.baseline.is_some()));
            return Effect::Redraw;
        }
        let only = self.model.inputs().only_growth;
        self.model.set_growth_view(true, only);
        self.follow_selection(Fallback::Parent);
        self.say(if self.timeline() {
            "Sorted by growth over the leak searches (1-4 or s sort by size again)"
        } else {
            "Sorted by growth against the baseline (1-4 or s sort by size again)"
        });
        Effect::Redraw
    }

    pub(crate) fn toggle_only_growth(&mut self) -> Effect {
        if self.model.growth().is_none() {
            self.warn(no_baseline(self.baseline.is_some()));
            return Effect::Redraw;
        }
        let i = self.model.inputs();
        let only = !i.only_growth;
        self.model.set_growth_view(i.growth_sort, only);
        self.follow_selection(Fallback::Parent);
        self.say(match (only, self.timeline()) {
            (true, true) => "Only groups that grow over the leak searches (o shows all)",
            (true, false) => "Only new or grown groups (o shows all)",
            (false, _) => "All groups, whatever their growth",
        });
        Effect::Redraw
    }

    /// Whether growth comes from the report's own leak searches.
    fn timeline(&self) -> bool {
        self.model.growth().is_some_and(|g| g.is_timeline())
    }

    pub(crate) fn toggle_hidden(&mut self) -> Effect {
        let show = !self.model.inputs().show_hidden;
        self.model.set_show_hidden(show);
        self.follow_selection(Fallback::Parent);
        self.say(if show {
            "Showing hidden records, dimmed"
        } else {
            "Hidden records are not shown"
        });
        Effect::Redraw
    }

    pub(crate) fn hide_selected(&mut self) -> Effect {
        let Some(node) = self.selected_node() else {
            return Effect::None;
        };
        let m = &self.model;
        let interner = &m.report().interner;
        let pn = &m.index().procs[node.proc_()];
        let rule: Box<dyn Hide> = match node {
            NodeRef::Proc { .. } => {
                self.warn("Select a category, group or record to hide");
                return Effect::Redraw;
            }
            NodeRef::Cat { c, .. } => {
                Box::new(CategoryRule::new(pn.cats[c as usize].category.clone()))
            }
            NodeRef::Group { c, g, .. } => {
                let cn = &pn.cats[c as usize];
                let gn = &cn.groups[g as usize];
                Box::new(GroupRule::new(
                    m.index().by,
                    gn.label.clone(),
                    Some(cn.category.clone()),
                    &gn.display,
                ))
            }
            NodeRef::Item { c, item, .. } => {
                let cn = &pn.cats[c as usize];
                let stack = m
                    .index()
                    .item_stack(m.report(), node.proc_(), c as usize, item);
                let shown = display_label(interner, stack, GroupBy::TopFrame);
                Box::new(StackRule::new(
                    interner,
                    stack,
                    cn.category.clone(),
                    &format!("{shown} (this stack)"),
                ))
            }
        };
        let hidden_before = self.hidden_totals();
        let name = sanitize(rule.name()).into_owned();
        self.model.push_rule(rule);
        let row = self.tree.selected;
        self.follow_selection(Fallback::Row(row));
        let (items, b) = self.hidden_totals();
        self.say(format!(
            "“{name}” hides {} · {} · u undoes · . shows hidden",
            plural(items - hidden_before.0, "record"),
            bytes(b - hidden_before.1)
        ));
        Effect::Redraw
    }

    /// What rules hide: (items, bytes).
    pub(crate) fn hidden_totals(&self) -> (u64, u128) {
        let h = self.model.hidden().hid;
        (h.items, h.bytes)
    }

    pub(crate) fn unhide(&mut self) -> Effect {
        let Some(rule) = self.model.pop_rule() else {
            self.say("Nothing is hidden by hand (loaded rules stay; --no-builtin-rules drops the built-in ones)");
            return Effect::Redraw;
        };
        self.follow_selection(Fallback::Parent);
        self.say(format!("Removed “{}”", sanitize(rule.name())));
        Effect::Redraw
    }

    pub(crate) fn open_editor(&mut self) -> Effect {
        let Some(det) = self.detail() else {
            return Effect::None;
        };
        let interner = &self.model.report().interner;
        let id = match self.focus {
            Focus::Detail => det.frame_at(self.detail_cursor),
            Focus::Tree => det.best_frame(interner),
        };
        let Some(id) = id else {
            self.warn("No frame with a source file here; Tab to the detail pane to pick a frame");
            return Effect::Redraw;
        };
        let f = interner.frame(id);
        match f.source_path() {
            Some(file) => Effect::OpenEditor { file, line: f.line },
            None => {
                let what = f
                    .object
                    .as_deref()
                    .map(|o| format!(" (only its object, {}, is known)", sanitize(o)))
                    .unwrap_or_default();
                self.warn(format!("This frame has no source file{what}"));
                Effect::Redraw
            }
        }
    }

    /// `v`: the log at the selected record's line (a group: its first
    /// shown record), in the pager.
    pub(crate) fn view_log(&mut self) -> Effect {
        let m = &self.model;
        let (p, c, item) = match self.selected_node() {
            Some(NodeRef::Item { p, c, item, .. }) => (p, c, item),
            Some(NodeRef::Group { p, c, g }) => {
                let (pu, cu) = (p as usize, c as usize);
                let first = m.first_listed(pu, cu, g);
                let first =
                    first.or_else(|| m.index().first_item(m.report(), (pu, cu, g), |_| true));
                (p, c, first.unwrap_or(0))
            }
            _ => {
                self.warn("Select a group or record: v opens the log at its line");
                return Effect::Redraw;
            }
        };
        let pn = &m.index().procs[p as usize];
        let cat = &pn.cats[c as usize].category;
        let line = item_key(m.report(), pn.process, cat, item).line;
        let input = m.report().processes[pn.process].input;
        let Some(file) = m.report().inputs.get(input).map(|i| i.path.clone()) else {
            return Effect::None;
        };
        if let Some(why) = crate::tui::pager::unviewable(&file) {
            self.warn(why);
            return Effect::Redraw;
        }
        Effect::OpenPager { file, line }
    }

    pub(crate) fn copy_stack(&mut self) -> Effect {
        match self.detail().and_then(|d| d.copy) {
            Some(text) => {
                let lines = text.lines().count();
                self.say(format!("Copied {lines} lines to the clipboard (OSC 52)"));
                Effect::Copy(text)
            }
            None => {
                self.warn("Select a group or record to copy its stack");
                Effect::Redraw
            }
        }
    }
}

fn no_baseline(given: bool) -> &'static str {
    if given {
        "The baseline comparison is not ready yet (it is made once the log is loaded)"
    } else {
        "No growth to show: give --baseline BASE, or open a log with several leak searches (a leakscope run directory)"
    }
}

fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", count(n), if n == 1 { "" } else { "s" })
}
