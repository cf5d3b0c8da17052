//! leakscope: read Valgrind memcheck and LeakSanitizer reports, triage them, and
//! explore them. Everything here except `tui` works without a terminal.

pub mod argv;
pub mod cli;
pub mod explore;
pub mod model;
pub mod parse;
pub mod report;
pub mod run;
pub mod sanitize;
pub mod triage;
#[cfg(feature = "tui")]
pub mod tui;
