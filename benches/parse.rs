//! Parse throughput on a real log held in memory (criterion). For the 1 GB
//! comparison with `wc -l` and peak memory, see benches/parse_vs_wc.sh.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::Read;

fn real_log() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/numba-seed.txt.gz"
    );
    let raw = std::fs::read(path).expect("fixture");
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

fn parse(c: &mut Criterion) {
    let data = real_log();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("numba-seed.txt (9 MB, text)", |b| {
        b.iter(|| leakscope::parse::parse_bytes("bench", &data, None).expect("parses"))
    });
    g.bench_function("wc -l equivalent (memchr count)", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', &data).count())
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
