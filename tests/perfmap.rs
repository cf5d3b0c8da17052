//! Perf maps naming valgrind's (and LSan's) `???` frames, on real runs made
//! by tests/fixtures/perfmap/make.sh: Python 3.12/3.13 with perf support
//! under valgrind, a Numba service, JIT-like code under LeakSanitizer.

mod common;

use common::fixture;
use leakscope::model::{LeakKind, LossRecord, NamedBy, Report};
use leakscope::parse::perfmap::find::{attach, MapOptions};

fn path(rel: &str) -> String {
    fixture(rel).to_string_lossy().into_owned()
}

/// Loads a log and attaches maps as the CLI does, /tmp replaced by `tmp`.
fn load_with(rel: &str, explicit: &[String], discover: bool, tmp: &std::path::Path) -> Report {
    let mut r = leakscope::parse::load_paths(&[path(rel)], None).unwrap();
    let opts = MapOptions {
        explicit: explicit.to_vec(),
        discover,
        tmp_dir: tmp.to_path_buf(),
    };
    attach(&mut r, &opts);
    r
}

fn load(rel: &str) -> Report {
    let tmp = tempfile::tempdir().unwrap();
    load_with(rel, &[], true, tmp.path())
}

/// The frames a person sees (not-code frames left out), as labels.
fn shown(r: &Report, rec: &LossRecord) -> Vec<String> {
    r.interner
        .frames_of(rec.stack)
        .filter(|f| !f.is_not_code())
        .map(|f| f.label())
        .collect()
}

fn python_chain(r: &Report, rec: &LossRecord) -> Vec<String> {
    r.interner
        .frames_of(rec.stack)
        .filter(|f| f.named_by == NamedBy::Python)
        .map(|f| f.function.as_deref().unwrap().to_string())
        .collect()
}

/// Definitely lost records with a Python frame named `via`.
fn via(r: &Report, via: &str) -> Vec<LossRecord> {
    r.processes[0]
        .loss_records()
        .iter()
        .filter(|x| x.kind == LeakKind::DefinitelyLost)
        .filter(|x| python_chain(r, x).iter().any(|q| q == via))
        .cloned()
        .collect()
}

fn records_of(r: &Report, bytes: &[u64]) -> Vec<LossRecord> {
    r.processes[0]
        .loss_records()
        .iter()
        .filter(|x| x.kind == LeakKind::DefinitelyLost && bytes.contains(&x.direct_bytes()))
        .cloned()
        .collect()
}

fn warnings(r: &Report) -> Vec<String> {
    r.inputs[0]
        .warnings
        .iter()
        .map(|w| w.message.clone())
        .collect()
}

const SCRIPT: &str = "/work/wt/i15/tests/fixtures/perfmap/ctypes_leak.py";

#[test]
fn ctypes_leak_is_attributed_to_its_python_function_under_313() {
    // The map sits beside the log, as `leakscope run` leaves it.
    let r = load("perfmap/ctypes313.d/ctypes313.log.gz");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    let recs = via(&r, "leaky_handler");
    // The three requests' mallocs: 1000 + 1001 + 1002 bytes.
    let bytes: Vec<(u64, u64)> = recs
        .iter()
        .map(|x| (x.direct_bytes(), x.blocks()))
        .collect();
    assert_eq!(bytes, [(1000, 1), (2003, 2)]);
    for rec in &recs {
        assert_eq!(
            python_chain(&r, rec),
            ["leaky_handler", "serve", "<module>"]
        );
        let labels = shown(&r, rec);
        let at = labels
            .iter()
            .position(|l| l == &format!("leaky_handler ({SCRIPT})"))
            .unwrap();
        // The eval loop's frame, then the trampoline named, then (the
        // padding frame hidden) the trampoline evaluator.
        assert!(labels[at - 1].starts_with("_PyEval_EvalFrameDefault (generated_cases.c.h:"));
        assert_eq!(
            labels[at + 1],
            "py_trampoline_evaluator (perf_trampoline.c:405)"
        );
        assert!(labels.iter().all(|l| l != "???"), "{labels:?}");
    }
    // Every `???` between the named trampolines is padding (kept, not shown).
    let rec = &recs[0];
    let not_code = r
        .interner
        .frames_of(rec.stack)
        .filter(|f| f.is_not_code())
        .count();
    assert_eq!(not_code, 3);
    // Naming changes no figure: valgrind's own LEAK SUMMARY still holds.
    let p = &r.processes[0];
    let definite: u64 = p
        .loss_records()
        .iter()
        .filter(|x| x.kind == LeakKind::DefinitelyLost)
        .map(|x| x.direct_bytes())
        .sum();
    assert_eq!(definite, 168_742);
}

