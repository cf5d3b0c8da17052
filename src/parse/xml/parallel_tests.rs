//! The parallel XML reader gives exactly the sequential reader's report, at
//! every chunk size, on every XML fixture and on hand-made documents whose
//! cuts fall where the merge is hardest (protocol 4 searches told apart by
//! numbering alone, suppressions repeated after their errors, odd input).

use super::{read_parallel, read_sequential};
use crate::model::{Format, Input, Report};
use std::fmt::Write;

fn input() -> Input {
    Input {
        path: "t.xml".into(),
        format: Format::ValgrindXml,
        warnings: Vec::new(),
        bytes: 0,
        lines: 0,
    }
}

/// Everything a reader puts in a report, written out in full.
fn dump(r: &Report) -> String {
    let mut s = String::new();
    let stack = |id| {
        r.interner
            .frames_of(id)
            .map(|f| format!("{:?}@{}", f.addr, f.label()))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "input {} bytes {} lines {} {:?}",
            i.path, i.bytes, i.lines, i.warnings
        );
    }
    for p in &r.processes {
        let _ = writeln!(
            s,
            "process {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            p.pid,
            p.ppid,
            p.command,
            p.tool,
            p.options,
            p.heap_summary,
            p.error_summary,
            p.used_suppressions,
            p.fatal_signal,
            p.user_comment
        );
        for e in &p.errors {
            let aux: Vec<String> = e
                .aux
                .iter()
                .map(|a| format!("{}: {}", a.what, stack(a.stack)))
                .collect();
            let _ = writeln!(
                s,
                "error {} {:?} x{} line {} {:?} [{}] {aux:?}",
                e.kind,
                e.what,
                e.count,
                e.line,
                e.suppression,
                stack(e.stack)
            );
        }
        for (n, search) in p.leak_searches.iter().enumerate() {
            let _ = writeln!(s, "search {n} {:?}", search.summary);
            for (i, rec) in search.records.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "record {:?} {} {} {} {:?}/{:?} {:?} {:?} line {} {:?} [{}]",
                    rec.kind,
                    rec.direct_bytes(),
                    rec.indirect_bytes(),
                    rec.blocks(),
                    rec.number(),
                    search.of(i),
                    rec.delta_bytes(),
                    rec.delta_blocks(),
                    rec.line(),
                    rec.suppression(),
                    stack(rec.stack)
                );
            }
        }
    }
    s
}

fn sequential(doc: &[u8]) -> String {
    let mut r = Report::new();
    r.inputs.push(input());
    read_sequential(&mut r, 0, doc);
    dump(&r)
}

fn parallel(doc: &[u8], chunk: usize) -> String {
    let mut r = Report::new();
    r.inputs.push(input());
    read_parallel(&mut r, 0, doc, chunk, &mut |_, _| {});
    dump(&r)
}

use crate::parse::test_fixture as fixture;

fn assert_same(name: &str, doc: &[u8], chunks: &[usize]) {
    let want = sequential(doc);
    for &chunk in chunks {
        let got = parallel(doc, chunk);
        if got != want {
            let at = want.lines().zip(got.lines()).position(|(a, b)| a != b);
            panic!(
                "{name} with {chunk}-byte chunks differs at dump line {at:?}:\nwant {:?}\ngot  {:?}",
                at.and_then(|i| want.lines().nth(i)),
                at.and_then(|i| got.lines().nth(i))
            );
        }
    }
}

const CHUNKS: [usize; 6] = [1, 97, 1000, 4096, 65_536, 1 << 20];

