//! A `leakscope run` directory read back as one report: valgrind's log of each
//! process (`valgrind.PID.log`), and the vgdb snapshots saved beside them
//! (`snapshot.PID.SEQ.log`), each snapshot becoming a leak search of its
//! process, in time order, before the search at exit.

use super::{read_source, source, LoadError};
use crate::model::{Format, LeakSearch, Report, SearchOrigin};
use std::path::{Path, PathBuf};

/// The name of snapshot `seq` of process `pid`.
pub fn snapshot_name(pid: u32, seq: u32) -> String {
    format!("snapshot.{pid}.{seq:04}.log")
}

/// `(pid, seq)` from a snapshot's file name.
pub fn parse_snapshot_name(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("snapshot.")?.strip_suffix(".log")?;
    let (pid, seq) = rest.split_once('.')?;
    Some((pid.parse().ok()?, seq.parse().ok()?))
}

pub(crate) fn is_log_name(name: &str) -> bool {
    name.strip_prefix("valgrind.")
        .and_then(|r| r.strip_suffix(".log"))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// The files of a run directory: logs by PID, then snapshots by PID and
/// sequence number. Other files (the program's output) are not logs.
#[derive(Debug, Default)]
pub struct RunFiles {
    pub logs: Vec<PathBuf>,
    pub snapshots: Vec<PathBuf>,
}

/// Lists `dir`'s logs and snapshots (only regular files, never following a
/// name out of the directory).
pub fn run_files(dir: &Path) -> std::io::Result<RunFiles> {
    let mut logs = Vec::new();
    let mut snaps = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_log_name(&name) {
            let pid: u32 = name[9..name.len() - 4].parse().unwrap_or(u32::MAX);
            logs.push((pid, entry.path()));
        } else if let Some(key) = parse_snapshot_name(&name) {
            snaps.push((key, entry.path()));
        }
    }
    logs.sort();
    snaps.sort();
    Ok(RunFiles {
        logs: logs.into_iter().map(|(_, p)| p).collect(),
        snapshots: snaps.into_iter().map(|(_, p)| p).collect(),
    })
}

/// How many perf maps (`perf-PID.map`, copied when each process ended) a run
/// directory keeps.
pub fn perf_maps(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                crate::parse::perfmap::find::pid_of_name(&name).is_some()
                    && e.file_type().is_ok_and(|t| t.is_file())
            })
            .count()
    })
}

/// Whether `path` is a directory holding valgrind logs of a run.
pub fn is_run_dir(path: &Path) -> bool {
    path.is_dir() && run_files(path).is_ok_and(|f| !f.logs.is_empty())
}

/// Snapshots already parsed, by file. A snapshot file never changes once it
/// is there (it appears whole), so a run directory followed while it runs
/// parses only its logs and the snapshots that are new: a long run's
/// snapshots (a Numba program's are 15 MB each) are not parsed again at
/// every change.
#[derive(Default)]
pub struct SnapshotCache {
    parsed: rustc_hash::FxHashMap<PathBuf, (u64, Report)>,
}

/// Reads the run directory `dir` into `report`.
pub fn read_run_dir(report: &mut Report, dir: &Path) -> Result<(), LoadError> {
    read_run_dir_cached(report, dir, &mut SnapshotCache::default())
}

/// Reads the run directory `dir` into `report`, snapshots from `cache` when
/// they were parsed before.
pub fn read_run_dir_cached(
    report: &mut Report,
    dir: &Path,
    cache: &mut SnapshotCache,
) -> Result<(), LoadError> {
    let files = run_files(dir).map_err(|e| LoadError::Unsupported {
        path: dir.display().to_string(),
        message: format!("reading the run directory: {e}"),
    })?;
    if files.logs.is_empty() {
        return Err(LoadError::Nothing {
            path: dir.display().to_string(),
            detail: " (a directory without valgrind.PID.log files)".to_string(),
        });
    }
    let first_process = report.processes.len();
    let first_input = report.inputs.len();
    for log in &files.logs {
        // Its snapshot markers are read by `read_source` (marks::label_log).
        let src = source::open(&log.to_string_lossy())?;
        read_source(report, src, None, &mut |_, _| {})?;
    }
    let logs_end = report.processes.len();
    for snap in &files.snapshots {
        let len = std::fs::metadata(snap).map_or(0, |m| m.len());
        if !cache.parsed.get(snap).is_some_and(|(l, _)| *l == len) {
            let mut parsed = Report::new();
            let src = source::open(&snap.to_string_lossy())?;
            // A snapshot cut short (the run was killed mid-write) is a
            // warning on its input, not the end of the run.
            if let Err(e) =
                read_source(&mut parsed, src, Some(Format::ValgrindText), &mut |_, _| {})
            {
                if let Some(first) = report.inputs.get_mut(first_input) {
                    first.warnings.push(crate::model::Warning {
                        line: 0,
                        message: format!("snapshot skipped: {e}"),
                    });
                }
                continue;
            }
            cache.parsed.insert(snap.clone(), (len, parsed));
        }
        let (_, parsed) = &cache.parsed[snap];
        absorb(report, parsed);
    }
    merge_snapshots(report, first_process, logs_end);
    Ok(())
}

