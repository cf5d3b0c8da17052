//! [`Explorer`]: the report, the user's inputs, and the stages derived from
//! them, each rebuilt only when something before it changed.

use super::detail::{self, Ctx, Detail};
use super::filter::Filter;
use super::growth::{Growth, GrowthSource};
use super::hide::{Hide, Hiding, Verdicts};
use super::index::{Category, Expansion, Index, SortKey};
use super::places::FrameInfo;
use super::projection::{
    item_tot, listed_items, project, Fig, GrowthView, Projection, Tot, Visibility,
};
use super::toggles::Toggles;
use super::tree::{build_rows, NodeRef, Row};
use crate::model::{LeakKind, Report};
use crate::triage::rules::{self, RuleId, RuleSet};
use crate::triage::GroupBy;
use std::sync::Arc;

/// The stages of a rebuild, in order. A change invalidates the stage that
/// reads it and every stage after it; [`Explorer::rebuild`] recomputes from
/// the earliest invalid stage on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Places of the report's frames (the filter's haystacks, own-code marks).
    Frames,
    /// Processes → categories → groups → items under the grouping and sort.
    Index,
    /// Which rule hides each item (loaded rules with toggles, then hand-made).
    Verdicts,
    /// Growth per node, from the growth source.
    Growth,
    /// Visible / hidden / filtered-out totals and group order.
    Projection,
    /// The flat list of rows under the expansion.
    Rows,
    /// Nothing to rebuild.
    Clean,
}

/// What the user chose; everything else is derived.
#[derive(Clone)]
pub struct Inputs {
    pub group_by: GroupBy,
    pub sort: SortKey,
    /// Show rule-hidden and filtered-out items, dimmed.
    pub show_hidden: bool,
    /// Groups sorted by growth instead of `sort`.
    pub growth_sort: bool,
    /// Only new or grown groups shown.
    pub only_growth: bool,
    /// Loaded rules (suppression files, built-in sets).
    pub rule_set: Arc<RuleSet>,
    /// Loaded rules turned on or off.
    pub toggles: Toggles,
    /// Rules made with the hide key.
    pub manual: Hiding,
    /// Show every interpreter frame between Python functions instead of
    /// folding each run into one line (the detail pane).
    pub unfold_interpreter: bool,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            group_by: GroupBy::default(),
            sort: SortKey::default(),
            show_hidden: false,
            growth_sort: false,
            only_growth: false,
            rule_set: Arc::new(RuleSet::new()),
            toggles: Toggles::default(),
            manual: Hiding::default(),
            unfold_interpreter: false,
        }
    }
}

/// The rule engine's verdicts with what they were decided for.
pub struct EngineState {
    set: Arc<RuleSet>,
    parse: u64,
    hiding: Arc<rules::Hiding>,
    toggles: Toggles,
}

/// The explorer's model. Inputs change only through its methods, each of
/// which invalidates the stages it affects and rebuilds them.
pub struct Explorer {
    inputs: Inputs,
    report: Arc<Report>,
    /// Which parse of the input `report` comes from: reports of one parse
    /// only grow, so rule verdicts catch up by matching what is new.
    parse: u64,
    loaded: bool,
    growth_source: GrowthSource,
    filter: Filter,
    frames: FrameInfo,
    index: Index,
    /// The loaded rules' verdicts (toggles applied); `None` without rules.
    /// Shared with the background builder's [`EngineState`] rather than
    /// copied there: a verdict per record and per stack is a second copy
    /// of the report's size class. It is cloned only when one side changes
    /// it while the other still holds it (`Arc::make_mut`).
    engine: Option<Arc<rules::Hiding>>,
    /// `engine` was decided on an earlier report of this parse.
    engine_behind: bool,
    /// The toggles `engine`'s enabled flags reflect.
    engine_toggles: Toggles,
    verdicts: Verdicts,
    growth: Option<Growth>,
    proj: Projection,
    rows: Vec<Row>,
    dirty: Stage,
    /// How many times each stage was rebuilt (tests and benches check that a
    /// change recomputes only what follows it).
    rebuilds: [u32; 6],
    /// The user expanded or collapsed something: carry the expansion to new
    /// indexes instead of the default one.
    touched: bool,
    /// An expansion to apply to the next index built (a background rebuild
    /// takes it from the model it was seeded from).
    carried: Option<Expansion>,
}

impl Default for Explorer {
    fn default() -> Self {
        Explorer::new(Inputs::default())
    }
}

