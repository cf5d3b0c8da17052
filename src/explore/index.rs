//! The shape of the tree: processes → categories → groups → items, built from
//! a report under one grouping. Rebuilt only when the report or the grouping
//! changes; filters and hiding work on top of it (see `projection`).

use super::frames::{
    compact_function, file_name, marked_label, same_place, short_label, shorten_middle, NAME_CAP,
};
use crate::model::{ErrorKind, Interner, LeakKind, Process, Report, StackId};
use crate::sanitize::sanitize;
use crate::triage::{group_errors, group_records, top_frame, GroupBy};
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
}

#[derive(Debug, Clone)]
pub struct ProcNode {
    /// Position in `report.processes`.
    pub process: usize,
    pub key: ProcKey,
    pub title: String,
    pub cats: Vec<CatNode>,
    /// Per loss record (in record order), its group's position in the
    /// category of its leak kind: the projection counts records in the
    /// order they lie in memory instead of walking groups, which list them
    /// scattered.
    pub record_group: RecordGroups,
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
    /// in the current sort order.
    pub items: Vec<u32>,
    /// How many leading frames every item's stack shares.
    pub common: u32,
    pub expanded: bool,
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
    /// No processes (before a report arrives).
    pub fn empty(by: GroupBy, sort: SortKey) -> Index {
        Index {
            by,
            sort,
            procs: Vec::new(),
        }
    }

    pub fn build(report: &Report, by: GroupBy, sort: SortKey) -> Index {
        let interner = &report.interner;
        let mut procs = Vec::new();
        for (pi, p) in report.processes.iter().enumerate() {
            // Every process gets a node, even one with nothing to list (no
            // leak search ran, a clean run): it is part of what the log says.
            let records = p.loss_records();
            let mut cats: Vec<CatNode> = LeakKind::ALL
                .iter()
                .map(|&k| CatNode {
                    category: Category::Leak(k),
                    groups: Vec::new(),
                    expanded: false,
                })
                .collect();
            let groups = group_records(interner, records, by);
            let mut per_kind = [0usize; 4];
            for g in &groups {
                per_kind[g.kind.index()] += 1;
            }
            let widest = per_kind.into_iter().max().unwrap_or(0);
            let mut record_group = RecordGroups::new(records.len(), widest);
            for g in groups {
                let position = cats[g.kind.index()].groups.len() as u32;
                for &r in &g.records {
                    record_group.set(r as usize, position);
                }
                let stacks = g.records.iter().map(|&i| records[i as usize].stack);
                let common = common_prefix(interner, stacks);
                let display = match (by, g.origin) {
                    (GroupBy::Origin, Some(o)) => marked_label(interner.frame(o).frame),
                    (GroupBy::Origin, None) => {
                        let stack = records[g.records[0] as usize].stack;
                        match crate::triage::own::cut_short_at(interner, stack) {
                            Some(c) => format!(
                                "{}{})",
                                crate::triage::group::CUT_SHORT,
                                marked_label(interner.frame(c).frame)
                            ),
                            None => display_label(interner, stack, GroupBy::TopFrame),
                        }
                    }
                    _ => display_label(interner, records[g.records[0] as usize].stack, by),
                };
                cats[g.kind.index()].groups.push(GroupNode {
                    label: g.label,
                    display,
                    items: g.records,
                    common,
                    expanded: false,
                });
            }
            cats.retain(|c| !c.groups.is_empty());
            let mut errs: FxHashMap<ErrorKind, Vec<GroupNode>> = FxHashMap::default();
            for g in group_errors(interner, &p.errors, by) {
                let stacks = g.errors.iter().map(|&i| p.errors[i].stack);
                let common = common_prefix(interner, stacks);
                let display = match by {
                    GroupBy::Origin => sanitize(&g.label).into_owned(),
                    _ => display_label(interner, p.errors[g.errors[0]].stack, by),
                };
                errs.entry(g.kind).or_default().push(GroupNode {
                    label: g.label,
                    display,
                    items: g.errors.iter().map(|&i| i as u32).collect(),
                    common,
                    expanded: false,
                });
            }
            let mut errs: Vec<_> = errs.into_iter().collect();
            errs.sort_by(|a, b| a.0.cmp(&b.0));
            cats.extend(errs.into_iter().map(|(k, groups)| CatNode {
                category: Category::Error(k),
                groups,
                expanded: false,
            }));
            procs.push(ProcNode {
                process: pi,
                key: ProcKey {
                    position: pi,
                    pid: p.pid,
                },
                title: sanitize(&p.title()).into_owned(),
                cats,
                record_group,
                expanded: true,
            });
        }
        let mut index = Index { by, sort, procs };
        index.sort_items(report, sort);
        index
    }

