//! SARIF for code scanning: every output of the committed fixtures
//! validates against the official SARIF 2.1.0 schema; results sit at the
//! right file and line of the program's own sources (else at the top frame
//! with its object); fingerprints follow the leak, not the run.

mod common;

use common::{files_under, fixture};
use leakscope::model::Report;
use leakscope::report::ci::{self, CiFormat};
use leakscope::report::source_tree::SourceTree;
use leakscope::report::summary::summarize_with_rules;
use leakscope::triage::rules::{RuleHider, RuleSet};
use serde_json::Value;
use std::path::Path;

fn builtins() -> RuleSet {
    common::builtin_rules()
}

fn load(p: &Path) -> Report {
    leakscope::parse::load_paths(&[p.to_string_lossy().into_owned()], None)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn repo() -> &'static SourceTree {
    thread_local! {
        static TREE: &'static SourceTree =
            Box::leak(Box::new(SourceTree::new(Path::new(env!("CARGO_MANIFEST_DIR")))));
    }
    TREE.with(|t| *t)
}

fn sarif_of(report: &Report, rules: &RuleSet) -> Value {
    let hiding = rules.apply(report);
    let s = summarize_with_rules(report, rules, &hiding);
    let out = ci::summary(CiFormat::Sarif, &s, report, repo(), &[]);
    serde_json::from_str(&out.text).expect("SARIF is JSON")
}

