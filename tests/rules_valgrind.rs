//! The rule engine against valgrind itself: a run of `leaky` with
//! supp-test.supp (leaky-with-supp.txt) says which records valgrind hid, with
//! which suppression, and how much; leakscope, given the unsuppressed run
//! (leaky.txt) and the same file, must hide exactly those.

mod common;

use common::{fixture, load};
use leakscope::model::{LeakKind, Report};
use leakscope::triage::rules::{Hiding, RuleSet, Source, Verdict};

fn rules_from(file: &str) -> RuleSet {
    let mut rules = RuleSet::new();
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    rules.add_text(file, &text, Source::CommandLine);
    assert!(rules.problems().is_empty(), "{:?}", rules.problems());
    rules
}

fn supp_test() -> RuleSet {
    rules_from("supp-test.supp")
}

/// Checks leakscope's hiding on `log` with the rules of `supp` against what
/// valgrind's run with that file (`with_supp`) reported.
fn agrees_with_valgrind(log: &str, supp: &str, with_supp: &str) {
    let with_supp = load(with_supp);
    let vg = &with_supp.processes[0];
    let report = load(log);
    let rules = rules_from(supp);
    let hiding = rules.apply(&report);
    let p = &report.processes[0];

    // LEAK SUMMARY's "suppressed:" counts direct bytes and blocks.
    let suppressed = vg.leak_summary().unwrap().suppressed;
    let hidden = hiding.process_hidden(0);
    assert_eq!(
        (hidden.leaks.bytes, hidden.leaks.blocks),
        (u128::from(suppressed.bytes), u128::from(suppressed.blocks)),
        "{log}: hidden vs valgrind's suppressed figure"
    );

    // used_suppression: count and record totals (direct + indirect) per rule.
    for u in &vg.used_suppressions {
        let id = rules
            .ids()
            .find(|&id| rules.get(id).unwrap().name == u.name)
            .unwrap();
        let rule = rules.get(id).unwrap();
        assert_eq!(
            rule.location(),
            u.location,
            "valgrind points at the name line"
        );
        let c = hiding.counts(id);
        if let (Some(bytes), Some(blocks)) = (u.bytes, u.blocks) {
            assert_eq!(c.leaks.records, u.count, "{log}: {}", u.name);
            assert_eq!(
                (c.leaks.total_bytes, c.leaks.blocks),
                (u128::from(bytes), u128::from(blocks)),
                "{}",
                u.name
            );
        } else {
            // An error rule. Its obj: line names the frame of `main`, which a
            // text log shows with its source file, not its object: leakscope
            // cannot decide it there and says so instead of guessing.
            assert_eq!(c.error_contexts + c.undecided_errors, u.count, "{}", u.name);
        }
    }

    // The records valgrind still printed are exactly the visible ones.
    let shown: Vec<(LeakKind, u128, u64)> = vg
        .loss_records()
        .iter()
        .map(|r| (r.kind, r.total_bytes(), r.blocks()))
        .collect();
    let visible: Vec<(LeakKind, u128, u64)> = p
        .loss_records()
        .iter()
        .enumerate()
        .filter(|(i, _)| hiding.record(0, *i).is_none())
        .map(|(_, r)| (r.kind, r.total_bytes(), r.blocks()))
        .collect();
    assert_eq!(visible, shown, "{log}");
}

#[test]
fn hides_what_valgrind_suppressed() {
    agrees_with_valgrind("leaky.txt", "supp-test.supp", "leaky-with-supp.txt");
}

#[test]
fn same_verdicts_with_mangled_names_from_gen_suppressions() {
    agrees_with_valgrind("leaky-gensupp.txt", "supp-test.supp", "leaky-with-supp.txt");
}

/// mangled.supp names C++ frames by their mangled names, exact and with
/// wildcards (constructors, const members, templates, an anonymous
/// namespace, std::vector internals), while mangled.txt shows them
/// demangled: leakscope must demangle and pseudo-mangle its way to
/// valgrind's verdicts, including the rule valgrind does not match.
#[test]
fn mangled_patterns_on_a_demangled_log() {
    agrees_with_valgrind("mangled.txt", "mangled.supp", "mangled-with-supp.txt");
    let with_supp = load("mangled-with-supp.txt");
    let used: Vec<&str> = with_supp.processes[0]
        .used_suppressions
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(used.len(), 6);
    assert!(!used.contains(&"wrong-signature"));
    let report = load("mangled.txt");
    let rules = rules_from("mangled.supp");
    let hiding = rules.apply(&report);
    let wrong = rules
        .ids()
        .find(|&id| rules.get(id).unwrap().name == "wrong-signature");
    assert_eq!(hiding.counts(wrong.unwrap()).leaks.records, 0);
}

/// The same run with --gen-suppressions=all: every frame's real mangled name
/// is known, and the verdicts must not change.
#[test]
fn mangled_patterns_with_real_mangled_names() {
    agrees_with_valgrind(
        "mangled-gensupp.txt",
        "mangled.supp",
        "mangled-with-supp.txt",
    );
}

