//! Frames: where a line of a stack points (function, source, object), and
//! the address it points there with. Interned in [`super::Interner`].

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A name in a frame (function, file, directory, object): shared, and thin —
/// one pointer, the length beside the text — so a parsed location, five of
/// them, is 56 bytes rather than 96 (`Arc<str>` is two words); a log of a
/// million distinct functions holds a million locations.
pub type Name = arcstr::ArcStr;

/// Where a line of a stack points, without its address: the function, source
/// and object of `at 0x4841F2F: operator new(unsigned long) (in /usr/…)`.
/// Frames at many addresses share one (see [`Interner`](super::Interner));
/// the address comes with it in [`At`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Function as the log shows it (usually demangled); `None` for `???`.
    pub function: Option<Name>,
    /// Mangled name, where the log states it (XML `<fn>` is demangled too, but
    /// --gen-suppressions blocks give mangled `fun:` lines that parsers attach here).
    pub mangled: Option<Name>,
    pub dir: Option<Name>,
    pub file: Option<Name>,
    pub line: Option<u32>,
    /// The shared object or executable, where the log names it.
    pub object: Option<Name>,
    /// Where the name came from: the log itself, or a perf map naming a frame
    /// the log printed as `???` (see `parse::perfmap`).
    pub named_by: NamedBy,
}

/// A frame with its address: what a parser builds, and what
/// [`Interner::frame`](super::Interner::frame) hands out ([`FrameRef`]). It
/// derefs to the location ([`Frame`]), so `f.function`, `f.label()` read
/// through; `f.addr` is the frame's own address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct At<F> {
    /// Instruction pointer; `None` when the log masks it (`0x........`) or omits it.
    pub addr: Option<u64>,
    pub frame: F,
}

/// An interned frame: its address and its shared location.
pub type FrameRef<'a> = At<&'a Frame>;

impl<F: Borrow<Frame>> Deref for At<F> {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        self.frame.borrow()
    }
}

impl From<Frame> for At<Frame> {
    /// A frame without an address.
    fn from(frame: Frame) -> Self {
        At { addr: None, frame }
    }
}

impl At<&Frame> {
    /// An owned copy (to build a changed frame from an interned one).
    pub fn cloned(&self) -> At<Frame> {
        At {
            addr: self.addr,
            frame: self.frame.clone(),
        }
    }
}

impl<F: Borrow<Frame>> fmt::Display for At<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Who named a frame. Anything but `Log` is a frame valgrind printed as `???`
/// (LSan: `<unknown module>` or a bare address): suppressions must still
/// describe it the way valgrind sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamedBy {
    /// As the log printed it.
    #[default]
    Log,
    /// A perf map entry other than Python's (a JIT: Node, the JVM, Numba…).
    PerfMap,
    /// A CPython perf trampoline: `function` is the qualname, `file` the path.
    Python,
    /// Not code: an address the frame-pointer unwinder took from the stack or
    /// a trampoline's padding between named frames. Kept, never shown as a frame.
    NotCode,
}

/// The name shown for a frame of code that belongs to no module: valgrind's
/// `???` with no object, LSan's `(<unknown module>)`. In a JIT runtime that is
/// generated code, which a group must still name rather than show blank.
pub const JIT_CODE: &str = "JIT code (no module)";

/// The allocator a sanitizer interceptor stands for: `__interceptor_malloc`
/// (gcc's libasan) and `___interceptor_malloc` (newer LLVM) are `malloc`, as
/// valgrind's own replacement shows as plain `malloc`. Other names unchanged.
pub fn without_interceptor(name: &str) -> &str {
    name.strip_prefix("___interceptor_")
        .or_else(|| name.strip_prefix("__interceptor_"))
        .unwrap_or(name)
}

impl Frame {
    /// Code in no module: no function, object or source (see [`JIT_CODE`]).
    pub fn is_jit_code(&self) -> bool {
        self.function.is_none() && self.object.is_none() && self.file.is_none()
    }

