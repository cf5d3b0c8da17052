//! Around the tree: effects (editor, clipboard), overlays and focus, keys
//! before the first snapshot, a failed load, random keys, and Ctrl-Z.

use super::*;

#[test]
fn editor_and_clipboard_are_effects() {
    let mut app = app_with("escapes.txt", load("escapes.txt"), 120, 30);
    keys(&mut app, "jlj");
    let e = keys(&mut app, "e");
    match &e[0] {
        Effect::OpenEditor { file, line } => {
            assert!(file.ends_with("escapes.c"), "{file}");
            assert_eq!(*line, Some(12));
        }
        other => panic!("{other:?}"),
    }
    let y = keys(&mut app, "y");
    match &y[0] {
        Effect::Copy(text) => {
            assert!(text.contains("   at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)"));
            assert!(
                !text.contains('\u{1b}'),
                "the clipboard gets sanitized text"
            );
        }
        other => panic!("{other:?}"),
    }
    // In the detail pane, e opens the frame under the cursor: malloc has no source.
    keys(&mut app, "<Tab>");
    assert_eq!(app.focus, Focus::Detail);
    assert_eq!(keys(&mut app, "e"), vec![Effect::Redraw]);
    assert!(app.status.as_ref().unwrap().text.contains("no source file"));
    assert!(matches!(
        keys(&mut app, "j<Enter>")[1],
        Effect::OpenEditor { .. }
    ));
    keys(&mut app, "<Esc>");
    assert_eq!(app.focus, Focus::Tree);
    keys(&mut app, "g");
    let y = keys(&mut app, "y");
    assert_eq!(y, vec![Effect::Redraw], "a category has no stack to copy");
}

#[test]
fn quit_help_and_focus() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "?");
    assert_eq!(app.mode(), Mode::Help);
    keys(&mut app, "jj");
    assert_eq!(app.overlay, Overlay::Help(2));
    keys(
        &mut app,
        "<PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn>k",
    );
    let max = leakscope::tui::view::help::max_offset(&app, 24);
    assert_eq!(
        app.overlay,
        Overlay::Help(max - 1),
        "scrolling stops at the end"
    );
    keys(&mut app, "q");
    assert_eq!(
        app.mode(),
        Mode::Normal,
        "q closes the help, it does not quit"
    );
    keys(&mut app, "/");
    assert_eq!(
        keys(&mut app, "q"),
        vec![Effect::Redraw],
        "q is text in the filter bar"
    );
    assert_eq!(keys(&mut app, "<C-c>"), vec![Effect::Quit]);
    keys(&mut app, "<Esc>");
    assert_eq!(keys(&mut app, "q"), vec![Effect::Quit]);
    keys(&mut app, "<Tab>");
    assert_eq!(app.focus, Focus::Detail);
    keys(&mut app, "<BackTab>");
    assert_eq!(app.focus, Focus::Tree);
}

#[test]
fn keys_before_the_first_snapshot_do_nothing_harmful() {
    let mut app = App::new("big.log", Theme { color: true }, (80, 24), false);
    keys(&mut app, "jjkG<PgDn>*-lhx.uey/abc<Enter>nNbs4<Tab>?j<Esc>");
    let _ = screen(&app);
    app.update(Action::loaded(numba()));
    assert_eq!(
        app.model.filter().text(),
        "abc",
        "the filter typed while loading applies"
    );
    let _ = screen(&app);
    app.update(Action::LoadFailed("x: gone".into()));
    assert!(app.status.as_ref().unwrap().error);
}

#[test]
fn a_failed_load_is_shown() {
    let mut app = App::new("empty.log", Theme { color: true }, (80, 24), false);
    app.update(Action::LoadFailed(
        "empty.log: no valgrind or sanitizer output found".into(),
    ));
    assert!(screen(&app).contains("no valgrind or sanitizer output found · q quits"));
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "j", "k", "g", "G", "<PgDn>", "<PgUp>", "l", "h", "<Enter>", "*", "-", "<Tab>", "/", "L",
        "~", "(", "<Bksp>", "<Enter>", "<Esc>", "n", "N", "b", "s", "4", "x", "u", ".", "e", "y",
        "?", "<C-t>", "<C-w>",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        /// Any key sequence at any size leaves a drawable app.
        #[test]
        fn random_journeys_never_panic(
            seq in proptest::collection::vec(0..KEYS.len(), 1..40),
            w in 1u16..220,
            h in 1u16..70,
        ) {
            let mut app = numba_app(w, h);
            for (i, k) in seq.iter().enumerate() {
                keys(&mut app, KEYS[*k]);
                if i % 7 == 0 {
                    let _ = screen(&app);
                }
            }
            let _ = screen(&app);
            prop_assert!(app.rows().is_empty() || app.tree.selected < app.rows().len());
        }
    }
}

/// Ctrl-Z suspends from any mode, whatever is open, and changes nothing:
/// on `fg` the same screen comes back (the run loop stops the process and
/// redraws; tests/tui_pty.rs checks the terminal itself).
#[test]
fn ctrl_z_suspends_from_every_mode_and_keeps_the_state() {
    let mut app = numba_app_with_builtin_rules(80, 24);
    keys(&mut app, "jl");
    for (open, mode) in [
        ("", Mode::Normal),
        ("/Pass", Mode::Filter),
        ("<Esc>?", Mode::Help),
        ("<Esc>R", Mode::Rules),
        ("<Esc>S", Mode::Supp),
    ] {
        keys(&mut app, open);
        assert_eq!(app.mode(), mode);
        let before = screen(&app);
        assert_eq!(keys(&mut app, "<C-z>"), vec![Effect::Suspend], "{mode:?}");
        assert_eq!(app.mode(), mode);
        assert_eq!(screen(&app), before, "{mode:?}");
    }
}
