//! The background parse. The explorer draws from the first snapshot while the
//! rest of a big log loads, and with --follow re-reads a log valgrind is still
//! writing.

use super::event::Event;
use crate::explore::growth::GrowthSource;
use crate::model::{Format, Report};
use crate::parse::live;
use crate::parse::perfmap::find::{attach, MapOptions};
use crate::parse::source::{open, Source};
use crate::parse::{read_source, Progress};
use crate::triage::diff::{self, Diff, DiffOptions};
use crate::triage::rules::{self, RuleSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub enum LoadMsg {
    Snapshot(Box<Snapshot>),
    Progress(Progress),
    Failed(String),
}

/// A report as far as it is parsed. Everything the explorer derives from it
/// is built by the model ([`crate::explore::Explorer`]), off the UI thread.
pub struct Snapshot {
    pub report: Arc<Report>,
    /// Which parse of the log this is (a --follow re-read starts a new one):
    /// snapshots of one parse only grow.
    pub parse: u64,
    /// The diff against `--baseline` (finished loads only).
    pub diff: Option<Arc<Diff>>,
    /// A baseline is being compared: no timeline meanwhile.
    pub baseline: bool,
    pub progress: Progress,
    /// The parse finished.
    pub done: bool,
}

impl Snapshot {
    /// A snapshot of `report` (tests, benches, small inputs).
    pub fn bare(report: Report, progress: Progress, done: bool) -> Snapshot {
        Snapshot {
            report: Arc::new(report),
            parse: 0,
            diff: None,
            baseline: false,
            progress,
            done,
        }
    }

    /// What the growth stage measures: the baseline's diff, else the
    /// report's timelines.
    pub fn growth_source(&self) -> GrowthSource {
        GrowthSource::of_load(self.diff.clone(), self.baseline)
    }
}

pub struct LoadSpec {
    /// The logs, read one after the other into one report (as `summary`
    /// reads several files); --follow takes exactly one.
    pub paths: Vec<String>,
    pub format: Option<Format>,
    pub follow: bool,
    /// The rules the baseline diff hides with (as `diff` does).
    pub rules: Arc<RuleSet>,
    /// `--baseline BASE`: parsed here, then every finished load is diffed
    /// against it with the same rules.
    pub baseline: Option<String>,
    /// Where perf maps naming `???` frames come from (applied to finished loads).
    pub perf_maps: MapOptions,
    /// `paths[0]` is a `leakscope run` directory: its logs and snapshots are
    /// read as one report (`parse::rundir`), and followed as a whole (a new
    /// snapshot or a log that grew is a change).
    pub run_dir: bool,
}

/// A snapshot clones the report; five a second keeps the UI fresh without
/// spending the parse's time on copies.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(200);
/// Partial snapshots are copies, so they are sent only while the report is
/// small: past this size, or past a `SNAPSHOT_SHARE`th of the file (the
/// early copy, and the model built from it, live until the final report
/// replaces them, so they count in the peak), the loader sends progress
/// alone and hands the finished report over without copying it. The
/// explorer of a 2 GB log then holds one report (and at most one early copy
/// of a few MB: the first screen of a big log, a fraction of a second into
/// the parse), as `summary` does. The copy and its model are still alive
/// at the parse's own peak, its end: at a 256th of the file they cost the
/// explorer on 1 M small records 2 MB of its peak (87.3 -> 85.5 MB at a
/// 1024th; 85.1 with no early snapshot at all). A live stream (no size
/// known) keeps its snapshots: it may never end.
const SNAPSHOT_LIMIT: usize = 8 << 20;
const SNAPSHOT_SHARE: u64 = 1024;
const FOLLOW_POLL: Duration = Duration::from_millis(500);
/// A followed log is parsed again at most once per this many times the
/// last parse took (re-reads take at most a fifth of the time).
const FOLLOW_SHARE: u32 = 4;

/// Parses `src` on a thread, sending snapshots and progress; stops when
/// `stop` is set (after the current parse).
pub fn spawn(srcs: Vec<Source>, spec: LoadSpec, tx: Sender<Event>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("leakscope-loader".into())
        .spawn(move || run(srcs, spec, &tx, &stop))
        .expect("spawning the loader thread");
}

fn run(srcs: Vec<Source>, spec: LoadSpec, tx: &Sender<Event>, stop: &AtomicBool) {
    let followed = spec.paths[0].clone();
    let mut srcs = srcs;
    if srcs.is_empty() && !spec.run_dir {
        // --follow started before valgrind created the log: say so, and wait.
        let shown = crate::sanitize::sanitize(&followed).into_owned();
        let msg = format!("Waiting for {shown} to be created (valgrind has not written it yet)…");
        if tx.send(Event::Load(LoadMsg::Failed(msg))).is_err() {
            return;
        }
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if let Ok(src) = open(&followed) {
                srcs.push(src);
                break;
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    }
    if spec.follow {
        srcs = srcs.into_iter().map(complete_part).collect();
    }
    let mut seen = file_len(&followed);
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
    let mut parse = 0;
    // A followed run directory parses each snapshot once.
    let mut cache = crate::parse::rundir::SnapshotCache::default();
    load(srcs, &spec, tx, parse, base, &mut cache);
    if !spec.follow {
        return;
    }
    // Simplest correct follow: when the file changes size, parse it again
    // from the start (a partial record at the end is then completed). A
    // re-read waits [`FOLLOW_SHARE`] times as long as the last one took, so
    // a long run's re-reads (its log holds every snapshot: 60 MB each for a
    // Numba service) take at most a fifth of a core from the program being
    // watched; while the log grows (valgrind printing a search), it also
    // waits for the log to pause, up to twice that.
    let mut took = Duration::ZERO;
    let mut parsed_at = Instant::now();
    let mut last_len = seen;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        let len = file_len(&followed);
        let growing = len != last_len;
        last_len = len;
        let waited = parsed_at.elapsed();
        if len == seen
            || waited < took * FOLLOW_SHARE
            || growing && waited < took * (2 * FOLLOW_SHARE)
        {
            continue;
        }
        seen = len;
        let started = Instant::now();
        let srcs = if spec.run_dir {
            Ok(Vec::new())
        } else {
            open(&followed).map(|s| vec![complete_part(s)])
        };
        match srcs {
            Ok(srcs) => {
                parse += 1;
                if !load(srcs, &spec, tx, parse, base, &mut cache) {
                    return;
                }
                took = started.elapsed();
                parsed_at = Instant::now();
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

/// A log's size; for a run directory, its files' sizes and names added up
/// (a new snapshot and a log that grew both change it).
fn file_len(path: &str) -> Option<u64> {
    let m = std::fs::metadata(path).ok()?;
    if !m.is_dir() {
        return Some(m.len());
    }
    let mut sum: u64 = 0;
    for e in std::fs::read_dir(path).ok()?.flatten() {
        let len = e.metadata().map_or(0, |m| m.len());
        let name = e.file_name().len() as u64;
        sum = sum.wrapping_add(len).wrapping_add(name << 40);
    }
    Some(sum)
}

/// A log valgrind is still writing, read only as far as its last complete
/// block ([`live::complete_len`]). Compressed logs are read whole.
fn complete_part(mut src: Source) -> Source {
    use std::io::{Read, Seek, SeekFrom};
    if src.compression != crate::parse::source::Compression::None {
        return src;
    }
    let Some(size) = src.size else { return src };
    let Ok(mut f) = std::fs::File::open(&src.name) else {
        return src;
    };
    let start = size.saturating_sub(1 << 20);
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err()
        || f.take(size - start).read_to_end(&mut tail).is_err()
    {
        return src;
    }
    let cut = start + live::complete_len(&tail) as u64;
    let reader = std::mem::replace(&mut src.reader, Box::new(std::io::empty()));
    src.reader = Box::new(reader.take(cut));
    src
}

/// One parse. The first sends snapshots while parsing; a re-read keeps
/// showing the previous report until it is complete. Returns false when the
/// explorer has gone.
fn load(
    srcs: Vec<Source>,
    spec: &LoadSpec,
    tx: &Sender<Event>,
    parse: u64,
    base: Option<&Report>,
    cache: &mut crate::parse::rundir::SnapshotCache,
) -> bool {
    let partial = parse == 0;
    let mut report = Report::new();
    let mut next_snapshot = Instant::now();
    let mut last = Progress::default();
    let mut alive = true;
    let mut result = Ok(());
    // A state not yet sent as a snapshot: a live stream that paused repeats
    // its last state (`idle`) until the pacing lets it through.
    let mut owed = false;
    let mut on_progress = |r: &Report, p: Progress| {
        last = p;
        if !alive {
            return;
        }
        owed |= !p.idle;
        // A snapshot before any process appeared would only flash an empty tree.
        let due = owed && Instant::now() >= next_snapshot;
        // A file that ends is copied only while small (see SNAPSHOT_LIMIT);
        // a live stream, which may never end, keeps its paced snapshots.
        let cheap = match p.total {
            None => true,
            Some(t) => r.approx_bytes() as u64 <= (SNAPSHOT_LIMIT as u64).min(t / SNAPSHOT_SHARE),
        };
        let msg = if partial && !r.processes.is_empty() && due && cheap {
            owed = false;
            let t = Instant::now();
            let snap = Snapshot {
                report: Arc::new(r.clone()),
                parse,
                diff: None,
                baseline: base.is_some(),
                progress: p,
                done: false,
            };
            // The parse waits while the report is copied: keep that under a
            // fifth of its time, however big the report grows.
            next_snapshot = Instant::now() + SNAPSHOT_EVERY.max(t.elapsed() * 4);
            LoadMsg::Snapshot(Box::new(snap))
        } else if p.idle {
            // A paused stream's repeat: nothing new to draw.
            return;
        } else {
            LoadMsg::Progress(p)
        };
        alive = tx.send(Event::Load(msg)).is_ok();
    };
    if spec.run_dir {
        let dir = std::path::Path::new(&spec.paths[0]);
        result = crate::parse::rundir::read_run_dir_cached(&mut report, dir, cache);
    }
    for src in srcs {
        result = read_source(&mut report, src, spec.format, &mut on_progress);
        if result.is_err() {
            break;
        }
    }
    if !alive {
        return false;
    }
    let msg = match result {
        Ok(()) => {
            attach(&mut report, &spec.perf_maps);
            // Complete: the explorer only reads it (a re-read starts afresh).
            report.interner.drop_indexes();
            // What the merge freed in this thread's arena is not reused by
            // the model's build on another thread.
            crate::explore::heap::give_back_freed();
            let diff = base.map(|b| {
                let hider = rules::RuleHider::new(&spec.rules, &[b, &report]);
                Arc::new(diff::diff(b, &report, &DiffOptions::default(), &hider))
            });
            LoadMsg::Snapshot(Box::new(Snapshot {
                report: Arc::new(report),
                parse,
                baseline: diff.is_some(),
                diff,
                progress: last,
                done: true,
            }))
        }
        Err(e) => LoadMsg::Failed(e.to_string()),
    };
    tx.send(Event::Load(msg)).is_ok()
}
