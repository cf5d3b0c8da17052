//! The explorer's timeline: a real `leakscope run` directory
//! (tests/fixtures/run-service: service.c, 40 requests 200 ms apart,
//! snapshots every second, made by `leakscope run --every 1s`) opened as
//! `leakscope DIR` does, and a log with client-request leak checks. The
//! per-request group grows, the setup tables stay flat; the stop prompt and
//! the snapshot key of a live run go through the keymap.
#![cfg(feature = "tui")]

mod tui_support;

use leakscope::tui::app::{Overlay, RunState, RunTick};
use leakscope::tui::tree::NodeRef;
use leakscope::tui::{Action, App, Effect};
use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];
const RUN: &str = "tests/fixtures/run-service";

fn run_app(w: u16, h: u16) -> App {
    let report = leakscope::parse::load_paths(&[RUN.to_string()], None).expect("run fixture");
    app_with(RUN, report, w, h)
}

/// The row of the group whose label starts with `label`.
fn group_row(app: &App, label: &str) -> usize {
    let idx = app.model.index();
    app.rows()
        .all()
        .into_iter()
        .position(|r| match r.node {
            NodeRef::Group { p, c, g } => idx.procs[p as usize].cats[c as usize].groups[g as usize]
                .label
                .starts_with(label),
            _ => false,
        })
        .unwrap_or_else(|| panic!("no row for {label}"))
}

fn select(app: &mut App, row: usize) {
    keys(app, "g");
    for _ in 0..row {
        keys(app, "j");
    }
}

#[test]
fn a_run_directory_shows_what_grows_and_what_stays_flat() {
    for (w, h) in SIZES {
        let mut app = run_app(w, h);
        let growth = app.model.growth().expect("a timeline");
        assert!(growth.is_timeline());
        let t = growth.timeline(0).expect("the service's timeline");
        let n = t.searches.len();
        assert!(n >= 4, "snapshots and the search at exit: {n}");
        // Both groups' rows: the category of each opened.
        keys(&mut app, "*");
        let req = group_row(&app, "handle_request");
        select(&mut app, req);
        let line = selected_line(&app);
        assert!(line.contains('↑'), "{line}");
        assert!(line.contains('█'), "{line}");
        let s = screen(&app);
        assert!(s.contains(&format!("Timeline ({n} leak searches)")), "{s}");
        assert!(s.contains("grows:"), "{s}");
        assert!(s.contains("768 B → 10.0 KiB"), "{s}");
        if h >= 60 {
            // The search at exit is valgrind's own: 40 × 256 bytes.
            assert!(
                s.contains("#8  exit              10.0 s    10.0 KiB"),
                "{s}"
            );
        }
        assert!(s.contains("timeline: "), "{s}");
        insta::assert_snapshot!(format!("run_dir_request_{w}x{h}"), draw(&app).backend());

        let setup = group_row(&app, "setup");
        select(&mut app, setup);
        let line = selected_line(&app);
        assert!(line.contains("▄▄▄▄ ="), "{line}");
        let s = screen(&app);
        assert!(s.contains("flat: 16.0 KiB → 16.0 KiB"), "{s}");
    }
}

#[test]
fn sort_by_growth_and_only_growing_groups() {
    let mut app = run_app(120, 40);
    keys(&mut app, "*do");
    let idx = app.model.index();
    let labels: Vec<&str> = app
        .rows()
        .all()
        .into_iter()
        .filter_map(|r| match r.node {
            NodeRef::Group { p, c, g } => Some(
                idx.procs[p as usize].cats[c as usize].groups[g as usize]
                    .label
                    .as_str(),
            ),
            _ => None,
        })
        .collect();
    assert!(
        labels.iter().any(|l| l.starts_with("handle_request")),
        "{labels:?}"
    );
    assert!(!labels.iter().any(|l| l.starts_with("setup")), "{labels:?}");
    let s = screen(&app);
    assert!(s.contains("only growing"), "{s}");
    assert!(s.contains("timeline▼"), "{s}");
}

#[test]
fn client_request_leak_checks_get_the_same_timeline() {
    let report = load("service-checks.txt");
    let mut app = app_with("service-checks.txt", report, 120, 40);
    keys(&mut app, "*");
    let req = group_row(&app, "handle_request");
    select(&mut app, req);
    let s = screen(&app);
    assert!(s.contains("Timeline (4 leak searches)"), "{s}");
    assert!(s.contains("grows since search #2: 256 B → 768 B"), "{s}");
    assert!(s.contains("+256 B per search"), "{s}");
    assert!(
        selected_line(&app).contains("▁▃▆█ ↑"),
        "{}",
        selected_line(&app)
    );
}

