//! The run directory: where valgrind's logs, the program's output and the
//! snapshots go. A new run never writes into a directory that already holds
//! one, so nothing is overwritten.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where runs go without `--out`.
pub const RUNS_DIR: &str = "leakscope-runs";

/// A new dated folder under `./leakscope-runs/`: `2026-11-28T19-05-00-svc`,
/// with `-2`, `-3`… when several runs start in the same second.
pub fn default_dir(program: &str) -> PathBuf {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let base = format!(
        "{}-{}",
        utc_stamp(SystemTime::now()),
        safe.trim_start_matches('.')
    );
    Path::new(RUNS_DIR).join(base)
}

/// Creates `dir` (and its parents) for a new run. An existing directory is
/// used only when it is empty; with `pick_free`, `-2`, `-3`… are tried instead.
pub fn create(dir: &Path, pick_free: bool) -> Result<PathBuf, String> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.to_path_buf()
        } else if pick_free {
            let mut s = dir.as_os_str().to_owned();
            s.push(format!("-{n}"));
            PathBuf::from(s)
        } else {
            break;
        };
        if let Some(parent) = candidate.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let empty = std::fs::read_dir(&candidate)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false);
                if empty && candidate.is_dir() {
                    return Ok(candidate);
                }
            }
            Err(e) => return Err(format!("creating {}: {e}", candidate.display())),
        }
    }
    Err(format!(
        "--out {}: the directory exists and is not empty; leakscope never writes a run over another (pick a new directory)",
        dir.display()
    ))
}

/// `YYYY-MM-DDTHH-MM-SS` in UTC (no colons: the name must be a portable path).
pub fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps_are_utc_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_238_300);
        assert_eq!(utc_stamp(t), "2026-12-02T19-05-00");
        assert_eq!(utc_stamp(UNIX_EPOCH), "1970-01-01T00-00-00");
        // 2024-02-29 12:00:00
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(1_709_208_000)),
            "2024-02-29T12-00-00"
        );
    }

    #[test]
    fn default_names_are_safe() {
        let d = default_dir("/usr/bin/py thon;rm");
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with("-py_thon_rm"), "{name}");
        assert_eq!(d.parent().unwrap(), Path::new(RUNS_DIR));
    }

    #[test]
    fn never_into_a_used_directory() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("run");
        assert_eq!(create(&dir, false).unwrap(), dir);
        // Empty: still fine.
        assert_eq!(create(&dir, false).unwrap(), dir);
        std::fs::write(dir.join("valgrind.1.log"), "x").unwrap();
        assert!(create(&dir, false).unwrap_err().contains("not empty"));
        assert_eq!(create(&dir, true).unwrap(), t.path().join("run-2"));
    }
}
