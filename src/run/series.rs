//! `--series 5,20,40`: PROGRAM once per value, `{}` in its arguments replaced
//! by the value, one run after the other, each in a run directory of its own
//! under the series directory; the runs then go to the scaling view.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;

/// ARGS with every `{}` replaced by `value`.
pub fn substitute(args: &[String], value: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("{}", value)).collect()
}

/// The run directory of value `i` (`01-5`, `02-20`…: sorted as run).
pub fn run_dir(series_dir: &Path, i: usize, value: &str) -> PathBuf {
    let safe: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    series_dir.join(format!("{:02}-{}", i + 1, safe.trim_start_matches('.')))
}

/// Runs each value with `run(dir, args)`; returns the run directories in
/// value order. Stops at the first run that could not start; a program that
/// fails still counts as a run (its logs say what it leaked).
pub fn run_series(
    values: &[String],
    args: &[String],
    series_dir: &Path,
    mut run: impl FnMut(PathBuf, Vec<String>) -> Result<ExitStatus, String>,
) -> Result<Vec<PathBuf>, String> {
    if values.len() < 2 {
        return Err("--series needs at least two values (e.g. --series 5,20,40)".into());
    }
    if !args.iter().any(|a| a.contains("{}")) {
        return Err(
            "--series: no {} in ARGS to put each value in (e.g. -- ./bench --requests {})".into(),
        );
    }
    let mut dirs = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let dir = super::outdir::create(&run_dir(series_dir, i, v), false)?;
        eprintln!(
            "leakscope: series value {v} ({} of {})",
            i + 1,
            values.len()
        );
        let status = run(dir.clone(), substitute(args, v))?;
        if !status.success() {
            eprintln!(
                "leakscope: warning: the run with {v} exited with status {}",
                super::exit_code(status)
            );
        }
        dirs.push(dir);
    }
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fill_every_placeholder() {
        let args = vec!["--n".to_string(), "{}".to_string(), "x{}y".to_string()];
        assert_eq!(substitute(&args, "20"), ["--n", "20", "x20y"]);
        assert_eq!(run_dir(Path::new("/s"), 0, "5"), Path::new("/s/01-5"));
        assert_eq!(run_dir(Path::new("/s"), 1, "../x"), Path::new("/s/02-_x"));
    }
}
