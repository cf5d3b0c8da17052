//! The rules panel (R): every loaded rule with what it hides, sorted by hidden
//! bytes; rules turned on and off here (and all built-ins at once with B)
//! stay so across snapshots.

use super::{App, Fallback};
use crate::model::Report;
use crate::report::human::{bytes, count};
use crate::sanitize::sanitize;
use crate::triage::rules::{self, RuleId};
use crate::tui::action::{Cmd, Effect};

/// The open panel: the selected row of [`App::rule_rows`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RulesPanel {
    pub selected: usize,
}

impl App {
    /// Every loaded rule, most hidden bytes first (then error contexts,
    /// undecided records, file order).
    pub fn rule_rows(&self) -> Vec<RuleId> {
        let mut ids: Vec<RuleId> = self.rule_set.ids().collect();
        if let Some(e) = self.data.as_ref().and_then(|d| d.engine.as_ref()) {
            ids.sort_by_cached_key(|&id| {
                let c = e.counts(id);
                (
                    std::cmp::Reverse(c.leaks.bytes),
                    std::cmp::Reverse(c.error_contexts),
                    std::cmp::Reverse(c.undecided_records + c.undecided_errors),
                    id,
                )
            });
        }
        ids
    }

    /// Whether the loaded rule is on (as toggled here).
    pub fn rule_enabled(&self, id: RuleId) -> bool {
        match self.data.as_ref().and_then(|d| d.engine.as_ref()) {
            Some(e) => e.is_enabled(id),
            None => self.wanted_on(id),
        }
    }

    /// Rules the user turned off here.
    pub fn rules_off(&self) -> usize {
        self.rule_set
            .ids()
            .filter(|&id| !self.wanted_on(id))
            .count()
    }

    fn wanted_on(&self, id: RuleId) -> bool {
        match self.rule_toggles.get(&id) {
            Some(&on) => on,
            None => !(self.builtin_off && self.rule_set.get(id).is_some_and(|r| r.is_builtin())),
        }
    }

    /// Brings a fresh snapshot's verdicts (every rule on) in line with the
    /// toggles made here.
    pub(crate) fn apply_toggles(&self, engine: &mut rules::Hiding, report: &Report) {
        if self.rule_toggles.is_empty() && !self.builtin_off {
            return;
        }
        engine.set_enabled_by(report, |id| self.wanted_on(id));
    }

    pub(crate) fn open_rules(&mut self) -> Effect {
        if self.rule_set.is_empty() {
            self.warn("No rules are loaded (--no-builtin-rules, or no rule files)");
            return Effect::Redraw;
        }
        self.rules_panel = Some(RulesPanel::default());
        Effect::Redraw
    }

    pub(crate) fn rules_command(&mut self, cmd: Cmd) -> Effect {
        let n = self.rule_set.len();
        let Some(panel) = self.rules_panel.as_mut() else {
            return Effect::None;
        };
        match cmd {
            Cmd::Quit => return Effect::Quit,
            Cmd::Down => panel.selected = (panel.selected + 1).min(n.saturating_sub(1)),
            Cmd::Up => panel.selected = panel.selected.saturating_sub(1),
            Cmd::ToggleRule => return self.toggle_selected_rule(),
            Cmd::ToggleBuiltin => return self.toggle_builtin(),
            Cmd::Rules | Cmd::Escape => self.rules_panel = None,
            _ => {}
        }
        Effect::Redraw
    }

    /// Re-decides every item after the rules' states changed.
    fn rules_changed(&mut self) {
        if let Some(d) = self.data.as_mut() {
            d.verdicts = self.hiding.evaluate(&d.report, d.engine.as_ref());
        }
        self.reproject(Fallback::Parent);
    }

    fn toggle_selected_rule(&mut self) -> Effect {
        let Some(panel) = self.rules_panel else {
            return Effect::None;
        };
        let Some(&id) = self.rule_rows().get(panel.selected) else {
            return Effect::None;
        };
        let on = !self.rule_enabled(id);
        self.rule_toggles.insert(id, on);
        if let Some(d) = self.data.as_mut() {
            if let Some(e) = d.engine.as_mut() {
                e.set_enabled(&d.report, id, on);
            }
        }
        self.rules_changed();
        // The selection follows the rule to its new place in the order.
        if let Some(pos) = self.rule_rows().iter().position(|&r| r == id) {
            self.rules_panel = Some(RulesPanel { selected: pos });
        }
        let name = self
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
        if !self.rule_set.rules().iter().any(|r| r.is_builtin()) {
            self.warn("No built-in rules are loaded");
            return Effect::Redraw;
        }
        self.builtin_off = !self.builtin_off;
        let set = self.rule_set.clone();
        self.rule_toggles
            .retain(|id, _| set.get(*id).is_some_and(|r| !r.is_builtin()));
        let on = !self.builtin_off;
        if let Some(d) = self.data.as_mut() {
            if let Some(e) = d.engine.as_mut() {
                e.set_enabled_where(&d.report, &set, |r| r.is_builtin(), on);
            }
        }
        self.rules_changed();
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
