//! The sanitizer parser on small hand-written reports; the real reports are
//! pinned in tests/parse_lsan.rs.

use crate::model::{ErrorKind, Format, LeakKind, Report};
use crate::parse::parse_bytes;

fn parse(s: &str) -> Report {
    parse_bytes("t", s.as_bytes(), Some(Format::Lsan)).expect("parses")
}

const TWO_REPORTS: &str = "\
==7==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 8 byte(s) in 1 object(s) allocated from:
    #0 0x1 in malloc (/lib/libasan.so.8+0x1)
    #1 0x2 in f a.c:3:5

-----------------------------------------------------
Suppressions used:
  count      bytes template
      2         37 make_label
-----------------------------------------------------

SUMMARY: AddressSanitizer: 8 byte(s) leaked in 1 allocation(s).
==9==ERROR: LeakSanitizer: detected memory leaks

Indirect leak of 4 byte(s) in 2 object(s) allocated from:
    #0 0x1 in malloc (/lib/libasan.so.8+0x1)
";

#[test]
fn each_pid_gets_its_report_and_a_cut_report_keeps_its_records() {
    let r = parse(TWO_REPORTS);
    assert_eq!(r.processes.len(), 2);
    let p = &r.processes[0];
    assert_eq!((p.pid, p.tool.as_deref()), (7, Some("leaksanitizer")));
    let rec = &p.loss_records()[0];
    assert_eq!(
        (rec.kind, rec.direct_bytes(), rec.blocks()),
        (LeakKind::DefinitelyLost, 8, 1)
    );
    let labels: Vec<String> = r.interner.frames_of(rec.stack).map(|f| f.label()).collect();
    assert_eq!(labels, ["malloc (in /lib/libasan.so.8)", "f (a.c:3)"]);
    let s = p.leak_summary().expect("summary");
    assert_eq!(s.total, Some((8, 1)));
    assert_eq!(s.get(LeakKind::DefinitelyLost).bytes, 8);
    assert_eq!(p.used_suppressions[0].name, "make_label");
    assert_eq!(p.used_suppressions[0].bytes, Some(37));
    let q = &r.processes[1];
    assert_eq!(q.loss_records()[0].kind, LeakKind::IndirectlyLost);
    assert!(q.leak_summary().is_none());
    let w = &r.inputs[0].warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("PID 9") && w[0].line == 14);
}

#[test]
fn a_segv_takes_its_access_from_the_prefixed_hint() {
    let r = parse(
        "==3==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x1 bp 0x2 sp 0x3 T0)\n\
         ==3==The signal is caused by a READ memory access.\n\
         ==3==Hint: address points to the zero page.\n\
         \x20   #0 0x1 in crash x.c:9\n\
         \x20   #1 0x2 in main x.c:20\n\
         \n\
         AddressSanitizer can not provide additional info.\n\
         SUMMARY: AddressSanitizer: SEGV x.c:9 in crash\n\
         ==3==ABORTING\n",
    );
    let e = &r.processes[0].errors[0];
    assert_eq!(e.kind, ErrorKind::InvalidRead);
    assert!(e.what.starts_with("SEGV: "), "{}", e.what);
    assert_eq!(r.interner.stack(e.stack).len(), 2);
    assert_eq!(e.aux.len(), 1);
}

#[test]
fn an_error_without_access_keeps_the_sanitizers_name_as_its_kind() {
    let r = parse(
        "==4==ERROR: AddressSanitizer: attempting double-free on 0x602000000010 in thread T0:\n\
         \x20   #0 0x1 in free (/lib/libasan.so.8+0x1)\n\
         \x20   #1 0x2 in main d.c:5\n\
         \n\
         0x602000000010 is located 0 bytes inside of 1-byte region [0x602000000010,0x602000000011)\n\
         freed by thread T0 here:\n\
         \x20   #0 0x1 in free (/lib/libasan.so.8+0x1)\n\
         \x20   #1 0x3 in main d.c:4\n\
         \n\
         previously allocated by thread T0 here:\n\
         \x20   #0 0x4 in malloc (/lib/libasan.so.8+0x4)\n\
         \n\
         SUMMARY: AddressSanitizer: double-free (/lib/libasan.so.8+0x1) in free\n",
    );
    let e = &r.processes[0].errors[0];
    assert_eq!(e.kind, ErrorKind::Other("double-free".into()));
    let aux: Vec<(&str, usize)> = e
        .aux
        .iter()
        .map(|a| (&*a.what, r.interner.stack(a.stack).len()))
        .collect();
    assert_eq!(
        aux,
        [
            ("0x602000000010 is located 0 bytes inside of 1-byte region [0x602000000010,0x602000000011)", 0),
            ("freed by thread T0 here", 2),
            ("previously allocated by thread T0 here", 1)
        ]
    );
}

#[test]
fn records_without_a_banner_still_count() {
    let r =
        parse("Direct leak of 5 byte(s) in 1 object(s) allocated from:\n    #0 0x1 in g g.c:1\n");
    assert_eq!(r.processes[0].pid, 0);
    assert_eq!(r.processes[0].loss_records()[0].direct_bytes(), 5);
}
