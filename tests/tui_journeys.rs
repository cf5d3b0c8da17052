//! Journeys: key sequences replayed through the real keymap into
//! `App::update`, checking state and screen after each step (as dua-cli's
//! journey tests do), on a real Numba/llvmlite log.
#![cfg(feature = "tui")]

mod tui_support;

use leakscope::model::LeakKind;
use leakscope::parse::Progress;
use leakscope::tui::app::{Focus, Overlay};
use leakscope::tui::index::Category;
use leakscope::tui::jobs::Reloaded;
use leakscope::tui::keymap::Mode;
use leakscope::tui::loader::Snapshot;
use leakscope::tui::tree::NodeRef;
use leakscope::tui::{Action, App, Effect, Theme};
use tui_support::*;

fn is_item(app: &App) -> bool {
    matches!(app.selected_node(), Some(NodeRef::Item { .. }))
}

fn dl_hidden_bytes(app: &App) -> u128 {
    let d = &app.model;
    d.proj()
        .by_category
        .iter()
        .find(|(c, _)| *c == Category::Leak(LeakKind::DefinitelyLost))
        .map(|(_, f)| f.hid.bytes)
        .unwrap()
}

#[test]
fn navigation_stays_in_bounds() {
    let mut app = numba_app(80, 24);
    let n = app.rows().len();
    assert_eq!(
        n, 10,
        "definitely lost open, its 5 groups, 4 more categories"
    );
    keys(&mut app, "k<Up>");
    assert_eq!(app.tree.selected, 0);
    keys(&mut app, "G");
    assert_eq!(app.tree.selected, n - 1);
    keys(&mut app, "j<Down>");
    assert_eq!(app.tree.selected, n - 1);
    keys(&mut app, "g");
    assert_eq!(app.tree.selected, 0);
    keys(&mut app, "<End>");
    assert_eq!(app.tree.selected, n - 1);
    keys(&mut app, "<Home>jj<Down>");
    assert_eq!(app.tree.selected, 3);
    keys(&mut app, "*<Home><PgDn>");
    assert_eq!(
        app.tree.selected, 10,
        "a page is the pane's height less one row"
    );
    keys(&mut app, "<PgDn><PgUp>");
    assert_eq!(app.tree.selected, 10);
    keys(&mut app, "<C-d><C-u>");
    assert_eq!(app.tree.selected, 10);
}

#[test]
fn expand_and_collapse_nodes_and_everything() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "-");
    assert_eq!(app.rows().len(), 5, "categories only");
    keys(&mut app, "*");
    let d = &app.model;
    let groups: usize = d.index().procs[0].cats.iter().map(|c| c.groups.len()).sum();
    assert_eq!(app.rows().len(), 5 + groups + 1952 + 4);
    keys(&mut app, "-g");
    // l opens a node, a second l steps into it; h steps out, then closes.
    keys(&mut app, "jl");
    let il_groups = app.model.index().procs[0].cats[1].groups.len();
    assert_eq!(
        app.rows().len(),
        5 + il_groups,
        "indirectly lost's groups shown"
    );
    let opened = app.rows().len();
    keys(&mut app, "l");
    assert!(matches!(app.selected_node(), Some(NodeRef::Group { .. })));
    keys(&mut app, "<Right>");
    keys(&mut app, "l");
    assert!(is_item(&app));
    keys(&mut app, "h");
    assert!(matches!(app.selected_node(), Some(NodeRef::Group { .. })));
    keys(&mut app, "h");
    assert!(matches!(app.selected_node(), Some(NodeRef::Group { .. })));
    keys(&mut app, "<Left>");
    assert!(matches!(app.selected_node(), Some(NodeRef::Cat { .. })));
    assert_eq!(app.rows().len(), opened);
    keys(&mut app, "<Enter>");
    assert!(app.rows().len() < opened);
    keys(&mut app, " ");
    assert_eq!(app.rows().len(), opened);
}

