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

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Objects that belong to the runtime under the program, never to it: the
/// valgrind preload, the C and C++ runtimes, the Python interpreter and
/// llvmlite's bundled LLVM.
const RUNTIME_OBJECTS: &[&str] = &[
    "vgpreload_",
    "ld-linux",
    "libc.so",
    "libc-",
    "libm.so",
    "libpthread",
    "libdl",
    "libstdc++",
    "libgcc_s",
    "libpython",
    "libllvmlite",
    "libffi",
    "libLLVM",
];

/// Path parts that mark installed (not the user's) code.
const LIBRARY_DIRS: &[&str] = &[
    "/usr/",
    "/lib/",
    "/lib64/",
    "/opt/",
    "site-packages",
    "dist-packages",
    "/nix/store/",
];

/// Function prefixes of runtimes whose frames a text log shows with a bare
/// file name (no directory to judge by): CPython, LLVM, the C++ standard
/// library, glibc's loader.
const RUNTIME_FUNCTIONS: &[&str] = &[
    "Py",
    "_Py",
    "llvm::",
    "LLVM",
    "std::",
    "__gnu_cxx::",
    "_dl_",
    "__libc",
    "dl_",
    "ffi_",
    "_ctypes",
];

/// Source files of valgrind's preload and CPython that text logs name bare.
const RUNTIME_FILES: &[&str] = &[
    "vg_replace_malloc.c",
    "vg_replace_strmem.c",
    "ceval.c",
    "call.c",
    "abstract.c",
    "import.c",
    "importdl.c",
    "pythonrun.c",
    "pylifecycle.c",
    "obmalloc.c",
    "gcmodule.c",
    "bltinmodule.c",
    "callproc.c",
    "_ctypes.c",
];

/// Whether a frame, on its own, looks like the program's code rather than a
/// library or runtime frame. A heuristic: own frames have a source file that
/// is not installed under a system or package directory, and do not come
/// from a runtime object. Text logs give a bare file name, so known runtime
/// function prefixes and glibc-style file names count as runtime too (and
/// [`FrameInfo`] extends that to every frame of the same file).
pub fn is_own(f: &Frame) -> bool {
    let Some(file) = f.file.as_deref() else {
        return false;
    };
    // An allocator (glibc's, the loader's `malloc (rtld-malloc.h)`) only
    // hands out memory; it is never what the program did.
    if crate::triage::is_allocator(f) {
        return false;
    }
    let path = f.source_path().unwrap_or_else(|| file.to_string());
    if LIBRARY_DIRS.iter().any(|d| path.contains(d)) {
        return false;
    }
    if let Some(obj) = f.object.as_deref() {
        let name = file_name(obj);
        if RUNTIME_OBJECTS.iter().any(|r| name.starts_with(r)) {
            return false;
        }
        if LIBRARY_DIRS.iter().any(|d| obj.contains(d)) {
            return false;
        }
    }
    let base = file_name(file);
    // CPython's object implementations and internal headers, by name.
    let cpython = base.ends_with("object.c") || base.starts_with("pycore_");
    let glibc = base.ends_with(".S") || base.starts_with("dl-") || base.starts_with("rtld");
    if RUNTIME_FILES.contains(&base) || cpython || glibc {
        return false;
    }
    if let Some(func) = f.function.as_deref() {
        if RUNTIME_FUNCTIONS.iter().any(|p| func.starts_with(p)) {
            return false;
        }
    }
    true
}

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
    fn own_frames_are_user_sources_only() {
        assert!(is_own(&parse_frame("0x1: leak_some (planted.c:12)")));
        assert!(!is_own(&parse_frame(
            "0x1: malloc (vg_replace_malloc.c:381)"
        )));
        assert!(!is_own(&parse_frame(
            "0x1: PyUnicode_New (unicodeobject.c:1425)"
        )));
        assert!(!is_own(&parse_frame("0x1: strncmp (strcmp-sse2.S:160)")));
        assert!(!is_own(&parse_frame(
            "0x1: LLVMPY_X (in /tmp/v/site-packages/llvmlite/binding/libllvmlite.so)"
        )));
        assert!(!is_own(&parse_frame("0x1: ??? (in /usr/lib/libfoo.so)")));
        assert!(!is_own(&parse_frame(
            "0x1: method_vectorcall (classobject.c:89)"
        )));
        assert!(!is_own(&parse_frame("0x1: f (pycore_call.h:92)")));
    }

    #[test]
    fn haystacks_are_sanitized() {
        let f = parse_frame("0x1: evil\u{1b}[31m (a.c:1)");
        assert!(!haystack(&f).contains('\u{1b}'));
        assert!(short_label(&f).contains("^["));
    }
}
