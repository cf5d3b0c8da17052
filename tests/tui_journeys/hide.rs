//! Hiding: by hand (a group, a record, a category), by loaded rules and the
//! rules panel, and by a suppression written from the explorer.

use super::*;

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
