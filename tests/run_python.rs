//! `leakscope run` on a Python program, with a fake interpreter and a fake
//! valgrind (the tests need no Python 3.12+): the interpreter is asked what
//! it is, `PYTHONPERFSUPPORT=1` is set only where it has perf trampolines,
//! Python programs get `--num-callers=500`, and the process's
//! `/tmp/perf-PID.map` is copied into the run directory when it ends, so the
//! run names its Python frames later.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn leakscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fake valgrind: records its arguments and PYTHONPERFSUPPORT, runs the
/// program, and — as CPython with perf support would — writes
/// `/tmp/perf-PID.map` naming the `???` frame of the one leak it logs.
const VALGRIND: &str = r#"#!/bin/sh
PATH=/usr/bin:/bin:$PATH
printf '%s\n' "$@" > "$FAKE_RECORD.args"
printf '%s\n' "${PYTHONPERFSUPPORT-unset}" > "$FAKE_RECORD.env"
log=
while [ $# -gt 0 ]; do
  case "$1" in --log-file=*) log="${1#--log-file=}";; -*) ;; *) break;; esac
  shift
done
log=$(printf '%s' "$log" | sed "s/%p/$$/")
if [ "$PYTHONPERFSUPPORT" = 1 ]; then
  printf '5000000 100 py::handle_request:/srv/app/svc.py\n' > /tmp/perf-$$.map
fi
"$@"
rc=$?
p="==$$=="
cat > "$log" <<EOF
$p Memcheck, a memory error detector
$p Command: $*
$p 
$p HEAP SUMMARY:
$p     in use at exit: 100 bytes in 1 blocks
$p   total heap usage: 1 allocs, 0 frees, 100 bytes allocated
$p 
$p 100 bytes in 1 blocks are definitely lost in loss record 1 of 1
$p    at 0x4841888: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
$p    by 0x5000010: ???
$p    by 0x49A0000: _PyEval_EvalFrameDefault (ceval.c:100)
$p 
$p LEAK SUMMARY:
$p    definitely lost: 100 bytes in 1 blocks
$p    indirectly lost: 0 bytes in 0 blocks
$p      possibly lost: 0 bytes in 0 blocks
$p    still reachable: 0 bytes in 0 blocks
$p         suppressed: 0 bytes in 0 blocks
$p 
$p ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)
EOF
exit $rc
"#;

/// A fake interpreter answering leakscope's question as `answer`.
fn python(answer: &str) -> String {
    format!("#!/bin/sh\nif [ \"$1\" = -I ]; then echo '{answer}'; fi\nexit 0\n")
}

struct Fakes {
    dir: tempfile::TempDir,
}

impl Fakes {
    fn new(answer: &str) -> Fakes {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("valgrind", VALGRIND.to_string()),
            ("python3.13", python(answer)),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Fakes { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn record(&self, what: &str) -> String {
        std::fs::read_to_string(self.path(&format!("rec.{what}"))).unwrap()
    }

    /// `leakscope run --no-explore --format json` of PROGRAM under the fakes.
    fn run(&self, out: &Path, extra: &[&str], program: &[&str]) -> Output {
        leakscope()
            .args(["run", "--no-explore", "--format", "json", "--valgrind"])
            .arg(self.path("valgrind"))
            .arg("--out")
            .arg(out)
            .args(extra)
            .arg("--")
            .args(program)
            .env("FAKE_RECORD", self.path("rec"))
            .env_remove("PYTHONPERFSUPPORT")
            .output()
            .unwrap()
    }
}

/// The PID of the run's one process, from its log's name.
fn run_pid(dir: &Path) -> u32 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_prefix("valgrind.")?
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .expect("a valgrind log")
}

fn first_group(o: &Output) -> Value {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", err(o)));
    v["processes"][0]["groups"][0].clone()
}

#[test]
fn a_python_312_plus_program_gets_perf_support_and_its_map_is_kept() {
    let f = Fakes::new("leakscope-python cpython 3 13 1 no");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let py = f.path("python3.13");
    let o = f.run(&out, &[], &[py.to_str().unwrap(), "svc.py"]);
    let pid = run_pid(&out);
    let tmp_map = PathBuf::from(format!("/tmp/perf-{pid}.map"));
    let tmp_text = std::fs::read_to_string(&tmp_map);
    let _ = std::fs::remove_file(&tmp_map);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("Python 3.13: its perf trampolines keep no frame pointer"),
        "{e}"
    );
    assert!(
        e.contains("PYTHONPERFSUPPORT=1 names Python functions"),
        "{e}"
    );
    assert!(e.contains("keep no frame pointer"), "{e}");
    assert!(e.contains("with its perf map"), "{e}");
    assert_eq!(f.record("env"), "1\n");
    let args = f.record("args");
    assert!(args.lines().any(|a| a == "--num-callers=500"), "{args}");
    // Copied whole when the process ended; /tmp's map left as it was.
    let kept = std::fs::read_to_string(out.join(format!("perf-{pid}.map"))).unwrap();
    assert_eq!(kept, "5000000 100 py::handle_request:/srv/app/svc.py\n");
    assert_eq!(tmp_text.unwrap(), kept);
    let g = first_group(&o);
    assert_eq!(g["origin"], "handle_request (/srv/app/svc.py)", "{g}");

