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

/// valgrind-format rules (the built-in sets, users' .supp files) apply to
/// LSan reports too: `fun:` on the function, the sanitizer's
/// `__interceptor_malloc`/`calloc` standing for `malloc`/`calloc`, and the
/// leak kinds as valgrind's (Direct = definite, Indirect = indirect).
#[test]
fn valgrind_rules_apply_to_lsan_reports() {
    let mut rules = RuleSet::new();
    rules.add_text(
        "v.supp",
        "{\n   loop\n   Memcheck:Leak\n   fun:malloc\n   fun:leak_in_loop\n}\n\
         {\n   tree-indirect\n   Memcheck:Leak\n   match-leak-kinds: indirect\n   fun:calloc\n   fun:new_node\n}\n",
        Source::CommandLine,
    );
    let report = load("lsan.txt");
    let hiding = rules.apply(&report);
    let h = hiding.process_hidden(0);
    // leak_in_loop's 300 B, and the tree's two indirect records (64 + 32 B);
    // the tree's direct 32 B record is definite, so it stays.
    assert_eq!((h.leaks.records, h.leaks.bytes), (3, 396));
    let mut all = RuleSet::new();
    all.add_text(
        "all.supp",
        "{\n   all\n   Memcheck:Leak\n   ...\n   fun:main\n}\n",
        Source::CommandLine,
    );
    let h = all.apply(&report).process_hidden(0).leaks;
    assert_eq!(
        (h.records, h.bytes),
        (5, 465),
        "SUMMARY: 465 byte(s) leaked"
    );
}
