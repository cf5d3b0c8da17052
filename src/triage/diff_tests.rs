//! The diff on small real logs (tests/fixtures): identity, empty base,
//! processes matched by command, and the rules seam.

use super::*;
use crate::model::Report;
use crate::parse::parse_bytes;
use crate::triage::hide::NoRules;
use crate::triage::pairing::MatchedBy;
use crate::triage::{group_errors, group_records, GroupBy};

fn fixture(rel: &str) -> String {
    let path = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str, text: &str) -> Report {
    parse_bytes(name, text.as_bytes(), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn diff_default(base: &Report, new: &Report) -> Diff {
    diff(base, new, &DiffOptions::default(), &NoRules)
}

/// A clean run of the same program: a process, no records, no errors.
const CLEAN: &str = "\
==900== Memcheck, a memory error detector
==900== Command: ./leaky
==900== 
==900== HEAP SUMMARY:
==900==     in use at exit: 0 bytes in 0 blocks
==900==   total heap usage: 1 allocs, 1 frees, 10 bytes allocated
==900== 
==900== All heap blocks were freed -- no leaks are possible
==900== 
==900== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)
";

#[test]
fn a_report_diffs_to_all_unchanged_against_itself() {
    for rel in ["leaky.txt", "multi-pid.txt"] {
        let r = parse(rel, &fixture(rel));
        let d = diff_default(&r, &r);
        assert!(!d.groups.is_empty(), "{rel}");
        for g in &d.groups {
            assert_eq!(
                g.status,
                Status::Unchanged,
                "{rel}: {}",
                g.signature.top_label()
            );
            assert_eq!((g.delta_total_bytes(), g.delta_blocks()), (0, 0));
        }
        assert_eq!(d.visible_growth(), 0);
        assert!(d.chains.iter().all(|c| c.matched_by == MatchedBy::Command));
    }
}

#[test]
fn against_an_empty_report_everything_is_new() {
    let empty = parse("clean.txt", CLEAN);
    assert!(empty.processes[0].loss_records().is_empty());
    let leaky = parse("leaky.txt", &fixture("leaky.txt"));
    let d = diff_default(&empty, &leaky);
    let p = &leaky.processes[0];
    let expected = group_records(&leaky.interner, p.loss_records(), GroupBy::TopFrame).len()
        + group_errors(&leaky.interner, &p.errors, GroupBy::TopFrame).len();
    assert_eq!(d.groups.len(), expected, "same groups as `summary`");
    assert!(d.groups.iter().all(|g| g.status == Status::New));
    // Every byte once: indirectly lost bytes are inside their owners' totals,
    // so the growth is what LEAK SUMMARY adds up, not the sum of total_bytes.
    let direct: u128 = p
        .loss_records()
        .iter()
        .map(|r| u128::from(r.direct_bytes()))
        .sum();
    let total: u128 = p.loss_records().iter().map(|r| r.total_bytes()).sum();
    assert!(total > direct, "the fixture has indirect bytes");
    assert_eq!(d.visible_growth(), direct);
    // Largest growth first.
    let deltas: Vec<i128> = d.groups.iter().map(|g| g.delta_total_bytes()).collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
    // And the other way round, everything is gone.
    let back = diff_default(&leaky, &empty);
    assert!(back.groups.iter().all(|g| g.status == Status::Gone));
    assert_eq!(back.visible_growth(), 0);
}

/// multi-pid.txt with every PID replaced, the two children's swapped with each
/// other's: matching by PID would pair child1 with child2.
fn repid(text: &str) -> String {
    text.replace("==11427==", "==50001==")
        .replace("==11428==", "==X==")
        .replace("==11429==", "==11428==")
        .replace("==X==", "==11429==")
        .replace("Parent PID: 11338", "Parent PID: 49999")
}

#[test]
fn processes_are_matched_by_command_not_pid() {
    let text = fixture("multi-pid.txt");
    let base = parse("base", &text);
    let new = parse("new", &repid(&text));
    let pids = |r: &Report| r.processes.iter().map(|p| p.pid).collect::<Vec<_>>();
    assert_eq!(pids(&base), [11427, 11428, 11429]);
    assert_eq!(pids(&new), [50001, 11429, 11428]);
    let d = diff_default(&base, &new);
    assert_eq!(d.chains.len(), 3);
    for c in &d.chains {
        assert_eq!(c.matched_by, MatchedBy::Command);
        let (b, n) = (c.procs[0].unwrap(), c.procs[1].unwrap());
        assert_eq!(b, n, "paired in order of appearance");
        assert_ne!(base.processes[b].pid, new.processes[n].pid);
    }
    assert!(d.groups.iter().all(|g| g.status == Status::Unchanged));
}

#[test]
fn unpaired_processes_are_all_new_or_gone() {
    let both = parse("multi-pid.txt", &fixture("multi-pid.txt"));
    let parent = parse("run.parent", &fixture("multi-pid-set/run.parent"));
    let d = diff_default(&both, &parent);
    let gone_chains: Vec<usize> = (0..d.chains.len())
        .filter(|&c| d.chains[c].procs[1].is_none())
        .collect();
    assert_eq!(gone_chains.len(), 2, "the two children have no partner");
    for g in &d.groups {
        if gone_chains.contains(&g.chain) {
            assert_eq!(g.status, Status::Gone);
        } else {
            assert_eq!(g.status, Status::Unchanged, "{}", g.signature.top_label());
        }
    }
}

#[test]
fn a_rule_hides_alike_on_both_sides_and_growth_ignores_it() {
    let empty = parse("clean.txt", CLEAN);
    let leaky = parse("leaky.txt", &fixture("leaky.txt"));
    let hider = |r: &Report, p: usize, item: Item| -> Option<String> {
        let Item::Record(i) = item else { return None };
        let rec = &r.processes[p].loss_records()[i];
        let top = crate::triage::top_frame(&r.interner, rec.stack)?;
        let f = r.interner.frame(top).frame.function.as_deref()?;
        (f == "leak_in_loop").then(|| "loop-noise".to_string())
    };
    let d = diff(&empty, &leaky, &DiffOptions::default(), &hider);
    let hidden: Vec<_> = d.groups.iter().filter(|g| !g.is_visible()).collect();
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].hidden_by.as_deref(), Some("loop-noise"));
    assert_eq!(hidden[0].new.totals.total_bytes, 300);
    let all = diff_default(&empty, &leaky).visible_growth();
    assert_eq!(
        d.visible_growth(),
        all - 300,
        "leak_in_loop: 300 B, no indirect"
    );
    // The same rule over the same log on both sides: hidden, and unchanged.
    let same = diff(&leaky, &leaky, &DiffOptions::default(), &hider);
    let h: Vec<_> = same.groups.iter().filter(|g| !g.is_visible()).collect();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].status, Status::Unchanged);
}

