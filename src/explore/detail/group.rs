//! The detail of a category and of a group: figures, what is hidden and why,
//! size spread and the stack the group's records share.

use super::process::process_header;
use super::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// What a group's detail reads of its items: the first shown one in sort
/// order (else the first), and the spread of the shown records' sizes
/// when there are two or more.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    first: Option<u32>,
    sizes: Option<(u64, u64, u64)>,
}

/// The last few groups' [`Read`]s and item lists, by model generation
/// and group: a collapsed group's items are read from every record of its
/// process (nothing per record is kept), so the detail of a group lists
/// them once while the selection stays on it or returns to it (a filter
/// keystroke reads only its list again), not at every draw.
#[derive(Debug, Default)]
pub struct GroupMemo {
    reads: Mutex<VecDeque<(MemoKey, Read)>>,
    lists: Mutex<VecDeque<(MemoKey, Arc<[u32]>)>>,
}

/// A generation of the model (see `Ctx::generation`) and the group.
type MemoKey = (u64, (usize, usize, u32));

/// How many groups' reads are kept.
const READS: usize = 8;
/// How many items the kept lists may hold together (4 MiB); a larger
/// group is read from the records each time.
const LISTED: usize = 1 << 20;

impl GroupMemo {
    fn read(&self, key: MemoKey, make: impl FnOnce() -> Read) -> Read {
        let found = self
            .reads
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|&(_, r)| r));
        if let Some(r) = found {
            return r;
        }
        let r = make();
        if let Ok(mut m) = self.reads.lock() {
            m.retain(|(k, _)| k.0 == key.0);
            if m.len() == READS {
                m.pop_front();
            }
            m.push_back((key, r));
        }
        r
    }

    /// Group `key.1`'s items in sort order, listed from the report once
    /// per index generation `key.0`, if it has at most [`LISTED`].
    fn list(&self, cx: &Ctx, key: MemoKey, len: u64) -> Option<Arc<[u32]>> {
        if len > LISTED as u64 {
            return None;
        }
        let mut m = self.lists.lock().ok()?;
        if let Some((_, l)) = m.iter().find(|(k, _)| *k == key) {
            return Some(l.clone());
        }
        let list: Arc<[u32]> = cx.index.items(cx.report, key.1).into_owned().into();
        m.retain(|(k, _)| k.0 == key.0);
        let mut total: usize = m.iter().map(|(_, l)| l.len()).sum();
        while total + list.len() > LISTED {
            let Some((_, l)) = m.pop_front() else { break };
            total -= l.len();
        }
        m.push_back((key, list.clone()));
        Some(list)
    }
}

/// Reads group `at`'s items (see [`Read`]) in one pass: over the index's
/// kept list or the memo's, else over the process's records.
fn read(cx: &Ctx, (p, c, g): (usize, usize, u32)) -> Read {
    let at = (p, c, g);
    let shown = |it: u32| cx.vis.cause(cx.report, cx.index, p, c, it).is_none();
    let cn = &cx.index.procs[p].cats[c];
    let gn = &cn.groups[g as usize];
    let records = cx.report.processes[cx.index.procs[p].process].loss_records();
    let mut sizes = Spread::default();
    let leak = cn.category.is_leak();
    let mut add = |it: u32| {
        if leak {
            sizes.add(records[it as usize].direct_bytes());
        }
    };
    let listed = match gn.kept_items() {
        Some(_) => None,
        None => cx.memo.list(cx, (cx.generation.1, at), gn.len),
    };
    let first = match &listed {
        Some(items) => {
            let mut first = None;
            for &i in items.iter().filter(|&&i| shown(i)) {
                first = first.or(Some(i));
                add(i);
            }
            first.or(items.first().copied())
        }
        None => {
            let first = cx.index.first_kept(cx.report, at, shown, add);
            first.or_else(|| cx.index.first_item(cx.report, at, |_| true))
        }
    };
    Read {
        first,
        sizes: (sizes.count() > 1).then(|| sizes.of()),
    }
}

