//! The text parser against valgrind's own figures: every log states its LEAK
//! SUMMARY and ERROR SUMMARY, and what leakscope computes from the records must
//! agree with them.

mod common;

use common::{files_under, fixture, load};
use leakscope::model::{LeakKind, Process, Report};
use leakscope::triage::leak_totals;

/// Asserts computed totals equal the log's last LEAK SUMMARY for `kinds`.
fn assert_leaks_match(name: &str, p: &Process, kinds: &[LeakKind]) {
    let summary = p
        .leak_summary()
        .unwrap_or_else(|| panic!("{name}: PID {} has no LEAK SUMMARY", p.pid));
    let totals = leak_totals(p.loss_records());
    for &k in kinds {
        let (t, s) = (&totals[k.index()], summary.get(k));
        assert_eq!(
            (t.bytes, t.blocks),
            (u128::from(s.bytes), u128::from(s.blocks)),
            "{name}: PID {} {}: computed vs LEAK SUMMARY",
            p.pid,
            k.text()
        );
    }
}

/// ERROR SUMMARY's contexts count non-leak error contexts plus one per loss
/// record of the kinds in --errors-for-leak-kinds (default definite,possible).
fn assert_contexts_match(name: &str, p: &Process, leak_error_kinds: &[LeakKind]) {
    let reported = p
        .error_summary
        .unwrap_or_else(|| panic!("{name}: PID {} has no ERROR SUMMARY", p.pid));
    let leak_contexts = p
        .loss_records()
        .iter()
        .filter(|r| leak_error_kinds.contains(&r.kind))
        .count() as u64;
    assert_eq!(
        p.errors.len() as u64 + leak_contexts,
        reported.contexts,
        "{name}: PID {} contexts: {} errors + {} leak records vs ERROR SUMMARY",
        p.pid,
        p.errors.len(),
        leak_contexts
    );
}

const DEFINITE_POSSIBLE: [LeakKind; 2] = [LeakKind::DefinitelyLost, LeakKind::PossiblyLost];

fn record_counts(p: &Process) -> [usize; 4] {
    let mut c = [0; 4];
    for r in p.loss_records() {
        c[r.kind.index()] += 1;
    }
    c
}

fn only_process(name: &str, r: &Report) -> usize {
    assert_eq!(r.processes.len(), 1, "{name}: one process expected");
    0
}

#[test]
fn real_numba_logs_agree_with_their_own_summaries() {
    // (file, pid, records D/I/P/R as MANIFEST.md counts them with grep)
    let cases = [
        ("real/numba-seed.txt.gz", 4200, [17, 923, 83, 929]),
        ("real/numba-seed-gensupp.txt.gz", 6110, [17, 915, 278, 929]),
        (
            "real/numba-seed-pythonmalloc.txt.gz",
            5847,
            [35, 1271, 5052, 1014],
        ),
    ];
    for (name, pid, counts) in cases {
        let r = load(name);
        let p = &r.processes[only_process(name, &r)];
        assert_eq!(p.pid, pid, "{name}");
        assert_eq!(p.command.as_deref(), Some("python nb_jit.py"), "{name}");
        assert_eq!(p.valgrind_version.as_deref(), Some("3.19.0"), "{name}");
        assert_eq!(p.tool.as_deref(), Some("memcheck"), "{name}");
        assert_leaks_match(name, p, &LeakKind::ALL);
        assert_eq!(record_counts(p), counts, "{name}: loss records per kind");
        assert_contexts_match(name, p, &DEFINITE_POSSIBLE);
        assert!(
            r.inputs[0].warnings.is_empty(),
            "{name}: {:?}",
            r.inputs[0].warnings
        );
    }
}

