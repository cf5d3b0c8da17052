//! [`Explorer`]: the report, the user's inputs, and the stages derived from
//! them, each rebuilt only when something before it changed.

use super::detail::{self, Ctx, Detail};
use super::filter::Filter;
use super::growth::{Growth, GrowthSource};
use super::hide::Verdicts;
use super::index::{Expansion, Index};
use super::places::FrameInfo;
use super::projection::{item_tot, listed_items, Fig, GrowthView, Projection, Tot, Visibility};
use super::toggles::Toggles;
use super::tree::{NodeRef, Row, Rows};
use crate::model::Report;
use crate::triage::rules::{self, RuleId};
use std::sync::Arc;

mod background;
mod change;
mod inputs;
mod rebuild;

pub use background::EngineState;
pub use inputs::{Inputs, Stage};

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
    rows: Rows,
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
    /// What the detail pane read of the last groups it showed.
    group_memo: detail::GroupMemo,
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
            rows: Rows::default(),
            dirty: Stage::Clean,
            rebuilds: [0; 6],
            touched: false,
            carried: None,
            group_memo: detail::GroupMemo::default(),
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
    /// The tree's rows (see [`Rows`]).
    pub fn rows(&self) -> RowsView<'_> {
        RowsView {
            rows: &self.rows,
            index: &self.index,
            proj: &self.proj,
        }
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
        self.rows.position(&self.index, &self.proj, node)
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
            memo: &self.group_memo,
            generation: (
                u64::from(self.rebuilds[Stage::Projection as usize]),
                u64::from(self.rebuilds[Stage::Index as usize]) << 8 | self.inputs.sort as u64,
            ),
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
            NodeRef::Item { p, c, item, .. } => {
                let pn = &self.index.procs[p as usize];
                let cn = &pn.cats[c as usize];
                let proc_ = &self.report.processes[pn.process];
                let hidden = self
                    .visibility()
                    .cause(&self.report, &self.index, p as usize, c as usize, item)
                    .is_some();
                (item_tot(proc_, &cn.category, item), hidden)
            }
        }
    }

    /// The items group `g`'s row lists (record or error indices): the
    /// shown ones, or all when hidden items are shown.
    pub fn listed_items(&self, p: usize, c: usize, g: u32) -> Vec<u32> {
        let vis = self.visibility();
        listed_items(&self.report, &self.index, &self.proj, &vis, (p, c, g))
    }

    /// The first item group `g`'s row lists (see `listed_items`), found
    /// without listing them.
    pub fn first_listed(&self, p: usize, c: usize, g: u32) -> Option<u32> {
        let vis = self.visibility();
        let (report, index) = (&*self.report, &self.index);
        let show_hidden = self.proj.show_hidden;
        index.first_item(report, (p, c, g), |item| {
            show_hidden || vis.cause(report, index, p, c, item).is_none()
        })
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
}

/// The tree's rows with the lists their item rows are read from.
#[derive(Clone, Copy)]
pub struct RowsView<'a> {
    rows: &'a Rows,
    index: &'a Index,
    proj: &'a Projection,
}

impl RowsView<'_> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<Row> {
        self.rows.get(self.index, self.proj, i)
    }

    /// Every row (tests; a tree draws only the rows on screen).
    pub fn all(&self) -> Vec<Row> {
        self.rows.all(self.index, self.proj)
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
