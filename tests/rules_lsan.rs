//! LeakSanitizer suppression files against LeakSanitizer itself: lsan_leaky
//! run with lsan-test.supp (lsan-with-supp.txt) lists, per template, how many
//! objects and bytes it suppressed; leakscope, given the unsuppressed run
//! (lsan.txt) and the same file, must hide exactly those.

mod common;

use common::{fixture, load};
use leakscope::model::Format;
use leakscope::triage::rules::{RuleSet, Source};

/// `Suppressions used:` lines: (template, objects, bytes).
fn suppressions_used(text: &str) -> Vec<(String, u64, u64)> {
    text.lines()
        .skip_while(|l| !l.starts_with("Suppressions used:"))
        .skip(2)
        .take_while(|l| !l.starts_with("---"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let count = w.next()?.parse().ok()?;
            let bytes = w.next()?.parse().ok()?;
            Some((w.next()?.to_string(), count, bytes))
        })
        .collect()
}

#[test]
fn hides_what_lsan_suppressed() {
    let text = std::fs::read_to_string(fixture("lsan-test.supp")).unwrap();
    let mut rules = RuleSet::new();
    rules.add_text("lsan-test.supp", &text, Source::CommandLine);
    assert!(rules.problems().is_empty(), "{:?}", rules.problems());
    assert_eq!(rules.len(), 3);

    let used = suppressions_used(&std::fs::read_to_string(fixture("lsan-with-supp.txt")).unwrap());
    assert_eq!(used.len(), 2);
    let report = load("lsan.txt");
    assert_eq!(report.inputs[0].format, Format::Lsan);
    let hiding = rules.apply(&report);
    for id in rules.ids() {
        let r = rules.get(id).unwrap();
        let template = r.name.strip_prefix("leak:").unwrap();
        let c = hiding.counts(id);
        match used.iter().find(|u| u.0 == template) {
            Some((_, objects, bytes)) => {
                assert_eq!(
                    (c.leaks.blocks, c.leaks.total_bytes),
                    (u128::from(*objects), u128::from(*bytes)),
                    "{template}"
                );
            }
            None => assert_eq!(c.leaks.records, 0, "{template}"),
        }
    }
    // What LSan still reported is what leakscope leaves visible.
    let left = load("lsan-with-supp.txt");
    let shown: u128 = left.processes[0]
        .loss_records()
        .iter()
        .map(|r| r.total_bytes())
        .sum();
    let records = report.processes[0].loss_records();
    let visible: u128 = (0..records.len())
        .filter(|&i| hiding.record(0, i).is_none())
        .map(|i| records[i].total_bytes())
        .sum();
    assert_eq!(visible, shown);
}

#[test]
fn valgrind_rules_do_not_apply_to_lsan_reports() {
    let mut rules = RuleSet::new();
    rules.add_text(
        "v.supp",
        "{\n   all\n   Memcheck:Leak\n   ...\n   fun:main\n}\n",
        Source::CommandLine,
    );
    let report = load("lsan.txt");
    let hiding = rules.apply(&report);
    assert_eq!(hiding.process_hidden(0).leaks.records, 0);
}
