//! The report model: what a memcheck (or LeakSanitizer) run said, independent of
//! the format it was written in. Parsers fill it; triage, writers and the explorer
//! only read it.

mod error;
mod frame;
mod frame_table;
mod id_index;
mod interner;
mod leak;
mod location_keys;
mod packed;
mod process;
mod report;
mod spans;
mod stacks;
mod summary;

pub use error::{AuxStack, ErrorKind, MemcheckError};
pub use frame::{base_name, without_interceptor, JIT_CODE};
pub use frame::{At, Frame, FrameRef, Name, NamedBy};
pub use interner::{FrameId, Interner, Remap, StackId};
pub use leak::{LeakKind, LossRecord};
pub use packed::{Frames, FramesIter, PackBuilder, Packed, Run};
pub use process::{LeakSearch, OfRuns, Process, SearchOrigin, UsedSuppression};
pub use report::{Format, Input, Report, Warning};
pub use stacks::StackBuilder;
pub use summary::{ErrorSummary, Figure, HeapSummary, LeakSummary};

/// The hasher for maps keyed by text from the log (locations, names,
/// unique ids): keyed with a per-process random seed, because FxHash's
/// byte hashing takes no key and texts built to share one FxHash would make
/// every look-up walk one probe sequence (see the interner's test). Only for
/// maps that are looked up, never iterated for output: their order changes
/// from run to run.
pub type TextKeyed = foldhash::fast::RandomState;
