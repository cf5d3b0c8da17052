//! Sanitizer reports made by real `-fsanitize=address` builds (see
//! tests/fixtures/README.md, section e).

mod common;

use common::load;
use leakscope::model::{ErrorKind, Format, LeakKind};
use leakscope::report::summarize;

/// lsan.txt's records against its own SUMMARY line: 465 bytes in 8
/// allocations, of which direct 300 + 37 + 32 and indirect 64 + 32.
#[test]
fn leak_report_totals_match_its_summary_line() {
    let r = load("lsan.txt");
    assert_eq!(r.inputs[0].format, Format::Lsan);
    assert!(
        r.inputs[0].warnings.is_empty(),
        "{:?}",
        r.inputs[0].warnings
    );
    let p = &r.processes[0];
    assert_eq!((p.pid, p.tool.as_deref()), (11597, Some("leaksanitizer")));
    let s = summarize(&r);
    let leaks = &s.processes[0].leaks;
    let fig = |k| {
        let t = leaks.get(k);
        (t.bytes, t.blocks, t.records)
    };
    assert_eq!(fig(LeakKind::DefinitelyLost), (369, 5, 3));
    assert_eq!(fig(LeakKind::IndirectlyLost), (96, 3, 2));
    let total = p
        .leak_summary()
        .and_then(|s| s.total)
        .expect("SUMMARY line");
    assert_eq!(total, (465, 8));
    let parsed: u128 = p.loss_records().iter().map(|r| r.total_bytes()).sum();
    let blocks: u64 = p.loss_records().iter().map(|r| r.blocks()).sum();
    assert_eq!(
        (parsed, u128::from(blocks)),
        (u128::from(total.0), u128::from(total.1))
    );
    let tops: Vec<&str> = s.processes[0]
        .groups
        .iter()
        .map(|g| g.top_frame.as_str())
        .collect();
    assert_eq!(
        tops,
        [
            "leak_in_loop (lsan_leaky.c:26)",
            "new_node (lsan_leaky.c:44)",
            "make_label (lsan_leaky.c:31)",
            "new_node (lsan_leaky.c:44)"
        ]
    );
}

#[test]
fn use_after_free_keeps_its_name_and_both_stacks() {
    let r = load("asan-uaf.txt");
    let p = &r.processes[0];
    assert_eq!(
        (p.pid, p.tool.as_deref()),
        (11602, Some("addresssanitizer"))
    );
    assert_eq!(p.errors.len(), 1);
    let e = &p.errors[0];
    assert_eq!(e.kind, ErrorKind::InvalidRead);
    assert_eq!(
        &*e.what,
        "heap-use-after-free: READ of size 4 at 0x604000000024 thread T0"
    );
    let top = r.interner.frames_of(e.stack).next().expect("frame");
    assert_eq!(top.label(), "read_after_free (asan_uaf.c:23)");
    assert_eq!(r.interner.stack(e.stack).len(), 5);
    let aux: Vec<(&str, usize)> = e
        .aux
        .iter()
        .map(|a| (&*a.what, r.interner.stack(a.stack).len()))
        .collect();
    assert_eq!(
        aux,
        [
            ("0x604000000024 is located 20 bytes inside of 40-byte region [0x604000000010,0x604000000038)", 0),
            ("freed by thread T0 here", 4),
            ("previously allocated by thread T0 here", 4),
        ]
    );
}

#[test]
fn overflow_is_an_invalid_write() {
    let r = load("asan-overflow.txt");
    let e = &r.processes[0].errors[0];
    assert_eq!(e.kind, ErrorKind::InvalidWrite);
    assert!(
        e.what.starts_with("heap-buffer-overflow: WRITE of size 1"),
        "{}",
        e.what
    );
    assert_eq!(e.aux[1].what.as_ref(), "allocated by thread T0 here");
    assert!(r.processes[0].loss_records().is_empty());
}
