//! Regenerates screenshots/*.svg: the explorer's main views on the real
//! Numba/llvmlite log, drawn through ratatui's TestBackend and written as SVG
//! (one rectangle per coloured cell run, one text run per style), so the
//! images always show what the code draws.
//!
//!     cargo run --example screenshots

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leakscope::triage::rules::{RuleOptions, RuleSet};
use leakscope::tui::{keymap, view, Action, App, Theme};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use std::fmt::Write as _;
use std::path::Path;

const LOG: &str = "tests/fixtures/real/numba-seed.txt.gz";

/// (file, width, height, keys, caption)
const SHOTS: &[(&str, u16, u16, &str, &str)] = &[
    (
        "overview",
        120,
        40,
        "",
        "The overview: leak kinds and errors, grouped by top frame",
    ),
    ("overview-80x24", 80, 24, "", "The same at 80×24"),
    (
        "detail",
        120,
        40,
        "jlj\tjjjj",
        "A loss record's stack in the detail pane (frame cursor on)",
    ),
    (
        "filter",
        120,
        40,
        "/PassBuilder\rn",
        "A regex filter, then n: match 2 of N",
    ),
    (
        "hidden",
        120,
        40,
        "jx.",
        "A group hidden with x, shown dimmed with .",
    ),
    (
        "rules",
        120,
        40,
        ".jjjjjlj",
        "A record a built-in rule hides, shown dimmed, with the rule and why",
    ),
    (
        "rules-panel",
        120,
        40,
        "R",
        "The rules panel (R): every loaded rule, what it hides and why; Space turns one off",
    ),
    (
        "rules-panel-80x24",
        80,
        24,
        "Rjj ",
        "At 80×24, the third rule turned off: it stays put and says what it would hide",
    ),
    (
        "filter-80x24",
        80,
        24,
        "/PassBuilder\r",
        "A filter at 80×24: matches on the status line, what it leaves out counted apart",
    ),
    (
        "wide",
        200,
        50,
        "*",
        "Side by side from 140 columns, everything expanded",
    ),
    (
        "help",
        100,
        40,
        "?",
        "The help overlay, generated from the keymap table",
    ),
];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report =
        leakscope::parse::load_paths(&[root.join(LOG).to_string_lossy().into_owned()], None)?;
    // As the binary starts: the built-in rule sets hide the runtime's noise.
    let rules = std::sync::Arc::new(RuleSet::load(&RuleOptions {
        files: Vec::new(),
        user_file: None,
        builtin: true,
    })?);
    let out = root.join("screenshots");
    std::fs::create_dir_all(&out)?;
    let mut shots: Vec<(&str, u16, u16, &str, &str, App)> = SHOTS
        .iter()
        .map(|&(name, w, h, keys, caption)| {
            let mut app = App::new("numba-seed.txt.gz", Theme { color: true }, (w, h), false)
                .with_rules(rules.clone());
            app.update(Action::loaded(report.clone()));
            (name, w, h, keys, caption, app)
        })
        .collect();
    shots.push((
        "baseline",
        120,
        40,
        "d",
        "--baseline: growth since a shorter run, sorted by growth (d)",
        baseline_app(root, &rules)?,
    ));
    // A user rule hiding the per-compile pass-builder leak: the safety net
    // marks the rule and the groups it hides (shown with `.`).
    let mut hiding_growth = (*rules).clone();
    hiding_growth.add_text(
        "mine.supp",
        "# why: thought to be one-time\n{\n   my-pass-builder\n   Memcheck:Leak\n   ...\n   fun:LLVMPY_CreatePassBuilder\n}\n",
        leakscope::triage::rules::Source::CommandLine,
    );
    shots.push((
        "hidden-growth",
        120,
        40,
        ".",
        "--baseline with a rule that hides growth: ⚠ on the status line and on what it hides (.)",
        baseline_app(root, &std::sync::Arc::new(hiding_growth))?,
    ));
    // A Numba service under Python 3.13 with perf maps, grouped by origin
    // (`b` three times): with a trampoline that keeps a frame pointer every
    // per-compile leak reaches the request handler; with 3.13.0's own, most
    // chains are cut short, and their groups say where.
    for (name, rel, caption) in [
        (
            "python-origin",
            "numba313fp.d/numba313fp.log.gz",
            "A Numba service grouped by origin (b): the request handler first in definitely lost",
        ),
        (
            "python-cut",
            "numba313.d/numba313.log.gz",
            "The same under 3.13.0's trampolines: chains valgrind cut short say where",
        ),
    ] {
        shots.push((
            name,
            120,
            40,
            "bbb",
            caption,
            python_app(root, &rules, rel)?,
        ));
    }
    // A `leakscope run` directory (service.c, snapshots every second): the
    // timeline column, the per-request group selected with its series.
    for (name, w, h) in [("timeline", 120, 40), ("timeline-80x24", 80, 24)] {
        let dir = root.join("tests/fixtures/run-service");
        let report = leakscope::parse::load_paths(&[dir.to_string_lossy().into_owned()], None)?;
        let mut app =
            App::new("run-service", Theme { color: true }, (w, h), false).with_rules(rules.clone());
        app.update(Action::loaded(report));
        shots.push((
            name,
            w,
            h,
            "j",
            "leakscope DIR on a run: sparklines of each group over the snapshots, the series in the detail",
            app,
        ));
    }
    for (name, w, h, keys, caption, mut app) in shots {
        for c in keys.chars() {
            let code = match c {
                '\r' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                c => KeyCode::Char(c),
            };
            let ev = KeyEvent::new(code, KeyModifiers::NONE);
            if let Some(a) = keymap::action_for(app.mode(), ev) {
                app.update(a);
            }
        }
        let mut term = Terminal::new(TestBackend::new(w, h))?;
        term.draw(|f| view::render(&app, f))?;
        let svg = to_svg(term.backend().buffer(), caption);
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, svg)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// A perf-map fixture (tests/fixtures/perfmap) loaded as the binary loads
/// it: the map beside the log names the Python frames.
fn python_app(root: &Path, rules: &std::sync::Arc<RuleSet>, rel: &str) -> anyhow::Result<App> {
    use leakscope::parse::perfmap::find::{attach, MapOptions};
    let path = root.join("tests/fixtures/perfmap").join(rel);
    let mut report = leakscope::parse::load_paths(&[path.to_string_lossy().into_owned()], None)?;
    attach(&mut report, &MapOptions::default());
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut app =
        App::new(&name, Theme { color: true }, (120, 40), false).with_rules(rules.clone());
    app.update(Action::loaded(report));
    Ok(app)
}

