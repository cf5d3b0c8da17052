//! The text parser on small hand-written logs; the real logs are pinned in
//! tests/parse_text.rs against valgrind's own summaries.

use crate::model::{ErrorKind, LeakKind, Report};
use crate::parse::parse_bytes;

fn parse(s: &str) -> Report {
    parse_bytes("t", s.as_bytes(), None).expect("parses")
}

const TWO_PIDS: &str = "\
==10== Memcheck, a memory error detector
==11== Memcheck, a memory error detector
==10== Command: ./parent
==11== Command: ./child
==10== 16 bytes in 1 blocks are definitely lost in loss record 1 of 1
==11== 8 bytes in 2 blocks are still reachable in loss record 1 of 1
==10==    at 0x1: malloc (in /vg.so)
==11==    at 0x1: malloc (in /vg.so)
==10==    by 0x2: main (p.c:3)
==11==    by 0x3: child (c.c:9)
==10== 
==11== 
";

#[test]
fn interleaved_pids_keep_their_own_records_and_stacks() {
    let r = parse(TWO_PIDS);
    assert_eq!(r.processes.len(), 2);
    let p = &r.processes[0];
    assert_eq!((p.pid, p.command.as_deref()), (10, Some("./parent")));
    let rec = &p.loss_records()[0];
    assert_eq!(
        (rec.kind, rec.direct_bytes()),
        (LeakKind::DefinitelyLost, 16)
    );
    let top: Vec<String> = r.interner.frames_of(rec.stack).map(|f| f.label()).collect();
    assert_eq!(top, ["malloc (in /vg.so)", "main (p.c:3)"]);
    let c = &r.processes[1].loss_records()[0];
    assert_eq!((c.kind, c.blocks()), (LeakKind::StillReachable, 2));
    assert_eq!(
        r.interner.frames_of(c.stack).nth(1).unwrap().label(),
        "child (c.c:9)"
    );
}

#[test]
fn program_output_between_prefixed_lines_is_skipped() {
    let r = parse(
        "==5== Memcheck, a memory error detector\nhello from the program\n   at 0x1: fake (x.c:1)\n==5== Invalid read of size 4\n==5==    at 0x1: f (a.c:1)\n==5== \n",
    );
    let p = &r.processes[0];
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].kind, ErrorKind::InvalidRead);
    assert_eq!(r.interner.stack(p.errors[0].stack).len(), 1);
}

#[test]
fn aux_stacks_follow_their_sentence() {
    let r = parse(
        "==5== Invalid read of size 1\n==5==    at 0x1: f (a.c:1)\n==5==  Address 0x2 is 1 bytes after a block of size 8 alloc'd\n==5==    at 0x3: malloc (in /vg.so)\n==5==    by 0x4: g (a.c:9)\n==5== \n",
    );
    let e = &r.processes[0].errors[0];
    assert_eq!(e.aux.len(), 1);
    assert!(e.aux[0].what.starts_with("Address 0x2 is 1 bytes after"));
    assert_eq!(r.interner.stack(e.aux[0].stack).len(), 2);
    assert_eq!(r.interner.stack(e.stack).len(), 1);
}

#[test]
fn gen_suppression_block_attaches_and_teaches_mangled_names() {
    let r = parse(
        "==5== 8 bytes in 1 blocks are definitely lost in loss record 1 of 1\n==5==    at 0x1: operator new(unsigned long) (in /vg.so)\n==5==    by 0x2: make() (a.cc:3)\n==5== \n{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n   match-leak-kinds: definite\n   fun:_Znwm\n   fun:_Z4makev\n}\n",
    );
    let rec = &r.processes[0].loss_records()[0];
    assert!(rec.suppression().unwrap().contains("fun:_Z4makev"));
    let frames: Vec<_> = r.interner.frames_of(rec.stack).collect();
    assert_eq!(frames[0].mangled.as_deref(), Some("_Znwm"));
    assert_eq!(frames[1].mangled.as_deref(), Some("_Z4makev"));
}

#[test]
fn each_leak_search_is_kept_and_the_last_is_the_state() {
    let r = parse(
        "==5== 8 bytes in 1 blocks are definitely lost in loss record 1 of 1\n==5==    at 0x1: f (a.c:1)\n==5== \n==5== LEAK SUMMARY:\n==5==    definitely lost: 8 bytes in 1 blocks\n==5== \n==5== 16 (+8) bytes in 2 (+1) blocks are definitely lost in loss record 1 of 1\n==5==    at 0x1: f (a.c:1)\n==5== \n==5== LEAK SUMMARY:\n==5==    definitely lost: 16 (+8) bytes in 2 (+1) blocks\n==5== \n",
    );
    let p = &r.processes[0];
    assert_eq!(p.leak_searches.len(), 2);
    let last = &p.loss_records()[0];
    assert_eq!((last.direct_bytes(), last.delta_bytes()), (16, Some(8)));
    let s = p.leak_summary().unwrap().get(LeakKind::DefinitelyLost);
    assert_eq!((s.bytes, s.delta_blocks), (16, Some(1)));
}

