//! Driving the explorer without a terminal: load a fixture into an `App`,
//! replay key strings through the real keymap into `App::update` (as dua-cli's
//! journey tests do), and draw on ratatui's TestBackend.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leakscope::model::Report;
use leakscope::tui::{keymap, view, Action, App, Effect, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)] // each test binary uses its own subset
pub use common::{fixture, load};

/// The real Numba/llvmlite log (1,952 loss records), parsed once per test binary.
pub fn numba() -> Report {
    static REPORT: std::sync::OnceLock<Report> = std::sync::OnceLock::new();
    REPORT
        .get_or_init(|| load("real/numba-seed.txt.gz"))
        .clone()
}

/// An app showing `report` at `w`×`h`, as after a finished load.
pub fn app_with(name: &str, report: Report, w: u16, h: u16) -> App {
    let mut app = App::new(name, Theme { color: true }, (w, h), false);
    app.update(Action::loaded(report));
    app
}

/// As `numba_app`, with the built-in rule sets loaded (as the binary does).
pub fn numba_app_with_builtin_rules(w: u16, h: u16) -> App {
    use leakscope::triage::rules::{RuleOptions, RuleSet};
    let set = RuleSet::load(&RuleOptions {
        files: Vec::new(),
        user_file: None,
        builtin: true,
    })
    .expect("built-in rules");
    let mut app = App::new("numba-seed.txt.gz", Theme { color: true }, (w, h), false)
        .with_rules(std::sync::Arc::new(set));
    app.update(Action::loaded(numba()));
    app
}

pub fn numba_app(w: u16, h: u16) -> App {
    app_with("numba-seed.txt.gz", numba(), w, h)
}

pub fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| view::render(app, f)).unwrap();
    t
}

/// The screen as text, one line per row.
pub fn screen(app: &App) -> String {
    format!("{}", draw(app).backend())
}

/// Parses a key string: plain characters, and `<Enter>`, `<Esc>`, `<Tab>`,
/// `<BackTab>`, `<Up>`, `<Down>`, `<Left>`, `<Right>`, `<PgUp>`, `<PgDn>`,
/// `<Home>`, `<End>`, `<Bksp>`, `<C-x>` (control), `<lt>` for `<`.
pub fn parse_keys(s: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                rest = &rest[end + 1..];
                let ev = match name {
                    "Enter" => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
                    "Esc" => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
                    "Tab" => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
                    "BackTab" => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
                    "Up" => KeyEvent::new(KeyCode::Up, KeyModifiers::NONE),
                    "Down" => KeyEvent::new(KeyCode::Down, KeyModifiers::NONE),
                    "Left" => KeyEvent::new(KeyCode::Left, KeyModifiers::NONE),
                    "Right" => KeyEvent::new(KeyCode::Right, KeyModifiers::NONE),
                    "PgUp" => KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE),
                    "PgDn" => KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE),
                    "Home" => KeyEvent::new(KeyCode::Home, KeyModifiers::NONE),
                    "End" => KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
                    "Bksp" => KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
                    "lt" => KeyEvent::new(KeyCode::Char('<'), KeyModifiers::NONE),
                    n if n.starts_with("C-") && n.len() == 3 => KeyEvent::new(
                        KeyCode::Char(n.chars().nth(2).unwrap()),
                        KeyModifiers::CONTROL,
                    ),
                    other => panic!("unknown key <{other}>"),
                };
                out.push(ev);
                continue;
            }
        }
        let m = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        out.push(KeyEvent::new(KeyCode::Char(c), m));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Replays keys through the keymap into `update`; returns the effects.
pub fn keys(app: &mut App, s: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for k in parse_keys(s) {
        if let Some(a) = keymap::action_for(app.mode(), k) {
            effects.push(app.update(a));
        }
    }
    effects
}

/// The text of the selected tree row.
pub fn selected_line(app: &App) -> String {
    let a = app.areas();
    let y = a.tree_rows.y + (app.tree.selected - app.tree.offset) as u16;
    let t = draw(app);
    let buf = t.backend().buffer();
    (a.tree_rows.x..a.tree_rows.x + a.tree_rows.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect::<String>()
}

/// The explorer on numba/scale-40 with numba/scale-5 as `--baseline` (the
/// diff computed as the loader does, without rules).
pub fn numba_baseline_app(w: u16, h: u16) -> App {
    use leakscope::triage::diff::{diff, DiffOptions};
    use leakscope::triage::rules::{RuleHider, RuleSet};
    let base = load("numba/scale-5.txt.gz");
    let new = load("numba/scale-40.txt.gz");
    let rules = RuleSet::new();
    let hider = RuleHider::new(&rules, &[&base, &new]);
    let d = diff(&base, &new, &DiffOptions::default(), &hider);
    let mut app = App::new("scale-40.txt.gz", Theme { color: true }, (w, h), false);
    app.baseline = Some("tests/fixtures/numba/scale-5.txt.gz".into());
    let mut snap =
        leakscope::tui::loader::Snapshot::bare(new, leakscope::parse::Progress::default(), true);
    snap.diff = Some(std::sync::Arc::new(d));
    app.update(Action::Loaded(Box::new(snap)));
    app
}

/// `numba_baseline_app` with a user rule that hides llvmlite's per-compile
/// pass-builder leak: a rule that hides growth, for the safety net's marks.
pub fn numba_baseline_app_hiding_growth(w: u16, h: u16) -> App {
    use leakscope::triage::diff::{diff, DiffOptions};
    use leakscope::triage::rules::{RuleHider, RuleSet, Source};
    let base = load("numba/scale-5.txt.gz");
    let new = load("numba/scale-40.txt.gz");
    let mut rules = RuleSet::new();
    rules.add_text(
        "mine.supp",
        "# why: thought to be one-time\n{\n   my-pass-builder\n   Memcheck:Leak\n   ...\n   fun:LLVMPY_CreatePassBuilder\n}\n",
        Source::CommandLine,
    );
    let hider = RuleHider::new(&rules, &[&base, &new]);
    let d = diff(&base, &new, &DiffOptions::default(), &hider);
    let mut app = App::new("scale-40.txt.gz", Theme { color: true }, (w, h), false)
        .with_rules(std::sync::Arc::new(rules));
    app.baseline = Some("tests/fixtures/numba/scale-5.txt.gz".into());
    let mut snap =
        leakscope::tui::loader::Snapshot::bare(new, leakscope::parse::Progress::default(), true);
    snap.diff = Some(std::sync::Arc::new(d));
    app.update(Action::Loaded(Box::new(snap)));
    app
}
