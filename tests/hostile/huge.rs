//! Huge shapes: a million records, a million frames in one record.

use super::*;

/// Valgrind's LEAK SUMMARY for `bytes` definitely lost in `blocks`, and its
/// ERROR SUMMARY, closing a generated log.
fn leak_summary(out: &mut impl Write, bytes: &str, blocks: &str) {
    write!(
        out,
        "==7== LEAK SUMMARY:\n==7==    definitely lost: {bytes} bytes in {blocks} blocks\n\
         ==7==    indirectly lost: 0 bytes in 0 blocks\n==7==      possibly lost: 0 bytes in 0 blocks\n\
         ==7==    still reachable: 0 bytes in 0 blocks\n==7==         suppressed: 0 bytes in 0 blocks\n\
         ==7== \n==7== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)\n"
    )
    .unwrap();
}

/// `summary --format json` of a generated log: the process, checked against
/// the log's own LEAK SUMMARY (which the generator wrote).
fn summarized(dir: &Path, name: &str, bytes: u64, records: u64) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&json_text(dir, name)).unwrap();
    let p = v["processes"][0].clone();
    let dl = &p["leaks"]["definitely_lost"];
    assert_eq!(dl["bytes"], bytes, "{name}");
    assert_eq!(dl["blocks"], records, "{name}");
    assert_eq!(dl["records"], records, "{name}");
    let reported = &p["reported_leaks"]["definitely_lost"];
    assert_eq!(
        (&reported["bytes"], &reported["blocks"]),
        (&dl["bytes"], &dl["blocks"])
    );
    assert_eq!(v["inputs"][0]["warnings"], serde_json::json!([]), "{name}");
    p
}

/// A million loss records (in 1000 groups of 1000): exact totals, as the
/// log's LEAK SUMMARY states them, and every group whole.
#[test]
fn a_million_records() {
    let d = tmp();
    let n = 1_000_000u64;
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(d.path().join("records.txt")).unwrap());
    log.write_all(TEXT_HEAD.as_bytes()).unwrap();
    for i in 1..=n {
        write!(
            log,
            "==7== 8 bytes in 1 blocks are definitely lost in loss record {i} of {n}\n\
             ==7==    at 0x{i:x}: f{} (a.c:{})\n==7== \n",
            i % 1000,
            i % 100
        )
        .unwrap();
    }
    leak_summary(&mut log, "8,000,000", "1,000,000");
    drop(log);
    let p = summarized(d.path(), "records.txt", 8 * n, n);
    let groups = p["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1000);
    assert!(groups
        .iter()
        .all(|g| g["records"] == 1000 && g["bytes"] == 8000));
}

/// One loss record whose stack has a million frames: read whole, grouped by
/// its top frame.
#[test]
fn a_million_frames() {
    let d = tmp();
    let n = 1_000_000u64;
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(d.path().join("frames.txt")).unwrap());
    log.write_all(TEXT_HEAD.as_bytes()).unwrap();
    log.write_all(b"==7== 8 bytes in 1 blocks are definitely lost in loss record 1 of 1\n")
        .unwrap();
    for i in 0..n {
        writeln!(log, "==7==    by 0x{i:x}: g{i} (b.c:{})", i % 1000).unwrap();
    }
    log.write_all(b"==7== \n").unwrap();
    leak_summary(&mut log, "8", "1");
    drop(log);
    let p = summarized(d.path(), "frames.txt", 8, 1);
    assert_eq!(p["groups"][0]["top_frame"], "g0 (b.c:0)");
}
