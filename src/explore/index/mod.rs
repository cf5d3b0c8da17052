//! The shape of the tree: processes → categories → groups → items, built from
//! a report under one grouping. Rebuilt only when the report or the grouping
//! changes; filters and hiding work on top of it (see `projection`).
//!
//! Its parts: `build` makes the tree from the tally (`triage::tally`) and the
//! report's errors; `lists` makes a group's item list from the report on
//! demand and keeps it only while shown; `order` is how items are sorted
//! and the figures they are sorted and counted by.

mod build;
mod lists;
mod order;

pub use build::display_label;
pub use order::{facts, Facts, SortKey};

use super::members::{self, LabelGroups, StackLabels};
use crate::model::{ErrorKind, LeakKind, LossRecord, Report, StackId};
use crate::triage::GroupBy;
use rustc_hash::{FxHashMap, FxHashSet};

/// The second level of the tree: a leak kind, or a memcheck error kind.
/// Ordered as shown: the four leak kinds first, then errors by kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Leak(LeakKind),
    Error(ErrorKind),
}

impl Category {
    pub fn name(&self) -> &str {
        match self {
            Category::Leak(k) => k.text(),
            Category::Error(k) => k.as_str(),
        }
    }

    /// Two-letter tag for the status line.
    pub fn tag(&self) -> &str {
        match self {
            Category::Leak(LeakKind::DefinitelyLost) => "DL",
            Category::Leak(LeakKind::IndirectlyLost) => "IL",
            Category::Leak(LeakKind::PossiblyLost) => "PL",
            Category::Leak(LeakKind::StillReachable) => "SR",
            Category::Error(_) => "ERR",
        }
    }

    pub fn is_leak(&self) -> bool {
        matches!(self, Category::Leak(_))
    }
}

/// Identifies a process across re-parses of a growing log: processes are
/// appended in order of first appearance, so the position is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcKey {
    pub position: usize,
    pub pid: u32,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub by: GroupBy,
    pub sort: SortKey,
    pub procs: Vec<ProcNode>,
    /// Each stack's label under `by`: with a process's `LabelGroups`, a
    /// loss record's group (nothing is kept per record).
    labels: StackLabels,
}

#[derive(Debug, Clone)]
pub struct ProcNode {
    /// Position in `report.processes`.
    pub process: usize,
    pub key: ProcKey,
    pub title: String,
    pub cats: Vec<CatNode>,
    /// Per label, its group in each leak kind's category: with the index's
    /// stack labels, a loss record's group, so the projection counts
    /// records in the order they lie in memory (see `Index::each_record`).
    groups: LabelGroups,
    pub expanded: bool,
}

#[derive(Debug, Clone)]
pub struct CatNode {
    pub category: Category,
    pub groups: Vec<GroupNode>,
    pub expanded: bool,
}

#[derive(Debug, Clone)]
pub struct GroupNode {
    /// The grouping's label: the group's identity.
    pub label: String,
    /// What a tree row shows (compact, sanitized).
    pub display: String,
    /// Indices into the process's loss records (leak categories) or errors,
    /// in the current sort order, when kept: always for an error group (a
    /// process's contexts are few), for a leak group only while it is
    /// expanded (`Index::list`); otherwise [`Index::items`] lists them from
    /// the report when asked (a list of every record would cost 4 bytes a
    /// record: 27 MB on 6.8 M records).
    items: Option<Vec<u32>>,
    /// How many items it has.
    pub len: u64,
    /// How many leading frames every item's stack shares.
    pub common: u32,
    pub expanded: bool,
}

impl GroupNode {
    /// Its items in sort order, when kept (see `items`).
    pub fn kept_items(&self) -> Option<&[u32]> {
        self.items.as_deref()
    }
}

impl Index {
    /// No processes (before a report arrives).
    pub fn empty(by: GroupBy, sort: SortKey) -> Index {
        Index {
            by,
            sort,
            procs: Vec::new(),
            labels: StackLabels::default(),
        }
    }

    /// Calls `f(i, &record i, its group's position in its kind's category)`
    /// for every loss record of process `p` (an index position), in record
    /// order.
    #[inline]
    pub fn each_record(&self, report: &Report, p: usize, f: impl FnMut(usize, &LossRecord, u32)) {
        let pn = &self.procs[p];
        let records = report.processes[pn.process].loss_records();
        members::each_record(&self.labels, &pn.groups, records, f);
    }

    /// Whether the tree shows a process level.
    pub fn multi_process(&self) -> bool {
        self.procs.len() > 1
    }

    /// Collects what is expanded, to carry it over to a rebuilt index.
    pub fn expansion(&self) -> Expansion {
        let mut e = Expansion::default();
        for p in &self.procs {
            if !p.expanded {
                e.collapsed_procs.insert(p.key);
            }
            for c in &p.cats {
                if c.expanded {
                    e.cats.insert((p.key, c.category.clone()));
                }
                let open: FxHashSet<String> = c
                    .groups
                    .iter()
                    .filter(|g| g.expanded)
                    .map(|g| g.label.clone())
                    .collect();
                if !open.is_empty() {
                    e.groups.insert((p.key, c.category.clone()), open);
                }
            }
        }
        e
    }

    pub fn apply_expansion(&mut self, e: &Expansion) {
        for p in &mut self.procs {
            p.expanded = !e.collapsed_procs.contains(&p.key);
            for c in &mut p.cats {
                let k = (p.key, c.category.clone());
                c.expanded = e.cats.contains(&k);
                if let Some(open) = e.groups.get(&k) {
                    for g in &mut c.groups {
                        g.expanded = open.contains(g.label.as_str());
                    }
                }
            }
        }
    }

    pub fn set_all_expanded(&mut self, expanded: bool) {
        // A single process has no row of its own, so it is never collapsed.
        let single = self.procs.len() == 1;
        for p in &mut self.procs {
            p.expanded = expanded || single;
            for c in &mut p.cats {
                c.expanded = expanded;
                for g in &mut c.groups {
                    g.expanded = expanded;
                }
            }
        }
    }

    pub fn item_stack(&self, report: &Report, p: usize, c: usize, item: u32) -> StackId {
        let pn = &self.procs[p];
        let proc_ = &report.processes[pn.process];
        match pn.cats[c].category {
            Category::Leak(_) => proc_.loss_records()[item as usize].stack,
            Category::Error(_) => proc_.errors[item as usize].stack,
        }
    }

    /// The group of category `c` holding item `item` (a record or error
    /// index of process `p`), if any.
    pub fn group_holding(&self, report: &Report, p: usize, c: usize, item: u32) -> Option<u32> {
        let pn = &self.procs[p];
        let proc_ = &report.processes[pn.process];
        match pn.cats[c].category {
            Category::Leak(k) => {
                let r = proc_.loss_records().get(item as usize)?;
                let g = members::group_of(&self.labels, &pn.groups, r);
                (r.kind == k && g != members::NONE).then_some(g)
            }
            Category::Error(_) => pn.cats[c]
                .groups
                .iter()
                .position(|g| g.items.as_ref().is_some_and(|i| i.contains(&item)))
                .map(|g| g as u32),
        }
    }
}

/// What was expanded, keyed by identity rather than position.
#[derive(Debug, Default, Clone)]
pub struct Expansion {
    pub collapsed_procs: FxHashSet<ProcKey>,
    pub cats: FxHashSet<(ProcKey, Category)>,
    pub groups: FxHashMap<(ProcKey, Category), FxHashSet<String>>,
}
