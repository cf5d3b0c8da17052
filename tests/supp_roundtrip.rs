//! `leakscope supp` against valgrind: suppressions generated from a log must
//! make a real valgrind run of the same program report nothing, and make
//! leakscope hide everything on that log. Runs only where valgrind and a C++
//! compiler are on PATH (they are on every CI machine here).

mod common;

use common::fixture;
use leakscope::model::{LeakKind, Process};
use leakscope::parse::load_paths;
use std::path::Path;
use std::process::Command;

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn sh(dir: &Path, args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn valgrind(dir: &Path, extra: &[&str], log: &str) -> Process {
    let log_arg = format!("--log-file={log}");
    let mut args = vec!["--leak-check=full", "--show-leak-kinds=all", &log_arg];
    args.extend_from_slice(extra);
    args.push("./leaky");
    // The program's exit status is its own business; only the log matters.
    let _ = Command::new("valgrind")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("running valgrind");
    let path = dir.join(log).to_string_lossy().into_owned();
    let mut report = load_paths(&[path], None).expect("valgrind log");
    report.processes.remove(0)
}

fn leakscope(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir)
        .output()
        .expect("running leakscope");
    assert!(
        out.status.code() == Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn generated_suppressions_silence_valgrind() {
    if !on_path("valgrind") || !on_path("g++") || !on_path("gcc") {
        eprintln!("skipped: valgrind, gcc or g++ not on PATH");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for f in ["leaky.c", "leaky_cc.cc"] {
        std::fs::copy(fixture(&format!("src/{f}")), dir.join(f)).unwrap();
    }
    sh(dir, &["gcc", "-g", "-O0", "-c", "leaky.c", "-o", "leaky.o"]);
    sh(
        dir,
        &["g++", "-g", "-O0", "-c", "leaky_cc.cc", "-o", "leaky_cc.o"],
    );
    sh(dir, &["g++", "-o", "leaky", "leaky.o", "leaky_cc.o"]);
    let base = valgrind(dir, &[], "base.txt");
    valgrind(dir, &["--gen-suppressions=all"], "base-gensupp.txt");
    let in_use = base.heap_summary.expect("heap summary");
    let base_errors = base.error_summary.expect("error summary");
    assert!(in_use.in_use_blocks > 0 && base_errors.errors > 0);

    let kinds = "--kinds=definite,indirect,possible,reachable,errors";
    let modes: [(&str, &[&str]); 4] = [
        ("base.txt", &[]),
        ("base.txt", &["--generalise"]),
        ("base.txt", &["--depth=2"]),
        ("base-gensupp.txt", &[]),
    ];
    for (n, (log, extra)) in modes.iter().enumerate() {
        let mut args = vec!["supp", log, kinds, "--no-builtin-rules"];
        args.extend_from_slice(extra);
        let text = leakscope(dir, &args);
        let supp = format!("gen{n}.supp");
        std::fs::write(dir.join(&supp), &text).unwrap();
        let blocks = text.lines().filter(|l| l.trim() == "{").count();
        assert!(blocks > 0, "{text}");

        let supp_arg = format!("--suppressions={supp}");
        let after = valgrind(dir, &["-v", &supp_arg], &format!("after{n}.txt"));
        let sum = after.leak_summary().expect("leak summary");
        for k in LeakKind::ALL {
            assert_eq!(
                sum.get(k).bytes,
                0,
                "{log} {extra:?}: {} left\n{text}",
                k.text()
            );
        }
        assert_eq!(
            (sum.suppressed.bytes, sum.suppressed.blocks),
            (in_use.in_use_bytes, in_use.in_use_blocks),
            "{log} {extra:?}"
        );
        let errs = after.error_summary.expect("error summary");
        assert_eq!(errs.errors, 0, "{log} {extra:?}\n{text}");
        assert_eq!(errs.suppressed, base_errors.errors, "{log} {extra:?}");
        assert_eq!(
            after.used_suppressions.len(),
            blocks,
            "every suppression used once or more"
        );

        // leakscope's own matcher agrees: nothing stays visible.
        let json = leakscope(
            dir,
            &[
                "summary",
                "base.txt",
                "--format=json",
                "--no-builtin-rules",
                &supp_arg,
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let p = &v["processes"][0];
        for k in [
            "definitely_lost",
            "indirectly_lost",
            "possibly_lost",
            "still_reachable",
        ] {
            assert_eq!(p["visible_leaks"][k]["records"], 0, "{log} {extra:?} {k}");
        }
        assert_eq!(p["visible_errors"]["contexts"], 0, "{log} {extra:?}");
    }
}
