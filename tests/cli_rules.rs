//! Rules through the binary: what summary reports about them, --fail-on
//! after rules, bad and missing rule files, the user's rules file, and
//! `leakscope supp`.

mod common;

use common::fixture;
use std::path::Path;
use std::process::{Command, Output};

/// Runs leakscope with an empty config directory unless one is given.
fn run(args: &[&str], config: Option<&Path>) -> Output {
    let empty = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .env("XDG_CONFIG_HOME", config.unwrap_or(empty.path()))
        .output()
        .expect("runs")
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

#[test]
fn json_reports_hidden_per_rule_and_what_stays_visible() {
    let supp = fx("supp-test.supp");
    let o = run(
        &[
            "summary",
            "--format=json",
            "--no-builtin-rules",
            "--suppressions",
            &supp,
            &fx("leaky.txt"),
        ],
        None,
    );
    let v = json(&o);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["rules"]["builtin"], false);
    assert_eq!(v["rules"]["files"][0]["file"], supp.as_str());
    assert_eq!(v["rules"]["files"][0]["source"], "command-line");
    assert_eq!(v["rules"]["files"][0]["rules"], 3);
    let p = &v["processes"][0];
    // leaks keeps counting everything, visible_leaks only what no rule hides.
    assert_eq!(p["leaks"]["indirectly_lost"]["records"], 3);
    assert_eq!(p["visible_leaks"]["indirectly_lost"]["records"], 0);
    assert_eq!(p["visible_leaks"]["definitely_lost"]["bytes"], 369);
    let hidden = p["hidden"].as_array().unwrap();
    let tree = hidden
        .iter()
        .find(|h| h["rule"] == "tree-children-indirect")
        .unwrap();
    assert_eq!(tree["file"], supp.as_str());
    assert_eq!(tree["line"], 20);
    assert_eq!(
        (tree["bytes"].as_u64(), tree["total_bytes"].as_u64()),
        (Some(96), Some(96))
    );
    assert_eq!(
        (tree["blocks"].as_u64(), tree["records"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(
        tree["reason"].is_null(),
        "supp-test.supp has no '# why:' lines"
    );
    let write = hidden
        .iter()
        .find(|h| h["rule"] == "write-past-end")
        .unwrap();
    assert_eq!(write["undecided_errors"], 1);
    // Groups never mix hidden and visible records.
    let groups = p["groups"].as_array().unwrap();
    let by = |frame: &str, rule: Option<&str>| {
        groups.iter().any(|g| {
            g["top_frame"].as_str().unwrap().starts_with(frame) && g["hidden_by"].as_str() == rule
        })
    };
    assert!(by("new_node", Some("tree-children-indirect")));
    assert!(
        by("new_node", None),
        "the definitely lost root stays its own group"
    );
    assert!(by("leak_in_loop", None));
}

#[test]
fn reasons_show_in_the_text_summary() {
    let o = run(
        &[
            "summary",
            "--suppressions",
            &fx("mangled.supp"),
            &fx("mangled.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("hidden by 6 rules: 6 records"), "{out}");
    assert!(out.contains("const-method-wildcard"), "{out}");
    assert!(
        out.contains("a const member function, by a wildcard"),
        "{out}"
    );
    assert!(out.contains("top visible groups"), "{out}");
}

#[test]
fn fail_on_counts_only_visible_records() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.supp");
    std::fs::write(
        &all,
        "# why: test: everything reached from main\n{\n   all\n   Memcheck:Leak\n   match-leak-kinds: definite\n   ...\n   fun:main\n}\n",
    )
    .unwrap();
    let log = fx("leaky.txt");
    let before = run(&["summary", "--fail-on", "definite", &log], None);
    assert_eq!(before.status.code(), Some(1));
    let after = run(
        &[
            "summary",
            "--fail-on",
            "definite",
            "--suppressions",
            all.to_str().unwrap(),
            &log,
        ],
        None,
    );
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
    // Errors are still there.
    let errors = run(
        &[
            "summary",
            "--fail-on",
            "definite,errors",
            "--suppressions",
            all.to_str().unwrap(),
            &log,
        ],
        None,
    );
    assert_eq!(errors.status.code(), Some(1));
}

#[test]
fn bad_rule_files_are_reported_with_file_and_line_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.supp");
    std::fs::write(
        &bad,
        "{\n   typo\n   Memcheck:Leek\n   fun:malloc\n}\n{\n   empty\n   Memcheck:Leak\n}\n# why: the tree's children\n{\n   good\n   Memcheck:Leak\n   match-leak-kinds: indirect\n   fun:calloc\n   fun:new_node\n}\n{\n   open\n   Memcheck:Leak\n",
    )
    .unwrap();
    let b = bad.to_str().unwrap();
    let o = run(
        &[
            "summary",
            "--no-builtin-rules",
            "--suppressions",
            b,
            &fx("leaky.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "a bad rule is not a failed run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "rules: error: {b}:3: unknown suppression kind 'Memcheck:Leek'"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("rules: error: {b}:6: ")), "{out}");
    assert!(
        out.contains(&format!("rules: error: {b}:18: unterminated")),
        "{out}"
    );
    assert!(out.contains("hidden by 1 rule: 2 records"), "{out}");
    let v = json(&run(
        &[
            "summary",
            "--format=json",
            "--no-builtin-rules",
            "--suppressions",
            b,
            &fx("leaky.txt"),
        ],
        None,
    ));
    let problems = v["rules"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(problems[0]["severity"], "error");
}

#[test]
fn a_missing_suppressions_file_is_an_input_error() {
    let o = run(
        &[
            "summary",
            "--suppressions",
            "/nonexistent/x.supp",
            &fx("leaky.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/nonexistent/x.supp"), "{err}");
}

#[test]
fn the_users_rules_file_is_read_from_the_config_dir() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("leakscope");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("rules.supp"),
        "# why: my program's config is kept for the whole run\n{\n   keep-config\n   Memcheck:Leak\n   match-leak-kinds: reachable\n   fun:malloc\n   fun:keep_config\n}\n",
    )
    .unwrap();
    let v = json(&run(
        &["summary", "--format=json", &fx("leaky.txt")],
        Some(config.path()),
    ));
    let files = v["rules"]["files"].as_array().unwrap();
    assert!(files
        .iter()
        .any(|f| f["source"] == "user" && f["rules"] == 1));
    assert!(files.iter().any(|f| f["source"] == "builtin"));
    let h = &v["processes"][0]["hidden"][0];
    assert_eq!(h["rule"], "keep-config");
    assert_eq!(h["reason"], "my program's config is kept for the whole run");
    assert_eq!(h["builtin"], false);
    assert_eq!(
        v["processes"][0]["visible_leaks"]["still_reachable"]["records"],
        0
    );
}

#[test]
fn supp_prints_suppressions_leakscope_reads_back() {
    let log = fx("leaky.txt");
    let o = run(
        &[
            "supp",
            "--grep",
            "leak_tree|make_label",
            "--kinds",
            "definite",
            &log,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text.matches("\n{\n").count(), 2, "{text}");
    assert!(text.contains("   leakscope-definite-new_node\n"), "{text}");
    assert!(
        text.contains("   leakscope-definite-make_label\n"),
        "{text}"
    );
    assert!(text.contains("# why: FILL IN"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen.supp");
    std::fs::write(&gen, &text).unwrap();
    let v = json(&run(
        &[
            "summary",
            "--format=json",
            "--suppressions",
            gen.to_str().unwrap(),
            &log,
        ],
        None,
    ));
    assert!(v["rules"]["problems"].as_array().unwrap().is_empty());
    let p = &v["processes"][0];
    assert_eq!(p["visible_leaks"]["definitely_lost"]["records"], 2);
    // --depth keeps the top frames and ends with `...`.
    let o = run(
        &["supp", "--depth", "2", "--grep", "leak_in_loop", &log],
        None,
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("   fun:malloc\n   fun:leak_in_loop\n   ...\n}"),
        "{text}"
    );
    // A bad regex is a usage error.
    assert_eq!(
        run(&["supp", "--grep", "(", &log], None).status.code(),
        Some(2)
    );
}
