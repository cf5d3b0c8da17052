//! Python programs (CPython 3.13 with perf maps): grouping by origin and the
//! interpreter's folded frames.

use super::*;

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
