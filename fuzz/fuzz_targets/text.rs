#![no_main]
//! Valgrind's text output, any bytes: the parser returns; it never panics or hangs.

use libfuzzer_sys::fuzz_target;
use leakscope::model::Format;

fuzz_target!(|data: &[u8]| {
    let _ = leakscope::parse::parse_bytes("fuzz", data, Some(Format::ValgrindText));
});
