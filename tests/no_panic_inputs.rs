//! Property: no mutation of a real XML log or sanitizer report makes a
//! parser panic. (Stable Rust only here, so this is the binding no-panic
//! check; cargo-fuzz targets run by hand.)

mod common;

use common::fixture;
use leakscope::model::Format;
use leakscope::parse::parse_bytes;
use proptest::prelude::*;

/// Bytes that steer a parser into its structural paths when spliced in.
const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#x0;",
    b"]]>",
    b"<![CDATA[",
    b"</error>",
    b"<error>",
    b"<stack>",
    b"</stack>",
    b"<frame>",
    b"</frame>",
    b"<suppression>",
    b"</suppression>",
    b"<leak_summary>",
    b"<usercomment>",
    b"</usercomment>",
    b"<valgrindoutput>",
    b"</valgrindoutput>",
    b"<kind>Leak_DefinitelyLost</kind>",
    b"<leakedbytes>",
    b"99999999999999999999999",
    b"\xff\xfe",
    b"\0",
    b"\n",
    b"\r\n",
    b"==1==ERROR: LeakSanitizer: detected memory leaks\n",
    b"==2==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n",
    b"Direct leak of 8 byte(s) in 1 object(s) allocated from:\n",
    b"    #0 0x1 in f (m+0x",
    b"SUMMARY: AddressSanitizer: ",
    b"READ of size 4 at 0x1\n",
    b"Suppressions used:\n",
    b"-----\n",
    b" (BuildId: ",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Token(usize, usize),
    Flip(usize, u8),
    /// Copies a slice somewhere else: repeated or reordered structure.
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0usize..200).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::Token(a, t)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (any::<usize>(), 0usize..400, any::<usize>())
            .prop_map(|(a, n, b)| Mutation::Splice(a, n, b)),
    ]
}

fn apply(base: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut d = base.to_vec();
    for m in muts {
        let at = |i: usize, d: &Vec<u8>| if d.is_empty() { 0 } else { i % (d.len() + 1) };
        match m {
            Mutation::Truncate(i) => {
                let i = at(*i, &d);
                d.truncate(i);
            }
            Mutation::Delete(i, n) => {
                let i = at(*i, &d);
                let end = (i + n).min(d.len());
                d.drain(i..end);
            }
            Mutation::Insert(i, b) => {
                let i = at(*i, &d);
                d.splice(i..i, b.iter().copied());
            }
            Mutation::Token(i, t) => {
                let i = at(*i, &d);
                d.splice(i..i, TOKENS[*t].iter().copied());
            }
            Mutation::Flip(i, b) => {
                if !d.is_empty() {
                    let i = i % d.len();
                    d[i] ^= b;
                }
            }
            Mutation::Splice(i, n, j) => {
                let i = at(*i, &d);
                let end = (i + n).min(d.len());
                let piece = d[i..end].to_vec();
                let j = at(*j, &d);
                d.splice(j..j, piece);
            }
        }
    }
    d
}

fn base(parts: &[&str]) -> Vec<u8> {
    parts
        .iter()
        .flat_map(|p| std::fs::read(fixture(p)).expect("fixture"))
        .collect()
}

// 256 cases each (proptest's default; PROPTEST_CASES raises it for a
// longer hunt): well under a second in all.
proptest! {

    #[test]
    fn mutated_xml_never_panics(
        muts in prop::collection::vec(mutation(), 1..8),
        forced in any::<bool>(),
    ) {
        thread_local!(static XML: Vec<u8> = base(&["leaky-gensupp.xml"]));
        let data = XML.with(|b| apply(b, &muts));
        let format = forced.then_some(Format::ValgrindXml);
        let _ = parse_bytes("m.xml", &data, format);
    }

    #[test]
    fn mutated_sanitizer_reports_never_panic(
        muts in prop::collection::vec(mutation(), 1..8),
        forced in any::<bool>(),
    ) {
        thread_local!(static LSAN: Vec<u8> =
            base(&["lsan.txt", "asan-uaf.txt", "asan-overflow.txt"]));
        let data = LSAN.with(|b| apply(b, &muts));
        let format = forced.then_some(Format::Lsan);
        let _ = parse_bytes("m.txt", &data, format);
    }
}

/// A protocol 6 document (no fixture from this machine's valgrind has one)
/// under the same mutations, so the summary paths are exercised too.
#[test]
fn mutated_protocol_6_never_panics() {
    let doc = std::fs::read(fixture(
        "valgrind-tests/VALGRIND_3_27_1/memcheck/tests/xml1.stderr.exp",
    ))
    .expect("fixture");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::default());
    runner
        .run(&prop::collection::vec(mutation(), 1..6), |muts| {
            let _ = parse_bytes("p6.xml", &apply(&doc, &muts), Some(Format::ValgrindXml));
            Ok(())
        })
        .expect("no panic");
}
