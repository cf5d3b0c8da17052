//! Perf maps kept with the run: when a process of the run has ended, its
//! `/tmp/perf-PID.map` (written by CPython's perf trampolines or a JIT) is
//! copied into the run directory as `perf-PID.map`, where `parse::perfmap`
//! finds it beside `valgrind.PID.log` — so `leakscope summary DIR` names the
//! frames later, after /tmp is cleaned or the PID is reused.
//!
//! The PID comes from a log's name in the run directory (digits only), so no
//! name from a log ever becomes a path. A map is copied only when it is a
//! regular file (never through a symlink), owned by this user, and written
//! since the run started (an older one is an earlier process's with the
//! same PID); the copy appears whole and never replaces a file.

use crate::parse::rundir::run_files;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Clock granularity allowed between the run's start and a map's mtime.
const SLACK: Duration = Duration::from_secs(2);

/// Copies the maps of a run's processes as they end.
#[derive(Debug)]
pub struct MapCollector {
    dir: PathBuf,
    /// Where running programs write their maps: `/tmp` but for tests.
    tmp: PathBuf,
    started: SystemTime,
    /// PIDs dealt with (copied, or found to have no map of this run).
    done: BTreeSet<u32>,
}

impl MapCollector {
    pub fn new(dir: &Path, tmp: &Path, started: SystemTime) -> MapCollector {
        MapCollector {
            dir: dir.to_path_buf(),
            tmp: tmp.to_path_buf(),
            started,
            done: BTreeSet::new(),
        }
    }

    /// Copies the map of every process of the run for which `ended(pid)`
    /// holds; returns the maps copied and the problems (one line each).
    pub fn collect(&mut self, ended: impl Fn(u32) -> bool) -> (Vec<PathBuf>, Vec<String>) {
        let mut copied = Vec::new();
        let mut problems = Vec::new();
        let Ok(files) = run_files(&self.dir) else {
            return (copied, problems);
        };
        for pid in files.logs.iter().filter_map(|p| log_pid(p)) {
            if self.done.contains(&pid) || !ended(pid) {
                continue;
            }
            self.done.insert(pid);
            match self.copy(pid) {
                Ok(Some(p)) => copied.push(p),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        (copied, problems)
    }

    fn copy(&self, pid: u32) -> Result<Option<PathBuf>, String> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let name = format!("perf-{pid}.map");
        let src_path = self.tmp.join(&name);
        let dest = self.dir.join(&name);
        let mut src = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&src_path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("perf map {}: {e}; not copied", src_path.display())),
        };
        let meta = src.metadata().map_err(|e| e.to_string())?;
        // SAFETY: geteuid(2) only reads this process's user id.
        let me = unsafe { libc::geteuid() };
        if !meta.is_file() || meta.uid() != me {
            return Err(format!(
                "perf map {}: not a regular file of this user; not copied",
                src_path.display()
            ));
        }
        let written = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if written + SLACK < self.started {
            // An earlier process's map with this PID: it names nothing here.
            return Ok(None);
        }
        if dest.exists() {
            return Ok(None);
        }
        let part = self.dir.join(format!(".{name}.part"));
        let result = (|| {
            // The copy keeps the map's mode (CPython writes it 0600).
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(meta.mode() & 0o777)
                .open(&part)?;
            std::io::copy(&mut src, &mut out)?;
            out.flush()?;
            std::fs::hard_link(&part, &dest)
        })();
        let _ = std::fs::remove_file(&part);
        result
            .map(|()| Some(dest.clone()))
            .map_err(|e| format!("copying {} into the run: {e}", src_path.display()))
    }
}

fn log_pid(path: &Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_prefix("valgrind.")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let run = t.path().join("run");
        let tmp = t.path().join("tmp");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        (t, run, tmp)
    }

    #[test]
    fn a_processs_map_is_copied_once_when_it_ends() {
        let (_t, run, tmp) = setup();
        let started = SystemTime::now() - Duration::from_secs(5);
        std::fs::write(run.join("valgrind.4242.log"), "==4242== x\n").unwrap();
        std::fs::write(run.join("valgrind.4243.log"), "==4243== x\n").unwrap();
        std::fs::write(tmp.join("perf-4242.map"), "5000 10 py::f:/a.py\n").unwrap();
        std::fs::set_permissions(
            tmp.join("perf-4242.map"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        std::fs::write(tmp.join("perf-4243.map"), "6000 10 py::g:/a.py\n").unwrap();
        let mut c = MapCollector::new(&run, &tmp, started);
        // 4243 still runs: only 4242's map is copied.
        let (copied, problems) = c.collect(|pid| pid == 4242);
        assert_eq!(copied, vec![run.join("perf-4242.map")]);
        assert!(problems.is_empty(), "{problems:?}");
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&run.join("perf-4242.map")),
            mode(&tmp.join("perf-4242.map"))
        );
        assert_eq!(
            std::fs::read_to_string(run.join("perf-4242.map")).unwrap(),
            "5000 10 py::f:/a.py\n"
        );
        assert!(!run.join("perf-4243.map").exists());
        let (copied, _) = c.collect(|_| true);
        assert_eq!(copied, vec![run.join("perf-4243.map")]);
        // The originals stay; nothing is copied twice; no part file is left.
        assert!(tmp.join("perf-4242.map").exists());
        assert!(c.collect(|_| true).0.is_empty());
        let names: Vec<String> = std::fs::read_dir(&run)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn stale_symlinked_and_existing_maps_are_not_copied() {
        let (t, run, tmp) = setup();
        std::fs::write(run.join("valgrind.1.log"), "").unwrap();
        std::fs::write(run.join("valgrind.2.log"), "").unwrap();
        std::fs::write(run.join("valgrind.3.log"), "").unwrap();
        // 1: written before the run began (an earlier process with this PID).
        std::fs::write(tmp.join("perf-1.map"), "old\n").unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(tmp.join("perf-1.map"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        // 2: a symlink to another file.
        let secret = t.path().join("secret");
        std::fs::write(&secret, "secret\n").unwrap();
        std::os::unix::fs::symlink(&secret, tmp.join("perf-2.map")).unwrap();
        // 3: the run directory already holds one.
        std::fs::write(tmp.join("perf-3.map"), "new\n").unwrap();
        std::fs::write(run.join("perf-3.map"), "kept\n").unwrap();
        let started = SystemTime::now() - Duration::from_secs(5);
        let mut c = MapCollector::new(&run, &tmp, started);
        let (copied, problems) = c.collect(|_| true);
        assert!(copied.is_empty(), "{copied:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("perf-2.map"), "{problems:?}");
        assert!(!run.join("perf-1.map").exists() && !run.join("perf-2.map").exists());
        assert_eq!(
            std::fs::read_to_string(run.join("perf-3.map")).unwrap(),
            "kept\n"
        );
    }
}
