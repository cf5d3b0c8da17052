//! Names from a log as program arguments. A log is untrusted: a source file
//! it names may be called `-c…` or `+!cmd`, which an editor or pager would
//! read as an option or a command (`vim "+!touch x"` runs `touch`). Every
//! path that comes from a log goes through [`path_arg`] before it reaches a
//! process; programs are run from argument vectors, never through a shell.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `path` in a form no program reads as an option or a command: absolute
/// paths stay as they are (they start with `/`), relative ones get a `./`
/// prefix (`-c` → `./-c`, `+!x` → `./+!x`, `a.c` → `./a.c`), which names the
/// same file. Use it for every log-derived path given to a program (the
/// editor, the pager); where the program supports it, also end options with
/// `--` before the path.
pub fn path_arg(path: &Path) -> PathBuf {
    if path.is_absolute() || path.starts_with(".") || path.starts_with("..") {
        // `./x` and `../x` start with `.`: never an option or a `+cmd`.
        return path.to_path_buf();
    }
    Path::new(".").join(path)
}

/// Whether `arg` would be safe where a path stands: it does not start with
/// `-` or `+` (what [`path_arg`] guarantees for paths).
pub fn is_safe_path_arg(arg: &OsString) -> bool {
    let b = arg.as_encoded_bytes();
    !matches!(b.first(), Some(b'-' | b'+') | None)
}

/// A command the user configured (`$EDITOR`, `$PAGER`: `code --wait`) as
/// program and arguments, split at whitespace as the shells' users expect
/// of these variables; `None` when it holds no word.
pub fn command_words(value: &str) -> Option<Vec<String>> {
    let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
    (!words.is_empty()).then_some(words)
}

/// The program's own name (`/usr/bin/less` → `less`), which decides the
/// syntax it is given.
pub fn program_name(program: &str) -> &str {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_never_become_options() {
        for name in ["-c", "+!touch x.c", "--cmd=q", "+13", "a.c", "src/-x.c"] {
            let p = path_arg(Path::new(name));
            assert!(is_safe_path_arg(&p.clone().into_os_string()), "{name}");
            assert_eq!(p, Path::new(".").join(name), "names the same file");
        }
        assert_eq!(path_arg(Path::new("/src/a.c")), Path::new("/src/a.c"));
        assert_eq!(path_arg(Path::new("./-c")), Path::new("./-c"));
        assert_eq!(path_arg(Path::new("../+x")), Path::new("../+x"));
        assert!(!is_safe_path_arg(&"-c".into()));
        assert!(!is_safe_path_arg(&"+1".into()));
    }
}
