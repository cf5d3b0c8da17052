//! Tests of `plan`: which records rules hide, and that the screening's
//! shortcuts never change a verdict.

use super::super::parts::in_parts;
use super::super::{Item, Job};
use super::*;
use crate::parse::parse_bytes;
use crate::triage::rules::{builtin_sets, RuleSet, Source};

/// A log of one process with `--num-callers=N` listed and one definitely
/// lost record per stack (each stack a list of function names).
fn log(num_callers: usize, stacks: &[&[&str]]) -> Vec<u8> {
    let records: Vec<_> = stacks.iter().map(|&s| ("definitely lost", s)).collect();
    log_kinds(num_callers, &records)
}

/// As [`log`], each record of the given kind (`still reachable`…).
fn log_kinds(num_callers: usize, stacks: &[(&str, &[&str])]) -> Vec<u8> {
    let mut s = String::from(
        "==1== Memcheck, a memory error detector\n==1== Command: ./x\n==1== \n\
         ==1== Valgrind options:\n==1==    --leak-check=full\n",
    );
    s += &format!("==1==    --num-callers={num_callers}\n==1== \n");
    for (i, (kind, stack)) in stacks.iter().enumerate() {
        s += &format!(
            "==1== 8 bytes in 1 blocks are {kind} in loss record {} of {}\n",
            i + 1,
            stacks.len()
        );
        for (j, f) in stack.iter().enumerate() {
            let at = if j == 0 { "at" } else { "by" };
            s += &format!(
                "==1==    {at} 0x{:X}: {f} (a.c:{})\n",
                0x100 * (i + 1) + j,
                j + 1
            );
        }
        s += "==1== \n";
    }
    s.into_bytes()
}

/// The screening and the full match read each location's answers from
/// rows shared by the threads: on stacks drawn from the functions the
/// built-in sets name, split over threads, they say what each thread's
/// own tests say.
#[test]
fn shared_rows_say_what_each_threads_tests_say() {
    let funs = [
        "malloc",
        "calloc",
        "realloc",
        "_PyObject_Malloc",
        "PyImport_ImportModuleLevelObject",
        "_dl_map_object",
        "call_init",
        "arena_map_get",
        "alpha",
        "main",
    ];
    let kinds = ["definitely lost", "possibly lost", "still reachable"];
    let mut records: Vec<(&str, Vec<&str>)> = Vec::new();
    for i in 0..3000usize {
        let depth = 1 + i % 6;
        let stack = (0..depth).map(|j| funs[(i * (j + 3) + j * j) % funs.len()]);
        records.push((kinds[i % 3], stack.collect()));
    }
    let borrowed: Vec<(&str, &[&str])> = records.iter().map(|(k, s)| (*k, &s[..])).collect();
    let report = parse_bytes("t", &log_kinds(12, &borrowed), None).unwrap();
    let mut rules = RuleSet::new();
    for (name, text) in builtin_sets() {
        rules.add_text(name, text, Source::Builtin);
    }
    let locations = report.interner.location_count();
    let shared = Plan::new(&rules, locations);
    assert!(shared.rows.is_some(), "the built-in sets fit a row");
    let mut own = Plan::new(&rules, locations);
    own.rows = None;
    let p = &report.processes[0];
    let entries: Vec<_> = p.leak_searches[0]
        .records
        .iter()
        .map(|r| (r.stack, r.kind))
        .collect();
    let run = |plan: &Plan| {
        let new = || FrameMatcher::new(&report.interner);
        let may = in_parts(&entries, 512, &mut Vec::new(), new, |fm, &(stack, kind)| {
            plan.may_match(fm, report.interner.stack(stack), (false, 12), kind)
        });
        let matches = in_parts(&entries, 512, &mut Vec::new(), new, |fm, &(stack, kind)| {
            let item = Item::Record(stack, kind);
            plan.job_matches(
                fm,
                &report,
                &Job {
                    lsan: false,
                    limit: 12,
                    item,
                },
            )
        });
        (may, matches)
    };
    let (may, matches) = run(&shared);
    assert_eq!((may.clone(), matches.clone()), run(&own));
    let hidden = matches.iter().filter(|m| !m.yes.is_empty()).count();
    assert!(hidden > 0 && may.iter().any(|m| !m), "{hidden} hidden");
}

/// Which records the rule `frames` hides, by record index.
fn hidden(frames: &str, num_callers: usize, stacks: &[&[&str]]) -> Vec<bool> {
    hidden_in(frames, &log(num_callers, stacks), stacks.len())
}

/// Which of the `n` records of `log` the rule `frames` hides.
fn hidden_in(frames: &str, log: &[u8], n: usize) -> Vec<bool> {
    let report = parse_bytes("t", log, None).unwrap();
    let mut rules = RuleSet::new();
    let supp = format!("{{\n   r\n   Memcheck:Leak\n{frames}}}\n");
    rules.add_text("t.supp", &supp, Source::CommandLine);
    assert!(rules.problems().is_empty(), "{:?}", rules.problems());
    let hiding = rules.apply(&report);
    (0..n).map(|i| hiding.record(0, i).is_some()).collect()
}

