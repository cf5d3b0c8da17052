//! How a group's items are ordered, and the figures they are ordered and
//! counted by (read from the report, never copied per item).

use super::{Category, Index};
use crate::model::{LossRecord, Process, Report, StackId};

/// How rows are ordered under their parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Bytes,
    Blocks,
    Count,
    Name,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Bytes => SortKey::Blocks,
            SortKey::Blocks => SortKey::Count,
            SortKey::Count => SortKey::Name,
            SortKey::Name => SortKey::Bytes,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Bytes => "bytes",
            SortKey::Blocks => "blocks",
            SortKey::Count => "count",
            SortKey::Name => "name",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub bytes: u64,
    pub indirect: u64,
    pub blocks: u64,
    /// Occurrences (errors); 1 for a loss record.
    pub count: u64,
    pub stack: StackId,
}

impl Index {
    /// Puts every kept item list (see `GroupNode::items`) in `sort` order.
    /// The projection keeps this order, so a filter keystroke never sorts
    /// records.
    pub fn sort_items(&mut self, report: &Report, sort: SortKey) {
        self.sort = sort;
        for pn in &mut self.procs {
            let p = &report.processes[pn.process];
            for c in &mut pn.cats {
                for g in &mut c.groups {
                    if let Some(items) = &mut g.items {
                        sort_group_items(p, &c.category, items, sort);
                    }
                }
            }
        }
    }
}

/// One record's or error's figures, the same wherever they are counted.
pub fn facts(p: &Process, cat: &Category, item: u32) -> Facts {
    match cat {
        Category::Leak(_) => {
            let r = &p.loss_records()[item as usize];
            Facts {
                bytes: r.direct_bytes(),
                indirect: r.indirect_bytes(),
                blocks: r.blocks(),
                count: 1,
                stack: r.stack,
            }
        }
        Category::Error(_) => {
            let e = &p.errors[item as usize];
            Facts {
                bytes: 0,
                indirect: 0,
                blocks: 0,
                count: e.count,
                stack: e.stack,
            }
        }
    }
}

/// A loss record's place in sort order (ascending).
pub(super) type LeakOrder = (std::cmp::Reverse<u64>, u32, u64);

pub(super) fn leak_order(r: &LossRecord, sort: SortKey) -> LeakOrder {
    let primary = match sort {
        SortKey::Bytes | SortKey::Count => r.direct_bytes(),
        SortKey::Blocks => r.blocks(),
        SortKey::Name => 0,
    };
    (
        std::cmp::Reverse(primary),
        r.number().unwrap_or(u32::MAX),
        r.line(),
    )
}

pub(super) fn sort_group_items(p: &Process, cat: &Category, items: &mut [u32], sort: SortKey) {
    match cat {
        Category::Leak(_) => {
            let recs = p.loss_records();
            items.sort_by_key(|i| leak_order(&recs[*i as usize], sort));
        }
        Category::Error(_) => {
            let errs = &p.errors;
            items.sort_by_key(|i| {
                let e = &errs[*i as usize];
                let primary = if sort == SortKey::Name { 0 } else { e.count };
                (std::cmp::Reverse(primary), e.line)
            });
        }
    }
}
