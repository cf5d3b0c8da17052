//! The CI jobs of docs/ci, exercised: every `leakscope` command in each job
//! file runs on committed logs (the two real runs of ci_leaks.c standing in
//! for the job's `vg/*.log`), exits as the job expects, and writes what the
//! next step reads.

mod common;

use common::fixture;
use serde_json::Value;
use std::process::Command;

/// The `leakscope …` commands of a job file, as argument lists, with the
/// output redirection (if any) cut off.
fn commands(job: &str) -> Vec<Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/ci")
        .join(job);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("- ")
                .trim_start_matches("run: ")
        })
        .filter(|l| l.starts_with("leakscope "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take_while(|w| !w.starts_with('>'))
                .flat_map(|w| {
                    if w == "vg/*.log" {
                        vec![fx("ci-run1.txt"), fx("ci-run2.txt")]
                    } else {
                        vec![w.to_string()]
                    }
                })
                .collect()
        })
        .collect()
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// Runs one command from the repository root (its source tree), as a job
/// runs from its checkout; returns the exit code and stdout.
fn run(args: &[String]) -> (i32, String) {
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_CONFIG_HOME", empty.path())
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

fn format_of(args: &[String]) -> &str {
    args.iter()
        .position(|a| a == "--format")
        .map_or("text", |i| args[i + 1].as_str())
}

#[test]
fn the_github_actions_job_works_on_real_runs() {
    let cmds = commands("github-actions.yml");
    let formats: Vec<&str> = cmds.iter().map(|c| format_of(c)).collect();
    assert_eq!(formats, ["sarif", "github", "markdown", "text"]);
    for c in &cmds {
        let (code, out) = run(c);
        let gate = c.iter().any(|a| a == "--fail-on");
        // The gate fails the job (the runs have definite leaks and an
        // invalid read); the reporting steps never do.
        assert_eq!(code, if gate { 1 } else { 0 }, "{c:?}");
        match format_of(c) {
            "sarif" => {
                let v: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["version"], "2.1.0");
                // Two processes, six groups each.
                assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 12);
            }
            "github" => {
                assert_eq!(
                    out.lines()
                        .filter(
                            |l| l.starts_with("::error file=tests/fixtures/src/ci_leaks.c,line=")
                        )
                        .count(),
                    6
                );
                assert!(
                    out.lines().all(|l| l.starts_with("::")),
                    "all annotated: {out}"
                );
            }
            "markdown" => assert!(out.contains("### PID 24191 ./ci\\_leaks"), "{out}"),
            _ => assert!(out.contains("definitely lost"), "{out}"),
        }
    }
}

#[test]
fn the_gitlab_job_works_on_real_runs() {
    let cmds = commands("gitlab-ci.yml");
    let formats: Vec<&str> = cmds.iter().map(|c| format_of(c)).collect();
    assert_eq!(formats, ["gitlab", "markdown", "junit"]);
    for c in &cmds {
        let (code, out) = run(c);
        let gate = c.iter().any(|a| a == "--fail-on");
        assert_eq!(code, if gate { 1 } else { 0 }, "{c:?}");
        match format_of(c) {
            "gitlab" => {
                let v: Vec<Value> = serde_json::from_str(&out).unwrap();
                assert_eq!(v.len(), 12);
                let fps: std::collections::HashSet<&str> = v
                    .iter()
                    .map(|i| i["fingerprint"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    fps.len(),
                    12,
                    "unique even for the same leak in two processes"
                );
            }
            "junit" => {
                assert!(
                    out.contains("<testsuites name=\"leakscope\" tests=\"10\" failures=\"4\""),
                    "{out}"
                );
            }
            _ => assert!(out.contains("## leakscope"), "{out}"),
        }
    }
}
