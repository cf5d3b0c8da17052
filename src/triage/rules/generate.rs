//! Writing valgrind suppressions for records a user decided are benign.
//!
//! Valgrind matches `fun:` lines against mangled names, so each frame is
//! written as valgrind itself would write it where the log says how: the
//! record's own `--gen-suppressions` block, else the frame's known mangled
//! name, else a C name as is. A C++ frame whose mangled name the log does not
//! give becomes a `fun:_Z*…*` wildcard spelling its qualified name the way the
//! Itanium ABI does (leakscope's matcher accepts it on demangled names too),
//! which keeps the suppression as narrow as the frame; only where that cannot
//! be built does it fall back to `obj:`. A generalised suppression keeps the
//! allocator frames, the caller and two more, then `...`, with `obj:` paths
//! (frames valgrind could not name) reduced to `*/libname.so*`.

use super::kinds::LeakKinds;
use super::names::{components, looks_mangled, wildcard_for};
use crate::model::{ErrorKind, Frame, LeakKind, MemcheckError, Report, StackId};
use crate::sanitize::sanitize;
use crate::triage::rules::kinds::{access_size, fishy_value, syscall_param};
use crate::triage::top_frame;
use rustc_hash::FxHashMap;

/// How much of a stack a suppression keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenOptions {
    /// Keep this many frames from the top, then `...`; `None` keeps them all
    /// (or, generalised, the allocators, the caller and two more).
    pub depth: Option<usize>,
    /// `obj:` paths become `*/libname.so*`, and the stack is cut (see `depth`).
    pub generalise: bool,
}

/// One suppression, before it is written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub name: String,
    /// `Leak`, `Addr8`, `Param`…
    pub kind: String,
    /// The line after the kind: `match-leak-kinds: …`, a syscall parameter…
    pub extra: Option<String>,
    pub frames: Vec<String>,
    /// Comments put inside the block (frames written approximately).
    pub notes: Vec<String>,
    /// What it covers, for the comment above it.
    pub summary: String,
}

impl Generated {
    /// The block with a `# why:` placeholder above it, in a form valgrind
    /// accepts.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("# leakscope: {}\n", self.summary));
        if self.kind == "Leak" {
            s.push_str("# why: FILL IN what this allocation is and why it is bounded (one-time, not per call)\n");
        } else {
            s.push_str(
                "# why: FILL IN why this error is benign (not a bug in the code that runs)\n",
            );
        }
        s.push_str("{\n");
        s.push_str(&format!("   {}\n", self.name));
        s.push_str(&format!("   Memcheck:{}\n", self.kind));
        if let Some(e) = &self.extra {
            s.push_str(&format!("   {e}\n"));
        }
        for n in &self.notes {
            s.push_str(&format!("   # {n}\n"));
        }
        for f in &self.frames {
            s.push_str(&format!("   {f}\n"));
        }
        s.push_str("}\n");
        s
    }
}

/// Frame lines for a stack, exact or generalised, with notes on frames that
/// could only be written approximately.
pub fn frame_lines(
    report: &Report,
    stack: StackId,
    own_block: Option<&str>,
    opts: GenOptions,
) -> (Vec<String>, Vec<String>) {
    let frames = report.interner.stack(stack);
    let from_block = own_block.map(block_frame_lines).unwrap_or_default();
    let learned = learned_mangled(report);
    let keep = match (opts.depth, opts.generalise) {
        (Some(n), _) => n.max(1),
        (None, true) => default_depth(report, stack),
        (None, false) => frames.len(),
    };
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    for (i, &id) in frames.iter().take(keep).enumerate() {
        // What valgrind sees, never a name it cannot (from a perf map).
        let logged = report.interner.frame(id).frame.as_logged();
        let frame = &*logged;
        let given = from_block.get(i).filter(|l| !l.starts_with("???"));
        let (mut line, note) = match given {
            Some(l) => (l.clone(), None),
            None => frame_line(
                frame,
                learned
                    .get(frame.function.as_deref().unwrap_or(""))
                    .copied()
                    .flatten(),
            ),
        };
        if opts.generalise {
            if let Some(obj) = line.strip_prefix("obj:") {
                line = format!("obj:{}", generalise_object(obj));
            }
        }
        if let Some(n) = note {
            notes.push(format!("frame {i}: {n}"));
        }
        lines.push(line);
    }
    if keep < frames.len() {
        lines.push("...".to_string());
    }
    (lines, notes)
}

