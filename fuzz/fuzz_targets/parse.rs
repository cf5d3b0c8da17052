#![no_main]
//! Any bytes, any format (detected or forced).

use libfuzzer_sys::fuzz_target;
use leakscope::model::Format;

fuzz_target!(|data: &[u8]| {
    for format in [None, Some(Format::ValgrindText), Some(Format::ValgrindXml), Some(Format::Lsan)] {
        let _ = leakscope::parse::parse_bytes("fuzz", data, format);
    }
});
