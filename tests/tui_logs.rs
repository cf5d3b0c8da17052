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

/// Figures at the edge of what a log can say: two records of 2^63 bytes in
/// 2^62 blocks each (16.0 EiB and 9,223,372,036,854,775,809 blocks in all).
/// Every column is as wide as its widest figure, so figures never run
/// together and a separator always stays, at 80×24 as at 200×60.
#[test]
fn huge_figures_never_run_together() {
    let rec = |n: u32, bytes: &str, blocks: &str, f: &str| {
        format!(
            "==1== {bytes} bytes in {blocks} blocks are definitely lost in loss record {n} of 3\n\
             ==1==    at 0x4841: malloc (vg_replace_malloc.c:381)\n\
             ==1==    by 0x10{n}: {f} (huge.c:{n})\n==1== \n"
        )
    };
    let big = "9,223,372,036,854,775,808";
    let blocks = "4,611,686,018,427,387,904";
    let log = format!(
        "==1== Memcheck, a memory error detector\n==1== Command: ./huge\n==1== \n{}{}{}\
         ==1== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n",
        rec(1, "8", "1", "small_leak"),
        rec(2, big, blocks, "huge_leak_a"),
        rec(3, big, blocks, "huge_leak_b"),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    std::fs::write(&path, log).unwrap();
    let report =
        leakscope::parse::load_paths(&[path.to_string_lossy().into_owned()], None).expect("log");
    for (w, h) in SIZES {
        let app = app_with("huge.txt", report.clone(), w, h);
        let s = screen(&app);
        let row = |name: &str| -> Vec<String> {
            s.lines()
                .find_map(|l| l.split_once(name))
                .map(|(_, r)| r.split_whitespace().map(String::from).collect())
                .unwrap_or_else(|| panic!("{name}:\n{s}"))
        };
        let cat = row("▾ definitely lost");
        assert_eq!(
            cat[..4],
            ["16.0", "EiB", "9,223,372,036,854,775,809", "3"],
            "{s}"
        );
        // Names shorten in the middle at 80 columns; the figures do not.
        let a = row("(huge.c:2)");
        assert_eq!(a[..4], ["8.0", "EiB", blocks, "1"], "{s}");
        assert!(a.iter().any(|t| t.starts_with("50%")), "{s}");
        let small = row("small_leak (huge.c:1)");
        assert_eq!(small[..4], ["8", "B", "1", "1"], "{s}");
        insta::assert_snapshot!(format!("huge_figures_{w}x{h}"), draw(&app).backend());
    }
}