#[test]
fn verbose_listing_sets_counts_instead_of_adding_errors() {
    let r = parse(
        "==5== Invalid read of size 4\n==5==    at 0x1: f (a.c:1)\n==5== \n==5== ERROR SUMMARY: 3 errors from 1 contexts (suppressed: 0 from 0)\n==5== \n==5== 3 errors in context 1 of 1:\n==5== Invalid read of size 4\n==5==    at 0x1: f (a.c:1)\n==5== \n--5-- used_suppression:      2 dl-hack default.supp:12\n==5== ERROR SUMMARY: 3 errors from 1 contexts (suppressed: 0 from 0)\n",
    );
    let p = &r.processes[0];
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].count, 3);
    assert_eq!(p.used_suppressions[0].name, "dl-hack");
    assert_eq!(p.error_summary.unwrap().errors, 3);
}

#[test]
fn prefixless_log_reads_as_a_log() {
    let r = parse(
        "\n8 bytes in 1 blocks are definitely lost in loss record ... of ...\n   at 0x........: malloc (vg_replace_malloc.c:381)\n   by 0x........: main (leak.c:5)\n\nLEAK SUMMARY:\n   definitely lost: 8 bytes in 1 blocks\n",
    );
    let p = &r.processes[0];
    assert_eq!(p.pid, 0);
    assert_eq!(p.loss_records()[0].number(), None);
    assert_eq!(
        p.leak_summary()
            .unwrap()
            .get(LeakKind::DefinitelyLost)
            .bytes,
        8
    );
}

#[test]
fn truncated_search_keeps_records_and_warns() {
    let r = parse("==5== 8 bytes in 1 blocks are definitely lost in loss record 1 of 2\n==5==    at 0x1: f (a.c:1)\n==5==    by 0x2: g (a.c");
    let p = &r.processes[0];
    assert_eq!(p.loss_records().len(), 1);
    assert!(p.leak_summary().is_none());
    assert!(r.inputs[0]
        .warnings
        .iter()
        .any(|w| w.message.contains("truncated")));
}

#[test]
fn unknown_headline_with_stack_becomes_an_error_of_its_own_kind() {
    let r = parse("==5== Memcheck, a memory error detector\n==5== Something new happened\n==5==    at 0x1: f (a.c:1)\n==5== \n");
    let e = &r.processes[0].errors[0];
    assert_eq!(e.kind, ErrorKind::Other("Something new happened".into()));
}

#[test]
fn gdbserver_messages_are_notes_on_the_run_never_errors() {
    // A vgdb killed while valgrind streamed it a leak search: valgrind's
    // complaints, then the rest of the record in progress (its header went
    // to vgdb), then the next record.
    let log = "\
==7== Memcheck, a memory error detector
==7== putpkt(write) error
==7== putpkt(write) error: no write_remote_desc
==7== Reset valgrind output to log (Error writing monitor output)
==7==    by 0x2: walk (m.c:16)
==7==    by 0x3: main (m.c:20)
==7== putpkt(write) error
==7== 
==7== 43 bytes in 1 blocks are still reachable in loss record 9 of 9
==7==    at 0x1: malloc (in /vg.so)
==7==    by 0x3: main (m.c:20)
==7== 
==7== LEAK SUMMARY:
==7==    still reachable: 43 bytes in 1 blocks
==7== 
==7== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)
";
    let r = parse(log);
    let p = &r.processes[0];
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.loss_records().len(), 1);
    let said: Vec<&str> = r.inputs[0]
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[0].starts_with("valgrind's gdbserver said \"putpkt(write) error\": vgdb went away")
    );
    assert!(said[1].contains("no write_remote_desc"));
    assert!(said[2].contains("Reset valgrind output to log"));
    assert_eq!(r.inputs[0].warnings[2].line, 4);
}

#[test]
fn a_record_of_a_deep_recursion_is_held_packed() {
    // 70,000 frames (a stack this deep is packed as it is read): malloc,
    // then f0..f6 over and over.
    let mut log =
        String::from("==7== 64 bytes in 1 blocks are definitely lost in loss record 1 of 1\n");
    log.push_str("==7==    at 0x10: malloc (in /vg.so)\n");
    for n in 1..70_000 {
        let k = n % 7;
        log.push_str(&format!("==7==    by 0x{:X}: f{k} (r.c:{k})\n", 0x100 + k));
    }
    log.push_str("==7== \n");
    let r = parse(&log);
    let rec = &r.processes[0].loss_records()[0];
    let stack = r.interner.stack(rec.stack);
    assert_eq!(stack.len(), 70_000);
    let labels: Vec<String> = r.interner.frames_of(rec.stack).map(|f| f.label()).collect();
    assert_eq!(labels[0], "malloc (in /vg.so)");
    assert_eq!(
        labels[69_999],
        format!("f{} (r.c:{})", 69_999 % 7, 69_999 % 7)
    );
    assert!(labels[1..]
        .iter()
        .enumerate()
        .all(|(n, l)| l.starts_with(&format!("f{} ", (n + 1) % 7))));
    // Its 8 distinct frames, not 70,000 ids: well under the 280 KB a
    // written-out stack would take.
    assert!(
        r.interner.approx_bytes() < 64 * 1024,
        "{}",
        r.interner.approx_bytes()
    );
}
