#![no_main]
//! LeakSanitizer / AddressSanitizer reports, any bytes.

use libfuzzer_sys::fuzz_target;
use leakscope::model::Format;

fuzz_target!(|data: &[u8]| {
    let _ = leakscope::parse::parse_bytes("fuzz", data, Some(Format::Lsan));
});
