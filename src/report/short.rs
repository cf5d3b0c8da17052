//! Short frame labels for narrow text tables.
//!
//! A JIT stack's frames are C++ names hundreds of characters long
//! (`std::enable_if<…>::type llvm::PassManager<…>::addPass<llvm::GVNPass>(…)
//! (in /long/venv/path/libllvmlite.so)`). In a 100-column table only what
//! tells groups apart survives: the qualified name without return type,
//! parameters and inner template arguments, and the object's file name. JSON
//! keeps the full labels; this is for reading only.

use crate::model::base_name;
use crate::sanitize::sanitize;
use crate::triage::signature::{Atom, Place};

/// Template arguments at the end of a name (`addPass<llvm::GVNPass>`) are
/// kept when at most this long: they often say which instance leaks.
const KEEP_LAST_TEMPLATE: usize = 40;

/// A frame for a table: the short function and, apart, the short place
/// (`unicodeobject.c:1425`, `in libllvmlite.so`), so a narrow column can drop
/// the place before it cuts the name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShortLabel {
    pub function: String,
    pub place: Option<String>,
}

impl ShortLabel {
    pub fn of(atom: &Atom) -> Self {
        let function = match (&atom.function, &atom.place) {
            (Some(f), _) => short_function(f),
            (None, Place::Unknown) => crate::model::JIT_CODE.to_string(),
            (None, _) => "???".to_string(),
        };
        let place = match &atom.place {
            Place::Source { file, line } => Some(match line {
                Some(l) => format!("{}:{l}", file_name(file)),
                None => file_name(file).to_string(),
            }),
            Place::Object(o) => Some(format!("in {}", file_name(o))),
            Place::Unknown => None,
        };
        // Sanitised here, before any width is measured.
        ShortLabel {
            function: sanitize(&function).into_owned(),
            place: place.map(|p| sanitize(&p).into_owned()),
        }
    }

    /// The label in at most `width` characters (0: any): whole if it fits,
    /// else the function alone, else the function without its leading
    /// qualifiers (`…::addPass<llvm::GVNPass>`: the innermost name tells
    /// groups apart, the namespace and class they share do not), else cut.
    pub fn fit(&self, width: usize) -> String {
        let full = match &self.place {
            Some(p) => format!("{} ({p})", self.function),
            None => self.function.clone(),
        };
        let fits = |s: &str| width == 0 || s.chars().count() <= width;
        if fits(&full) {
            return full;
        }
        if fits(&self.function) {
            return self.function.clone();
        }
        for i in scope_separators(&self.function) {
            let tail = format!("…{}", &self.function[i..]);
            if fits(&tail) {
                return tail;
            }
        }
        fit(&self.function, width)
    }
}

pub fn short_label(atom: &Atom) -> String {
    ShortLabel::of(atom).fit(0)
}