/// Adds a separately parsed report's inputs and processes to `report`.
fn absorb(report: &mut Report, part: &Report) {
    let remap = report.interner.absorb(&part.interner);
    let first_input = report.inputs.len();
    report.inputs.extend(part.inputs.iter().cloned());
    for p in &part.processes {
        let mut p = p.clone();
        p.remap_stacks(&remap);
        p.input += first_input;
        report.processes.push(p);
    }
}

/// Moves each snapshot process's searches into the log process of the same
/// PID, then orders every such process's searches by time, the search at
/// exit (after the HEAP SUMMARY) staying last.
pub fn merge_snapshots(report: &mut Report, first: usize, logs_end: usize) {
    let snaps: Vec<_> = report.processes.drain(logs_end..).collect();
    for mut sp in snaps {
        for s in &mut sp.leak_searches {
            s.origin = SearchOrigin::Snapshot;
        }
        let target = report.processes[first..logs_end]
            .iter()
            .position(|p| p.pid == sp.pid)
            .map(|i| first + i);
        match target {
            Some(t) => report.processes[t]
                .leak_searches
                .append(&mut sp.leak_searches),
            // Its log is gone: keep what the snapshots say as a process.
            None => report.processes.push(sp),
        }
    }
    let mut unfinished = Vec::new();
    for p in &mut report.processes[first..] {
        // A search the log holds without its LEAK SUMMARY is still being
        // written (a snapshot valgrind is printing into the log, or the
        // search at exit) or was cut off: beside the snapshots it would read
        // as a search that lost most of its records. Left out, with a warning.
        let has_snapshots = p
            .leak_searches
            .iter()
            .any(|s| s.origin == SearchOrigin::Snapshot);
        if has_snapshots {
            if let Some(i) = p.leak_searches.iter().rposition(|s| s.summary.is_none()) {
                let s = p.leak_searches.remove(i);
                unfinished.push((p.input, p.pid, s.records.len()));
            }
        }
        let exit = (p.heap_summary.is_some() && !p.leak_searches.is_empty())
            .then(|| {
                p.leak_searches
                    .iter()
                    .rposition(|s| s.origin == SearchOrigin::Log)
            })
            .flatten();
        let mut last: Option<LeakSearch> = exit.map(|i| p.leak_searches.remove(i));
        p.leak_searches.sort_by(|a, b| {
            a.time_s
                .unwrap_or(f64::MAX)
                .total_cmp(&b.time_s.unwrap_or(f64::MAX))
        });
        p.leak_searches.extend(last.take());
    }
    for (input, pid, records) in unfinished {
        if let Some(i) = report.inputs.get_mut(input) {
            // The parser's "log ends before this search's LEAK SUMMARY" is
            // said better here.
            let cut = format!("PID {pid}: the log ends before this leak search's LEAK SUMMARY");
            i.warnings.retain(|w| !w.message.starts_with(&cut));
            i.warnings.push(crate::model::Warning {
                line: 0,
                message: format!(
                    "PID {pid}: a leak search without its LEAK SUMMARY ({records} records so far: still being written, or cut off) is left out; the snapshots hold the searches before it"
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snapshot_name(4242, 7), "snapshot.4242.0007.log");
        assert_eq!(
            parse_snapshot_name("snapshot.4242.0007.log"),
            Some((4242, 7))
        );
        assert_eq!(parse_snapshot_name("snapshot.x.0007.log"), None);
        assert!(is_log_name("valgrind.12.log"));
        assert!(!is_log_name("valgrind..log"));
        assert!(!is_log_name("valgrind.12.log.gz"));
    }
}
