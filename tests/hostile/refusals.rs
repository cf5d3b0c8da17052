//! Inputs that are not logs (devices, endless zeros or text, unreadable
//! paths): refused early with one clear message.

use super::*;

/// Runs leakscope with stdin fed by `feed` (which may write forever: it
/// stops when leakscope closes the pipe).
fn run_fed(
    dir: &Path,
    args: &[&str],
    feed: impl FnOnce(std::process::ChildStdin) + Send + 'static,
) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let pipe = child.stdin.take().expect("stdin");
    std::thread::spawn(move || feed(pipe));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if start.elapsed() > HARNESS_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not finish within the harness limit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |r: Option<Box<dyn std::io::Read>>| {
        let mut s = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut s);
        }
        String::from_utf8_lossy(&s).into_owned()
    };
    Run {
        code: status.code(),
        stdout: read(
            child
                .stdout
                .take()
                .map(|r| Box::new(r) as Box<dyn std::io::Read>),
        ),
        stderr: read(
            child
                .stderr
                .take()
                .map(|r| Box::new(r) as Box<dyn std::io::Read>),
        ),
    }
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_at_once() {
    let r = run_in(Path::new("/"), &["summary", "/dev/zero"], None);
    refused(
        &r,
        "/dev/zero: no valgrind or sanitizer output found (this looks like a binary file)",
    );
}

#[test]
fn endless_compressed_zeros_on_a_pipe_are_refused() {
    let d = tmp();
    let r = run_fed(d.path(), &["summary", "-"], |pipe| {
        let mut gz = flate2::write::GzEncoder::new(pipe, flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        while gz.write_all(&zeros).is_ok() {}
    });
    refused(
        &r,
        "-: no valgrind or sanitizer output found (this looks like a binary file)",
    );
}

#[test]
fn endless_text_that_is_not_a_log_is_refused_after_a_few_mb() {
    let d = tmp();
    let r = run_fed(d.path(), &["summary", "-"], |mut pipe| {
        let lines = b"y\n".repeat(1 << 16);
        while pipe.write_all(&lines).is_ok() {}
    });
    refused(
        &r,
        "-: no valgrind or sanitizer output found (none in the first 8.0 MiB; stopped reading)",
    );
}

#[test]
fn inputs_that_cannot_be_read_are_refused_with_one_clear_message() {
    let d = tmp();
    write(d.path(), "empty.txt", "");
    std::fs::create_dir(d.path().join("dir")).unwrap();
    write(
        d.path(),
        "binary.bin",
        (0..=255u8).cycle().take(65536).collect::<Vec<_>>(),
    );
    let cases = [
        (
            "empty.txt",
            "empty.txt: no valgrind or sanitizer output found",
        ),
        ("dir", "dir: is a directory, not a log file"),
        ("missing.txt", "missing.txt: no such file"),
        // Not a permission test (root reads anything): any io error, said once.
        ("empty.txt/x", "empty.txt/x: Not a directory (os error 20)"),
        (
            "binary.bin",
            "binary.bin: no valgrind or sanitizer output found (this looks like a binary file)",
        ),
    ];
    for (name, message) in cases {
        refused(&run_in(d.path(), &["summary", name], None), message);
    }
}
