//! Stack signatures: what makes a record in one run "the same" as a record in
//! another run.
//!
//! Addresses, record numbers and record order all change between runs (ASLR, a
//! different workload, another build), so a signature is made only of what a
//! person would call the place: function names and source files or objects.
//! Line numbers are kept by default (two allocations in one function are
//! different leaks) but can be dropped, because a rebuilt binary shifts them.

use super::group::top_frame;
use super::own::OwnCode;
use crate::model::{Frame, Interner, Name, StackId};
use std::fmt;

/// How much of a stack identifies a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureOptions {
    /// Frames taken from the top frame (the first non-allocator frame) down.
    /// 1 gives the same groups as `leakscope summary`; more frames split a
    /// group by who called it.
    pub depth: usize,
    /// Drop line numbers, so runs of a rebuilt binary still match.
    pub ignore_lines: bool,
    /// Start at the origin (the innermost frame of the user's own code)
    /// instead of the top frame: `--group-by origin`.
    pub by_origin: bool,
}

impl Default for SignatureOptions {
    fn default() -> Self {
        SignatureOptions {
            depth: 1,
            ignore_lines: false,
            by_origin: false,
        }
    }
}

/// Where a frame's code lives, as far as the log says.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    Source { file: Name, line: Option<u32> },
    Object(Name),
    Unknown,
}

/// One frame of a signature: a frame without its address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom {
    /// `None` for `???`.
    pub function: Option<Name>,
    pub place: Place,
}

impl Atom {
    pub fn of(frame: &Frame, ignore_lines: bool) -> Self {
        let place = if let Some(file) = &frame.file {
            Place::Source {
                file: file.clone(),
                line: if ignore_lines { None } else { frame.line },
            }
        } else if let Some(obj) = &frame.object {
            Place::Object(obj.clone())
        } else {
            Place::Unknown
        };
        Atom {
            function: frame.function.clone(),
            place,
        }
    }
}

/// Formats exactly as [`Frame::label`] does, so a depth-1 signature with lines
/// kept names the same group as `leakscope summary` and the explorer.
impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.function.is_none() && self.place == Place::Unknown {
            return f.write_str(crate::model::JIT_CODE);
        }
        f.write_str(self.function.as_deref().unwrap_or("???"))?;
        match &self.place {
            Place::Source {
                file,
                line: Some(l),
            } => write!(f, " ({file}:{l})"),
            Place::Source { file, line: None } => write!(f, " ({file})"),
            Place::Object(o) => write!(f, " (in {o})"),
            Place::Unknown => Ok(()),
        }
    }
}

/// The frames that identify a record across runs. Empty for a record without a
/// stack (all such records of a kind are one group).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature(pub Vec<Atom>);

impl Signature {
    /// The label of the top frame: the name of the group.
    pub fn top_label(&self) -> String {
        match self.0.first() {
            Some(a) => a.to_string(),
            None => "(no stack)".to_string(),
        }
    }

    pub fn labels(&self) -> Vec<String> {
        self.0.iter().map(|a| a.to_string()).collect()
    }
}

/// The signature of a stack: `depth` frames starting at its top frame (the
/// same frame `summary` groups by, so allocator frames never count).
///
/// By origin this classifies the report's frames on every call: callers
/// signing many stacks build one [`OwnCode`] and use [`signature_with`].
pub fn signature(interner: &Interner, stack: StackId, opts: &SignatureOptions) -> Signature {
    let own = opts.by_origin.then(|| OwnCode::of(interner));
    signature_with(interner, own.as_ref(), stack, opts)
}

/// As [`signature`], with the report's own-code verdicts (needed by origin).
/// Frames named from a perf map count by name (their addresses differ per
/// run); frames that are not code never count.
pub fn signature_with(
    interner: &Interner,
    own: Option<&OwnCode>,
    stack: StackId,
    opts: &SignatureOptions,
) -> Signature {
    let frames = interner.stack(stack);
    let origin = match own {
        Some(own) if opts.by_origin => own.origin(interner, stack),
        _ => None,
    };
    let Some(top) = origin.or_else(|| top_frame(interner, stack)) else {
        return Signature::default();
    };
    let start = frames.iter().position(|&f| f == top).unwrap_or(0);
    Signature(
        frames
            .iter()
            .skip(start)
            .filter(|&&f| !interner.frame(f).is_not_code())
            .take(opts.depth.max(1))
            .map(|&f| Atom::of(interner.frame(f).frame, opts.ignore_lines))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::parse_frame;

    fn stack(i: &mut Interner, lines: &[&str]) -> StackId {
        let ids: Vec<_> = lines
            .iter()
            .map(|l| {
                i.intern_frame_text(l.as_bytes(), |t| {
                    parse_frame(&String::from_utf8_lossy(t)).frame
                })
            })
            .collect();
        i.intern_stack(&ids)
    }

    const DEEP: SignatureOptions = SignatureOptions {
        depth: 3,
        ignore_lines: false,
        by_origin: false,
    };

    #[test]
    fn addresses_do_not_count() {
        let mut i = Interner::new();
        let a = stack(
            &mut i,
            &[
                "0x4841F2F: malloc (in /vg.so)",
                "0x10A0: make (a.c:3)",
                "0x10B0: main (a.c:9)",
            ],
        );
        let b = stack(
            &mut i,
            &[
                "0x9999999: malloc (in /vg.so)",
                "0x20A0: make (a.c:3)",
                "0x20B0: main (a.c:9)",
            ],
        );
        assert_ne!(a, b, "different addresses are different stacks");
        assert_eq!(signature(&i, a, &DEEP), signature(&i, b, &DEEP));
        let default = signature(&i, a, &SignatureOptions::default());
        assert_eq!(default.labels(), ["make (a.c:3)"]);
        assert_eq!(
            signature(&i, a, &DEEP).labels(),
            ["make (a.c:3)", "main (a.c:9)"]
        );
    }

    #[test]
    fn lines_count_unless_ignored() {
        let mut i = Interner::new();
        let a = stack(&mut i, &["0x1: malloc (in /vg.so)", "0x2: make (a.c:3)"]);
        let b = stack(&mut i, &["0x1: malloc (in /vg.so)", "0x2: make (a.c:4)"]);
        let keep = SignatureOptions::default();
        assert_ne!(signature(&i, a, &keep), signature(&i, b, &keep));
        let drop = SignatureOptions {
            ignore_lines: true,
            ..keep
        };
        assert_eq!(signature(&i, a, &drop), signature(&i, b, &drop));
        assert_eq!(signature(&i, a, &drop).top_label(), "make (a.c)");
    }

    #[test]
    fn depth_one_names_the_summary_group() {
        let mut i = Interner::new();
        let s = stack(
            &mut i,
            &[
                "0x1: operator new(unsigned long) (in /vg.so)",
                "0x2: ??? (in /libffi.so)",
                "0x3: LLVMPY_CreatePassBuilder (in /libllvmlite.so)",
            ],
        );
        let label = super::super::group_label(&i, s, super::super::GroupBy::TopFrame);
        assert_eq!(
            signature(&i, s, &SignatureOptions::default()).top_label(),
            label
        );
        assert_eq!(
            signature(&i, Interner::EMPTY_STACK, &DEEP).top_label(),
            "(no stack)"
        );
    }
}
