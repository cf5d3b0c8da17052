//! The real binary in a pseudo-terminal, read through a vt100 parser: one
//! session type for every pty test (the explorer's, `leakscope run`'s), so a
//! fix to how a screen is awaited or a terminal checked lands in all of them.
//! Include it with `#[path = "common/pty.rs"] mod pty;` (it needs the `tui`
//! feature's dev-dependencies, which the other tests do not).
#![allow(dead_code)]

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize, SlavePty};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long `wait_for` waits before failing. Generous: a passing test
/// returns as soon as the text shows, and on a loaded 2-core machine the
/// first screen of a big log (or of valgrind) can take tens of seconds.
const PATIENCE: Duration = Duration::from_secs(120);

pub struct Session {
    pub master: Box<dyn MasterPty + Send>,
    // Kept open so the terminal's settings can be read after the child exits.
    _slave: Box<dyn SlavePty + Send>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Session {
    /// Starts `program` in a `rows`×`cols` terminal, `TERM=xterm-256color`,
    /// colour allowed (`NO_COLOR` removed), plus `env`, in `cwd`.
    pub fn start(
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
        cwd: &Path,
        (rows, cols): (u16, u16),
    ) -> Session {
        let size = PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pair = native_pty_system().openpty(size).unwrap();
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(cwd);
        let child = pair.slave.spawn_command(cmd).unwrap();
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Session {
            master: pair.master,
            _slave: pair.slave,
            writer,
            child,
            screen,
        }
    }

    /// The terminal as the program left it now (screen, modes, title).
    pub fn parser(&self) -> std::sync::MutexGuard<'_, vt100::Parser> {
        self.screen.lock().unwrap()
    }

    /// The screen's text now.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`, and returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.contents();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys` (raw bytes: `"\x1a"` is Ctrl-Z).
    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the program to exit; then lets the reader drain what it
    /// wrote last, so the screen is final.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200));
                return s;
            }
            assert!(Instant::now() < deadline, "the program did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal is as the explorer found it: main screen, cursor shown,
    /// no mouse reporting, canonical mode with echo.
    pub fn assert_restored(&self) {
        let p = self.screen.lock().unwrap();
        let s = p.screen();
        assert!(!s.alternate_screen(), "still on the alternate screen");
        assert!(!s.hide_cursor(), "cursor still hidden");
        assert_eq!(s.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
        assert!(!self.in_raw_mode(), "raw mode left on");
        let t = self.master.get_termios().expect("termios");
        const ECHO: u64 = 0o000010;
        // tcflag_t is u32 on Linux, u64 on macOS.
        assert_eq!(t.local_flags.bits() as u64 & ECHO, ECHO, "echo left off");
    }

    /// Raw mode is on (no ICANON).
    pub fn in_raw_mode(&self) -> bool {
        let t = self.master.get_termios().expect("termios");
        t.local_flags.bits() as u64 & 0o000002 == 0
    }
}
