//! Saving suppressions to a user's rules file without ever losing what is
//! already there.
//!
//! Every write goes to a temporary file in the target's directory and is
//! renamed over the target, so a crash leaves the old file or the new one,
//! never half of either. Appending re-reads the file first and refuses if it
//! changed since it was read (another editor, another leakscope): the user
//! is asked again rather than having their edit overwritten. Creating refuses
//! when the file already exists. A symlinked rules file (a dotfiles setup)
//! is written through: the link is resolved, the temporary file made beside
//! the target and renamed over it, so the link stays and the target keeps
//! its mode and owner.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: changed since leakscope read it; nothing was written (read it again first)", .0.display())]
    Changed(PathBuf),
    #[error("{}: already exists; nothing was written (append to it instead)", .0.display())]
    Exists(PathBuf),
    /// Not a `source`: the message already says it (see `OpenError::Io`).
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |error| WriteError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// A rules file as it was when read, to append to safely.
#[derive(Debug, Clone)]
pub struct RulesFile {
    path: PathBuf,
    /// The content when last read or written; `None` when it did not exist.
    seen: Option<Vec<u8>>,
}

impl RulesFile {
    /// Reads `path`; a file that does not exist yet is fine (it is created
    /// by the first append).
    pub fn read(path: impl Into<PathBuf>) -> Result<Self, WriteError> {
        let path = path.into();
        let seen = read_if_exists(&path)?;
        Ok(RulesFile { path, seen })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The content as last read or written.
    pub fn content(&self) -> Option<&[u8]> {
        self.seen.as_deref()
    }

    /// Appends `text` (after a blank line), refusing with
    /// [`WriteError::Changed`] if the file is not as it was read.
    pub fn append(&mut self, text: &str) -> Result<(), WriteError> {
        let now = read_if_exists(&self.path)?;
        if now != self.seen {
            return Err(WriteError::Changed(self.path.clone()));
        }
        let mut content = now.clone().unwrap_or_default();
        if !content.is_empty() {
            if !content.ends_with(b"\n") {
                content.push(b'\n');
            }
            content.push(b'\n');
        }
        content.extend_from_slice(text.as_bytes());
        if !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        match now {
            Some(_) => replace(&self.path, &content)?,
            None => create(&self.path, &content).map_err(|e| match e {
                WriteError::Exists(p) => WriteError::Changed(p),
                e => e,
            })?,
        }
        self.seen = Some(content);
        Ok(())
    }
}

/// Writes `text` to a new file at `path`; refuses if it exists.
pub fn create_new(path: &Path, text: &str) -> Result<(), WriteError> {
    create(path, text.as_bytes())
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match fs::read(path) {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// A temporary file next to `path`, holding `content`, synced.
fn temp_with(path: &Path, content: &[u8]) -> Result<PathBuf, WriteError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rules".into());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{base}.leakscope-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(mut f) => {
                let written = f.write_all(content).and_then(|_| f.sync_all());
                if let Err(e) = written {
                    let _ = fs::remove_file(&tmp);
                    return Err(io_err(&tmp)(e));
                }
                return Ok(tmp);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&tmp)(e)),
        }
    }
}

/// Puts `content` at `path`, which must not exist: a hard link from the
/// temporary file fails if another writer created it meanwhile, where a
/// rename would overwrite.
fn create(path: &Path, content: &[u8]) -> Result<(), WriteError> {
    // A dangling link names the file to create.
    let resolved = resolve_links(path).map_err(io_err(path))?;
    let path = resolved.as_path();
    if path.exists() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let tmp = temp_with(path, content)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(path);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(WriteError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

/// `path` with every symbolic link along the final component followed, also
/// a dangling one (its target is where a new file belongs). Bounded, as the
/// kernel bounds it, so a link loop is an error rather than a hang.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Replaces the existing `path` (through any symlink) with `content`,
/// keeping its permissions and owner.
fn replace(path: &Path, content: &[u8]) -> Result<(), WriteError> {
    let resolved = resolve_links(path).map_err(io_err(path))?;
    let path = resolved.as_path();
    let meta = fs::metadata(path).map_err(io_err(path))?;
    let tmp = temp_with(path, content)?;
    let done = keep_owner(&tmp, &meta)
        .and_then(|_| fs::set_permissions(&tmp, meta.permissions()))
        .and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = done {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    sync_dir(path);
    Ok(())
}

/// Gives `tmp` the owner and group of the file it replaces; refuses (an
/// error, nothing replaced) when that is not allowed, rather than change
/// who owns the user's file.
#[cfg(unix)]
fn keep_owner(tmp: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mine = fs::metadata(tmp)?;
    if (mine.uid(), mine.gid()) == (meta.uid(), meta.gid()) {
        return Ok(());
    }
    std::os::unix::fs::chown(tmp, Some(meta.uid()), Some(meta.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_tmp: &Path, _meta: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Makes the rename itself durable; failure only weakens crash safety.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn append_creates_then_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/rules.supp");
        let mut f = RulesFile::read(&path).unwrap();
        assert!(f.content().is_none());
        f.append("{\n a\n Memcheck:Leak\n fun:f\n}").unwrap();
        f.append("{\n b\n Memcheck:Leak\n fun:g\n}\n").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\n a\n Memcheck:Leak\n fun:f\n}\n\n{\n b\n Memcheck:Leak\n fun:g\n}\n"
        );
        assert!(leftovers(path.parent().unwrap()).is_empty());
    }

    #[test]
    fn refuses_when_changed_since_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.supp");
        fs::write(&path, "# mine\n").unwrap();
        let mut f = RulesFile::read(&path).unwrap();
        fs::write(&path, "# edited elsewhere\n").unwrap();
        assert!(matches!(f.append("x"), Err(WriteError::Changed(_))));
        assert_eq!(fs::read_to_string(&path).unwrap(), "# edited elsewhere\n");
        // Created by someone else after we saw it missing: also a change.
        let other = dir.path().join("new.supp");
        let mut g = RulesFile::read(&other).unwrap();
        fs::write(&other, "theirs\n").unwrap();
        assert!(matches!(g.append("x"), Err(WriteError::Changed(_))));
        assert_eq!(fs::read_to_string(&other).unwrap(), "theirs\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn create_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.supp");
        create_new(&path, "one\n").unwrap();
        assert!(matches!(
            create_new(&path, "two\n"),
            Err(WriteError::Exists(_))
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn append_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.supp");
        fs::write(&path, "a\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        RulesFile::read(&path).unwrap().append("b").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), "a\n\nb\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_rules_file_is_written_through() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let dots = dir.path().join("dotfiles");
        fs::create_dir(&dots).unwrap();
        let target = dots.join("rules.supp");
        fs::write(&target, "{\n   old\n}\n").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("rules.supp");
        symlink("dotfiles/rules.supp", &link).unwrap();
        let mut f = RulesFile::read(&link).unwrap();
        f.append("{\n   new\n}\n").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("dotfiles/rules.supp")
        );
        assert_eq!(
            fs::read_to_string(&target).unwrap(),
            "{\n   old\n}\n\n{\n   new\n}\n"
        );
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert!(leftovers(&dots).is_empty(), "{:?}", leftovers(&dots));
        assert!(leftovers(dir.path()).is_empty());
        // A dangling link: the file is created where it points.
        let dangling = dir.path().join("new.supp");
        symlink("dotfiles/new.supp", &dangling).unwrap();
        let mut g = RulesFile::read(&dangling).unwrap();
        g.append("{\n   x\n}\n").unwrap();
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(dots.join("new.supp")).unwrap(),
            "{\n   x\n}\n"
        );
    }
}
