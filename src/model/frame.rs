//! Frames and stacks, interned.
//!
//! Real logs repeat the same few thousand frames hundreds of thousands of times
//! (every loss record under the JIT shares the same Python and ctypes frames), so
//! each distinct frame and each distinct stack is stored once and referred to by a
//! small id. Memory then grows with the number of distinct frames, not with the log.

use rustc_hash::FxHashMap;
use std::fmt;

/// One line of a stack: `at 0x4841F2F: operator new(unsigned long) (in /usr/…)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Instruction pointer; `None` when the log masks it (`0x........`) or omits it.
    pub addr: Option<u64>,
    /// Function as the log shows it (usually demangled); `None` for `???`.
    pub function: Option<Box<str>>,
    /// Mangled name, where the log states it (XML `<fn>` is demangled too, but
    /// --gen-suppressions blocks give mangled `fun:` lines that parsers attach here).
    pub mangled: Option<Box<str>>,
    pub dir: Option<Box<str>>,
    pub file: Option<Box<str>>,
    pub line: Option<u32>,
    /// The shared object or executable, where the log names it.
    pub object: Option<Box<str>>,
}

impl Frame {
    /// True when valgrind could not name the function (`???`).
    pub fn is_unknown(&self) -> bool {
        self.function.is_none()
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
                    // `operator()(int)` keeps its `operator()`.
                    return f[..i].trim_end();
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub u32);

/// Owns every distinct frame and stack of a report.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    frames: Vec<Frame>,
    /// Keyed by the frame's source text (or a synthetic key for XML), so the hot
    /// path of the text parser is one hash lookup per frame line, no allocation.
    frame_index: FxHashMap<Box<[u8]>, FrameId>,
    stacks: Vec<Box<[FrameId]>>,
    stack_index: FxHashMap<Box<[FrameId]>, StackId>,
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Self::default();
        // Stack 0 is the empty stack, so "no stack" needs no Option.
        i.intern_stack(&[]);
        i
    }

    pub const EMPTY_STACK: StackId = StackId(0);

    /// Interns a frame under `key`, building it with `make` only the first time.
    pub fn intern_frame_with(&mut self, key: &[u8], make: impl FnOnce() -> Frame) -> FrameId {
        if let Some(&id) = self.frame_index.get(key) {
            return id;
        }
        let id = FrameId(self.frames.len() as u32);
        self.frames.push(make());
        self.frame_index.insert(key.into(), id);
        id
    }

    /// Interns a fully built frame, keyed by all of its fields.
    pub fn intern_frame(&mut self, frame: Frame) -> FrameId {
        let key = frame_key(&frame);
        self.intern_frame_with(&key, || frame)
    }

    pub fn intern_stack(&mut self, frames: &[FrameId]) -> StackId {
        if let Some(&id) = self.stack_index.get(frames) {
            return id;
        }
        let id = StackId(self.stacks.len() as u32);
        let boxed: Box<[FrameId]> = frames.into();
        self.stacks.push(boxed.clone());
        self.stack_index.insert(boxed, id);
        id
    }

    pub fn frame(&self, id: FrameId) -> &Frame {
        &self.frames[id.0 as usize]
    }

    /// Lets a parser add what it learns later (e.g. the mangled name from a
    /// --gen-suppressions block) to a frame already interned.
    pub fn frame_mut(&mut self, id: FrameId) -> &mut Frame {
        &mut self.frames[id.0 as usize]
    }

    pub fn stack(&self, id: StackId) -> &[FrameId] {
        self.stacks
            .get(id.0 as usize)
            .map(|s| &s[..])
            .unwrap_or(&[])
    }

    pub fn frames_of(&self, id: StackId) -> impl Iterator<Item = &Frame> + '_ {
        self.stack(id).iter().map(|&f| self.frame(f))
    }

    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }
}

fn frame_key(f: &Frame) -> Vec<u8> {
    let mut k = Vec::with_capacity(96);
    k.push(0xff); // never the first byte of a text-log frame line
    k.extend_from_slice(&f.addr.unwrap_or(u64::MAX).to_le_bytes());
    for part in [&f.function, &f.mangled, &f.dir, &f.file, &f.object] {
        if let Some(p) = part {
            k.extend_from_slice(p.as_bytes());
        }
        k.push(0);
    }
    k.extend_from_slice(&f.line.unwrap_or(u32::MAX).to_le_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_name_strips_parameter_lists() {
        assert_eq!(base_name("operator new(unsigned long)"), "operator new");
        assert_eq!(base_name("malloc"), "malloc");
        assert_eq!(
            base_name("llvm::safe_malloc(unsigned long)"),
            "llvm::safe_malloc"
        );
        assert_eq!(base_name("f(std::function<void (int)>)"), "f");
    }

    #[test]
    fn interning_shares_equal_frames_and_stacks() {
        let mut i = Interner::new();
        let a = i.intern_frame_with(b"0x1: f (a.c:1)", Frame::default);
        let b = i.intern_frame_with(b"0x1: f (a.c:1)", || unreachable!());
        assert_eq!(a, b);
        let s1 = i.intern_stack(&[a, b]);
        let s2 = i.intern_stack(&[a, b]);
        assert_eq!(s1, s2);
        assert_eq!(i.stack(s1).len(), 2);
        assert!(i.stack(Interner::EMPTY_STACK).is_empty());
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
