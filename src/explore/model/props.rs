//! The property the explorer's figures rest on: for any grouping, sort,
//! filter, rule toggles, hand-made hides and show-hidden, every tree row
//! shows what its detail pane states, and every node's figures (shown,
//! rule-hidden, filtered out) are the sums of its children's. On real logs:
//! tests/fixtures/leaky.txt (leaks and errors, C and C++) and a
//! `--log-file=run.%p` pair (two processes). Every expanded group's rows are
//! its shown items (all, with hidden shown), in its order. A second filter
//! is then typed: that projection starts from the last one's totals (see
//! `project`), and the rows stage lists expanded groups again.

use super::*;
use crate::explore::hide::CategoryRule;
use crate::explore::index::{Category, SortKey};
use crate::model::ErrorKind;
use crate::model::LeakKind;
use crate::triage::rules::RuleSet;
use crate::triage::rules::Source;
use crate::triage::GroupBy;
use proptest::prelude::*;
use std::sync::LazyLock;

fn load(paths: &[&str]) -> Arc<Report> {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| format!("{}/tests/fixtures/{p}", env!("CARGO_MANIFEST_DIR")))
        .collect();
    Arc::new(crate::parse::load_paths(&paths, None).expect("fixture"))
}

static LEAKY: LazyLock<Arc<Report>> = LazyLock::new(|| load(&["leaky.txt"]));
static PAIR: LazyLock<Arc<Report>> =
    LazyLock::new(|| load(&["explorer/run.26873.txt", "explorer/run.26935.txt"]));

/// Rules that overlap (a record can match several), for errors and leaks.
const RULES: &str = "{
   through-main
   Memcheck:Leak
   ...
   fun:main
}
{
   new-node
   Memcheck:Leak
   fun:malloc
   fun:new_node
}
{
   widgets
   Memcheck:Leak
   ...
   fun:*make_widget*
}
{
   handle-request
   Memcheck:Leak
   ...
   fun:handle_request
}
{
   frees
   Memcheck:Free
   fun:free
   ...
}
";

static RULE_SET: LazyLock<Arc<RuleSet>> = LazyLock::new(|| {
    let mut set = RuleSet::new();
    set.add_text("props.supp", RULES, Source::CommandLine);
    assert_eq!(set.len(), 5, "{:?}", set.problems());
    Arc::new(set)
});

const FILTERS: [&str; 6] = [
    "",
    "main",
    "leaky.c:18",
    "widget",
    "no-frame-is-this",
    "new_node|free",
];
const GROUPINGS: [GroupBy; 4] = [
    GroupBy::TopFrame,
    GroupBy::Object,
    GroupBy::Stack,
    GroupBy::Origin,
];
const SORTS: [SortKey; 4] = [
    SortKey::Bytes,
    SortKey::Blocks,
    SortKey::Count,
    SortKey::Name,
];
const HIDES: [Category; 3] = [
    Category::Leak(LeakKind::DefinitelyLost),
    Category::Leak(LeakKind::IndirectlyLost),
    Category::Error(ErrorKind::InvalidFree),
];

/// A node's figures counted apart: shown, rule-hidden, filtered out.
fn fig_eq(a: &Fig, b: &Fig) -> bool {
    a.vis == b.vis && a.hid == b.hid && a.out == b.out
}

