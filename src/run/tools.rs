//! Finding valgrind, vgdb and the program, and the valgrind command line a
//! triage run needs.

use std::path::{Path, PathBuf};

/// Flags triage needs: every leak kind with enough callers for groups to mean
/// something, time stamps for the timeline, a log per process in the run
/// directory, and the gdbserver vgdb talks to. `--valgrind-arg`s come after,
/// so they add to or override these (valgrind takes the last of an option).
pub fn valgrind_args(dir: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec![
        "--tool=memcheck".to_string(),
        "--leak-check=full".to_string(),
        "--show-leak-kinds=all".to_string(),
        "--num-callers=30".to_string(),
        "--time-stamp=yes".to_string(),
        "--vgdb=yes".to_string(),
        format!("--log-file={}", dir.join(LOG_PATTERN).display()),
    ];
    args.extend(extra.iter().cloned());
    args
}

/// Valgrind's `%p` expands to each process's PID.
pub const LOG_PATTERN: &str = "valgrind.%p.log";

/// Where the program's own stdout and stderr go.
pub const PROGRAM_OUTPUT: &str = "program.out";

/// The first executable `name` on `PATH`, or `name` itself when it holds a `/`.
pub fn find_executable(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How to get valgrind (vgdb comes with it).
pub const INSTALL_HINT: &str =
    "install valgrind (Debian/Ubuntu: apt install valgrind; Fedora: dnf install valgrind; macOS: not supported) or name it with --valgrind PATH";

/// The valgrind to run: `--valgrind PATH`, else `valgrind` on PATH.
pub fn find_valgrind(given: Option<&Path>) -> Result<PathBuf, String> {
    match given {
        Some(p) => find_executable(&p.to_string_lossy())
            .ok_or_else(|| format!("--valgrind {}: no such executable", p.display())),
        None => find_executable("valgrind")
            .ok_or_else(|| format!("valgrind is not installed (not on PATH): {INSTALL_HINT}")),
    }
}

/// vgdb next to the valgrind in use (a valgrind of its own ships its own
/// vgdb), else on PATH.
pub fn find_vgdb(valgrind: &Path) -> Result<PathBuf, String> {
    let beside = valgrind.with_file_name("vgdb");
    if is_executable(&beside) {
        return Ok(beside);
    }
    find_executable("vgdb").ok_or_else(|| {
        format!("vgdb is not installed (not beside {} nor on PATH), so snapshots cannot be taken: {INSTALL_HINT}", valgrind.display())
    })
}

/// PROGRAM must exist before valgrind is started, or valgrind's own message
/// would be lost in a log nobody reads.
pub fn check_program(program: &str) -> Result<(), String> {
    match find_executable(program) {
        Some(_) => Ok(()),
        None if program.contains('/') => Err(format!("PROGRAM {program}: no such executable file")),
        None => Err(format!("PROGRAM {program}: not found on PATH")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_args_come_last_so_they_win() {
        let a = valgrind_args(Path::new("/r"), &["--num-callers=50".into()]);
        assert_eq!(a.first().unwrap(), "--tool=memcheck");
        assert!(a.contains(&"--log-file=/r/valgrind.%p.log".to_string()));
        assert_eq!(a.last().unwrap(), "--num-callers=50");
    }

    #[test]
    fn programs_are_looked_up_like_a_shell_does() {
        assert!(check_program("sh").is_ok());
        assert!(check_program("/bin/sh").is_ok());
        let e = check_program("no-such-program-xyz").unwrap_err();
        assert!(e.contains("not found on PATH"), "{e}");
        let e = check_program("./no/such").unwrap_err();
        assert!(e.contains("no such executable"), "{e}");
    }
}
