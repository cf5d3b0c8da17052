//! The model without a terminal: which stages a change rebuilds, and the
//! figures it derives, on a real valgrind log (tests/fixtures/leaky.txt:
//! 6 definitely lost blocks of 385 bytes, 8 error contexts).

use super::*;
use crate::explore::hide::CategoryRule;
use crate::explore::index::{Category, SortKey};
use crate::model::LeakKind;
use crate::triage::GroupBy;

fn leaky() -> Arc<Report> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/leaky.txt");
    Arc::new(crate::parse::load_paths(&[p.to_string()], None).expect("fixture"))
}

fn loaded() -> Explorer {
    let mut m = Explorer::default();
    m.load(leaky(), 0, GrowthSource::None);
    m
}

fn counts(m: &Explorer) -> Vec<u32> {
    use Stage::*;
    [Frames, Index, Verdicts, Growth, Projection, Rows]
        .iter()
        .map(|&s| m.rebuilds(s))
        .collect()
}

#[test]
fn each_input_rebuilds_only_the_stages_after_it() {
    let mut m = loaded();
    assert_eq!(counts(&m), [1, 1, 1, 1, 1, 1]);
    m.set_filter("leaky".into());
    assert_eq!(counts(&m), [1, 1, 1, 1, 2, 2], "filter: projection on");
    m.set_expanded(NodeRef::Cat { p: 0, c: 0 }, false);
    assert_eq!(counts(&m), [1, 1, 1, 1, 2, 3], "expansion: rows only");
    m.push_rule(Box::new(CategoryRule::new(Category::Leak(
        LeakKind::DefinitelyLost,
    ))));
    assert_eq!(counts(&m), [1, 1, 2, 2, 3, 4], "hide rule: verdicts on");
    m.set_group_by(GroupBy::Object);
    assert_eq!(counts(&m), [1, 2, 3, 3, 4, 5], "grouping: index on");
    m.set_sort(SortKey::Name);
    assert_eq!(counts(&m), [1, 2, 3, 3, 5, 6], "sort: projection on");
    m.load(leaky(), 0, GrowthSource::None);
    assert_eq!(counts(&m), [2, 3, 4, 4, 6, 7], "a new report: everything");
}

#[test]
fn a_process_keeps_leaks_and_errors_apart() {
    let m = loaded();
    let report = m.report();
    let p = &report.processes[0];
    let pv = &m.proj().procs[0];
    assert_eq!(pv.leaks.vis.items, p.loss_records().len() as u64);
    assert_eq!(pv.errors.vis.items, p.errors.len() as u64);
    let dl: u64 = p
        .loss_records()
        .iter()
        .filter(|r| r.kind == LeakKind::DefinitelyLost)
        .map(|r| r.direct_bytes())
        .sum();
    assert_eq!(dl, 385, "the log's LEAK SUMMARY");
    // The detail pane says what the tree row does.
    let d = m.detail(NodeRef::Proc { p: 0 }, 0);
    let text: Vec<String> = d.lines.iter().map(|l| format!("{l:?}")).collect();
    let leaks = format!("{} records", pv.leaks.vis.items);
    assert!(text.iter().any(|l| l.contains(&leaks)), "{text:#?}");
    let errors = format!("{} contexts", pv.errors.vis.items);
    assert!(text.iter().any(|l| l.contains(&errors)), "{text:#?}");
}

#[test]
fn filtered_out_and_rule_hidden_are_counted_apart() {
    let mut m = loaded();
    let all = m.hidden().all();
    m.push_rule(Box::new(CategoryRule::new(Category::Leak(
        LeakKind::DefinitelyLost,
    ))));
    m.set_filter("no-frame-is-called-this".into());
    let f = m.hidden();
    assert_eq!(f.vis.items, 0);
    assert_eq!(f.hid.bytes, 385, "definitely lost: hidden by the rule");
    assert_eq!(f.hid.items + f.out.items, all.items);
    assert!(f.out.items > 0, "the rest: filtered out");
    assert_eq!(m.proj().matches, 0);
}

#[test]
fn a_background_build_keeps_what_the_user_changed_meanwhile() {
    let mut m = loaded();
    let mut newer = m.seed();
    m.set_filter("leaky".into());
    m.set_sort(SortKey::Blocks);
    m.set_expanded(NodeRef::Cat { p: 0, c: 0 }, false);
    newer.load(leaky(), 0, GrowthSource::None);
    let old = m.adopt(newer);
    assert_eq!(m.filter().text(), "leaky");
    assert_eq!(m.inputs().sort, SortKey::Blocks);
    assert_eq!(m.expanded(NodeRef::Cat { p: 0, c: 0 }), Some(false));
    assert_eq!(m.proj().matches, old.proj().matches);
    assert_eq!(m.rows().all(), old.rows().all());
}

