//! Every key binding, as data. The one table feeds dispatch, the hint bar and
//! the `?` help overlay, so they cannot disagree.

use super::action::{Action, Cmd};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Which bindings apply: the app's state decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Navigating the tree or the detail pane.
    Normal,
    /// Typing in the filter bar.
    Filter,
    /// The help overlay is open.
    Help,
    /// The rules panel is open.
    Rules,
    /// The write-a-suppression prompt is open.
    Supp,
    /// Asking whether to stop the program `leakscope run` runs.
    Stop,
}

impl Mode {
    pub fn title(self) -> &'static str {
        match self {
            Mode::Normal => "Tree and detail",
            Mode::Filter => "Filter bar",
            Mode::Help => "This help",
            Mode::Rules => "Rules panel",
            Mode::Supp => "Write a suppression",
            Mode::Stop => "Stop the running program (leakscope run)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
    /// Any printable character (text input).
    AnyChar,
    /// Any key not bound otherwise in the mode.
    AnyKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Cmd(Cmd),
    /// Insert the typed character into the filter bar.
    Insert,
}

pub struct Binding {
    pub modes: &'static [Mode],
    pub keys: &'static [Key],
    pub target: Target,
    pub help: &'static str,
    /// Short label for the hint bar; `None` keeps the binding out of it.
    pub hint: Option<&'static str>,
}

mod bindings;

pub use bindings::{BINDINGS, MOUSE};
/// The action a key press means in `mode`, if any.
pub fn action_for(mode: Mode, ev: KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let binding = BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .find(|b| b.keys.iter().any(|k| matches(*k, ev)))?;
    Some(match binding.target {
        Target::Cmd(c) => Action::Cmd(c),
        Target::Insert => match ev.code {
            KeyCode::Char(c) => Action::Insert(c),
            _ => return None,
        },
    })
}

fn plain(m: KeyModifiers) -> bool {
    !m.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SUPER)
}

fn matches(k: Key, ev: KeyEvent) -> bool {
    match k {
        Key::Char(c) => ev.code == KeyCode::Char(c) && plain(ev.modifiers),
        Key::Ctrl(c) => {
            ev.modifiers.contains(KeyModifiers::CONTROL)
                && matches!(ev.code, KeyCode::Char(x) if x.eq_ignore_ascii_case(&c))
        }
        Key::Code(code) => ev.code == code,
        Key::AnyChar => matches!(ev.code, KeyCode::Char(_)) && plain(ev.modifiers),
        Key::AnyKey => true,
    }
}

pub fn key_label(k: Key) -> String {
    match k {
        Key::Char(' ') => "Space".into(),
        Key::Char(c) => c.to_string(),
        Key::Ctrl(c) => format!("^{}", c.to_ascii_uppercase()),
        Key::Code(code) => match code {
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        },
        Key::AnyChar => "text".into(),
        Key::AnyKey => "any".into(),
    }
}

pub fn keys_label(keys: &[Key]) -> String {
    keys.iter()
        .map(|&k| key_label(k))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The hint bar's entries for a mode: (first key, hint).
pub fn hints(mode: Mode) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .filter_map(|b| Some((key_label(*b.keys.first()?), b.hint?)))
        .collect()
}

/// The help overlay's sections: every binding of every mode, in table order.
pub fn help_sections() -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    let mut out = Vec::new();
    for mode in [
        Mode::Normal,
        Mode::Filter,
        Mode::Rules,
        Mode::Supp,
        Mode::Stop,
        Mode::Help,
    ] {
        let rows: Vec<(String, &'static str)> = BINDINGS
            .iter()
            .filter(|b| b.modes.contains(&mode))
            .map(|b| (keys_label(b.keys), b.help))
            .collect();
        out.push((mode.title(), rows));
    }
    out.push((
        "Mouse",
        MOUSE.iter().map(|(k, h)| (k.to_string(), *h)).collect(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Mode::{Filter, Help, Normal, Rules, Stop, Supp};

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn dispatch_depends_on_mode() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(matches!(
            action_for(Normal, q),
            Some(Action::Cmd(Cmd::Quit))
        ));
        assert!(matches!(action_for(Filter, q), Some(Action::Insert('q'))));
        assert!(matches!(action_for(Help, q), Some(Action::Cmd(Cmd::Help))));
        let cc = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for m in [Normal, Filter, Help] {
            assert!(matches!(action_for(m, cc), Some(Action::Cmd(Cmd::Quit))));
        }
        let g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert!(matches!(
            action_for(Normal, g),
            Some(Action::Cmd(Cmd::Bottom))
        ));
    }

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        for mode in [Normal, Filter, Rules, Supp, Stop, Help] {
            let mut seen = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.modes.contains(&mode)) {
                for k in b.keys {
                    if matches!(k, Key::AnyChar | Key::AnyKey) {
                        continue;
                    }
                    assert!(!seen.contains(k), "{k:?} bound twice in {mode:?}");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn help_lists_every_binding() {
        let listed: usize = help_sections().iter().map(|(_, r)| r.len()).sum();
        let expected: usize = [Normal, Filter, Rules, Supp, Stop, Help]
            .iter()
            .map(|m| BINDINGS.iter().filter(|b| b.modes.contains(m)).count())
            .sum::<usize>()
            + MOUSE.len();
        assert_eq!(listed, expected);
    }
}
