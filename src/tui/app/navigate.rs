//! Moving around: selection, expansion, the detail pane's frame cursor, the
//! mouse, and jumping between filter matches.

use super::{App, Fallback, Focus, Overlay, Status};
use crate::explore::tree::NodeRef;
use crate::tui::action::Effect;
use crate::tui::layout::contains;

impl App {
    /// Selects a tree row and resets the detail pane to its top.
    pub(crate) fn select_row(&mut self, i: usize) {
        self.moved = true;
        let h = self.tree_height();
        let before = self.tree.selected;
        self.tree.select(i, self.rows().len(), h);
        if self.tree.selected != before {
            self.detail_cursor = 0;
            self.detail_offset = 0;
        }
        self.sync_key();
    }

    pub(crate) fn move_by(&mut self, delta: isize) -> Effect {
        match self.focus {
            Focus::Tree => {
                if self.rows().is_empty() {
                    return Effect::None;
                }
                let i = self.tree.selected.saturating_add_signed(delta);
                let i = i.min(self.rows().len() - 1);
                if i == self.tree.selected {
                    return Effect::None;
                }
                self.select_row(i);
            }
            Focus::Detail => self.move_cursor(delta),
        }
        Effect::Redraw
    }

    pub(crate) fn page(&mut self, dir: isize) -> Effect {
        let h = match self.focus {
            Focus::Tree => self.tree_height(),
            Focus::Detail => self.detail_height(),
        };
        self.move_by(dir * h.saturating_sub(1).max(1) as isize)
    }

    pub(crate) fn move_to_end(&mut self, end: bool) -> Effect {
        match self.focus {
            Focus::Tree => {
                let i = if end {
                    self.rows().len().saturating_sub(1)
                } else {
                    0
                };
                self.select_row(i);
            }
            Focus::Detail => self.move_cursor(if end { isize::MAX / 2 } else { isize::MIN / 2 }),
        }
        Effect::Redraw
    }

    /// Moves the frame cursor; past the first or last frame (or with no
    /// frames) it scrolls instead, so lines after the stack (aux stacks,
    /// the suppression) can be read.
    fn move_cursor(&mut self, delta: isize) {
        let Some(d) = self.detail() else {
            return;
        };
        let h = self.detail_height().max(1);
        let max_offset = d.lines.len().saturating_sub(h);
        let scroll = |off: usize| off.saturating_add_signed(delta).min(max_offset);
        if d.frames.is_empty() {
            self.detail_offset = scroll(self.detail_offset);
            return;
        }
        let cursor = self
            .detail_cursor
            .saturating_add_signed(delta)
            .min(d.frames.len() - 1);
        if cursor == self.detail_cursor {
            self.detail_offset = scroll(self.detail_offset);
            return;
        }
        self.detail_cursor = cursor;
        self.keep_cursor_visible();
        if delta.unsigned_abs() >= d.lines.len() {
            // g / G: to the very top or bottom of the pane.
            self.detail_offset = if delta > 0 {
                max_offset.min(d.frames[cursor])
            } else {
                0
            };
        }
    }

    /// Scrolls the detail pane so the frame cursor's line is on screen.
    pub(crate) fn keep_cursor_visible(&mut self) {
        let Some(d) = self.detail() else {
            return;
        };
        let h = self.detail_height().max(1);
        if let Some(&line) = d.frames.get(self.detail_cursor) {
            if line < self.detail_offset {
                // Show the stack's heading too when going back to its top.
                self.detail_offset = if self.detail_cursor == 0 {
                    line.saturating_sub(1)
                } else {
                    line
                };
            } else if line >= self.detail_offset + h {
                self.detail_offset = line + 1 - h;
            }
        }
        self.detail_offset = self.detail_offset.min(d.lines.len().saturating_sub(1));
    }

    fn expanded(&self, node: NodeRef) -> Option<bool> {
        self.model.expanded(node)
    }

