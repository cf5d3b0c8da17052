//! The tree made from a report under one grouping: leak groups as
//! `summary` tallies them, each stack numbered by its label from the
//! tally's own numbers, and errors grouped with their contexts.

use super::super::frames::{
    compact_function, file_name, marked_label, same_place, short_label, shorten_middle, NAME_CAP,
};
use super::super::members::{self, LabelGroups, StackLabels};
use super::{CatNode, Category, GroupNode, Index, ProcKey, ProcNode, SortKey};
use crate::model::{ErrorKind, FrameId, Interner, LeakKind, LossRecord, Process, Report, StackId};
use crate::sanitize::sanitize;
use crate::triage::own::OwnCode;
use crate::triage::tally::{tally_numbered, Key, KeyLabels, StackKeys, Tally};
use crate::triage::{group_errors, top_frame, GroupBy};
use rustc_hash::FxHashMap;

impl Index {
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