#[test]
fn ctypes_leak_under_312_names_the_same_chain() {
    let r = load("perfmap/ctypes312.d/ctypes312.log.gz");
    let recs = via(&r, "leaky_handler");
    let bytes: u64 = recs.iter().map(|x| x.direct_bytes()).sum();
    assert_eq!(bytes, 3003);
    // 3.12's unwinder reaches the module code for one record and stops at
    // the first trampoline for the other (see README, "Python programs").
    let chains: Vec<Vec<String>> = recs.iter().map(|x| python_chain(&r, x)).collect();
    assert_eq!(
        chains,
        [
            vec!["leaky_handler", "serve", "<module>"],
            vec!["leaky_handler"]
        ]
    );
    // It leaves a bogus stack frame after each trampoline: kept, not shown.
    for rec in &recs {
        assert!(shown(&r, rec).iter().all(|l| l != "???"));
    }
    assert_eq!(
        r.interner
            .frames_of(recs[0].stack)
            .filter(|f| f.is_not_code())
            .count(),
        3
    );
}

#[test]
fn numba_compiles_are_traced_to_the_request_handler() {
    let r = load("perfmap/numba313.d/numba313.log.gz");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    // valgrind's unwinder stops early on the others (see README).
    assert_eq!(compiles_reaching_the_handler(&r), (27, 7));
}

#[test]
fn a_map_of_another_process_with_the_same_pid_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // 3.12's map: its trampolines are elsewhere, so it names none of the frames.
    let other = format!("13731={}", path("perfmap/ctypes312.d/perf-13778.map"));
    let r = load_with(
        "perfmap/ctypes313.d/ctypes313.log.gz",
        &[other],
        false,
        tmp.path(),
    );
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("names none of the"), "{w:?}");
    assert!(w[0].ends_with("(another process's map? not used)"), "{w:?}");
    let rec = &records_of(&r, &[1000])[0];
    assert!(python_chain(&r, rec).is_empty());
    // The Numba service's map covers the same addresses (valgrind places the
    // trampolines alike), but names no code of ctypes_leak.py.
    let other = format!("13731={}", path("perfmap/numba313.d/perf-15178.map"));
    let r = load_with(
        "perfmap/ctypes313.d/ctypes313.log.gz",
        &[other],
        false,
        tmp.path(),
    );
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("names no code of ctypes_leak.py"), "{w:?}");
    assert!(python_chain(&r, &records_of(&r, &[1000])[0]).is_empty());
}

#[test]
fn a_tmp_map_is_used_only_when_written_during_the_run() {
    let logs = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let log = logs.path().join("vg.log.gz");
    std::fs::copy(fixture("perfmap/ctypes313.d/ctypes313.log.gz"), &log).unwrap();
    let map = tmp.path().join("perf-13731.map");
    std::fs::copy(fixture("perfmap/ctypes313.d/perf-13731.map"), &map).unwrap();
    let load = || {
        let mut r =
            leakscope::parse::load_paths(&[log.to_string_lossy().into_owned()], None).unwrap();
        let opts = MapOptions {
            tmp_dir: tmp.path().to_path_buf(),
            ..MapOptions::default()
        };
        attach(&mut r, &opts);
        r
    };
    // Written while the log was: used.
    let r = load();
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    assert_eq!(python_chain(&r, &records_of(&r, &[1000])[0]).len(), 3);
    // Left by an earlier process an hour before the log began: refused.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let f = std::fs::File::options().write(true).open(&map).unwrap();
    f.set_modified(hour_ago).unwrap();
    drop(f);
    let r = load();
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("written before the log began"), "{w:?}");
    assert!(python_chain(&r, &records_of(&r, &[1000])[0]).is_empty());
}

