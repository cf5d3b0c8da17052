//! Inputs that are broken, mixed or mislabelled: each gives a clear message
//! and whatever could be read, never a panic.

mod common;

use common::{fixture, load};
use leakscope::model::{Format, Report};
use leakscope::parse::{parse_bytes, LoadError};
use leakscope::report::summarize;
use std::io::Write;

fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).expect("fixture")
}

fn leaks_json(r: &Report) -> serde_json::Value {
    serde_json::to_value(&summarize(r).processes[0].leaks).expect("json")
}

#[test]
fn malformed_xml_warns_with_its_line_and_reads_on() {
    let xml = String::from_utf8(bytes("leaky.xml")).expect("utf-8");
    let at = xml.find("</what>").expect("a </what>");
    let line = xml[..at].matches('\n').count() as u64 + 1;
    let broken = format!("{}</wot>{}", &xml[..at], &xml[at + "</what>".len()..]);
    let r = parse_bytes("broken.xml", broken.as_bytes(), None).expect("reads");
    let w = &r.inputs[0].warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].line, line);
    assert!(w[0].message.contains("malformed XML"), "{}", w[0].message);
    let p = &r.processes[0];
    assert_eq!((p.errors.len(), p.loss_records().len()), (8, 9));
    assert_eq!(leaks_json(&r), leaks_json(&load("leaky.xml")));
}

#[test]
fn garbage_inside_xml_is_survived() {
    let xml = String::from_utf8(bytes("leaky.xml")).expect("utf-8");
    let mid = xml.len() / 2;
    let mid = (mid..xml.len())
        .find(|&i| xml.is_char_boundary(i))
        .unwrap_or(mid);
    let broken = format!("{}<<&<!x>]]></error></error>{}", &xml[..mid], &xml[mid..]);
    let r = parse_bytes("garbage.xml", broken.as_bytes(), None).expect("reads");
    assert!(!r.inputs[0].warnings.is_empty());
    assert!(!r.processes[0].errors.is_empty());
}

#[test]
fn an_xml_fragment_inside_a_text_log_is_just_text() {
    let txt = String::from_utf8(bytes("leaky.txt")).expect("utf-8");
    let (head, tail) = txt.split_at(txt.find("==11").expect("prefixed line"));
    let fragment = "<error>\n  <kind>Leak_DefinitelyLost</kind>\n  <xwhat><text>999 bytes in 9 blocks are definitely lost in loss record 1 of 1</text></xwhat>\n</error>\n";
    let mut lines: Vec<&str> = tail.lines().collect();
    lines.insert(20, fragment.trim_end());
    let mixed = format!("{head}{}\n", lines.join("\n"));
    let r = parse_bytes("mixed.txt", mixed.as_bytes(), None).expect("reads");
    assert_eq!(r.inputs[0].format, Format::ValgrindText);
    assert_eq!(leaks_json(&r), leaks_json(&load("leaky.txt")));
}

#[test]
fn a_text_log_behind_an_xml_header_is_refused_clearly() {
    let mut data = b"<?xml version=\"1.0\"?>\n<valgrindoutput>\n".to_vec();
    data.extend(bytes("leaky.txt"));
    match parse_bytes("odd.log", &data, None) {
        Err(LoadError::Nothing { detail, .. }) => {
            assert!(detail.contains("XML ends inside"), "{detail}")
        }
        other => panic!(
            "expected a clear refusal, got {:?}",
            other.map(|r| r.processes.len())
        ),
    }
}

#[test]
fn a_truncated_gzip_keeps_what_decompressed() {
    let r = load("truncated.txt.gz");
    let w = &r.inputs[0].warnings;
    assert!(
        w.iter()
            .any(|w| w.line > 0 && w.message.contains("truncated or corrupt")),
        "{w:?}"
    );
    assert!(!r.processes[0].errors.is_empty());

    // The same for XML: leaky.xml gzipped, then cut.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes("leaky.xml")).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let cut = &gz[..gz.len() * 6 / 10];
    let r = parse_bytes("cut.xml.gz", cut, None).expect("reads");
    assert_eq!(r.inputs[0].format, Format::ValgrindXml);
    let msgs: Vec<&str> = r.inputs[0]
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("truncated or corrupt")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("XML ends inside")),
        "{msgs:?}"
    );
    assert!(!r.processes[0].errors.is_empty());
}

#[test]
fn compressed_logs_read_as_the_plain_ones() {
    let plain = load("leaky.txt");
    for rel in ["leaky.txt.gz", "leaky.txt.zst"] {
        let r = load(rel);
        assert!(r.inputs[0].warnings.is_empty(), "{rel}");
        assert_eq!(leaks_json(&r), leaks_json(&plain), "{rel}");
        assert_eq!(r.inputs[0].bytes, plain.inputs[0].bytes, "{rel}");
    }
    let xml = bytes("leaky.xml");
    let zst =
        ruzstd::encoding::compress_to_vec(&xml[..], ruzstd::encoding::CompressionLevel::Fastest);
    let r = parse_bytes("leaky.xml.zst", &zst, None).expect("reads");
    assert_eq!(r.inputs[0].format, Format::ValgrindXml);
    assert_eq!(leaks_json(&r), leaks_json(&load("leaky.xml")));
    assert_eq!(r.inputs[0].bytes, xml.len() as u64);
}

#[test]
fn not_a_log_is_an_error_that_says_why() {
    let nothing = |rel: &str, format: Option<Format>| match parse_bytes(rel, &bytes(rel), format) {
        Err(LoadError::Nothing { detail, .. }) => detail,
        Err(e) => panic!("{rel}: unexpected error {e}"),
        Ok(_) => panic!("{rel}: read as a log"),
    };
    assert!(nothing("binary.bin", None).contains("binary"));
    nothing("not-a-log.txt", None);
    assert!(nothing("leaky.txt", Some(Format::ValgrindXml)).contains("<valgrindoutput>"));
    assert!(nothing("leaky.txt", Some(Format::Lsan)).contains("sanitizer"));
    assert!(parse_bytes("empty", b"", None).is_err());
}
