//! The built-in rule sets on real logs: they load cleanly and explain
//! themselves, they hide what valgrind hides with the same files, they never
//! hide the planted leak or a definitely-lost record of a program's own code,
//! and they decide the same with or without the mangled names of
//! --gen-suppressions.

mod common;

use common::{files_under, load};
use leakscope::model::{LeakKind, Report};
use leakscope::triage::rules::{builtin_sets, Hiding, RuleOptions, RuleSet, Verdict};
use leakscope::triage::top_frame;

fn builtins() -> RuleSet {
    RuleSet::load(&RuleOptions {
        files: Vec::new(),
        user_file: None,
        builtin: true,
    })
    .unwrap()
}

#[test]
fn builtin_sets_load_cleanly_and_give_reasons() {
    let on_disk: Vec<String> = files_under("../../assets/rules", |n| n.ends_with(".supp"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let embedded: Vec<&str> = builtin_sets().iter().map(|(n, _)| *n).collect();
    assert_eq!(embedded, on_disk, "every assets/rules/*.supp is embedded");
    assert!(!embedded.is_empty());
    let rules = builtins();
    assert!(rules.problems().is_empty(), "{:#?}", rules.problems());
    for (name, _) in builtin_sets() {
        let file = format!("builtin:{name}");
        assert!(
            rules.rules().iter().any(|r| r.file == file),
            "{name} has rules"
        );
    }
    for r in rules.rules() {
        let why = r.reason.as_deref().unwrap_or("");
        assert!(
            why.len() > 20,
            "{} ({}) needs a '# why:' reason",
            r.name,
            r.location()
        );
        assert!(r.is_builtin());
    }
}

/// Direct bytes and blocks hidden, as valgrind's `suppressed:` line counts.
fn hidden(report: &Report, hiding: &Hiding) -> (u128, u128) {
    let mut t = (0, 0);
    for i in 0..report.processes.len() {
        let h = hiding.process_hidden(i);
        t.0 += h.leaks.bytes;
        t.1 += h.leaks.blocks;
    }
    t
}

/// The same program run by valgrind with the four files: the loss records
/// are allocated identically (only their split between kinds varies), so
/// what leakscope hides must add up to valgrind's `suppressed:` figure.
#[test]
fn builtins_hide_what_valgrind_hides_with_the_same_files() {
    let rules = builtins();
    for (log, with_rules) in [
        // Made with the current files (tests/fixtures/rules-growth/make.sh,
        // STEP=rules); numba/*-with-rules.txt.gz predate the growth review.
        (
            "rules-growth/seed.txt.gz",
            "rules-growth/seed-with-rules.txt.gz",
        ),
        (
            "rules-growth/eager-5.txt.gz",
            "rules-growth/eager-5-with-rules.txt.gz",
        ),
        (
            "rules-growth/threads-40.txt.gz",
            "rules-growth/threads-40-with-rules.txt.gz",
        ),
    ] {
        let vg = load(with_rules);
        let s = vg.processes[0].leak_summary().unwrap().suppressed;
        // Valgrind's own run with the rules, read by leakscope with them:
        // nothing left to hide (valgrind already did).
        assert_eq!(hidden(&vg, &rules.apply(&vg)), (0, 0), "{with_rules}");
        let report = load(log);
        assert_eq!(
            hidden(&report, &rules.apply(&report)),
            (u128::from(s.bytes), u128::from(s.blocks)),
            "{log} vs {with_rules}"
        );
    }
}

/// The stack of the planted ctypes malloc leak (tests/fixtures/numba/README.md).
fn is_planted(report: &Report, stack: leakscope::model::StackId) -> bool {
    let names: Vec<&str> = report
        .interner
        .frames_of(stack)
        .map(|f| f.frame.function.as_deref().unwrap_or("???"))
        .collect();
    names.len() > 6
        && names[0] == "malloc"
        && names[3] == "ffi_call"
        && names.contains(&"PyCFuncPtr_call")
        && names.contains(&"run_eval_code_obj")
}

#[test]
fn planted_leak_stays_visible() {
    let rules = builtins();
    for (log, expect) in [
        (
            "numba/planted.txt.gz",
            [
                (LeakKind::DefinitelyLost, 177_243, 43),
                (LeakKind::IndirectlyLost, 16_474, 4),
                (LeakKind::PossiblyLost, 12_308, 3),
            ],
        ),
        (
            "numba/planted-with-rules.txt.gz",
            [
                (LeakKind::DefinitelyLost, 189_558, 46),
                (LeakKind::IndirectlyLost, 8_211, 2),
                (LeakKind::PossiblyLost, 8_256, 2),
            ],
        ),
    ] {
        let report = load(log);
        let hiding = rules.apply(&report);
        let records = report.processes[0].loss_records();
        let planted: Vec<usize> = (0..records.len())
            .filter(|&i| is_planted(&report, records[i].stack))
            .collect();
        let got: Vec<(LeakKind, u128, u64)> = planted
            .iter()
            .map(|&i| {
                (
                    records[i].kind,
                    records[i].total_bytes(),
                    records[i].blocks(),
                )
            })
            .collect();
        for e in expect {
            assert!(
                got.contains(&e),
                "{log}: planted record {e:?} not found in {got:?}"
            );
        }
        let (bytes, blocks) = planted.iter().fold((0, 0), |(b, n), &i| {
            (b + records[i].total_bytes(), n + records[i].blocks())
        });
        assert_eq!(
            (bytes, blocks),
            (206_025, 50),
            "{log}: all 50 planted blocks"
        );
        for &i in &planted {
            assert_eq!(
                hiding.record_verdict(0, i),
                Verdict::Visible,
                "{log}: record {i}"
            );
            assert!(
                hiding.record_rules(0, i).is_empty(),
                "{log}: no built-in rule matches it"
            );
        }
    }
}

/// The program's own code: a frame in one of the fixture programs' sources
/// (text logs) or executables (XML), or, for the Python programs, the main
/// script's statements — the stack reaches the script (`run_eval_code_obj`)
/// without passing through an import.
fn own_code(report: &Report, p: usize, stack: leakscope::model::StackId) -> bool {
    let sources: Vec<String> = files_under("src", |_| true)
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let exe = report.processes[p]
        .command
        .as_deref()
        .and_then(|c| c.split_whitespace().next())
        .map(|c| c.rsplit('/').next().unwrap_or(c).to_string());
    if let Some(top) = top_frame(&report.interner, stack) {
        let f = report.interner.frame(top);
        let in_sources = f.file.as_deref().is_some_and(|file| {
            let base = file.rsplit('/').next().unwrap_or(file);
            sources.iter().any(|s| s == base)
        });
        let in_exe = match (&f.object, &exe) {
            (Some(o), Some(e)) => o.rsplit('/').next() == Some(e.as_str()) && e != "python",
            _ => false,
        };
        if in_sources || in_exe {
            return true;
        }
    }
    let names: Vec<&str> = report
        .interner
        .frames_of(stack)
        .filter_map(|f| f.frame.function.as_deref())
        .collect();
    names.contains(&"run_eval_code_obj")
        && !names
            .iter()
            .any(|n| n.to_ascii_lowercase().contains("import"))
}

#[test]
fn no_builtin_rule_hides_a_definite_leak_of_the_programs_own_code() {
    let rules = builtins();
    let mut logs = files_under("", |n| {
        n.ends_with(".txt")
            || n.ends_with(".txt.gz")
            || n.ends_with(".xml")
            || n.ends_with(".xml.gz")
    });
    logs.retain(|p| !p.to_string_lossy().contains("valgrind-tests"));
    let mut own_definite = 0;
    for path in logs {
        let Ok(report) = leakscope::parse::load_paths(&[path.to_string_lossy().into_owned()], None)
        else {
            continue;
        };
        let hiding = rules.apply(&report);
        for (pi, p) in report.processes.iter().enumerate() {
            for (i, r) in p.loss_records().iter().enumerate() {
                if r.kind != LeakKind::DefinitelyLost || !own_code(&report, pi, r.stack) {
                    continue;
                }
                own_definite += 1;
                assert_eq!(
                    hiding.record(pi, i),
                    None,
                    "{}: definitely lost record {} of the program's own code is hidden",
                    path.display(),
                    r.line()
                );
            }
        }
    }
    assert!(
        own_definite > 20,
        "the check saw {own_definite} such records"
    );
}

/// The --gen-suppressions logs give every frame's real mangled name; with
/// those names removed, leakscope must reach the same verdict on every
/// record by demangling and pseudo-mangling the patterns instead.
#[test]
fn same_verdicts_without_the_mangled_names() {
    let rules = builtins();
    for log in [
        "numba/scale-5-gensupp.txt.gz",
        "numba/scale-40-gensupp.txt.gz",
    ] {
        let with = load(log);
        let mut without = load(log);
        // Mangled names belong to a frame's location (every address there
        // shares it): count the locations that had one.
        let mangled = (0..without.interner.frame_count())
            .filter(|&i| {
                let f = without
                    .interner
                    .frame_mut(leakscope::model::FrameId(i as u32));
                f.mangled.take().is_some()
            })
            .count();
        assert!(
            mangled > 400,
            "{log}: {mangled} locations had mangled names"
        );
        let (a, b) = (rules.apply(&with), rules.apply(&without));
        let records = with.processes[0].loss_records();
        assert!(records.len() > 1000);
        let mut hidden = 0;
        for (i, r) in records.iter().enumerate() {
            assert_eq!(
                a.record_rules(0, i),
                b.record_rules(0, i),
                "{log}: record at line {}",
                r.line()
            );
            hidden += usize::from(a.record(0, i).is_some());
        }
        assert!(hidden > 500, "{log}: {hidden} hidden");
    }
}
