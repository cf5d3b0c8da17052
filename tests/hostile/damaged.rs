//! Damaged logs: truncated (plain, gzip, zstd), deeply nested or entity-laden
//! XML, invalid UTF-8, escape sequences and a 50 MB line.

use super::*;

/// What a decoder gives before the stream breaks off.
fn decode(mut r: impl std::io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// The fixture log, compressed here, cut at half its length.
fn truncated(compress: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let packed = compress(&records_3000());
    packed[..packed.len() / 2].to_vec()
}

/// A log of 3000 records of 8 bytes.
fn records_3000() -> Vec<u8> {
    [
        TEXT_HEAD.to_string(),
        (1..=3000)
            .map(|i| text_record("8", &i.to_string(), "3000", &format!("f{i}")))
            .collect(),
    ]
    .concat()
    .into_bytes()
}

#[test]
fn truncated_text_xml_gzip_and_zstd_keep_what_was_read_and_say_where() {
    let d = tmp();
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let zst = |b: &[u8]| {
        ruzstd::encoding::compress_to_vec(b, ruzstd::encoding::CompressionLevel::Fastest)
    };
    write(d.path(), "cut.txt.gz", truncated(gz));
    write(d.path(), "cut.txt.zst", truncated(zst));
    let text = [TEXT_HEAD.to_string(), text_record("8", "1", "2", "a")].concat();
    write(d.path(), "cut.txt", &text[..text.len() - 20]);
    let xml = xml_log(&[("8", "a"), ("16", "b")]);
    write(d.path(), "cut.xml", &xml[..xml.find("<fn>b").unwrap()]);
    // zstd keeps its window (here the whole stream) until the frame ends, so
    // a cut single-frame stream yields nothing decodable: refused, saying why.
    refused(
        &run_in(d.path(), &["summary", "cut.txt.zst"], None),
        "cut.txt.zst: no valgrind or sanitizer output found (reading failed before the \
         first line: zstd: Failed to parse/decode block body: Error while reading the block header)",
    );
    // Two zstd frames (as `cat a.zst b.zst` makes), cut inside the second;
    // and the gzip stream cut at half its length: exactly the records
    // decoded before the cut, and a warning at the last line read.
    let log = records_3000();
    let half = log.len() / 2;
    let mut frames = zst(&log[..half]);
    let second = zst(&log[half..]);
    let mut whole = frames.clone();
    whole.extend_from_slice(&second);
    write(d.path(), "frames.txt.zst", &whole);
    let cut_second = &second[..second.len() / 2];
    frames.extend_from_slice(cut_second);
    write(d.path(), "cut-frames.txt.zst", &frames);
    let decoded_gz = decode(flate2::read::MultiGzDecoder::new(&truncated(gz)[..]));
    let mut decoded_zst = log[..half].to_vec();
    decoded_zst.extend(decode(
        ruzstd::decoding::StreamingDecoder::new(cut_second).expect("frame header"),
    ));
    // Every frame is read, not only the first.
    let v: serde_json::Value =
        serde_json::from_str(&json_text(d.path(), "frames.txt.zst")).unwrap();
    let dl = &v["processes"][0]["leaks"]["definitely_lost"];
    assert_eq!(
        (&dl["records"], &dl["bytes"]),
        (&3000.into(), &24000.into())
    );
    for (name, decoded) in [
        ("cut.txt.gz", decoded_gz),
        ("cut-frames.txt.zst", decoded_zst),
    ] {
        let r = run_in(d.path(), &["summary", "--format", "json", name], None);
        r.no_panic();
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let text = String::from_utf8_lossy(&decoded);
        let lines = text.lines().count();
        let warnings = v["inputs"][0]["warnings"].as_array().unwrap();
        let stopped = warnings
            .iter()
            .find(|w| {
                w["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("reading stopped after this line: ")
            })
            .expect("a warning where reading stopped");
        assert_eq!(stopped["line"], lines, "{name}: {stopped}");
        // Every record whose header line was decoded whole.
        let headers = text.lines().filter(|l| l.ends_with(" of 3000")).count() as u64;
        let dl = &v["processes"][0]["leaks"]["definitely_lost"];
        assert!(headers > 0 && headers < 3000, "{name}: {headers}");
        assert_eq!(dl["records"], headers, "{name}");
        assert_eq!(dl["bytes"], 8 * headers, "{name}");
    }
    let r = run_in(d.path(), &["summary", "cut.txt"], None);
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.contains(
            "warning: line 4: PID 7: the log ends before this leak search's LEAK SUMMARY"
        ),
        "{}",
        r.stdout
    );
    let r = run_in(d.path(), &["summary", "--format", "json", "cut.xml"], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["processes"][0]["leaks"]["definitely_lost"]["bytes"], 8);
    let w = &v["inputs"][0]["warnings"][0];
    assert_eq!(w["line"], 35);
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .starts_with("the XML ends inside <valgrindoutput> <error> <stack> <frame>"),
        "{w}"
    );
}