#[test]
fn garbage_lines_are_warnings_with_file_and_line_and_the_rest_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let garbage = path("perfmap/garbage-13731.map");
    let r = load_with(
        "perfmap/ctypes313.d/ctypes313.log.gz",
        &[format!("13731={garbage}")],
        false,
        tmp.path(),
    );
    let w = warnings(&r);
    let at = |line: u64, msg: &str| format!("{garbage} line {line}: {msg}");
    assert_eq!(
        w,
        [
            at(7, "start \"not\" is not hex"),
            at(48, "start \"555c0zz\" is not hex"),
            at(130, "expected `START SIZE name`"),
            at(171, "entry of size 0"),
            at(212, "start \"\\u{1b}[31mred\\u{1b}[0m\" is not hex"),
            at(253, "entry runs past the end of the address space"),
        ]
    );
    assert_eq!(
        python_chain(&r, &records_of(&r, &[1000])[0]),
        ["leaky_handler", "serve", "<module>"]
    );
}

#[test]
fn lsan_unknown_module_frames_are_named_from_the_map() {
    let r = load("perfmap/lsan/jit-lsan.txt");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    let recs = records_of(&r, &[100]);
    let labels = shown(&r, &recs[0]);
    assert_eq!(
        labels[1..],
        [
            "leak_once (jit_lsan.c:23)".to_string(),
            "serve (/srv/app/svc.py)".to_string(),
            "LazyCompile:*handleRequest /srv/app/server.js:12".to_string(),
            "main (jit_lsan.c:45)".to_string(),
            "__libc_start_call_main (libc_start_call_main.h:58)".to_string(),
        ]
    );
    let marks: Vec<Option<&str>> = r
        .interner
        .frames_of(recs[0].stack)
        .map(|f| f.mark())
        .collect();
    assert_eq!(marks, [None, None, Some("py"), Some("jit"), None, None]);
    // The leak with no JIT frame is untouched.
    assert_eq!(shown(&r, &records_of(&r, &[7])[0]).len(), 4);
}

/// The definitely-lost groups of a summary keyed by origin.
fn origin_groups(r: &Report) -> Vec<leakscope::report::summary::GroupSummary> {
    use leakscope::triage::rules::RuleSet;
    let rules = RuleSet::default();
    let hiding = rules.apply(r);
    let s = leakscope::report::summary::summarize_grouped(
        r,
        &rules,
        &hiding,
        leakscope::triage::GroupBy::Origin,
    );
    assert_eq!(s.group_by, "origin");
    s.processes
        .into_iter()
        .next()
        .unwrap()
        .groups
        .into_iter()
        .filter(|g| g.kind == LeakKind::DefinitelyLost)
        .collect()
}

#[test]
fn grouped_by_origin_the_ctypes_leak_is_its_python_function() {
    let r = load("perfmap/ctypes313.d/ctypes313.log.gz");
    let groups = origin_groups(&r);
    let g = groups
        .iter()
        .find(|g| g.label.starts_with("leaky_handler"))
        .unwrap();
    assert_eq!(g.label, format!("leaky_handler ({SCRIPT})"));
    assert_eq!(g.origin.as_deref(), Some(g.label.as_str()));
    assert_eq!((g.bytes, g.blocks, g.records), (3003, 3, 2));
    assert_eq!(
        g.top_frame,
        "ffi_call (in /usr/lib/x86_64-linux-gnu/libffi.so.8.1.2)"
    );
    assert_eq!(g.mark, Some("py"));
    // The interpreter's own start-up leaks have no origin: keyed by top frame.
    let top = &groups[0];
    assert_eq!(top.label, "PyUnicode_New (unicodeobject.c:1329)");
    assert_eq!(top.origin, None);
}

#[test]
fn grouped_by_origin_numba_compiles_land_under_the_request_handler() {
    let r = load("perfmap/numba313.d/numba313.log.gz");
    let groups = origin_groups(&r);
    let script = "/work/wt/i15/tests/fixtures/perfmap/numba_svc.py";
    let g = groups
        .iter()
        .find(|g| g.label == format!("handle_request ({script})"))
        .unwrap();
    assert_eq!(
        (g.bytes, g.total_bytes, g.blocks, g.records),
        (1869, 929_319, 24, 19)
    );
    // Behind 1,869 direct bytes, the compiled modules they point to.
    // No group is named after a CPython internal that text logs name bare.
    for g in &groups {
        assert!(
            !g.label.starts_with("py_trampoline_evaluator"),
            "{}",
            g.label
        );
        assert!(!g.label.starts_with("r_object"), "{}", g.label);
    }
}