    /// Opens or closes a node; the selection stays on its node.
    pub(crate) fn set_expanded(&mut self, node: NodeRef, open: bool) {
        self.moved = true;
        self.model.set_expanded(node, open);
        self.follow_selection(Fallback::Parent);
    }

    pub(crate) fn toggle(&mut self) -> Effect {
        if self.focus == Focus::Detail {
            return self.open_editor();
        }
        let Some(node) = self.selected_node() else {
            return Effect::None;
        };
        match self.expanded(node) {
            Some(open) => {
                self.set_expanded(node, !open);
            }
            // A record: its detail is what there is to open.
            None => self.focus = Focus::Detail,
        }
        Effect::Redraw
    }

    pub(crate) fn expand(&mut self) -> Effect {
        if self.focus == Focus::Detail {
            return Effect::None;
        }
        let Some(node) = self.selected_node() else {
            return Effect::None;
        };
        match self.expanded(node) {
            Some(false) => self.set_expanded(node, true),
            Some(true) => {
                let next = self.tree.selected + 1;
                let child = self
                    .rows()
                    .get(next)
                    .is_some_and(|r| r.node.parent() == Some(node));
                if child {
                    self.select_row(next);
                }
            }
            None => self.focus = Focus::Detail,
        }
        Effect::Redraw
    }

    pub(crate) fn collapse(&mut self) -> Effect {
        if self.focus == Focus::Detail {
            self.focus = Focus::Tree;
            return Effect::Redraw;
        }
        let Some(node) = self.selected_node() else {
            return Effect::None;
        };
        if self.expanded(node) == Some(true) {
            self.set_expanded(node, false);
            return Effect::Redraw;
        }
        let mut parent = node.parent();
        while let Some(p) = parent {
            if let Some(pos) = self.model.position(p) {
                self.select_row(pos);
                return Effect::Redraw;
            }
            parent = p.parent();
        }
        Effect::None
    }

    pub(crate) fn expand_all(&mut self, open: bool) -> Effect {
        if !self.model.has_content() {
            return Effect::None;
        }
        self.moved = true;
        self.model.set_all_expanded(open);
        self.follow_selection(Fallback::Parent);
        Effect::Redraw
    }

    pub(crate) fn click(&mut self, col: u16, row: u16) -> Effect {
        match self.overlay {
            Overlay::Help(_) | Overlay::Warnings(_) => {
                self.overlay = Overlay::None;
                return Effect::Redraw;
            }
            // The rules panel and the suppression prompt are keyboard-only.
            Overlay::Rules(_) | Overlay::Supp(_) | Overlay::StopRun => return Effect::None,
            Overlay::None | Overlay::Filter => {}
        }
        let a = self.areas();
        if contains(a.tree_rows, col, row) {
            self.focus = Focus::Tree;
            let i = self.tree.offset + (row - a.tree_rows.y) as usize;
            if i >= self.rows().len() {
                return Effect::Redraw;
            }
            if i == self.tree.selected {
                return self.toggle();
            }
            self.select_row(i);
            return Effect::Redraw;
        }
        if contains(a.detail_body, col, row) || contains(a.detail_title, col, row) {
            self.focus = Focus::Detail;
            if let Some(d) = self.detail() {
                let line = self.detail_offset + row.saturating_sub(a.detail_body.y) as usize;
                if let Some(f) = d.frames.iter().position(|&l| l == line) {
                    self.detail_cursor = f;
                }
            }
            return Effect::Redraw;
        }
        if contains(a.tree_header, col, row) {
            self.focus = Focus::Tree;
            return Effect::Redraw;
        }
        Effect::None
    }

