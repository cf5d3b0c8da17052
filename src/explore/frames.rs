//! How frames are shown, matched and told apart.
//!
//! Log text is untrusted and C++ names are long, so everything here returns
//! sanitized, display-ready strings; the raw model stays untouched.

use crate::model::Frame;
use crate::sanitize::sanitize;

/// Function, source and object together, so `/libllvmlite/` finds frames by
/// object even where the log also gave a source line (XML gives both).
pub(crate) fn haystack(f: &Frame) -> String {
    let mut s = f.label();
    if f.file.is_some() {
        if let Some(obj) = f.object.as_deref() {
            s.push_str(" in ");
            s.push_str(obj);
        }
    }
    sanitize(&s).into_owned()
}

/// A function name short enough for a tree row: no parameter list, and
/// template arguments collapsed (`llvm::PassManager<…>::addPass<…>`).
pub fn compact_function(f: &Frame) -> String {
    // Python qualnames are not C++: `<module>`, `f.<locals>.g` stay whole.
    if let (true, Some(name)) = (f.is_python(), f.function.as_deref()) {
        return sanitize(name).into_owned();
    }
    match f.base_name() {
        Some(name) => sanitize(&collapse_templates(name)).into_owned(),
        None => "???".to_string(),
    }
}

/// Collapses `<…>` at any depth into `<…>`. Names whose angle brackets do not
/// balance (`operator<<`, `operator<`) come back unchanged.
pub fn collapse_templates(name: &str) -> String {
    let opens = name.matches('<').count();
    if opens == 0 || opens != name.matches('>').count() || name.contains("operator") {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => {
                if depth == 0 {
                    out.push_str("<…");
                }
                depth += 1;
            }
            '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push('>');
                }
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Where a frame is: `file:line` when known, else the object's file name.
pub fn short_location(f: &Frame) -> Option<String> {
    // A Python function's file is a full path; its name says enough.
    if let (true, Some(file)) = (f.is_python(), f.file.as_deref()) {
        return Some(sanitize(file_name(file)).into_owned());
    }
    if let Some(src) = f.source() {
        return Some(sanitize(&src).into_owned());
    }
    f.object
        .as_deref()
        .map(|o| sanitize(file_name(o)).into_owned())
}

/// `function (location)` in the compact form used by tree rows.
pub fn short_label(f: &Frame) -> String {
    let func = compact_function(f);
    match short_location(f) {
        Some(loc) => format!("{func} ({loc})"),
        None => func,
    }
}

/// [`short_label`] with the mark of a frame named from a perf map in front:
/// `[py] handle_request (svc.py)`.
pub fn marked_label(f: &Frame) -> String {
    match f.mark() {
        Some(m) => format!("[{m}] {}", short_label(f)),
        None => short_label(f),
    }
}

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub use crate::triage::own::is_own;

/// Two frames at the same place in the code, whatever their addresses.
pub fn same_place(a: &Frame, b: &Frame) -> bool {
    a.function == b.function && a.file == b.file && a.line == b.line && a.object == b.object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::parse_frame;

    #[test]
    fn templates_collapse_but_operators_stay() {
        assert_eq!(
            collapse_templates("llvm::PassManager<llvm::Function, A<B>>::addPass<X>"),
            "llvm::PassManager<…>::addPass<…>"
        );
        assert_eq!(
            collapse_templates("std::ostream::operator<<"),
            "std::ostream::operator<<"
        );
        assert_eq!(collapse_templates("main"), "main");
    }

    #[test]
    fn haystacks_are_sanitized() {
        let f = parse_frame("0x1: evil\u{1b}[31m (a.c:1)");
        assert!(!haystack(&f).contains('\u{1b}'));
        assert!(short_label(&f).contains("^["));
    }
}