#[test]
fn filter_live_then_jump_between_matches() {
    let mut app = numba_app(120, 40);
    let dl_before = screen(&app);
    keys(&mut app, "/Pass");
    assert_eq!(app.mode(), Mode::Filter);
    keys(&mut app, "Builder");
    assert!(app.model.filter().is_active());
    let matches = app.model.proj().matches;
    assert!(matches > 100, "{matches}");
    let s = screen(&app);
    assert!(s.contains("/PassBuilder"), "{s}");
    assert!(s.contains(&format!(
        "{} matches",
        leakscope::report::human::count(matches)
    )));
    assert_ne!(s, dl_before);
    keys(&mut app, "<Enter>");
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.status.as_ref().unwrap().text.contains("records match"));
    keys(&mut app, "n");
    assert!(is_item(&app));
    assert_eq!(app.match_pos, Some((1, matches as usize)));
    let first = app.selected_node();
    keys(&mut app, "n");
    assert_eq!(app.match_pos, Some((2, matches as usize)));
    keys(&mut app, "N");
    assert_eq!(app.selected_node(), first);
    keys(&mut app, "N");
    assert_eq!(
        app.match_pos,
        Some((matches as usize, matches as usize)),
        "wraps"
    );
    let m = leakscope::report::human::count(matches);
    assert!(screen(&app).contains(&format!("match {m} of {m}")));
    // Every frame line the filter matched is in the selected record's stack.
    let detail = app.detail().unwrap();
    assert!(detail.copy.unwrap().to_lowercase().contains("passbuilder"));
    keys(&mut app, "<Esc>");
    assert!(!app.model.filter().is_active());
    assert_eq!(app.model.proj().matches, 0);
}

#[test]
fn fuzzy_by_prefix_or_toggle_and_bad_regex_keeps_results() {
    let mut app = numba_app(80, 24);
    keys(&mut app, "/~crpsbld");
    assert_eq!(
        app.model.filter().mode(),
        leakscope::tui::filter::Mode::Fuzzy
    );
    let fuzzy = app.model.proj().matches;
    assert!(fuzzy > 0);
    keys(&mut app, "<C-t>");
    assert_eq!(app.model.filter().text(), "crpsbld");
    assert_eq!(app.model.proj().matches, 0, "no literal match");
    assert!(screen(&app).contains("No record's stack matches"));
    keys(&mut app, "<C-u>LLVMPY.Create");
    let good = app.model.proj().matches;
    keys(&mut app, "(");
    assert!(app.model.filter().error().is_some());
    assert_eq!(app.model.proj().matches, good);
    assert!(screen(&app).contains("✗"));
    keys(&mut app, "<Bksp><C-w>");
    assert_eq!(app.model.filter().text(), "LLVMPY.");
    keys(&mut app, "<Esc>");
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.model.filter().text(), "");
}

#[test]
fn hide_a_group_show_it_dimmed_and_undo() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "j");
    let group = selected_line(&app);
    assert!(group.contains("LLVMPY_CreatePassBuilder"), "{group}");
    let rows = app.rows().len();
    keys(&mut app, "x");
    assert_eq!(app.rows().len(), rows - 1);
    assert!(!screen(&app).contains("LLVMPY_CreatePassBuilder (libllvmlite.so)    "));
    assert_eq!(dl_hidden_bytes(&app), 306_176);
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("hides 6 records"), "{status}");
    assert!(selected_line(&app).contains("LLVMPY_buildFunctionSimplificationPipeline"));
    keys(&mut app, ".");
    assert_eq!(app.rows().len(), rows);
    // The hidden group is last (no visible bytes); its records say why.
    keys(&mut app, "G");
    while !selected_line(&app).contains("LLVMPY_CreatePassBuilder") {
        keys(&mut app, "k");
    }
    keys(&mut app, "lj");
    let d = app.detail().unwrap();
    let why = format!("{:?}", d.lines);
    assert!(
        why.contains("hidden by rule “hide LLVMPY_CreatePassBuilder"),
        "{why}"
    );
    keys(&mut app, "u");
    assert_eq!(dl_hidden_bytes(&app), 0);
    assert!(app.model.inputs().manual.is_empty());
    keys(&mut app, "u");
    assert!(app.status.unwrap().text.contains("Nothing is hidden"));
}

/// Records whose stacks differ only in addresses go with a record's rule.
#[test]
fn a_record_rule_hides_the_same_stack_at_other_addresses() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "*j");
    while !selected_line(&app).contains("addPass") {
        keys(&mut app, "j");
    }
    keys(&mut app, "lj");
    assert!(is_item(&app));
    keys(&mut app, "x");
    let status = &app.status.as_ref().unwrap().text;
    assert!(status.contains("(this stack)” hides 4 records"), "{status}");
}

