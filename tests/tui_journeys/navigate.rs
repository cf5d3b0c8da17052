//! Moving through the tree: cursor keys, expanding, filters, sorting, the
//! selection across regrouping and snapshots, the mouse and resizing.

use super::*;

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