#[test]
fn a_python_stack_cut_short_says_so_in_the_detail() {
    use crate::parse::perfmap::find::{attach, MapOptions};
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/perfmap/numba313.d/numba313.log.gz"
    );
    let mut r = crate::parse::load_paths(&[p.to_string()], None).expect("fixture");
    attach(&mut r, &MapOptions::default());
    let mut m = Explorer::default();
    m.load(Arc::new(r), 0, GrowthSource::None);
    m.set_group_by(GroupBy::Origin);
    let lines = |node| {
        let d = m.detail(node, 0);
        d.lines.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>()
    };
    let note = |l: &String| l.contains("the stack ends here");
    let (mut cut, mut whole) = (0, 0);
    for g in 0..8 {
        let title = lines(NodeRef::Group { p: 0, c: 0, g })[0].clone();
        let first = m.index().items(m.report(), (0, 0, g))[0];
        let item = lines(NodeRef::Item {
            p: 0,
            c: 0,
            g,
            item: first,
        });
        if title.contains("(stack cut short at") {
            assert!(item.iter().any(note), "{title}: {item:#?}");
            cut += 1;
        } else if title.contains("handle_request") {
            // handle_request's records reach main: no note.
            assert!(!item.iter().any(note), "{title}: {item:#?}");
            whole += 1;
        }
    }
    assert!(cut >= 3 && whole == 1, "{cut} {whole}");
}

/// A filter keystroke sums shown records in u64s (see `count_leaks`): a
/// sum past u64 is counted again in u128, never wrapped.
#[test]
fn a_filter_keystroke_sums_figures_past_u64() {
    let mut report = (*leaky()).clone();
    let search = report.processes[0]
        .leak_searches
        .last_mut()
        .expect("search");
    for r in &mut search.records {
        r.set_direct_bytes(u64::MAX);
    }
    let mut m = Explorer::default();
    m.load(Arc::new(report), 0, GrowthSource::None);
    m.set_group_by(GroupBy::Object);
    m.set_filter("new_node|widget".into());
    let vis = m.visibility();
    let shown = (0..m.report().processes[0].loss_records().len() as u32)
        .filter(|&i| {
            let (index, report) = (m.index(), m.report());
            let c = index.procs[0].cats.iter().position(|c| {
                c.category == Category::Leak(report.processes[0].loss_records()[i as usize].kind)
            });
            vis.cause(report, index, 0, c.expect("category"), i)
                .is_none()
        })
        .count() as u128;
    let leaks = m.proj().procs[0].leaks;
    assert_eq!(leaks.vis.bytes, shown * u128::from(u64::MAX));
    assert_eq!(leaks.vis.items, shown as u64);
    let cats = &m.proj().procs[0].cats;
    let most = cats.iter().flat_map(|c| &c.groups).map(|g| g.fig.vis.items);
    assert!(most.max() >= Some(2), "a group's sum past u64");
    assert!(leaks.out.items > 0, "something filtered out");
}

/// Nothing is listed per loss record until a group is expanded: its records
/// are then listed once, largest first, and its rows are read from that
/// list (the explorer needs no more memory than `summary` plus what it
/// shows).
#[test]
fn a_group_lists_its_records_only_once_expanded() {
    let mut m = loaded();
    let kept = |m: &Explorer| {
        let pn = &m.index().procs[0];
        let leaks = pn.cats.iter().filter(|c| c.category.is_leak());
        leaks
            .flat_map(|c| &c.groups)
            .filter(|g| g.kept_items().is_some())
            .count()
    };
    assert_eq!(kept(&m), 0, "nothing listed at load");
    let rows = m.rows().len();
    let group = NodeRef::Group { p: 0, c: 0, g: 0 };
    m.set_expanded(group, true);
    assert_eq!(kept(&m), 1);
    let gn = &m.index().procs[0].cats[0].groups[0];
    let items = gn.kept_items().unwrap().to_vec();
    assert_eq!(items.len() as u64, gn.len);
    assert_eq!(m.rows().len(), rows + items.len());
    let records = m.report().processes[0].loss_records();
    let sizes: Vec<u64> = items
        .iter()
        .map(|&i| records[i as usize].direct_bytes())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let at = m.position(group).unwrap();
    for (k, &item) in items.iter().enumerate() {
        let row = m.rows().get(at + 1 + k).unwrap();
        assert_eq!(
            row.node,
            NodeRef::Item {
                p: 0,
                c: 0,
                g: 0,
                item
            }
        );
        assert_eq!(m.position(row.node), Some(at + 1 + k));
    }
}
