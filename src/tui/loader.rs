//! The background parse. The explorer draws from the first snapshot while the
//! rest of a big log loads, and with --follow re-reads a log valgrind is still
//! writing.

use super::event::Event;
use crate::model::{Format, Report};
use crate::parse::source::{open, Source};
use crate::parse::{read_source, Progress};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub enum LoadMsg {
    Snapshot {
        report: Box<Report>,
        progress: Progress,
        done: bool,
    },
    Progress(Progress),
    Failed(String),
}

pub struct LoadSpec {
    pub path: String,
    pub format: Option<Format>,
    pub follow: bool,
}

/// A snapshot clones the report; five a second keeps the UI fresh without
/// spending the parse's time on copies.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(200);
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// Parses `src` on a thread, sending snapshots and progress; stops when
/// `stop` is set (after the current parse).
pub fn spawn(src: Source, spec: LoadSpec, tx: Sender<Event>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("leakscope-loader".into())
        .spawn(move || run(src, spec, &tx, &stop))
        .expect("spawning the loader thread");
}

fn run(src: Source, spec: LoadSpec, tx: &Sender<Event>, stop: &AtomicBool) {
    let mut seen = file_len(&spec.path);
    load(src, &spec, tx, true);
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
                if !load(src, &spec, tx, false) {
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
fn load(src: Source, spec: &LoadSpec, tx: &Sender<Event>, partial: bool) -> bool {
    let mut report = Report::new();
    let mut last_snapshot: Option<Instant> = None;
    let mut last = Progress::default();
    let mut alive = true;
    let result = read_source(&mut report, src, spec.format, &mut |r, p| {
        last = p;
        if !alive {
            return;
        }
        let due = last_snapshot.map_or(true, |t| t.elapsed() >= SNAPSHOT_EVERY);
        let msg = if partial && due {
            last_snapshot = Some(Instant::now());
            LoadMsg::Snapshot {
                report: Box::new(r.clone()),
                progress: p,
                done: false,
            }
        } else {
            LoadMsg::Progress(p)
        };
        alive = tx.send(Event::Load(msg)).is_ok();
    });
    if !alive {
        return false;
    }
    let msg = match result {
        Ok(()) => LoadMsg::Snapshot {
            report: Box::new(report),
            progress: last,
            done: true,
        },
        Err(e) => LoadMsg::Failed(e.to_string()),
    };
    tx.send(Event::Load(msg)).is_ok()
}
