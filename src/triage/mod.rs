//! Triage: turning a report's records into what a person reads first — groups
//! with totals, and (with rules) what is noise and what is left.

pub mod compare;
pub mod diff;
pub mod group;
pub mod halves;
pub mod hidden_growth;
pub mod hide;
pub mod own;
pub mod pairing;
pub mod rules;
pub mod settled;
pub mod signature;
pub mod tally;
pub mod timeline;
pub mod totals;
pub mod trend;

pub use group::{
    group_error_indices, group_errors, group_indices, group_label, group_records, is_allocator,
    top_frame, ErrorGroup, GroupBy, LeakGroup,
};
pub use totals::{leak_totals, Totals};