#[test]
fn parallel_equals_sequential_on_every_xml_fixture() {
    // The real 31 MB log at two sizes (one record per run, and many).
    assert_same(
        "numba-seed.xml.gz",
        &fixture("real/numba-seed.xml.gz"),
        &[1, 1 << 20],
    );
    for name in [
        "leaky.xml",
        "leaky-gensupp.xml",
        "leaky-with-supp.xml",
        "delta.xml",
        "truncated.xml",
        "helgrind.xml",
    ] {
        assert_same(name, &fixture(name), &CHUNKS);
    }
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valgrind-tests");
    let mut stack = vec![root];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("xml") {
                let doc = std::fs::read(&path).expect("read");
                assert_same(&path.display().to_string(), &doc, &[1, 500]);
                seen += 1;
            }
        }
    }
    assert!(
        seen > 50,
        "valgrind's own XML expectations were found ({seen})"
    );
}

fn leak(n: u32, of: u32, bytes: u64, frame: &str) -> String {
    format!(
        "<error>\n  <unique>0x{n:x}</unique>\n  <tid>1</tid>\n  <kind>Leak_DefinitelyLost</kind>\n  \
         <xwhat>\n    <text>{bytes} bytes in 1 blocks are definitely lost in loss record {n} of {of}</text>\n    \
         <leakedbytes>{bytes}</leakedbytes>\n    <leakedblocks>1</leakedblocks>\n  </xwhat>\n  \
         <stack>\n    <frame>\n      <ip>0x4841{n:03X}</ip>\n      <fn>malloc</fn>\n    </frame>\n    \
         <frame>\n      <ip>0x10{n:04X}</ip>\n      <fn>{frame}</fn>\n      <dir>/src</dir>\n      \
         <file>a.c</file>\n      <line>{n}</line>\n    </frame>\n  </stack>\n</error>\n\n"
    )
}

/// Protocol 4: three leak searches one after the other, told apart only by
/// record numbers starting again; suppressions repeated after errors; an
/// `<errorcounts>` naming errors of earlier chunks.
fn protocol4() -> String {
    protocol4_with(&[5, 3, 4])
}

/// A protocol 4 document as [`protocol4`], with one leak search per entry
/// of `searches`, that many records each.
fn protocol4_with(searches: &[u32]) -> String {
    let mut d = String::from(
        "<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n<protocolversion>4</protocolversion>\n\
         <protocoltool>memcheck</protocoltool>\n\n<pid>7</pid>\n<tool>memcheck</tool>\n\n",
    );
    d.push_str(
        "<error>\n  <unique>0x100</unique>\n  <tid>1</tid>\n  <kind>InvalidRead</kind>\n  \
         <what>Invalid read of size 4</what>\n  <stack>\n    <frame>\n      <ip>0x1</ip>\n      \
         <fn>f</fn>\n    </frame>\n  </stack>\n  <auxwhat>Address 0x0 is not stack'd</auxwhat>\n\
         </error>\n\n<suppression>\n  <sname>s</sname>\n  <skind>Memcheck:Addr4</skind>\n  \
         <sframe> <fun>_Z1fv</fun> </sframe>\n  <rawtext>\n<![CDATA[\n{\n   <insert_a_suppression_name>\n   \
         Memcheck:Addr4\n   fun:_Z1fv\n}\n]]>\n  </rawtext>\n</suppression>\n\n",
    );
    for (search, &count) in (0u64..).zip(searches) {
        for n in 1..=count {
            d.push_str(&leak(
                n,
                count,
                8 * u64::from(n) + search,
                &format!("site{search}_{n}"),
            ));
        }
        d.push_str("<status>\n  <state>RUNNING</state>\n</status>\n\n");
    }
    d.push_str(
        "<errorcounts>\n  <pair>\n    <count>3</count>\n    <unique>0x100</unique>\n  </pair>\n\
         </errorcounts>\n\n</valgrindoutput>\n\n",
    );
    d
}

