//! Whatever two (or three) logs hold, `diff` and its writers return: mangled
//! real logs reach the process pairing, the signatures and the frame
//! shortening with shapes no fixture has.

mod common;

use leakscope::model::Report;
use leakscope::report::diff::{diff_output, trend_output};
use leakscope::report::diff_text::{self, TextOptions};
use leakscope::report::short::{short_function, ShortLabel};
use leakscope::report::trend_text;
use leakscope::triage::diff::{diff, DiffOptions};
use leakscope::triage::hide::NoRules;
use leakscope::triage::signature::SignatureOptions;
use leakscope::triage::trend::trends;
use proptest::prelude::*;

fn lines(rel: &str) -> Vec<String> {
    std::fs::read_to_string(common::fixture(rel))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Line-level edits: drop, duplicate, move, or rewrite a line's PID prefix or
/// a character, so records, processes and stacks come out torn and mixed.
#[derive(Debug, Clone)]
enum Edit {
    Drop(usize),
    Dup(usize),
    Swap(usize, usize),
    Pid(usize, u16),
    Char(usize, usize, char),
}

fn apply(mut l: Vec<String>, edits: &[Edit]) -> String {
    for e in edits {
        let n = l.len().max(1);
        match *e {
            Edit::Drop(i) if !l.is_empty() => {
                l.remove(i % n);
            }
            Edit::Dup(i) if !l.is_empty() => {
                let s = l[i % n].clone();
                l.insert(i % n, s);
            }
            Edit::Swap(i, j) if !l.is_empty() => l.swap(i % n, j % n),
            Edit::Pid(i, pid) if !l.is_empty() => {
                let s = &mut l[i % n];
                if let Some(end) = s.get(2..).and_then(|t| t.find("==")) {
                    s.replace_range(..end + 4, &format!("=={pid}=="));
                }
            }
            Edit::Char(i, at, c) if !l.is_empty() => {
                let s = &mut l[i % n];
                let cut = s
                    .char_indices()
                    .nth(at % (s.chars().count() + 1))
                    .map_or(s.len(), |(b, _)| b);
                s.insert(cut, c);
            }
            _ => {}
        }
    }
    l.join("\n")
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Dup),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), 1u16..5).prop_map(|(a, p)| Edit::Pid(a, p)),
        (any::<usize>(), any::<usize>(), any::<char>()).prop_map(|(a, b, c)| Edit::Char(a, b, c)),
    ]
}

fn parse(text: &str) -> Option<Report> {
    leakscope::parse::parse_bytes("prop", text.as_bytes(), None).ok()
}

fn run_all(reports: &[Report], depth: usize, ignore_lines: bool) {
    let sig = SignatureOptions {
        depth,
        ignore_lines,
        by_origin: false,
    };
    let text = TextOptions {
        all: true,
        width: 60,
        rules_applied: false,
    };
    if let [a, b] = reports {
        let d = diff(a, b, &DiffOptions { signature: sig }, &NoRules);
        let deltas: Vec<i128> = d.groups.iter().map(|g| g.delta_total_bytes()).collect();
        assert!(deltas.windows(2).all(|w| w[0] >= w[1]));
        let o = diff_output(a, b, &d, &sig, &|_| None);
        let _ = diff_text::write(&o, &text);
        serde_json::to_string(&o).unwrap();
    }
    let runs: Vec<&Report> = reports.iter().collect();
    let t = trends(&runs, &sig, &NoRules);
    let o = trend_output(&runs, &t, &sig, &|_| None);
    let _ = trend_text::write(&o, &text);
    serde_json::to_string(&o).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mangled_logs_diff_without_panic(
        a in prop::collection::vec(edit(), 0..30),
        b in prop::collection::vec(edit(), 0..30),
        c in prop::collection::vec(edit(), 0..30),
        depth in 1usize..6,
        ignore_lines in any::<bool>(),
    ) {
        let sources = [lines("multi-pid.txt"), lines("leaky.txt"), lines("multi-pid-stderr.txt")];
        let reports: Vec<Report> = [a, b, c]
            .iter()
            .zip(sources)
            .filter_map(|(e, src)| parse(&apply(src, e)))
            .collect();
        if reports.len() >= 2 {
            run_all(&reports[..2], depth, ignore_lines);
            run_all(&reports, depth, ignore_lines);
        }
    }

    #[test]
    fn any_function_name_shortens_and_fits(name in ".{0,200}", width in 1usize..80) {
        let f = short_function(&name);
        let label = ShortLabel { function: f, place: Some("in x.so".into()) };
        prop_assert!(label.fit(width).chars().count() <= width);
    }

    #[test]
    fn cpp_like_names_shorten(name in "[a-z:<>(), &*\\[\\]~=!]{0,120}") {
        let _ = short_function(&name);
        let _ = short_function(&format!("{name}(int) const"));
        let _ = short_function(&format!("void operator{name}<T>(x) [clone .isra.0]"));
    }
}
