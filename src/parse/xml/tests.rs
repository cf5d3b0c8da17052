//! The XML parser on small hand-written documents, for the shapes no
//! fixture of this machine's valgrind (3.19, protocol 4) can show: protocol
//! 6 summaries, user comments, several documents in one file. Real logs are
//! pinned in tests/parse_xml.rs.

use crate::model::{ErrorKind, Format, LeakKind, Report};
use crate::parse::parse_bytes;

fn parse(s: &str) -> Report {
    parse_bytes("t.xml", s.as_bytes(), Some(Format::ValgrindXml)).expect("parses")
}

fn leak(kind: &str, text: &str, bytes: u64, blocks: u64) -> String {
    format!(
        "<error><unique>0x9</unique><tid>1</tid><kind>{kind}</kind>\
         <xwhat><text>{text}</text><leakedbytes>{bytes}</leakedbytes>\
         <leakedblocks>{blocks}</leakedblocks></xwhat>\
         <stack><frame><ip>0x1</ip><fn>malloc</fn></frame>\
         <frame><ip>0x2</ip><fn>f</fn><dir>/src</dir><file>a.c</file><line>3</line></frame></stack></error>\n"
    )
}

const SUMMARIES6: &str = "\
<heap_summary>
  <memory_in_use_at_exit><bytes>720</bytes><blocks>5</blocks></memory_in_use_at_exit>
  <total_heap_usage><allocs>5</allocs><frees>0</frees><bytes_allocated>720</bytes_allocated></total_heap_usage>
</heap_summary>
<all_heap_blocks_freed>false</all_heap_blocks_freed>
";

pub(super) fn protocol6() -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<valgrindoutput>\n<protocolversion>6</protocolversion>\n\
         <protocoltool>memcheck</protocoltool>\n<pid>42</pid><ppid>1</ppid><tool>memcheck</tool>\n\
         <usercomment><run id=\"7\">nightly &amp; more</run></usercomment>\n\
         <args><vargv><exe>/usr/bin/valgrind</exe><arg>--leak-check=full</arg></vargv>\
         <argv><exe>./prog</exe><arg>a b</arg></argv></args>\n\
         <status><state>RUNNING</state><time>0</time></status>\n\
         <status><state>FINISHED</state><time>1</time></status>\n{SUMMARIES6}{}{}\
         <leak_summary>\
           <definitely_lost><bytes>48</bytes><in_blocks>1</in_blocks></definitely_lost>\
           <indirectly_lost><bytes>32</bytes><in_blocks>2</in_blocks></indirectly_lost>\
           <possibly_lost><bytes>0</bytes><in_blocks>0</in_blocks></possibly_lost>\
           <still_reachable><bytes>8</bytes><in_blocks>1</in_blocks>\
             <reachable_heuristic><kind>stdstring</kind><bytes>8</bytes><blocks>1</blocks></reachable_heuristic>\
           </still_reachable>\
           <suppressed><bytes>0</bytes><in_blocks>0</in_blocks></suppressed>\
         </leak_summary>\n\
         <errorcounts></errorcounts><suppcounts><pair><count>3</count><name>my-rule</name></pair></suppcounts>\n\
         <error_summary><errors>2</errors><error_contexts>2</error_contexts>\
         <suppressed>3</suppressed><suppressed_contexts>1</suppressed_contexts></error_summary>\n\
         </valgrindoutput>\n",
        leak(
            "Leak_StillReachable",
            "8 bytes in 1 blocks are still reachable in loss record 1 of 2",
            8,
            1
        ),
        leak(
            "Leak_DefinitelyLost",
            "80 (48 direct, 32 indirect) bytes in 1 blocks are definitely lost in loss record 2 of 2",
            80,
            1
        ),
    )
}

#[test]
fn protocol_6_summaries_fill_the_process() {
    let r = parse(&protocol6());
    assert!(
        r.inputs[0].warnings.is_empty(),
        "{:?}",
        r.inputs[0].warnings
    );
    let p = &r.processes[0];
    assert_eq!((p.pid, p.ppid, p.protocol_version), (42, Some(1), Some(6)));
    assert_eq!(p.command.as_deref(), Some("./prog a b"));
    assert_eq!(p.options, ["--leak-check=full"]);
    assert_eq!(
        p.user_comment.as_deref(),
        Some("<run id=\"7\">nightly &amp; more</run>")
    );
    assert_eq!(
        p.heap_summary.map(|h| (h.in_use_bytes, h.allocs)),
        Some((720, 5))
    );
    let e = p.error_summary.expect("error summary");
    assert_eq!((e.errors, e.suppressed, e.suppressed_contexts), (2, 3, 1));
    assert_eq!(p.leak_searches.len(), 1);
    let s = p.leak_summary().expect("leak summary");
    assert_eq!(s.get(LeakKind::IndirectlyLost).blocks, 2);
    assert_eq!(s.heuristics, [("stdstring".to_string(), s.heuristics[0].1)]);
    let recs = p.loss_records();
    assert_eq!((recs[1].direct_bytes(), recs[1].indirect_bytes()), (48, 32));
    assert_eq!(p.used_suppressions[0].count, 3);
    let f = r.interner.frames_of(recs[1].stack).nth(1).expect("frame");
    assert_eq!(f.source_path().as_deref(), Some("/src/a.c"));
}

