//! Python programs under `leakscope run`: find the interpreter PROGRAM runs,
//! ask it (argv only, no shell, with a timeout) whether it has perf
//! trampolines (CPython ≥ 3.12 on Linux), and if so turn them on with
//! `PYTHONPERFSUPPORT=1` so each Python function gets a `???` frame that
//! `/tmp/perf-PID.map` names. Python programs also get the deepest stacks
//! valgrind can record: a Numba compile is 150+ frames deep.

use super::tools::find_executable;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable CPython ≥ 3.12 reads (as `-X perf`).
pub const PERF_VAR: &str = "PYTHONPERFSUPPORT";

/// Valgrind's maximum; Python chains through the eval loop are deep.
pub const PYTHON_NUM_CALLERS: &str = "--num-callers=500";

/// How long the interpreter may take to say what it is.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the interpreter said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `sys.implementation.name`: `cpython`, `pypy`…
    pub implementation: String,
    pub version: (u32, u32),
    /// `sys.activate_stack_trampoline` exists: perf maps can be written.
    pub perf: bool,
    /// x86-64 only: whether the trampoline sets up a frame pointer. Valgrind
    /// unwinds the trampolines (which have no unwind info) by frame pointer,
    /// so without one many chains stop at the first Python frame.
    pub frame_pointer: Option<bool>,
}

/// What `leakscope run` does for a Python PROGRAM.
#[derive(Debug, Clone)]
pub struct PythonRun {
    pub interpreter: PathBuf,
    /// `None` when the interpreter could not be asked (the reason is in `note`).
    pub probe: Option<Probe>,
    /// `PYTHONPERFSUPPORT=1` is set for the program.
    pub perf_set: bool,
    /// Why perf support is not set (or a problem asking), for the status line.
    pub note: Option<String>,
}

/// Asks the interpreter; prints one line `leakscope-python IMPL MAJOR MINOR
/// PERF FP`. `-I -S`: no environment, user site or site import can change it.
const PROBE_CODE: &str = r#"import sys
v = sys.version_info
perf = hasattr(sys, "activate_stack_trampoline")
fp = "?"
if perf:
    try:
        import ctypes, platform
        if platform.machine() in ("x86_64", "AMD64"):
            a = ctypes.cast(ctypes.pythonapi._Py_trampoline_func_start, ctypes.c_void_p).value
            b = ctypes.string_at(a, 8)
            if b[:4] == b"\xf3\x0f\x1e\xfa":
                b = b[4:]
            fp = "yes" if b[:4] == b"\x55\x48\x89\xe5" else "no"
    except Exception:
        pass
print("leakscope-python", sys.implementation.name, v[0], v[1], int(perf), fp)
"#;

/// `python`, `python3`, `python3.13`, `python3.13t`, `pypy3`…: names of
/// interpreters only (a program merely starting with "python" is never run
/// with the probe's arguments).
pub fn is_python_name(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    let Some(rest) = rest else { return false };
    let version = rest.trim_end_matches(['d', 't', 'm']);
    let mut parts = version.split('.');
    let major_ok = parts
        .next()
        .is_some_and(|m| m.bytes().all(|b| b.is_ascii_digit()));
    major_ok
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && version.matches('.').count() <= 1
}

/// The interpreter a `#!` line names, directly or through `env`.
pub fn shebang_interpreter(first_line: &str) -> Option<String> {
    let line = first_line.strip_prefix("#!")?.trim();
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let base = Path::new(first).file_name()?.to_str()?;
    if base == "env" {
        // `env -S python3 -X dev`, `env python3`
        return words.find(|w| !w.starts_with('-')).map(str::to_string);
    }
    Some(first.to_string())
}

/// The Python interpreter PROGRAM runs, if it is one: PROGRAM itself, or the
/// interpreter of a script's `#!` line.
pub fn interpreter_of(program: &str) -> Option<PathBuf> {
    let path = find_executable(program)?;
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_python_name)
    {
        return Some(path);
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(&path)
        .and_then(|mut f| f.read(&mut head))
        .ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    let interp = shebang_interpreter(text.lines().next()?)?;
    let base = Path::new(&interp).file_name()?.to_str()?.to_string();
    if !is_python_name(&base) {
        return None;
    }
    find_executable(&interp)
}