    pub(crate) fn wheel(&mut self, col: u16, row: u16, down: bool) -> Effect {
        let step: isize = if down { 3 } else { -3 };
        let max = crate::tui::view::help::max_offset(self, self.size.1);
        if let Overlay::Help(off) | Overlay::Warnings(off) = &mut self.overlay {
            *off = off.saturating_add_signed(step).min(max);
            return Effect::Redraw;
        }
        let rules = self.model.inputs().rule_set.len();
        if let Overlay::Rules(panel) = &mut self.overlay {
            panel.selected = panel
                .selected
                .saturating_add_signed(step.signum())
                .min(rules.saturating_sub(1));
            return Effect::Redraw;
        }
        let a = self.areas();
        if contains(a.detail_body, col, row) || contains(a.detail_title, col, row) {
            let lines = self.detail().map(|d| d.lines.len()).unwrap_or(0);
            self.detail_offset = self
                .detail_offset
                .saturating_add_signed(step)
                .min(lines.saturating_sub(1));
            return Effect::Redraw;
        }
        if self.rows().is_empty() {
            return Effect::None;
        }
        let i = self
            .tree
            .selected
            .saturating_add_signed(step)
            .min(self.rows().len() - 1);
        self.select_row(i);
        Effect::Redraw
    }

    /// Items that match the filter (and no rule hides), in tree order (once
    /// every category is sorted).
    pub(crate) fn matches(&self) -> Vec<NodeRef> {
        let m = &self.model;
        let vis = m.visibility();
        let mut out = Vec::new();
        for (p, pn) in m.index().procs.iter().enumerate() {
            for c in 0..pn.cats.len() {
                let cv = &m.proj().procs[p].cats[c];
                if cv.order.is_empty() {
                    continue;
                }
                let lists = m.index().category_items(m.report(), p, c);
                for &g in &cv.order {
                    for &item in &lists[g as usize] {
                        if vis.cause(m.report(), m.index(), p, c, item).is_none() {
                            out.push(NodeRef::Item {
                                p: p as u32,
                                c: c as u32,
                                g,
                                item,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    pub(crate) fn jump_match(&mut self, forward: bool) -> Effect {
        if !self.model.filter().is_active() {
            self.status = Some(Status {
                text: "No filter: press / and type a pattern, then n/N jump between matches".into(),
                error: false,
            });
            return Effect::Redraw;
        }
        self.model.sort_all();
        let list = self.matches();
        let n = list.len();
        if n == 0 {
            self.status = Some(Status {
                text: "No record matches the filter".into(),
                error: true,
            });
            return Effect::Redraw;
        }
        let current = self.selected_node();
        let here = current.and_then(|c| list.iter().position(|&m| m == c));
        let next = match (here, self.match_pos) {
            (Some(i), _) => step(i, n, forward),
            (None, _) if current.is_some_and(|c| !matches!(c, NodeRef::Item { .. })) => {
                // From a category or group: its first match inside, if any.
                let c = current.unwrap_or(NodeRef::Proc { p: 0 });
                let inside = list.iter().position(|m| is_ancestor(c, *m));
                match (inside, self.match_pos) {
                    (Some(i), _) if forward => i,
                    (_, Some((i, _))) => step(i - 1, n, forward),
                    _ => {
                        if forward {
                            0
                        } else {
                            n - 1
                        }
                    }
                }
            }
            (None, Some((i, _))) => step((i - 1).min(n - 1), n, forward),
            (None, None) => {
                if forward {
                    0
                } else {
                    n - 1
                }
            }
        };
        let target = list[next];
        let mut up = target.parent();
        while let Some(a) = up {
            if self.model.expanded(a) == Some(false) {
                self.set_expanded(a, true);
            }
            up = a.parent();
        }
        if let Some(pos) = self.model.position(target) {
            self.select_row(pos);
        }
        self.focus = Focus::Tree;
        self.match_pos = Some((next + 1, n));
        self.status = Some(Status {
            text: format!(
                "match {} of {}",
                crate::report::human::count(next as u64 + 1),
                crate::report::human::count(n as u64)
            ),
            error: false,
        });
        Effect::Redraw
    }
}

fn step(i: usize, n: usize, forward: bool) -> usize {
    if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

fn is_ancestor(a: NodeRef, mut b: NodeRef) -> bool {
    while let Some(p) = b.parent() {
        if p == a {
            return true;
        }
        b = p;
    }
    false
}
