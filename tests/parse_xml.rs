//! The XML parser against what each XML log states about itself. The
//! expected figures come from an independent scan of the file (regexes over
//! its `<error>` blocks), never from the parser under test.

mod common;

use common::{files_under, fixture, load, read_plain};
use leakscope::model::{ErrorKind, LeakKind, Process, Report};
use leakscope::parse::load_paths;
use leakscope::report::summarize;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

type LeakSums = BTreeMap<String, (u64, u64, u64)>;

/// What a file says, found by regexes.
#[derive(Debug, Default)]
struct Facts {
    pid: Option<u32>,
    /// Number of `<error>` per non-leak `<kind>`.
    errors: BTreeMap<String, u64>,
    /// Per Leak_* kind: Σ leakedbytes, Σ leakedblocks, number of errors.
    leaks: LeakSums,
    /// The same over the leak errors after `<state>FINISHED</state>`.
    final_leaks: LeakSums,
    finished: bool,
    /// Σ of `<errorcounts>` counts, each unlisted error counting once;
    /// `None` when counts or uniques are masked.
    occurrences: Option<u64>,
}

fn scan(text: &str) -> Facts {
    let block = Regex::new(r"(?s)<error>(.*?)</error>").unwrap();
    let kind = Regex::new(r"<kind>([^<]*)</kind>").unwrap();
    let unique = Regex::new(r"<unique>([^<]*)</unique>").unwrap();
    let bytes = Regex::new(r"<leakedbytes>(\d+)</leakedbytes>").unwrap();
    let blocks = Regex::new(r"<leakedblocks>(\d+)</leakedblocks>").unwrap();
    let pair =
        Regex::new(r"(?s)<pair>\s*<count>([^<]*)</count>\s*<unique>([^<]*)</unique>\s*</pair>")
            .unwrap();
    let num = |re: &Regex, s: &str| -> u64 {
        re.captures(s).and_then(|c| c[1].parse().ok()).unwrap_or(0)
    };
    let finished_at = text.find("<state>FINISHED</state>");
    let mut f = Facts {
        pid: Regex::new(r"<pid>(\d+)</pid>")
            .unwrap()
            .captures(text)
            .and_then(|c| c[1].parse().ok()),
        finished: finished_at.is_some(),
        ..Facts::default()
    };
    let mut uniques = Vec::new();
    for m in block.captures_iter(text) {
        let body = m.get(1).unwrap().as_str();
        let k = kind
            .captures(body)
            .map_or(String::new(), |c| c[1].to_string());
        if k.starts_with("Leak_") {
            let add = |sums: &mut LeakSums| {
                let e = sums.entry(k.clone()).or_default();
                e.0 += num(&bytes, body);
                e.1 += num(&blocks, body);
                e.2 += 1;
            };
            add(&mut f.leaks);
            if finished_at.is_some_and(|at| m.get(0).unwrap().start() > at) {
                add(&mut f.final_leaks);
            }
        } else {
            *f.errors.entry(k).or_default() += 1;
            uniques.push(unique.captures(body).map(|c| c[1].to_string()));
        }
    }
    let pairs: Vec<(Option<u64>, String)> = pair
        .captures_iter(text)
        .map(|c| (c[1].parse().ok(), c[2].to_string()))
        .collect();
    let distinct: std::collections::BTreeSet<_> = uniques.iter().flatten().collect();
    if pairs.iter().all(|(n, _)| n.is_some()) && distinct.len() == uniques.len() {
        let counts: BTreeMap<&str, u64> = pairs
            .iter()
            .map(|(n, u)| (u.as_str(), n.unwrap_or(0)))
            .collect();
        f.occurrences = Some(
            uniques
                .iter()
                .map(|u| {
                    u.as_deref()
                        .and_then(|u| counts.get(u))
                        .copied()
                        .unwrap_or(1)
                })
                .sum(),
        );
    }
    f
}

fn parsed_leaks<'a>(records: impl Iterator<Item = &'a leakscope::model::LossRecord>) -> LeakSums {
    let mut sums = LeakSums::new();
    for r in records {
        let e = sums.entry(r.kind.xml_kind().to_string()).or_default();
        e.0 += u64::try_from(r.total_bytes()).expect("fixture totals fit in u64");
        e.1 += r.blocks();
        e.2 += 1;
    }
    sums
}

