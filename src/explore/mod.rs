//! The explorer's model, with no terminal in it: a report, the inputs a user
//! chooses (grouping, sort, filter, hand-made hide rules, rule toggles,
//! show-hidden, a growth source) and what is derived from them, rebuilt in
//! stages — frames → index → rule verdicts → growth → projection → rows — so
//! that a change recomputes only the stages after it ([`Explorer`]).
//!
//! Everything that decides what the explorer shows lives here: the tree's
//! shape (`index`), which items a rule or the filter hides and every node's
//! totals (`projection`), the rows (`tree`), the detail pane's
//! content (`detail`). The terminal explorer (`crate::tui`) draws it and
//! turns keys into calls on it; tests and benches drive it directly.

pub mod detail;
pub mod filter;
pub mod frames;
pub mod growth;
pub mod heap;
pub mod hide;
pub mod index;
mod members;
mod model;
pub mod notices;
pub mod places;
pub mod projection;
pub mod timeline;
pub mod toggles;
pub mod tree;

pub use model::{EngineState, Explorer, Inputs, RowsView, Stage};
pub use toggles::Toggles;