pub(super) fn category(cx: &Ctx, d: &mut Detail, p: usize, c: usize) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let cv = &cx.proj.procs[p].cats[c];
    d.category = Some(cn.category.clone());
    d.push(Line::Title(cn.category.name().to_string()));
    if cx.index.multi_process() {
        d.dim(format!("process {}", pn.title));
    }
    let groups = cv.order.len();
    let t = d.headline(cv.fig.shown_or_hidden());
    if cn.category.is_leak() {
        d.text(format!(
            "{} in {} · {} in {}",
            bytes(t.bytes),
            n(t.blocks, "block"),
            n(t.items, "record"),
            n(groups as u64, "group")
        ));
        if cv.fig.vis.indirect > 0 {
            d.dim(format!(
                "these records also hold {} of indirectly lost blocks",
                bytes(cv.fig.vis.indirect)
            ));
        }
        if let Category::Leak(kind) = cn.category {
            let proc_ = &cx.report.processes[pn.process];
            let lsan = crate::explore::notices::is_lsan(cx.report, proc_);
            let whose = if lsan {
                "LeakSanitizer's SUMMARY"
            } else {
                "valgrind's LEAK SUMMARY"
            };
            if let Some(s) = proc_.leak_summary() {
                let fig = s.get(kind);
                let all = cv.fig.all().bytes;
                let agree = if u128::from(fig.bytes) == all {
                    "agrees"
                } else {
                    "differs"
                };
                d.dim(format!(
                    "{whose}: {} bytes in {} blocks ({agree})",
                    count(fig.bytes),
                    count(fig.blocks)
                ));
            }
        }
    } else {
        d.text(format!(
            "{} · {}",
            error_figures(&t, cx.counts_known(p)),
            n(groups as u64, "group")
        ));
    }
    if !cv.fig.hid.is_empty() {
        d.push(Line::Hidden(format!(
            "hidden: {}, {} in {}",
            n(cv.fig.hid.items, "record"),
            bytes(cv.fig.hid.bytes),
            n(cv.fig.hid.blocks, "block")
        )));
    }
    if !cv.fig.out.is_empty() {
        d.dim(format!(
            "filtered out: {}, {}",
            n(cv.fig.out.items, "record"),
            bytes(cv.fig.out.bytes)
        ));
    }
    let timeline = cx
        .growth
        .and_then(|ds| Some((ds.cat_series(p, c)?, ds.timeline(p)?, ds.cat(p, c)?)));
    if let Some((series, t, delta)) = timeline {
        for l in crate::explore::timeline::detail_lines(series, t, delta) {
            d.push(l);
        }
    }
    d.push(Line::Blank);
    d.push(Line::Heading("Largest groups".into()));
    for g in cx.proj.top_groups(cx.index, p, c, 8) {
        let gv = &cv.groups[g as usize];
        let amount = if cn.category.is_leak() {
            bytes(gv.fig.vis.bytes)
        } else if cx.counts_known(p) {
            format!("×{}", count(gv.fig.vis.count))
        } else {
            format!("{} ctx", count(gv.fig.vis.items))
        };
        d.push(Line::Row(format!(
            "{amount:>10}  {}",
            cn.groups[g as usize].display
        )));
    }
    // A single process has no row of its own: its header is here.
    if !cx.index.multi_process() {
        d.push(Line::Blank);
        d.push(Line::Heading(format!("Process {}", pn.title)));
        process_header(cx, d, p);
    }
}

pub(super) fn group(cx: &Ctx, d: &mut Detail, p: usize, c: usize, g: usize) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let gn = &cn.groups[g];
    let gv = &cx.proj.procs[p].cats[c].groups[g];
    d.category = Some(cn.category.clone());
    d.push(Line::Title(sanitize(&gn.label).into_owned()));
    d.dim(format!(
        "{} · grouped by {}",
        cn.category.name(),
        cx.index.by.name()
    ));
    // The shown items (not those a row lists with hidden items shown),
    // read from the report rather than listed.
    let at = (p, c, g as u32);
    let read = cx.memo.read((cx.generation.0, at), || read(cx, at));
    let t = d.headline(gv.fig.shown_or_hidden());
    if cn.category.is_leak() {
        d.text(format!(
            "{} in {} · {}",
            exact_bytes(t.bytes),
            n(t.blocks, "block"),
            n(t.items, "record")
        ));
        if gv.fig.vis.indirect > 0 {
            d.dim(format!(
                "plus {} indirectly lost through these blocks",
                bytes(gv.fig.vis.indirect)
            ));
        }
        if let Some((min, med, max)) = read.sizes {
            d.text(format!(
                "sizes per record: min {} · median {} · max {}",
                bytes(min),
                bytes(med),
                bytes(max)
            ));
        }
    } else {
        d.text(error_figures(&t, cx.counts_known(p)));
    }
    let timeline = cx.growth.and_then(|ds| {
        Some((
            ds.group_series(p, c, g)?,
            ds.timeline(p)?,
            ds.group(p, c, g)?,
        ))
    });
    if let Some((series, t, delta)) = timeline {
        for l in crate::explore::timeline::detail_lines(series, t, delta) {
            d.push(l);
        }
    } else if let Some(delta) = cx.growth.and_then(|ds| ds.group(p, c, g)) {
        let leak = cn.category.is_leak();
        d.text(match delta.status {
            crate::triage::diff::Status::New => "new since the baseline".to_string(),
            s => format!(
                "since the baseline: {} {}, {}",
                delta.text(leak),
                if leak { "direct bytes" } else { "occurrences" },
                s.word()
            ),
        });
        if leak && delta.indirect != 0 {
            d.dim(format!(
                "indirectly lost through them: {}{} since the baseline",
                if delta.indirect > 0 { "+" } else { "−" },
                bytes(delta.indirect.unsigned_abs())
            ));
        }
    }
    if !gv.fig.hid.is_empty() {
        d.push(Line::Hidden(format!(
            "hidden: {}, {}",
            n(gv.fig.hid.items, "record"),
            bytes(gv.fig.hid.bytes)
        )));
    }
    if !gv.fig.out.is_empty() {
        d.dim(format!(
            "filtered out: {}, {}",
            n(gv.fig.out.items, "record"),
            bytes(gv.fig.out.bytes)
        ));
    }
    let first = read.first.unwrap_or(0);
    let stack = cx.index.item_stack(cx.report, p, c, first);
    let frames = cx.report.interner.stack(stack);
    let common = (gn.common as usize).min(frames.len());
    d.push(Line::Blank);
    let whole = frames.len();
    if gn.len == 1 || common == whole {
        d.push(Line::Heading(format!("Stack ({whole} frames)")));
    } else {
        d.push(Line::Heading(format!(
            "Common stack ({common} of {whole} frames; records differ below)"
        )));
    }
    d.stack(
        cx.frames,
        &cx.report.interner,
        frames.prefix(common),
        cx.unfold_interpreter,
    );
    d.copy = Some(stack_text(
        &format!("{} group: {}", cn.category.name(), gn.label),
        &cx.report.interner,
        frames.prefix(common),
    ));
}
