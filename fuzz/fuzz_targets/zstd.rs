#![no_main]
//! A zstd stream (magic forced), then whatever format it holds.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    let mut input = MAGIC.to_vec();
    input.extend_from_slice(data.strip_prefix(&MAGIC[..]).unwrap_or(data));
    let _ = leakscope::parse::parse_bytes("fuzz.zst", &input, None);
});
