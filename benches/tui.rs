//! Key-to-frame latency of the explorer: apply a key through the keymap and
//! `App::update`, rebuild what it invalidates, draw on a 120×40 TestBackend.
//!
//! The report is the benchmark log's shape: the real Numba log's loss records
//! repeated with shifted addresses and one caller renamed per copy (as
//! `benches/genlog.rs` writes it), 246,000 records with tens of thousands of
//! distinct stacks — built in memory. `LEAKSCOPE_BENCH_LOG=big.log` measures
//! a log file instead (e.g. one made by `benches/parse_vs_wc.sh`'s genlog).
//! The built-in rule sets are loaded, as the binary does by default.

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leakscope::explore::growth::GrowthSource;
use leakscope::explore::Explorer;
use leakscope::model::{At, Frame, FrameId, LossRecord, Report};
use leakscope::parse::Progress;
use leakscope::triage::rules::{RuleOptions, RuleSet};
use leakscope::tui::jobs::Built;
use leakscope::tui::loader::Snapshot;
use leakscope::tui::{keymap, view, Action, App, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Duration;

const COPIES: u64 = 126;

/// Copies of the real log's records in each snapshot of the live-run bench
/// (3 × 1,952 = 5,856 loss records per leak search).
const RUN_COPIES: u64 = 3;
/// Leak searches of the live-run bench: 19 snapshots, then one more arriving.
const RUN_SEARCHES: usize = 20;

fn real() -> Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/numba-seed.txt.gz"
    );
    leakscope::parse::load_paths(&[path.to_string()], None).expect("fixture")
}

/// The real report's records, `COPIES` times, each copy's frames at shifted
/// addresses and the allocator's caller renamed (`f` → `f.v17`) as genlog does.
fn synthesize() -> Report {
    synthesize_copies(COPIES)
}

fn synthesize_copies(copies: u64) -> Report {
    let base = real();
    let mut out = base.clone();
    let src = &base.processes[0];
    let records: Vec<LossRecord> = src.loss_records().to_vec();
    let of = src.leak_searches.last().and_then(|s| s.of(0));
    let mut all = Vec::with_capacity(records.len() * copies as usize);
    let mut n = 0u32;
    for copy in 0..copies {
        for r in &records {
            let frames: Vec<FrameId> = base
                .interner
                .stack(r.stack)
                .iter()
                .enumerate()
                .map(|(i, &f)| {
                    let mut frame: At<Frame> = base.interner.frame(f).cloned();
                    frame.addr = frame.addr.map(|a| a + copy * 0x1000);
                    if i == 1 && copy % 7 != 0 {
                        if let Some(func) = &frame.frame.function {
                            frame.frame.function = Some(format!("{func}.v{}", copy % 400).into());
                        }
                    }
                    out.interner.intern_frame(frame)
                })
                .collect();
            n += 1;
            let mut rec = r.clone();
            rec.stack = out.interner.intern_stack(&frames);
            rec.set_number(Some(n));
            rec.set_line(u64::from(n) * 50);
            all.push(rec);
        }
    }
    let search = out.processes[0]
        .leak_searches
        .last_mut()
        .expect("a leak search");
    search.records.clear();
    for rec in all {
        search.push(rec, of);
    }
    search.summary = None;
    out
}

