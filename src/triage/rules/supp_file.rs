//! Valgrind's suppression file syntax, read as `load_one_suppressions_file`
//! (m_errormgr.c) and `MC_(read_extra_suppression_info)` (mc_errors.c) read
//! it: blank lines and lines starting with `#` are skipped anywhere, leading
//! and trailing blanks are ignored, then `{`, a name, `Tool:Kind`, the kind's
//! extra line(s), frame lines, `}`.
//!
//! Unlike valgrind, which stops at the first mistake, a bad block is reported
//! with its file and line and skipped, and the blocks around it still load: a
//! typo in one rule must not silently turn every other rule off.

use super::kinds::{LeakKinds, SuppKind, KIND_NAMES};
use super::names::FunPattern;
use super::pattern::Wildcard;
use super::{Problem, Severity};

/// Valgrind refuses suppressions with more frame lines than this
/// (VG_DEEPEST_BACKTRACE).
pub const MAX_FRAMES: usize = 500;

/// One frame line of a suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramePattern {
    Fun(FunPattern),
    Obj(Wildcard),
    /// `src:file` or `src:file:line` (valgrind 3.23 and later).
    Src(Wildcard, Option<u32>),
    /// `...`: any number of frames, none included.
    Ellipsis,
}

impl FramePattern {
    /// Reads a frame line; `None` when it is not one.
    pub fn parse(line: &str) -> Option<Self> {
        if let Some(f) = line.strip_prefix("fun:") {
            Some(FramePattern::Fun(FunPattern::new(f)))
        } else if let Some(o) = line.strip_prefix("obj:") {
            Some(FramePattern::Obj(Wildcard::new(o)))
        } else if let Some(s) = line.strip_prefix("src:") {
            // Valgrind splits at the first ':'; a line number that does not
            // parse counts as none (strtoll10 gives 0).
            Some(match s.split_once(':') {
                Some((file, line)) => {
                    let n = line.parse::<u32>().ok().filter(|&n| n > 0);
                    FramePattern::Src(Wildcard::new(file), n)
                }
                None => FramePattern::Src(Wildcard::new(s), None),
            })
        } else if line == "..." {
            Some(FramePattern::Ellipsis)
        } else {
            None
        }
    }

    /// The line as it would be written in a file.
    pub fn text(&self) -> String {
        match self {
            FramePattern::Fun(f) => format!("fun:{}", f.pattern.as_str()),
            FramePattern::Obj(o) => format!("obj:{}", o.as_str()),
            FramePattern::Src(s, Some(n)) => format!("src:{}:{n}", s.as_str()),
            FramePattern::Src(s, None) => format!("src:{}", s.as_str()),
            FramePattern::Ellipsis => "...".to_string(),
        }
    }
}

/// A Memcheck suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub name: String,
    pub kind: SuppKind,
    pub frames: Vec<FramePattern>,
    /// The `# why:` comment before the block, joined into one paragraph.
    pub reason: Option<String>,
    /// Line of the `{`.
    pub line: u64,
    /// Line of the name: where valgrind's `used_suppression:` points.
    pub name_line: u64,
    /// The block as written, from `{` to `}`.
    pub text: String,
}

/// What one file yielded.
#[derive(Debug, Default)]
pub struct Parsed {
    pub suppressions: Vec<Suppression>,
    pub problems: Vec<Problem>,
    /// Blocks for other tools (`Helgrind:Race`…), skipped as valgrind skips them.
    pub other_tools: usize,
}