#[test]
fn hiding_a_category_and_a_single_record() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "x");
    assert_eq!(app.rows().len(), 4, "definitely lost gone");
    keys(&mut app, "u*");
    keys(&mut app, "jj");
    assert!(is_item(&app));
    keys(&mut app, "x");
    let status = &app.status.as_ref().unwrap().text;
    assert!(
        status.contains("(this stack)” hides 1 record ·"),
        "{status}"
    );
}

#[test]
fn sort_keys_reorder_groups() {
    let mut app = numba_app(120, 40);
    let names = |app: &App| -> Vec<String> {
        let d = &app.model;
        let cv = &d.proj().procs[0].cats[0];
        cv.order
            .iter()
            .map(|&g| {
                d.index().procs[0].cats[0].groups[g as usize]
                    .display
                    .clone()
            })
            .collect()
    };
    let by_bytes = names(&app);
    keys(&mut app, "4");
    let mut sorted = by_bytes.clone();
    sorted.sort();
    assert_eq!(names(&app), sorted);
    assert!(screen(&app).contains("sort name"));
    keys(&mut app, "2");
    let d = &app.model;
    let cv = &d.proj().procs[0].cats[0];
    let blocks: Vec<u128> = cv
        .order
        .iter()
        .map(|&g| cv.groups[g as usize].fig.vis.blocks)
        .collect();
    assert!(blocks.windows(2).all(|w| w[0] >= w[1]), "{blocks:?}");
    keys(&mut app, "ss");
    assert_eq!(names(&app), by_bytes, "s cycles back to bytes");
}

#[test]
fn the_selected_record_survives_regrouping() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "jlj");
    let line = |app: &App| app.detail().unwrap().lines[2].clone();
    let before = line(&app);
    for grouping in ["object", "stack", "origin", "top frame"] {
        keys(&mut app, "b");
        assert!(screen(&app).contains(&format!("by {grouping}")));
        assert!(is_item(&app), "{grouping}");
        assert_eq!(line(&app), before, "{grouping}");
    }
}

#[test]
fn selection_follows_its_node_across_snapshots() {
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(fixture("real/numba-seed.txt.gz")).unwrap(),
        )
        .read_to_string(&mut s)
        .unwrap();
        s
    };
    // The log as valgrind is still writing it: cut inside the leak records.
    let cut = text
        .match_indices("are definitely lost in loss record")
        .nth(12)
        .unwrap()
        .0;
    let cut = text[..cut].rfind('\n').unwrap();
    let partial = leakscope::parse::parse_bytes("p", &text.as_bytes()[..cut], None).unwrap();
    let mut app = App::new("growing.log", Theme { color: true }, (120, 40), true);
    app.update(Action::Loaded(Box::new(Snapshot::bare(
        partial,
        Progress::default(),
        false,
    ))));
    keys(&mut app, "jjj");
    let picked = selected_line(&app);
    app.update(Action::loaded(numba()));
    let name = picked.split_whitespace().nth(1).unwrap().to_string();
    assert!(
        selected_line(&app).contains(&name),
        "{picked} vs {}",
        selected_line(&app)
    );
}

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
fn mouse_selects_expands_and_scrolls() {
    let mut app = numba_app(120, 40);
    let a = app.areas();
    app.update(Action::Click {
        col: 10,
        row: a.tree_rows.y + 2,
    });
    assert_eq!(app.tree.selected, 2);
    let rows = app.rows().len();
    app.update(Action::Click {
        col: 10,
        row: a.tree_rows.y + 2,
    });
    assert!(app.rows().len() > rows, "a second click expands");
    app.update(Action::Wheel {
        col: 10,
        row: a.tree_rows.y,
        down: true,
    });
    assert_eq!(app.tree.selected, 5);
    let d = app.detail().unwrap();
    let first_frame = d.frames[0];
    let y = a.detail_body.y + first_frame as u16;
    app.update(Action::Click {
        col: 10,
        row: y + 1,
    });
    assert_eq!(app.focus, Focus::Detail);
    assert_eq!(app.detail_cursor, 1);
    app.update(Action::Wheel {
        col: 10,
        row: a.detail_body.y,
        down: true,
    });
    assert_eq!(app.detail_offset, 3);
}