fn check(path: &Path, report: &Report, facts: &Facts) -> Vec<String> {
    let mut bad = Vec::new();
    let mut expect = |what: &str, ok: bool, detail: String| {
        if !ok {
            bad.push(format!("{}: {what}: {detail}", path.display()));
        }
    };
    expect(
        "one process",
        report.processes.len() == 1,
        format!("{} processes", report.processes.len()),
    );
    let Some(p) = report.processes.first() else {
        return bad;
    };
    expect(
        "pid",
        p.pid == facts.pid.unwrap_or(0),
        format!("{} vs {:?}", p.pid, facts.pid),
    );
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for e in &p.errors {
        *errors.entry(e.kind.as_str().to_string()).or_default() += 1;
    }
    expect(
        "errors by kind",
        errors == facts.errors,
        format!("{errors:?} vs {:?}", facts.errors),
    );
    let all = parsed_leaks(p.leak_searches.iter().flat_map(|s| &s.records));
    expect(
        "leaks by kind",
        all == facts.leaks,
        format!("{all:?} vs {:?}", facts.leaks),
    );
    if facts.finished && !facts.final_leaks.is_empty() {
        let last = parsed_leaks(p.loss_records().iter());
        expect(
            "final leak search",
            last == facts.final_leaks,
            format!("{last:?} vs {:?}", facts.final_leaks),
        );
    }
    if let Some(n) = facts.occurrences {
        let total: u64 = p.errors.iter().map(|e| e.count).sum();
        expect("error occurrences", total == n, format!("{total} vs {n}"));
    }
    bad
}

