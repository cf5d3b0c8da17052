//! Growth: against a baseline, the growth keys without one, and growth a
//! rule hides.

use super::*;

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
