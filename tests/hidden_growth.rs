//! The growth safety net as a user meets it: a rule that hides a group which
//! grows with the workload makes `diff` warn, list the rule in
//! `hidden_growth`, and fail `--fail-on-growth` unless
//! `--allow-hidden-growth`. Real runs: nb_scale.py compiling 5, 20 and 40
//! functions under memcheck (tests/fixtures/numba/), where llvmlite leaks its
//! pass builder on every compile.

mod common;

use common::{leakscope, path};
use serde_json::Value;
use std::process::Output;

const SCALE_5: &str = "numba/scale-5.txt.gz";
const SCALE_20: &str = "numba/scale-20.txt.gz";
const SCALE_40: &str = "numba/scale-40.txt.gz";

/// A user rule hiding the per-compile pass-builder leak: the kind of rule the
/// safety net exists for.
const PASS_BUILDER_RULE: &str = "# why: (wrong) thought to be one-time\n{\n   my-pass-builder\n   Memcheck:Leak\n   ...\n   fun:LLVMPY_CreatePassBuilder\n}\n";

/// What that rule hides grows by this much from 5 to 40 compiles: the
/// definitely lost `LLVMPY_CreatePassBuilder` group (2,079,872 B with the
/// indirect bytes it owns) and the possibly lost one (14,720 B).
const PASS_BUILDER_GROWTH: u64 = 2_094_592;

fn rule_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mine.supp");
    std::fs::write(&p, PASS_BUILDER_RULE).unwrap();
    let s = p.to_string_lossy().into_owned();
    (dir, s)
}

fn diff(rels: &[&str], extra: &[&str], code: i32) -> Output {
    let paths: Vec<String> = rels.iter().map(|r| path(r)).collect();
    let mut args = vec!["diff"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(extra);
    let out = leakscope(&args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "leakscope {args:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(rels: &[&str], extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    serde_json::from_slice(&diff(rels, &args, 0).stdout).expect("JSON")
}

#[test]
fn a_rule_hiding_the_pass_builder_leak_is_reported() {
    let (_dir, rules) = rule_file();
    let v = json(&[SCALE_5, SCALE_40], &["--suppressions", &rules]);
    let hg = v["hidden_growth"].as_array().unwrap();
    assert_eq!(hg.len(), 1, "{hg:?}");
    assert_eq!(hg[0]["rule"], "my-pass-builder");
    assert_eq!(hg[0]["file"], rules.as_str());
    assert_eq!(hg[0]["line"], 3);
    assert_eq!(hg[0]["delta_total_bytes"], PASS_BUILDER_GROWTH);
    let groups = hg[0]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["kind"], "definitely_lost");
    assert_eq!(groups[0]["delta_total_bytes"], 2_079_872);
    assert!(groups[0]["top_frame"]
        .as_str()
        .unwrap()
        .starts_with("LLVMPY_CreatePassBuilder"));

    let out = diff(&[SCALE_5, SCALE_40], &["--suppressions", &rules], 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let warning = format!(
        "warning: rule my-pass-builder ({rules}:3) hid +2,094,592 B of growth: it may be hiding a real leak"
    );
    assert!(text.contains(&warning), "{text}");
    assert!(
        text.contains("hidden growth: +2.0 MiB under 1 rule"),
        "{text}"
    );
}

#[test]
fn hidden_growth_fails_the_gate_unless_allowed() {
    let (_dir, rules) = rule_file();
    let v = json(&[SCALE_5, SCALE_40], &["--suppressions", &rules]);
    let visible = v["visible_growth"].as_u64().unwrap();
    let both = visible + PASS_BUILDER_GROWTH;
    let at = |limit: u64, extra: &[&str], code: i32| {
        let limit = limit.to_string();
        let mut args = vec!["--suppressions", rules.as_str(), "--fail-on-growth", &limit];
        args.extend(extra);
        diff(&[SCALE_5, SCALE_40], &args, code)
    };
    // Visible growth alone is under the limit; with what the rule hid, over.
    let out = at(visible, &[], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2,094,592 B of it hidden by rules"), "{err}");
    at(both - 1, &[], 1);
    at(both, &[], 0);
    at(visible, &["--allow-hidden-growth"], 0);
    at(visible - 1, &["--allow-hidden-growth"], 1);
}

#[test]
fn the_series_view_reports_hidden_growth_first_run_to_last() {
    let (_dir, rules) = rule_file();
    let v = json(&[SCALE_5, SCALE_20, SCALE_40], &["--suppressions", &rules]);
    let hg = v["hidden_growth"].as_array().unwrap();
    assert_eq!(hg.len(), 1);
    assert_eq!(hg[0]["rule"], "my-pass-builder");
    assert_eq!(hg[0]["delta_total_bytes"], PASS_BUILDER_GROWTH);
    let visible = v["visible_growth"].as_u64().unwrap();
    let limit = visible.to_string();
    diff(
        &[SCALE_5, SCALE_20, SCALE_40],
        &["--suppressions", &rules, "--fail-on-growth", &limit],
        1,
    );
    diff(
        &[SCALE_5, SCALE_20, SCALE_40],
        &[
            "--suppressions",
            &rules,
            "--fail-on-growth",
            &limit,
            "--allow-hidden-growth",
        ],
        0,
    );
    let out = diff(
        &[SCALE_5, SCALE_20, SCALE_40],
        &["--suppressions", &rules],
        0,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("hid +2,094,592 B of growth"), "{text}");
}

#[test]
fn the_built_in_rules_hide_no_growth_of_the_compiles() {
    for runs in [&[SCALE_5, SCALE_40][..], &[SCALE_5, SCALE_20, SCALE_40]] {
        let v = json(runs, &[]);
        assert_eq!(v["hidden_growth"], serde_json::json!([]), "{runs:?}");
    }
    let out = diff(&[SCALE_5, SCALE_40], &[], 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("warning: rule"), "{text}");
    assert!(text.contains("hidden growth: none"), "{text}");
}
