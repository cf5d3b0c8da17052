//! Handing freed memory back to the system between the explorer's big
//! steps.
//!
//! glibc gives each thread that allocates its own arena, and memory freed
//! in an arena stays resident until that arena's own thread allocates
//! again. The parse's merge (the loader thread) and the rule matcher's
//! threads free several MB in arenas no later step allocates from; on the
//! 1.1 GB log that was 8 MB of the explorer's resident memory for good,
//! and on the 1 M small records 1 MB after the parse.

/// Returns free pages of every malloc arena to the system
/// (`malloc_trim`); a few milliseconds, once per load.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only releases memory malloc holds free; it is
    // thread-safe (it locks each arena in turn).
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}