/// numba/scale-40 explored with numba/scale-5 as `--baseline`, the diff made
/// as the loader makes it (same rules).
fn baseline_app(root: &Path, rules: &std::sync::Arc<RuleSet>) -> anyhow::Result<App> {
    use leakscope::triage::diff::{diff, DiffOptions};
    use leakscope::triage::rules::RuleHider;
    let load = |rel: &str| {
        leakscope::parse::load_paths(
            &[root
                .join("tests/fixtures/numba")
                .join(rel)
                .to_string_lossy()
                .into_owned()],
            None,
        )
    };
    let base = load("scale-5.txt.gz")?;
    let new = load("scale-40.txt.gz")?;
    let hider = RuleHider::new(rules, &[&base, &new]);
    let d = diff(&base, &new, &DiffOptions::default(), &hider);
    let mut app = App::new("scale-40.txt.gz", Theme { color: true }, (120, 40), false)
        .with_rules(rules.clone());
    app.baseline = Some("scale-5.txt.gz".into());
    let mut snap =
        leakscope::tui::loader::Snapshot::bare(new, leakscope::parse::Progress::default(), true);
    snap.diff = Some(std::sync::Arc::new(d));
    app.update(Action::Loaded(Box::new(snap)));
    Ok(app)
}

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT: f64 = 14.0;
const DEFAULT_FG: &str = "#d4d4d4";
const DEFAULT_BG: &str = "#1e1e1e";

/// The 16 ANSI colours as a common dark terminal theme shows them.
fn rgb(c: Color) -> Option<String> {
    Some(
        match c {
            Color::Reset => return None,
            Color::Black => "#000000",
            Color::Red => "#cd3131",
            Color::Green => "#0dbc79",
            Color::Yellow => "#e5e510",
            Color::Blue => "#2472c8",
            Color::Magenta => "#bc3fbc",
            Color::Cyan => "#11a8cd",
            Color::Gray => "#e5e5e5",
            Color::DarkGray => "#767676",
            Color::LightRed => "#f14c4c",
            Color::LightGreen => "#23d18b",
            Color::LightYellow => "#f5f543",
            Color::LightBlue => "#3b8eea",
            Color::LightMagenta => "#d670d6",
            Color::LightCyan => "#29b8db",
            Color::White => "#ffffff",
            Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
            Color::Indexed(i) => return Some(format!("#{0:02x}{0:02x}{0:02x}", i)),
        }
        .to_string(),
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A cell's colours after REVERSED.
fn colours(cell: &ratatui::buffer::Cell) -> (String, String) {
    let fg = rgb(cell.fg).unwrap_or_else(|| DEFAULT_FG.into());
    let bg = rgb(cell.bg).unwrap_or_else(|| DEFAULT_BG.into());
    if cell.modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

fn to_svg(buf: &Buffer, caption: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let (pw, ph) = (w as f64 * CELL_W, h as f64 * CELL_H);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{pw}" height="{ph}" viewBox="0 0 {pw} {ph}" font-family="'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="{FONT}">"#
    );
    let _ = writeln!(s, "<title>{}</title>", esc(caption));
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>"#
    );
    for y in 0..h {
        // Backgrounds: one rectangle per run of equal colour.
        let mut x = 0;
        while x < w {
            let (_, bg) = colours(&buf[(x, y)]);
            let start = x;
            while x < w && colours(&buf[(x, y)]).1 == bg {
                x += 1;
            }
            if bg != DEFAULT_BG {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CELL_H}" fill="{bg}"/>"#,
                    start as f64 * CELL_W,
                    y as f64 * CELL_H,
                    (x - start) as f64 * CELL_W
                );
            }
        }
        // Text: one run per style, each cell at its own column.
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let (fg, _) = colours(cell);
            let m = cell.modifier;
            let start = x;
            let mut text = String::new();
            while x < w {
                let c = &buf[(x, y)];
                if colours(c).0 != fg || c.modifier != m {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            if text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#"fill="{fg}""#);
            if m.contains(Modifier::BOLD) {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if m.contains(Modifier::DIM) {
                attrs.push_str(r#" opacity="0.6""#);
            }
            if m.contains(Modifier::UNDERLINED) {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" {attrs} textLength="{:.1}" lengthAdjust="spacingAndGlyphs" xml:space="preserve">{}</text>"#,
                start as f64 * CELL_W,
                y as f64 * CELL_H + CELL_H * 0.78,
                (x - start) as f64 * CELL_W,
                esc(&text)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
