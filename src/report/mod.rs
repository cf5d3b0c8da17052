//! Headless outputs: the triage summary as text or JSON. Both are views of one
//! computed [`summary::Summary`], so they cannot disagree.

pub mod human;
pub mod summary;
pub mod text;

pub use summary::{summarize, Summary};