/// Parses the text of a suppression file; `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut comments: Vec<&str> = Vec::new();
    let mut block: Option<Block> = None;
    let mut garbage_reported = false;
    for (i, raw) in text.lines().enumerate() {
        let no = i as u64 + 1;
        let line = raw.trim();
        if let Some(b) = block.as_mut() {
            b.raw.push(raw);
            if line.is_empty() {
                continue;
            }
            if let Some(c) = line.strip_prefix('#') {
                if b.reason.is_none() {
                    b.inner_comments.push(c);
                }
                continue;
            }
            if line == "{" {
                let b = block.take().expect("open block");
                out.problems.push(problem(
                    file,
                    b.open,
                    format!("unterminated suppression: the '{{' here has no '}}' before the '{{' at line {no}"),
                ));
                block = Some(Block::open(no, raw, reason_of(&comments)));
                comments.clear();
                continue;
            }
            if line == "}" {
                let b = block.take().expect("open block");
                finish(file, b, &mut out);
                garbage_reported = false;
                continue;
            }
            b.lines.push((no, line));
            continue;
        }
        if line.is_empty() {
            comments.clear();
        } else if line.starts_with('#') {
            comments.push(line);
        } else if line == "{" {
            block = Some(Block::open(no, raw, reason_of(&comments)));
            comments.clear();
        } else {
            comments.clear();
            if !garbage_reported {
                garbage_reported = true;
                out.problems.push(problem(
                    file,
                    no,
                    format!(
                        "expected '{{' to start a suppression, found {:?}",
                        clip(line)
                    ),
                ));
            }
        }
    }
    if let Some(b) = block {
        out.problems.push(problem(
            file,
            b.open,
            "unterminated suppression: the file ends before its '}'".to_string(),
        ));
    }
    out
}

struct Block<'a> {
    open: u64,
    raw: Vec<&'a str>,
    lines: Vec<(u64, &'a str)>,
    reason: Option<String>,
    inner_comments: Vec<&'a str>,
}

impl<'a> Block<'a> {
    fn open(no: u64, raw: &'a str, reason: Option<String>) -> Self {
        Block {
            open: no,
            raw: vec![raw],
            lines: Vec::new(),
            reason,
            inner_comments: Vec::new(),
        }
    }
}

/// The reason in a run of comment lines: from the first `# why:` line to the
/// end of the run, joined into one paragraph.
pub fn reason_of(comments: &[&str]) -> Option<String> {
    let start = comments
        .iter()
        .position(|c| c.trim_start_matches('#').trim_start().starts_with("why:"))?;
    let mut words: Vec<&str> = Vec::new();
    for (i, c) in comments[start..].iter().enumerate() {
        let mut t = c.trim_start_matches('#').trim();
        if i == 0 {
            t = t.strip_prefix("why:").unwrap_or(t).trim();
        }
        words.extend(t.split_whitespace());
    }
    (!words.is_empty()).then(|| words.join(" "))
}

