//! Changing the explorer's inputs: each change invalidates the stages that
//! read it and rebuilds them.

use super::{Explorer, Stage};
use crate::explore::growth::GrowthSource;
use crate::explore::hide::Hide;
use crate::explore::index::SortKey;
use crate::explore::toggles::Toggles;
use crate::explore::tree::NodeRef;
use crate::model::Report;
use crate::triage::rules::{self, RuleSet};
use crate::triage::GroupBy;
use std::sync::Arc;

impl Explorer {
    // ---- changing inputs ----

    pub(super) fn invalidate(&mut self, stage: Stage) {
        self.dirty = self.dirty.min(stage);
    }

    /// Takes a report (a snapshot of a log still loading, or the finished
    /// load): `parse` names the parse it comes from, `growth` its growth.
    pub fn load(&mut self, report: Arc<Report>, parse: u64, growth: GrowthSource) {
        if !self.loaded || parse != self.parse {
            self.engine = None;
        }
        self.engine_behind = self.engine.is_some();
        if self.touched && self.carried.is_none() && self.loaded {
            self.carried = Some(self.index.expansion());
        }
        self.report = report;
        self.parse = parse;
        self.loaded = true;
        self.growth_source = growth;
        self.invalidate(Stage::Frames);
        self.rebuild();
    }

    pub fn set_filter(&mut self, text: String) {
        self.filter
            .set_text(text, &self.frames, &self.report.interner);
        self.invalidate(Stage::Projection);
        self.rebuild();
    }

    pub fn set_group_by(&mut self, by: GroupBy) {
        self.inputs.group_by = by;
        if self.loaded {
            self.carried = Some(self.index.expansion());
        }
        self.invalidate(Stage::Index);
        self.rebuild();
    }

    pub fn set_sort(&mut self, sort: SortKey) {
        self.inputs.sort = sort;
        self.inputs.growth_sort = false;
        if self.dirty > Stage::Index {
            self.index.sort_items(&self.report, sort);
        }
        self.invalidate(Stage::Projection);
        self.rebuild();
    }

    pub fn set_growth_view(&mut self, sort: bool, only: bool) {
        self.inputs.growth_sort = sort;
        self.inputs.only_growth = only;
        self.invalidate(Stage::Projection);
        self.rebuild();
    }

    /// Folds or unfolds interpreter frames in the detail pane (built on
    /// demand, so nothing else is rebuilt).
    pub fn set_unfold_interpreter(&mut self, on: bool) {
        self.inputs.unfold_interpreter = on;
    }

    pub fn set_show_hidden(&mut self, on: bool) {
        self.inputs.show_hidden = on;
        self.invalidate(Stage::Projection);
        self.rebuild();
    }

    /// Adds a hand-made hide rule.
    pub fn push_rule(&mut self, rule: Box<dyn Hide>) {
        self.inputs.manual.push(rule);
        self.invalidate(Stage::Verdicts);
        self.rebuild();
    }

    /// Removes the last hand-made hide rule.
    pub fn pop_rule(&mut self) -> Option<Arc<dyn Hide>> {
        let r = self.inputs.manual.pop()?;
        self.invalidate(Stage::Verdicts);
        self.rebuild();
        Some(r)
    }

    pub fn set_toggles(&mut self, toggles: Toggles) {
        if toggles == self.inputs.toggles {
            return;
        }
        self.inputs.toggles = toggles;
        self.invalidate(Stage::Verdicts);
        self.rebuild();
    }

    /// Replaces the loaded rules (a reload). `decided`: the new set's
    /// verdicts, computed off the UI thread on a report of parse `parse`.
    /// Toggles carry over by rule location.
    pub fn set_rules(&mut self, set: Arc<RuleSet>, decided: Option<(rules::Hiding, u64)>) {
        self.inputs.toggles = self.inputs.toggles.carried(&self.inputs.rule_set, &set);
        self.inputs.rule_set = set;
        self.engine = decided
            .filter(|(_, parse)| self.loaded && *parse == self.parse)
            .map(|(e, _)| Arc::new(e));
        self.engine_behind = self.engine.is_some();
        self.engine_toggles = Toggles::default();
        self.invalidate(Stage::Verdicts);
        self.rebuild();
    }

    pub fn set_expanded(&mut self, node: NodeRef, open: bool) {
        let Some(pn) = self.index.procs.get_mut(node.proc_()) else {
            return;
        };
        self.touched = true;
        match node {
            NodeRef::Proc { .. } => pn.expanded = open,
            NodeRef::Cat { c, .. } => pn.cats[c as usize].expanded = open,
            NodeRef::Group { c, g, .. } => pn.cats[c as usize].groups[g as usize].expanded = open,
            NodeRef::Item { .. } => return,
        }
        self.invalidate(Stage::Rows);
        self.rebuild();
    }

    pub fn set_all_expanded(&mut self, open: bool) {
        self.touched = true;
        self.index.set_all_expanded(open);
        self.invalidate(Stage::Rows);
        self.rebuild();
    }

    /// Puts every category in display order (for jumping between matches).
    pub fn sort_all(&mut self) {
        self.proj.sort_all(&self.index);
    }
}
