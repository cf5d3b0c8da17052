//! The CI formats through the real binary: GitHub annotations (escaping,
//! limits), GitLab Code Quality (parses, unique fingerprints), JUnit (XML,
//! counts, failing where --fail-on fails), the Markdown step summary, and
//! untrusted names from a hostile log escaped in every one of them.

mod common;

use common::fixture;
use serde_json::Value;
use std::process::{Command, Output};

fn leakscope(args: &[&str]) -> Output {
    let empty = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("XDG_CONFIG_HOME", empty.path())
        .output()
        .expect("runs")
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

fn out(o: &Output) -> String {
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

/// A workflow command line split into (command, properties, message).
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("two ::");
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    (cmd.to_string(), props, message.to_string())
}

/// What GitHub's runner does to a property value or message.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_point_at_the_source_lines() {
    let text = out(&leakscope(&[
        "summary",
        "--format",
        "github",
        &fx("ci-run1.txt"),
    ]));
    let lines: Vec<_> = text.lines().map(parse_command).collect();
    let at: Vec<(String, String, String)> = lines
        .iter()
        .map(|(c, p, _)| {
            let get = |k: &str| {
                p.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            (c.clone(), get("file"), get("line"))
        })
        .collect();
    let f = "tests/fixtures/src/ci_leaks.c".to_string();
    assert_eq!(
        at,
        [
            ("error".into(), f.clone(), "45".into()),
            ("error".into(), f.clone(), "25".into()),
            ("error".into(), f.clone(), "16".into()),
            ("warning".into(), f.clone(), "25".into()),
            ("warning".into(), f.clone(), "16".into()),
            ("notice".into(), f.clone(), "37".into()),
        ]
    );
    let (_, props, message) = &lines[1];
    assert_eq!(
        unescape(&props.iter().find(|(k, _)| k == "title").unwrap().1),
        "Definitely lost memory (memcheck/definitely-lost)"
    );
    let message = unescape(message);
    assert!(
        message.starts_with(
            "63 bytes (16 direct, 47 indirect) in 1 block definitely lost (1 record) in make_list (ci_leaks.c:25)\nPID "
        ),
        "{message}"
    );
    assert!(message.contains("\n  at make_list (ci_leaks.c:25)\n  at drop_list (ci_leaks.c:52)"));
}

#[test]
fn github_annotations_stay_within_the_limits_and_say_what_was_left_out() {
    let text = out(&leakscope(&[
        "summary",
        "--format",
        "github",
        "--no-builtin-rules",
        &fx("real/numba-seed.txt.gz"),
    ]));
    let commands: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(parse_command)
        .collect();
    // The same findings as Code Quality issues, by severity.
    let issues: Vec<Value> = serde_json::from_str(&out(&leakscope(&[
        "summary",
        "--format",
        "gitlab",
        "--no-builtin-rules",
        &fx("real/numba-seed.txt.gz"),
    ])))
    .unwrap();
    let of = |sev: &[&str]| {
        issues
            .iter()
            .filter(|i| sev.contains(&i["severity"].as_str().unwrap()))
            .count()
    };
    let levels = [
        ("error", of(&["critical", "major"])),
        ("warning", of(&["minor"])),
        ("notice", of(&["info"])),
    ];
    let mut annotated = 0;
    for (level, findings) in levels {
        let n = commands.iter().filter(|(c, _, _)| c == level).count();
        assert_eq!(n, findings.min(10), "{level}: GitHub keeps 10 per step");
        annotated += n;
    }
    assert_eq!(annotated, commands.len());
    assert!(annotated <= 50, "GitHub keeps 50 per job");
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("leakscope: ") && last.contains("findings not annotated"),
        "{last}"
    );
    let total: usize = last
        .split(" of ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let left: usize = last["leakscope: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(total, issues.len());
    assert!(left > 0);
    assert_eq!(left + annotated, total);
}

#[test]
fn gitlab_code_quality_parses_with_unique_fingerprints() {
    for log in [
        "ci-run1.txt",
        "real/numba-seed.txt.gz",
        "leaky.xml",
        "multi-pid.txt",
    ] {
        let text = out(&leakscope(&["summary", "--format", "gitlab", &fx(log)]));
        let issues: Vec<Value> = serde_json::from_str(&text).expect("JSON");
        assert!(!issues.is_empty(), "{log}");
        let mut seen = std::collections::HashSet::new();
        for i in &issues {
            for k in ["description", "check_name", "fingerprint", "severity"] {
                assert!(
                    i[k].as_str().is_some_and(|s| !s.is_empty()),
                    "{log}: {k} in {i}"
                );
            }
            assert!(["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap()));
            assert!(i["location"]["path"].as_str().is_some());
            assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
            assert!(
                seen.insert(i["fingerprint"].as_str().unwrap().to_string()),
                "{log}: duplicate"
            );
        }
    }
    let text = out(&leakscope(&[
        "summary",
        "--format",
        "gitlab",
        &fx("ci-run1.txt"),
    ]));
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(issues.len(), 6);
    assert_eq!(issues[0]["check_name"], "memcheck/InvalidRead");
    assert_eq!(issues[0]["severity"], "critical");
    assert_eq!(
        issues[0]["location"]["path"],
        "tests/fixtures/src/ci_leaks.c"
    );
    assert_eq!(issues[0]["location"]["lines"]["begin"], 45);
    assert_eq!(issues[1]["severity"], "major");
    assert_eq!(issues[5]["severity"], "info");
}

/// (tests, failures) of each suite, and the failing case names.
fn junit_counts(xml: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    let (mut suites, mut failing) = (Vec::new(), Vec::new());
    let mut case = String::new();
    let attr = |e: &quick_xml::events::BytesStart, k: &str| -> String {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k.as_bytes())
            .map(|a| a.unescape_value().unwrap().into_owned())
            .unwrap_or_default()
    };
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => suites.push((
                    attr(&e, "tests").parse().unwrap(),
                    attr(&e, "failures").parse().unwrap(),
                )),
                b"testcase" => case = attr(&e, "name"),
                b"failure" => failing.push(case.clone()),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (suites, failing)
}

#[test]
fn junit_fails_exactly_where_fail_on_fails() {
    let o = leakscope(&[
        "summary",
        "--format",
        "junit",
        "--fail-on",
        "definite,errors",
        &fx("ci-run1.txt"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (suites, failing) = junit_counts(&out(&o));
    // One process: four leak kinds and the one error kind it has.
    assert_eq!(suites, [(5, 2)]);
    assert_eq!(failing, ["definitely lost", "InvalidRead"]);
    let xml = out(&o);
    assert!(xml.contains("63 bytes (16 direct, 47 indirect) in 1 block definitely lost (1 record) in make_list (ci_leaks.c:25)"));
    // Without --fail-on nothing fails, as the exit code says.
    let o = leakscope(&["summary", "--format", "junit", &fx("ci-run1.txt")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(junit_counts(&out(&o)), (vec![(5, 0)], vec![]));
    // Three processes: a suite each.
    let o = leakscope(&[
        "summary",
        "--format",
        "junit",
        "--fail-on",
        "reachable",
        &fx("multi-pid.txt"),
    ]);
    let (suites, _) = junit_counts(&out(&o));
    assert_eq!(suites.len(), 3);
}

#[test]
fn markdown_summary_has_kinds_groups_and_hidden_rules() {
    let md = out(&leakscope(&[
        "summary",
        "--format",
        "markdown",
        &fx("real/numba-seed.txt.gz"),
    ]));
    assert!(md.starts_with("## leakscope: memcheck summary\n"));
    assert!(md.contains("| definitely lost | 304.2 KiB |"), "{md}");
    assert!(md.contains("**Top visible groups**"));
    assert!(md.contains("**Hidden by rules**"));
    let md = out(&leakscope(&[
        "diff",
        "--format",
        "markdown",
        &fx("numba/scale-5.txt.gz"),
        &fx("numba/scale-40.txt.gz"),
    ]));
    assert!(
        md.starts_with("## leakscope: growth since the baseline\n"),
        "{md}"
    );
    assert!(md.contains("**New and grown groups**"));
    assert!(
        md.contains("LLVMPY\\_buildFunctionSimplificationPipeline"),
        "{md}"
    );
}

/// A real log with names made hostile: quotes, `<`, `&`, `%`, `,`, `:`, an
/// escape sequence and a carriage return in a function name, markup in a
/// file name and in the command line.
#[test]
fn hostile_names_are_escaped_in_every_format() {
    let log = fx("ci-hostile.txt");
    for format in [
        "sarif", "github", "gitlab", "junit", "markdown", "text", "json",
    ] {
        let text = out(&leakscope(&["summary", "--format", format, &log]));
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: a raw control character"
        );
        match format {
            "sarif" | "gitlab" | "json" => {
                serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
            }
            "junit" => {
                junit_counts(&text);
                assert!(
                    text.contains("copy_&quot;name&quot;&lt;&amp;amp;&gt;,%0A:^[[31m"),
                    "{text}"
                );
            }
            "github" => {
                for l in text.lines().filter(|l| l.starts_with("::")) {
                    let (_, props, message) = parse_command(l);
                    for (_, v) in &props {
                        assert!(!v.contains(':') && !v.contains(','), "{v}");
                    }
                    assert!(!message.contains('\r'));
                }
                assert!(text.contains("copy_\"name\"<&amp;>,%250A:^[[31m"), "{text}");
            }
            "markdown" => {
                assert!(!text.contains("<&"), "{text}");
                assert!(
                    text.contains("copy\\_\"name\"&lt;&amp;amp;&gt;,%0A:^\\[\\[31m"),
                    "{text}"
                );
            }
            _ => {}
        }
    }
}