/// Every XML log among the fixtures: valgrind's own expectations (3.19 and
/// 3.27: memcheck, helgrind, drd, fd-leak), the logs of our programs, the
/// real Numba log.
#[test]
fn every_xml_log_matches_what_it_states() {
    let mut failures = Vec::new();
    let (mut seen, mut expectations) = (0, 0);
    for path in files_under("", |_| true) {
        let name = path.to_string_lossy();
        if name.contains("/src/") || name.ends_with(".vgtest") {
            continue;
        }
        let data = read_plain(&path);
        // An XML log starts so; prose that mentions the element does not.
        if !(data.starts_with(b"<?xml") || data.starts_with(b"<valgrindoutput")) {
            continue;
        }
        if name.contains("/valgrind-tests/") {
            expectations += 1;
        }
        seen += 1;
        let text = String::from_utf8_lossy(&data);
        let facts = scan(&text);
        let report = match load_paths(&[name.to_string()], None) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if report.inputs[0].format.name() != "valgrind-xml" {
            failures.push(format!(
                "{name}: detected as {}",
                report.inputs[0].format.name()
            ));
        }
        let memcheck = report.processes.first().and_then(|p| p.tool.as_deref()) == Some("memcheck");
        let warnings = &report.inputs[0].warnings;
        if memcheck && !name.ends_with("truncated.xml") && !warnings.is_empty() {
            failures.push(format!("{name}: unexpected warnings {warnings:?}"));
        }
        failures.extend(check(&path, &report, &facts));
    }
    // 81 expectations + leaky, leaky-with-supp, leaky-gensupp, delta,
    // helgrind, truncated + the Numba log.
    assert_eq!(expectations, 81, "XML expectations found");
    assert!(seen >= 88, "only {seen} XML logs found");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn kind_figure(p: &Process, kind: LeakKind) -> (u64, u64, u64, usize) {
    let recs: Vec<_> = p.loss_records().iter().filter(|r| r.kind == kind).collect();
    (
        recs.iter()
            .map(|r| u64::try_from(r.total_bytes()).unwrap())
            .sum(),
        recs.iter().map(|r| r.direct_bytes()).sum(),
        recs.iter().map(|r| r.blocks()).sum(),
        recs.len(),
    )
}

/// The figures of the shared corpus's MANIFEST.md for real/numba-seed.xml.gz.
#[test]
fn numba_seed_xml_matches_the_manifest() {
    let started = std::time::Instant::now();
    let r = load("real/numba-seed.xml.gz");
    let p = &r.processes[0];
    assert_eq!(
        (p.pid, p.ppid, p.protocol_version),
        (5821, Some(5819), Some(4))
    );
    assert_eq!(p.command.as_deref(), Some("python nb_jit.py"));
    assert_eq!(p.options.len(), 5);
    assert_eq!(
        kind_figure(p, LeakKind::DefinitelyLost),
        (4_143_832, 305_616, 420, 17)
    );
    assert_eq!(
        kind_figure(p, LeakKind::IndirectlyLost),
        (3_838_216, 3_838_216, 14_837, 924)
    );
    assert_eq!(
        kind_figure(p, LeakKind::PossiblyLost),
        (279_615, 279_615, 353, 125)
    );
    assert_eq!(
        kind_figure(p, LeakKind::StillReachable),
        (3_149_589, 3_149_589, 2_305, 929)
    );
    assert_eq!(p.errors.len(), 4);
    assert!(p
        .errors
        .iter()
        .all(|e| e.kind == ErrorKind::InvalidRead && e.count == 2));
    assert_eq!(p.leak_searches.len(), 1);
    assert_eq!(
        (r.inputs[0].lines, r.inputs[0].bytes),
        (853_746, 31_519_821)
    );
    assert!(r.inputs[0].warnings.is_empty());
    eprintln!("numba-seed.xml.gz parsed in {:?}", started.elapsed());
}

/// The same program under valgrind twice, once with --xml=yes: the same
/// records (kinds, bytes, stacks as labels), totals and groups.
#[test]
fn text_and_xml_of_one_run_agree() {
    for (txt, xml) in [
        ("leaky.txt", "leaky.xml"),
        ("leaky-with-supp.txt", "leaky-with-supp.xml"),
        ("leaky-gensupp.txt", "leaky-gensupp.xml"),
        ("delta.txt", "delta.xml"),
    ] {
        let (t, x) = (load(txt), load(xml));
        let (st, sx) = (summarize(&t), summarize(&x));
        let (pt, px) = (&st.processes[0], &sx.processes[0]);
        assert_eq!(json(&pt.leaks), json(&px.leaks), "{xml}: totals");
        assert_eq!(json(&pt.groups), json(&px.groups), "{xml}: groups");
        assert_eq!(
            pt.errors.contexts, px.errors.contexts,
            "{xml}: error contexts"
        );
        assert_eq!(
            pt.errors.by_kind.keys().collect::<Vec<_>>(),
            px.errors.by_kind.keys().collect::<Vec<_>>(),
            "{xml}: error kinds"
        );
        let (a, b) = (&t.processes[0], &x.processes[0]);
        assert_eq!(
            a.leak_searches.len(),
            b.leak_searches.len(),
            "{xml}: searches"
        );
        for (sa, sb) in a.leak_searches.iter().zip(&b.leak_searches) {
            assert_eq!(
                sa.records.len(),
                sb.records.len(),
                "{xml}: records per search"
            );
            for (i, (ra, rb)) in sa.records.iter().zip(&sb.records).enumerate() {
                let fields = |r: &leakscope::model::LossRecord,
                              s: &leakscope::model::LeakSearch| {
                    (
                        r.kind,
                        r.direct_bytes(),
                        r.indirect_bytes(),
                        r.blocks(),
                        r.number(),
                        s.of(i),
                        r.delta_bytes(),
                    )
                };
                assert_eq!(
                    fields(ra, sa),
                    fields(rb, sb),
                    "{xml}: record at line {}",
                    rb.line()
                );
                let labels = |rep: &Report, s| -> Vec<String> {
                    rep.interner.frames_of(s).map(|f| f.label()).collect()
                };
                assert_eq!(labels(&t, ra.stack), labels(&x, rb.stack), "{xml}: stack");
                assert_eq!(ra.suppression(), rb.suppression(), "{xml}: suppression");
            }
        }
        for (ea, eb) in a.errors.iter().zip(&b.errors) {
            assert_eq!((&ea.kind, &ea.what), (&eb.kind, &eb.what), "{xml}: error");
            // The XML run of leaky-gensupp also tracked origins: one more
            // sentence and stack at the end.
            let whats = |e: &leakscope::model::MemcheckError| -> Vec<String> {
                e.aux.iter().map(|a| a.what.to_string()).collect()
            };
            assert!(
                whats(eb).starts_with(&whats(ea)),
                "{xml}: aux of {}: {:?} vs {:?}",
                eb.what,
                whats(ea),
                whats(eb)
            );
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("serialises")
}

/// --gen-suppressions=all --track-origins=yes: each suppression attached
/// once (3.19's top-level repeats ignored), mangled names learnt, origins kept.
#[test]
fn generated_suppressions_and_origins() {
    let r = load("leaky-gensupp.xml");
    let p = &r.processes[0];
    assert_eq!((p.errors.len(), p.loss_records().len()), (8, 9));
    assert!(p.errors.iter().all(|e| e.suppression.is_some()));
    assert!(p.loss_records().iter().all(|r| r.suppression().is_some()));
    let widget = p
        .loss_records()
        .iter()
        .flat_map(|rec| r.interner.frames_of(rec.stack))
        .find(|f| f.function.as_deref() == Some("fixture::Widget::Widget(long)"))
        .expect("the Widget constructor frame");
    assert_eq!(widget.mangled.as_deref(), Some("_ZN7fixture6WidgetC1El"));
    let uninit = p
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::UninitCondition)
        .expect("uninit error");
    assert_eq!(uninit.count, 3);
    let origin = uninit.aux.last().expect("origin");
    assert_eq!(
        &*origin.what,
        "Uninitialised value was created by a heap allocation"
    );
    let top = r
        .interner
        .frames_of(origin.stack)
        .next()
        .expect("origin frame");
    assert_eq!(top.function.as_deref(), Some("malloc"));
}

/// Leak searches the client asked for (VALGRIND_DO_*_LEAK_CHECK) have no
/// marker in protocol 4: they are told apart by their numbering.
#[test]
fn client_leak_checks_are_searches_of_their_own() {
    let r = load("delta.xml");
    let p = &r.processes[0];
    let sizes: Vec<usize> = p.leak_searches.iter().map(|s| s.records.len()).collect();
    assert_eq!(sizes, [2, 2, 2, 4]);
    assert_eq!(p.leak_searches[1].records[0].delta_bytes(), Some(50));
    assert_eq!(p.leak_searches[2].records[0].delta_blocks(), Some(-1));
    assert_eq!(kind_figure(p, LeakKind::DefinitelyLost), (432, 432, 6, 3));
    assert_eq!(kind_figure(p, LeakKind::StillReachable), (50, 50, 1, 1));
}

#[test]
fn a_cut_off_log_keeps_what_was_read() {
    let r = load("truncated.xml");
    let p = &r.processes[0];
    assert_eq!(p.errors.len(), 3);
    let w = &r.inputs[0].warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].line, 169);
    assert!(w[0].message.contains("cut off"), "{}", w[0].message);
    assert!(w[0].message.contains("from line 160"), "{}", w[0].message);
}