#[test]
fn all_heap_blocks_freed_is_an_empty_search() {
    let doc = "<valgrindoutput><pid>1</pid><all_heap_blocks_freed>true</all_heap_blocks_freed>\
               <leak_summary><definitely_lost><bytes>0</bytes><in_blocks>0</in_blocks></definitely_lost></leak_summary>\
               </valgrindoutput>";
    let p = &parse(doc).processes[0];
    assert_eq!(p.leak_searches.len(), 1);
    assert!(p.leak_summary().is_some() && p.loss_records().is_empty());
}

#[test]
fn each_document_in_a_file_is_a_process() {
    let one = |pid: u32| {
        format!(
            "<?xml version=\"1.0\"?>\n<valgrindoutput><pid>{pid}</pid><tool>memcheck</tool>{}</valgrindoutput>\n",
            leak("Leak_DefinitelyLost", "8 bytes in 1 blocks are definitely lost in loss record 1 of 1", 8, 1)
        )
    };
    let r = parse(&(one(10) + &one(11)));
    let pids: Vec<u32> = r.processes.iter().map(|p| p.pid).collect();
    assert_eq!(pids, [10, 11]);
    assert!(r.processes.iter().all(|p| p.loss_records().len() == 1));
}

#[test]
fn errorcounts_and_a_fatal_signal() {
    let doc = "<valgrindoutput><pid>5</pid>\
        <error><unique>0xa</unique><kind>InvalidRead</kind><what>Invalid read of size 4</what>\
        <stack><frame><ip>0x1</ip><fn>f</fn></frame></stack>\
        <auxwhat>Address 0x0 is not stack'd, malloc'd or (recently) free'd</auxwhat></error>\
        <fatal_signal><tid>1</tid><signo>11</signo><signame>SIGSEGV</signame><stack/></fatal_signal>\
        <errorcounts><pair><count>7</count><unique>0xa</unique></pair>\
        <pair><count>1</count><unique>0xdead</unique></pair></errorcounts></valgrindoutput>";
    let p = &parse(doc).processes[0];
    assert_eq!(p.errors[0].count, 7);
    assert_eq!(p.errors[0].aux.len(), 1);
    assert_eq!(
        p.fatal_signal.as_deref(),
        Some("Process terminating with default action of signal 11 (SIGSEGV)")
    );
}

#[test]
fn a_mismatched_end_tag_is_a_warning_and_reading_goes_on() {
    let doc = format!(
        "<valgrindoutput><pid>5</pid>\n<error><kind>InvalidRead</kind><what>x</wat>\n\
         <stack><frame><fn>f</fn></frame></stack></error>\n{}</valgrindoutput>\n",
        leak(
            "Leak_DefinitelyLost",
            "8 bytes in 1 blocks are definitely lost in loss record 1 of 1",
            8,
            1
        )
    );
    let r = parse(&doc);
    let w = &r.inputs[0].warnings;
    assert!(
        w.iter()
            .any(|w| w.line == 2 && w.message.contains("malformed XML")),
        "{w:?}"
    );
    let p = &r.processes[0];
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].kind, ErrorKind::InvalidRead);
    assert_eq!(p.loss_records().len(), 1);
}

#[test]
fn entities_invalid_utf8_and_masked_numbers_do_not_stop_the_parse() {
    let mut doc = b"<valgrindoutput><pid>...</pid><error><kind>Leak_PossiblyLost</kind>\
        <xwhat><text>a &lt;b&gt; &bogus; </text><leakedbytes>...</leakedbytes>\
        <leakedblocks>x</leakedblocks></xwhat><stack><frame><fn>caf"
        .to_vec();
    doc.extend_from_slice(b"\xff\xfe</fn></frame></stack></error></valgrindoutput>");
    let r = parse_bytes("t", &doc, Some(Format::ValgrindXml)).expect("parses");
    let p = &r.processes[0];
    assert_eq!(p.pid, 0);
    // `x` is not a number valgrind writes in XML: the record cannot be
    // counted, so it is not, and says so.
    assert!(p.loss_records().is_empty());
    assert_eq!(p.unreadable_records, 1);
    let w = &r.inputs[0].warnings;
    assert_eq!(w.len(), 1, "only the unmasked non-number warns: {w:?}");
    assert!(
        w[0].message
            .ends_with("found \"x\"; the record is not counted"),
        "{w:?}"
    );
    // The same record with masked figures (`...`) is read, with its frame.
    let doc = String::from_utf8_lossy(&doc).replace("<leakedblocks>x<", "<leakedblocks>...<");
    let r = parse_bytes("t", doc.as_bytes(), Some(Format::ValgrindXml)).expect("parses");
    let rec = &r.processes[0].loss_records()[0];
    assert_eq!(
        (rec.kind, rec.direct_bytes(), rec.blocks()),
        (LeakKind::PossiblyLost, 0, 0)
    );
    let f = r.interner.frames_of(rec.stack).next().expect("frame");
    assert!(f.function.as_deref().is_some_and(|n| n.starts_with("caf")));
    assert!(r.inputs[0].warnings.is_empty());
}
