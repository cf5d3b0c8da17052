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
use crate::model::{FrameId, Interner, Report};
use crate::report::human::{bytes, count, exact_bytes};
use crate::sanitize::sanitize;
use crate::triage::is_allocator;
use crate::triage::rules::{self, RuleSet, Verdict};
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
        let glue = !interner.frame(id).is_python() && !info.is_own(interner, id);
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