#[test]
fn real_log_figures_are_the_manifests() {
    // The figures MANIFEST.md copied from numba-seed.txt, so a parser that
    // agreed with itself but misread the summary would still fail.
    let r = load("real/numba-seed.txt.gz");
    let p = &r.processes[0];
    let s = p.leak_summary().unwrap();
    let got: Vec<(u64, u64)> = LeakKind::ALL
        .iter()
        .map(|&k| (s.get(k).bytes, s.get(k).blocks))
        .collect();
    assert_eq!(
        got,
        [
            (311_464, 423),
            (3_828_080, 14_905),
            (285_687, 282),
            (3_147_805, 2_305)
        ]
    );
    let e = p.error_summary.unwrap();
    assert_eq!((e.errors, e.contexts), (108, 104));
    let h = p.heap_summary.unwrap();
    assert_eq!(
        (h.in_use_bytes, h.in_use_blocks, h.allocs),
        (7_573_036, 17_915, 208_209)
    );
    assert_eq!(p.ppid, Some(4199));
    // Four ld.so "Invalid read of size 8" errors, each with its aux stack.
    assert_eq!(p.errors.len(), 4);
    assert!(p
        .errors
        .iter()
        .all(|e| e.what.as_ref() == "Invalid read of size 8" && e.aux.len() == 1));
}

#[test]
fn gen_suppressions_blocks_attach_to_every_record_and_error() {
    let r = load("real/numba-seed-gensupp.txt.gz");
    let p = &r.processes[0];
    assert!(p
        .loss_records()
        .iter()
        .all(|rec| rec.suppression().is_some()));
    assert!(p.errors.iter().all(|e| e.suppression.is_some()));
    // Mangled names learnt from the blocks: operator new is _Znwm.
    let mangled = r.processes[0]
        .loss_records()
        .iter()
        .flat_map(|rec| r.interner.frames_of(rec.stack))
        .any(|f| f.mangled.as_deref() == Some("_Znwm"));
    assert!(mangled);
}

#[test]
fn small_fixtures_agree_with_their_own_summaries() {
    let all_kinds = [
        "leaky.txt",
        "leaky-v.txt",
        "leaky-ts.txt",
        "leaky-gensupp.txt",
        "leaky-stderr.txt",
    ];
    for name in all_kinds {
        let r = load(name);
        let p = &r.processes[only_process(name, &r)];
        assert_leaks_match(name, p, &LeakKind::ALL);
        assert_contexts_match(name, p, &DEFINITE_POSSIBLE);
        assert_eq!(p.errors.len(), 8, "{name}: eight memcheck error contexts");
    }
    // -v: the listing gives counts (errors 15 = 10 non-leak occurrences + 5 leak
    // contexts), and used_suppression lines are kept.
    let r = load("leaky-v.txt");
    let p = &r.processes[0];
    let occurrences: u64 = p.errors.iter().map(|e| e.count).sum();
    assert_eq!(occurrences + 5, p.error_summary.unwrap().errors);
    assert!(!p.options.is_empty(), "-v lists valgrind's options");
}

#[test]
fn interleaved_children_are_separate_processes() {
    for name in ["multi-pid.txt", "multi-pid-stderr.txt"] {
        let r = load(name);
        assert_eq!(r.processes.len(), 3, "{name}: parent and two children");
        for p in &r.processes {
            assert_leaks_match(name, p, &LeakKind::ALL);
            assert_contexts_match(name, p, &DEFINITE_POSSIBLE);
        }
        let mut pids: Vec<u32> = r.processes.iter().map(|p| p.pid).collect();
        pids.dedup();
        assert_eq!(pids.len(), 3);
    }
}

#[test]
fn every_leak_search_is_kept_and_the_last_is_the_state() {
    let r = load("delta.txt");
    let p = &r.processes[0];
    assert!(
        p.leak_searches.len() >= 3,
        "{} searches",
        p.leak_searches.len()
    );
    for (i, s) in p.leak_searches.iter().enumerate() {
        let summary = s
            .summary
            .as_ref()
            .unwrap_or_else(|| panic!("search {i} has a summary"));
        let t = leak_totals(&s.records);
        for k in [LeakKind::DefinitelyLost, LeakKind::PossiblyLost] {
            // Searches with `increased`/`changed` filters show fewer records;
            // whatever is shown can never exceed what the summary counts.
            assert!(
                t[k.index()].bytes <= u128::from(summary.get(k).bytes),
                "search {i} {}",
                k.text()
            );
        }
    }
    assert_leaks_match("delta.txt", p, &LeakKind::ALL);
}