fn big_report() -> Report {
    match std::env::var("LEAKSCOPE_BENCH_LOG") {
        Ok(p) => leakscope::parse::load_paths(&[p], None).expect("LEAKSCOPE_BENCH_LOG"),
        Err(_) => synthesize(),
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

struct Bench {
    app: App,
    term: Terminal<TestBackend>,
}

impl Bench {
    fn new(report: Report) -> Bench {
        // As the binary starts: with the built-in rule sets.
        let rules = RuleSet::load(&RuleOptions {
            files: Vec::new(),
            user_file: None,
            builtin: true,
        })
        .expect("built-in rules");
        let mut app = App::new("big.log", Theme { color: true }, (120, 40), false)
            .with_rules(std::sync::Arc::new(rules));
        app.update(Action::loaded(report));
        Bench {
            app,
            term: Terminal::new(TestBackend::new(120, 40)).expect("terminal"),
        }
    }

    /// One key, as the run loop handles it: keymap → update → draw.
    fn press(&mut self, k: KeyEvent) {
        if let Some(a) = keymap::action_for(self.app.mode(), k) {
            self.app.update(a);
        }
        let app = &self.app;
        self.term.draw(|f| view::render(app, f)).expect("draw");
    }
}

fn latency(c: &mut Criterion) {
    let report = big_report();
    let records: usize = report
        .processes
        .iter()
        .map(|p| p.loss_records().len())
        .sum();
    eprintln!(
        "report: {records} records, {} distinct stacks, {} frames",
        report.interner.stack_count(),
        report.interner.frame_count()
    );
    let mut b = Bench::new(report);
    let mut g = c.benchmark_group("key → update → render (246k records)");
    g.sample_size(40).measurement_time(Duration::from_secs(8));

    // Up and down the expanded definitely-lost category.
    let mut down = true;
    g.bench_function("navigate j/k", |bch| {
        bch.iter(|| {
            b.press(key(if down { 'j' } else { 'k' }));
            down = !down;
        })
    });

    // Open and close the largest category (thousands of groups).
    b.press(key('g'));
    b.press(key('j'));
    while !matches!(
        b.app.selected_node(),
        Some(leakscope::tui::tree::NodeRef::Cat { .. })
    ) {
        b.press(key('j'));
    }
    g.bench_function("expand/collapse a category", |bch| {
        bch.iter(|| b.press(code(KeyCode::Enter)))
    });
    b.press(key('g'));
    b.press(key('j'));
    g.bench_function("expand/collapse a group", |bch| {
        bch.iter(|| b.press(code(KeyCode::Enter)))
    });

    // Filter keystrokes: type a pattern, then erase it, one key per iteration.
    for (name, pattern) in [
        ("filter keystroke, regex", "PassBuilder"),
        ("filter keystroke, fuzzy", "~pssbldr"),
    ] {
        b.press(key('/'));
        let script: Vec<KeyEvent> = pattern
            .chars()
            .map(key)
            .chain(pattern.chars().map(|_| code(KeyCode::Backspace)))
            .collect();
        let mut i = 0;
        g.bench_function(name, |bch| {
            bch.iter(|| {
                b.press(script[i % script.len()]);
                i += 1;
            })
        });
        b.press(code(KeyCode::Esc));
    }
    g.finish();

    // Not keys: what each loader snapshot costs while a big log loads. The
    // job thread builds it into a model (seeded with the app's inputs and the
    // last verdicts, as `tui::jobs` does); the UI thread adopts it.
    let mut g = c.benchmark_group("snapshot (246k records)");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let report = b.app.model.report_arc().clone();
    let parse = b.app.model.parse();
    let seeded = |from: &Explorer| {
        let mut m = from.seed();
        if let Some(e) = from.engine_state() {
            m.offer_engine(e);
        }
        m
    };
    // The app's inputs, away from the app the iterations change.
    let mut base = seeded(&b.app.model);
    base.load(report.clone(), parse, GrowthSource::None);
    g.bench_function("build (job thread)", |bch| {
        bch.iter_batched(
            || seeded(&base),
            |mut m| {
                m.load(report.clone(), parse, GrowthSource::None);
                m
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // The UI thread's other part: the inputs copied for the builder.
    g.bench_function("seed (UI thread)", |bch| bch.iter(|| b.app.model.seed()));
    g.bench_function("apply (UI thread)", |bch| {
        bch.iter_batched(
            || {
                let mut model = seeded(&base);
                model.load(report.clone(), parse, GrowthSource::None);
                Box::new(Built {
                    model,
                    progress: Progress::default(),
                    done: true,
                })
            },
            // The replaced model comes back in the effect, freed untimed.
            |built| b.app.update(Action::Built(built)),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The real log with one group's frame named by 900,000 characters: a key
/// must cost what it costs with short names (names are shortened once, when
/// the model is built, never per key).
fn huge_name(c: &mut Criterion) {
    let mut g = c.benchmark_group("key with a 900,000-character frame name");
    g.sample_size(40).measurement_time(Duration::from_secs(5));
    for (label, len) in [
        ("short names", 0usize),
        ("a 900,000-character name", 900_000),
    ] {
        let mut report = real();
        if len > 0 {
            let p = &report.processes[0];
            let rec = p.loss_records()[0].clone();
            let frames: Vec<FrameId> = report.interner.stack(rec.stack).to_vec();
            let mut renamed: Vec<FrameId> = Vec::new();
            for (i, &f) in frames.iter().enumerate() {
                let mut frame: At<Frame> = report.interner.frame(f).cloned();
                if i == 1 {
                    frame.frame.function = Some("n".repeat(len).into());
                }
                renamed.push(report.interner.intern_frame(frame));
            }
            let stack = report.interner.intern_stack(&renamed);
            let search = report.processes[0]
                .leak_searches
                .last_mut()
                .expect("search");
            for r in search.records.iter_mut().take(50) {
                r.stack = stack;
            }
        }
        let mut b = Bench::new(report);
        b.press(key('*'));
        let mut down = true;
        g.bench_function(label, |bch| {
            bch.iter(|| {
                b.press(key(if down { 'j' } else { 'k' }));
                down = !down;
            })
        });
    }
    g.finish();
}

/// A process under `leakscope run`: `searches` vgdb snapshots of the same
/// records, one record in ten growing by its size at every snapshot (as
/// per-compile memory does), the rest flat, 5 s apart.
fn run_report(searches: usize) -> Report {
    let mut r = synthesize_copies(RUN_COPIES);
    let p = &mut r.processes[0];
    let last = p.leak_searches.pop().expect("a leak search");
    for s in 0..searches {
        let mut search = last.clone();
        for (i, rec) in search.records.iter_mut().enumerate() {
            if i % 10 == 0 {
                rec.set_direct_bytes(rec.direct_bytes() * (s as u64 + 1));
            }
        }
        search.time_s = Some(5.0 * s as f64);
        search.origin = leakscope::model::SearchOrigin::Snapshot;
        p.leak_searches.push(search);
    }
    r
}

/// A live run while its snapshots arrive: each new snapshot is built into a
/// model on the job thread (timelines included) and adopted on the UI
/// thread between two keys, so a key waits at most one adoption.
fn live_run(c: &mut Criterion) {
    let before = std::sync::Arc::new(run_report(RUN_SEARCHES - 1));
    let after = std::sync::Arc::new(run_report(RUN_SEARCHES));
    let records = after.processes[0].loss_records().len();
    let mut g = c.benchmark_group(format!(
        "live run ({records} records per snapshot, snapshot {RUN_SEARCHES})"
    ));
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    let mut b = Bench::new(Report::new());
    let snap = |report: &std::sync::Arc<Report>, parse: u64| {
        let mut s = Snapshot::bare(Report::new(), Progress::default(), true);
        s.report = report.clone();
        s.parse = parse;
        Box::new(s)
    };
    b.app.update(Action::Loaded(snap(&before, 1)));
    assert!(
        b.app.model.growth().is_some_and(|g| g.is_timeline()),
        "the timeline column is shown"
    );
    b.press(key('*'));
    let mut down = true;
    g.bench_function("navigate j/k (timeline column)", |bch| {
        bch.iter(|| {
            b.press(key(if down { 'j' } else { 'k' }));
            down = !down;
        })
    });
    let seeded = |from: &Explorer| {
        let mut m = from.seed();
        if let Some(e) = from.engine_state() {
            m.offer_engine(e);
        }
        m
    };
    // The app's inputs, away from the app the iterations change. A new
    // snapshot is a new parse of the run directory.
    let base = seeded(&b.app.model);
    g.bench_function("snapshot build (job thread)", |bch| {
        bch.iter_batched(
            || seeded(&base),
            |mut m| {
                m.load(after.clone(), 2, GrowthSource::Timeline);
                m
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("snapshot apply (UI thread)", |bch| {
        bch.iter_batched(
            || {
                let mut model = seeded(&base);
                model.load(after.clone(), 2, GrowthSource::Timeline);
                Box::new(Built {
                    model,
                    progress: Progress::default(),
                    done: true,
                })
            },
            |built| b.app.update(Action::Built(built)),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, latency, huge_name, live_run);
criterion_main!(benches);