/// The allocator frames, the first frame that is not one, and two more.
fn default_depth(report: &Report, stack: StackId) -> usize {
    let frames = report.interner.stack(stack);
    let top = top_frame(&report.interner, stack)
        .and_then(|t| frames.iter().position(|&f| f == t))
        .unwrap_or(0);
    (top + 3).min(frames.len()).max(1)
}

/// One frame as valgrind's --gen-suppressions would write it, where the log
/// allows; else the closest line that still matches it (with a note).
fn frame_line(frame: &Frame, learned: Option<&str>) -> (String, Option<String>) {
    if let Some(m) = &frame.mangled {
        return (format!("fun:{m}"), None);
    }
    let Some(f) = frame.function.as_deref() else {
        return match &frame.object {
            Some(o) => (format!("obj:{o}"), None),
            None => (
                "fun:*".to_string(),
                Some("unknown function and object".into()),
            ),
        };
    };
    if looks_mangled(f) || is_c_name(f) {
        return (format!("fun:{f}"), None);
    }
    if let Some(m) = known_mangled(f).or(learned) {
        return (format!("fun:{m}"), None);
    }
    let shown = match components(f) {
        Some(parts) => sanitize(&parts.comps.join("::")).into_owned(),
        None => sanitize(f.split('(').next().unwrap_or(f)).into_owned(),
    };
    // The function's own name parts keep the suppression as narrow as the
    // frame; an obj: line would match any function of the library.
    if let Some(w) = wildcard_for(f) {
        return (
            format!("fun:{w}"),
            Some(format!(
                "{shown}: no mangled name in the log, matched by its name parts"
            )),
        );
    }
    match &frame.object {
        Some(o) => (format!("obj:{o}"), None),
        None => (
            "fun:*".to_string(),
            Some(format!(
                "{shown}: no mangled name in the log, any function matches here"
            )),
        ),
    }
}

/// A name valgrind tests as is: a C function (`malloc`, `dlopen@@GLIBC_2.34`)
/// or valgrind's `(below main)`.
fn is_c_name(f: &str) -> bool {
    f == "(below main)"
        || (!f.is_empty()
            && f.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b == b'_' || b == b'@' || b == b'.' || b == b'$'
            }))
}

/// The allocator entry points every C++ leak starts with.
fn known_mangled(f: &str) -> Option<&'static str> {
    Some(match f {
        "operator new(unsigned long)" => "_Znwm",
        "operator new[](unsigned long)" => "_Znam",
        "operator new(unsigned int)" => "_Znwj",
        "operator new[](unsigned int)" => "_Znaj",
        "operator new(unsigned long, std::nothrow_t const&)" => "_ZnwmRKSt9nothrow_t",
        "operator new[](unsigned long, std::nothrow_t const&)" => "_ZnamRKSt9nothrow_t",
        "operator new(unsigned long, std::align_val_t)" => "_ZnwmSt11align_val_t",
        "operator new[](unsigned long, std::align_val_t)" => "_ZnamSt11align_val_t",
        "operator new(unsigned long, std::align_val_t, std::nothrow_t const&)" => {
            "_ZnwmSt11align_val_tRKSt9nothrow_t"
        }
        "operator new[](unsigned long, std::align_val_t, std::nothrow_t const&)" => {
            "_ZnamSt11align_val_tRKSt9nothrow_t"
        }
        "operator delete(void*)" => "_ZdlPv",
        "operator delete[](void*)" => "_ZdaPv",
        "operator delete(void*, unsigned long)" => "_ZdlPvm",
        "operator delete[](void*, unsigned long)" => "_ZdaPvm",
        _ => return None,
    })
}

