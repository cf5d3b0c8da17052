//! The terminal guard: raw mode, the alternate screen and mouse capture, put
//! back however the explorer ends — on drop, on a panic (the hook restores
//! first, then lets the panic report print on a sane screen), and on SIGTERM or
//! SIGHUP (the run loop returns, so the guard drops).

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Whether the terminal is in the explorer's state, so restoring is done
/// exactly once whichever path gets there first.
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        setup()?;
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(TerminalGuard { terminal })
    }

    /// Hands the terminal to another program (the editor).
    pub fn suspend(&mut self) {
        restore();
    }

    /// Takes the terminal back and forces a full redraw.
    pub fn resume(&mut self) -> io::Result<()> {
        setup()?;
        self.terminal.clear()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn setup() -> io::Result<()> {
    // Marked first: if any step fails, restore still undoes the others.
    ACTIVE.store(true, Ordering::SeqCst);
    let r = enable_raw_mode()
        .and_then(|_| execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, Hide));
    if r.is_err() {
        restore();
    }
    r
}

/// Whether the terminal is in the explorer's state (not handed to an
/// editor or pager, not restored).
pub fn is_active() -> bool {
    ACTIVE.load(Ordering::SeqCst)
}

/// Leaves raw mode and the alternate screen and shows the cursor. Safe to
/// call any number of times, from any thread.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            Show
        );
        let _ = disable_raw_mode();
    }
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