fn finish(file: &str, b: Block, out: &mut Parsed) {
    let mut lines = b.lines.iter().copied();
    let Some((name_line, name)) = lines.next() else {
        out.problems.push(problem(
            file,
            b.open,
            "empty suppression: expected a name line after '{'".into(),
        ));
        return;
    };
    let Some((kind_no, kind_line)) = lines.next() else {
        out.problems.push(problem(
            file,
            b.open,
            format!("suppression {name:?} ends before its 'Memcheck:Kind' line"),
        ));
        return;
    };
    let Some((tools, kind_name)) = kind_line.split_once(':') else {
        out.problems.push(problem(
            file,
            kind_no,
            format!(
                "expected a 'Tool:Kind' line such as Memcheck:Leak, found {:?}",
                clip(kind_line)
            ),
        ));
        return;
    };
    if !tools.split(',').any(|t| t == "Memcheck") {
        if tools.split(',').any(|t| t.eq_ignore_ascii_case("memcheck")) {
            out.problems.push(Problem {
                severity: Severity::Warning,
                ..problem(
                    file,
                    kind_no,
                    format!("tool names are case-sensitive: {tools:?} is not 'Memcheck', so valgrind ignores suppression {name:?} (and so does leakscope)"),
                )
            });
        }
        out.other_tools += 1;
        return;
    }
    let Some(mut kind) = SuppKind::from_name(kind_name) else {
        out.problems.push(problem(
            file,
            kind_no,
            format!("unknown suppression kind 'Memcheck:{kind_name}' (known: {KIND_NAMES})"),
        ));
        return;
    };
    let mut rest: Vec<(u64, &str)> = lines.collect();
    if let Err((no, msg)) = read_extra(&mut kind, &mut rest, kind_no) {
        out.problems.push(problem(file, no, msg));
        return;
    }
    let mut frames = Vec::with_capacity(rest.len());
    for &(no, line) in &rest {
        let Some(f) = FramePattern::parse(line) else {
            out.problems.push(problem(
                file,
                no,
                format!(
                    "expected a frame line ('fun:', 'obj:', 'src:' or '...'), found {:?}",
                    clip(line)
                ),
            ));
            return;
        };
        if let FramePattern::Fun(p) = &f {
            if p.pattern.as_str().is_empty() {
                out.problems.push(Problem {
                    severity: Severity::Warning,
                    ..problem(file, no, "'fun:' with an empty name never matches".into())
                });
            }
        }
        frames.push(f);
    }
    if frames.is_empty() {
        out.problems.push(problem(
            file,
            b.open,
            format!("suppression {name:?} has no frame lines (valgrind: missing stack trace)"),
        ));
        return;
    }
    if frames.len() > MAX_FRAMES {
        out.problems.push(problem(
            file,
            b.open,
            format!("suppression {name:?} has more than {MAX_FRAMES} frame lines"),
        ));
        return;
    }
    if frames.iter().all(|f| *f == FramePattern::Ellipsis) {
        out.problems.push(problem(
            file,
            b.open,
            format!("suppression {name:?} has only '...' frame lines: it needs at least one 'fun:', 'obj:' or 'src:' line"),
        ));
        return;
    }
    let reason = b.reason.or_else(|| reason_of(&b.inner_comments));
    out.suppressions.push(Suppression {
        name: name.to_string(),
        kind,
        frames,
        reason,
        line: b.open,
        name_line,
        text: b.raw.join("\n"),
    });
}