impl Explorer {
    pub fn new(inputs: Inputs) -> Explorer {
        Explorer {
            index: Index::empty(inputs.group_by, inputs.sort),
            inputs,
            report: Arc::new(Report::new()),
            parse: 0,
            loaded: false,
            growth_source: GrowthSource::None,
            filter: Filter::default(),
            frames: FrameInfo::default(),
            engine: None,
            engine_behind: false,
            engine_toggles: Toggles::default(),
            verdicts: Verdicts::default(),
            growth: None,
            proj: Projection::default(),
            rows: Vec::new(),
            dirty: Stage::Clean,
            rebuilds: [0; 6],
            touched: false,
            carried: None,
        }
    }

    // ---- reading ----

    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }
    pub fn report(&self) -> &Report {
        &self.report
    }
    pub fn report_arc(&self) -> &Arc<Report> {
        &self.report
    }
    pub fn parse(&self) -> u64 {
        self.parse
    }
    /// Whether a report has arrived.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
    pub fn frames(&self) -> &FrameInfo {
        &self.frames
    }
    pub fn index(&self) -> &Index {
        &self.index
    }
    pub fn engine(&self) -> Option<&rules::Hiding> {
        self.engine.as_deref()
    }
    pub fn verdicts(&self) -> &Verdicts {
        &self.verdicts
    }
    pub fn growth(&self) -> Option<&Growth> {
        self.growth.as_ref()
    }
    pub fn growth_source(&self) -> &GrowthSource {
        &self.growth_source
    }
    pub fn proj(&self) -> &Projection {
        &self.proj
    }
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
    /// How many times `stage` was rebuilt.
    pub fn rebuilds(&self, stage: Stage) -> u32 {
        self.rebuilds.get(stage as usize).copied().unwrap_or(0)
    }

    /// Whether anything is there to explore.
    pub fn has_content(&self) -> bool {
        !self.index.procs.is_empty()
    }

    pub fn position(&self, node: NodeRef) -> Option<usize> {
        self.rows.iter().position(|r| r.node == node)
    }

    pub fn visibility(&self) -> Visibility<'_> {
        Visibility {
            filter: &self.filter,
            verdicts: &self.verdicts,
            growth: self.growth.as_ref().map(|growth| GrowthView {
                growth,
                sort: self.inputs.growth_sort,
                only: self.inputs.only_growth,
            }),
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            report: &self.report,
            frames: &self.frames,
            index: &self.index,
            proj: &self.proj,
            vis: self.visibility(),
            hiding: &self.inputs.manual,
            rule_set: &self.inputs.rule_set,
            engine: self.engine.as_deref(),
            growth: self.growth.as_ref(),
            unfold_interpreter: self.inputs.unfold_interpreter,
        }
    }

    /// What `node`'s tree row shows: its visible totals, or (a node shown
    /// only because hidden items are) what is not shown, and whether it is
    /// that. A process row totals its leaks (errors have no bytes).
    pub fn row_figures(&self, node: NodeRef) -> (Tot, bool) {
        let pv = &self.proj.procs[node.proc_()];
        match node {
            NodeRef::Proc { .. } => pv.leaks.shown_or_hidden(),
            NodeRef::Cat { c, .. } => pv.cats[c as usize].fig.shown_or_hidden(),
            NodeRef::Group { c, g, .. } => {
                pv.cats[c as usize].groups[g as usize].fig.shown_or_hidden()
            }
            NodeRef::Item { p, c, g, i } => {
                let pn = &self.index.procs[p as usize];
                let cn = &pn.cats[c as usize];
                let item = cn.groups[g as usize].items[i as usize];
                let proc_ = &self.report.processes[pn.process];
                let hidden = self
                    .visibility()
                    .cause(&self.report, &self.index, p as usize, c as usize, item)
                    .is_some();
                (item_tot(proc_, &cn.category, item), hidden)
            }
        }
    }

    /// The items group `g`'s row lists (positions in its item list): the
    /// shown ones, or all when hidden items are shown.
    pub fn listed_items(&self, p: usize, c: usize, g: u32) -> Vec<u32> {
        let vis = self.visibility();
        listed_items(&self.report, &self.index, &self.proj, &vis, (p, c, g)).collect()
    }

    /// The detail pane's content for `node`, prose wrapped to `width`.
    pub fn detail(&self, node: NodeRef, width: usize) -> Detail {
        detail::build(&self.ctx(), node, width)
    }

    /// Everything hidden by a rule, over all categories.
    pub fn hidden(&self) -> Fig {
        let mut f = Fig::default();
        for (_, c) in &self.proj.by_category {
            f.add(c);
        }
        f
    }

    /// Whether the expanded state of `node` (`None` for an item).
    pub fn expanded(&self, node: NodeRef) -> Option<bool> {
        let pn = self.index.procs.get(node.proc_())?;
        Some(match node {
            NodeRef::Proc { .. } => pn.expanded,
            NodeRef::Cat { c, .. } => pn.cats[c as usize].expanded,
            NodeRef::Group { c, g, .. } => pn.cats[c as usize].groups[g as usize].expanded,
            NodeRef::Item { .. } => return None,
        })
    }

    /// Loaded rules, most hidden bytes first (then error contexts, undecided
    /// items, file order): the rules panel's order.
    pub fn rule_rows(&self) -> Vec<RuleId> {
        let mut ids: Vec<RuleId> = self.inputs.rule_set.ids().collect();
        if let Some(e) = self.engine.as_deref() {
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

    /// What loaded rule `id` hides, or, when it is off, what it would hide
    /// if turned back on (so a disabled rule still says what it is for).
    pub fn rule_counts(&self, id: RuleId) -> rules::RuleCounts {
        let Some(e) = self.engine.as_deref() else {
            return rules::RuleCounts::default();
        };
        if e.is_enabled(id) {
            e.counts(id)
        } else {
            e.would_hide(id)
        }
    }

    /// Whether loaded rule `id` is on.
    pub fn rule_enabled(&self, id: RuleId) -> bool {
        self.inputs.toggles.wanted_on(&self.inputs.rule_set, id)
    }

    // ---- changing inputs ----

    fn invalidate(&mut self, stage: Stage) {
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

    // ---- the staged rebuild ----

    /// Recomputes every stage from the earliest invalid one.
    pub fn rebuild(&mut self) {
        let from = std::mem::replace(&mut self.dirty, Stage::Clean);
        for n in self.rebuilds.iter_mut().skip(from as usize) {
            *n += 1;
        }
        if from <= Stage::Frames {
            self.frames = FrameInfo::build(&self.report.interner);
            self.filter.refresh(&self.frames, &self.report.interner);
        }
        if from <= Stage::Index {
            self.build_index();
        }
        if from <= Stage::Verdicts {
            self.decide();
        }
        if from <= Stage::Growth {
            self.growth = self.growth_source.measure(&super::growth::Measure {
                report: &self.report,
                index: &self.index,
                rules: &self.inputs.rule_set,
                engine: self.engine.as_deref(),
            });
        }
        if from <= Stage::Projection {
            let show = self.inputs.show_hidden;
            // Only the filter, sort or view changed: the groups and their
            // verdicts are the last projection's (see `project`).
            let last = std::mem::take(&mut self.proj);
            let prev = (from == Stage::Projection).then_some(last);
            self.proj = project(&self.report, &self.index, &self.visibility(), show, prev);
        }
        if from <= Stage::Rows {
            self.build_rows();
        }
    }

    fn build_index(&mut self) {
        let carried = self.carried.take();
        let (by, sort) = (self.inputs.group_by, self.inputs.sort);
        self.index = Index::build(&self.report, by, sort);
        match carried {
            Some(e) => self.index.apply_expansion(&e),
            None => default_expansion(&mut self.index),
        }
    }

    /// The verdicts stage: the loaded rules' verdicts brought up to date
    /// with the report (only what is new is matched), toggles applied, then
    /// the hand-made rules.
    fn decide(&mut self) {
        let set = &self.inputs.rule_set;
        if set.is_empty() {
            self.engine = None;
        } else {
            match self.engine.as_mut() {
                Some(e) if self.engine_behind => Arc::make_mut(e).update(set, &self.report),
                Some(_) => {}
                None => {
                    self.engine = Some(Arc::new(set.apply(&self.report)));
                    self.engine_toggles = Toggles::default();
                }
            }
            let t = &self.inputs.toggles;
            if let Some(e) = self.engine.as_mut().filter(|_| self.engine_toggles != *t) {
                Arc::make_mut(e).set_enabled_by(&self.report, |id| t.wanted_on(set, id));
                self.engine_toggles = t.clone();
            }
        }
        self.engine_behind = false;
        self.verdicts = self
            .inputs
            .manual
            .evaluate(&self.report, self.engine.as_deref());
    }

    /// The rows stage: expanded categories put in order, then the rows,
    /// listing expanded groups' items as it meets them (only what the tree
    /// shows).
    fn build_rows(&mut self) {
        for (p, pn) in self.index.procs.iter().enumerate() {
            for (c, cn) in pn.cats.iter().enumerate() {
                if pn.expanded && cn.expanded {
                    self.proj.sort(&self.index, p, c);
                }
            }
        }
        let vis = Visibility {
            filter: &self.filter,
            verdicts: &self.verdicts,
            growth: None,
        };
        let (report, index) = (&self.report, &self.index);
        self.rows = build_rows(index, &mut self.proj, &mut |proj, p, c, g| {
            proj.list(report, index, &vis, p, c, g)
        });
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

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
