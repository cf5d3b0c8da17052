//! `leakscope diff` as a user runs it, on real Numba runs: nb_scale.py compiling
//! N = 5, 20 and 40 distinct @njit functions under memcheck
//! (tests/fixtures/numba/). What grows with the number of compiles must come
//! first; LLVM's one-time initialisation must come out unchanged.

mod common;

use common::{leakscope, path};
use serde_json::Value;

const SCALE_5: &str = "numba/scale-5.txt.gz";
const SCALE_20: &str = "numba/scale-20.txt.gz";
const SCALE_40: &str = "numba/scale-40.txt.gz";

/// `diff --format json` over fixtures, checked to exit `code`.
fn diff_json(rels: &[&str], extra: &[&str], code: i32) -> Value {
    let paths: Vec<String> = rels.iter().map(|r| path(r)).collect();
    let mut args = vec!["diff", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(extra);
    let out = leakscope(&args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("diff prints JSON")
}

fn groups(v: &Value) -> &Vec<Value> {
    v["groups"].as_array().expect("groups is an array")
}

fn s<'a>(g: &'a Value, key: &str) -> &'a str {
    g[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {g}"))
}

fn n(g: &Value, key: &str) -> i64 {
    g[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} is a number in {g}"))
}

/// LLVM's one-time setup: ManagedStatic objects (made by `object_creator`),
/// the command-line option registry, target registration and initialisers.
fn is_llvm_init(top: &str) -> bool {
    [
        "llvm::object_creator<",
        "ManagedStatic",
        "llvm::cl::",
        "PassRegistry",
        "TargetRegistry",
        "llvm::RegisterTargetMachine<",
        "llvm::initialize",
        "::Initialize(",
        "::initializeAtSpecifiers(",
    ]
    .iter()
    .any(|p| top.contains(p))
}

#[test]
fn json_follows_the_contract() {
    let v = diff_json(&[SCALE_5, SCALE_40], &[], 0);
    assert_eq!(v["schema"], 1);
    for side in ["base", "new"] {
        let inputs = v[side]["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0]["format"], "valgrind-text");
        assert!(inputs[0]["warnings"].is_array());
        assert!(s(&inputs[0], "path").ends_with(".txt.gz"));
    }
    assert_eq!(v["base"]["processes"][0]["command"], "python nb_scale.py 5");
    let gs = groups(&v);
    assert!(gs.len() > 100);
    for g in gs {
        for key in ["kind", "top_frame", "status"] {
            s(g, key);
        }
        // Null, or the built-in rule hiding the group in both runs.
        assert!(g["hidden_by"].is_null() || g["hidden_by"].is_string());
        for side in ["base", "new"] {
            for key in ["bytes", "total_bytes", "blocks", "records"] {
                assert!(g[side][key].is_u64(), "{side}.{key} in {g}");
            }
        }
        assert_eq!(
            n(g, "delta_total_bytes"),
            n(&g["new"], "total_bytes") - n(&g["base"], "total_bytes")
        );
        assert_eq!(
            n(g, "delta_bytes"),
            n(&g["new"], "bytes") - n(&g["base"], "bytes")
        );
        assert!(["new", "grown", "shrunk", "unchanged", "gone"].contains(&s(g, "status")));
    }
    let deltas: Vec<i64> = gs.iter().map(|g| n(g, "delta_total_bytes")).collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "sorted by growth");
    // Errors are in the same list, by their kind's name, without bytes.
    let err = gs
        .iter()
        .find(|g| s(g, "kind") == "InvalidRead")
        .expect("the runs' InvalidRead errors");
    assert_eq!(n(&err["new"], "bytes"), 0);
    assert!(err["new"]["occurrences"].is_u64());
}

#[test]
fn what_grows_with_the_compiles_comes_first() {
    let v = diff_json(&[SCALE_5, SCALE_40], &[], 0);
    let gs = groups(&v);
    // 8 times the compiles: the per-compile groups at the top grow ~8-fold.
    for g in &gs[..10] {
        assert_eq!(s(g, "status"), "grown", "{g}");
        assert!(n(g, "delta_total_bytes") > 500 * 1024, "{g}");
        let ratio = n(&g["new"], "total_bytes") as f64 / n(&g["base"], "total_bytes") as f64;
        assert!((4.0..=12.0).contains(&ratio), "ratio {ratio}: {g}");
    }
    assert!(s(&gs[0], "top_frame").starts_with("LLVMPY_buildFunctionSimplificationPipeline"));
    assert_eq!(s(&gs[0], "kind"), "definitely_lost");
    // Nothing that did not grow comes before something that did.
    let first_flat = gs
        .iter()
        .position(|g| n(g, "delta_total_bytes") <= 0)
        .expect("some groups do not grow");
    assert!(gs[first_flat..]
        .iter()
        .all(|g| n(g, "delta_total_bytes") <= 0));
}

#[test]
fn llvm_one_time_initialisation_comes_out_unchanged() {
    let v = diff_json(&[SCALE_5, SCALE_40], &[], 0);
    let init: Vec<&Value> = groups(&v)
        .iter()
        .filter(|g| is_llvm_init(s(g, "top_frame")))
        .collect();
    assert!(init.len() >= 8, "found {} init groups", init.len());
    for g in &init {
        assert_eq!(s(g, "status"), "unchanged", "{}", s(g, "top_frame"));
    }
    for managed in ["llvm::cl::SubCommand", "CommandLineParser", "TimerGlobals"] {
        assert!(
            init.iter().any(|g| s(g, "top_frame").contains(managed)),
            "ManagedStatic<{managed}> is among them"
        );
    }
}

#[test]
fn identical_inputs_diff_to_nothing() {
    let v = diff_json(&[SCALE_40, SCALE_40], &["--fail-on-growth", "0"], 0);
    assert!(groups(&v).iter().all(|g| s(g, "status") == "unchanged"));
    assert_eq!(v["visible_growth"], 0);
    let text = leakscope(&["diff", &path(SCALE_40), &path(SCALE_40)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("unchanged groups"), "{text}");
    assert!(
        !text.contains("\n  ↑ ") && !text.contains("\n  + "),
        "{text}"
    );
}

#[test]
fn growth_over_the_threshold_fails() {
    let v = diff_json(&[SCALE_5, SCALE_40], &["--fail-on-growth", "1MiB"], 1);
    let growth = v["visible_growth"].as_u64().unwrap();
    assert!(growth > 20 << 20, "{growth}");
    diff_json(&[SCALE_5, SCALE_40], &["--fail-on-growth", "1TiB"], 0);
    diff_json(
        &[SCALE_5, SCALE_40],
        &["--fail-on-growth", &growth.to_string()],
        0,
    );
    diff_json(
        &[SCALE_5, SCALE_40],
        &["--fail-on-growth", &(growth - 1).to_string()],
        1,
    );
    // Shrinking is not growth.
    diff_json(&[SCALE_40, SCALE_5], &["--fail-on-growth", "64K"], 0);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let a = path(SCALE_5);
    for args in [
        vec!["diff", a.as_str()],
        vec!["diff", a.as_str(), "/nonexistent/run.log"],
        vec!["diff", a.as_str(), a.as_str(), "--fail-on-growth", "lots"],
        vec!["diff", a.as_str(), a.as_str(), "--depth", "0"],
    ] {
        let out = leakscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let not_a_log = path("not-a-log.txt");
    let out = leakscope(&["diff", &a, &not_a_log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-log.txt"));
}

#[test]
fn text_output_is_readable_at_100_columns() {
    let out = leakscope(&["diff", &path(SCALE_5), &path(SCALE_40)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(text.contains("base: ") && text.contains("new:  "));
    assert!(
        text.contains("↑  +17.6 MiB"),
        "the top group's growth: {text}"
    );
    assert!(text.contains("hidden by rules (same rules on every run):"));
    let bare = leakscope(&[
        "diff",
        "--no-builtin-rules",
        &path(SCALE_5),
        &path(SCALE_40),
    ]);
    assert!(String::from_utf8_lossy(&bare.stdout)
        .contains("hidden by rules: nothing (no rules applied)"));
    assert!(text.contains("unchanged groups"));
    assert!(!text.contains("\n  = ") || text.contains("(--all lists them)"));
    let all = leakscope(&[
        "diff",
        "--all",
        "--no-builtin-rules",
        &path(SCALE_5),
        &path(SCALE_40),
    ]);
    let all = String::from_utf8_lossy(&all.stdout);
    assert!(all.lines().filter(|l| l.starts_with("  = ")).count() > 50);
    // Deeper signatures show the callers that split a group, still in 100 columns.
    for runs in [vec![SCALE_5, SCALE_40], vec![SCALE_5, SCALE_20, SCALE_40]] {
        let mut args = vec!["diff".to_string(), "--depth".into(), "3".into()];
        args.extend(runs.iter().map(|r| path(r)));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let deep = String::from_utf8(leakscope(&args).stdout).expect("UTF-8");
        assert!(deep.contains("← ??? (in libffi.so"), "{deep}");
        assert!(deep.lines().all(|l| l.chars().count() <= 100), "{deep}");
    }
}

#[test]
fn deeper_signatures_and_ignored_lines_are_options() {
    let shallow = groups(&diff_json(&[SCALE_5, SCALE_40], &[], 0)).len();
    let deep = diff_json(&[SCALE_5, SCALE_40], &["--depth", "4"], 0);
    assert!(groups(&deep).len() > shallow);
    assert_eq!(deep["options"]["depth"], 4);
    assert!(groups(&deep)
        .iter()
        .any(|g| g["frames"].as_array().is_some_and(|f| f.len() == 4)));
    let loose = diff_json(&[SCALE_5, SCALE_40], &["--ignore-lines"], 0);
    assert!(groups(&loose).len() <= shallow);
    assert!(groups(&loose)
        .iter()
        .all(|g| !s(g, "top_frame").contains(".c:")));
}

#[test]
fn scaling_view_puts_per_compile_growth_first() {
    let v = diff_json(&[SCALE_5, SCALE_20, SCALE_40], &[], 0);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(3));
    let gs = groups(&v);
    let order = ["grows", "mixed", "flat", "shrinks"];
    let ranks: Vec<usize> = gs
        .iter()
        .map(|g| {
            order
                .iter()
                .position(|t| *t == s(g, "trend"))
                .expect("a trend")
        })
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "grows, mixed, flat, shrinks"
    );
    let top = &gs[0];
    assert_eq!(s(top, "trend"), "grows");
    assert!(s(top, "top_frame").starts_with("LLVMPY_buildFunctionSimplificationPipeline"));
    let runs = top["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    let bytes: Vec<i64> = runs.iter().map(|r| n(r, "total_bytes")).collect();
    assert!(bytes[0] < bytes[1] && bytes[1] < bytes[2], "{bytes:?}");
    let growing: Vec<i64> = gs
        .iter()
        .filter(|g| s(g, "trend") == "grows" && s(g, "kind") != "InvalidRead")
        .map(|g| n(g, "slope"))
        .collect();
    assert!(growing.windows(2).all(|w| w[0] >= w[1]), "steepest first");
    for g in gs.iter().filter(|g| is_llvm_init(s(g, "top_frame"))) {
        assert_eq!(s(g, "trend"), "flat", "{}", s(g, "top_frame"));
    }
    // The built-in rules hide one-time state only: nothing they hide grows
    // with the number of compiles.
    let hidden: Vec<&Value> = gs.iter().filter(|g| !g["hidden_by"].is_null()).collect();
    assert!(hidden.len() > 20);
    for g in hidden {
        assert_ne!(
            s(g, "trend"),
            "grows",
            "{} hidden by {}",
            s(g, "top_frame"),
            g["hidden_by"]
        );
    }
}

#[test]
fn log_text_is_sanitised_in_both_views() {
    let e = path("escapes.txt");
    for args in [
        vec!["diff", "--all", e.as_str(), e.as_str()],
        vec!["diff", "--all", e.as_str(), e.as_str(), e.as_str()],
    ] {
        let out = leakscope(&args);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.chars().any(|c| (c as u32) < 0x20 && c != '\n'),
            "{text}"
        );
        assert!(text.contains("plain_^[[31mleaker"), "{text}");
    }
}