/// Mangled names the report gives for a function text somewhere (from
/// another record's --gen-suppressions block); `None` where ambiguous.
fn learned_mangled(report: &Report) -> FxHashMap<&str, Option<&str>> {
    let mut m: FxHashMap<&str, Option<&str>> = FxHashMap::default();
    for l in 0..report.interner.location_count() {
        let f = report.interner.location_frame(l);
        if let (Some(func), Some(mangled)) = (f.function.as_deref(), f.mangled.as_deref()) {
            m.entry(func)
                .and_modify(|e| {
                    if *e != Some(mangled) {
                        *e = None;
                    }
                })
                .or_insert(Some(mangled));
        }
    }
    m
}

/// The frame lines of a --gen-suppressions block, in stack order.
fn block_frame_lines(block: &str) -> Vec<String> {
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("fun:") || l.starts_with("obj:") || l.starts_with("???"))
        .map(str::to_string)
        .collect()
}

/// `/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2` → `*/libffi.so*`.
pub fn generalise_object(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    match base.find(".so") {
        Some(i) => format!("*/{}*", &base[..i + 3]),
        None => format!("*/{base}"),
    }
}

/// The `Memcheck:` kind and extra line that suppress an error like `e`.
pub fn error_kind(e: &MemcheckError) -> Option<(String, Option<String>)> {
    let sized = |prefix: &str| access_size(&e.what).map(|n| (format!("{prefix}{n}"), None));
    match &e.kind {
        ErrorKind::InvalidRead | ErrorKind::InvalidWrite => sized("Addr"),
        ErrorKind::UninitValue => sized("Value"),
        ErrorKind::UninitCondition => Some(("Cond".into(), None)),
        ErrorKind::InvalidFree | ErrorKind::MismatchedFree => Some(("Free".into(), None)),
        ErrorKind::InvalidJump => Some(("Jump".into(), None)),
        ErrorKind::Overlap => Some(("Overlap".into(), None)),
        ErrorKind::SyscallParam => {
            syscall_param(&e.what).map(|p| ("Param".into(), Some(p.to_string())))
        }
        ErrorKind::FishyValue => {
            fishy_value(&e.what).map(|(f, a)| ("FishyValue".into(), Some(format!("{f}({a})"))))
        }
        ErrorKind::ReallocSizeZero => Some(("ReallocZero".into(), None)),
        ErrorKind::InvalidMemPool => Some(("Mempool".into(), None)),
        ErrorKind::ClientCheck => Some(("User".into(), None)),
        ErrorKind::CoreMemError => Some(("CoreMem".into(), None)),
        ErrorKind::InvalidAlignment => Some(("BadAlign".into(), None)),
        ErrorKind::SizeMismatch => Some(("SizeMismatch".into(), None)),
        ErrorKind::AlignMismatch => Some(("AlignMismatch".into(), None)),
        ErrorKind::Other(_) => None,
    }
}

/// Builds suppressions for records of a process's last leak search, one per
/// distinct frame list (records whose lists are equal share one, their kinds
/// joined in `match-leak-kinds:`), named `leakscope-<kinds>-<top frame>`.
pub fn for_records(
    report: &Report,
    process: usize,
    indices: &[usize],
    opts: GenOptions,
) -> Vec<Generated> {
    let Some(p) = report.processes.get(process) else {
        return Vec::new();
    };
    let records = p.loss_records();
    struct Acc {
        kinds: LeakKinds,
        frames: Vec<String>,
        notes: Vec<String>,
        top: String,
        records: u64,
        bytes: u128,
        blocks: u128,
    }
    let mut order: Vec<Acc> = Vec::new();
    let mut index: FxHashMap<Vec<String>, usize> = FxHashMap::default();
    for &i in indices {
        let Some(r) = records.get(i) else { continue };
        let (frames, notes) = frame_lines(report, r.stack, r.suppression(), opts);
        let slot = *index.entry(frames.clone()).or_insert_with(|| {
            order.push(Acc {
                kinds: LeakKinds::NONE,
                frames,
                notes,
                top: top_name(report, r.stack),
                records: 0,
                bytes: 0,
                blocks: 0,
            });
            order.len() - 1
        });
        let a = &mut order[slot];
        a.kinds.insert(r.kind);
        a.records += 1;
        a.bytes += r.total_bytes();
        a.blocks += u128::from(r.blocks());
    }
    let mut names = Names::default();
    order
        .into_iter()
        .map(|a| {
            let kinds_word = LeakKind::ALL
                .into_iter()
                .filter(|&k| a.kinds.contains(k))
                .map(LeakKind::option_word)
                .collect::<Vec<_>>()
                .join("+");
            let kind_text = LeakKind::ALL
                .into_iter()
                .filter(|&k| a.kinds.contains(k))
                .map(LeakKind::text)
                .collect::<Vec<_>>()
                .join(" or ");
            Generated {
                name: names.unique(format!("leakscope-{kinds_word}-{}", a.top)),
                kind: "Leak".into(),
                extra: Some(format!("match-leak-kinds: {}", a.kinds.words())),
                frames: a.frames,
                notes: a.notes,
                summary: format!(
                    "{} record{}, {} bytes in {} blocks {kind_text} at {}",
                    a.records,
                    if a.records == 1 { "" } else { "s" },
                    a.bytes,
                    a.blocks,
                    a.top
                ),
            }
        })
        .collect()
}