/// Byte offsets of the `::` that separate a name's scopes, outside brackets.
fn scope_separators(name: &str) -> Vec<usize> {
    let b = name.as_bytes();
    let mut depth = 0i32;
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            b':' if depth == 0 && b.get(i + 1) == Some(&b':') => {
                out.push(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `std::enable_if<…>::type ns::Cls<A, B>::f<X>(int) const` → `ns::Cls<…>::f<X>`.
/// Names it cannot make sense of (unbalanced brackets) come back with only
/// their parameter list removed.
pub fn short_function(name: &str) -> String {
    // GCC's clones (`f(int) [clone .isra.0]`) stay marked as such.
    let (name, clone) = match name.find(" [clone ") {
        Some(i) if name.ends_with(']') => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut out = shorten(base_name(strip_qualifiers(name)));
    out.push_str(clone);
    out
}

/// `f(int) const &` → `f(int)`: what follows a member function's parameters.
fn strip_qualifiers(name: &str) -> &str {
    const QUALIFIERS: [&str; 5] = ["const", "volatile", "noexcept", "&&", "&"];
    let mut t = name.trim_end();
    'strip: loop {
        for q in QUALIFIERS {
            let Some(rest) = t.strip_suffix(q) else {
                continue;
            };
            let rest = rest.trim_end();
            if rest.ends_with(')') || QUALIFIERS.iter().any(|q| rest.ends_with(q)) {
                t = rest;
                continue 'strip;
            }
        }
        return t;
    }
}

fn shorten(base: &str) -> String {
    let Some(spans) = top_level_spans(base) else {
        return base.to_string();
    };
    let start = spans.last_space.map(|s| s + 1).unwrap_or(0);
    let mut out = String::with_capacity(base.len().min(80));
    let mut pos = start;
    for &(open, close) in spans.templates.iter().filter(|(o, _)| *o >= start) {
        out.push_str(&base[pos..=open]);
        let inner = &base[open + 1..close];
        let is_last = close + 1 == base.len();
        if is_last && inner.len() <= KEEP_LAST_TEMPLATE {
            out.push_str(inner);
        } else {
            out.push('…');
        }
        pos = close;
    }
    out.push_str(&base[pos..]);
    out
}

struct Spans {
    /// Byte offset of the last space outside brackets: what precedes it is a
    /// return type (`void ns::f`), unless it belongs to an operator name.
    last_space: Option<usize>,
    /// Outermost `<…>` pairs, as byte offsets of `<` and `>`.
    templates: Vec<(usize, usize)>,
}

fn top_level_spans(s: &str) -> Option<Spans> {
    let b = s.as_bytes();
    // Open brackets and where they opened; a closer must match the innermost.
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut spans = Spans {
        last_space: None,
        templates: Vec::new(),
    };
    let mut i = 0;
    // `operator<< <T>`: the space after an operator name is not a return type's.
    let mut after_operator = false;
    while i < b.len() {
        if let Some(skip) = operator_at(s, i) {
            i += skip;
            after_operator = true;
            continue;
        }
        let was_after_operator = std::mem::take(&mut after_operator);
        match b[i] {
            c @ (b'<' | b'(' | b'[') => open.push((c, i)),
            c @ (b'>' | b')' | b']') => {
                let (o, at) = open.pop()?;
                let pair = matches!((o, c), (b'<', b'>') | (b'(', b')') | (b'[', b']'));
                if !pair {
                    return None;
                }
                if open.is_empty() && c == b'>' {
                    spans.templates.push((at, i));
                }
            }
            b' ' if open.is_empty() && !was_after_operator => spans.last_space = Some(i),
            _ => {}
        }
        i += 1;
    }
    open.is_empty().then_some(spans)
}

/// At `operator<<`, `operator()`, `operator new[]`…: how many bytes the
/// operator's name takes, so its brackets and space are not read as nesting
/// or as the end of a return type.
fn operator_at(s: &str, i: usize) -> Option<usize> {
    let rest = s.get(i..)?;
    if !rest.starts_with("operator") {
        return None;
    }
    let before = s[..i].chars().next_back();
    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let after = &rest["operator".len()..];
    let next = after.chars().next();
    if next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None; // `operatorFoo`: just a name
    }
    let trimmed = after.trim_start_matches(' ');
    let spaces = after.len() - trimmed.len();
    let sym = if trimmed.starts_with("()") || trimmed.starts_with("[]") {
        2
    } else if let Some(word) = ["new[]", "delete[]", "new", "delete"]
        .iter()
        .find(|w| trimmed.starts_with(*w))
    {
        word.len()
    } else {
        trimmed
            .bytes()
            .take_while(|c| b"<>=!+-*/%^&|~,".contains(c))
            .count()
    };
    Some("operator".len() + spaces + sym)
}

/// Cuts `s` to `width` characters, marking the cut with `…`. 0 means no limit.
pub fn fit(s: &str, width: usize) -> String {
    if width == 0 || s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cpp_names_shrink_to_what_tells_them_apart() {
        assert_eq!(
            short_function(
                "std::enable_if<!(is_same_v<llvm::GVNPass, llvm::PassManager<llvm::Function, \
                 llvm::AnalysisManager<llvm::Function>> >), void>::type llvm::PassManager<\
                 llvm::Function, llvm::AnalysisManager<llvm::Function>>::addPass<llvm::GVNPass>\
                 (llvm::GVNPass&&)"
            ),
            "llvm::PassManager<…>::addPass<llvm::GVNPass>"
        );
        assert_eq!(
            short_function("llvm::DenseMapBase<llvm::DenseMap<int, int>, int>::grow(unsigned int)"),
            "llvm::DenseMapBase<…>::grow"
        );
        assert_eq!(
            short_function("operator new(unsigned long)"),
            "operator new"
        );
        assert_eq!(
            short_function("std::basic_ostream<char>& std::operator<< <std::char_traits<char> >(std::basic_ostream<char>&, char const*)"),
            "std::operator<< <std::char_traits<char> >"
        );
        assert_eq!(
            short_function("(anonymous namespace)::f(int)"),
            "(anonymous namespace)::f"
        );
        assert_eq!(short_function("PyUnicode_New"), "PyUnicode_New");
        assert_eq!(
            short_function("llvm::X86TargetMachine::getSubtargetImpl(llvm::Function const&) const"),
            "llvm::X86TargetMachine::getSubtargetImpl"
        );
        assert_eq!(short_function("f(int) const &&"), "f");
        assert_eq!(short_function("myconst"), "myconst");
        assert_eq!(
            short_function("void g<int>(std::vector<int>&) [clone .isra.0]"),
            "g<int> [clone .isra.0]"
        );
        assert_eq!(short_function("broken<(x"), "broken<(x");
        assert_eq!(short_function("a<]b<c>"), "a<]b<c>");
    }

    #[test]
    fn objects_lose_their_directory() {
        let a = Atom {
            function: Some("LLVMPY_CreatePassBuilder".into()),
            place: Place::Object("/venv/lib/libllvmlite.so".into()),
        };
        assert_eq!(
            short_label(&a),
            "LLVMPY_CreatePassBuilder (in libllvmlite.so)"
        );
        let s = ShortLabel::of(&a);
        assert_eq!(s.fit(30), "LLVMPY_CreatePassBuilder");
        assert_eq!(s.fit(10), "LLVMPY_Cr…");
        let p = ShortLabel {
            function: "llvm::PassManager<…>::addPass<llvm::InstCombinePass>".into(),
            place: Some("in libllvmlite.so".into()),
        };
        assert_eq!(p.fit(45), "…::addPass<llvm::InstCombinePass>");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("abcdef", 0), "abcdef");
    }
}