fn leakscope(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn generated_suppressions_never_contain_names_valgrind_cannot_see() {
    let log = path("perfmap/ctypes313.d/ctypes313.log.gz");
    // --grep sees the names (it selects what to write)…
    let supp = leakscope(&["supp", "--grep", "leaky_handler", &log]);
    assert!(supp.contains("fun:ffi_call\n"), "{supp}");
    // …but the suppression says what valgrind saw there.
    assert!(
        !supp.contains("leaky_handler") && !supp.contains("py::"),
        "{supp}"
    );
    // The six trampoline and padding frames of the three Python calls.
    assert_eq!(supp.matches("   fun:*\n").count(), 6, "{supp}");
}

#[test]
fn summary_json_grouped_by_origin() {
    let log = path("perfmap/ctypes313.d/ctypes313.log.gz");
    let json = leakscope(&["summary", "--group-by", "origin", "--format", "json", &log]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["group_by"], "origin");
    let groups = v["processes"][0]["groups"].as_array().unwrap();
    let g = groups
        .iter()
        .find(|g| {
            g["origin"]
                .as_str()
                .is_some_and(|o| o.starts_with("leaky_handler"))
        })
        .unwrap();
    assert_eq!(g["label"], format!("leaky_handler ({SCRIPT})"));
    assert_eq!(
        g["top_frame"],
        "ffi_call (in /usr/lib/x86_64-linux-gnu/libffi.so.8.1.2)"
    );
    assert_eq!(g["total_bytes"], 3003);
    // Grouped by top frame, the same group is the libffi frame, via the handler.
    let text = leakscope(&["summary", &log]);
    assert!(
        text.contains("ffi_call (in /usr/lib/x86_64-linux-gnu/libffi.so.8.1.2)  via leaky_handler (ctypes_leak.py)"),
        "{text}"
    );
}

#[test]
fn diff_matches_python_frames_by_name_across_interpreters() {
    // 3.12 and 3.13 put the trampolines at different addresses.
    let a = path("perfmap/ctypes312.d/ctypes312.log.gz");
    let b = path("perfmap/ctypes313.d/ctypes313.log.gz");
    let json = leakscope(&["diff", "--group-by", "origin", "--format", "json", &a, &b]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let g = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["top_frame"] == format!("leaky_handler ({SCRIPT})"))
        .unwrap();
    assert_eq!(g["status"], "unchanged", "{g}");
    assert_eq!(g["base"]["bytes"], 3003);
    assert_eq!(g["new"]["bytes"], 3003);
}

/// Per-compile `LLVMPY_*` definite leaks.
fn per_compile(r: &Report) -> Vec<&LossRecord> {
    r.processes[0]
        .loss_records()
        .iter()
        .filter(|x| x.kind == LeakKind::DefinitelyLost)
        .filter(|x| {
            r.interner.frames_of(x.stack).any(|f| {
                f.function
                    .as_deref()
                    .is_some_and(|n| n.starts_with("LLVMPY_"))
            })
        })
        .collect()
}

/// Per-compile `LLVMPY_*` definite leaks: all, and those reaching the handler.
fn compiles_reaching_the_handler(r: &Report) -> (usize, usize) {
    let llvm = per_compile(r);
    let via = llvm
        .iter()
        .filter(|x| python_chain(r, x).iter().any(|q| q == "handle_request"))
        .count();
    (llvm.len(), via)
}

const SVC: &str = "/work/wt/i15/tests/fixtures/perfmap/numba_svc.py";

/// (label, direct bytes, total bytes, blocks, records) of the first groups.
fn first_origin_groups(r: &Report, n: usize) -> Vec<(String, u128, u128, u128, u64)> {
    origin_groups(r)
        .into_iter()
        .take(n)
        .map(|g| (g.label, g.bytes, g.total_bytes, g.blocks, g.records))
        .collect()
}

#[test]
fn chains_cut_short_say_where_instead_of_blaming_the_top_frame() {
    // 3.13.0's trampolines keep no frame pointer: most per-compile chains
    // stop at the first Python frame valgrind reaches.
    let r = load("perfmap/numba313.d/numba313.log.gz");
    let nm = "/work/venv/py313/lib/python3.13/site-packages/llvmlite/binding/newpassmanagers.py";
    assert_eq!(
        first_origin_groups(&r, 3),
        vec![
            (
                format!("(stack cut short at PassBuilder.getFunctionPassManager ({nm}))"),
                3_648,
                2_439_896,
                152,
                3
            ),
            (
                "(stack cut short at _compile_bytecode (<frozen importlib._bootstrap_external>))"
                    .to_string(),
                1_888_395,
                1_888_395,
                32_629,
                38
            ),
            (format!("handle_request ({SVC})"), 1_869, 929_319, 24, 19),
        ]
    );
}

#[test]
fn with_a_frame_pointer_trampoline_every_compile_reaches_the_handler() {
    // The same service, libpython's trampoline replaced by gh-136541's
    // (push %rbp; mov %rsp,%rbp): valgrind unwinds every compile to main.
    let r = load("perfmap/numba313fp.d/numba313fp.log.gz");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    assert_eq!(compiles_reaching_the_handler(&r), (31, 31));
    assert_eq!(
        first_origin_groups(&r, 2),
        vec![
            (
                format!("handle_request ({SVC})"),
                707_483,
                5_331_861,
                6_856,
                335
            ),
            (
                format!("<module> ({SVC})"),
                1_491_071,
                1_491_071,
                26_043,
                2_379
            ),
        ]
    );
    // valgrind's own figure: definitely lost 2,376,041 bytes in 36,026 blocks.
    let definite: u128 = origin_groups(&r).iter().map(|g| g.bytes).sum();
    assert_eq!(definite, 2_376_041);
}

#[test]
fn a_stock_cpython_3_13_15_puts_every_compile_under_the_handler() {
    // CPython 3.13.15 as released, built from its source unpatched: since
    // 3.13.6 (gh-136541) its trampoline keeps a frame pointer. The map is
    // gzipped beside the log, as `perf-PID.map.gz`.
    let r = load("perfmap/numba31315.d/numba31315.log.gz");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    assert_eq!(compiles_reaching_the_handler(&r), (31, 31));
    // Grouped by origin, each per-compile leak is the handler's, and the
    // handler comes first in definitely lost.
    let own = leakscope::triage::own::OwnCode::of(&r.interner);
    let handler = format!("handle_request ({SVC})");
    for rec in per_compile(&r) {
        let origin = leakscope::triage::group::origin_label(&r.interner, &own, rec.stack);
        assert_eq!(origin, handler, "loss record {:?}", rec.number());
    }
    assert_eq!(
        first_origin_groups(&r, 2),
        vec![
            (handler.clone(), 708_594, 5_371_572, 6_852, 336),
            (
                format!("<module> ({SVC})"),
                1_504_373,
                1_504_373,
                26_314,
                2_391
            ),
        ]
    );
    // valgrind's own figure: definitely lost 2,390,970 bytes in 36,325 blocks.
    let groups = origin_groups(&r);
    let definite: u128 = groups.iter().map(|g| g.bytes).sum();
    let blocks: u128 = groups.iter().map(|g| g.blocks).sum();
    assert_eq!((definite, blocks), (2_390_970, 36_325));
}

#[test]
fn run_as_a_user_under_3_13_15_the_handler_is_all_of_definitely_lost() {
    // `leakscope run --valgrind-arg=--show-leak-kinds=definite -- python
    // numba_svc.py 6` under stock 3.13.15 with the default allocator: the
    // run's log and the map it copied, gzipped.
    let r = load("perfmap/numba31315-run.d/valgrind.27180.log.gz");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    assert_eq!(compiles_reaching_the_handler(&r), (30, 30));
    let groups: Vec<_> = origin_groups(&r)
        .into_iter()
        .map(|g| (g.label, g.hidden_by, g.bytes, g.blocks, g.records))
        .collect();
    // valgrind's LEAK SUMMARY: definitely lost 308,780 bytes in 439 blocks.
    // The 64 B are ld.so's old `l_scope` array from numba's import (dlopen),
    // which the built-in rules hide: the explorer shows the handler alone.
    let handler = format!("handle_request ({SVC})");
    let module = format!("<module> ({SVC})");
    assert_eq!(
        groups,
        vec![(handler, None, 308_716, 438, 34), (module, None, 64, 1, 1)]
    );
}
