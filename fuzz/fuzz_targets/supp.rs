#![no_main]
//! Valgrind .supp files and LSan suppression files, as text: read as valgrind reads them, problems reported, never a panic.

use libfuzzer_sys::fuzz_target;
use leakscope::triage::rules::{lsan_supp, supp_file, RuleSet, Source};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = supp_file::parse("fuzz.supp", &text);
    let _ = lsan_supp::parse("fuzz.lsan", &text);
    let mut set = RuleSet::new();
    set.add_text("fuzz.supp", &text, Source::CommandLine);
});