/// Checks every node of the model: row = detail, parent = sum of children.
fn check(m: &Explorer) -> Result<(), TestCaseError> {
    let vis = m.visibility();
    let (report, index, proj) = (m.report(), m.index(), m.proj());
    for (p, pn) in index.procs.iter().enumerate() {
        let pv = &proj.procs[p];
        let proc_ = &report.processes[pn.process];
        let (mut leaks, mut errors) = (Fig::default(), Fig::default());
        // Each leak group's records, as grouping them apart lists them.
        let apart: std::collections::HashMap<_, _> =
            crate::triage::group_records(&report.interner, proc_.loss_records(), index.by)
                .into_iter()
                .map(|g| ((g.kind, g.label), g.records))
                .collect();
        for (c, cn) in pn.cats.iter().enumerate() {
            let cv = &pv.cats[c];
            let mut cat = Fig::default();
            for (g, gn) in cn.groups.iter().enumerate() {
                let items = index.items(report, (p, c, g as u32));
                prop_assert_eq!(items.len() as u64, gn.len);
                if let crate::explore::index::Category::Leak(k) = cn.category {
                    let mut sorted = items.to_vec();
                    sorted.sort_unstable();
                    prop_assert_eq!(Some(&sorted), apart.get(&(k, gn.label.clone())));
                }
                let mut group = Fig::default();
                for &item in items.iter() {
                    let t = crate::explore::projection::item_tot(proc_, &cn.category, item);
                    let mut f = Fig::default();
                    match vis.cause(report, index, p, c, item) {
                        None => f.vis = t,
                        Some(crate::explore::projection::Cause::Rule(_)) => f.hid = t,
                        Some(crate::explore::projection::Cause::Filter) => f.out = t,
                    }
                    group.add(&f);
                }
                prop_assert!(fig_eq(&group, &cv.groups[g].fig), "group {p}/{c}/{g}");
                cat.add(&group);
            }
            prop_assert!(fig_eq(&cat, &cv.fig), "category {p}/{c}");
            if cn.category.is_leak() {
                leaks.add(&cat);
            } else {
                errors.add(&cat);
            }
        }
        prop_assert!(fig_eq(&leaks, &pv.leaks), "process {p} leaks");
        prop_assert!(fig_eq(&errors, &pv.errors), "process {p} errors");
    }
    // Each expanded group's item rows: what it lists, in order.
    let mut listed: Vec<((u32, u32, u32), Vec<u32>)> = Vec::new();
    for row in m.rows().all() {
        match row.node {
            NodeRef::Group { p, c, g } if m.expanded(row.node) == Some(true) => {
                listed.push(((p, c, g), Vec::new()))
            }
            NodeRef::Item { p, c, g, item } => match listed.last_mut() {
                Some((at, items)) if *at == (p, c, g) => items.push(item),
                _ => prop_assert!(false, "item row {:?} outside its group", row.node),
            },
            _ => {}
        }
    }
    for ((p, c, g), rows) in listed {
        let items = index.items(report, (p as usize, c as usize, g));
        let want: Vec<u32> = items
            .iter()
            .copied()
            .filter(|&item| {
                let shown = vis
                    .cause(report, index, p as usize, c as usize, item)
                    .is_none();
                m.inputs().show_hidden || shown
            })
            .collect();
        prop_assert_eq!(&rows, &want, "items of group {}/{}/{}", p, c, g);
        prop_assert_eq!(m.listed_items(p as usize, c as usize, g), want);
    }
    for row in m.rows().all() {
        let shown = m.row_figures(row.node);
        let said = m.detail(row.node, 0).figures;
        prop_assert_eq!(Some(shown), said, "row {:?}", row.node);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rows_equal_their_detail_and_the_sum_of_their_children(
        pair in any::<bool>(),
        group in 0..GROUPINGS.len(),
        sort in 0..SORTS.len(),
        filter in 0..FILTERS.len(),
        fuzzy in any::<bool>(),
        toggles in proptest::collection::vec(any::<bool>(), 5),
        hides in proptest::collection::vec(0..HIDES.len(), 0..3),
        show_hidden in any::<bool>(),
        refilter in 0..FILTERS.len(),
    ) {
        let mut m = Explorer::new(Inputs {
            rule_set: RULE_SET.clone(),
            ..Inputs::default()
        });
        let report = if pair { PAIR.clone() } else { LEAKY.clone() };
        m.load(report, 0, GrowthSource::None);
        m.set_group_by(GROUPINGS[group]);
        m.set_sort(SORTS[sort]);
        let prefix = if fuzzy {
            crate::explore::filter::FUZZY_PREFIX.to_string()
        } else {
            String::new()
        };
        m.set_filter(format!("{prefix}{}", FILTERS[filter]));
        let t = Toggles {
            by_rule: RULE_SET.ids().zip(toggles).collect(),
            builtin_off: false,
        };
        m.set_toggles(t);
        for h in hides {
            m.push_rule(Box::new(CategoryRule::new(HIDES[h].clone())));
        }
        m.set_show_hidden(show_hidden);
        m.set_all_expanded(true);
        check(&m)?;
        // Another keystroke: projected again, expanded groups listed again.
        m.set_filter(format!("{prefix}{}", FILTERS[refilter]));
        check(&m)?;
    }
}
