//! Which perf map belongs to which process of a log, in this order:
//! 1. `--perf-map FILE` (PID from `perf-PID.map`) or `--perf-map PID=FILE`;
//! 2. `perf-PID.map` beside the log (a `leakscope run` directory keeps them so);
//! 3. `/tmp/perf-PID.map`, only when it was written during the run the log
//!    records (between the log's creation and its last write).
//!
//! A PID is reused, so a map found by name may be another program's: a map is
//! refused (with a warning) when it names none of the process's `???` frames
//! or, for a Python script, names no code of that script.

use super::resolve::{apply, coverage};
use super::PerfMap;
use crate::model::{Report, Warning};
use crate::parse::source;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where to look for maps.
#[derive(Debug, Clone)]
pub struct MapOptions {
    /// `--perf-map`, as given: `FILE` or `PID=FILE`.
    pub explicit: Vec<String>,
    /// Look beside each log and in `tmp_dir` (off with `--no-perf-maps`).
    pub discover: bool,
    /// Where running JITs write their maps; `/tmp` but for tests.
    pub tmp_dir: PathBuf,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            explicit: Vec::new(),
            discover: true,
            tmp_dir: PathBuf::from("/tmp"),
        }
    }
}

/// Clock skew and write latency allowed between a log and a /tmp map.
const SLACK: Duration = Duration::from_secs(2);

/// Finds and applies a map for every process of `report` that has `???`
/// frames; problems become warnings on the process's input. Returns how many
/// distinct frames got a name.
pub fn attach(report: &mut Report, opts: &MapOptions) -> usize {
    let mut explicit: Vec<(Option<u32>, String)> = Vec::new();
    for spec in &opts.explicit {
        explicit.push(split_spec(spec));
    }
    let single = report.processes.len() == 1;
    let mut named = 0;
    for p in 0..report.processes.len() {
        let pid = report.processes[p].pid;
        let input = report.processes[p].input;
        let mut candidates: Vec<(String, Freshness)> = explicit
            .iter()
            .filter(|(want, _)| *want == Some(pid) || (want.is_none() && single))
            .map(|(_, path)| (path.clone(), Freshness::Any))
            .collect();
        if opts.discover && pid != 0 {
            let log = &report.inputs[input].path;
            if let Some(dir) = Path::new(log).parent().filter(|_| log != "-") {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                for name in [format!("perf-{pid}.map"), format!("perf-{pid}.map.gz")] {
                    let path = dir.join(name);
                    if path.is_file() {
                        candidates.push((path.display().to_string(), Freshness::Any));
                    }
                }
            }
            let tmp = opts.tmp_dir.join(format!("perf-{pid}.map"));
            if tmp.is_file() && !candidates.iter().any(|(c, _)| same_file(c, &tmp)) {
                candidates.push((tmp.display().to_string(), Freshness::DuringLog));
            }
        }
        for (path, fresh) in candidates {
            match try_map(report, p, &path, fresh) {
                Ok(n) => {
                    named += n;
                    break;
                }
                Err(why) => warn(report, input, format!("perf map {path}: {why}")),
            }
        }
    }
    named
}

/// `PID=FILE` or `FILE` (PID from a `perf-PID.map` name).
fn split_spec(spec: &str) -> (Option<u32>, String) {
    if let Some((pid, path)) = spec.split_once('=') {
        if let Ok(pid) = pid.parse() {
            return (Some(pid), path.to_string());
        }
    }
    (pid_of_name(spec), spec.to_string())
}

/// The PID in `…/perf-1234.map` (or `.map.gz`).
pub fn pid_of_name(path: &str) -> Option<u32> {
    let name = Path::new(path).file_name()?.to_str()?;
    let rest = name.strip_prefix("perf-")?;
    let digits = rest
        .strip_suffix(".map")
        .or_else(|| rest.strip_suffix(".map.gz"))?;
    digits.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Any,
    /// Must have been written while the log was (a /tmp map found by PID).
    DuringLog,
}

fn same_file(a: &str, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Reads one map and names the process's frames with it, or says why not.
fn try_map(report: &mut Report, p: usize, path: &str, fresh: Freshness) -> Result<usize, String> {
    if fresh == Freshness::DuringLog {
        check_written_during(&report.inputs[report.processes[p].input].path, path)?;
    }
    let src = source::open(path).map_err(|e| e.to_string())?;
    // Room for the entries at once when the file is the map itself.
    let size = src
        .size
        .filter(|_| src.compression == source::Compression::None);
    let map = PerfMap::read_sized(path, src.reader, size);
    let input = report.processes[p].input;
    for pr in &map.problems {
        warn(
            report,
            input,
            format!("{path} line {}: {}", pr.line, pr.message),
        );
    }
    if map.more_problems > 0 {
        let n = map.more_problems;
        warn(
            report,
            input,
            format!("{path}: {n} more malformed lines skipped"),
        );
    }
    if map.is_empty() {
        return Err("no entries".to_string());
    }
    let c = coverage(report, p, &map);
    if c.unnamed > 0 && c.covered == 0 {
        return Err(format!(
            "names none of the {} ??? frames of PID {} (another process's map? not used)",
            c.unnamed, report.processes[p].pid
        ));
    }
    if let Some(script) = script_of(report.processes[p].command.as_deref()) {
        let has_python = map.python_paths().next().is_some();
        if has_python && !map.python_paths().any(|f| same_script(f, script)) {
            return Err(format!(
                "names no code of {script} (another process's map with the same PID? not used)"
            ));
        }
    }
    Ok(apply(report, p, &map))
}

/// A /tmp map must have been written between the log's creation and its last
/// write; otherwise it is an earlier (or later) process's with the same PID.
fn check_written_during(log: &str, map: &str) -> Result<(), String> {
    let meta = |p: &str| std::fs::metadata(p).map_err(|e| e.to_string());
    let (log_meta, map_meta) = (meta(log)?, meta(map)?);
    let map_written = map_meta.modified().map_err(|e| e.to_string())?;
    if let Ok(log_end) = log_meta.modified() {
        if map_written > log_end + SLACK {
            return Err(
                "written after the log ended (a later process with this PID?); not used".into(),
            );
        }
    }
    if let Ok(log_start) = log_meta.created() {
        if map_written + SLACK < log_start {
            return Err("written before the log began (stale, from an earlier process with this PID); not used".into());
        }
    }
    Ok(())
}

/// The script a Python command line runs: the first argument ending in `.py`.
fn script_of(command: Option<&str>) -> Option<&str> {
    command?
        .split_whitespace()
        .skip(1)
        .find(|a| a.ends_with(".py"))
}

/// `/srv/app/svc.py` is the `svc.py` or `app/svc.py` a command line named.
fn same_script(map_path: &str, script: &str) -> bool {
    let name = script.trim_start_matches("./");
    map_path == script || map_path.ends_with(&format!("/{name}"))
}

fn warn(report: &mut Report, input: usize, message: String) {
    report.inputs[input]
        .warnings
        .push(Warning { line: 0, message });
}
