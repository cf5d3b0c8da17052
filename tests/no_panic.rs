//! Whatever the bytes, the parsers return: a report with warnings or an error,
//! never a panic or a hang. (cargo-fuzz targets in fuzz/ run the same entry
//! point for longer, by hand.)

mod common;

use proptest::prelude::*;

fn parse(data: &[u8]) {
    let _ = leakscope::parse::parse_bytes("prop", data, None);
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(common::fixture(name)).unwrap()
}

/// Edits that keep most of a real log's shape: the inputs that reach deep
/// into the state machine, unlike random bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Cut(usize),
    Dup(usize, usize),
    Drop(usize, usize),
    Insert(usize, Vec<u8>),
}

fn apply(mut d: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = d.len().max(1);
        match e {
            Edit::Flip(i, b) => {
                if !d.is_empty() {
                    let i = i % n;
                    d[i] ^= b;
                }
            }
            Edit::Cut(i) => d.truncate(i % n),
            Edit::Dup(i, len) => {
                let i = i % n;
                let end = (i + len).min(d.len());
                let piece = d[i..end].to_vec();
                d.splice(i..i, piece);
            }
            Edit::Drop(i, len) => {
                let i = i % n;
                let end = (i + len).min(d.len());
                d.drain(i..end);
            }
            Edit::Insert(i, bytes) => {
                let i = i % n;
                d.splice(i..i, bytes.iter().copied());
            }
        }
    }
    d
}

fn edit() -> impl Strategy<Value = Edit> {
    let snippet = prop_oneof![
        Just(b"\n==1== ".to_vec()),
        Just(b"\n{\n".to_vec()),
        Just(b"\n}\n".to_vec()),
        Just(b" in loss record 1 of 1\n".to_vec()),
        Just(b"==9==    at 0x: (\n".to_vec()),
        Just(b"\n==2== LEAK SUMMARY:\n".to_vec()),
        Just(vec![0xff, 0xfe, 0x1b, b'[', 0]),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(i, b)| Edit::Flip(i, b)),
        any::<usize>().prop_map(Edit::Cut),
        (any::<usize>(), 0usize..400).prop_map(|(i, l)| Edit::Dup(i, l)),
        (any::<usize>(), 0usize..400).prop_map(|(i, l)| Edit::Drop(i, l)),
        (any::<usize>(), snippet).prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse(&data);
    }

    #[test]
    fn mutated_text_logs_never_panic(
        which in 0usize..4,
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let name = ["leaky.txt", "leaky-gensupp.txt", "multi-pid.txt", "delta.txt"][which];
        parse(&apply(seed(name), &edits));
    }

    #[test]
    fn mutated_compressed_logs_never_panic(edits in prop::collection::vec(edit(), 1..4)) {
        parse(&apply(seed("leaky.txt.gz"), &edits));
        parse(&apply(seed("leaky.txt.zst"), &edits));
    }
}
