//! Opening a frame's source in the user's editor: the command is built from
//! $VISUAL/$EDITOR split into words and run directly, never through a shell
//! (a path from a log must not become shell syntax).

use std::path::{Path, PathBuf};

/// The editor command line from the environment, split into words.
pub fn from_env() -> Option<Vec<String>> {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| crate::argv::command_words(&std::env::var(v).ok()?))
}

/// Most entries a search of one source directory looks at: a text log names
/// a bare `leaky.c`, so finding it may need a walk, but never an unbounded one.
const MAX_WALK: usize = 100_000;

/// The file on this machine, if it is here: as given, relative to the
/// current directory, relative to each `--source-dir`, or found below one
/// (a text log gives only `file.c`, the build tree has `src/x/file.c`).
pub fn locate(file: &str, source_dirs: &[PathBuf]) -> Option<PathBuf> {
    let p = Path::new(file);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    if p.is_absolute() {
        return None;
    }
    let cwd = std::env::current_dir().ok();
    let roots: Vec<&Path> = cwd
        .iter()
        .map(PathBuf::as_path)
        .chain(source_dirs.iter().map(PathBuf::as_path))
        .collect();
    if let Some(found) = roots.iter().map(|r| r.join(p)).find(|j| j.is_file()) {
        return Some(found);
    }
    source_dirs.iter().find_map(|d| walk_for(d, p))
}

/// Breadth-first search below `root` for a file whose path ends with `rel`,
/// skipping hidden directories and build output.
fn walk_for(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut queue = std::collections::VecDeque::from([root.to_path_buf()]);
    let mut seen = 0usize;
    while let Some(dir) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_WALK {
                return None;
            }
            let path = e.path();
            let name = e.file_name();
            let skip = name.to_string_lossy().starts_with('.')
                || name == "target"
                || name == "node_modules";
            match e.file_type() {
                Ok(t) if t.is_dir() && !skip => queue.push_back(path),
                Ok(t) if t.is_file() && path.ends_with(rel) => return Some(path),
                _ => {}
            }
        }
    }
    None
}

/// Program and arguments to open `path` at `line`, in the syntax the editor
/// understands (`+N file` for vi, emacs, nano and most; `file:N` for others).
/// The path comes from the log: [`crate::argv::path_arg`] keeps a name like
/// `+!cmd` or `-c…` from becoming an editor command or option.
pub fn command(words: &[String], path: &Path, line: Option<u32>) -> (String, Vec<String>) {
    let path = crate::argv::path_arg(path);
    let program = words[0].clone();
    let mut args: Vec<String> = words[1..].to_vec();
    let name = crate::argv::program_name(&program);
    let p = path.to_string_lossy().into_owned();
    match (name, line) {
        (_, None) => args.push(p),
        ("code" | "codium" | "code-insiders" | "cursor", Some(l)) => {
            args.push("--goto".into());
            args.push(format!("{p}:{l}"));
        }
        ("subl" | "zed" | "hx" | "helix" | "mate", Some(l)) => args.push(format!("{p}:{l}")),
        (_, Some(l)) => {
            args.push(format!("+{l}"));
            args.push(p);
        }
    }
    (program, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_found_below_a_source_dir() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("src/lib");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("leaky.c"), "int main;").unwrap();
        let dirs = vec![dir.path().to_path_buf()];
        assert_eq!(locate("leaky.c", &dirs), Some(deep.join("leaky.c")));
        assert_eq!(locate("lib/leaky.c", &dirs), Some(deep.join("leaky.c")));
        assert_eq!(locate("src/lib/leaky.c", &dirs), Some(deep.join("leaky.c")));
        assert_eq!(locate("nowhere.c", &dirs), None);
        assert_eq!(locate("/no/such/abs.c", &dirs), None);
    }

    #[test]
    fn editor_syntax() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let p = Path::new("/src/a b.c");
        assert_eq!(
            command(&w("vim"), p, Some(12)),
            ("vim".into(), vec!["+12".into(), "/src/a b.c".into()])
        );
        assert_eq!(
            command(&w("code -w"), p, Some(3)),
            (
                "code".into(),
                vec!["-w".into(), "--goto".into(), "/src/a b.c:3".into()]
            )
        );
        assert_eq!(command(&w("hx"), p, None).1, vec!["/src/a b.c".to_string()]);
        // A source name from the log is never an option or a `+command`.
        let evil = Path::new("+!touch x.c");
        assert_eq!(
            command(&w("vim"), evil, Some(13)).1,
            vec!["+13".to_string(), "./+!touch x.c".to_string()]
        );
        assert_eq!(
            command(&w("code"), Path::new("-c.c"), Some(2)).1,
            vec!["--goto".to_string(), "./-c.c:2".to_string()]
        );
    }
}
