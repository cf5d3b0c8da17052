//! The detail of a process: its figures and valgrind's own header for it
//! (command, PID, options, HEAP and ERROR SUMMARY as printed).

use super::*;

pub(super) fn process(cx: &Ctx, d: &mut Detail, p: usize) {
    let pn = &cx.index.procs[p];
    d.push(Line::Title(format!("Process {}", pn.title)));
    let pv = &cx.proj.procs[p];
    let (t, hidden) = pv.leaks.shown_or_hidden();
    d.figures = Some((t, hidden));
    d.text(format!(
        "leaks{}: {} in {}, {}",
        if hidden { ", none shown" } else { "" },
        bytes(t.bytes),
        n(t.blocks, "block"),
        n(t.items, "record")
    ));
    if !pv.errors.vis.is_empty() {
        d.text(format!(
            "errors: {}",
            error_figures(&pv.errors.vis, cx.counts_known(p))
        ));
    }
    process_header(cx, d, p);
}

/// What the log says about a process: who it was, what valgrind printed at
/// its end (HEAP and ERROR SUMMARY as printed), how many leak searches ran.
/// `p`: the process's place in the index.
pub(super) fn process_header(cx: &Ctx, d: &mut Detail, p: usize) {
    let pn = &cx.index.procs[p];
    let proc_ = &cx.report.processes[pn.process];
    let lsan = crate::explore::notices::is_lsan(cx.report, proc_);
    let mut who = vec![format!("PID {}", proc_.pid)];
    if let Some(pp) = proc_.ppid {
        who.push(format!("parent {pp}"));
    }
    if let Some(t) = &proc_.tool {
        who.push(sanitize(t).into_owned());
    }
    if let Some(v) = &proc_.valgrind_version {
        who.push(format!("valgrind {}", sanitize(v)));
    }
    if lsan && proc_.tool.is_none() {
        who.push("LeakSanitizer".into());
    }
    d.dim(who.join(" · "));
    if let Some(c) = &proc_.command {
        d.dim(format!("command: {}", sanitize(c)));
    }
    if let Some(h) = &proc_.heap_summary {
        d.text(format!(
            "HEAP SUMMARY: in use at exit: {} bytes in {} blocks; total heap usage: {} allocs, {} frees, {} bytes allocated",
            count(h.in_use_bytes),
            count(h.in_use_blocks),
            count(h.allocs),
            count(h.frees),
            count(h.bytes_allocated)
        ));
    }
    if let Some(e) = &proc_.error_summary {
        d.text(format!(
            "ERROR SUMMARY: {} errors from {} contexts (suppressed: {} from {})",
            count(e.errors),
            count(e.contexts),
            count(e.suppressed),
            count(e.suppressed_contexts)
        ));
    } else if proc_.finished {
        d.push(Line::Hidden(
            "the log is whole (its XML protocol has no ERROR SUMMARY)".into(),
        ));
    } else if !lsan {
        d.push(Line::Hidden(
            "no ERROR SUMMARY: the run was killed or the log cut off (W lists warnings)".into(),
        ));
    }
    match proc_.leak_searches.len() {
        0 if lsan => {}
        0 => d.push(Line::Hidden(
            "no leak search ran (--leak-check=no, or the run ended before exit): no leak figures"
                .into(),
        )),
        1 => {}
        k => d.dim(format!(
            "{} leak searches; the tree shows the last",
            count(k as u64)
        )),
    }
    let has_records = |k| pn.cats.iter().any(|c| c.category == Category::Leak(k));
    for (k, f) in proc_.kinds_not_shown(has_records) {
        d.push(Line::Hidden(format!(
            "{}: valgrind counted {} bytes in {} blocks; the log shows none of its records (--show-leak-kinds)",
            k.text(),
            count(f.bytes),
            count(f.blocks)
        )));
    }
    if let Some(sig) = &proc_.fatal_signal {
        d.push(Line::Hidden(format!("terminated: {}", sanitize(sig))));
    }
    if !proc_.options.is_empty() {
        d.push(Line::Blank);
        d.push(Line::Heading("Options".into()));
        for o in &proc_.options {
            d.push(Line::Code(sanitize(o).into_owned()));
        }
    }
}