    // Later, /tmp's map gone, the run directory still names the frame.
    let again = leakscope()
        .args(["summary", "--format", "json", "--group-by", "origin"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", err(&again));
    let g = first_group(&again);
    assert_eq!(g["label"], "handle_request (/srv/app/svc.py)", "{g}");
    assert_eq!(g["total_bytes"], 100);
}

#[test]
fn perf_support_can_be_turned_off_and_valgrind_args_still_win() {
    let f = Fakes::new("leakscope-python cpython 3 13 1 yes");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let py = f.path("python3.13");
    let o = f.run(
        &out,
        &["--no-python-perf", "--valgrind-arg=--num-callers=100"],
        &[py.to_str().unwrap(), "svc.py"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("PYTHONPERFSUPPORT not set (--no-python-perf)"),
        "{}",
        err(&o)
    );
    assert_eq!(f.record("env"), "unset\n");
    let args: Vec<String> = f.record("args").lines().map(str::to_string).collect();
    let at = |a: &str| {
        args.iter()
            .position(|x| x == a)
            .unwrap_or_else(|| panic!("{a}: {args:?}"))
    };
    assert!(at("--num-callers=500") < at("--num-callers=100"));
    assert_eq!(maps_in(&out), 0);
}

fn maps_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("perf-"))
        .count()
}

#[test]
fn older_pythons_and_scripts_are_recognised_without_perf_support() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fakes::new("leakscope-python cpython 3 11 0 ?");
    let t = tempfile::tempdir().unwrap();
    // A script whose #! line names the interpreter through env.
    let script = t.path().join("svc.py");
    std::fs::write(&script, "#!/usr/bin/env python3.13\nprint('hi')\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", f.dir.path().display());
    let out = t.path().join("run");
    let o = leakscope()
        .args(["run", "--no-explore", "--valgrind"])
        .arg(f.path("valgrind"))
        .arg("--out")
        .arg(&out)
        .arg("--")
        .arg(&script)
        .env("FAKE_RECORD", f.path("rec"))
        .env("PATH", path)
        .env_remove("PYTHONPERFSUPPORT")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("cpython 3.11 has no perf trampolines"),
        "{}",
        err(&o)
    );
    assert_eq!(f.record("env"), "unset\n");
    assert!(f.record("args").lines().any(|a| a == "--num-callers=500"));
}

#[test]
fn other_programs_are_run_as_before() {
    let f = Fakes::new("leakscope-python cpython 3 13 1 no");
    let t = tempfile::tempdir().unwrap();
    let o = f.run(&t.path().join("run"), &[], &["/bin/true"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!err(&o).contains("Python"), "{}", err(&o));
    assert_eq!(f.record("env"), "unset\n");
    let args = f.record("args");
    assert!(args.lines().any(|a| a == "--num-callers=30"), "{args}");
    assert!(!args.contains("--num-callers=500"), "{args}");
}

#[test]
fn a_real_run_directory_names_its_python_frames() {
    // Made here by `leakscope run --valgrind-arg=--show-leak-kinds=definite
    // -- python3.13 ctypes_leak.py` (pyenv 3.13.0, valgrind 3.19): the run
    // copied /tmp/perf-2244.map beside valgrind.2244.log when it ended.
    let dir = common::fixture("perfmap/run313");
    let o = leakscope()
        .args(["summary", "--format", "json", "--group-by", "origin"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let g = first_group(&o);
    let handler = "leaky_handler (/tmp/i15/runfix/ctypes_leak.py)";
    assert_eq!(g["label"], handler, "{g}");
    assert_eq!(g["origin"], handler, "{g}");
    // valgrind's LEAK SUMMARY: definitely lost: 3,003 bytes in 3 blocks
    // (malloc(1000 + n) for n = 0, 1, 2).
    assert_eq!((&g["total_bytes"], &g["blocks"]), (&3003.into(), &3.into()));
    // Without the map, the same frames are valgrind's `???`.
    let bare = leakscope()
        .args(["summary", "--format", "json", "--group-by", "origin"])
        .arg("--no-perf-map-search")
        .arg(&dir)
        .output()
        .unwrap();
    let g = first_group(&bare);
    assert_eq!(g["origin"], Value::Null, "{g}");
}