#[test]
fn parallel_equals_sequential_on_hand_made_documents() {
    let p4 = protocol4();
    assert_same("protocol4", p4.as_bytes(), &[1, 50, 700, 2000, 1 << 20]);
    // Every record merged is there, searches split as numbering says.
    let mut r = Report::new();
    r.inputs.push(input());
    read_parallel(&mut r, 0, p4.as_bytes(), 1, &mut |_, _| {});
    let sizes: Vec<usize> = r.processes[0]
        .leak_searches
        .iter()
        .map(|s| s.records.len())
        .collect();
    assert_eq!(sizes, [5, 3, 4]);
    assert_eq!(r.processes[0].errors[0].count, 3);
    assert!(r.processes[0].errors[0].suppression.is_some());

    let p6 = super::tests::protocol6();
    assert_same("protocol6", p6.as_bytes(), &[1, 50, 700, 1 << 20]);
    // Cut short inside an error, an error inside an unclosed element, a
    // stray `<error>` line inside a user comment, two documents.
    for (name, doc) in [
        ("cut", p4[..p4.len() / 2].to_string()),
        (
            "unclosed",
            p4.replacen(
                "<status>\n  <state>RUNNING</state>\n</status>",
                "<status>\n",
                1,
            ),
        ),
        (
            "comment",
            p4.replacen(
                "<tool>memcheck</tool>",
                "<tool>memcheck</tool>\n<usercomment>\n<error>\n</usercomment>",
                1,
            ),
        ),
        ("two documents", format!("{p4}{p4}")),
        (
            // Frames the plain-frame scan leaves to the events, and
            // entities and odd bytes it reads itself.
            "odd frames",
            p4.replacen(
                "<fn>site0_1</fn>",
                "<fn>a &lt;b&gt; \u{e9}</fn><!-- c -->",
                1,
            )
            .replacen("<fn>site0_2</fn>", "<fn/><x>1</x>", 1)
            .replacen("<fn>site0_3</fn>", "<fn a=\"1\">g</fn><pair>p</pair>", 1)
            .replacen("<fn>site0_4</fn>", "<fn><![CDATA[h]]></fn>", 1)
            .replacen("<fn>site1_1</fn>", "<fn>a &bogus; b</fn><line>x</line>", 1)
            .replacen("<fn>site1_2</fn>", "<suppression>s</suppression>", 1)
            .replacen("<fn>site1_3</fn>", "<fn>a > b</fn>", 1)
            .replacen("<dir>/src</dir>", "<dir>/src</file>", 1),
        ),
        (
            "garbage",
            p4.replace("</error>\n\n<error>", "</error>\nnot xml & <\n<error>"),
        ),
    ] {
        assert_same(name, doc.as_bytes(), &[1, 50, 700, 1 << 20]);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Whatever the chunk size, and wherever the document is cut short,
    /// the parallel reader gives the sequential one's report: protocol 4's
    /// leak searches (told apart only by their numbering) included.
    #[test]
    fn any_chunk_size_gives_the_sequential_report(
        searches in proptest::collection::vec(1u32..7, 1..5),
        chunk in 1usize..4000,
        keep in 50usize..=100,
    ) {
        let doc = protocol4_with(&searches);
        let doc = &doc.as_bytes()[..doc.len() * keep / 100];
        assert_same("generated protocol 4", doc, &[chunk]);
    }

    /// The same on real documents (valgrind's own): every cut position.
    #[test]
    fn any_chunk_size_on_real_documents(which in 0usize..3, chunk in 1usize..20_000) {
        let name = ["leaky-gensupp.xml", "delta.xml", "truncated.xml"][which];
        assert_same(name, &fixture(name), &[chunk]);
    }
}

/// A document cut right after the `<` that follows a run: quick-xml takes
/// that byte before the run is merged, and the input still ends mid-line
/// (found by the property test below).
#[test]
fn a_run_merged_after_the_last_byte_read_keeps_the_line_count() {
    let doc = protocol4_with(&[2]);
    let at = doc.rfind("</error>\n\n<").expect("a last error") + "</error>\n\n<".len();
    let doc = &doc.as_bytes()[..at];
    assert_same("cut after <", doc, &[1, 50, 1 << 20]);
    assert!(parallel(doc, 1).starts_with("input t.xml bytes 1613 lines 88 "));
}