#[test]
fn truncated_log_keeps_what_was_read_and_warns_with_a_line() {
    let r = load("truncated.txt");
    let p = &r.processes[0];
    assert!(!p.loss_records().is_empty());
    assert_eq!(p.errors.len(), 8);
    let w = &r.inputs[0].warnings;
    assert!(
        w.iter()
            .any(|w| w.line > 0 && w.message.contains("truncated")),
        "{w:?}"
    );
}

/// Options of a valgrind regression test, from its .vgtest.
fn vgopts(exp: &std::path::Path) -> Option<String> {
    let name = exp.file_name()?.to_string_lossy().into_owned();
    let stem = &name[..name.find(".stderr.exp")?];
    let vgtest = exp.with_file_name(format!("{stem}.vgtest"));
    let text = std::fs::read_to_string(vgtest).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("vgopts:"))
        .map(|s| s.trim().to_string())
}

fn kinds_option(opts: &str, name: &str, default: &[LeakKind]) -> Vec<LeakKind> {
    let Some(v) = opts
        .split_whitespace()
        .find_map(|o| o.strip_prefix(&format!("--{name}=")))
    else {
        return default.to_vec();
    };
    match v {
        "all" => LeakKind::ALL.to_vec(),
        "none" => vec![],
        v => v
            .split(',')
            .filter_map(LeakKind::from_option_word)
            .collect(),
    }
}

#[test]
fn valgrind_regression_expectations_parse_and_agree() {
    let files = files_under("valgrind-tests", |n| n.contains(".stderr.exp"));
    assert!(files.len() > 300, "{} expectation files", files.len());
    let mut leak_checked = 0;
    let mut context_checked = 0;
    for path in &files {
        let name = path
            .strip_prefix(fixture(""))
            .unwrap()
            .display()
            .to_string();
        let data = std::fs::read(path).unwrap();
        if data.starts_with(b"<?xml") || data.windows(15).any(|w| w == b"<valgrindoutput") {
            continue; // XML expectations: tests/parse_xml.rs
        }
        // Never a panic, whatever the file holds.
        let Ok(r) = leakscope::parse::parse_bytes(&name, &data, None) else {
            continue;
        };
        let opts = vgopts(path).unwrap_or_default();
        let full = opts.contains("--leak-check=full") || opts.contains("--leak-check=yes");
        let text = String::from_utf8_lossy(&data);
        let masked = text.contains(" x bytes") || text.contains("x (+");
        // Filtered expectations drop the `==PID==` prefix, so a file where
        // several processes (fork tests) each printed a summary cannot be split
        // back into processes: check only files with one distinct summary.
        let mut summaries: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("ERROR SUMMARY"))
            .collect();
        summaries.dedup();
        let one_process = summaries.len() <= 1 && text.matches("HEAP SUMMARY:").count() <= 1;
        let mut shown = kinds_option(&opts, "show-leak-kinds", &DEFINITE_POSSIBLE);
        if opts.contains("--show-reachable=yes") {
            shown = LeakKind::ALL.to_vec();
        }
        if opts.contains("--show-possibly-lost=no") {
            shown.retain(|&k| k != LeakKind::PossiblyLost);
        }
        let leak_errs = if full {
            kinds_option(&opts, "errors-for-leak-kinds", &DEFINITE_POSSIBLE)
        } else {
            vec![]
        };
        // A leak kind that counts as an error but is not shown cannot be counted.
        let countable = leak_errs.iter().all(|k| shown.contains(k));
        for p in &r.processes {
            if one_process
                && full
                && !masked
                && p.leak_searches.len() == 1
                && p.leak_summary().is_some()
            {
                assert_leaks_match(&name, p, &shown);
                leak_checked += 1;
            }
            let quiet = opts.contains("-q") || opts.contains("--exit-on-first-error");
            if one_process
                && countable
                && !quiet
                && p.leak_searches.len() <= 1
                && p.error_summary.is_some()
            {
                assert_contexts_match(&name, p, &leak_errs);
                context_checked += 1;
            }
        }
    }
    assert!(leak_checked >= 5, "leak summaries checked: {leak_checked}");
    assert!(
        context_checked >= 35,
        "error summaries checked: {context_checked}"
    );
}