#[test]
fn another_tools_xml_is_read_with_a_warning() {
    let r = load("helgrind.xml");
    let p = &r.processes[0];
    assert_eq!(p.tool.as_deref(), Some("helgrind"));
    assert_eq!(p.errors.len(), 2);
    assert!(p
        .errors
        .iter()
        .all(|e| e.kind == ErrorKind::Other("Race".into())));
    assert!(p.errors[0].what.starts_with("Possible data race"));
    assert_eq!(p.errors[0].aux.len(), 2);
    let w = &r.inputs[0].warnings;
    assert!(w.len() == 1 && w[0].message.contains("helgrind"), "{w:?}");
}

/// The explorer draws from the report while it loads: progress comes every
/// 64K lines, with the records read so far already in the report.
#[test]
fn progress_is_reported_while_loading() {
    let src = leakscope::parse::source::open(&fixture("real/numba-seed.xml.gz").to_string_lossy())
        .expect("opens");
    let mut report = Report::new();
    let mut seen: Vec<(u64, usize)> = Vec::new();
    leakscope::parse::read_source(&mut report, src, None, &mut |r, p| {
        let records = r.processes.iter().map(|p| p.loss_records().len()).sum();
        seen.push((p.lines, records));
    })
    .expect("reads");
    assert!(seen.len() >= 13, "{} progress calls", seen.len());
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress goes forward"
    );
    assert!(
        seen.iter().any(|&(_, n)| n > 0 && n < 1995),
        "records appear while loading: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&(853_746, 1995)));
}

#[test]
fn suppcounts_become_used_suppressions() {
    let r = load("leaky-with-supp.xml");
    let used: Vec<(&str, u64)> = r.processes[0]
        .used_suppressions
        .iter()
        .map(|u| (u.name.as_str(), u.count))
        .collect();
    assert_eq!(
        used,
        [
            ("tree-children-indirect", 2),
            ("widget-leak-cxx", 2),
            ("write-past-end", 1)
        ]
    );
}
