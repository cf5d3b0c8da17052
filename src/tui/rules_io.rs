//! The explorer's writes to rules files, done by the run loop (never by
//! `App::update`): each file is remembered as leakscope last read or wrote
//! it, so an append refuses when someone changed the file meanwhile.

use crate::triage::rules::write::{RulesFile, WriteError};
use std::path::Path;

#[derive(Debug, Default)]
pub struct RuleFiles {
    files: Vec<RulesFile>,
}

impl RuleFiles {
    /// Reads the files a suppression may be written to, as they are now
    /// (when the rules were loaded from them). Unreadable ones are read
    /// again at the first write.
    pub fn read(paths: &[std::path::PathBuf]) -> RuleFiles {
        RuleFiles {
            files: paths
                .iter()
                .filter_map(|p| RulesFile::read(p.clone()).ok())
                .collect(),
        }
    }

    /// Appends `text` to `path` (its directory created if missing). Returns
    /// the path written, or why nothing was: a file that changed since
    /// leakscope read it is read again, so asking again writes to it as it
    /// is now.
    pub fn append(&mut self, path: &Path, text: &str) -> Result<String, String> {
        let shown = path.to_string_lossy().into_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let pos = match self.files.iter().position(|f| f.path() == path) {
            Some(i) => i,
            None => {
                self.files
                    .push(RulesFile::read(path.to_path_buf()).map_err(|e| e.to_string())?);
                self.files.len() - 1
            }
        };
        match self.files[pos].append(text) {
            Ok(()) => Ok(shown),
            Err(e @ WriteError::Changed(_)) => {
                if let Ok(f) = RulesFile::read(path.to_path_buf()) {
                    self.files[pos] = f;
                }
                Err(format!("{e}; press S again to append to it as it is now"))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_creates_the_directory_and_refuses_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/leakscope/rules.supp");
        let mut files = RuleFiles::read(std::slice::from_ref(&path));
        files.append(&path, "{\n   a\n}\n").unwrap();
        files.append(&path, "{\n   b\n}\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("a\n}\n\n{\n   b"), "{text}");
        std::fs::write(&path, "edited elsewhere\n").unwrap();
        let err = files.append(&path, "{\n   c\n}\n").unwrap_err();
        assert!(err.contains("changed since"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "edited elsewhere\n"
        );
        // Asked again, it appends to the file as it is now.
        files.append(&path, "{\n   c\n}\n").unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("edited elsewhere\n\n{"));
    }
}