#[test]
fn every_record_finds_its_group() {
    let leaky = parse("leaky.txt", &fixture("leaky.txt"));
    let empty = parse("clean.txt", CLEAN);
    let d = diff_default(&empty, &leaky);
    let p = &leaky.processes[0];
    for (i, r) in p.loss_records().iter().enumerate() {
        let g = d
            .group_of(Which::New, 0, Item::Record(i))
            .expect("record has a group");
        assert_eq!(g.kind, GroupKind::Leak(r.kind));
        assert!(g.new.items.contains(&i));
    }
    for i in 0..p.errors.len() {
        assert!(d.group_of(Which::New, 0, Item::Error(i)).is_some());
    }
    assert!(d.group_of(Which::Base, 0, Item::Record(0)).is_none());
}

#[test]
fn deeper_signatures_split_groups() {
    let leaky = parse("leaky.txt", &fixture("leaky.txt"));
    let shallow = diff_default(&leaky, &leaky).groups.len();
    let opts = DiffOptions {
        signature: SignatureOptions {
            depth: 8,
            ignore_lines: false,
            by_origin: false,
        },
    };
    let deep = diff(&leaky, &leaky, &opts, &NoRules);
    assert!(deep.groups.len() >= shallow);
    assert!(deep.groups.iter().all(|g| g.status == Status::Unchanged));
    assert!(deep.groups.iter().any(|g| g.signature.0.len() > 1));
}
