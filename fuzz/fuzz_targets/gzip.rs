#![no_main]
//! A gzip stream (the magic is forced so every input takes the decoder path), then whatever format it holds.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = vec![0x1f, 0x8b];
    input.extend_from_slice(data.strip_prefix(&[0x1f, 0x8b][..]).unwrap_or(data));
    let _ = leakscope::parse::parse_bytes("fuzz.gz", &input, None);
});