fn diff_sarif(base: &Report, new: &Report, rules: &RuleSet) -> Value {
    use leakscope::triage::{diff, signature::SignatureOptions};
    let hider = RuleHider::new(rules, &[base, new]);
    let sig = SignatureOptions::default();
    let d = diff::diff(base, new, &diff::DiffOptions { signature: sig }, &hider);
    let o = leakscope::report::diff::diff_output(base, new, &d, &sig, &|_| None);
    let out = ci::diff(CiFormat::Sarif, &o, new, repo()).unwrap();
    serde_json::from_str(&out.text).expect("SARIF is JSON")
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixture("sarif-schema-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the official schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, sarif: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(sarif)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
    // GitHub's code scanning refuses the whole upload ("locationFromSarifResult:
    // expected artifact location") if one result has no file to point at.
    for r in results(sarif) {
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(
            uri.as_str().is_some_and(|u| !u.is_empty()),
            "{what}: a result without an artifact location: {r}"
        );
    }
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

/// Every log fixture: text, XML, LSan, gzip, several PIDs, hostile names.
fn log_fixtures() -> Vec<std::path::PathBuf> {
    let mut logs = files_under("", |n| {
        (n.ends_with(".txt") || n.ends_with(".xml") || n.ends_with(".gz") || n.ends_with(".zst"))
            && !n.starts_with("not-a-log")
            && n != "README.md"
    });
    logs.retain(|p| !p.components().any(|c| c.as_os_str() == "valgrind-tests"));
    logs.retain(|p| load_ok(p));
    logs
}

fn load_ok(p: &Path) -> bool {
    leakscope::parse::load_paths(&[p.to_string_lossy().into_owned()], None).is_ok()
}

#[test]
fn every_small_fixture_validates_against_the_official_schema() {
    every_fixture_validates(|p| p.extension().is_some_and(|e| e != "gz"), 25);
}

/// The gzipped real Numba logs, in a test of their own so the two run in
/// parallel.
#[test]
fn every_gzipped_fixture_validates_against_the_official_schema() {
    every_fixture_validates(|p| p.extension().is_some_and(|e| e == "gz"), 15);
}

fn every_fixture_validates(keep: impl Fn(&Path) -> bool, at_least: usize) {
    let v = validator();
    let rules = builtins();
    let logs: Vec<_> = log_fixtures().into_iter().filter(|p| keep(p)).collect();
    assert!(logs.len() >= at_least, "found {} logs", logs.len());
    for p in &logs {
        let report = load(p);
        let sarif = sarif_of(&report, &rules);
        assert_valid(&v, &sarif, &p.display().to_string());
        // And with no rules, every group a result (the small logs: the big
        // Numba ones only add more of the same).
        if p.extension().is_some_and(|e| e != "gz") {
            assert_valid(&v, &sarif_of(&report, &RuleSet::new()), "no rules");
        }
    }
}

#[test]
fn diffs_validate_against_the_official_schema() {
    let (v, rules) = (validator(), builtins());
    // The C runs, the Numba workloads, and a hostile log.
    let pairs = [
        ("ci-run1.txt", "ci-run2.txt"),
        ("numba/scale-5.txt.gz", "numba/scale-40.txt.gz"),
        ("leaky.txt", "ci-hostile.txt"),
    ];
    for (a, b) in pairs {
        let (a, b) = (load(&fixture(a)), load(&fixture(b)));
        assert_valid(&v, &diff_sarif(&a, &b, &rules), "diff");
    }
}

#[test]
fn results_sit_on_the_programs_own_lines() {
    let report = load(&fixture("ci-run1.txt"));
    let sarif = sarif_of(&report, &RuleSet::new());
    let at: Vec<(String, String, u64)> = results(&sarif)
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    let src = "tests/fixtures/src/ci_leaks.c";
    let want = [
        // Errors first, then by size: the read past the end (ci_leaks.c:45),
        // the list's head node (25) and the dropped name (16); the
        // indirectly lost nodes and names; the config still reachable (37).
        ("memcheck/InvalidRead", 45),
        ("memcheck/definitely-lost", 25),
        ("memcheck/definitely-lost", 16),
        ("memcheck/indirectly-lost", 25),
        ("memcheck/indirectly-lost", 16),
        ("memcheck/still-reachable", 37),
    ];
    let want: Vec<(String, String, u64)> = want
        .iter()
        .map(|(r, l)| (r.to_string(), src.to_string(), *l))
        .collect();
    assert_eq!(at, want);
    // The stack as a code flow, outermost call first, down to malloc.
    let flow = &results(&sarif)[1]["codeFlows"][0]["threadFlows"][0]["locations"];
    let names: Vec<&str> = flow
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["location"]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(names, ["main", "drop_list", "make_list", "malloc"]);
    let r = &results(&sarif)[1];
    assert_eq!(r["level"], "error");
    assert_eq!(r["properties"]["total_bytes"], 63);
    assert_eq!(r["properties"]["bytes"], 16);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let def = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(def["id"], "memcheck/definitely-lost");
    assert!(def["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("external/cwe/cwe-401")));
}

#[test]
fn an_xml_log_from_another_checkout_lands_in_this_one() {
    // The XML names /tmp/leakscope-ci/ci_leaks.c, which is not here: the
    // file of that name in the tree is used.
    let report = load(&fixture("ci-run.xml"));
    let sarif = sarif_of(&report, &RuleSet::new());
    let r = &results(&sarif)[0];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tests/fixtures/src/ci_leaks.c"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        45
    );
}

fn fingerprints(sarif: &Value) -> Vec<(String, String)> {
    results(sarif)
        .iter()
        .map(|r| {
            (
                r["properties"]["top_frame"].as_str().unwrap().to_string()
                    + " "
                    + r["ruleId"].as_str().unwrap(),
                r["partialFingerprints"]["leakscope/stack/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn the_same_leak_has_the_same_fingerprint_in_every_run() {
    let none = RuleSet::new();
    let one = fingerprints(&sarif_of(&load(&fixture("ci-run1.txt")), &none));
    let two = fingerprints(&sarif_of(&load(&fixture("ci-run2.txt")), &none));
    let xml = fingerprints(&sarif_of(&load(&fixture("ci-run.xml")), &none));
    assert_eq!(one.len(), 6);
    assert_eq!(one, two, "two runs of the same program");
    assert_eq!(one, xml, "the same run as XML");
    let distinct: std::collections::HashSet<&String> = one.iter().map(|(_, f)| f).collect();
    assert_eq!(
        distinct.len(),
        one.len(),
        "different leaks, different fingerprints"
    );
    // The same leak in a diff is the same alert as in the summary.
    let d = diff_sarif(
        &load(&fixture("leaky.txt")),
        &load(&fixture("ci-run2.txt")),
        &none,
    );
    let from_diff = fingerprints(&d);
    assert_eq!(from_diff.len(), 6, "every group of the new program is new");
    for f in &from_diff {
        assert!(one.contains(f), "{f:?}");
    }
}

#[test]
fn the_numba_log_falls_back_to_the_top_frame_and_its_object() {
    let report = load(&fixture("real/numba-seed.txt.gz"));
    let sarif = sarif_of(&report, &builtins());
    // glibc's strncmp reads past a block: the text log names its source
    // file, not its object, so that is where it is (outside the tree).
    let read = &results(&sarif)[0];
    assert_eq!(read["ruleId"], "memcheck/InvalidRead");
    let loc = &read["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "strcmp-sse2.S");
    assert_eq!(loc["region"]["startLine"], 160);
    let first = results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "memcheck/definitely-lost")
        .unwrap();
    assert_eq!(
        first["properties"]["top_frame"],
        "LLVMPY_buildFunctionSimplificationPipeline (in \
/tmp/nbvenv/lib/python3.11/site-packages/llvmlite/binding/libllvmlite.so)"
    );
    let loc = &first["locations"][0];
    let top = first["properties"]["top_frame"].as_str().unwrap();
    let function = loc["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .unwrap();
    assert!(top.starts_with(function), "{top} / {function}");
    let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    let object = top.rsplit_once("(in ").unwrap().1.trim_end_matches(')');
    assert_eq!(uri, format!("file://{object}"));
    assert!(loc["physicalLocation"].get("region").is_none());
    // No frame of the Numba run is in this tree.
    for r in results(&sarif) {
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]
            .get("uriBaseId")
            .is_none());
    }
}

#[test]
fn results_are_capped_as_code_scanning_displays_them() {
    let report = load(&fixture("real/numba-seed.txt.gz"));
    let rules = RuleSet::new();
    let hiding = rules.apply(&report);
    let s = summarize_with_rules(&report, &rules, &hiding);
    let f = leakscope::report::findings::from_summary(&s, &report);
    let total = f.findings.len();
    assert!(total > 100);
    let (text, warning) = leakscope::report::sarif::write(&f, repo(), 100);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(results(&sarif).len(), 100);
    let warning = warning.expect("a warning when results are cut");
    assert!(
        warning.contains(&format!("{} of {total} results left out", total - 100)),
        "{warning}"
    );
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes.to_string().contains("left out"));
    assert_valid(&validator(), &sarif, "capped");
    assert_eq!(leakscope::report::sarif::MAX_RESULTS, 5_000);
}
