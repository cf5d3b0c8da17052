//! What the user chose ([`Inputs`]) and the stages derived from it
//! ([`Stage`]), in the order a rebuild recomputes them.

use super::super::hide::Hiding;
use super::super::index::SortKey;
use super::super::toggles::Toggles;
use crate::triage::rules::RuleSet;
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
