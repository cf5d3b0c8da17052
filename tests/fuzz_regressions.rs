//! Inputs the fuzzers (fuzz/, `fuzz/run.sh`) found, kept so the defects they
//! showed stay fixed. Each file in tests/fixtures/fuzz goes through what its
//! fuzz target does (the name's first word is the target).

use leakscope::model::Format;
use std::path::PathBuf;

fn fuzz_inputs() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures/fuzz")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("reads"))
        })
        .collect()
}

/// The bytes the input's fuzz target parses: `gzip` and `zstd` force their
/// stream's magic first, as fuzz/fuzz_targets do.
fn as_target(name: &str, data: &[u8]) -> Vec<u8> {
    let magic: &[u8] = match name.split('-').next() {
        Some("gzip") => &[0x1f, 0x8b],
        Some("zstd") => &[0x28, 0xb5, 0x2f, 0xfd],
        _ => &[],
    };
    let mut input = magic.to_vec();
    input.extend_from_slice(data.strip_prefix(magic).unwrap_or(data));
    input
}

/// Threads of this process, as the kernel lists them.
#[cfg(target_os = "linux")]
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .count()
}

/// Threads of this process once any that are exiting have gone: a joined
/// thread has run its last instruction, but the kernel lists it in
/// /proc/self/task until it has finished exiting, a moment later. A thread
/// left running would still be listed after the 5 s allowed here.
#[cfg(target_os = "linux")]
fn threads_settled(expected: usize) -> usize {
    for _ in 0..500 {
        let n = threads();
        if n == expected {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    threads()
}

/// `parse-leak-…`, `zstd-leak-…`: the leak check of the `parse` and `zstd`
/// targets saw a thread-local of one of the XML parser's worker threads still allocated after the parse
/// had returned — a scoped thread whose closure had returned but which had
/// not yet exited. Every parse thread is now joined before the call
/// returns: however often a parse runs, no thread is left behind.
#[cfg(target_os = "linux")]
#[test]
fn no_parse_thread_outlives_the_parse() {
    let inputs = fuzz_inputs();
    assert!(!inputs.is_empty());
    let before = threads();
    for (name, data) in &inputs {
        let data = &as_target(name, data);
        for _ in 0..50 {
            for format in [
                None,
                Some(Format::ValgrindText),
                Some(Format::ValgrindXml),
                Some(Format::Lsan),
            ] {
                let _ = leakscope::parse::parse_bytes("fuzz", data, format);
                assert_eq!(
                    threads_settled(before),
                    before,
                    "{name} as {format:?}: a thread outlived the parse"
                );
            }
        }
    }
}