fn live_app() -> App {
    let mut app = run_app(80, 24);
    app.run = Some(RunState::new("/tmp/service"));
    app.update(Action::RunTick(RunTick {
        elapsed_s: 75,
        snapshots: 3,
        ..RunTick::default()
    }));
    app
}

#[test]
fn quitting_a_live_run_asks_first() {
    let mut app = live_app();
    let s = screen(&app);
    assert!(s.contains("service running 1m15s · 3 snapshots (p)"), "{s}");
    assert_eq!(keys(&mut app, "q"), [Effect::Redraw]);
    assert_eq!(app.overlay, Overlay::StopRun);
    let s = screen(&app);
    assert!(s.contains("service is still running. Stop it?"), "{s}");
    // n keeps it running.
    keys(&mut app, "n");
    assert_eq!(app.overlay, Overlay::None);
    // y stops it; the explorer stays to show the final report.
    keys(&mut app, "<C-c>");
    assert_eq!(app.overlay, Overlay::StopRun);
    assert_eq!(keys(&mut app, "y"), [Effect::StopRun]);
    app.update(Action::RunTick(RunTick {
        elapsed_s: 76,
        snapshots: 3,
        stopping: true,
        ..RunTick::default()
    }));
    assert!(screen(&app).contains("service stopping 1m16s"));
    // While it stops, q quits.
    assert_eq!(keys(&mut app, "q"), [Effect::Quit]);
}

#[test]
fn q_in_the_prompt_stops_and_quits_and_an_ended_run_quits_at_once() {
    let mut app = live_app();
    assert_eq!(keys(&mut app, "qq"), [Effect::Redraw, Effect::Quit]);
    let mut app = live_app();
    app.update(Action::RunTick(RunTick {
        elapsed_s: 80,
        snapshots: 4,
        exit: Some(0),
        ..RunTick::default()
    }));
    let s = screen(&app);
    assert!(s.contains("service exited 0 1m20s · 4 snapshots"), "{s}");
    assert_eq!(keys(&mut app, "q"), [Effect::Quit]);
}

#[test]
fn the_snapshot_key_and_a_failed_snapshot() {
    let mut app = live_app();
    assert_eq!(keys(&mut app, "p"), [Effect::Snapshot]);
    app.update(Action::RunWarning(
        "snapshot of PID 7 failed: vgdb did not answer".into(),
    ));
    let s = screen(&app);
    assert!(s.contains("⚠ a snapshot failed"), "{s}");
    assert!(s.contains("vgdb did not answer"), "{s}");
    // Not under `leakscope run`: p says what it is for.
    let mut app = run_app(80, 24);
    assert_eq!(keys(&mut app, "p"), [Effect::Redraw]);
    assert!(screen(&app).contains("leakscope run"));
}

#[test]
fn a_stuck_valgrind_is_offered_a_kill() {
    let mut app = live_app();
    assert_eq!(keys(&mut app, "K"), [Effect::Redraw], "not stuck: no kill");
    app.update(Action::RunTick(RunTick {
        elapsed_s: 100,
        snapshots: 3,
        stopping: true,
        stuck: true,
        ..RunTick::default()
    }));
    let s = screen(&app);
    assert!(s.contains("K kills"), "{s}");
    assert_eq!(keys(&mut app, "K"), [Effect::KillRun]);
}

/// tests/fixtures/run-warmup (see tests/timeline.rs): the warm-up cache grew
/// during start-up only. Its row reads flat (`=`) beside its sparkline's
/// rise, its detail says start-up and where it settled, and `o` (only what
/// grows) leaves it out while the per-request leak stays.
#[test]
fn start_up_growth_reads_flat_and_only_growing_leaves_it_out() {
    const WARM: &str = "tests/fixtures/run-warmup";
    let report = leakscope::parse::load_paths(&[WARM.to_string()], None).expect("run fixture");
    let mut app = app_with(WARM, report, 120, 40);
    keys(&mut app, "*");
    let warm = group_row(&app, "warm_up");
    select(&mut app, warm);
    let line = selected_line(&app);
    assert!(line.contains("▁▅██████ ="), "{line}");
    assert!(!line.contains('↑'), "{line}");
    let s = screen(&app);
    assert!(s.contains("start-up: 6.0 KiB → 16.0 KiB"), "{s}");
    assert!(s.contains("the same since search #3"), "{s}");
    let req = group_row(&app, "handle_request");
    select(&mut app, req);
    assert!(selected_line(&app).contains('↑'));

    keys(&mut app, "o");
    let labels: Vec<String> = app
        .rows()
        .all()
        .into_iter()
        .filter_map(|r| match r.node {
            NodeRef::Group { p, c, g } => Some(
                app.model.index().procs[p as usize].cats[c as usize].groups[g as usize]
                    .label
                    .clone(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(labels, ["handle_request (service.c:28)"]);
}
