//! The rules panel (R): every loaded rule with what it hides, sorted by hidden
//! bytes; rules turned on and off here (and all built-ins at once with B)
//! stay so across snapshots.

use super::{App, Fallback, Overlay};
use crate::report::human::{bytes, count};
use crate::sanitize::sanitize;
use crate::triage::rules::RuleId;
use crate::tui::action::{Cmd, Effect};

/// The open panel: its rows in the order they had when it opened (turning
/// a rule on or off changes what rules hide, never where a rule sits), and
/// the selected row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesPanel {
    pub selected: usize,
    pub order: Vec<RuleId>,
}

impl App {
    /// Every loaded rule, in the panel's order (the model's, most hidden
    /// first, when the panel opened).
    pub fn rule_rows(&self) -> Vec<RuleId> {
        match &self.overlay {
            Overlay::Rules(p) => p.order.clone(),
            _ => self.model.rule_rows(),
        }
    }

    /// Whether the loaded rule is on (as toggled here).
    pub fn rule_enabled(&self, id: RuleId) -> bool {
        self.model.rule_enabled(id)
    }

    /// Rules the user turned off here.
    pub fn rules_off(&self) -> usize {
        let i = self.model.inputs();
        i.toggles.off(&i.rule_set)
    }

    pub(crate) fn open_rules(&mut self) -> Effect {
        if self.model.inputs().rule_set.is_empty() {
            self.warn("No rules are loaded (--no-builtin-rules, or no rule files)");
            return Effect::Redraw;
        }
        self.overlay = Overlay::Rules(RulesPanel {
            selected: 0,
            order: self.model.rule_rows(),
        });
        Effect::Redraw
    }

    pub(crate) fn rules_command(&mut self, cmd: Cmd) -> Effect {
        let n = self.model.inputs().rule_set.len();
        let Overlay::Rules(panel) = &mut self.overlay else {
            return Effect::None;
        };
        match cmd {
            Cmd::Quit => return self.quit(),
            Cmd::Down => panel.selected = (panel.selected + 1).min(n.saturating_sub(1)),
            Cmd::Up => panel.selected = panel.selected.saturating_sub(1),
            Cmd::ToggleRule => return self.toggle_selected_rule(),
            Cmd::ToggleBuiltin => return self.toggle_builtin(),
            Cmd::Rules | Cmd::Escape => self.overlay = Overlay::None,
            _ => {}
        }
        Effect::Redraw
    }

    fn toggle_selected_rule(&mut self) -> Effect {
        let Overlay::Rules(panel) = &self.overlay else {
            return Effect::None;
        };
        let Some(&id) = panel.order.get(panel.selected) else {
            return Effect::None;
        };
        let on = !self.rule_enabled(id);
        let mut toggles = self.model.inputs().toggles.clone();
        toggles.by_rule.insert(id, on);
        self.model.set_toggles(toggles);
        // The panel keeps its order and selection: the rule stays put.
        self.follow_selection(Fallback::Parent);
        let name = self
            .model
            .inputs()
            .rule_set
            .get(id)
            .map(|r| sanitize(&r.name).into_owned())
            .unwrap_or_default();
        let (n, b) = self.hidden_totals();
        self.say(format!(
            "“{name}” {} · hidden now: {} · {}",
            if on { "on" } else { "off" },
            plural_records(n),
            bytes(b)
        ));
        Effect::Redraw
    }

    pub(crate) fn toggle_builtin(&mut self) -> Effect {
        let set = self.model.inputs().rule_set.clone();
        if !set.rules().iter().any(|r| r.is_builtin()) {
            self.warn("No built-in rules are loaded");
            return Effect::Redraw;
        }
        let mut toggles = self.model.inputs().toggles.clone();
        toggles.builtin_off = !toggles.builtin_off;
        toggles
            .by_rule
            .retain(|id, _| set.get(*id).is_some_and(|r| !r.is_builtin()));
        let on = !toggles.builtin_off;
        self.model.set_toggles(toggles);
        self.follow_selection(Fallback::Parent);
        let (n, b) = self.hidden_totals();
        self.say(format!(
            "Built-in rules {} · hidden now: {} · {}",
            if on { "on" } else { "off" },
            plural_records(n),
            bytes(b)
        ));
        Effect::Redraw
    }
}

fn plural_records(n: u64) -> String {
    format!("{} record{}", count(n), if n == 1 { "" } else { "s" })
}
