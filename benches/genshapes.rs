//! Builds valgrind text logs of the shapes that stress memory rather than
//! speed, for `benches/scale.sh`:
//! `cargo run --release --example genshapes -- SHAPE OUT`.
//!
//! - `small`: 1,000,000 small records, each distinct: its own size, number
//!   and caller address (a JIT or a long service allocates from ever new
//!   addresses), three frames each, callers spread over 1,000 functions.
//! - `deep`: one record whose stack is 1,000,000 frames deep (a runaway
//!   recursion cycling through 100 functions, as `--num-callers=1000000`
//!   would print it).
//! - `same`: 6,800,000 identical records (one leaking call site, printed
//!   once per record, e.g. with --show-leak-kinds=all on a service that
//!   never frees a cache entry).
//! - `names`: 1,000,000 distinct function names, 100 a record (a JIT that
//!   names every compiled function anew). Not one of issue 13's shapes: it
//!   measures what a distinct location costs, the one cost that grows
//!   with a log's distinct names rather than with its size.
//!
//! Every log ends with a LEAK SUMMARY that agrees with its records, so a
//! parser can be checked on it.

use std::io::{BufWriter, Write};

const PRE: &str = "==31337== ";
const MALLOC: &str =
    "at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)";

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: genshapes small|deep|same|names OUT");
        std::process::exit(2);
    }
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[2])?);
    for l in [
        "Memcheck, a memory error detector",
        "Command: ./service --port 8080",
        "",
        "HEAP SUMMARY:",
    ] {
        writeln!(w, "{PRE}{l}")?;
    }
    let (bytes, blocks) = match args[1].as_str() {
        "small" => small(&mut w)?,
        "deep" => deep(&mut w)?,
        "same" => same(&mut w)?,
        "names" => names(&mut w)?,
        other => {
            eprintln!("unknown shape {other}");
            std::process::exit(2);
        }
    };
    writeln!(w, "{PRE}LEAK SUMMARY:")?;
    writeln!(
        w,
        "{PRE}   definitely lost: {bytes} bytes in {blocks} blocks"
    )?;
    for k in [
        "   indirectly lost",
        "     possibly lost",
        "   still reachable",
        "        suppressed",
    ] {
        writeln!(w, "{PRE}{k}: 0 bytes in 0 blocks")?;
    }
    writeln!(w, "{PRE}")?;
    writeln!(
        w,
        "{PRE}ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)"
    )?;
    w.flush()
}

fn header(w: &mut impl Write, bytes: u64, blocks: u64, n: u64, of: u64) -> std::io::Result<()> {
    writeln!(
        w,
        "{PRE}{bytes} bytes in {blocks} blocks are definitely lost in loss record {n} of {of}"
    )
}

fn small(w: &mut impl Write) -> std::io::Result<(u64, u64)> {
    const N: u64 = 1_000_000;
    let mut sum = 0;
    for n in 1..=N {
        let size = 16 + (n % 4096);
        header(w, size, 1, n, N)?;
        writeln!(w, "{PRE}   {MALLOC}")?;
        writeln!(
            w,
            "{PRE}   by 0x{:X}: handler_{} (in /usr/lib/x86_64-linux-gnu/libservice.so.2)",
            0x5A00000 + n * 16,
            n % 1000
        )?;
        writeln!(w, "{PRE}   by 0x10A1F3: main (service.c:88)")?;
        writeln!(w, "{PRE}")?;
        sum += size;
    }
    Ok((sum, N))
}

fn deep(w: &mut impl Write) -> std::io::Result<(u64, u64)> {
    const FRAMES: u64 = 1_000_000;
    header(w, 64, 1, 1, 1)?;
    writeln!(w, "{PRE}   {MALLOC}")?;
    for i in 1..FRAMES {
        let f = i % 100;
        writeln!(
            w,
            "{PRE}   by 0x{:X}: walk_{f} (tree.c:{})",
            0x109000 + f * 0x40,
            100 + f
        )?;
    }
    writeln!(w, "{PRE}")?;
    Ok((64, 1))
}

fn same(w: &mut impl Write) -> std::io::Result<(u64, u64)> {
    const N: u64 = 6_800_000;
    for n in 1..=N {
        header(w, 32, 1, n, N)?;
        writeln!(w, "{PRE}   {MALLOC}")?;
        writeln!(w, "{PRE}   by 0x4A01897: cache_put (cache.c:2003)")?;
        writeln!(w, "{PRE}   by 0x49FAB84: handle_request (server.c:400)")?;
        writeln!(w, "{PRE}   by 0x10A1F3: main (service.c:88)")?;
        writeln!(w, "{PRE}")?;
    }
    Ok((32 * N, N))
}

fn names(w: &mut impl Write) -> std::io::Result<(u64, u64)> {
    const N: u64 = 10_000;
    const FRAMES: u64 = 100;
    for n in 1..=N {
        header(w, 48, 1, n, N)?;
        writeln!(w, "{PRE}   {MALLOC}")?;
        for f in 0..FRAMES {
            let id = (n - 1) * FRAMES + f;
            writeln!(
                w,
                "{PRE}   by 0x{:X}: jit_fn_{id:07} (in /tmp/perf-31337.jit)",
                0x7F0000000000u64 + id * 0x40
            )?;
        }
        writeln!(w, "{PRE}")?;
    }
    Ok((48 * N, N))
}