/// Builds suppressions for errors of a process, one per distinct (kind,
/// frame list). Errors of a kind no suppression can name are skipped.
pub fn for_errors(
    report: &Report,
    process: usize,
    indices: &[usize],
    opts: GenOptions,
) -> Vec<Generated> {
    let Some(p) = report.processes.get(process) else {
        return Vec::new();
    };
    let mut seen: FxHashMap<(String, Option<String>, Vec<String>), ()> = FxHashMap::default();
    let mut names = Names::default();
    let mut out = Vec::new();
    for &i in indices {
        let Some(e) = p.errors.get(i) else { continue };
        let Some((kind, extra)) = error_kind(e) else {
            continue;
        };
        let (frames, notes) = frame_lines(report, e.stack, e.suppression.as_deref(), opts);
        if seen
            .insert((kind.clone(), extra.clone(), frames.clone()), ())
            .is_some()
        {
            continue;
        }
        let top = top_name(report, e.stack);
        out.push(Generated {
            name: names.unique(format!("leakscope-{kind}-{top}")),
            summary: format!("{} at {top}", sanitize(&e.what)),
            kind,
            extra,
            frames,
            notes,
        });
    }
    out
}

/// The top frame's qualified name (no return type, template arguments or
/// parameters), for suppression names.
fn top_name(report: &Report, stack: StackId) -> String {
    let name = top_frame(&report.interner, stack)
        .map(|id| report.interner.frame(id))
        .map(|f| match (f.function.as_deref(), &f.object) {
            (Some(func), _) => match components(func) {
                Some(parts) => parts.comps.join("::"),
                None => f.base_name().unwrap_or(func).to_string(),
            },
            (None, Some(o)) => format!("??? in {}", o.rsplit('/').next().unwrap_or(o)),
            (None, None) => "???".to_string(),
        })
        .unwrap_or_else(|| "no-stack".to_string());
    sanitize(&name)
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .take(80)
        .collect()
}

/// Makes names unique within one output: `name`, `name-2`, `name-3`…
#[derive(Default)]
struct Names(FxHashMap<String, u32>);

impl Names {
    fn unique(&mut self, name: String) -> String {
        let n = self.0.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            name
        } else {
            format!("{name}-{n}")
        }
    }
}

/// What `leakscope supp` prints suppressions for.
pub struct Selection<'a> {
    /// Leak kinds to include.
    pub kinds: LeakKinds,
    /// Include (visible) errors too.
    pub errors: bool,
    /// Keep only records and errors with a frame this matches.
    pub grep: Option<&'a regex::Regex>,
}

