//! Snapshot tests of the explorer's main views on a real Numba/llvmlite log,
//! drawn on ratatui's TestBackend (`cargo insta review` after a UI change).
#![cfg(feature = "tui")]

mod tui_support;

use leakscope::parse::Progress;
use leakscope::tui::{Action, App, Theme};
use ratatui::style::Color;
use tui_support::*;

#[test]
fn overview_120x40() {
    let app = numba_app(120, 40);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn overview_80x24() {
    let app = numba_app(80, 24);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn overview_200x60() {
    let app = numba_app(200, 60);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn record_stack_in_the_detail_pane_120x40() {
    let mut app = numba_app(120, 40);
    // Into the largest definitely-lost group, onto its largest record.
    keys(&mut app, "jlj<Tab>jj");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn record_stack_in_the_detail_pane_80x24() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "jlj");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn group_detail_shows_common_stack_and_size_spread() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "j");
    let s = screen(&app);
    assert!(s.contains("sizes per record: min"), "{s}");
    assert!(s.contains("Common stack"), "{s}");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn regex_filter_in_action_120x40() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "/PassBuilder");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn fuzzy_filter_accepted_80x24() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "/~pmdfp<Enter>n");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn help_overlay_80x24() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "?");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn help_overlay_120x40() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "?");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn hidden_group_shown_dimmed() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "jx.");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn grouped_by_object_80x24() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "b");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn several_processes_get_a_process_level() {
    let app = app_with("multi-pid.txt", load("multi-pid.txt"), 100, 30);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn loading_screen_before_the_first_snapshot() {
    let mut app = App::new("big.log", Theme { color: true }, (80, 24), false);
    app.update(Action::Progress(Progress {
        read: 450,
        total: Some(1000),
        lines: 1_234_567,
        idle: false,
    }));
    let s = screen(&app);
    assert!(s.contains("Reading big.log… 45% (1,234,567 lines)"), "{s}");
    assert!(s.contains("loading 45%"), "{s}");
}

/// A log whose function names and paths carry ESC sequences, OSC titles,
/// NUL, backspace and DEL: every cell shows placeholders, never raw controls.
#[test]
fn escape_sequences_render_as_placeholders() {
    let mut app = app_with("escapes.txt", load("escapes.txt"), 200, 20);
    keys(&mut app, "jl");
    keys(&mut app, "j");
    let t = draw(&app);
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "raw control character {:?} in a cell",
            cell.symbol()
        );
    }
    let s = format!("{}", t.backend());
    assert!(s.contains("plain_^[[31mleaker^[[0m^@^Hx"), "{s}");
    assert!(s.contains("^[]0;title^G"), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = App::new("numba-seed.txt.gz", Theme { color: false }, (80, 24), false);
    app.update(Action::loaded(numba()));
    keys(&mut app, "/LLVMPY<Enter>");
    let t = draw(&app);
    for cell in t.backend().buffer().content() {
        assert_eq!(cell.fg, Color::Reset, "{:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "{:?}", cell.symbol());
    }
}

#[test]
fn definitely_lost_stands_out_and_still_reachable_is_quiet() {
    let app = numba_app(120, 40);
    let t = draw(&app);
    let buf = t.backend().buffer();
    let fg_of = |word: &str| {
        for y in 0..40 {
            let line: String = (0..120).map(|x| buf[(x, y)].symbol().to_string()).collect();
            if let Some(pos) = line.find(word) {
                let x = line[..pos].chars().count() as u16;
                return buf[(x, y)].fg;
            }
        }
        panic!("{word} not on screen");
    };
    assert_eq!(fg_of("definitely lost"), Color::LightRed);
    assert_eq!(fg_of("still reachable"), Color::DarkGray);
}

/// With the built-in rule sets: the one-time state of CPython, LLVM and the
/// loader is hidden (the status line counts it), the per-compile pass-builder
/// leak is not; `.` shows what was hidden, dimmed.
#[test]
fn builtin_rules_hide_the_noise_120x40() {
    let mut app = numba_app_with_builtin_rules(120, 40);
    insta::assert_snapshot!("builtin_rules", draw(&app).backend());
    keys(&mut app, "G.");
    insta::assert_snapshot!("builtin_rules_hidden_shown", draw(&app).backend());
}

#[test]
fn rules_panel_120x40() {
    let mut app = numba_app_with_builtin_rules(120, 40);
    keys(&mut app, "Rj");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn baseline_growth_120x40() {
    let app = numba_baseline_app(120, 40);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn rules_panel_with_hidden_growth_140x40() {
    let mut app = numba_baseline_app_hiding_growth(140, 40);
    keys(&mut app, "R");
    insta::assert_snapshot!(draw(&app).backend());
}

/// What has to fit at 80×24 fits, and uses the room at 200×60: the rules
/// panel with a rule turned off (names elided in the middle, what it would
/// hide), the suppression prompt (its choices whole), a filter that matches
/// nothing (filtered out, never "hidden").
#[test]
fn panels_prompts_and_status_at_80x24_and_200x60() {
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut app = numba_app_with_builtin_rules(w, h);
        keys(&mut app, "Rjj ");
        let s = screen(&app);
        assert!(s.contains("[ ]"), "{s}");
        assert!(s.contains("off, would hide the above"), "{s}");
        insta::assert_snapshot!(
            format!("rules_panel_rule_off_{w}x{h}"),
            draw(&app).backend()
        );
        keys(&mut app, "<Esc>jS");
        let s = screen(&app);
        let bottom = s.lines().last().unwrap_or_default();
        for choice in ["e exact", "g generalised", "t target"] {
            assert!(bottom.contains(choice), "{bottom}");
        }
        assert!(bottom.contains("rules.supp"), "{bottom}");
        insta::assert_snapshot!(format!("supp_prompt_{w}x{h}"), draw(&app).backend());
        keys(&mut app, "<Esc>/no-frame-is-called-this<Enter>");
        let s = screen(&app);
        let totals = s.lines().rev().nth(1).unwrap_or_default();
        // What the filter leaves out is counted apart from what rules hide
        // (one definitely-lost record of 128 B, hidden whatever the filter).
        assert!(
            totals.contains("filtered out: 1,250 records, 4 contexts"),
            "{s}"
        );
        assert!(totals.contains("DL +128 B/2 hidden"), "{s}");
        insta::assert_snapshot!(
            format!("filter_matches_nothing_{w}x{h}"),
            draw(&app).backend()
        );
    }
}
