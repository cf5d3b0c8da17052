//! The explorer on real logs that exercise what a log says about itself, at
//! 80×24 and 200×60: a log cut off, a `--log-file=run.%p` set, two processes
//! sharing one log, an LSan report, a run with no leak search, a baseline
//! pair. Each asserts what a user relies on, then snapshots the screen.
#![cfg(feature = "tui")]

mod tui_support;

use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

fn app_of(files: &[&str], w: u16, h: u16) -> leakscope::tui::App {
    // Relative to the package root (cargo test's working directory), so the
    // names the screen shows are the same on every machine.
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("tests/fixtures/{f}"))
        .collect();
    let report = leakscope::parse::load_paths(&paths, None).expect("fixtures");
    app_with(files[0], report, w, h)
}

#[test]
fn a_log_cut_off_says_so_and_lists_its_warning() {
    for (w, h) in SIZES {
        let mut app = app_of(&["truncated.txt"], w, h);
        let s = screen(&app);
        assert!(s.contains("⚠ PID 11377: log cut off"), "{s}");
        assert!(s.contains("W: 1 warning"), "{s}");
        insta::assert_snapshot!(format!("truncated_{w}x{h}"), draw(&app).backend());
        keys(&mut app, "W");
        let s = screen(&app);
        assert!(s.contains("truncated.txt:84"), "{s}");
        insta::assert_snapshot!(format!("truncated_warnings_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn a_percent_p_set_opens_as_one_run_of_two_processes() {
    for (w, h) in SIZES {
        let app = app_of(&["explorer/run.26873.txt", "explorer/run.26935.txt"], w, h);
        let s = screen(&app);
        assert!(s.contains("PID 26873 ./leak 2 fork"), "{s}");
        assert!(s.contains("PID 26935 ./leak 2 fork"), "{s}");
        assert!(s.contains("2 processes") || w < 100, "{s}");
        insta::assert_snapshot!(format!("percent_p_set_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn a_shared_log_shows_every_process_it_names() {
    for (w, h) in SIZES {
        let app = app_of(&["explorer/shared.txt"], w, h);
        let s = screen(&app);
        assert!(s.contains("PID 26817 ./leak 2 fork"), "{s}");
        assert!(s.contains("PID 26866"), "{s}");
        assert_eq!(app.model.index().procs.len(), 2);
        insta::assert_snapshot!(format!("shared_log_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn an_lsan_report_is_called_lsan_s() {
    for (w, h) in SIZES {
        let app = app_of(&["lsan.txt"], w, h);
        let s = screen(&app);
        assert!(!s.contains("valgrind's LEAK SUMMARY"), "{s}");
        assert!(s.contains("PID 11597"), "{s}");
        insta::assert_snapshot!(format!("lsan_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn a_run_without_a_leak_search_does_not_look_clean() {
    for (w, h) in SIZES {
        let app = app_of(&["explorer/no-leak-search.txt"], w, h);
        let s = screen(&app);
        assert!(s.contains("No leak search ran"), "{s}");
        assert!(s.contains("PID 26787 ./leak 2"), "{s}");
        insta::assert_snapshot!(format!("no_leak_search_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn a_baseline_pair_shows_growth_in_direct_bytes() {
    for (w, h) in SIZES {
        let app = numba_baseline_app(w, h);
        let s = screen(&app);
        // The definitely lost category grew by 1.6 MiB of direct bytes.
        assert!(s.contains("+1.6 MiB"), "{s}");
        insta::assert_snapshot!(format!("baseline_{w}x{h}"), draw(&app).backend());
    }
}

#[test]
fn v_opens_the_log_at_the_selected_record_s_line() {
    use leakscope::tui::Effect;
    let mut app = app_of(&["leaky.txt"], 80, 24);
    // Onto the second definitely-lost group (make_label, loss record 3 of 9).
    let effects = keys(&mut app, "jjv");
    let Some(Effect::OpenPager { file, line }) = effects.last().cloned() else {
        panic!("{effects:?}");
    };
    assert_eq!(file, "tests/fixtures/leaky.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    let at = text.lines().nth(line as usize - 1).unwrap();
    assert!(at.contains("definitely lost in loss record 3 of 9"), "{at}");
    // On a category there is no one line to open.
    keys(&mut app, "g");
    let effects = keys(&mut app, "v");
    assert_eq!(effects.last(), Some(&Effect::Redraw));
    assert!(app.status.as_ref().unwrap().text.contains("Select a group"));
}