#[test]
fn resizing_keeps_the_selection_on_screen() {
    let mut app = numba_app(200, 60);
    keys(&mut app, "*G");
    app.update(Action::Resize(80, 24));
    let h = app.areas().tree_rows.height as usize;
    assert!(app.tree.selected >= app.tree.offset && app.tree.selected < app.tree.offset + h);
    assert_eq!(app.tree.selected, app.rows().len() - 1);
    let s = screen(&app);
    assert_eq!(s.lines().count(), 24);
    app.update(Action::Resize(30, 6));
    let _ = screen(&app);
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

#[test]
fn loaded_rules_attribute_what_they_hide() {
    let mut app = numba_app_with_builtin_rules(120, 40);
    let d = &app.model;
    let sr = d
        .proj()
        .by_category
        .iter()
        .find(|(c, _)| *c == Category::Leak(LeakKind::StillReachable))
        .map(|(_, f)| (f.vis.bytes, f.hid.bytes))
        .unwrap();
    assert!(
        sr.1 > 10 * sr.0,
        "most still-reachable bytes hidden: {sr:?}"
    );
    // The pass-builder leak is real: no rule hides it.
    assert!(screen(&app).contains("LLVMPY_CreatePassBuilder"));
    // Show hidden records; find one and read why it is hidden.
    keys(&mut app, ".*");
    let mut found = None;
    for i in 0..app.rows().len() {
        app.tree.selected = i;
        if let Some(d) = app.detail() {
            let text = format!("{:?}", d.lines);
            if text.contains("hidden by rule “") && text.contains("builtin:") {
                found = Some(text);
                break;
            }
        }
    }
    let text = found.expect("a record hidden by a built-in rule");
    assert!(text.contains("why: "), "{text}");
    // u only undoes rules made here.
    keys(&mut app, "u");
    assert!(app
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("loaded rules stay"));
}

fn hidden_sr_bytes(app: &App) -> u128 {
    let d = &app.model;
    d.proj()
        .by_category
        .iter()
        .find(|(c, _)| *c == Category::Leak(LeakKind::StillReachable))
        .map(|(_, f)| f.hid.bytes)
        .unwrap()
}

#[test]
fn rules_panel_toggles_a_rule_and_all_builtins() {
    let mut app = numba_app_with_builtin_rules(120, 40);
    let all = hidden_sr_bytes(&app);
    assert!(all > 0);
    keys(&mut app, "R");
    assert_eq!(app.mode(), Mode::Rules);
    // Sorted by hidden bytes: the top rule hides the most.
    let rows = app.rule_rows();
    let e = app.model.engine().unwrap();
    let top = rows[0];
    assert!(e.counts(top).leaks.bytes >= e.counts(rows[1]).leaks.bytes);
    assert!(e.counts(top).leaks.bytes > 0);
    let s = screen(&app);
    assert!(s.contains("why: "), "{s}");
    assert!(s.contains("builtin:"), "{s}");
    // Space turns the top rule off: what it hid comes back into the totals.
    let hid = app.model.rule_counts(top);
    keys(&mut app, " ");
    assert!(!app.rule_enabled(top));
    assert!(hidden_sr_bytes(&app) < all);
    assert_eq!(app.rules_off(), 1);
    let s = screen(&app);
    assert!(s.contains("1 off"), "{s}");
    // Off, it says what it would hide: exactly what it hid.
    assert_eq!(app.model.rule_counts(top), hid);
    assert!(s.contains("off, would hide the above"), "{s}");
    let off_row = s.lines().find(|l| l.contains("[ ]")).unwrap_or_default();
    assert!(
        off_row.contains(&leakscope::report::human::bytes(hid.leaks.bytes)),
        "{s}"
    );
    // Nothing moved: the same order, the rule still under the cursor.
    assert_eq!(app.rule_rows(), rows);
    let selected = |app: &App| match &app.overlay {
        Overlay::Rules(p) => p.selected,
        _ => panic!("rules panel closed"),
    };
    assert_eq!(selected(&app), 0);
    // Down to the third rule and off: it stays third.
    keys(&mut app, "jj ");
    assert_eq!(selected(&app), 2);
    assert!(!app.rule_enabled(rows[2]));
    assert_eq!(app.rule_rows(), rows);
    keys(&mut app, " kk");
    assert!(app.rule_enabled(rows[2]));
    assert_eq!(selected(&app), 0);
    keys(&mut app, " ");
    assert!(app.rule_enabled(top));
    assert_eq!(hidden_sr_bytes(&app), all);
    // B: every built-in rule off, then on again; Esc closes.
    keys(&mut app, "B");
    assert_eq!(hidden_sr_bytes(&app), 0);
    assert!(app.model.inputs().toggles.builtin_off);
    keys(&mut app, "<Esc>");
    assert_eq!(app.mode(), Mode::Normal);
    assert!(screen(&app).contains("built-ins off"));
    // Toggles survive a new snapshot of the same log.
    app.update(Action::loaded(numba()));
    assert_eq!(hidden_sr_bytes(&app), 0);
    keys(&mut app, "B");
    assert_eq!(hidden_sr_bytes(&app), all);
}

#[test]
fn detail_names_a_matching_rule_that_is_off() {
    let mut app = numba_app_with_builtin_rules(120, 40);
    keys(&mut app, "B*");
    let mut found = None;
    for i in 0..app.rows().len() {
        app.tree.selected = i;
        if let Some(d) = app.detail() {
            let text = format!("{:?}", d.lines);
            if text.contains("is turned off") {
                found = Some(text);
                break;
            }
        }
    }
    let text = found.expect("a record a disabled built-in rule matches");
    assert!(text.contains("builtin:"), "{text}");
}

#[test]
fn a_suppression_written_from_the_explorer_hides_its_group_once_loaded() {
    use leakscope::triage::rules::{RuleOptions, RuleSet};
    use leakscope::tui::rules_io::RuleFiles;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cfg/leakscope/rules.supp");
    let opts = RuleOptions {
        files: Vec::new(),
        user_file: Some(target.clone()),
        builtin: false,
    };
    let mut app = numba_app(120, 40);
    app.supp_targets = vec![target.clone()];
    let mut files = RuleFiles::read(&app.supp_targets);
    let before = dl_hidden_bytes(&app);
    assert_eq!(before, 0);
    // The largest definitely-lost group: S opens the prompt, g writes it
    // generalised.
    keys(&mut app, "jS");
    assert_eq!(app.mode(), Mode::Supp);
    let s = screen(&app);
    assert!(s.contains("Suppression for"), "{s}");
    assert!(s.contains("rules.supp"), "{s}");
    let effects = keys(&mut app, "g");
    let Some(Effect::WriteRules { path, text }) = effects.last().cloned() else {
        panic!("no write: {effects:?}");
    };
    assert_eq!(path, target);
    assert!(text.contains("# why: FILL IN"), "{text}");
    assert!(text.contains("Memcheck:Leak"), "{text}");
    assert!(text.contains("..."), "generalised: {text}");
    // What the run loop does: append, answer.
    let r = files.append(&path, &text);
    app.update(Action::RulesWritten(r));
    assert!(app.status.as_ref().unwrap().text.contains("L loads it"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), text);
    // L asks for a reload; the run loop loads on a thread and answers.
    assert_eq!(keys(&mut app, "L").last(), Some(&Effect::ReloadRules));
    let set = RuleSet::load(&opts).unwrap();
    assert!(!set.is_empty());
    let hiding = set.apply(app.model.report());
    app.update(Action::RulesReloaded(Box::new(Reloaded {
        set: Arc::new(set),
        hiding,
        parse: app.model.parse(),
    })));
    assert!(dl_hidden_bytes(&app) > 0, "the new rule hides the group");
    assert!(app.status.as_ref().unwrap().text.contains("Rules loaded"));
    // Exact stack, for a single record this time; Esc cancels a prompt.
    keys(&mut app, "S<Esc>");
    assert_eq!(app.mode(), Mode::Normal);
    // A file changed behind leakscope's back is not written.
    std::fs::write(&target, "edited\n").unwrap();
    keys(&mut app, "jljS");
    let effects = keys(&mut app, "e");
    let Some(Effect::WriteRules { path, text }) = effects.last().cloned() else {
        panic!("no write: {effects:?}");
    };
    assert!(!text.contains("..."), "exact: {text}");
    let r = files.append(&path, &text);
    app.update(Action::RulesWritten(r));
    let st = app.status.as_ref().unwrap();
    assert!(st.error && st.text.contains("changed since"), "{}", st.text);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "edited\n");
}

