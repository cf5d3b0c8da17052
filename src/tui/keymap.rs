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

use Key::{Char, Code, Ctrl};
use Mode::{Filter, Help, Normal, Rules, Stop, Supp};

const fn b(
    modes: &'static [Mode],
    keys: &'static [Key],
    cmd: Cmd,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        modes,
        keys,
        target: Target::Cmd(cmd),
        help,
        hint,
    }
}

/// In dispatch order: the first binding whose mode and key match wins.
pub const BINDINGS: &[Binding] = &[
    b(
        &[Normal, Filter, Help, Rules, Supp, Stop],
        &[Ctrl('c')],
        Cmd::Quit,
        "quit",
        None,
    ),
    b(
        &[Normal, Filter, Help, Rules, Supp],
        &[Ctrl('z')],
        Cmd::Suspend,
        "suspend to the shell (fg comes back)",
        None,
    ),
    // Help overlay.
    b(
        &[Help],
        &[Char('j'), Code(KeyCode::Down)],
        Cmd::Down,
        "scroll down",
        None,
    ),
    b(
        &[Help],
        &[Char('k'), Code(KeyCode::Up)],
        Cmd::Up,
        "scroll up",
        None,
    ),
    b(
        &[Help],
        &[Code(KeyCode::PageDown), Char(' ')],
        Cmd::PageDown,
        "page down",
        None,
    ),
    b(
        &[Help],
        &[Code(KeyCode::PageUp)],
        Cmd::PageUp,
        "page up",
        None,
    ),
    b(
        &[Help],
        &[Key::AnyKey],
        Cmd::Help,
        "any other key: close",
        Some("close"),
    ),
    // Rules panel.
    b(
        &[Rules],
        &[Char('j'), Code(KeyCode::Down)],
        Cmd::Down,
        "next rule",
        None,
    ),
    b(
        &[Rules],
        &[Char('k'), Code(KeyCode::Up)],
        Cmd::Up,
        "previous rule",
        None,
    ),
    b(
        &[Rules],
        &[Char(' '), Code(KeyCode::Enter)],
        Cmd::ToggleRule,
        "turn the selected rule on / off",
        Some("on/off"),
    ),
    b(
        &[Rules],
        &[Char('B')],
        Cmd::ToggleBuiltin,
        "turn every built-in rule off / on (as --no-builtin-rules)",
        Some("built-ins"),
    ),
    b(
        &[Rules],
        &[Char('R'), Code(KeyCode::Esc), Char('q')],
        Cmd::Rules,
        "close the rules panel",
        Some("close"),
    ),
    // Write-a-suppression prompt.
    b(
        &[Supp],
        &[Char('e')],
        Cmd::SuppExact,
        "write the exact stack",
        Some("exact"),
    ),
    b(
        &[Supp],
        &[Char('g')],
        Cmd::SuppGeneral,
        "write it generalised (top frames then ..., obj: wildcards)",
        Some("generalised"),
    ),
    b(
        &[Supp],
        &[Char('t'), Code(KeyCode::Tab)],
        Cmd::SuppTarget,
        "next target file",
        Some("target"),
    ),
    b(
        &[Supp],
        &[Code(KeyCode::Esc), Char('q')],
        Cmd::Escape,
        "cancel",
        Some("cancel"),
    ),
    // Stop prompt (q while `leakscope run`'s program runs).
    b(
        &[Stop],
        &[Char('y')],
        Cmd::StopRun,
        "stop it (SIGINT, then SIGTERM): valgrind writes its final report",
        Some("stop"),
    ),
    b(
        &[Stop],
        &[Char('q')],
        Cmd::Quit,
        "stop it and quit (leakscope waits for the final report)",
        Some("stop and quit"),
    ),
    b(
        &[Stop],
        &[Char('n'), Code(KeyCode::Esc)],
        Cmd::Escape,
        "keep it running",
        Some("keep running"),
    ),
    // Filter bar.
    b(
        &[Filter],
        &[Code(KeyCode::Enter)],
        Cmd::FilterAccept,
        "keep the filter, back to the tree",
        Some("keep"),
    ),
    b(
        &[Filter],
        &[Code(KeyCode::Esc)],
        Cmd::FilterCancel,
        "clear the filter",
        Some("clear"),
    ),
    b(
        &[Filter],
        &[Ctrl('t')],
        Cmd::FilterToggleMode,
        "switch regex / fuzzy (fuzzy: ~ prefix)",
        Some("regex/fuzzy"),
    ),
    b(
        &[Filter],
        &[Code(KeyCode::Backspace)],
        Cmd::FilterBackspace,
        "delete a character",
        None,
    ),
    b(
        &[Filter],
        &[Ctrl('w')],
        Cmd::FilterDeleteWord,
        "delete a word",
        None,
    ),
    b(
        &[Filter],
        &[Ctrl('u')],
        Cmd::FilterClearLine,
        "delete the whole pattern",
        None,
    ),
    b(
        &[Filter],
        &[Code(KeyCode::Up)],
        Cmd::Up,
        "move up in the tree",
        None,
    ),
    b(
        &[Filter],
        &[Code(KeyCode::Down)],
        Cmd::Down,
        "move down in the tree",
        Some("move"),
    ),
    Binding {
        modes: &[Filter],
        keys: &[Key::AnyChar],
        target: Target::Insert,
        help: "type: filter live (regex, smart case)",
        hint: None,
    },
    // Tree and detail.
    b(
        &[Normal],
        &[Char('?'), Code(KeyCode::F(1))],
        Cmd::Help,
        "show every key",
        Some("help"),
    ),
    b(
        &[Normal],
        &[Char('v')],
        Cmd::ViewLog,
        "open the log at the record's line in $PAGER (less)",
        None,
    ),
    b(
        &[Normal],
        &[Char('W')],
        Cmd::Warnings,
        "list the log's warnings (file:line)",
        None,
    ),
    b(&[Normal], &[Char('q')], Cmd::Quit, "quit", Some("quit")),
    b(
        &[Normal],
        &[Char('j'), Code(KeyCode::Down)],
        Cmd::Down,
        "move down",
        None,
    ),
    b(
        &[Normal],
        &[Char('k'), Code(KeyCode::Up)],
        Cmd::Up,
        "move up",
        None,
    ),
    b(
        &[Normal],
        &[Code(KeyCode::PageDown), Ctrl('f'), Ctrl('d')],
        Cmd::PageDown,
        "page down",
        None,
    ),
    b(
        &[Normal],
        &[Code(KeyCode::PageUp), Ctrl('b'), Ctrl('u')],
        Cmd::PageUp,
        "page up",
        None,
    ),
    b(
        &[Normal],
        &[Char('g'), Code(KeyCode::Home)],
        Cmd::Top,
        "first row",
        None,
    ),
    b(
        &[Normal],
        &[Char('G'), Code(KeyCode::End)],
        Cmd::Bottom,
        "last row",
        None,
    ),
    b(
        &[Normal],
        &[Code(KeyCode::Enter), Char(' ')],
        Cmd::Toggle,
        "expand / collapse",
        Some("open"),
    ),
    b(
        &[Normal],
        &[Char('l'), Code(KeyCode::Right)],
        Cmd::Expand,
        "expand, or go to the first child",
        None,
    ),
    b(
        &[Normal],
        &[Char('h'), Code(KeyCode::Left)],
        Cmd::Collapse,
        "collapse, or go to the parent",
        None,
    ),
    b(
        &[Normal],
        &[Char('*'), Char('+')],
        Cmd::ExpandAll,
        "expand everything",
        None,
    ),
    b(
        &[Normal],
        &[Char('-')],
        Cmd::CollapseAll,
        "collapse everything",
        None,
    ),
    b(
        &[Normal],
        &[Code(KeyCode::Tab), Code(KeyCode::BackTab)],
        Cmd::FocusNext,
        "switch between tree and detail",
        Some("pane"),
    ),
    b(
        &[Normal],
        &[Char('/')],
        Cmd::OpenFilter,
        "filter records by stack (regex; ~ for fuzzy)",
        Some("filter"),
    ),
    b(&[Normal], &[Char('n')], Cmd::NextMatch, "next match", None),
    b(
        &[Normal],
        &[Char('N')],
        Cmd::PrevMatch,
        "previous match",
        None,
    ),
    b(
        &[Normal],
        &[Code(KeyCode::Esc)],
        Cmd::Escape,
        "clear the filter / message",
        None,
    ),
    b(
        &[Normal],
        &[Char('b')],
        Cmd::CycleGroup,
        "group by: top frame, object, stack, origin",
        Some("group"),
    ),
    b(
        &[Normal],
        &[Char('i')],
        Cmd::ToggleInterpreter,
        "fold / unfold interpreter frames (Python)",
        None,
    ),
    b(
        &[Normal],
        &[Char('s')],
        Cmd::CycleSort,
        "sort by: bytes, blocks, count, name",
        Some("sort"),
    ),
    b(
        &[Normal],
        &[Char('1')],
        Cmd::SortBytes,
        "sort by bytes",
        None,
    ),
    b(
        &[Normal],
        &[Char('2')],
        Cmd::SortBlocks,
        "sort by blocks",
        None,
    ),
    b(
        &[Normal],
        &[Char('3')],
        Cmd::SortCount,
        "sort by record count",
        None,
    ),
    b(&[Normal], &[Char('4')], Cmd::SortName, "sort by name", None),
    b(
        &[Normal],
        &[Char('d'), Char('5')],
        Cmd::SortGrowth,
        "sort by growth (--baseline, or a timeline of leak searches)",
        None,
    ),
    b(
        &[Normal],
        &[Char('o')],
        Cmd::OnlyGrowth,
        "only groups that grew (--baseline, or a timeline)",
        None,
    ),
    b(
        &[Normal],
        &[Char('x')],
        Cmd::Hide,
        "hide the selected group (a rule from its stack)",
        Some("hide"),
    ),
    b(
        &[Normal],
        &[Char('u')],
        Cmd::Unhide,
        "undo the last hide",
        None,
    ),
    b(
        &[Normal],
        &[Char('.')],
        Cmd::ToggleHidden,
        "show hidden records dimmed, or not at all",
        Some("hidden"),
    ),
    b(
        &[Normal],
        &[Char('R')],
        Cmd::Rules,
        "rules panel: every loaded rule, what it hides; turn rules on / off",
        Some("rules"),
    ),
    b(
        &[Normal],
        &[Char('S')],
        Cmd::Suppress,
        "write a suppression for the selected group or record to a rules file",
        Some("supp"),
    ),
    b(
        &[Normal],
        &[Char('L')],
        Cmd::LoadRules,
        "load the rules again (after writing one)",
        None,
    ),
    b(
        &[Normal],
        &[Char('B')],
        Cmd::ToggleBuiltin,
        "turn every built-in rule off / on (as --no-builtin-rules)",
        None,
    ),
    b(
        &[Normal],
        &[Char('p')],
        Cmd::Snapshot,
        "take a leak snapshot of the running program now (leakscope run)",
        None,
    ),
    b(
        &[Normal],
        &[Char('K')],
        Cmd::KillRun,
        "kill valgrind when it does not end after a stop (SIGKILL)",
        None,
    ),
    b(
        &[Normal],
        &[Char('e')],
        Cmd::OpenEditor,
        "open the frame's source in $EDITOR",
        Some("edit"),
    ),
    b(
        &[Normal],
        &[Char('y')],
        Cmd::CopyStack,
        "copy the stack to the clipboard (OSC 52)",
        Some("copy"),
    ),
];

/// Mouse gestures, listed in the help next to the keys.
pub const MOUSE: &[(&str, &str)] = &[
    ("wheel", "scroll the pane under the pointer"),
    ("click", "select a row or frame; click again to expand"),
];

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
    for mode in [Normal, Filter, Rules, Supp, Stop, Help] {
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
