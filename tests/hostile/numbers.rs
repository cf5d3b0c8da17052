//! Exact figures past 2^64, and headers or numbering valgrind never writes:
//! warned with their line and counted, never turned into kinds.

use super::*;

#[test]
fn totals_past_2_64_are_exact_in_text_xml_and_lsan() {
    let d = tmp();
    let two = [
        (TWO_63_COMMAS, "definitely lost", "a"),
        (TWO_63_COMMAS, "definitely lost", "b"),
    ];
    write(d.path(), "big.txt", text_log(&two));
    write(
        d.path(),
        "big.xml",
        xml_log(&[(TWO_63, "a"), (TWO_63, "b")]),
    );
    write(
        d.path(),
        "big-lsan.txt",
        lsan_log(&[(TWO_63, "a"), (TWO_63, "b")]),
    );
    for name in ["big.txt", "big.xml", "big-lsan.txt"] {
        let j = json_text(d.path(), name);
        let dl = &j[j.find("\"definitely_lost\"").expect("leaks")..];
        assert!(
            dl.starts_with(&format!(
                "\"definitely_lost\": {{\n          \"bytes\": {TWO_64},\n          \"total_bytes\": {TWO_64},\n          \"blocks\": 2,"
            )),
            "{name}: {}",
            &dl[..200.min(dl.len())]
        );
        let text = run_in(d.path(), &["summary", name], None);
        assert_eq!(text.code, Some(0));
        let line = text
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("definitely lost"))
            .expect("kind table");
        assert!(line.contains("16.0 EiB"), "{name}: {line}");
        assert!(
            line.contains("18,446,744,073,709,551,616"),
            "{name}: {line}"
        );
        // Each group is half of the whole, not "8192 PiB" of "32 B".
        assert!(text.stdout.contains("8.0 EiB"), "{name}: {}", text.stdout);
    }
}