#[test]
fn obj_line_on_a_frame_without_its_object_is_undecided() {
    let report = load("leaky.txt");
    let rules = supp_test();
    let hiding = rules.apply(&report);
    let p = &report.processes[0];
    let write = p
        .errors
        .iter()
        .position(|e| e.what.starts_with("Invalid write of size 1"))
        .unwrap();
    let id = rules
        .ids()
        .find(|&id| rules.get(id).unwrap().name == "write-past-end");
    assert_eq!(
        hiding.error_verdict(0, write),
        Verdict::Undecided(id.unwrap())
    );
    // Every other error stays plainly visible.
    let others = (0..p.errors.len())
        .filter(|&i| i != write)
        .all(|i| hiding.error_verdict(0, i) == Verdict::Visible);
    assert!(others);
}

#[test]
fn toggling_a_rule_recounts() {
    let report: Report = load("leaky.txt");
    let rules = supp_test();
    let mut hiding: Hiding = rules.apply(&report);
    let widget = rules
        .ids()
        .find(|&id| rules.get(id).unwrap().name == "widget-leak-cxx")
        .unwrap();
    assert_eq!(hiding.counts(widget).leaks.records, 2);
    hiding.set_enabled(&report, widget, false);
    assert_eq!(hiding.counts(widget).leaks.records, 0);
    assert_eq!(hiding.process_hidden(0).leaks.records, 2);
    assert_eq!(
        hiding.record_rules(0, 0),
        [widget],
        "still listed as matching"
    );
    hiding.set_enabled(&report, widget, true);
    assert_eq!(hiding.process_hidden(0).leaks.records, 4);
}

/// The XML log names every frame's object, so the obj: line of
/// write-past-end is decided there: every rule's count equals valgrind's
/// `<suppcounts>`, errors included.
#[test]
fn xml_log_decides_obj_lines_too() {
    let vg_report = load("leaky-with-supp.xml");
    let vg = &vg_report.processes[0];
    let report = load("leaky.xml");
    let rules = supp_test();
    let hiding = rules.apply(&report);
    assert_eq!(vg.used_suppressions.len(), 3);
    for u in &vg.used_suppressions {
        let id = rules
            .ids()
            .find(|&id| rules.get(id).unwrap().name == u.name)
            .unwrap();
        let c = hiding.counts(id);
        assert_eq!(c.leaks.records + c.error_contexts, u.count, "{}", u.name);
        assert_eq!(c.undecided_records + c.undecided_errors, 0, "{}", u.name);
    }
    let shown: Vec<(LeakKind, u128, u64)> = vg
        .loss_records()
        .iter()
        .map(|r| (r.kind, r.total_bytes(), r.blocks()))
        .collect();
    let p = &report.processes[0];
    let mut visible: Vec<(LeakKind, u128, u64)> = p
        .loss_records()
        .iter()
        .enumerate()
        .filter(|(i, _)| hiding.record(0, *i).is_none())
        .map(|(_, r)| (r.kind, r.total_bytes(), r.blocks()))
        .collect();
    let mut shown = shown;
    shown.sort();
    visible.sort();
    assert_eq!(visible, shown);
    let errors_left = (0..p.errors.len())
        .filter(|&i| hiding.error(0, i).is_none())
        .count();
    assert_eq!(errors_left, vg.errors.len());
}

/// Real suppression files (valgrind's default.supp, Debian's, CPython's,
/// LLVM's, Numba's) load without a problem: one rule per Memcheck block,
/// the blocks for other tools skipped as valgrind skips them.
#[test]
fn real_suppression_files_load_cleanly() {
    let files = common::files_under("supp", |n| n.ends_with(".supp"));
    assert_eq!(files.len(), 8);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .collect();
        let memcheck_blocks = lines
            .windows(3)
            .filter(|w| {
                w[0] == "{"
                    && w[2]
                        .split(':')
                        .next()
                        .unwrap()
                        .split(',')
                        .any(|t| t == "Memcheck")
            })
            .count();
        let mut rules = RuleSet::new();
        rules.add_text(&path.to_string_lossy(), &text, Source::CommandLine);
        assert!(
            rules.problems().is_empty(),
            "{}: {:?}",
            path.display(),
            rules.problems()
        );
        assert_eq!(rules.len(), memcheck_blocks, "{}", path.display());
        assert!(memcheck_blocks > 0);
    }
}

/// The explorer applies rules while a log is still loading: updating with
/// what arrived since gives the same verdicts as computing on the whole.
#[test]
fn incremental_update_matches_a_full_computation() {
    let full = load("leaky.txt");
    let rules = supp_test();
    let whole = rules.apply(&full);
    let mut partial = full.clone();
    let p = &mut partial.processes[0];
    let records = p.leak_searches[0].records.split_off(4);
    let errors = p.errors.split_off(3);
    let mut hiding = rules.apply(&partial);
    let p = &mut partial.processes[0];
    p.leak_searches[0].records.extend(records);
    p.errors.extend(errors);
    hiding.update(&rules, &partial);
    let p = &full.processes[0];
    for i in 0..p.loss_records().len() {
        assert_eq!(
            hiding.record_verdict(0, i),
            whole.record_verdict(0, i),
            "record {i}"
        );
    }
    for i in 0..p.errors.len() {
        assert_eq!(
            hiding.error_verdict(0, i),
            whole.error_verdict(0, i),
            "error {i}"
        );
    }
    for id in rules.ids() {
        assert_eq!(hiding.counts(id), whole.counts(id));
    }
}
