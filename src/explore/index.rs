//! The shape of the tree: processes → categories → groups → items, built from
//! a report under one grouping. Rebuilt only when the report or the grouping
//! changes; filters and hiding work on top of it (see `projection`).

use super::frames::{
    compact_function, file_name, marked_label, same_place, short_label, shorten_middle, NAME_CAP,
};
use super::members::{self, LabelGroups, StackLabels};
use crate::model::{ErrorKind, FrameId, Interner, LeakKind, LossRecord, Process, Report, StackId};
use crate::sanitize::sanitize;
use crate::triage::own::OwnCode;
use crate::triage::tally::{tally_numbered, Key, KeyLabels, StackKeys, Tally};
use crate::triage::{group_errors, top_frame, GroupBy};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;

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
            labels: StackLabels::default(),
        }
    }

    /// The tree of `report` grouped `by`: loss records tallied as `summary`
    /// tallies them (`triage::tally`), their lists left to be made when
    /// shown; errors listed.
    pub fn build(report: &Report, by: GroupBy, sort: SortKey) -> Index {
        let interner = &report.interner;
        let own = OwnCode::of(interner);
        let keys = StackKeys::of(interner, &own, by, true);
        let tallies: Vec<Tallied> = report
            .processes
            .iter()
            .map(|p| tallies(interner, &own, &keys, p.loss_records()))
            .collect();
        // Labels numbered over all processes (a stack's label is the same
        // in each) by the groups' own texts, each key by its tally's number.
        let mut numbers: FxHashMap<&str, u32> = FxHashMap::default();
        let mut by_key: FxHashMap<Key, u32> = FxHashMap::default();
        let mut numbered: Vec<Vec<u32>> = Vec::with_capacity(tallies.len());
        for (ts, key_labels) in &tallies {
            // The tally's numbers are below its keys' count.
            let mut global = vec![0; key_labels.len()];
            let mut of_groups = Vec::with_capacity(ts.len());
            for (t, l) in ts {
                let n = numbers.len() as u32;
                let n = *numbers.entry(&t.label).or_insert(n);
                global[*l as usize] = n;
                of_groups.push(n);
            }
            by_key.extend(key_labels.iter().map(|&(k, l)| (k, global[l as usize])));
            numbered.push(of_groups);
        }
        let count = numbers.len();
        drop(numbers);
        let labels = StackLabels::of(interner, &keys, &by_key, count);
        drop((by_key, keys));
        let mut procs = Vec::new();
        let tallies = tallies
            .into_iter()
            .map(|(ts, _)| ts.into_iter().map(|(t, _)| t));
        let each = tallies.map(Vec::from_iter).zip(numbered);
        for ((pi, p), (tallies, numbers)) in report.processes.iter().enumerate().zip(each) {
            // Every process gets a node, even one with nothing to list (no
            // leak search ran, a clean run): it is part of what the log says.
            let records = p.loss_records();
            let (mut cats, groups) = leak_cats(interner, &labels, tallies, &numbers, records, by);
            cats.retain(|c| !c.groups.is_empty());
            cats.extend(error_cats(interner, p, by));
            procs.push(ProcNode {
                process: pi,
                key: ProcKey {
                    position: pi,
                    pid: p.pid,
                },
                title: sanitize(&p.title()).into_owned(),
                cats,
                groups,
                expanded: true,
            });
        }
        let mut index = Index {
            by,
            sort,
            procs,
            labels,
        };
        index.sort_items(report, sort);
        index
    }

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

    /// Calls `f(i, &record i, its group's position in its kind's category)`
    /// for every loss record of process `p` (an index position), in record
    /// order.
    #[inline]
    pub fn each_record(&self, report: &Report, p: usize, f: impl FnMut(usize, &LossRecord, u32)) {
        let pn = &self.procs[p];
        let records = report.processes[pn.process].loss_records();
        members::each_record(&self.labels, &pn.groups, records, f);
    }

    /// The items of group `g` of category `c` of process `p`, unsorted: a
    /// leak group's in record order, read from the report.
    pub fn each_item(
        &self,
        report: &Report,
        (p, c, g): (usize, usize, u32),
        mut f: impl FnMut(u32),
    ) {
        let cn = &self.procs[p].cats[c];
        match (&cn.category, &cn.groups[g as usize].items) {
            (Category::Error(_), Some(items)) => items.iter().copied().for_each(f),
            (Category::Error(_), None) => {}
            (Category::Leak(k), _) => {
                let kind = *k;
                self.each_record(report, p, |i, r, at| {
                    if at == g && r.kind == kind {
                        f(i as u32)
                    }
                })
            }
        }
    }

    /// Group `g`'s items in sort order: the kept list, or one listed now.
    pub fn items(&self, report: &Report, (p, c, g): (usize, usize, u32)) -> Cow<'_, [u32]> {
        if let Some(items) = &self.procs[p].cats[c].groups[g as usize].items {
            return Cow::Borrowed(items);
        }
        let mut items = Vec::new();
        self.each_item(report, (p, c, g), |i| items.push(i));
        let pn = &self.procs[p];
        let proc_ = &report.processes[pn.process];
        sort_group_items(proc_, &pn.cats[c].category, &mut items, self.sort);
        Cow::Owned(items)
    }

    /// The first of group `g`'s items in sort order that `keep` keeps,
    /// found without listing them.
    pub fn first_item(
        &self,
        report: &Report,
        at: (usize, usize, u32),
        keep: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        self.first_kept(report, at, keep, |_| {})
    }

    /// As [`Index::first_item`], calling `kept` with every item `keep`
    /// keeps (in no particular order) in the same pass.
    pub fn first_kept(
        &self,
        report: &Report,
        (p, c, g): (usize, usize, u32),
        keep: impl Fn(u32) -> bool,
        mut kept: impl FnMut(u32),
    ) -> Option<u32> {
        let pn = &self.procs[p];
        let cn = &pn.cats[c];
        if let Some(items) = &cn.groups[g as usize].items {
            let mut first = None;
            for &i in items.iter().filter(|&&i| keep(i)) {
                first = first.or(Some(i));
                kept(i);
            }
            return first;
        }
        let recs = report.processes[pn.process].loss_records();
        let mut best: Option<(LeakOrder, u32)> = None;
        self.each_item(report, (p, c, g), |i| {
            if keep(i) {
                kept(i);
                let k = leak_order(&recs[i as usize], self.sort);
                if best.map_or(true, |(b, _)| k < b) {
                    best = Some((k, i));
                }
            }
        });
        best.map(|(_, i)| i)
    }

    /// Per category and group of process `p` (`[c][g]`), the values `of`
    /// gives its items (`None`: none), in one pass over the records.
    pub fn group_sets<T: std::hash::Hash + Eq>(
        &self,
        report: &Report,
        p: usize,
        of: impl Fn(&Category, u32) -> Option<T>,
    ) -> Vec<Vec<FxHashSet<T>>> {
        let pn = &self.procs[p];
        let mut sets: Vec<Vec<FxHashSet<T>>> = pn
            .cats
            .iter()
            .map(|c| c.groups.iter().map(|_| FxHashSet::default()).collect())
            .collect();
        let mut cat_of = [usize::MAX; 4];
        for (c, cn) in pn.cats.iter().enumerate() {
            match &cn.category {
                Category::Leak(k) => cat_of[k.index()] = c,
                Category::Error(_) => {
                    for (g, gn) in cn.groups.iter().enumerate() {
                        for &i in gn.items.as_deref().unwrap_or_default() {
                            sets[c][g].extend(of(&cn.category, i));
                        }
                    }
                }
            }
        }
        self.each_record(report, p, |i, r, g| {
            let c = cat_of[r.kind.index()];
            if let Some(v) = of(&pn.cats[c].category, i as u32) {
                sets[c][g as usize].insert(v);
            }
        });
        sets
    }

    /// Every group's items of category `c` of process `p`, in sort order
    /// (`[g]`), listed in one pass over the records: for what walks a whole
    /// category (the jumps between filter matches), not kept.
    pub fn category_items(&self, report: &Report, p: usize, c: usize) -> Vec<Vec<u32>> {
        let pn = &self.procs[p];
        let cn = &pn.cats[c];
        let Category::Leak(kind) = cn.category else {
            return cn
                .groups
                .iter()
                .map(|g| g.items.clone().unwrap_or_default())
                .collect();
        };
        let mut lists = vec![Vec::new(); cn.groups.len()];
        self.each_record(report, p, |i, r, g| {
            if r.kind == kind {
                lists[g as usize].push(i as u32);
            }
        });
        let proc_ = &report.processes[pn.process];
        for l in &mut lists {
            sort_group_items(proc_, &cn.category, l, self.sort);
        }
        lists
    }

    /// Keeps the item lists of groups `wanted` (of process `p`) in sort
    /// order, found in one pass over the process's records: the rows stage
    /// lists expanded groups so.
    pub fn keep_lists(&mut self, report: &Report, p: usize, wanted: &[(usize, u32)]) {
        let cats = &self.procs[p].cats;
        // Per (leak kind, group position), where its list goes.
        let mut slot: FxHashMap<(LeakKind, u32), usize> = FxHashMap::default();
        for &(c, g) in wanted {
            let cn = &cats[c];
            if let (Category::Leak(k), None) = (&cn.category, &cn.groups[g as usize].items) {
                slot.insert((*k, g), slot.len());
            }
        }
        if slot.is_empty() {
            return;
        }
        let mut lists = vec![Vec::new(); slot.len()];
        self.each_record(report, p, |i, r, g| {
            if let Some(&s) = slot.get(&(r.kind, g)) {
                lists[s].push(i as u32);
            }
        });
        let pn = &mut self.procs[p];
        let proc_ = &report.processes[pn.process];
        let mut lists = lists.into_iter();
        for &(c, g) in wanted {
            let cn = &mut pn.cats[c];
            if let (Category::Leak(k), None) = (&cn.category, &cn.groups[g as usize].items) {
                if slot.contains_key(&(*k, g)) {
                    let mut items = lists.next().unwrap_or_default();
                    sort_group_items(proc_, &cn.category, &mut items, self.sort);
                    cn.groups[g as usize].items = Some(items);
                }
            }
        }
    }

    /// Lets go of the item lists of leak groups not expanded, unless they
    /// hold at most [`KEEP_COLLAPSED`] items together (so expanding a group
    /// again, or the next one, does not read every record again).
    pub fn drop_lists(&mut self) {
        let mut collapsed = 0;
        for pn in &self.procs {
            for cn in pn.cats.iter().filter(|c| c.category.is_leak()) {
                for g in &cn.groups {
                    if !(g.expanded && cn.expanded && pn.expanded) {
                        collapsed += g.items.as_ref().map_or(0, Vec::len);
                    }
                }
            }
        }
        if collapsed <= KEEP_COLLAPSED {
            return;
        }
        for pn in &mut self.procs {
            for cn in pn.cats.iter_mut().filter(|c| c.category.is_leak()) {
                for g in cn.groups.iter_mut() {
                    if !(g.expanded && cn.expanded && pn.expanded) {
                        g.items = None;
                    }
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

/// A process's leak categories (all four, empty ones too) from the tally,
/// groups in the order `group_records` gives (total bytes, kind, label),
/// and each label's group per kind.
fn leak_cats(
    interner: &Interner,
    labels: &StackLabels,
    tallies: Vec<Tally>,
    numbers: &[u32],
    records: &[LossRecord],
    by: GroupBy,
) -> (Vec<CatNode>, LabelGroups) {
    let mut cats: Vec<CatNode> = LeakKind::ALL
        .iter()
        .map(|&k| CatNode {
            category: Category::Leak(k),
            groups: Vec::new(),
            expanded: false,
        })
        .collect();
    let mut groups = LabelGroups::new(labels, records.len());
    // Per category, each group's origin.
    let mut origins: [Vec<Option<FrameId>>; 4] = Default::default();
    for (t, &number) in tallies.into_iter().zip(numbers) {
        let cat = &mut cats[t.kind.index()];
        groups.set(number, t.kind.index(), cat.groups.len() as u32);
        origins[t.kind.index()].push(t.origin);
        cat.groups.push(GroupNode {
            label: t.label,
            display: String::new(),
            items: None,
            len: t.totals.records,
            common: 0,
            expanded: false,
        });
    }
    // Each group's first record (its display) and the frames its records'
    // stacks share, in one pass over the records.
    let mut seen: Vec<Vec<(u32, StackId)>> = cats
        .iter()
        .map(|c| vec![(u32::MAX, StackId(0)); c.groups.len()])
        .collect();
    members::each_record(labels, &groups, records, |i, r, g| {
        let k = r.kind.index();
        let (first, last) = &mut seen[k][g as usize];
        let node = &mut cats[k].groups[g as usize];
        if *first == u32::MAX {
            *first = i as u32;
            node.common = interner.stack(r.stack).len() as u32;
        } else if *last != r.stack && node.common > 0 {
            let base = records[*first as usize].stack;
            node.common = common_prefix(interner, base, r.stack, node.common);
        }
        *last = r.stack;
    });
    for ((cat, seen), origins) in cats.iter_mut().zip(&seen).zip(&origins) {
        for ((node, &(first, _)), &origin) in cat.groups.iter_mut().zip(seen).zip(origins) {
            let stack = records[first as usize].stack;
            node.display = group_display(interner, by, origin, stack);
        }
    }
    (cats, groups)
}

/// A process's leak groups with their labels' numbers, and its keys'.
type Tallied = (Vec<(Tally, u32)>, KeyLabels);

/// A process's leak groups as `summary` tallies them, in the order
/// `group_records` gives (total bytes, kind, label), each with its label's
/// number in the tally; and each key its records name, with its number.
fn tallies(
    interner: &Interner,
    own: &OwnCode,
    keys: &StackKeys,
    records: &[LossRecord],
) -> Tallied {
    let numbered = tally_numbered(interner, own, keys, records, |_| ());
    let mut tallies: Vec<(Tally, u32)> = numbered
        .groups
        .into_iter()
        .map(|((), t)| t)
        .zip(numbered.labels)
        .collect();
    tallies.sort_by(|(a, _), (b, _)| {
        b.totals
            .total_bytes
            .cmp(&a.totals.total_bytes)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
    });
    (tallies, numbered.keys)
}

/// A leak group's row text: its origin's, or its first record's stack's.
fn group_display(
    interner: &Interner,
    by: GroupBy,
    origin: Option<FrameId>,
    stack: StackId,
) -> String {
    match (by, origin) {
        (GroupBy::Origin, Some(o)) => marked_label(interner.frame(o).frame),
        (GroupBy::Origin, None) => match crate::triage::own::cut_short_at(interner, stack) {
            Some(c) => format!(
                "{}{})",
                crate::triage::group::CUT_SHORT,
                marked_label(interner.frame(c).frame)
            ),
            None => display_label(interner, stack, GroupBy::TopFrame),
        },
        _ => display_label(interner, stack, by),
    }
}

/// A process's error categories, by kind, each group's contexts listed.
fn error_cats(interner: &Interner, p: &Process, by: GroupBy) -> Vec<CatNode> {
    let mut errs: FxHashMap<ErrorKind, Vec<GroupNode>> = FxHashMap::default();
    for g in group_errors(interner, &p.errors, by) {
        let mut common = interner.stack(p.errors[g.errors[0]].stack).len() as u32;
        let base = p.errors[g.errors[0]].stack;
        for &i in &g.errors[1..] {
            if common == 0 {
                break;
            }
            common = common_prefix(interner, base, p.errors[i].stack, common);
        }
        let display = match by {
            GroupBy::Origin => sanitize(&g.label).into_owned(),
            _ => display_label(interner, p.errors[g.errors[0]].stack, by),
        };
        errs.entry(g.kind).or_default().push(GroupNode {
            label: g.label,
            display,
            len: g.errors.len() as u64,
            items: Some(g.errors.iter().map(|&i| i as u32).collect()),
            common,
            expanded: false,
        });
    }
    let mut errs: Vec<_> = errs.into_iter().collect();
    errs.sort_by(|a, b| a.0.cmp(&b.0));
    errs.into_iter()
        .map(|(k, groups)| CatNode {
            category: Category::Error(k),
            groups,
            expanded: false,
        })
        .collect()
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

/// How many items the lists of collapsed leak groups may hold together
/// before they are let go (4 MiB).
const KEEP_COLLAPSED: usize = 1 << 20;

/// A loss record's place in sort order (ascending).
type LeakOrder = (std::cmp::Reverse<u64>, u32, u64);

fn leak_order(r: &LossRecord, sort: SortKey) -> LeakOrder {
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

fn sort_group_items(p: &Process, cat: &Category, items: &mut [u32], sort: SortKey) {
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

/// How many of the first `n` frames of stacks `a` and `b` are at the same
/// places (function, source, object) rather than addresses.
fn common_prefix(interner: &Interner, a: StackId, b: StackId, n: u32) -> u32 {
    let (base, other) = (interner.stack(a), interner.stack(b));
    let n = (n as usize).min(other.len());
    for i in 0..n {
        let (x, y) = (base[i], other[i]);
        if x != y && !same_place(interner.frame(x).frame, interner.frame(y).frame) {
            return i as u32;
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
