//! Flame graphs: folded stacks add up exactly to the visible figures the
//! summary prints, per kind and weight; the SVG is drawn into a new file and
//! never over an existing one.

mod common;

use common::fixture;
use leakscope::model::{LeakKind, Report};
use leakscope::report::flamegraph::{folded, FlameOptions, Weight};
use leakscope::report::summary::summarize_with_rules;
use leakscope::triage::rules::RuleSet;
use std::process::Command;

fn builtins() -> RuleSet {
    common::builtin_rules()
}

fn load(rel: &str) -> Report {
    common::load(rel)
}

/// Sum of the weights of folded lines whose root (after any process frame)
/// is `kind`.
fn sum(folded: &str, kind: LeakKind) -> u128 {
    folded
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap())
        .filter(|(stack, _)| stack.split(';').any(|f| f == kind.text()))
        .map(|(_, w)| w.parse::<u128>().unwrap())
        .sum()
}

#[test]
fn folded_stacks_sum_to_the_visible_figures() {
    for log in [
        "real/numba-seed.txt.gz",
        "ci-run1.txt",
        "multi-pid.txt",
        "leaky.xml",
    ] {
        let report = load(log);
        for rules in [builtins(), RuleSet::new()] {
            let hiding = rules.apply(&report);
            let s = summarize_with_rules(&report, &rules, &hiding);
            for (weight, all) in [
                (Weight::Bytes, false),
                (Weight::Total, false),
                (Weight::Blocks, false),
                (Weight::Bytes, true),
            ] {
                let text = folded(
                    &report,
                    &hiding,
                    &FlameOptions {
                        kinds: vec![],
                        weight,
                        all,
                    },
                );
                for k in LeakKind::ALL {
                    let want: u128 = s
                        .processes
                        .iter()
                        .map(|p| {
                            let t = if all {
                                p.leaks.get(k)
                            } else {
                                p.visible_leaks.get(k)
                            };
                            match weight {
                                Weight::Bytes => t.bytes,
                                Weight::Total => t.total_bytes,
                                Weight::Blocks => t.blocks,
                            }
                        })
                        .sum();
                    assert_eq!(sum(&text, k), want, "{log} {k:?} {weight:?} all={all}");
                }
            }
        }
    }
}

#[test]
fn kinds_filter_and_frames_read_as_in_the_explorer() {
    let report = load("ci-run1.txt");
    let rules = RuleSet::new();
    let hiding = rules.apply(&report);
    let opts = FlameOptions {
        kinds: vec![LeakKind::DefinitelyLost],
        weight: Weight::Bytes,
        all: false,
    };
    let text = folded(&report, &hiding, &opts);
    assert_eq!(
        text,
        "definitely lost;main (ci_leaks.c:63);drop_list (ci_leaks.c:52);make_list (ci_leaks.c:25);\
malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so) 16\n\
definitely lost;main (ci_leaks.c:64);drop_name (ci_leaks.c:57);copy_name (ci_leaks.c:16);\
malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so) 5\n"
    );
    // Hostile names: no separator or control character gets through.
    let report = load("ci-hostile.txt");
    let text = folded(&report, &rules.apply(&report), &FlameOptions::default());
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn svg_is_written_once_and_never_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("numba.svg");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_leakscope"))
            .args(["flamegraph", "--svg"])
            .arg(&out)
            .arg(fixture("real/numba-seed.txt.gz"))
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .unwrap()
    };
    let o = run();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("LLVMPY_"),
        "an SVG of the Numba frames"
    );
    let o = run();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        svg,
        "left as it was"
    );
}
