//! What the detail pane says about the selected node, as plain data. Built on
//! demand from the state (the view draws it; `update` uses it to move the frame
//! cursor, open a frame in the editor and copy a stack).

mod group;
mod item;
mod process;

use super::hide::Hiding;
use super::index::{Category, Index};
use super::places::FrameInfo;
use super::projection::{Projection, Tot, Visibility};
use super::tree::NodeRef;
use crate::model::{FrameId, Frames, Interner, Report, Run};
use crate::report::human::{bytes, count, exact_bytes};
use crate::sanitize::sanitize;
use crate::triage::is_allocator;
use crate::triage::rules::{self, RuleSet, Verdict};
pub use group::GroupMemo;
use group::{category, group};
use item::item;
use process::process;

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
    /// Frames `first..=last` of a deep recursion: each the frame `period`
    /// above it (see `model::Frames::runs`).
    Repeat {
        first: usize,
        last: usize,
        period: usize,
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

    /// The figures a category's or group's headline states (its tree
    /// row's, see [`Detail::figures`]); when nothing is shown, a line saying
    /// they are what is not.
    fn headline(&mut self, (t, hidden): (Tot, bool)) -> Tot {
        self.figures = Some((t, hidden));
        if hidden {
            self.push(Line::Hidden("none shown; what is not:".into()));
        }
        t
    }

    fn text(&mut self, s: String) {
        self.push(Line::Text(s));
    }

    fn dim(&mut self, s: String) {
        self.push(Line::Dim(s));
    }

    /// The frames of a stack; unless `unfold`, each run of interpreter frames
    /// (see [`interpreter_runs`]) becomes one `Folded` line. Frames that are
    /// not code are left out either way. A recursion a packed stack repeats
    /// is one `Repeat` line, always: its frames are the ones above it.
    fn stack(&mut self, info: &FrameInfo, interner: &Interner, frames: Frames, unfold: bool) {
        let runs = if unfold {
            Vec::new()
        } else {
            interpreter_runs(info, interner, frames)
        };
        for run in frames.runs() {
            match run {
                Run::Listed(listed) => self.listed(info, interner, frames, listed, &runs),
                Run::Repeat { frames, period } => self.push(Line::Repeat {
                    first: frames.start,
                    last: frames.end - 1,
                    period,
                }),
            }
        }
    }

    /// The frames `listed` of a stack (see [`Detail::stack`]), `runs` of
    /// interpreter frames folded.
    fn listed(
        &mut self,
        info: &FrameInfo,
        interner: &Interner,
        frames: Frames,
        listed: std::ops::Range<usize>,
        runs: &[(usize, usize)],
    ) {
        let mut n = listed.start;
        while n < listed.end {
            if let Some(&(start, end)) = runs.iter().find(|r| r.0 == n) {
                let end = end.min(listed.end);
                let shown = (start..end)
                    .filter(|&i| !interner.frame(frames[i]).is_not_code())
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
                let own = info.is_own(interner, id);
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
/// was allocated: ctypes, an extension, LLVM) stays in view. Runs lie in
/// the listed part of a packed stack (a recursion's repeats are one line).
pub fn interpreter_runs(
    info: &FrameInfo,
    interner: &Interner,
    frames: Frames,
) -> Vec<(usize, usize)> {
    let is_py = |id: FrameId| interner.frame(id).is_python();
    let Some(first_py) = frames.listed().find(|&(_, f)| is_py(f)).map(|(i, _)| i) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut start = None;
    let mut close = |start: &mut Option<usize>, n: usize| {
        if let Some(s) = start.take().filter(|&s| n - s >= 2) {
            runs.push((s, n));
        }
    };
    let mut next = first_py;
    for (n, id) in frames.listed().skip_while(|&(n, _)| n < first_py) {
        if n != next {
            // A repeat lies between: a run ends before it.
            close(&mut start, next);
        }
        next = n + 1;
        let glue = !is_py(id) && !info.is_own(interner, id);
        match (glue, start) {
            (true, None) => start = Some(n),
            (false, Some(_)) => close(&mut start, n),
            _ => {}
        }
    }
    close(&mut start, next);
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
    /// Groups' reads of their items, kept for a few groups while
    /// `generation` stays: the model's (what a group's shown items depend
    /// on), and the index's and sort's (what its item list depends on).
    pub memo: &'a GroupMemo,
    pub generation: (u64, u64),
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
        NodeRef::Item { p, c, item: it, .. } => item(cx, &mut d, p as usize, c as usize, it),
    }
    d
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
    let mut s = Spread::default();
    v.iter().for_each(|&x| s.add(x));
    s.of()
}

/// Sizes counted one by one for their spread (see `spread`), each distinct
/// size kept once: a group of 6.8 M records of one size costs one entry,
/// not 6.8 M.
#[derive(Debug, Default)]
pub struct Spread {
    counts: rustc_hash::FxHashMap<u64, u64>,
    n: u64,
}

impl Spread {
    pub fn add(&mut self, size: u64) {
        *self.counts.entry(size).or_insert(0) += 1;
        self.n += 1;
    }

    /// How many sizes were added.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// (min, median, max): the median is the size at position n / 2 in
    /// ascending order.
    pub fn of(&self) -> (u64, u64, u64) {
        let mut sizes: Vec<(u64, u64)> = self.counts.iter().map(|(&s, &k)| (s, k)).collect();
        sizes.sort_unstable();
        let (Some(&(min, _)), Some(&(max, _))) = (sizes.first(), sizes.last()) else {
            return (0, 0, 0);
        };
        let mut before = 0;
        for (s, k) in sizes {
            before += k;
            if before > self.n / 2 {
                return (min, s, max);
            }
        }
        (min, max, max)
    }
}

/// Under a Python stack that ends short of `main` or a thread's start.
pub const CUT_SHORT_NOTE: &str = "⋯ the stack ends here: valgrind's unwinder went no further, so the callers are unknown (README: Python programs)";

/// A stack in valgrind's own layout, sanitized, for the clipboard.
pub fn stack_text(header: &str, interner: &Interner, frames: Frames) -> String {
    let mut s = format!("{}\n", sanitize(header));
    for run in frames.runs() {
        let listed = match run {
            Run::Listed(r) => r,
            Run::Repeat { frames, period } => {
                s.push_str(&repeat_text(&frames, period));
                s.push('\n');
                continue;
            }
        };
        frames_text(&mut s, interner, frames, listed);
    }
    s
}

/// The copied text of frames `r`, which repeat the `period` above them.
fn repeat_text(r: &std::ops::Range<usize>, period: usize) -> String {
    format!(
        "   … frames {}–{}: {}",
        r.start,
        r.end - 1,
        repeat_summary(r.len(), period)
    )
}

/// What `n` frames repeating the `period` above them are, in words.
pub fn repeat_summary(n: usize, period: usize) -> String {
    format!("{} frames repeating the {period} above", count(n as u64))
}

/// Frames `listed` of a stack as valgrind prints them, into `s`.
fn frames_text(
    s: &mut String,
    interner: &Interner,
    frames: Frames,
    listed: std::ops::Range<usize>,
) {
    for i in listed {
        let id = frames[i];
        let f = interner.frame(id);
        let verb = if i == 0 { "at" } else { "by" };
        let addr = match f.addr {
            Some(a) => format!("0x{a:X}"),
            None => "0x........".to_string(),
        };
        s.push_str(&format!("   {verb} {addr}: {}\n", sanitize(&f.label())));
    }
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
        assert_eq!(interpreter_runs(&info, &i, ids[..].into()), [(4, 8)]);
        let mut d = Detail::default();
        d.stack(&info, &i, ids[..].into(), false);
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
        d.stack(&info, &i, ids[..].into(), true);
        assert_eq!(d.frames.len(), 9, "unfolded: every frame but the bogus one");
    }

    #[test]
    fn a_deep_recursion_is_shown_once_with_its_repeats_in_one_line() {
        use crate::parse::text::parse_frame;
        let mut i = Interner::new();
        let walk: Vec<FrameId> = (0..100)
            .map(|k| {
                i.intern_frame(parse_frame(&format!(
                    "0x{:X}: walk_{k} (tree.c:{k})",
                    0x1000 + k
                )))
            })
            .collect();
        // 70,000 frames: long enough to be packed.
        let ids: Vec<FrameId> = (0..70_000).map(|n| walk[n % 100]).collect();
        let stack = i.intern_stack(&ids);
        let frames = i.stack(stack);
        assert_eq!(frames.len(), 70_000);
        let info = FrameInfo::build(&i);
        let mut d = Detail::default();
        d.stack(&info, &i, frames, false);
        assert_eq!(
            d.frames.len(),
            100,
            "a frame line for each frame above the repeat"
        );
        assert_eq!(
            d.lines.last(),
            Some(&Line::Repeat {
                first: 100,
                last: 69_999,
                period: 100
            })
        );
        let text = stack_text("deep", &i, frames);
        assert_eq!(text.lines().count(), 1 + 100 + 1);
        assert!(text.contains("   by 0x1063: walk_99 (tree.c:99)\n"));
        assert!(
            text.ends_with("   … frames 100–69999: 69,900 frames repeating the 100 above\n"),
            "{text}"
        );
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
        assert_eq!(spread(&mut [7, 7, 7, 1]), (1, 7, 7));
        assert_eq!(spread(&mut [3, 1, 2, 2, 9, 9]), (1, 3, 9));
        // The median is the size at n / 2 once sorted, as selecting it is.
        let mut x: u64 = 7;
        for n in 1..200 {
            let v: Vec<u64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (x >> 60) * 8
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let want = (sorted[0], sorted[n / 2], sorted[n - 1]);
            assert_eq!(spread(&mut v.clone()), want, "{v:?}");
        }
    }
}
