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

/// `function (location)` in the compact form used by tree rows, at most
/// [`NAME_CAP`] characters (shortened in the middle). Computed once per name
/// (index, places), so drawing a row costs the same for any name.
pub fn short_label(f: &Frame) -> String {
    let func = compact_function(f);
    let full = match short_location(f) {
        Some(loc) => format!("{func} ({loc})"),
        None => func,
    };
    shorten_middle(&full, NAME_CAP)
}

/// The longest name a row or frame line keeps, in characters: wider than
/// any terminal, and small enough that fitting it to a column is cheap.
pub const NAME_CAP: usize = 300;

/// `s` cut to at most `max` characters: by taking out its middle when it ends
/// in a `(file:line)`, kept whole — what tells
/// `handle_request (mc_incremental.c:17)` from `…:13` — when that leaves
/// room for the start of the name; otherwise at the end.
pub fn shorten_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if max < 2 {
        return "…".chars().take(max).collect();
    }
    // Only a `(file:line)` is worth more than the name's middle: an object
    // (`(libllvmlite.so)`) says less than the function it would displace.
    let has_line = |t: &str| {
        let t = t.trim_end_matches(')');
        t.rsplit_once(':')
            .is_some_and(|(_, l)| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    };
    let tail_at = s
        .rfind(" (")
        .filter(|&i| has_line(&s[i..]) && s[i..].chars().count() + 8 <= max)
        .map(|i| s[i..].chars().count());
    // Without one, the start of the name is what tells names apart.
    let tail = tail_at.unwrap_or(0);
    let head = max - 1 - tail;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
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
    fn names_shorten_in_the_middle_so_file_and_line_survive() {
        let a = "handle_request_with_a_rather_long_name (mc_incremental.c:17)";
        let b = "handle_request_with_a_rather_long_name (mc_incremental.c:13)";
        let (sa, sb) = (shorten_middle(a, 40), shorten_middle(b, 40));
        assert_eq!(sa.chars().count(), 40);
        assert!(sa.ends_with("(mc_incremental.c:17)"), "{sa}");
        assert!(sa.starts_with("handle_request"), "{sa}");
        assert_ne!(sa, sb);
        assert_eq!(shorten_middle("short", 40), "short");
        // No file:line (or an object only): cut at the end.
        assert_eq!(shorten_middle(&"x".repeat(100), 11), "xxxxxxxxxx…");
        let obj = shorten_middle("LLVMPY_CreatePassBuilder (libllvmlite.so)", 20);
        assert_eq!(obj, "LLVMPY_CreatePassBu…");
    }

    #[test]
    fn a_huge_frame_name_is_shortened_once_to_the_cap() {
        let name = "f".repeat(900_000);
        let f = parse_frame(&format!("0x1: {name} (huge.c:7)"));
        let label = short_label(&f);
        assert_eq!(label.chars().count(), NAME_CAP);
        assert!(
            label.ends_with("(huge.c:7)"),
            "{}",
            &label[label.len() - 20..]
        );
    }

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
