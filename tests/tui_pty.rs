//! End to end: the real binary in a pseudo-terminal, read through a vt100
//! parser. Navigates, filters, opens the help, quits — and checks that the
//! terminal is given back (alternate screen left, cursor shown, mouse off,
//! raw mode off), also after SIGTERM and with the log on stdin.
#![cfg(all(feature = "tui", unix))]

#[path = "common/pty.rs"]
mod pty;

use pty::Session;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 100;

fn numba_log() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real/numba-seed.txt.gz")
        .to_string_lossy()
        .into_owned()
}

/// The pty tests' terminal size.
const SIZE: (u16, u16) = (ROWS, COLS);

fn start_in(program: &str, args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Session {
    Session::start(program, args, env, cwd, SIZE)
}

fn start_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Session {
    start_in(program, args, env, Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn start(program: &str, args: &[&str]) -> Session {
    start_env(program, args, &[])
}

fn explorer(args: &[&str]) -> Session {
    start(env!("CARGO_BIN_EXE_leakscope"), args)
}

#[test]
fn navigate_filter_help_quit_and_the_terminal_is_restored() {
    let mut s = explorer(&[&numba_log()]);
    // Loaded completely: no loading progress in the status line.
    s.wait_for("numba-seed.txt.gz · sort bytes · by top frame ·");
    s.wait_for("valgrind-text · 1 process");
    s.wait_for("definitely lost");
    assert!(s.in_raw_mode());
    {
        let p = s.parser();
        assert!(p.screen().alternate_screen());
        assert!(p.screen().hide_cursor());
    }
    // Into the largest group, onto its largest record: its stack shows.
    s.send("jlj");
    s.wait_for("loss record 1,945 of 1,952");
    s.wait_for("Stack (59 frames)");
    // Filter live.
    s.send("/PassBuilder");
    s.wait_for("/PassBuilder");
    let filtered = s.wait_for("matches");
    assert_eq!(
        row_after(&filtered, "▾ definitely lost")[..2],
        ["299.0", "KiB"],
        "{filtered}"
    );
    s.send("\r");
    s.wait_for("records match");
    s.send("n");
    // The selected record matches, so n goes on to the second match.
    s.wait_for("match 2 of");
    // Help, then close it, then quit.
    s.send("?");
    s.wait_for("Keys · any other key closes");
    s.send("x");
    let closed = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let c = s.contents();
            if !c.contains("any other key closes") || Instant::now() > deadline {
                break c;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(!closed.contains("any other key closes"));
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = explorer(&[&numba_log()]);
    s.wait_for("LLVMPY_CreatePassBuilder");
    assert!(s.in_raw_mode());
    let pid = s.child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 128 + 15);
    s.assert_restored();
}

#[test]
fn log_on_stdin_keys_from_the_terminal() {
    let cmd = format!(
        "exec '{}' < '{}'",
        env!("CARGO_BIN_EXE_leakscope"),
        numba_log()
    );
    let mut s = start("sh", &["-c", &cmd]);
    // `-` is the name of stdin; the tree arrives while it loads.
    s.wait_for(" - · ");
    s.wait_for("LLVMPY_CreatePassBuilder");
    s.send("G");
    s.wait_for("4 contexts (this log does not count occurrences)");
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

#[test]
fn no_terminal_on_stdout_is_a_clear_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leakscope"))
        .arg(numba_log())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdout is not one"), "{err}");
    assert!(err.contains("leakscope summary"), "{err}");
}

#[test]
fn a_log_with_nothing_to_explore_is_a_plain_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"just some text\n").unwrap();
    let mut s = explorer(&[&empty.to_string_lossy()]);
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 2);
    s.assert_restored();
    let screen = s.contents();
    assert!(
        screen.contains("no valgrind or sanitizer output found"),
        "{screen}"
    );
}

