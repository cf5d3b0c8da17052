//! Opening the log at a record's line in the user's pager (`v`): `$PAGER`
//! split into words (default `less`), run directly, never through a shell.
//! The log's name comes from the command line, but it is still passed so it
//! can never be read as an option or a `+command`: `./` before a relative
//! path ([`crate::argv::path_arg`]), and `--` before it for `less`.

use std::path::Path;

/// The pager command line from the environment, split into words.
pub fn from_env() -> Vec<String> {
    std::env::var("PAGER")
        .ok()
        .and_then(|s| crate::argv::command_words(&s))
        .unwrap_or_else(|| vec!["less".to_string()])
}

/// Program and arguments to show `path` from `line` on.
pub fn command(words: &[String], path: &Path, line: u64) -> (String, Vec<String>) {
    let program = words[0].clone();
    let mut args: Vec<String> = words[1..].to_vec();
    let name = crate::argv::program_name(&program);
    // less, more and most all take `+N`; only less is known to take `--`.
    args.push(format!("+{line}"));
    if name == "less" {
        args.push("--".into());
    }
    args.push(crate::argv::path_arg(path).to_string_lossy().into_owned());
    (program, args)
}

/// Why the log cannot be shown in a pager, if it cannot.
pub fn unviewable(path: &str) -> Option<&'static str> {
    if path == "-" {
        Some("The log came on stdin: there is no file to open")
    } else if path.ends_with(".gz") || path.ends_with(".zst") {
        Some("The log is compressed: open it with zless / zstdless")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn less_gets_the_line_then_dashdash_then_a_safe_path() {
        let (p, a) = command(&w("less"), Path::new("run.log"), 147_548);
        assert_eq!(p, "less");
        assert_eq!(a, ["+147548", "--", "./run.log"]);
        let (_, a) = command(&w("/usr/bin/less -R"), Path::new("-rf"), 3);
        assert_eq!(a, ["-R", "+3", "--", "./-rf"]);
        let (_, a) = command(&w("more"), Path::new("/tmp/+x"), 9);
        assert_eq!(a, ["+9", "/tmp/+x"]);
    }

    #[test]
    fn stdin_and_compressed_logs_are_explained() {
        assert!(unviewable("-").is_some());
        assert!(unviewable("a.txt.gz").is_some());
        assert_eq!(unviewable("a.txt"), None);
    }
}
