//! Line grammar of valgrind's text output: each function recognises one kind of
//! line and returns its parts, or `None`. No state here; the state machine in
//! `mod.rs` decides what a line means in context.

mod frame;
mod prefix;
mod record;

pub use frame::{frame_text, parse_frame};
pub use prefix::{after_binary_junk, split_prefix, Marker, Prefix, PrefixCache};
pub use record::{
    context_count, error_summary, figure, gdbserver_message, looks_like_record_header,
    record_header, used_suppression, RecordHeader,
};
