//! Whatever a rules file or a function name holds, the rule engine answers:
//! problems with lines, or a verdict, never a panic.

mod common;

use leakscope::model::Frame;
use leakscope::triage::rules::names::{
    components, pseudo_mangle, wildcard_for, FrameNames, FunPattern,
};
use leakscope::triage::rules::pattern::{lsan_template_match, Wildcard};
use leakscope::triage::rules::{RuleSet, Source};
use proptest::prelude::*;

/// Lines that look like suppression syntax, so random files reach deep.
fn supp_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("...".to_string()),
        Just("Memcheck:Leak".to_string()),
        Just("Memcheck:Param".to_string()),
        Just("Memcheck:FishyValue".to_string()),
        Just("match-leak-kinds: definite,possible".to_string()),
        Just("# why: x".to_string()),
        Just("leak:foo*".to_string()),
        "(fun|obj|src):[ -~\u{80}-\u{10ffff}]{0,20}".prop_map(|s| s),
        "[ -~\u{80}-\u{10ffff}]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn rule_files_never_panic(lines in proptest::collection::vec(supp_line(), 0..40)) {
        let text = lines.join("\n");
        let mut rules = RuleSet::new();
        rules.add_text("p.supp", &text, Source::CommandLine);
        for p in rules.problems() {
            prop_assert!(p.line as usize <= lines.len());
        }
        let report = common::load("leaky.txt");
        let _ = rules.apply(&report);
    }

    #[test]
    fn names_never_panic(name in "[ -~\u{80}-\u{10ffff}]{0,60}", pat in "[*?_Za-z0-9:<>()]{0,20}") {
        let _ = components(&name);
        let _ = pseudo_mangle(&name);
        let _ = wildcard_for(&name);
        let f = Frame { function: Some(name.as_str().into()), ..Frame::default() };
        let names = FrameNames::of(&f, None);
        let _ = FunPattern::new(&pat).matches(&names);
        let _ = Wildcard::new(&pat).matches(&name);
        let _ = lsan_template_match(&pat, &name);
    }

    #[test]
    fn demangled_cxx_names_never_panic(
        parts in proptest::collection::vec("[a-z_~<>, *&()]{1,8}", 1..6),
        params in "[a-z ,*&<>():]{0,30}",
    ) {
        let name = format!("{}({params}) const", parts.join("::"));
        let _ = pseudo_mangle(&name);
        let _ = wildcard_for(&name);
    }
}
