#![no_main]
//! C++ names both ways: demangling, normalising, splitting into components, pseudo-mangling and the wildcard a generalised rule uses.

use libfuzzer_sys::fuzz_target;
use leakscope::triage::rules::names;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = names::looks_mangled(&s);
    if let Some(d) = names::demangle(&s) {
        let _ = names::pseudo_mangle(&d);
    }
    let n = names::normalize(&s);
    let _ = names::components(&n);
    let _ = names::pseudo_mangle(&s);
    let _ = names::wildcard_for(&s);
});