#[test]
fn baseline_sorts_by_growth_and_keeps_only_growth() {
    let mut app = numba_baseline_app(120, 40);
    // Open every category; d sorts each category's groups by growth.
    keys(&mut app, "*d");
    assert!(app.model.inputs().growth_sort);
    let d = &app.model;
    let deltas = d.growth().unwrap();
    let mut checked = 0;
    for (p, pv) in d.proj().procs.iter().enumerate() {
        for (c, cv) in pv.cats.iter().enumerate() {
            let g: Vec<i128> = cv
                .order
                .iter()
                .map(|&g| deltas.group(p, c, g as usize).unwrap().amount)
                .collect();
            assert!(g.windows(2).all(|w| w[0] >= w[1]), "{g:?}");
            checked += g.len();
        }
    }
    assert!(checked > 10);
    assert!(screen(&app).contains("growth▼"));
    // The detail pane says how the selected group grew.
    keys(&mut app, "gj");
    let s = screen(&app);
    assert!(s.contains("since the baseline: +"), "{s}");
    keys(&mut app, "g");
    // o: only new or grown groups; a group that stayed the same goes.
    let all = app.rows().len();
    let s = screen(&app);
    assert!(s.contains("resize_scopes"), "{s}");
    keys(&mut app, "o");
    assert!(app.model.inputs().only_growth);
    assert!(app.rows().len() < all);
    let d = &app.model;
    let deltas = d.growth().unwrap();
    for (p, pv) in d.proj().procs.iter().enumerate() {
        for (c, cv) in pv.cats.iter().enumerate() {
            for &g in &cv.order {
                assert!(deltas.group(p, c, g as usize).unwrap().grows());
            }
        }
    }
    let s = screen(&app);
    assert!(!s.contains("resize_scopes"), "{s}");
    assert!(s.contains("only new/grown"), "{s}");
    // o again shows all; 1 goes back to sorting by bytes.
    keys(&mut app, "o1");
    assert!(!app.model.inputs().only_growth && !app.model.inputs().growth_sort);
    assert_eq!(app.rows().len(), all);
}