#[test]
fn diff_past_2_64_grows_exactly() {
    let d = tmp();
    write(
        d.path(),
        "base.txt",
        text_log(&[("1", "definitely lost", "a")]),
    );
    write(
        d.path(),
        "new.txt",
        text_log(&[
            (TWO_63_COMMAS, "definitely lost", "a"),
            (TWO_63_COMMAS, "definitely lost", "b"),
        ]),
    );
    let r = run_in(
        d.path(),
        &["diff", "--format", "json", "base.txt", "new.txt"],
        None,
    );
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // a grew by 2^63 - 1, b is new with 2^63: 2^64 - 1 in all.
    assert!(
        r.stdout
            .contains("\"visible_growth\": 18446744073709551615"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("\"delta_total_bytes\": 9223372036854775807"));
    assert!(!r.stdout.contains("\"shrunk\""), "{}", r.stdout);
    let text = run_in(d.path(), &["diff", "base.txt", "new.txt"], None);
    assert_eq!(text.code, Some(0));
    assert!(text.stdout.contains("+16.0 EiB"), "{}", text.stdout);
    let gate = run_in(
        d.path(),
        &["diff", "--fail-on-growth", "1T", "base.txt", "new.txt"],
        None,
    );
    assert_eq!(gate.code, Some(1), "{}", gate.stderr);
}

#[test]
fn unreadable_text_headers_are_warned_counted_and_never_error_kinds() {
    let d = tmp();
    let log = [
        TEXT_HEAD.to_string(),
        text_record("8", "1", "4", "good"),
        text_record("99999999999999999999999", "2", "4", "huge"),
        text_record("-300", "3", "4", "negative"),
        text_record("8", "18446744073709551616", "4", "numbered_past_u64"),
        text_record("16", "4", "4", "last"),
    ]
    .concat();
    write(d.path(), "unreadable.txt", log);
    let r = run_in(d.path(), &["summary", "unreadable.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.starts_with("unreadable.txt (valgrind-text)\n"));
    for line in [8, 12, 16] {
        assert!(
            r.stdout.contains(&format!(
                "warning: line {line}: unreadable loss record header, not counted in any total: "
            )),
            "line {line}: {}",
            r.stdout
        );
    }
    assert!(r
        .stdout
        .contains("  unreadable records: 3 (not in the figures above"));
    assert!(
        r.stdout.contains("errors: none"),
        "no error kind: {}",
        r.stdout
    );
    let j = json_text(d.path(), "unreadable.txt");
    assert!(j.contains("\"unreadable_records\": 3,"), "{j}");
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let p = &v["processes"][0];
    assert_eq!(p["leaks"]["definitely_lost"]["bytes"], 24);
    assert_eq!(p["leaks"]["definitely_lost"]["records"], 2);
    assert_eq!(p["errors"]["contexts"], 0);
}

#[test]
fn unreadable_xml_and_lsan_headers_are_warned_and_counted() {
    let d = tmp();
    write(
        d.path(),
        "unreadable.xml",
        xml_log(&[
            ("8", "good"),
            ("99999999999999999999999", "huge"),
            ("-3", "negative"),
        ]),
    );
    write(
        d.path(),
        "unreadable-lsan.txt",
        lsan_log(&[
            ("8", "good"),
            ("99999999999999999999999", "huge"),
            ("-300", "negative"),
        ]),
    );
    for (name, lines) in [
        ("unreadable.xml", [29, 45]),
        ("unreadable-lsan.txt", [8, 12]),
    ] {
        let r = run_in(d.path(), &["summary", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        for line in lines {
            assert!(
                r.stdout.contains(&format!("warning: line {line}: ")),
                "{name} line {line}: {}",
                r.stdout
            );
        }
        assert!(
            r.stdout
                .contains("  unreadable records: 2 (not in the figures above"),
            "{name}: {}",
            r.stdout
        );
        let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), name)).unwrap();
        let p = &v["processes"][0];
        assert_eq!(p["unreadable_records"], 2, "{name}");
        assert_eq!(p["leaks"]["definitely_lost"]["bytes"], 8, "{name}");
        assert_eq!(p["leaks"]["definitely_lost"]["records"], 1, "{name}");
        assert_eq!(p["errors"]["contexts"], 0, "{name}");
    }
}

#[test]
fn impossible_numbering_is_a_warning_with_its_line() {
    let d = tmp();
    let log = [
        TEXT_HEAD.to_string(),
        text_record("8", "5", "3", "past"),
        text_record("8", "2", "4", "changed"),
    ]
    .concat();
    write(d.path(), "numbering.txt", log);
    let r = run_in(d.path(), &["summary", "numbering.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0));
    assert!(r
        .stdout
        .contains("warning: line 4: PID 7: loss record 5 of 3 is numbered past its own total"));
    assert!(r.stdout.contains(
        "warning: line 8: PID 7: loss record 2 of 4 in a leak search whose records were numbered of 3"
    ));
    let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), "numbering.txt")).unwrap();
    assert_eq!(v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 16);
}

#[test]
fn a_record_after_binary_junk_is_found() {
    let d = tmp();
    let mut log = TEXT_HEAD.as_bytes().to_vec();
    log.extend(text_record("8", "1", "2", "before").as_bytes());
    log.extend(vec![0u8; 4096]);
    log.extend(text_record("32", "2", "2", "after_the_nuls").as_bytes());
    write(d.path(), "junk.txt", &log);
    let mut lsan = lsan_log(&[("8", "before")]).into_bytes();
    lsan.extend(vec![0u8; 4096]);
    lsan.extend(
        lsan_log(&[("32", "after_the_nuls")])
            .lines()
            .skip(3)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    write(d.path(), "junk-lsan.txt", &lsan);
    for (name, line) in [("junk.txt", 8), ("junk-lsan.txt", 8)] {
        let r = run_in(d.path(), &["summary", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!(
                "warning: line {line}: 4096 bytes of binary data skipped; reading the text after them"
            )),
            "{name}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("after_the_nuls"), "{name}: {}", r.stdout);
        let v: serde_json::Value = serde_json::from_str(&json_text(d.path(), name)).unwrap();
        assert_eq!(
            v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 40,
            "{name}"
        );
    }
}
