//! The built-in rules never hide memory that grows with a workload, checked
//! on real runs at two workload sizes (tests/fixtures/rules-growth/, made by
//! its make.sh): what grows stays visible, so `diff --fail-on-growth` sees
//! it; and the built-in files stay valid for valgrind itself.

mod common;

use common::{fixture, leakscope, path};
use leakscope::triage::rules::builtin_sets;
use serde_json::Value;
use std::process::{Command, Output};

fn diff(a: &str, b: &str, extra: &[&str]) -> Output {
    let (a, b) = (path(a), path(b));
    let mut args = vec!["diff", a.as_str(), b.as_str()];
    args.extend(extra);
    leakscope(&args)
}

fn diff_json(a: &str, b: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let out = diff(a, b, &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Threads started and never joined: memcheck reports each one's stack/TLS
/// block (pthread_create -> _dl_allocate_tls) as possibly lost, 272 B a
/// thread: 1,360 B at 5 threads, 10,880 B at 40. That growth is the leak.
#[test]
fn unjoined_threads_stay_visible_and_fail_the_gate() {
    let (a, b) = (
        "rules-growth/threads-5.txt.gz",
        "rules-growth/threads-40.txt.gz",
    );
    let v = diff_json(a, b, &[]);
    assert_eq!(v["visible_growth"], 9_520);
    assert_eq!(v["hidden_growth"], serde_json::json!([]));
    assert_eq!(v["hidden"], serde_json::json!([]));
    let g = &v["groups"][0];
    assert_eq!(g["kind"], "possibly_lost");
    assert_eq!(g["base"]["total_bytes"], 1_360);
    assert_eq!(g["new"]["total_bytes"], 10_880);
    assert_eq!(
        diff(a, b, &["--fail-on-growth", "1"]).status.code(),
        Some(1)
    );
    assert_eq!(
        diff(a, b, &["--fail-on-growth", "9520"]).status.code(),
        Some(0)
    );
}

/// The rule the built-in set used to carry (from CPython's
/// Misc/valgrind-python.supp) would hide all of it; the safety net says so
/// and still fails the gate.
#[test]
fn the_old_thread_rule_would_be_caught_by_the_safety_net() {
    let dir = tempfile::tempdir().unwrap();
    let supp = dir.path().join("old.supp");
    std::fs::write(
        &supp,
        "{\n   glibc-thread-tls-storage\n   Memcheck:Leak\n   match-leak-kinds: reachable,possible\n   fun:calloc\n   ...\n   fun:_dl_allocate_tls\n}\n",
    )
    .unwrap();
    let supp = supp.to_string_lossy().into_owned();
    let (a, b) = (
        "rules-growth/threads-5.txt.gz",
        "rules-growth/threads-40.txt.gz",
    );
    let v = diff_json(a, b, &["--suppressions", &supp]);
    assert_eq!(v["visible_growth"], 0);
    assert_eq!(v["hidden_growth"][0]["rule"], "glibc-thread-tls-storage");
    assert_eq!(v["hidden_growth"][0]["delta_total_bytes"], 9_520);
    let gate = ["--suppressions", supp.as_str(), "--fail-on-growth", "1"];
    assert_eq!(diff(a, b, &gate).status.code(), Some(1));
    let mut allowed = gate.to_vec();
    allowed.push("--allow-hidden-growth");
    assert_eq!(diff(a, b, &allowed).status.code(), Some(0));
}

/// Every built-in file, handed to valgrind 3.19 with `--suppressions`, loads
/// without a warning (valgrind refuses a whole file over one bad entry), and
/// the growth of unjoined threads is still reported, not suppressed.
#[test]
fn valgrind_reads_every_builtin_file_without_a_warning() {
    if !on_path("valgrind") || !on_path("gcc") {
        eprintln!("skipped: valgrind or gcc not on PATH");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(fixture("rules-growth/threads_unjoined.c"), dir.join("t.c")).unwrap();
    let cc = Command::new("gcc")
        .args(["-g", "-O0", "-pthread", "-o", "t", "t.c"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(cc.status.success(), "{cc:?}");
    let mut args = vec![
        "-v".to_string(),
        "--leak-check=full".to_string(),
        "--show-leak-kinds=all".to_string(),
        "--log-file=vg.txt".to_string(),
    ];
    for (name, text) in builtin_sets() {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        args.push(format!("--suppressions={}", p.display()));
    }
    args.extend(["./t".to_string(), "5".to_string()]);
    let _ = Command::new("valgrind")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("running valgrind");
    let log = std::fs::read_to_string(dir.join("vg.txt")).unwrap();
    for (name, _) in builtin_sets() {
        let read = format!("Reading suppressions file: {}", dir.join(name).display());
        assert!(log.contains(&read), "{name} not read:\n{log}");
    }
    // valgrind -v prints unrelated redirection warnings; what it says about
    // a suppressions file is FATAL ("in suppressions file ... near line")
    // or a WARNING naming the file.
    for line in log.lines() {
        let about_supp = line.contains("suppression") && !line.contains("Reading suppressions");
        assert!(
            !(about_supp
                && (line.contains("WARNING") || line.contains("FATAL") || line.contains("rror"))),
            "valgrind: {line}\n{log}"
        );
    }
    assert!(
        !log.contains("FATAL") && !log.contains("exiting now"),
        "{log}"
    );
    assert!(
        log.contains("possibly lost: 1,360 bytes in 5 blocks"),
        "{log}"
    );
    assert!(log.contains("suppressed: 0 bytes in 0 blocks"), "{log}");
    let report =
        leakscope::parse::load_paths(&[dir.join("vg.txt").to_string_lossy().into_owned()], None)
            .unwrap();
    assert_eq!(report.processes.len(), 1);
}

/// A module compiling 5 vs 40 functions eagerly while it is imported
/// (`@njit("float64(float64)")` at module level, nb_eager.py): the JIT's
/// memory is allocated inside the import, and no built-in rule may hide it.
#[test]
fn eager_compiles_during_an_import_stay_visible() {
    let (a, b) = (
        "rules-growth/eager-5.txt.gz",
        "rules-growth/eager-40.txt.gz",
    );
    let with = diff_json(a, b, &[]);
    let without = diff_json(a, b, &["--no-builtin-rules"]);
    // Growth with the built-in rules is the growth without them, to the byte:
    // nothing hidden grew (pymalloc keeps the 35 extra dispatchers' small
    // Python objects in arenas memcheck does not see as blocks).
    assert_eq!(with["visible_growth"], 22_956_001);
    assert_eq!(without["visible_growth"], 22_956_001);
    assert_eq!(with["hidden_growth"], serde_json::json!([]));
    let jit = [
        "llvm::",
        "LLVMPY_",
        "__register_frame",
        "RuntimeDyld",
        "SectionMemoryManager",
        "MCJIT",
    ];
    for g in with["groups"].as_array().unwrap() {
        let top = g["top_frame"].as_str().unwrap();
        if g["delta_total_bytes"].as_i64().unwrap() > 0 && jit.iter().any(|j| top.contains(j)) {
            assert!(g["hidden_by"].is_null(), "growing JIT group hidden: {g}");
        }
    }
}

/// The import rule as it was (anchored on the import, not on the allocating
/// code) hid the JIT's growth during eager compiles: 114,016 B, the
/// safety net names it and the groups.
#[test]
fn the_old_import_rule_hid_jit_growth_and_the_net_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let supp = dir.path().join("old.supp");
    std::fs::write(
        &supp,
        "{\n   cpython-import-time-module-state\n   Memcheck:Leak\n   match-leak-kinds: reachable\n   fun:*alloc\n   ...\n   fun:PyImport_ImportModuleLevelObject\n}\n",
    )
    .unwrap();
    let supp = supp.to_string_lossy().into_owned();
    let (a, b) = (
        "rules-growth/eager-5.txt.gz",
        "rules-growth/eager-40.txt.gz",
    );
    let v = diff_json(a, b, &["--no-builtin-rules", "--suppressions", &supp]);
    let hg = &v["hidden_growth"][0];
    assert_eq!(hg["rule"], "cpython-import-time-module-state");
    assert_eq!(hg["delta_total_bytes"], 114_016);
    let tops: Vec<&str> = hg["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["top_frame"].as_str().unwrap())
        .collect();
    assert!(
        tops[0].starts_with("llvm::SmallVectorBase<unsigned long>::grow_pod"),
        "{tops:?}"
    );
    assert!(
        tops.iter().any(|t| t.starts_with("__register_frame")),
        "{tops:?}"
    );
}

/// numpy printing in 1 vs 8 threads kept alive: each thread's TLS block
/// (numpy's formatting buffer, via __tls_get_addr) and stack/dtv scale with
/// the threads; with the built-in rules the growth is what it is without.
#[test]
fn numpy_printing_under_threads_hides_nothing_that_scales() {
    let (a, b) = (
        "rules-growth/print-threads-1.txt.gz",
        "rules-growth/print-threads-8.txt.gz",
    );
    let with = diff_json(a, b, &[]);
    let without = diff_json(a, b, &["--no-builtin-rules"]);
    assert_eq!(with["visible_growth"], 330_204);
    assert_eq!(with["visible_growth"], without["visible_growth"]);
    assert_eq!(with["hidden_growth"], serde_json::json!([]));
    let top = &with["groups"][0];
    assert!(
        top["top_frame"]
            .as_str()
            .unwrap()
            .starts_with("allocate_dtv_entry"),
        "{top}"
    );
    assert!(top["hidden_by"].is_null());
}

fn summary_json(rel: &str, extra: &[&str]) -> Value {
    let p = path(rel);
    let mut args = vec!["summary", "--format", "json", p.as_str()];
    args.extend(extra);
    let out = leakscope(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// nb_jit.py under LeakSanitizer (ASan's runtime preloaded): totals are
/// LSan's own SUMMARY, no group is named after the sanitizer's allocator,
/// and a valgrind-format rule file applies — `fun:malloc` matches
/// `__interceptor_malloc`, `obj:` the module of a `(module+0x…)` frame.
#[test]
fn valgrind_format_rules_apply_to_a_leaksanitizer_report() {
    const LSAN: &str = "rules-growth/lsan-nb-jit.txt.gz";
    let v = summary_json(LSAN, &["--no-builtin-rules"]);
    let p = &v["processes"][0];
    let leaks = &p["leaks"];
    let bytes = leaks["definitely_lost"]["bytes"].as_u64().unwrap()
        + leaks["indirectly_lost"]["bytes"].as_u64().unwrap();
    let blocks = leaks["definitely_lost"]["blocks"].as_u64().unwrap()
        + leaks["indirectly_lost"]["blocks"].as_u64().unwrap();
    // SUMMARY: AddressSanitizer: 6290052 byte(s) leaked in 17328 allocation(s).
    assert_eq!((bytes, blocks), (6_290_052, 17_328));
    for g in p["groups"].as_array().unwrap() {
        let top = g["top_frame"].as_str().unwrap();
        assert!(
            !top.contains("interceptor") && !top.contains("asan_"),
            "group named after the sanitizer's allocator: {top}"
        );
        assert!(!top.is_empty() && top != "???", "{g}");
    }
    assert!(p["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["top_frame"] == "JIT code (no module)"));

    let dir = tempfile::tempdir().unwrap();
    let supp = dir.path().join("mine.supp");
    std::fs::write(
        &supp,
        "{\n   python-objects\n   Memcheck:Leak\n   fun:malloc\n   fun:_PyObject_Malloc\n}\n{\n   in-llvmlite\n   Memcheck:Leak\n   fun:malloc\n   ...\n   obj:*/libllvmlite.so\n}\n",
    )
    .unwrap();
    let supp = supp.to_string_lossy().into_owned();
    let v = summary_json(LSAN, &["--no-builtin-rules", "--suppressions", &supp]);
    let hidden: Vec<(String, u64, u64)> = v["processes"][0]["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["rule"].as_str().unwrap().to_string(),
                h["bytes"].as_u64().unwrap(),
                h["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hidden,
        vec![
            ("python-objects".to_string(), 1_204_514, 84),
            ("in-llvmlite".to_string(), 59_193, 6)
        ]
    );
    // The built-in sets are reachable-only but for ld.so's scope arrays,
    // whose frames ASan's fast unwinder does not reach: LSan's leaks (all
    // definite or indirect) are left as they are.
    let v = summary_json(LSAN, &[]);
    assert_eq!(v["processes"][0]["hidden"], serde_json::json!([]));
}

/// (rule, kind, bytes) of every leak (definite or indirect) a rule hides.
fn hidden_leaks(v: &Value) -> Vec<(String, String, u64)> {
    v["processes"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "definitely_lost" || g["kind"] == "indirectly_lost")
        .filter_map(|g| {
            let rule = g["hidden_by"].as_str()?;
            Some((
                rule.to_string(),
                g["kind"].as_str().unwrap().to_string(),
                g["bytes"].as_u64().unwrap(),
            ))
        })
        .collect()
}

fn leak_bytes(v: &Value, figure: &str) -> u64 {
    ["definitely_lost", "indirectly_lost"]
        .iter()
        .map(|k| v["processes"][0][figure][k]["bytes"].as_u64().unwrap())
        .sum()
}

/// The same program (nb_jit.py with PYTHONMALLOC=malloc, so LSan scans every
/// Python object) under valgrind and under LeakSanitizer: the built-in rules
/// leave the same leaks visible. LSan reports what valgrind calls definitely
/// and indirectly lost (5,072,109 B against 5,065,348 B: allocator rounding
/// and the unwinder's depth), the rules hide none of it, and the one leak they
/// hide under valgrind — glibc's old `l_scope` arrays, 128 B — LSan does not
/// report at all (it scans ld.so's globals, where glibc keeps them).
#[test]
fn builtin_rules_leave_the_same_leaks_visible_under_leaksanitizer() {
    let lsan = summary_json("rules-growth/lsan-nb-jit-pymalloc.txt.gz", &[]);
    // SUMMARY: AddressSanitizer: 5072109 byte(s) leaked in 16348 allocation(s).
    assert_eq!(leak_bytes(&lsan, "leaks"), 5_072_109);
    let blocks: u64 = ["definitely_lost", "indirectly_lost"]
        .iter()
        .map(|k| lsan["processes"][0]["leaks"][k]["blocks"].as_u64().unwrap())
        .sum();
    assert_eq!(blocks, 16_348);
    assert_eq!(hidden_leaks(&lsan), vec![]);

    let vg = summary_json("real/numba-seed-pythonmalloc.txt.gz", &[]);
    // LEAK SUMMARY: definitely lost 315,416 B, indirectly lost 4,749,932 B.
    assert_eq!(leak_bytes(&vg, "leaks"), 315_416 + 4_749_932);
    assert_eq!(
        hidden_leaks(&vg),
        vec![(
            "ldso-dlopen-scope-arrays".to_string(),
            "definitely_lost".to_string(),
            128
        )]
    );
    let lsan_text = String::from_utf8(common::read_plain(&fixture(
        "rules-growth/lsan-nb-jit-pymalloc.txt.gz",
    )))
    .unwrap();
    assert!(!lsan_text.contains("resize_scopes"));

    // llvmlite's per-compile pass builder stays visible in both.
    for v in [&lsan, &vg] {
        assert!(v["processes"][0]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "definitely_lost"
                && g["hidden_by"].is_null()
                && g["top_frame"]
                    .as_str()
                    .unwrap()
                    .starts_with("LLVMPY_CreatePassBuilder")));
    }
}
