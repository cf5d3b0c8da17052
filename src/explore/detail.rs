//! What the detail pane says about the selected node, as plain data. Built on
//! demand from the state (the view draws it; `update` uses it to move the frame
//! cursor, open a frame in the editor and copy a stack).

use super::hide::{describe_loaded, Hiding, RuleRef};
use super::index::{Category, Index};
use super::places::FrameInfo;
use super::projection::{Cause, Projection, Tot, Visibility};
use super::tree::NodeRef;
use crate::model::{FrameId, Interner, Report};
use crate::report::human::{bytes, count, exact_bytes};
use crate::sanitize::sanitize;
use crate::triage::is_allocator;
use crate::triage::rules::{self, RuleSet, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The node's name.
    Title(String),
    Text(String),
    /// Secondary information.
    Dim(String),
    /// A line of a table (aligned columns): cut, never wrapped.
    Row(String),
    /// Why the node is hidden.
    Hidden(String),
    /// A stack's heading.
    Heading(String),
    /// One frame: its number in the stack and whether it is the program's own.
    Frame {
        n: usize,
        id: FrameId,
        own: bool,
    },
    /// A run of interpreter frames between Python functions (eval loop,
    /// vectorcall, trampolines, the unwinder's bogus frames), folded: the
    /// stack numbers of the first and last, and how many are shown as code.
    Folded {
        first: usize,
        last: usize,
        frames: usize,
    },
    /// A line of valgrind's suppression text.
    Code(String),
    Blank,
}

#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub lines: Vec<Line>,
    /// Indices of the frame lines, for the frame cursor.
    pub frames: Vec<usize>,
    /// The stack as text, for the clipboard.
    pub copy: Option<String>,
    pub category: Option<Category>,
    /// The figures the pane states for the node (what its headline says),
    /// and whether they are what is not shown: its tree row's, always.
    pub figures: Option<(Tot, bool)>,
}

impl Detail {
    fn push(&mut self, l: Line) {
        if matches!(l, Line::Frame { .. }) {
            self.frames.push(self.lines.len());
        }
        self.lines.push(l);
    }

    fn text(&mut self, s: String) {
        self.push(Line::Text(s));
    }

    fn dim(&mut self, s: String) {
        self.push(Line::Dim(s));
    }

    /// The frames of a stack; unless `unfold`, each run of interpreter frames
    /// (see [`interpreter_runs`]) becomes one `Folded` line. Frames that are
    /// not code are left out either way.
    fn stack(&mut self, info: &FrameInfo, interner: &Interner, frames: &[FrameId], unfold: bool) {
        let runs = if unfold {
            Vec::new()
        } else {
            interpreter_runs(info, interner, frames)
        };
        let mut n = 0;
        while n < frames.len() {
            if let Some(&(start, end)) = runs.iter().find(|r| r.0 == n) {
                let shown = frames[start..end]
                    .iter()
                    .filter(|&&f| !interner.frame(f).is_not_code())
                    .count();
                self.push(Line::Folded {
                    first: start,
                    last: end - 1,
                    frames: shown,
                });
                n = end;
                continue;
            }
            let id = frames[n];
            if !interner.frame(id).is_not_code() {
                let own = info.is_own(id);
                self.push(Line::Frame { n, id, own });
            }
            n += 1;
        }
    }

    /// Splits long prose lines (not frames or suppression text) at spaces.
    fn wrap(&mut self, width: usize) {
        let lines = std::mem::take(&mut self.lines);
        self.lines.reserve(lines.len() + 4);
        self.frames.clear();
        for l in lines {
            let (text, make): (&str, fn(String) -> Line) = match &l {
                Line::Text(t) => (t, Line::Text),
                Line::Dim(t) => (t, Line::Dim),
                Line::Hidden(t) => (t, Line::Hidden),
                Line::Title(t) => (t, Line::Title),
                _ => {
                    self.push(l);
                    continue;
                }
            };
            if text.chars().count() <= width {
                self.push(l);
                continue;
            }
            for (i, part) in wrap_words(text, width).into_iter().enumerate() {
                self.push(make(if i == 0 { part } else { format!("  {part}") }));
            }
        }
    }