/// `--follow` on a log valgrind is still writing: the tree grows as the
/// rest of the log arrives.
#[test]
fn follow_updates_the_tree_as_the_log_grows() {
    use std::io::Read as _;
    let mut full = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(numba_log()).unwrap())
        .read_to_string(&mut full)
        .unwrap();
    let cut = full.find("loss record 1,000 of").unwrap();
    let cut = full[..cut].rfind('\n').unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.log");
    std::fs::write(&log, &full[..cut]).unwrap();
    // Without the built-in rules, which hide the loader's one-time state.
    let mut s = explorer(&["--follow", "--no-builtin-rules", &log.to_string_lossy()]);
    s.wait_for("following (0 updates)");
    s.wait_for("DL 128 B/2");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(&full.as_bytes()[cut..]).unwrap();
    drop(f);
    s.wait_for("following (1 update)");
    s.wait_for("DL 304.2 KiB/423");
    s.wait_for("LLVMPY_CreatePassBuilder");
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// A log whose names carry an OSC title sequence, colours and a clear-screen:
/// on a real terminal they show as placeholders and change nothing.
#[test]
fn escape_sequences_in_a_log_never_reach_the_terminal() {
    let log = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/escapes.txt");
    let mut s = explorer(&[&log.to_string_lossy()]);
    s.wait_for("escapes.txt · sort bytes");
    s.send("jlj");
    s.wait_for("plain_^[[31mleaker^[[0m^@^Hx");
    {
        let p = s.parser();
        assert_eq!(p.screen().title(), "", "the log retitled the terminal");
    }
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// The built-in rules are on by default: one-time state of the runtime is
/// hidden and attributed; the pass-builder leak stays visible.
#[test]
fn builtin_rules_hide_the_noise_by_default() {
    let mut s = explorer(&[&numba_log()]);
    s.wait_for("numba-seed.txt.gz · sort bytes");
    let screen = s.wait_for("hidden)");
    assert!(screen.contains("LLVMPY_CreatePassBuilder"), "{screen}");
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

#[test]
fn baseline_growth_and_a_suppression_written_and_loaded() {
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().to_string_lossy().into_owned();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numba");
    let base = fixtures
        .join("scale-5.txt.gz")
        .to_string_lossy()
        .into_owned();
    let log = fixtures
        .join("scale-40.txt.gz")
        .to_string_lossy()
        .into_owned();
    let mut s = start_env(
        env!("CARGO_BIN_EXE_leakscope"),
        &["--baseline", &base, &log],
        &[("XDG_CONFIG_HOME", &dir)],
    );
    s.wait_for("baseline: scale-5.txt.gz");
    // Growth in direct bytes, as the bytes column beside it.
    s.wait_for("+1.6 MiB");
    s.send("d");
    s.wait_for("growth▼");
    // A suppression for the group that grew most, into the rules file under
    // the temporary config directory, then loaded.
    s.send("jS");
    s.wait_for("Suppression for");
    s.send("g");
    s.wait_for("Appended to");
    let written = cfg.path().join("leakscope/rules.supp");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains("# why: FILL IN"), "{text}");
    s.send("L");
    s.wait_for("Rules loaded");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

/// `e` on frames whose source names would be a vim command (`+!touch …`)
/// or an option (`-cq.c`), each a file in the current directory: the editor
/// (a script recording its argv) gets paths it cannot read as either.
#[test]
fn e_never_hands_the_editor_a_log_name_as_an_option_or_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("log.txt"),
        "==7== Memcheck, a memory error detector\n==7== Command: ./hostile\n==7== \n\
         ==7== 16 bytes in 1 blocks are definitely lost in loss record 1 of 2\n\
         ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
         ==7==    by 0x100: main (+!touch pwned.c:13)\n==7== \n\
         ==7== 8 bytes in 1 blocks are definitely lost in loss record 2 of 2\n\
         ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
         ==7==    by 0x101: f (-cq.c:7)\n==7== \n",
    )
    .unwrap();
    std::fs::write(d.join("+!touch pwned.c"), "int x;\n").unwrap();
    std::fs::write(d.join("-cq.c"), "int y;\n").unwrap();
    let argv = d.join("argv.txt");
    let editor = d.join("fake-editor");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\n{{ for a in \"$@\"; do printf '%s\\n' \"$a\"; done; echo ---; }} >> '{}'\n",
            argv.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let editor = editor.to_string_lossy().into_owned();
    let mut s = start_in(
        env!("CARGO_BIN_EXE_leakscope"),
        &["log.txt"],
        &[("EDITOR", &editor), ("VISUAL", "")],
        d,
    );
    s.wait_for("main (+!touch pwned.c:13)");
    let recorded = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&argv).unwrap_or_default();
            if text.matches("---").count() >= n || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    s.send("je");
    recorded(1);
    s.send("je");
    let text = recorded(2);
    assert_eq!(text, "+13\n./+!touch pwned.c\n---\n+7\n./-cq.c\n---\n");
    for arg in text
        .lines()
        .filter(|a| *a != "---" && !a.starts_with("+1") && *a != "+7")
    {
        assert!(!arg.starts_with('+') && !arg.starts_with('-'), "{arg}");
    }
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// `--follow` started before valgrind creates the log waits for it, saying
/// so, and a record appears only once its block is complete.
#[test]
fn follow_waits_for_the_log_and_never_shows_a_half_written_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.log");
    let path = log.to_string_lossy().into_owned();
    let mut s = explorer(&["--follow", &path]);
    s.wait_for("to be created (valgrind has not written it yet)");
    let first = "==7== Memcheck, a memory error detector\n==7== Command: ./grow\n==7== \n\
                 ==7== 8 bytes in 1 blocks are definitely lost in loss record 1 of 2\n\
                 ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
                 ==7==    by 0x100: first_leak (a.c:3)\n==7== \n\
                 ==7== 16 bytes in 1 blocks are definitely lost in loss record 2 of 2\n\
                 ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
                 ==7==    by 0x100: second_le";
    std::fs::write(&log, first).unwrap();
    let screen = s.wait_for("first_leak (a.c:3)");
    assert_eq!(
        row_after(&screen, "first_leak (a.c:3)")[..4],
        ["8", "B", "1", "1"],
        "{screen}"
    );
    // Two more polls: the cut record never shows.
    std::thread::sleep(Duration::from_millis(1200));
    let screen = s.contents();
    assert!(!screen.contains("second_le"), "{screen}");
    assert!(!screen.contains("16 B"), "{screen}");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"ak (a.c:4)\n==7== \n").unwrap();
    s.wait_for("second_leak (a.c:4)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while row_after(&s.contents(), "▾ definitely lost")
        .get(..4)
        .is_none_or(|f| f != ["24", "B", "2", "2"])
    {
        assert!(Instant::now() < deadline, "{}", s.contents());
        std::thread::sleep(Duration::from_millis(20));
    }
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// The figures on the screen's row that shows `name`, after it.
fn row_after(screen: &str, name: &str) -> Vec<String> {
    screen
        .lines()
        .find_map(|l| l.split_once(name))
        .map(|(_, rest)| rest.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// The process's state letter in /proc (`T`: stopped).
fn proc_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // "PID (comm) S …": the state follows the last ')'.
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
        .unwrap_or('?')
}

fn wait_state(pid: u32, want: impl Fn(char) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !want(proc_state(pid)) {
        assert!(Instant::now() < deadline, "the explorer never {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `--log-file=run.%p` set opens as one run (both processes in the tree),
/// and Ctrl-Z suspends it as every terminal program does: the process stops
/// with the terminal given back (main screen, cursor shown, cooked mode with
/// echo); once continued (what `fg` does) it takes the terminal again and
/// redraws, keys work, and quitting restores the terminal.
#[test]
fn several_files_and_ctrl_z_suspends_and_fg_redraws() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explorer");
    let a = dir.join("run.26873.txt").to_string_lossy().into_owned();
    let b = dir.join("run.26935.txt").to_string_lossy().into_owned();
    let mut s = explorer(&[&a, &b]);
    s.wait_for("PID 26873 ./leak 2 fork");
    s.wait_for("PID 26935 ./leak 2 fork");
    s.wait_for("2 processes");
    s.wait_for("DL 96 B/4");
    let pid = s.child.process_id().unwrap();
    assert!(s.in_raw_mode());
    s.send("\x1a");
    wait_state(pid, |c| c == 'T', "stopped on Ctrl-Z");
    // Let the reader take in what was written before the stop.
    std::thread::sleep(Duration::from_millis(300));
    s.assert_restored();
    // `fg`: the shell continues the job.
    let cont = std::process::Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(cont.success());
    wait_state(pid, |c| c != 'T', "continued");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(s.in_raw_mode() && s.parser().screen().alternate_screen()) {
        assert!(Instant::now() < deadline, "the terminal was not taken back");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The alternate screen starts blank: the tree is there again only if
    // the explorer redrew it.
    s.wait_for("PID 26935 ./leak 2 fork");
    // The selection came back with the screen (the first process's detail),
    // and keys work again: `j` moves to its category, whose detail names
    // the process in lower case. (Waiting for "Process 26873" after `j`
    // passed only while the old screen was still up, and failed whenever
    // the key was handled first.)
    s.wait_for("Process 26873 ./leak 2 fork");
    s.send("j");
    s.wait_for("process 26873 ./leak 2 fork");
    // SIGTSTP from outside suspends the same way.
    let tstp = std::process::Command::new("kill")
        .args(["-TSTP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(tstp.success());
    wait_state(pid, |c| c == 'T', "stopped on SIGTSTP");
    std::thread::sleep(Duration::from_millis(300));
    s.assert_restored();
    std::process::Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    s.wait_for("PID 26935 ./leak 2 fork");
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// The decompressed Numba log.
fn numba_text() -> Vec<u8> {
    let mut full = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(numba_log()).unwrap())
        .read_to_end(&mut full)
        .unwrap();
    full
}

/// The explorer reading a named pipe that the test writes to and holds open,
/// as `(cat log; sleep 60) | leakscope` does.
fn explorer_on_open_pipe(args: &str) -> (Session, std::fs::File, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let cmd = format!(
        "exec '{}' {args} < '{}'",
        env!("CARGO_BIN_EXE_leakscope"),
        fifo.display()
    );
    let s = start("sh", &["-c", &cmd]);
    // Opening blocks until the explorer's shell opens the other end.
    let w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    (s, w, dir)
}

/// A whole 9 MB log piped in, the pipe still open: every record and
/// valgrind's summaries show (definitely lost as its LEAK SUMMARY says:
/// 311,464 bytes in 423 blocks), not only what a full chunk held.
#[test]
fn a_piped_log_shows_everything_while_the_pipe_is_open() {
    let (mut s, mut w, _dir) = explorer_on_open_pipe("--no-builtin-rules");
    w.write_all(&numba_text()).unwrap();
    s.wait_for("DL 304.2 KiB/423");
    s.wait_for("LLVMPY_CreatePassBuilder");
    s.send("G");
    s.wait_for("4 contexts (this log does not count occurrences)");
    drop(w);
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}

/// A running valgrind writing into a pipe: records appear as they arrive,
/// each once its block is complete, the pipe open all along.
#[test]
fn records_from_a_pipe_appear_as_they_arrive() {
    let (mut s, mut w, _dir) = explorer_on_open_pipe("");
    let head = "==7== Memcheck, a memory error detector\n==7== Command: ./grow\n==7== \n";
    let record = |n: usize, bytes: usize, func: &str| {
        format!(
            "==7== {bytes} bytes in 1 blocks are definitely lost in loss record {n} of 3\n\
             ==7==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
             ==7==    by 0x100: {func} (a.c:{n})\n==7== \n"
        )
    };
    w.write_all(head.as_bytes()).unwrap();
    w.write_all(record(1, 8, "first_leak").as_bytes()).unwrap();
    s.wait_for("first_leak (a.c:1)");
    // The run goes on: no "cut off" while the pipe is open.
    s.wait_for("PID 7: still running (no ERROR SUMMARY yet)");
    // Half a record: not shown, however long the writer waits.
    let second = record(2, 16, "second_leak");
    let (a, b) = second.split_at(second.find("second_le").unwrap() + 9);
    w.write_all(a.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let screen = s.contents();
    assert!(!screen.contains("second_le"), "{screen}");
    w.write_all(b.as_bytes()).unwrap();
    s.wait_for("second_leak (a.c:2)");
    s.wait_for("DL 24 B/2");
    w.write_all(record(3, 32, "third_leak").as_bytes()).unwrap();
    s.wait_for("third_leak (a.c:3)");
    s.wait_for("DL 56 B/3");
    drop(w);
    s.send("q");
    assert!(s.wait_exit().success());
    s.assert_restored();
}