    /// Puts every group's items in `sort` order. The projection keeps this
    /// order, so a filter keystroke never sorts records.
    pub fn sort_items(&mut self, report: &Report, sort: SortKey) {
        self.sort = sort;
        for pn in &mut self.procs {
            let p = &report.processes[pn.process];
            for c in &mut pn.cats {
                for g in &mut c.groups {
                    sort_group_items(p, &c.category, &mut g.items, sort);
                }
            }
        }
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
}

/// Per loss record, its group's position in its category (see
/// `ProcNode::record_group`), in as few bytes as the largest category needs:
/// one for up to 256 groups, two for up to 65,536. 6.8 M records of one
/// stack take 6.8 MB, not 27.
#[derive(Debug, Clone)]
pub enum RecordGroups {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl RecordGroups {
    /// `records` records, all in group 0, for categories of at most
    /// `groups` groups.
    fn new(records: usize, groups: usize) -> RecordGroups {
        if groups <= 1 << 8 {
            RecordGroups::U8(vec![0; records])
        } else if groups <= 1 << 16 {
            RecordGroups::U16(vec![0; records])
        } else {
            RecordGroups::U32(vec![0; records])
        }
    }

    /// Puts record `i` in group `g` (which fits: see `new`).
    fn set(&mut self, i: usize, g: u32) {
        match self {
            RecordGroups::U8(v) => v[i] = g as u8,
            RecordGroups::U16(v) => v[i] = g as u16,
            RecordGroups::U32(v) => v[i] = g,
        }
    }

    /// Calls `f(i, &records[i], group of i)` for every record in order; the
    /// width is decided once, and the loop is compiled for each.
    #[inline]
    pub fn each<T>(&self, records: &[T], mut f: impl FnMut(usize, &T, u32)) {
        match self {
            RecordGroups::U8(v) => {
                for (i, (r, &g)) in records.iter().zip(v).enumerate() {
                    f(i, r, g.into());
                }
            }
            RecordGroups::U16(v) => {
                for (i, (r, &g)) in records.iter().zip(v).enumerate() {
                    f(i, r, g.into());
                }
            }
            RecordGroups::U32(v) => {
                for (i, (r, &g)) in records.iter().zip(v).enumerate() {
                    f(i, r, g);
                }
            }
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

fn sort_group_items(p: &Process, cat: &Category, items: &mut [u32], sort: SortKey) {
    match cat {
        Category::Leak(_) => {
            let recs = p.loss_records();
            let key = |i: &u32| {
                let r = &recs[*i as usize];
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
            };
            items.sort_by_key(key);
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

/// The number of leading frames all stacks share, comparing places (function,
/// source, object) rather than addresses.
fn common_prefix(interner: &Interner, mut stacks: impl Iterator<Item = StackId>) -> u32 {
    let Some(first) = stacks.next() else {
        return 0;
    };
    let base = interner.stack(first);
    let mut n = base.len();
    for s in stacks {
        if n == 0 {
            break;
        }
        let other = interner.stack(s);
        n = n.min(other.len());
        for i in 0..n {
            let (a, b) = (base[i], other[i]);
            if a != b && !same_place(interner.frame(a).frame, interner.frame(b).frame) {
                n = i;
                break;
            }
        }
    }
    n as u32
}

/// A group's name as a tree row shows it.
pub fn display_label(interner: &Interner, stack: StackId, by: GroupBy) -> String {
    match by {
        GroupBy::TopFrame => match top_frame(interner, stack) {
            Some(id) => short_label(interner.frame(id).frame),
            None => "(no stack)".to_string(),
        },
        // Classifies the whole report per call: `Index::build` labels origin
        // groups from the group's origin instead.
        GroupBy::Origin => sanitize(&crate::triage::group_label(interner, stack, by)).into_owned(),
        GroupBy::Object => {
            let label = crate::triage::group_label(interner, stack, by);
            let shown = if label.starts_with('/') {
                let name = file_name(&label);
                let dir = &label[..label.len() - name.len()];
                sanitize(&format!("{name}  {dir}")).into_owned()
            } else {
                sanitize(&label).into_owned()
            };
            shorten_middle(&shown, NAME_CAP)
        }
        GroupBy::Stack => {
            let names: Vec<String> = interner
                .frames_of(stack)
                .filter(|f| !crate::triage::is_allocator(f))
                .take(8)
                .map(|f| shorten_middle(&compact_function(f.frame), NAME_CAP / 4))
                .collect();
            if names.is_empty() {
                "(no stack)".to_string()
            } else {
                names.join(" ← ")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_groups_take_the_narrowest_width_and_read_back() {
        for (groups, wide) in [(1, 1), (256, 1), (257, 2), (65_536, 2), (65_537, 4)] {
            let mut rg = RecordGroups::new(3, groups);
            let width = match &rg {
                RecordGroups::U8(_) => 1,
                RecordGroups::U16(_) => 2,
                RecordGroups::U32(_) => 4,
            };
            assert_eq!(width, wide, "{groups} groups");
            let last = groups as u32 - 1;
            rg.set(0, last);
            rg.set(2, last / 2);
            let mut seen = Vec::new();
            rg.each(&['a', 'b', 'c'], |i, &r, g| seen.push((i, r, g)));
            assert_eq!(seen, [(0, 'a', last), (1, 'b', 0), (2, 'c', last / 2)]);
        }
    }
}
