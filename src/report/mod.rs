//! Headless outputs: the triage summary as text or JSON. Both are views of one
//! computed [`summary::Summary`], so they cannot disagree.

pub mod diff;
pub mod diff_text;
pub mod human;
pub mod short;
pub mod summary;
pub mod text;
pub mod timeline;
pub mod trend_text;

pub use summary::{summarize, Summary};