#[test]
fn deep_xml_nesting_is_one_short_warning() {
    let d = tmp();
    let xml = xml_log(&[("8", "a")]).replace("</valgrindoutput>\n", "") + &"<a>".repeat(100_000);
    write(d.path(), "deep.xml", xml);
    let r = run_in(d.path(), &["summary", "deep.xml"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let w = r
        .stdout
        .lines()
        .find(|l| l.contains("warning:"))
        .expect("warning");
    assert!(w.len() < 300, "{} bytes", w.len());
    assert!(
        w.contains("warning: line 23: the XML ends inside <valgrindoutput> <…> <…> <…> … (99993 more) … <…> <…> <…> <…> (cut off"),
        "{w}"
    );
    assert!(r.stdout.contains("definitely lost            8 B"));
}

#[test]
fn entities_are_never_expanded_or_fetched() {
    let d = tmp();
    let bomb = "<!DOCTYPE v [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\
                <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY ext SYSTEM \"file:///etc/passwd\">]>\n";
    let xml = xml_log(&[("8", "f&c;&ext;")]).replacen("\n", &format!("\n{bomb}"), 1);
    write(d.path(), "bomb.xml", xml);
    let r = run_in(d.path(), &["summary", "bomb.xml"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("f&c;&ext;"), "{}", r.stdout);
    assert!(!r.stdout.contains("root:"), "no file was read");
    assert!(!r.stdout.contains("aaaaaaaaaa"));
}

#[test]
fn invalid_utf8_escapes_and_a_50_mb_line_are_survived() {
    let d = tmp();
    let mut log = TEXT_HEAD.as_bytes().to_vec();
    log.extend(
        text_record("8", "1", "3", "bad\u{fffd}name")
            .replace('\u{fffd}', "\u{1}")
            .as_bytes(),
    );
    let pos = log.iter().position(|&b| b == 1).unwrap();
    log[pos] = 0xff;
    log.extend(text_record("16", "2", "3", "evil\x1b]0;pwned\x07title").as_bytes());
    log.extend(vec![b'x'; 50 << 20]);
    log.push(b'\n');
    log.extend(text_record("32", "3", "3", "after_the_long_line").as_bytes());
    write(d.path(), "odd.txt", &log);
    let r = run_in(d.path(), &["summary", "odd.txt"], None);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stdout.contains('\x1b') && !r.stdout.contains('\x07'));
    assert!(r.stdout.contains("evil^[]0;pwned^Gtitle"), "{}", r.stdout);
    assert!(r.stdout.contains("bad\u{fffd}name"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("warning: line 12: line longer than 1048576 bytes; only its start was read"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("after_the_long_line"));
    assert!(
        r.stdout.contains("definitely lost           56 B"),
        "{}",
        r.stdout
    );
}
