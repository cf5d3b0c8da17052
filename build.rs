//! Embeds every assets/rules/*.supp as a built-in rule set, so a rule file
//! added there ships without touching the code.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/rules");
    // The manifest directory of this build, read when the script runs: a
    // compile-time env!() would bake in the directory the script was first
    // compiled in, and a target directory copied from another checkout would
    // then embed that checkout's rules.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("assets/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "supp"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            name.unwrap_or_default(),
            f.display().to_string()
        );
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("writing builtin_rules.rs");
}
