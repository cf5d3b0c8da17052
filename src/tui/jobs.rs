//! Background work for the UI thread, newest job wins (as gitui's
//! AsyncSingleJob): one worker thread, one slot per kind of job. A job
//! submitted while an older one of its kind still waits replaces it — only
//! the newest report snapshot is worth building, only the last `L` worth
//! loading. Results come back as events; what a replaced job held, and the
//! models the UI thread lets go of, are freed here, not on the UI thread.

use super::action::Action;
use super::event::Event;
use super::loader::Snapshot;
use crate::explore::{EngineState, Explorer};
use crate::parse::Progress;
use crate::triage::rules::{RuleOptions, RuleSet};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

/// A model built off the UI thread from a snapshot, for [`Explorer::adopt`].
pub struct Built {
    pub model: Explorer,
    pub progress: Progress,
    pub done: bool,
}

/// Rules loaded again (L) and decided on the report of parse `parse`.
pub struct Reloaded {
    pub set: Arc<RuleSet>,
    pub hiding: crate::triage::rules::Hiding,
    pub parse: u64,
}

#[derive(Default)]
struct Slots {
    build: Option<(Explorer, Box<Snapshot>)>,
    reload: Option<(RuleOptions, Arc<crate::model::Report>, u64)>,
    /// Things to free off the UI thread.
    garbage: Vec<Box<dyn Send>>,
    closed: bool,
}

pub struct Jobs {
    shared: Arc<(Mutex<Slots>, Condvar)>,
}

impl Jobs {
    pub fn spawn(tx: Sender<Event>) -> Jobs {
        let shared = Arc::new((Mutex::new(Slots::default()), Condvar::new()));
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("leakscope-jobs".into())
            .spawn(move || work(&worker, &tx))
            .expect("spawning the job thread");
        Jobs { shared }
    }

    fn with(&self, f: impl FnOnce(&mut Slots)) {
        let (lock, cv) = &*self.shared;
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        cv.notify_one();
    }

    /// Builds a model of `snapshot` with `seed`'s inputs; answers with
    /// `Action::Built`.
    pub fn build(&self, seed: Explorer, snapshot: Box<Snapshot>) {
        self.with(|s| {
            if let Some(old) = s.build.replace((seed, snapshot)) {
                s.garbage.push(Box::new(old));
            }
        });
    }

    /// Loads the rules again and decides them on `report`; answers with
    /// `Action::RulesReloaded` or a notice.
    pub fn reload(&self, opts: RuleOptions, report: Arc<crate::model::Report>, parse: u64) {
        self.with(|s| s.reload = Some((opts, report, parse)));
    }

    /// Frees `thing` on the worker.
    pub fn discard(&self, thing: impl Send + 'static) {
        self.with(|s| s.garbage.push(Box::new(thing)));
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.with(|s| s.closed = true);
    }
}

fn work(shared: &(Mutex<Slots>, Condvar), tx: &Sender<Event>) {
    let (lock, cv) = shared;
    // The last engine state built: the next snapshot of the same parse only
    // matches its new records.
    let mut engine: Option<EngineState> = None;
    loop {
        let (build, reload, garbage) = {
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            while s.build.is_none() && s.reload.is_none() && s.garbage.is_empty() && !s.closed {
                s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            if s.closed {
                return;
            }
            (
                s.build.take(),
                s.reload.take(),
                std::mem::take(&mut s.garbage),
            )
        };
        drop(garbage);
        if let Some((opts, report, parse)) = reload {
            let action = match RuleSet::load(&opts) {
                Ok(set) => {
                    let hiding = set.apply(&report);
                    Action::RulesReloaded(Box::new(Reloaded {
                        set: Arc::new(set),
                        hiding,
                        parse,
                    }))
                }
                Err(e) => Action::Notify(format!("Could not load the rules: {e}")),
            };
            if tx.send(Event::Job(action)).is_err() {
                return;
            }
        }
        if let Some((mut model, snap)) = build {
            if let Some(e) = engine.take() {
                model.offer_engine(e);
            }
            let snap = *snap;
            let growth = snap.growth_source();
            model.load(snap.report, snap.parse, growth);
            engine = model.engine_state();
            let built = Built {
                model,
                progress: snap.progress,
                done: snap.done,
            };
            if tx.send(Event::Job(Action::Built(Box::new(built)))).is_err() {
                return;
            }
        }
    }
}