    /// True when valgrind could not name the function (`???`).
    pub fn is_unknown(&self) -> bool {
        self.function.is_none()
    }

    /// A Python function named from CPython's perf map.
    pub fn is_python(&self) -> bool {
        self.named_by == NamedBy::Python
    }

    /// An unwinder artefact between named frames (see [`NamedBy::NotCode`]).
    pub fn is_not_code(&self) -> bool {
        self.named_by == NamedBy::NotCode
    }

    /// The frame as the log printed it: a frame named from a perf map goes
    /// back to `???` (no function, no file), which is all valgrind's and
    /// LSan's suppression matching ever sees there.
    pub fn as_logged(&self) -> std::borrow::Cow<'_, Frame> {
        if self.named_by == NamedBy::Log {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(Frame {
            object: self.object.clone(),
            ..Frame::default()
        })
    }

    /// A short mark for displays next to frames named from a perf map:
    /// `py` for Python functions, `jit` for other JIT code.
    pub fn mark(&self) -> Option<&'static str> {
        match self.named_by {
            NamedBy::Python => Some("py"),
            NamedBy::PerfMap => Some("jit"),
            NamedBy::Log | NamedBy::NotCode => None,
        }
    }

    /// The function name without its parameter list, e.g. `operator new` for
    /// `operator new(unsigned long)` and `llvm::safe_malloc` for
    /// `llvm::safe_malloc(unsigned long)`.
    pub fn base_name(&self) -> Option<&str> {
        self.function.as_deref().map(base_name)
    }

    /// `file:line` when the source is known.
    pub fn source(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match self.line {
            Some(l) => format!("{file}:{l}"),
            None => file.to_string(),
        })
    }

    /// Full path of the source file when the log gives its directory (XML, -fullpath).
    pub fn source_path(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        match self.dir.as_deref() {
            Some(dir) if !file.starts_with('/') => Some(format!("{dir}/{file}")),
            _ => Some(file.to_string()),
        }
    }

    /// The address-free identity of a frame, as valgrind would print it:
    /// `function (file:line)` or `function (in object)`. Used for grouping and for
    /// matching records across runs, where addresses differ.
    pub fn label(&self) -> String {
        if self.is_jit_code() {
            return JIT_CODE.to_string();
        }
        let f = self.function.as_deref().unwrap_or("???");
        if let Some(src) = self.source() {
            format!("{f} ({src})")
        } else if let Some(obj) = self.object.as_deref() {
            format!("{f} (in {obj})")
        } else {
            f.to_string()
        }
    }
}

/// Strips a C++ parameter list: the text from the `(` that balances the final
/// `)`. Names without parameters come back unchanged.
pub fn base_name(f: &str) -> &str {
    if !f.ends_with(')') {
        return f;
    }
    let bytes = f.as_bytes();
    let mut depth = 0i32;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    // `operator()(int)` keeps its `operator()`; a name that
                    // is all parentheses (`(below main)`) is a name.
                    return if i == 0 { f } else { f[..i].trim_end() };
                }
            }
            _ => {}
        }
    }
    f
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_name_strips_parameter_lists() {
        assert_eq!(base_name("operator new(unsigned long)"), "operator new");
        assert_eq!(base_name("malloc"), "malloc");
        assert_eq!(base_name("(below main)"), "(below main)");
        assert_eq!(
            base_name("llvm::safe_malloc(unsigned long)"),
            "llvm::safe_malloc"
        );
        assert_eq!(base_name("f(std::function<void (int)>)"), "f");
    }

    #[test]
    fn label_prefers_source_over_object() {
        let f = Frame {
            function: Some("fn".into()),
            file: Some("a.c".into()),
            line: Some(3),
            object: Some("/lib/x.so".into()),
            ..Frame::default()
        };
        assert_eq!(f.label(), "fn (a.c:3)");
        let g = Frame {
            object: Some("/lib/x.so".into()),
            ..Frame::default()
        };
        assert_eq!(g.label(), "??? (in /lib/x.so)");
    }
}