/// Reads what a kind takes after its `Memcheck:Kind` line (Param's syscall
/// parameter, Leak's optional `match-leak-kinds:`, FishyValue's optional
/// `function(argument)`), removing it from `rest`.
fn read_extra(
    kind: &mut SuppKind,
    rest: &mut Vec<(u64, &str)>,
    kind_no: u64,
) -> Result<(), (u64, String)> {
    // Valgrind's `is_location_line` knows fun:, obj: and `...` but not src:.
    let is_location = |l: &str| l.starts_with("fun:") || l.starts_with("obj:") || l == "...";
    let next = rest.first().copied();
    match kind {
        SuppKind::Param(p) => {
            match next {
                Some((_, l)) if !is_location(l) => {
                    *p = l.to_string();
                    rest.remove(0);
                }
                _ => return Err((
                    kind_no,
                    "Memcheck:Param needs the syscall parameter on the next line, e.g. write(buf)"
                        .into(),
                )),
            }
        }
        SuppKind::Leak(k) => {
            if let Some((no, l)) = next {
                if let Some(v) = l.strip_prefix("match-leak-kinds:") {
                    *k = LeakKinds::parse(v.trim_start()).map_err(|w| {
                        (no, format!("unknown leak kind {w:?} in match-leak-kinds (expected definite, indirect, possible, reachable, or all / none alone)"))
                    })?;
                    rest.remove(0);
                } else if !is_location(l) && !l.starts_with("src:") {
                    return Err((
                        no,
                        format!("expected 'match-leak-kinds:' or a frame line after Memcheck:Leak, found {:?}", clip(l)),
                    ));
                }
            }
        }
        SuppKind::FishyValue(fa) => {
            if let Some((no, l)) = next {
                if !is_location(l) {
                    let parsed = l
                        .split_once('(')
                        .and_then(|(f, a)| Some((f.to_string(), a.split_once(')')?.0.to_string())));
                    match parsed {
                        Some(p) => *fa = Some(p),
                        None => {
                            return Err((
                                no,
                                format!("expected 'function(argument)' after Memcheck:FishyValue, found {:?}", clip(l)),
                            ))
                        }
                    }
                    rest.remove(0);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn problem(file: &str, line: u64, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        message,
        severity: Severity::Error,
    }
}

/// Keeps messages short when a line is long.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LeakKind;

    const GOOD: &str = "\
# LLVM keeps its options for the whole run.
# why: cl::opt objects are static and live
#   until exit; one each.
{
   llvm-cl-opt
   Memcheck:Leak
   match-leak-kinds: reachable,possible
   fun:_Znwm
   ...
   fun:_ZN4llvm2cl*
}

{
   param
   Memcheck:Param
   write(buf)
   fun:write
}
# comment, no reason
{
   addr
   Memcheck,Helgrind:Addr8
   obj:/lib/ld-*.so
   src:dl-load.c:216
   src:rtld.c
}
{
   race
   Helgrind:Race
   fun:x
}
";

    #[test]
    fn reads_blocks_with_reasons_and_kinds() {
        let p = parse("good.supp", GOOD);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.other_tools, 1);
        let s = &p.suppressions;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "llvm-cl-opt");
        assert_eq!(s[0].line, 4);
        assert_eq!(
            s[0].reason.as_deref(),
            Some("cl::opt objects are static and live until exit; one each.")
        );
        match &s[0].kind {
            SuppKind::Leak(k) => {
                assert!(
                    k.contains(LeakKind::StillReachable) && !k.contains(LeakKind::DefinitelyLost)
                )
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(s[0].frames.len(), 3);
        assert_eq!(s[0].frames[1], FramePattern::Ellipsis);
        assert!(s[0].text.starts_with('{') && s[0].text.ends_with('}'));
        assert_eq!(s[1].kind, SuppKind::Param("write(buf)".into()));
        assert_eq!(s[1].reason, None);
        assert_eq!(s[2].kind, SuppKind::Addr(8));
        assert_eq!(
            s[2].frames[1],
            FramePattern::Src(Wildcard::new("dl-load.c"), Some(216))
        );
        assert_eq!(
            s[2].frames[2],
            FramePattern::Src(Wildcard::new("rtld.c"), None)
        );
    }

    #[test]
    fn bad_blocks_are_reported_and_skipped() {
        let text = "\
{
   unknown-kind
   Memcheck:Leek
   fun:malloc
}
{
   no-frames
   Memcheck:Leak
}
{
   bad-frame
   Memcheck:Cond
   fn:oops
}
{
   only-dots
   Memcheck:Leak
   ...
}
{
   bad-kinds
   Memcheck:Leak
   match-leak-kinds: definite,lost
   fun:malloc
}
{
   good
   Memcheck:Leak
   fun:malloc
}
stray text
{
   unterminated
   Memcheck:Leak
   fun:calloc
{
   good-too
   Memcheck:Leak
   fun:calloc
}
{
   at-end
   Memcheck:Leak
";
        let p = parse("bad.supp", text);
        let names: Vec<&str> = p.suppressions.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["good", "good-too"]);
        let got: Vec<(u64, bool)> = p
            .problems
            .iter()
            .map(|x| (x.line, x.severity == Severity::Error))
            .collect();
        assert_eq!(
            got,
            [
                (3, true),
                (6, true),
                (13, true),
                (15, true),
                (23, true),
                (31, true),
                (32, true),
                (41, true)
            ]
        );
        assert!(p.problems[0].message.contains("Memcheck:Leek"));
        assert!(p.problems[0].to_string().starts_with("bad.supp:3: "));
        assert!(p.problems[2].message.contains("fn:oops"));
        assert!(p.problems[4].message.contains("\"lost\""));
        assert!(p.problems[6].message.contains("line 36"));
    }

    #[test]
    fn param_needs_its_extra_line() {
        let p = parse("p.supp", "{\n n\n Memcheck:Param\n fun:write\n}\n");
        assert_eq!(p.suppressions.len(), 0);
        assert_eq!(p.problems[0].line, 3);
    }

    #[test]
    fn lowercase_tool_is_a_warning() {
        let p = parse("t.supp", "{\n n\n memcheck:Leak\n fun:malloc\n}\n");
        assert_eq!(p.suppressions.len(), 0);
        assert_eq!(p.problems[0].severity, Severity::Warning);
    }
}
