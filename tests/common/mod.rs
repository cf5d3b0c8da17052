//! Shared helpers for the integration tests: fixture paths and loading.
#![allow(dead_code)]

use leakscope::model::Report;
use std::path::PathBuf;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn load(rel: &str) -> Report {
    let p = fixture(rel);
    leakscope::parse::load_paths(&[p.to_string_lossy().into_owned()], None)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every file under `tests/fixtures/<dir>` whose name satisfies `keep`.
pub fn files_under(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixture(dir)];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p.file_name().unwrap().to_string_lossy()) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A file's bytes, gunzipped when it is gzip (as far as it decompresses).
pub fn read_plain(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out);
        out
    } else {
        raw
    }
}

/// The built-in rules alone (no user file, no --suppressions).
pub fn builtin_rules() -> leakscope::triage::rules::RuleSet {
    leakscope::triage::rules::RuleSet::load(&leakscope::triage::rules::RuleOptions {
        files: Vec::new(),
        user_file: None,
        builtin: true,
    })
    .unwrap()
}

/// The leakscope binary run with `args` and no user configuration (no
/// rules file of the machine's user can change what a test sees).
pub fn leakscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .env("XDG_CONFIG_HOME", fixture("no-such-config-dir"))
        .output()
        .expect("run leakscope")
}

/// A fixture's path as a command-line argument.
pub fn path(rel: &str) -> String {
    fixture(rel).to_string_lossy().into_owned()
}
