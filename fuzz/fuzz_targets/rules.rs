#![no_main]
//! The rule matcher: rules from the input applied to real reports (valgrind text with C++ frames, and LSan); the first line is also tried as a pattern against every frame name.

use libfuzzer_sys::fuzz_target;
use leakscope::model::Report;
use leakscope::triage::rules::pattern::Wildcard;
use leakscope::triage::rules::{RuleSet, Source};
use std::sync::OnceLock;

static REPORTS: OnceLock<Vec<Report>> = OnceLock::new();

fn reports() -> &'static [Report] {
    REPORTS.get_or_init(|| {
        [
            &include_bytes!("../../tests/fixtures/leaky.txt")[..],
            &include_bytes!("../../tests/fixtures/mangled.txt")[..],
            &include_bytes!("../../tests/fixtures/lsan.txt")[..],
        ]
        .iter()
        .map(|log| leakscope::parse::parse_bytes("seed", log, None).expect("fixture parses"))
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut set = RuleSet::new();
    set.add_text("fuzz.supp", &text, Source::CommandLine);
    for report in reports() {
        let hiding = set.apply(report);
        let _ = hiding.process_hidden(0);
    }
    let first = text.lines().next().unwrap_or("");
    let pattern = Wildcard::new(first);
    for report in reports() {
        for p in &report.processes {
            for r in p.loss_records() {
                for &f in report.interner.stack(r.stack) {
                    if let Some(name) = &report.interner.frame(f).function {
                        let _ = pattern.matches(name);
                    }
                }
            }
        }
    }
});
