//! The background parse. The explorer draws from the first snapshot while the
//! rest of a big log loads, and with --follow re-reads a log valgrind is still
//! writing.

use super::event::Event;
use super::index::{Index, SortKey};
use super::places::FrameInfo;
use crate::model::{Format, Report};
use crate::parse::perfmap::find::{attach, MapOptions};
use crate::parse::source::{open, Source};
use crate::parse::{read_source, Progress};
use crate::triage::diff::{self, Diff, DiffOptions};
use crate::triage::rules::{self, RuleSet};
use crate::triage::GroupBy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub enum LoadMsg {
    Snapshot(Box<Snapshot>),
    Progress(Progress),
    Failed(String),
}

/// A report as far as it is parsed, with what the explorer derives from it
/// built here, off the UI thread: on a 1 GB log that is most of the work.
pub struct Snapshot {
    pub report: Report,
    pub frames: Option<FrameInfo>,
    /// Built for the grouping and sort the explorer showed when it started.
    pub index: Option<Index>,
    /// The loaded rules' verdicts on this report.
    pub rules: Option<rules::Hiding>,
    /// The diff against `--baseline` (finished loads only).
    pub diff: Option<Arc<Diff>>,
    pub progress: Progress,
    /// The parse finished.
    pub done: bool,
}

impl Snapshot {
    /// A snapshot with nothing prepared (tests, small inputs).
    pub fn bare(report: Report, progress: Progress, done: bool) -> Snapshot {
        Snapshot {
            report,
            frames: None,
            index: None,
            rules: None,
            diff: None,
            progress,
            done,
        }
    }

    /// A snapshot with the frame table, index and rule verdicts built (on
    /// the loader thread). `rules` are the verdicts on the report so far.
    pub fn prepared(
        report: Report,
        view: (GroupBy, SortKey),
        rules: Option<rules::Hiding>,
        progress: Progress,
        done: bool,
    ) -> Snapshot {
        let frames = FrameInfo::build(&report.interner);
        let index = Index::build(&report, view.0, view.1);
        Snapshot {
            report,
            frames: Some(frames),
            index: Some(index),
            rules,
            diff: None,
            progress,
            done,
        }
    }
}

/// What the UI tells the loader: the grouping and sort to prepare indexes for.
pub type View = Arc<Mutex<(GroupBy, SortKey)>>;

pub struct LoadSpec {
    pub path: String,
    pub format: Option<Format>,
    pub follow: bool,
    pub rules: Arc<RuleSet>,
    /// `--baseline BASE`: parsed here, then every finished load is diffed
    /// against it with the same rules.
    pub baseline: Option<String>,
    /// Where perf maps naming `???` frames come from (applied to finished loads).
    pub perf_maps: MapOptions,
}

/// The rules' verdicts, brought up to date with a report that grew: only
/// what is new is matched (the expensive part), on every core.
fn verdicts(
    set: &RuleSet,
    state: &mut Option<rules::Hiding>,
    report: &Report,
) -> Option<rules::Hiding> {
    if set.is_empty() {
        return None;
    }
    match state {
        Some(h) => h.update(set, report),
        None => *state = Some(rules::Hiding::compute(set, report)),
    }
    state.clone()
}

/// A snapshot clones the report; five a second keeps the UI fresh without
/// spending the parse's time on copies.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(200);
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// Parses `src` on a thread, sending snapshots and progress; stops when
/// `stop` is set (after the current parse).
pub fn spawn(src: Source, spec: LoadSpec, tx: Sender<Event>, stop: Arc<AtomicBool>, view: View) {
    std::thread::Builder::new()
        .name("leakscope-loader".into())
        .spawn(move || run(src, spec, &tx, &stop, &view))
        .expect("spawning the loader thread");
}

fn run(src: Source, spec: LoadSpec, tx: &Sender<Event>, stop: &AtomicBool, view: &View) {
    let mut seen = file_len(&spec.path);
    let base = match &spec.baseline {
        Some(path) => match crate::parse::load_paths(std::slice::from_ref(path), spec.format) {
            Ok(mut r) => {
                attach(&mut r, &spec.perf_maps);
                Some(r)
            }
            Err(e) => {
                let _ = tx.send(Event::Load(LoadMsg::Failed(format!("baseline: {e}"))));
                None
            }
        },
        None => None,
    };
    let base = base.as_ref();
    load(src, &spec, tx, true, view, base);
    if !spec.follow {
        return;
    }
    // Simplest correct follow: when the file changes size, parse it again
    // from the start (a partial record at the end is then completed).
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        let len = file_len(&spec.path);
        if len == seen {
            continue;
        }
        seen = len;
        match open(&spec.path) {
            Ok(src) => {
                if !load(src, &spec, tx, false, view, base) {
                    return;
                }
            }
            Err(e) => {
                if tx
                    .send(Event::Load(LoadMsg::Failed(e.to_string())))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

fn file_len(path: &str) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// One parse. `partial`: send snapshots while parsing (the first load; a
/// re-read keeps showing the previous report until it is complete).
/// Returns false when the explorer has gone.
fn load(
    src: Source,
    spec: &LoadSpec,
    tx: &Sender<Event>,
    partial: bool,
    view: &View,
    base: Option<&Report>,
) -> bool {
    let mut report = Report::new();
    let mut engine: Option<rules::Hiding> = None;
    let mut next_snapshot = Instant::now();
    let mut last = Progress::default();
    let mut alive = true;
    let current_view = || *view.lock().unwrap_or_else(|e| e.into_inner());
    let result = read_source(&mut report, src, spec.format, &mut |r, p| {
        last = p;
        if !alive {
            return;
        }
        // A snapshot before any process appeared would only flash an empty tree.
        let msg = if partial && !r.processes.is_empty() && Instant::now() >= next_snapshot {
            let t = Instant::now();
            let rules = verdicts(&spec.rules, &mut engine, r);
            let snap = Snapshot::prepared(r.clone(), current_view(), rules, p, false);
            // The parse waits while a snapshot is made: keep that under a
            // fifth of its time, however big the report grows.
            next_snapshot = Instant::now() + SNAPSHOT_EVERY.max(t.elapsed() * 4);
            LoadMsg::Snapshot(Box::new(snap))
        } else {
            LoadMsg::Progress(p)
        };
        alive = tx.send(Event::Load(msg)).is_ok();
    });
    if !alive {
        return false;
    }
    let msg = match result {
        Ok(()) => {
            attach(&mut report, &spec.perf_maps);
            let rules = verdicts(&spec.rules, &mut engine, &report);
            let diff = base.map(|b| {
                let hider = rules::RuleHider::new(&spec.rules, &[b, &report]);
                Arc::new(diff::diff(b, &report, &DiffOptions::default(), &hider))
            });
            let mut snap = Snapshot::prepared(report, current_view(), rules, last, true);
            snap.diff = diff;
            LoadMsg::Snapshot(Box::new(snap))
        }
        Err(e) => LoadMsg::Failed(e.to_string()),
    };
    tx.send(Event::Load(msg)).is_ok()
}
