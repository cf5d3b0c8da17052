//! Opening a frame's source in the user's editor: the command is built from
//! $VISUAL/$EDITOR split into words and run directly, never through a shell
//! (a path from a log must not become shell syntax).

use std::path::{Path, PathBuf};

/// The editor command line from the environment, split into words.
pub fn from_env() -> Option<Vec<String>> {
    ["VISUAL", "EDITOR"].iter().find_map(|v| {
        let s = std::env::var(v).ok()?;
        let words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        (!words.is_empty()).then_some(words)
    })
}

/// The file on this machine, if it is here: as given, or relative to the
/// current directory.
pub fn locate(file: &str) -> Option<PathBuf> {
    let p = Path::new(file);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    let joined = cwd.join(p);
    joined.is_file().then_some(joined)
}

/// Program and arguments to open `path` at `line`, in the syntax the editor
/// understands (`+N file` for vi, emacs, nano and most; `file:N` for others).
pub fn command(words: &[String], path: &Path, line: Option<u32>) -> (String, Vec<String>) {
    let program = words[0].clone();
    let mut args: Vec<String> = words[1..].to_vec();
    let name = Path::new(&program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
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
    }
}