    /// The frame under the cursor.
    pub fn frame_at(&self, cursor: usize) -> Option<FrameId> {
        let li = *self.frames.get(cursor)?;
        match self.lines[li] {
            Line::Frame { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The frame worth opening when none is chosen: the program's own frame
    /// nearest the allocation, else the first non-allocator frame with a source.
    pub fn best_frame(&self, interner: &Interner) -> Option<FrameId> {
        let frames = || {
            self.lines.iter().filter_map(|l| match l {
                Line::Frame { id, own, .. } => Some((*id, *own)),
                _ => None,
            })
        };
        frames()
            .find(|&(id, own)| own && interner.frame(id).file.is_some())
            .or_else(|| {
                frames().find(|&(id, _)| {
                    let f = interner.frame(id);
                    f.file.is_some() && !is_allocator(f.frame)
                })
            })
            .map(|(id, _)| id)
    }
}

impl Ctx<'_> {
    /// Whether process `p`'s log gives error occurrences (see
    /// [`super::notices::occurrences_known`]).
    pub fn counts_known(&self, p: usize) -> bool {
        let proc_ = &self.report.processes[self.index.procs[p].process];
        super::notices::occurrences_known(self.report, proc_)
    }
}

/// Runs (start, end exclusive) of interpreter frames: in a stack with Python
/// functions named from a perf map, the frames outward of the innermost
/// Python function that are neither Python functions nor the user's own
/// native code, two or more at a time. What lies inward (where the memory
/// was allocated: ctypes, an extension, LLVM) stays in view.
pub fn interpreter_runs(
    info: &FrameInfo,
    interner: &Interner,
    frames: &[FrameId],
) -> Vec<(usize, usize)> {
    let Some(first_py) = frames.iter().position(|&f| interner.frame(f).is_python()) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut start = None;
    for (n, &id) in frames.iter().enumerate().skip(first_py) {
        let glue = !interner.frame(id).is_python() && !info.is_own(id);
        match (glue, start) {
            (true, None) => start = Some(n),
            (false, Some(s)) => {
                if n - s >= 2 {
                    runs.push((s, n));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start.filter(|&s| frames.len() - s >= 2) {
        runs.push((s, frames.len()));
    }
    runs
}

pub struct Ctx<'a> {
    pub report: &'a Report,
    pub frames: &'a FrameInfo,
    pub index: &'a Index,
    pub proj: &'a Projection,
    pub vis: Visibility<'a>,
    pub hiding: &'a Hiding,
    pub rule_set: &'a RuleSet,
    pub engine: Option<&'a rules::Hiding>,
    /// Growth per node (the growth stage).
    pub growth: Option<&'a super::growth::Growth>,
    /// Interpreter frames shown one by one (`i`), not folded.
    pub unfold_interpreter: bool,
}

/// The detail of `node`, its prose wrapped to `width` columns (0: unwrapped),
/// so that scrolling and drawing agree on what a line is.
pub fn build(cx: &Ctx, node: NodeRef, width: usize) -> Detail {
    let mut d = build_lines(cx, node);
    if width > 8 {
        d.wrap(width);
    }
    d
}

fn build_lines(cx: &Ctx, node: NodeRef) -> Detail {
    let mut d = Detail::default();
    match node {
        NodeRef::Proc { p } => process(cx, &mut d, p as usize),
        NodeRef::Cat { p, c } => category(cx, &mut d, p as usize, c as usize),
        NodeRef::Group { p, c, g } => group(cx, &mut d, p as usize, c as usize, g as usize),
        NodeRef::Item { p, c, g, i } => {
            let gn = &cx.index.procs[p as usize].cats[c as usize].groups[g as usize];
            item(cx, &mut d, p as usize, c as usize, gn.items[i as usize])
        }
    }
    d
}

fn process(cx: &Ctx, d: &mut Detail, p: usize) {
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
fn process_header(cx: &Ctx, d: &mut Detail, p: usize) {
    let pn = &cx.index.procs[p];
    let proc_ = &cx.report.processes[pn.process];
    let lsan = super::notices::is_lsan(cx.report, proc_);
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

fn category(cx: &Ctx, d: &mut Detail, p: usize, c: usize) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let cv = &cx.proj.procs[p].cats[c];
    d.category = Some(cn.category.clone());
    d.push(Line::Title(cn.category.name().to_string()));
    if cx.index.multi_process() {
        d.dim(format!("process {}", pn.title));
    }
    let groups = cv.order.len();
    let (t, hidden) = cv.fig.shown_or_hidden();
    d.figures = Some((t, hidden));
    if hidden {
        d.push(Line::Hidden("none shown; what is not:".into()));
    }
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
            let lsan = super::notices::is_lsan(cx.report, proc_);
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
        for l in super::timeline::detail_lines(series, t, delta) {
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

fn group(cx: &Ctx, d: &mut Detail, p: usize, c: usize, g: usize) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let gn = &cn.groups[g];
    let gv = &cx.proj.procs[p].cats[c].groups[g];
    let proc_ = &cx.report.processes[pn.process];
    d.category = Some(cn.category.clone());
    d.push(Line::Title(sanitize(&gn.label).into_owned()));
    d.dim(format!(
        "{} · grouped by {}",
        cn.category.name(),
        cx.index.by.name()
    ));
    let shown = &cx.proj.procs[p].cats[c];
    let items: Vec<u32> = shown
        .shown_items(g as u32)
        .iter()
        .map(|&i| gn.items[i as usize])
        .filter(|&it| cx.vis.cause(cx.report, cx.index, p, c, it).is_none())
        .collect();
    let (t, hidden) = gv.fig.shown_or_hidden();
    d.figures = Some((t, hidden));
    if hidden {
        d.push(Line::Hidden("none shown; what is not:".into()));
    }
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
        let mut sizes: Vec<u64> = items
            .iter()
            .map(|&it| proc_.loss_records()[it as usize].direct_bytes)
            .collect();
        if sizes.len() > 1 {
            let (min, med, max) = spread(&mut sizes);
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
        for l in super::timeline::detail_lines(series, t, delta) {
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
    let first = items.first().copied().unwrap_or(gn.items[0]);
    let stack = cx.index.item_stack(cx.report, p, c, first);
    let frames = cx.report.interner.stack(stack);
    let common = (gn.common as usize).min(frames.len());
    d.push(Line::Blank);
    let whole = frames.len();
    if gn.items.len() == 1 || common == whole {
        d.push(Line::Heading(format!("Stack ({whole} frames)")));
    } else {
        d.push(Line::Heading(format!(
            "Common stack ({common} of {whole} frames; records differ below)"
        )));
    }
    d.stack(
        cx.frames,
        &cx.report.interner,
        &frames[..common],
        cx.unfold_interpreter,
    );
    d.copy = Some(stack_text(
        &format!("{} group: {}", cn.category.name(), gn.label),
        &cx.report.interner,
        &frames[..common],
    ));
}

/// An error node's figures, honestly: occurrences only where the log gives
/// them (XML, the -v/-s listing), contexts always.
pub fn error_figures(t: &super::projection::Tot, occurrences_known: bool) -> String {
    if occurrences_known {
        format!("{} in {}", n(t.count, "occurrence"), n(t.items, "context"))
    } else {
        format!(
            "{} (this log does not count occurrences)",
            n(t.items, "context")
        )
    }
}

/// `1 record`, `2 records`, with thousands separators.
fn n(k: impl Into<u128>, what: &str) -> String {
    let k: u128 = k.into();
    format!("{} {what}{}", count(k), if k == 1 { "" } else { "s" })
}

/// Greedy word wrap by characters; a word longer than the width is cut.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if need > width - 2 && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while cur.chars().count() > width - 2 {
            let cut: String = cur.chars().take(width - 2).collect();
            let rest: String = cur.chars().skip(width - 2).collect();
            out.push(cut);
            cur = rest;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Min, median and max (sorts partially in place).
pub fn spread(v: &mut [u64]) -> (u64, u64, u64) {
    let n = v.len();
    let min = *v.iter().min().unwrap_or(&0);
    let max = *v.iter().max().unwrap_or(&0);
    if n == 0 {
        return (0, 0, 0);
    }
    let (_, med, _) = v.select_nth_unstable(n / 2);
    (min, *med, max)
}

fn item(cx: &Ctx, d: &mut Detail, p: usize, c: usize, item: u32) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let proc_ = &cx.report.processes[pn.process];
    let interner = &cx.report.interner;
    d.category = Some(cn.category.clone());
    let suppression;
    match &cn.category {
        Category::Leak(kind) => {
            let r = &proc_.loss_records()[item as usize];
            let num = match (r.number(), r.of()) {
                (Some(n), Some(of)) => {
                    format!("loss record {} of {}", count(n as u64), count(of as u64))
                }
                (Some(n), None) => format!("loss record {}", count(n as u64)),
                _ => "loss record".to_string(),
            };
            d.push(Line::Title(format!("{num} · {}", kind.text())));
            let fig = Tot {
                bytes: r.direct_bytes.into(),
                indirect: r.indirect_bytes().into(),
                blocks: r.blocks().into(),
                items: 1,
                count: 1,
            };
            d.figures = Some((fig, cx.vis.cause(cx.report, cx.index, p, c, item).is_some()));
            let blocks = if r.blocks() == 1 { "block" } else { "blocks" };
            if r.indirect_bytes() > 0 {
                d.text(format!(
                    "{} direct + {} indirect = {} in {} {blocks}",
                    exact_bytes(r.direct_bytes),
                    exact_bytes(r.indirect_bytes()),
                    exact_bytes(r.total_bytes()),
                    count(r.blocks())
                ));
            } else {
                d.text(format!(
                    "{} in {} {blocks}",
                    exact_bytes(r.direct_bytes),
                    count(r.blocks())
                ));
            }
            if let (Some(db), Some(dk)) = (r.delta_bytes(), r.delta_blocks()) {
                d.dim(format!(
                    "since the previous leak search: {db:+} bytes, {dk:+} blocks"
                ));
            }
            d.dim(format!("log line {}", r.line()));
            let header = format!(
                "{} bytes in {} blocks are {} in {num}",
                count(r.total_bytes()),
                count(r.blocks()),
                kind.text()
            );
            suppression = r.suppression();
            hidden_line(cx, d, p, c, item);
            d.push(Line::Blank);
            let frames = interner.stack(r.stack);
            d.push(Line::Heading(format!("Stack ({} frames)", frames.len())));
            d.stack(cx.frames, interner, frames, cx.unfold_interpreter);
            if crate::triage::own::cut_short_at(interner, r.stack).is_some() {
                d.dim(CUT_SHORT_NOTE.to_string());
            }
            d.copy = Some(stack_text(&header, interner, frames));
        }
        Category::Error(kind) => {
            let e = &proc_.errors[item as usize];
            d.push(Line::Title(sanitize(&e.what).into_owned()));
            let fig = Tot {
                items: 1,
                count: e.count.into(),
                ..Tot::default()
            };
            d.figures = Some((fig, cx.vis.cause(cx.report, cx.index, p, c, item).is_some()));
            let times = if e.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", count(e.count))
            };
            d.dim(format!("{kind} · {times} · log line {}", e.line));
            hidden_line(cx, d, p, c, item);
            d.push(Line::Blank);
            let frames = interner.stack(e.stack);
            d.push(Line::Heading(format!("Stack ({} frames)", frames.len())));
            d.stack(cx.frames, interner, frames, cx.unfold_interpreter);
            let mut text = stack_text(&e.what, interner, frames);
            for aux in &e.aux {
                d.push(Line::Blank);
                d.push(Line::Heading(sanitize(&aux.what).into_owned()));
                let af = interner.stack(aux.stack);
                d.stack(cx.frames, interner, af, cx.unfold_interpreter);
                text.push_str(&stack_text(&aux.what, interner, af));
            }
            d.copy = Some(text);
            suppression = e.suppression.as_deref();
        }
    }
    if let Some(s) = suppression {
        d.push(Line::Blank);
        d.push(Line::Heading("Suppression (as valgrind printed it)".into()));
        for l in s.lines() {
            d.push(Line::Code(sanitize(l).into_owned()));
        }
    }
}

fn hidden_line(cx: &Ctx, d: &mut Detail, p: usize, c: usize, item: u32) {
    match cx.vis.cause(cx.report, cx.index, p, c, item) {
        Some(Cause::Rule(RuleRef::Manual(r))) => {
            if let Some(rule) = cx.hiding.get(r) {
                d.push(Line::Hidden(format!(
                    "hidden by rule “{}”: {}",
                    sanitize(rule.name()),
                    sanitize(rule.reason())
                )));
            }
        }
        Some(Cause::Rule(RuleRef::Loaded(id))) => {
            if let Some((name, reason, at)) = describe_loaded(cx.rule_set, id) {
                d.push(Line::Hidden(format!(
                    "hidden by rule “{}” ({})",
                    sanitize(&name),
                    sanitize(&at)
                )));
                if let Some(why) = reason {
                    d.push(Line::Hidden(format!("why: {}", sanitize(&why))));
                }
            }
        }
        Some(Cause::Filter) => d.push(Line::Hidden(
            "filtered out: its stack does not match the filter".into(),
        )),
        None => {}
    }
    // A rule that might hide this, had the log said enough (an obj: line on
    // a frame printed with its source instead of its object).
    let process = cx.index.procs[p].process;
    let verdict = cx.engine.map(|e| match cx.index.procs[p].cats[c].category {
        Category::Leak(_) => e.record_verdict(process, item as usize),
        Category::Error(_) => e.error_verdict(process, item as usize),
    });
    if let Some(Verdict::Undecided(id)) = verdict {
        if let Some((name, _, at)) = describe_loaded(cx.rule_set, id) {
            d.dim(format!(
                "rule “{}” ({}) might hide this; the log does not say enough to decide",
                sanitize(&name),
                sanitize(&at)
            ));
        }
    }
    // Rules that match but were turned off (R, B): what would hide it.
    if let Some(e) = cx.engine {
        let matching = match cx.index.procs[p].cats[c].category {
            Category::Leak(_) => e.record_rules(process, item as usize),
            Category::Error(_) => e.error_rules(process, item as usize),
        };
        for &id in matching.iter().filter(|&&id| !e.is_enabled(id)).take(3) {
            if let Some((name, _, at)) = describe_loaded(cx.rule_set, id) {
                d.dim(format!(
                    "rule “{}” ({}) matches this but is turned off (R lists rules)",
                    sanitize(&name),
                    sanitize(&at)
                ));
            }
        }
    }
}

/// Under a Python stack that ends short of `main` or a thread's start.
pub const CUT_SHORT_NOTE: &str = "⋯ the stack ends here: valgrind's unwinder went no further, so the callers are unknown (README: Python programs)";

/// A stack in valgrind's own layout, sanitized, for the clipboard.
pub fn stack_text(header: &str, interner: &Interner, frames: &[FrameId]) -> String {
    let mut s = format!("{}\n", sanitize(header));
    for (i, &id) in frames.iter().enumerate() {
        let f = interner.frame(id);
        let verb = if i == 0 { "at" } else { "by" };
        let addr = match f.addr {
            Some(a) => format!("0x{a:X}"),
            None => "0x........".to_string(),
        };
        s.push_str(&format!("   {verb} {addr}: {}\n", sanitize(&f.label())));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_frames_between_python_functions_fold() {
        use crate::model::{At, Frame, NamedBy};
        use crate::parse::text::parse_frame;
        let mut i = Interner::new();
        let py = |name: &str, path: &str| At {
            addr: Some(0x555c015),
            frame: Frame {
                function: Some(name.into()),
                file: Some(path.into()),
                named_by: NamedBy::Python,
                ..Frame::default()
            },
        };
        let mut ids: Vec<FrameId> = [
            "0x1: malloc (in /vg.so)",
            "0x2: ffi_call (in /usr/lib/libffi.so.8)",
            "0x3: _PyEval_EvalFrameDefault (generated_cases.c.h:813)",
        ]
        .iter()
        .map(|l| i.intern_frame(parse_frame(l)))
        .collect();
        ids.push(i.intern_frame(py("leaky_handler", "/srv/app/svc.py")));
        let bogus = At {
            addr: Some(0x555c00f),
            frame: Frame {
                named_by: NamedBy::NotCode,
                ..Frame::default()
            },
        };
        ids.push(i.intern_frame(bogus));
        for l in [
            "0x4: py_trampoline_evaluator (perf_trampoline.c:405)",
            "0x5: PyObject_Vectorcall (call.c:327)",
            "0x6: _PyEval_EvalFrameDefault (generated_cases.c.h:813)",
        ] {
            ids.push(i.intern_frame(parse_frame(l)));
        }
        ids.push(i.intern_frame(py("serve", "/srv/app/svc.py")));
        ids.push(i.intern_frame(parse_frame("0x7: Py_RunMain (main.c:775)")));
        let info = FrameInfo::build(&i);
        // Inward of the first Python function stays; one run between the two
        // functions; a lone frame after the last is not worth folding.
        assert_eq!(interpreter_runs(&info, &i, &ids), [(4, 8)]);
        let mut d = Detail::default();
        d.stack(&info, &i, &ids, false);
        let kinds: Vec<String> = d
            .lines
            .iter()
            .map(|l| match l {
                Line::Frame { n, .. } => format!("f{n}"),
                Line::Folded {
                    first,
                    last,
                    frames,
                } => format!("{first}..{last}:{frames}"),
                _ => "?".into(),
            })
            .collect();
        // The bogus frame is not counted among the folded frames.
        assert_eq!(kinds, ["f0", "f1", "f2", "f3", "4..7:3", "f8", "f9"]);
        let mut d = Detail::default();
        d.stack(&info, &i, &ids, true);
        assert_eq!(d.frames.len(), 9, "unfolded: every frame but the bogus one");
    }

    #[test]
    fn prose_wraps_at_spaces() {
        let w = wrap_words(
            "why: dlopen's global-scope arrays are kept for the process",
            24,
        );
        assert!(w.iter().all(|l| l.chars().count() <= 22), "{w:?}");
        assert_eq!(
            w.join(" "),
            "why: dlopen's global-scope arrays are kept for the process"
        );
    }

    #[test]
    fn spread_of_sizes() {
        assert_eq!(spread(&mut [5, 1, 9]), (1, 5, 9));
        assert_eq!(spread(&mut [4, 2]), (2, 4, 4));
        assert_eq!(spread(&mut []), (0, 0, 0));
    }
}