/// Reads the probe's answer.
pub fn parse_probe(out: &str) -> Option<Probe> {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("leakscope-python "))?;
    let w: Vec<&str> = line.split_whitespace().collect();
    let [implementation, major, minor, perf, fp] = w[..] else {
        return None;
    };
    Some(Probe {
        implementation: implementation.to_string(),
        version: (major.parse().ok()?, minor.parse().ok()?),
        perf: perf == "1",
        frame_pointer: match fp {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
    })
}

/// Runs the interpreter with the probe (no shell, no stdin, killed after
/// `timeout`).
pub fn probe(interpreter: &Path, timeout: Duration) -> Result<Probe, String> {
    let mut child = Command::new(interpreter)
        .args(["-I", "-S", "-c", PROBE_CODE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let mut out = String::new();
    if let Some(s) = child.stdout.take() {
        let _ = s.take(4096).read_to_string(&mut out);
    }
    parse_probe(&out).ok_or_else(|| "it did not say its version (not CPython ≥ 3?)".to_string())
}

/// Decides what to do for PROGRAM: `None` when it is not a Python program.
/// `want_perf` is off with `--no-python-perf`; `user_set` when the user's
/// environment already has `PYTHONPERFSUPPORT` (their value is kept).
pub fn plan(program: &str, want_perf: bool, user_set: bool) -> Option<PythonRun> {
    let interpreter = interpreter_of(program)?;
    let probed = probe(&interpreter, PROBE_TIMEOUT);
    Some(decide(interpreter, probed, want_perf, user_set))
}

/// The decision, given what the interpreter said.
pub fn decide(
    interpreter: PathBuf,
    probed: Result<Probe, String>,
    want_perf: bool,
    user_set: bool,
) -> PythonRun {
    let (probe, note, perf_set) = match probed {
        Err(e) => (
            None,
            Some(format!(
                "could not ask {} what it is ({e}); {PERF_VAR} not set",
                interpreter.display()
            )),
            false,
        ),
        Ok(p) if !p.perf => {
            let note = format!(
                "{} {}.{} has no perf trampolines (CPython ≥ 3.12 on Linux has): Python frames stay ???",
                p.implementation, p.version.0, p.version.1
            );
            (Some(p), Some(note), false)
        }
        Ok(p) if user_set => (
            Some(p),
            Some(format!("{PERF_VAR} kept as your environment sets it")),
            false,
        ),
        Ok(p) if !want_perf => (
            Some(p),
            Some(format!("{PERF_VAR} not set (--no-python-perf)")),
            false,
        ),
        Ok(p) => (Some(p), None, true),
    };
    PythonRun {
        interpreter,
        probe,
        perf_set,
        note,
    }
}

impl PythonRun {
    /// Valgrind flags for Python programs (before `--valgrind-arg`s, which
    /// override them).
    pub fn valgrind_args(&self) -> Vec<String> {
        vec![PYTHON_NUM_CALLERS.to_string()]
    }

    /// One status line: what is on, what to expect, what it costs. What to
    /// expect comes first: the explorer cuts the line at the terminal's width.
    pub fn status(&self) -> String {
        let name = match &self.probe {
            Some(p) => format!("Python {}.{}", p.version.0, p.version.1),
            None => "Python".to_string(),
        };
        if !self.perf_set {
            return format!(
                "{name}: {}; {PYTHON_NUM_CALLERS}",
                self.note.as_deref().unwrap_or("")
            );
        }
        // valgrind unwinds the trampolines by frame pointer (README: Python programs).
        let chains = match self.probe.as_ref().and_then(|p| p.frame_pointer) {
            Some(true) => "its perf trampolines keep a frame pointer: whole Python chains · ",
            Some(false) => {
                "its perf trampolines keep no frame pointer: many Python chains cut short \
(fixed in CPython 3.13.6; README: Python programs) · "
            }
            None => "",
        };
        format!(
            "{name}: {chains}{PERF_VAR}=1 names Python functions in stacks · perf maps copied \
into the run · up to ~1.2× CPU under valgrind on call-heavy code (--no-python-perf turns it \
off) · {PYTHON_NUM_CALLERS}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_names() {
        for yes in [
            "python",
            "python3",
            "python3.13",
            "python3.13t",
            "python3.12d",
            "pypy3",
        ] {
            assert!(is_python_name(yes), "{yes}");
        }
        for no in [
            "python-server",
            "pythonista",
            "python3.13.1.2",
            "py",
            "ipython",
            "python3.",
        ] {
            assert!(!is_python_name(no), "{no}");
        }
    }

    #[test]
    fn shebangs() {
        assert_eq!(
            shebang_interpreter("#!/usr/bin/env python3").as_deref(),
            Some("python3")
        );
        assert_eq!(
            shebang_interpreter("#!/usr/bin/env -S python3.13 -X dev").as_deref(),
            Some("python3.13")
        );
        assert_eq!(
            shebang_interpreter("#! /opt/py/bin/python3.12 -u").as_deref(),
            Some("/opt/py/bin/python3.12")
        );
        assert_eq!(shebang_interpreter("import sys"), None);
    }

    #[test]
    fn probe_answers() {
        let p = parse_probe("leakscope-python cpython 3 13 1 no\n").unwrap();
        assert_eq!(p.version, (3, 13));
        assert!(p.perf);
        assert_eq!(p.frame_pointer, Some(false));
        let p = parse_probe("noise\nleakscope-python cpython 3 11 0 ?\n").unwrap();
        assert!(!p.perf);
        assert_eq!(p.frame_pointer, None);
        assert_eq!(parse_probe("leakscope-python cpython 3"), None);
        assert_eq!(parse_probe("Python 2.7.18"), None);
    }

    fn answer(s: &str) -> Result<Probe, String> {
        Ok(parse_probe(s).unwrap())
    }

    #[test]
    fn perf_support_only_where_the_interpreter_has_it() {
        let py = PathBuf::from("/usr/bin/python3.13");
        let on = decide(
            py.clone(),
            answer("leakscope-python cpython 3 13 1 no"),
            true,
            false,
        );
        assert!(on.perf_set);
        assert!(
            on.status().contains("PYTHONPERFSUPPORT=1"),
            "{}",
            on.status()
        );
        assert!(
            on.status().contains("keep no frame pointer"),
            "{}",
            on.status()
        );
        let fixed = decide(
            py.clone(),
            answer("leakscope-python cpython 3 13 1 yes"),
            true,
            false,
        );
        assert!(
            fixed.status().starts_with(
                "Python 3.13: its perf trampolines keep a frame pointer: whole Python chains · \
PYTHONPERFSUPPORT=1 names Python functions"
            ),
            "{}",
            fixed.status()
        );
        let off = decide(
            py.clone(),
            answer("leakscope-python cpython 3 13 1 no"),
            false,
            false,
        );
        assert!(!off.perf_set);
        assert!(
            off.status().contains("--no-python-perf"),
            "{}",
            off.status()
        );
        let theirs = decide(
            py.clone(),
            answer("leakscope-python cpython 3 13 1 yes"),
            true,
            true,
        );
        assert!(!theirs.perf_set);
        let old = decide(
            py.clone(),
            answer("leakscope-python cpython 3 11 0 ?"),
            true,
            false,
        );
        assert!(!old.perf_set);
        assert!(
            old.status()
                .contains("cpython 3.11 has no perf trampolines"),
            "{}",
            old.status()
        );
        let mute = decide(py, Err("no answer within 10 s".into()), true, false);
        assert!(!mute.perf_set && mute.probe.is_none());
        assert!(
            mute.status().contains("no answer within 10 s"),
            "{}",
            mute.status()
        );
        assert_eq!(mute.valgrind_args(), vec!["--num-callers=500".to_string()]);
    }
}