#[test]
fn growth_keys_explain_themselves_without_a_baseline() {
    let mut app = numba_app(120, 40);
    keys(&mut app, "d");
    assert!(!app.model.inputs().growth_sort);
    assert!(app.status.as_ref().unwrap().text.contains("--baseline"));
}

/// The ctypes leak run under Python 3.13 with perf support, its map beside it.
fn python_app() -> App {
    let mut r = load("perfmap/ctypes313.d/ctypes313.log.gz");
    let tmp = tempfile::tempdir().unwrap();
    let opts = leakscope::parse::perfmap::find::MapOptions {
        tmp_dir: tmp.path().to_path_buf(),
        ..Default::default()
    };
    leakscope::parse::perfmap::find::attach(&mut r, &opts);
    app_with("ctypes313.log.gz", r, 140, 60)
}

/// `leakscope run` of the Numba service under a stock CPython 3.13.15
/// (trampolines with a frame pointer), its map beside the log, and the
/// built-in rules loaded as the binary does.
fn python_31315_app() -> App {
    use leakscope::triage::rules::{RuleOptions, RuleSet};
    let mut r = load("perfmap/numba31315-run.d/valgrind.27180.log.gz");
    let tmp = tempfile::tempdir().unwrap();
    let opts = leakscope::parse::perfmap::find::MapOptions {
        tmp_dir: tmp.path().to_path_buf(),
        ..Default::default()
    };
    leakscope::parse::perfmap::find::attach(&mut r, &opts);
    let rules = RuleSet::load(&RuleOptions {
        files: Vec::new(),
        user_file: None,
        builtin: true,
    })
    .expect("built-in rules");
    let mut app = App::new(
        "valgrind.27180.log.gz",
        Theme { color: true },
        (120, 40),
        false,
    )
    .with_rules(std::sync::Arc::new(rules));
    app.update(Action::loaded(r));
    app
}