/// A rule's top lines past --num-callers are cut off too, and
/// rules sharing a top line are each ruled out or kept by it, with
/// more rules than a word of bits (tested rule by rule) as with few.
#[test]
fn top_lines_past_num_callers_and_shared_top_lines() {
    let stacks: &[&[&str]] = &[&["malloc", "alpha", "gamma"], &["malloc", "beta", "gamma"]];
    let rule = "   fun:malloc\n   fun:alpha\n   fun:beta\n";
    assert_eq!(hidden(rule, 2, stacks), [true, false]);
    assert_eq!(hidden(rule, 12, stacks), [false, false]);
    let log = log(12, stacks);
    for others in [3, 70] {
        let mut supp = String::new();
        for i in 0..others {
            supp +=
                &format!("{{\n   r{i}\n   Memcheck:Leak\n   fun:malloc\n   fun:nowhere{i}\n}}\n");
        }
        supp += "{\n   last\n   Memcheck:Leak\n   fun:malloc\n   fun:beta\n}\n";
        let report = parse_bytes("t", &log, None).unwrap();
        let mut rules = RuleSet::new();
        rules.add_text("t.supp", &supp, Source::CommandLine);
        let hiding = rules.apply(&report);
        let by: Vec<_> = (0..2).map(|i| hiding.record(0, i)).collect();
        assert_eq!(
            by,
            [None, Some(crate::triage::rules::RuleId(others))],
            "{others} others"
        );
    }
}

/// Stacks are ruled out before any full match by the rule's kinds, its
/// lines before the first `...` on the top frames, and its lines after
/// it anywhere: only a stack passing all three is hidden, and a stack
/// seen under two kinds gets each kind's verdict.
#[test]
fn kinds_top_lines_and_anchors_rule_stacks_out() {
    let records: &[(&str, &[&str])] = &[
        ("still reachable", &["malloc", "alpha", "beta", "main"]),
        ("definitely lost", &["malloc", "alpha", "beta", "main"]),
        ("indirectly lost", &["malloc", "alpha", "beta", "main"]),
        ("still reachable", &["calloc", "alpha", "beta", "main"]),
        ("still reachable", &["malloc", "gamma", "beta", "main"]),
        ("still reachable", &["malloc", "alpha", "gamma", "main"]),
        ("still reachable", &["malloc", "alpha"]),
    ];
    let rule = "   match-leak-kinds: reachable\n   fun:malloc\n   fun:alpha\n   ...\n   fun:beta\n";
    let log = log_kinds(12, records);
    let want = [true, false, false, false, false, false, false];
    assert_eq!(hidden_in(rule, &log, records.len()), want);
    // A rule taking every kind hides the stack under each of them.
    let rule = "   fun:malloc\n   fun:alpha\n   ...\n   fun:beta\n";
    let want = [true, true, true, false, false, false, false];
    assert_eq!(hidden_in(rule, &log, records.len()), want);
}

/// The prefilter rules a rule out only when one of its frame lines after
/// a `...` matches nowhere in the stack: lines present but not in the
/// rule's order still go to the full match, which says no.
#[test]
fn every_line_after_an_ellipsis_must_be_present() {
    let stacks: &[&[&str]] = &[
        &["malloc", "alpha", "beta", "main"],
        &["malloc", "alpha", "gamma", "beta", "main"],
        &["malloc", "alpha", "main"],
        &["malloc", "gamma", "beta", "main"],
    ];
    let rule = "   ...\n   fun:alpha\n   fun:beta\n";
    assert_eq!(hidden(rule, 12, stacks), [true, false, false, false]);
    let rule = "   fun:malloc\n   ...\n   fun:beta\n   fun:main\n";
    assert_eq!(hidden(rule, 12, stacks), [true, true, false, true]);
}

/// A log that does not list its options is cut at its deepest stack (at
/// least 12 frames): a rule longer than that is cut there, and one no
/// longer is not cut, however the stacks are walked.
#[test]
fn without_options_rules_are_cut_at_the_deepest_stack() {
    let names = |n: usize, tail: &[&str]| -> Vec<String> {
        let head = (0..n).map(|i| format!("f{i}"));
        head.chain(tail.iter().map(|t| t.to_string())).collect()
    };
    let log_of = |stacks: &[Vec<String>]| {
        let mut s =
            String::from("==1== Memcheck, a memory error detector\n==1== Command: ./x\n==1== \n");
        for (i, stack) in stacks.iter().enumerate() {
            s += &format!(
                "==1== 8 bytes in 1 blocks are definitely lost in loss record {} of {}\n",
                i + 1,
                stacks.len()
            );
            for (j, f) in stack.iter().enumerate() {
                let at = if j == 0 { "at" } else { "by" };
                s += &format!(
                    "==1==    {at} 0x{:X}: {f} (a.c:{})\n",
                    0x100 * (i + 1) + j,
                    j + 1
                );
            }
            s += "==1== \n";
        }
        s.into_bytes()
    };
    let rule: String = (0..14).map(|i| format!("   fun:f{i}\n")).collect();
    // Stacks of 14 frames: the whole rule is used; the second stack
    // differs in its last two frames only.
    let deep = [names(14, &[]), names(12, &["g12", "g13"]), names(3, &[])];
    assert_eq!(hidden_in(&rule, &log_of(&deep), 3), [true, false, false]);
    // At most 13 frames: the rule is cut to its first 13 lines.
    let shallow = [names(13, &[]), names(12, &["g12"]), names(12, &[])];
    assert_eq!(hidden_in(&rule, &log_of(&shallow), 3), [true, false, false]);
    // A rule of 12 lines or fewer is never cut: 12 of them on stacks
    // of 14 frames.
    let short: String = (0..12).map(|i| format!("   fun:f{i}\n")).collect();
    assert_eq!(hidden_in(&short, &log_of(&deep), 3), [true, true, false]);
}

/// Lines past --num-callers are cut off the rule, as valgrind cuts them
/// when it reads the file: they are not needed in the stack either.
#[test]
fn lines_past_num_callers_are_not_needed() {
    let stacks: &[&[&str]] = &[&["malloc", "alpha", "main"], &["calloc", "alpha", "main"]];
    let rule = "   fun:malloc\n   ...\n   fun:absent\n";
    assert_eq!(hidden(rule, 2, stacks), [true, false]);
    assert_eq!(hidden(rule, 12, stacks), [false, false]);
}