/// Suppressions for everything visible in `report` (no rule of `hiding`
/// hides it) that `sel` selects, as one file valgrind accepts.
pub fn for_visible(
    report: &Report,
    hiding: &super::Hiding,
    sel: &Selection,
    opts: GenOptions,
) -> String {
    let grep_ok = |stack: StackId| match sel.grep {
        None => true,
        Some(re) => report
            .interner
            .frames_of(stack)
            .any(|f| re.is_match(&f.label())),
    };
    let mut out = String::from(
        "# Suppressions written by leakscope for the records still visible after its rules.\n\
         # Fill in each \"# why:\" line before keeping one: what the allocation is and why it is\n\
         # bounded. leakscope shows that reason next to what the rule hides.\n",
    );
    let mut total = 0;
    for (pi, p) in report.processes.iter().enumerate() {
        let records: Vec<usize> = p
            .loss_records()
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                sel.kinds.contains(r.kind) && hiding.record(pi, *i).is_none() && grep_ok(r.stack)
            })
            .map(|(i, _)| i)
            .collect();
        let errors: Vec<usize> = if sel.errors {
            (0..p.errors.len())
                .filter(|&i| hiding.error(pi, i).is_none() && grep_ok(p.errors[i].stack))
                .collect()
        } else {
            Vec::new()
        };
        let mut blocks = for_records(report, pi, &records, opts);
        blocks.extend(for_errors(report, pi, &errors, opts));
        if blocks.is_empty() {
            continue;
        }
        if report.processes.len() > 1 {
            out.push_str(&format!("\n# process {}\n", sanitize(&p.title())));
        }
        for b in &blocks {
            out.push('\n');
            out.push_str(&b.to_text());
        }
        total += blocks.len();
    }
    if total == 0 {
        out.push_str("\n# (no visible record or error matched)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: Option<&str>, object: Option<&str>, file: Option<&str>) -> Frame {
        Frame {
            function: function.map(Into::into),
            object: object.map(Into::into),
            file: file.map(Into::into),
            line: file.map(|_| 1),
            ..Frame::default()
        }
    }

    #[test]
    fn frames_as_valgrind_names_them() {
        let l = |f: Frame| frame_line(&f, None).0;
        assert_eq!(l(frame(Some("malloc"), Some("/vg.so"), None)), "fun:malloc");
        assert_eq!(
            l(frame(
                Some("operator new(unsigned long)"),
                Some("/vg.so"),
                None
            )),
            "fun:_Znwm"
        );
        assert_eq!(
            l(frame(None, Some("/usr/lib/libffi.so.8"), None)),
            "obj:/usr/lib/libffi.so.8"
        );
        // The name parts keep it as narrow as the frame; obj: only when
        // they cannot be spelled (an ABI tag here).
        assert_eq!(
            l(frame(Some("llvm::foo(int)"), Some("/l.so"), None)),
            "fun:_Z*4llvm*3foo*"
        );
        assert_eq!(
            l(frame(Some("f[abi:cxx11]()"), Some("/l.so"), None)),
            "obj:/l.so"
        );
        assert_eq!(
            l(frame(Some("ns::f(int)"), None, Some("a.cc"))),
            "fun:_Z*2ns*1f*"
        );
        assert_eq!(
            l(frame(Some("(below main)"), None, Some("x.c"))),
            "fun:(below main)"
        );
        assert_eq!(
            l(frame(Some("dlopen@@GLIBC_2.34"), None, Some("x.c"))),
            "fun:dlopen@@GLIBC_2.34"
        );
        let mut m = frame(Some("ns::f(int)"), None, None);
        m.mangled = Some("_ZN2ns1fEi".into());
        assert_eq!(l(m), "fun:_ZN2ns1fEi");
        assert_eq!(
            generalise_object("/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2"),
            "*/libffi.so*"
        );
        assert_eq!(generalise_object("/tmp/prog"), "*/prog");
    }

    #[test]
    fn block_text() {
        let g = Generated {
            name: "leakscope-definite-f".into(),
            kind: "Leak".into(),
            extra: Some("match-leak-kinds: definite".into()),
            frames: vec!["fun:malloc".into(), "fun:f".into(), "...".into()],
            notes: vec![],
            summary: "1 record".into(),
        };
        let t = g.to_text();
        let parsed = crate::triage::rules::supp_file::parse("gen.supp", &t);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.suppressions[0].name, "leakscope-definite-f");
        assert!(parsed.suppressions[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("FILL IN"));
    }
}