#[test]
fn under_cpython_3_13_15_the_request_handler_tops_definitely_lost_by_origin() {
    let mut app = python_31315_app();
    keys(&mut app, "bbb");
    let s = screen(&app);
    assert!(s.contains("by origin"), "{s}");
    keys(&mut app, "j");
    let first = selected_line(&app);
    assert!(
        first.contains("[py] handle_request (numba_svc.py)") && first.contains("301.5 KiB"),
        "{s}"
    );
    // The only group: the 64 B left of numba's import (ld.so's old scope
    // array) are hidden by a built-in rule, and the figures are valgrind's.
    assert!(s.contains("34 records in 1 group"), "{s}");
    assert!(
        s.contains("valgrind's LEAK SUMMARY: 308,780 bytes in 439 blocks (agrees)"),
        "{s}"
    );
}

#[test]
fn python_origin_groups_and_folded_interpreter_frames() {
    let mut app = python_app();
    keys(&mut app, "bbb");
    let s = screen(&app);
    assert!(s.contains("by origin"), "{s}");
    // Import-time stacks valgrind cut short come first, saying so.
    assert!(
        s.contains("(stack cut short at [py] _load_unlocked (<fr"),
        "{s}"
    );
    keys(&mut app, "jjjj");
    assert!(
        selected_line(&app).contains("[py] leaky_handler (ctypes_leak.py)"),
        "{}",
        screen(&app)
    );
    // Its first record: the interpreter between the Python functions folded.
    keys(&mut app, "lj");
    assert!(is_item(&app));
    let folded = |app: &App| {
        app.detail()
            .unwrap()
            .lines
            .iter()
            .filter(|l| matches!(l, leakscope::explore::detail::Line::Folded { .. }))
            .count()
    };
    assert_eq!(folded(&app), 3, "{}", screen(&app));
    assert!(
        screen(&app).contains("interpreter frames"),
        "{}",
        screen(&app)
    );
    keys(&mut app, "i");
    assert_eq!(folded(&app), 0);
    keys(&mut app, "i");
    assert_eq!(folded(&app), 3);
    // Grouped by top frame, the record says which Python function it came from.
    keys(&mut app, "b");
    let s = screen(&app);
    assert!(s.contains("#466 via leaky_handler (ctypes_leak."), "{s}");
    assert!(s.contains("[py] <module> (ctypes_leak.py)"), "{s}");
}

/// The safety net in the explorer: a rule that hides growth since the
/// baseline is named on the status line and in the rules panel, and the
/// groups it hides are marked ⚠ where `.` shows them.
#[test]
fn growth_hidden_by_a_rule_is_marked() {
    let mut app = numba_baseline_app_hiding_growth(140, 40);
    let g = app.model.growth().unwrap();
    assert_eq!(g.hidden.len(), 1);
    assert_eq!(g.hidden[0].rule, "my-pass-builder");
    assert_eq!(g.hidden[0].delta_total_bytes, 2_094_592);
    let s = screen(&app);
    assert!(s.contains("⚠ 1 rule hid +2.0 MiB of growth (R)"), "{s}");
    assert!(
        !s.contains("⚠+1.6 MiB    1.8 MiB"),
        "hidden groups are not listed yet: {s}"
    );
    keys(&mut app, ".");
    let s = screen(&app);
    let row = s
        .lines()
        .find(|l| l.contains("LLVMPY_CreatePassBuilder"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("⚠+1.6 MiB"), "{row}");
    // A visible group that grew carries no mark.
    let row = s
        .lines()
        .find(|l| l.contains("LLVMPY_buildFunctionSimplif"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(!row.contains('⚠'), "{row}");
    keys(&mut app, "R");
    let s = screen(&app);
    let at = s
        .lines()
        .position(|l| l.contains("my-pass-builder"))
        .unwrap_or_else(|| panic!("{s}"));
    let under = s.lines().nth(at + 1).unwrap_or_default();
    assert!(
        under.contains("⚠ hid +2,094,592 B of growth · mine.supp:3"),
        "{s}"
    );
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
