//! `leakscope run`: runs a program under valgrind, snapshots its leaks through
//! vgdb while it runs, and reads the run back. No terminal here: the headless
//! `--no-explore` path and the explorer both drive a [`session::Session`].
//!
//! A run directory holds valgrind's own log per process (`valgrind.PID.log`),
//! the program's output (`program.out`) and the snapshots
//! (`snapshot.PID.SEQ.log`, ordinary valgrind text) and each process's perf
//! map (`perf-PID.map`, copied from /tmp when it ends); `parse::rundir` reads
//! it, `parse::perfmap` finds the maps beside the logs.

pub mod duration;
pub mod headless;
pub mod outdir;
pub mod perfmaps;
pub mod python;
pub mod series;
pub mod session;
pub mod snapshot;
pub mod tools;

pub use duration::parse_duration;
pub use session::{exit_code, RunEvent, RunSpec, Session};
