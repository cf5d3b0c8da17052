//! Background rebuilds: a model seeded from the current one is loaded with
//! a new report off the UI thread, keeping the rule engine's state between
//! reports, then adopted after catching up with what the user changed.

use super::{Explorer, Stage};
use crate::explore::toggles::Toggles;
use crate::triage::rules::{self, RuleSet};
use std::sync::Arc;

/// The rule engine's verdicts with what they were decided for.
pub struct EngineState {
    set: Arc<RuleSet>,
    parse: u64,
    hiding: Arc<rules::Hiding>,
    toggles: Toggles,
}

impl Explorer {
    // ---- background rebuilds ----

    /// A copy of the inputs, to load a new report into off the UI thread
    /// (give it the last [`EngineState`] there so verdicts catch up
    /// incrementally). Cheap: the report and rules are shared.
    pub fn seed(&self) -> Explorer {
        let mut s = Explorer::new(self.inputs.clone());
        s.report = self.report.clone();
        s.parse = self.parse;
        s.loaded = self.loaded;
        s.touched = self.touched;
        s.carried = (self.touched && self.loaded).then(|| self.index.expansion());
        // Evaluated by `load`, on the builder's thread, against its frames.
        s.filter.defer_text(self.filter.text().to_string());
        s
    }

    /// The rule engine's state, for a background builder to keep between
    /// reports (see [`Explorer::offer_engine`]).
    pub fn engine_state(&self) -> Option<EngineState> {
        Some(EngineState {
            set: self.inputs.rule_set.clone(),
            parse: self.parse,
            hiding: self.engine.clone()?,
            toggles: self.engine_toggles.clone(),
        })
    }

    /// Uses an earlier engine state if it was decided with these rules on
    /// this parse: the next report's verdicts then only match what is new.
    pub fn offer_engine(&mut self, state: EngineState) {
        if Arc::ptr_eq(&state.set, &self.inputs.rule_set) && state.parse == self.parse {
            self.engine = Some(state.hiding);
            self.engine_toggles = state.toggles;
            self.engine_behind = true;
        }
    }

    /// Takes a model built off the UI thread from [`Explorer::seed`], after
    /// bringing it in line with whatever the user changed meanwhile. The
    /// replaced model is returned (drop it off the UI thread: freeing a big
    /// report takes longer than a frame).
    pub fn adopt(&mut self, mut newer: Explorer) -> Explorer {
        let cur = &self.inputs;
        if !Arc::ptr_eq(&cur.rule_set, &newer.inputs.rule_set) {
            // Rules were reloaded while it was built: decide the new set.
            newer.inputs.rule_set = cur.rule_set.clone();
            newer.engine = self.engine.clone().filter(|_| self.parse == newer.parse);
            newer.engine_behind = newer.engine.is_some();
            newer.engine_toggles = self.engine_toggles.clone();
            newer.invalidate(Stage::Verdicts);
        }
        if cur.group_by != newer.inputs.group_by {
            newer.inputs.group_by = cur.group_by;
            newer.invalidate(Stage::Index);
        }
        if cur.sort != newer.inputs.sort {
            newer.inputs.sort = cur.sort;
            newer.index.sort_items(&newer.report, cur.sort);
            newer.invalidate(Stage::Projection);
        }
        if cur.toggles != newer.inputs.toggles {
            newer.inputs.toggles = cur.toggles.clone();
            newer.invalidate(Stage::Verdicts);
        }
        if cur.manual != newer.inputs.manual {
            newer.inputs.manual = cur.manual.clone();
            newer.invalidate(Stage::Verdicts);
        }
        newer.inputs.unfold_interpreter = cur.unfold_interpreter;
        if (cur.show_hidden, cur.growth_sort, cur.only_growth)
            != (
                newer.inputs.show_hidden,
                newer.inputs.growth_sort,
                newer.inputs.only_growth,
            )
        {
            newer.inputs.show_hidden = cur.show_hidden;
            newer.inputs.growth_sort = cur.growth_sort;
            newer.inputs.only_growth = cur.only_growth;
            newer.invalidate(Stage::Projection);
        }
        if self.filter.text() != newer.filter.text() {
            let (frames, interner) = (&newer.frames, &newer.report.interner);
            newer
                .filter
                .set_text(self.filter.text().to_string(), frames, interner);
            newer.invalidate(Stage::Projection);
        }
        if self.touched {
            newer.touched = true;
            newer.index.apply_expansion(&self.index.expansion());
            newer.invalidate(Stage::Rows);
        }
        newer.rebuild();
        std::mem::replace(self, newer)
    }
}
