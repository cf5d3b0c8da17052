//! Loaded rules turned on and off by the user (the rules panel, `B`): an input
//! of the model, re-applied to the rule engine's verdicts on every report.

use crate::triage::rules::{RuleId, RuleSet};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toggles {
    /// Rules turned on or off one by one.
    pub by_rule: BTreeMap<RuleId, bool>,
    /// Every built-in rule off, unless turned back on one by one.
    pub builtin_off: bool,
}

impl Toggles {
    /// Whether the user left every rule as loaded.
    pub fn is_default(&self) -> bool {
        self.by_rule.is_empty() && !self.builtin_off
    }

    /// Whether rule `id` of `set` is wanted on.
    pub fn wanted_on(&self, set: &RuleSet, id: RuleId) -> bool {
        match self.by_rule.get(&id) {
            Some(&on) => on,
            None => !(self.builtin_off && set.get(id).is_some_and(|r| r.is_builtin())),
        }
    }

    /// How many of `set`'s rules are wanted off.
    pub fn off(&self, set: &RuleSet) -> usize {
        set.ids().filter(|&id| !self.wanted_on(set, id)).count()
    }

    /// The same choices for a reloaded set, matched by each rule's location
    /// (file:line): ids are positions and change when a file grows.
    pub fn carried(&self, old: &RuleSet, new: &RuleSet) -> Toggles {
        let by_place: BTreeMap<String, bool> = self
            .by_rule
            .iter()
            .filter_map(|(id, &on)| Some((old.get(*id)?.location(), on)))
            .collect();
        Toggles {
            by_rule: new
                .ids()
                .filter_map(|id| Some((id, *by_place.get(&new.get(id)?.location())?)))
                .collect(),
            builtin_off: self.builtin_off,
        }
    }
}
