//! Headless outputs: the triage summary as text or JSON, and the CI formats
//! (SARIF, GitHub annotations, Markdown, GitLab Code Quality, JUnit). All are
//! views of one computed [`summary::Summary`] or diff, so they cannot disagree.

pub mod ci;
pub mod diff;
pub mod diff_text;
pub mod findings;
pub mod flamegraph;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod junit;
pub mod kinds;
pub mod markdown;
pub mod sarif;
pub mod short;
pub mod source_tree;
pub mod summary;
pub mod text;
pub mod timeline;
pub mod trend_text;

pub use summary::{summarize, Summary};
