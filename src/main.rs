use clap::Parser;
use leakscope::cli::{run, Cli};

fn main() {
    tune_malloc();
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("leakscope: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

/// Large blocks (256 KiB and up) always get pages of their own, handed back
/// when freed. glibc otherwise raises that threshold to the largest block
/// freed so far (up to 32 MiB): the interner's indices and the chunk
/// buffers then come from the heap, and what a grown index left behind
/// stays resident — 6 MB of the 1 M small records' peak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    // SAFETY: sets one of malloc's parameters, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
