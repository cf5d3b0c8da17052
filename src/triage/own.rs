//! "Your code": which frames are the program's own, as opposed to the
//! runtime under it (libc, the C++ runtime, the Python interpreter, LLVM)
//! and installed libraries. The explorer marks such frames; grouping by
//! origin names a record after the innermost one.
//!
//! Python functions named from a perf map are the user's when their file is
//! outside the interpreter's standard library, site-packages and frozen
//! modules.

use crate::model::{Frame, FrameId, Interner, StackId};
use rustc_hash::FxHashSet;

/// The last part of a path.
fn file_name(path: &str) -> &str {
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
    // glibc's start-up and dlopen, named bare by text logs.
    "libc_start_call_main.h",
    "libc-start.c",
    "libc_start_main.h",
    "dlopen.c",
    "dlerror.c",
    "dlsym.c",
    "dl-open.c",
    "dl-init.c",
    "dl-error-skeleton.c",
    "catch_throw.cc",
    "eh_alloc.cc",
    "eh_throw.cc",
    "new_op.cc",
    "new_opv.cc",
];

/// Whether a frame, on its own, looks like the program's code rather than a
/// library or runtime frame. A heuristic: own frames have a source file that
/// is not installed under a system or package directory, and do not come
/// from a runtime object. Text logs give a bare file name, so known runtime
/// function prefixes and glibc-style file names count as runtime too (and
/// [`FrameInfo`] extends that to every frame of the same file).
pub fn is_own(f: &Frame) -> bool {
    if f.function.as_deref() == Some("(below main)") {
        return false;
    }
    if f.is_python() {
        return is_own_python(f.file.as_deref().unwrap_or("<unknown>"));
    }
    if f.is_not_code() {
        return false;
    }
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

/// A Python file of the user's: not `<frozen …>`/`<string>`, not in a
/// standard library (`…/lib/python3.13/…`) or an installed package.
pub fn is_own_python(path: &str) -> bool {
    if path.starts_with('<') {
        return false;
    }
    if path.contains("site-packages") || path.contains("dist-packages") {
        return false;
    }
    let stdlib = path
        .split('/')
        .zip(path.split('/').skip(1))
        .any(|(a, b)| a == "lib" && (b.starts_with("python3") || b.starts_with("python2")));
    !stdlib
}

/// Own-code verdicts for every location of a report, computed once.
///
/// Text logs name sources without directories, so `marshal.c` alone says
/// nothing; but once `PyMarshal_ReadObjectFromString (marshal.c:…)` is known
/// to be CPython, every frame in marshal.c is CPython too.
#[derive(Debug, Clone, Default)]
pub struct OwnCode {
    /// Per interner location: [`OWN`], [`PYTHON`], [`PLACED`]. What
    /// [`OwnCode::origin`] asks of a frame is then one byte found by its
    /// location, never the frame's address or strings (grouping asks it of
    /// every group's stack).
    flags: Vec<u8>,
    /// Whether any location is a Python function: without one, no stack
    /// needs looking through for one before its origin is sought.
    python: bool,
}

/// The location is the user's own code.
const OWN: u8 = 1;
/// A Python function (named from a perf map).
const PYTHON: u8 = 2;
/// The log says where it lives: a source directory or an object.
const PLACED: u8 = 4;

impl OwnCode {
    pub fn of(interner: &Interner) -> Self {
        let n = interner.location_count();
        let locations = || (0..n).map(|l| interner.location_frame(l));
        let cpython: Vec<bool> = locations().map(is_cpython).collect();
        // Each location's first frame (its address is the one judged
        // against the interpreter's text), and that text's extent.
        let mut firsts: Vec<Option<FrameId>> = vec![None; n];
        let (mut lo, mut hi) = (u64::MAX, 0);
        for i in 0..interner.frame_count() {
            let id = FrameId(i as u32);
            let l = interner.location_of(id);
            firsts[l].get_or_insert(id);
            if cpython[l] {
                if let Some(a) = interner.frame(id).addr {
                    lo = lo.min(a);
                    hi = hi.max(a);
                }
            }
        }
        let interpreter = lo..=hi;
        // Whether each location, on its own, looks like the user's.
        let alone: Vec<bool> = locations()
            .zip(&firsts)
            .map(|(f, first)| first.is_some() && is_own(f))
            .collect();
        let runtime_files: FxHashSet<&str> = locations()
            .zip(&firsts)
            .zip(&alone)
            .filter(|((f, first), &own)| first.is_some() && !f.is_python() && !own)
            .filter_map(|((f, _), _)| f.file.as_deref().map(file_name))
            .collect();
        let flags = firsts
            .iter()
            .zip(&alone)
            .enumerate()
            .map(|(l, (first, &own))| {
                let f = interner.location_frame(l);
                let own = own
                    && first.is_some_and(|id| {
                        f.is_python()
                            || !interner
                                .frame(id)
                                .addr
                                .is_some_and(|a| interpreter.contains(&a))
                                && !f
                                    .file
                                    .as_deref()
                                    .is_some_and(|file| runtime_files.contains(file_name(file)))
                    });
                let placed = f.dir.is_some() || f.object.is_some();
                [(own, OWN), (f.is_python(), PYTHON), (placed, PLACED)]
                    .iter()
                    .filter(|(set, _)| *set)
                    .fold(0, |flags, (_, flag)| flags | flag)
            })
            .collect::<Vec<u8>>();
        let python = flags.iter().any(|f| f & PYTHON != 0);
        OwnCode { flags, python }
    }

    fn flags(&self, interner: &Interner, id: FrameId) -> u8 {
        self.flags
            .get(interner.location_of(id))
            .copied()
            .unwrap_or(0)
    }

    pub fn is_own(&self, interner: &Interner, id: FrameId) -> bool {
        self.flags(interner, id) & OWN != 0
    }

    /// The origin of a stack: its innermost frame of the user's own code,
    /// native or Python.
    ///
    /// Under a Python interpreter every native frame is an extension module's
    /// (numba's `_dispatcher.cpp`, the user's own), and a text log names its
    /// source by bare file name only: nothing tells the user's apart. There a
    /// native frame counts only when the log says where it lives (a source
    /// directory or an object outside system and package directories);
    /// otherwise the user's Python function is the origin.
    pub fn origin(&self, interner: &Interner, stack: StackId) -> Option<FrameId> {
        let frames = interner.stack(stack);
        let python = self.python
            && frames
                .iter()
                .any(|&id| self.flags(interner, id) & PYTHON != 0);
        frames.iter().copied().find(|&id| {
            let f = self.flags(interner, id);
            f & OWN != 0 && (!python || f & (PYTHON | PLACED) != 0)
        })
    }
}

/// Functions a complete stack ends in: the program's or a thread's start.
const START_FUNCTIONS: &[&str] = &[
    "(below main)",
    "main",
    "_start",
    "__libc_start_main",
    "__libc_start_call_main",
    "start_thread",
    "clone",
    "clone3",
    "__clone",
    "__clone3",
    "thread_start",
];

/// Where valgrind's unwinder gave up on a Python stack that has none of the
/// user's code: its outermost Python frame, when the stack does not end at
/// the program's or a thread's start. Such a stack's caller is unknown (the
/// interpreter's perf trampolines keep no frame pointer, or `--num-callers`
/// was reached), so it is not the interpreter's own doing either.
pub fn cut_short_at(interner: &Interner, stack: StackId) -> Option<FrameId> {
    let frames = interner.stack(stack);
    let last = interner.frame(*frames.last()?);
    let ended = last
        .function
        .as_deref()
        .is_some_and(|f| START_FUNCTIONS.contains(&f));
    if ended {
        return None;
    }
    frames
        .iter()
        .rev()
        .copied()
        .find(|&id| interner.frame(id).is_python())
}

/// Whether frames at this location bound the address range of CPython's
/// own code (see [`OwnCode::of`]): functions named `Py…`/`_Py…` by the log.
/// Text logs name CPython's internal functions (`py_trampoline_evaluator
/// (perf_trampoline.c:405)`, `r_object (marshal.c:1185)`) with a bare file
/// name and no object, but their code lies inside libpython's text, between
/// its public functions, so their addresses tell them.
fn is_cpython(f: &Frame) -> bool {
    f.named_by == crate::model::NamedBy::Log
        && f.function
            .as_deref()
            .is_some_and(|n| n.starts_with("Py") || n.starts_with("_Py"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::parse_frame;

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
    fn glibc_start_up_and_dlopen_are_never_own() {
        for l in [
            "0x1: (below main) (libc_start_call_main.h:58)",
            "0x1: dlopen_doit (dlopen.c:66)",
            "0x1: __libc_start_main_impl (libc-start.c:360)",
            "0x1: _dl_catch_exception (dl-error-skeleton.c:208)",
            "0x1: operator new(unsigned long) (new_op.cc:50)",
        ] {
            assert!(!is_own(&parse_frame(l)), "{l}");
        }
    }

    #[test]
    fn python_frames_are_own_outside_stdlib_packages_and_frozen_modules() {
        let py = |path: &str| Frame {
            function: Some("f".into()),
            file: Some(path.into()),
            named_by: crate::model::NamedBy::Python,
            ..Frame::default()
        };
        assert!(is_own(&py("/srv/app/svc.py")));
        assert!(is_own(&py("svc.py")));
        assert!(!is_own(&py("<frozen importlib._bootstrap>")));
        assert!(!is_own(&py("<string>")));
        assert!(!is_own(&py(
            "/root/.pyenv/versions/3.13.0/lib/python3.13/ctypes/__init__.py"
        )));
        assert!(!is_own(&py("/usr/lib/python3/dist-packages/x.py")));
        assert!(!is_own(&py(
            "/v/lib/python3.13/site-packages/numba/core/dispatcher.py"
        )));
    }

    #[test]
    fn under_python_a_native_frame_named_by_bare_file_is_not_the_origin() {
        let mut i = Interner::new();
        let mut ids: Vec<FrameId> = [
            "0x1: malloc (in /vg.so)",
            "0x2: compile_and_invoke(Dispatcher*) (_dispatcher.cpp:1215)",
        ]
        .iter()
        .map(|l| i.intern_frame(parse_frame(l)))
        .collect();
        let native_only = i.intern_stack(&ids);
        ids.push(i.intern_frame(crate::model::At {
            addr: Some(0x5766635),
            frame: Frame {
                function: Some("handle_request".into()),
                file: Some("/srv/app/svc.py".into()),
                named_by: crate::model::NamedBy::Python,
                ..Frame::default()
            },
        }));
        let with_python = i.intern_stack(&ids);
        let own = OwnCode::of(&i);
        // A C program: its own code is what text logs name by bare file.
        assert_eq!(own.origin(&i, native_only), Some(ids[1]));
        // Called from Python, it may be any extension's (here numba's).
        assert_eq!(own.origin(&i, with_python), Some(ids[2]));
    }

    #[test]
    fn a_python_stack_not_reaching_a_start_was_cut_short() {
        let mut i = Interner::new();
        let py = |i: &mut Interner, a: u64, name: &str| {
            i.intern_frame(crate::model::At {
                addr: Some(a),
                frame: Frame {
                    function: Some(name.into()),
                    file: Some("/v/lib/python3.13/site-packages/numba/core/codegen.py".into()),
                    named_by: crate::model::NamedBy::Python,
                    ..Frame::default()
                },
            })
        };
        let malloc = i.intern_frame(parse_frame("0x1: malloc (in /vg.so)"));
        let eval = i.intern_frame(parse_frame(
            "0x2: _PyEval_EvalFrameDefault (generated_cases.c.h:813)",
        ));
        let inner = py(&mut i, 0x5568bb5, "CPUCodeLibrary.finalize");
        let outer = py(&mut i, 0x5568c15, "CPUCodeLibrary._optimize_final_module");
        let start = i.intern_frame(parse_frame("0x3: (below main) (libc_start_call_main.h:58)"));
        let cut = i.intern_stack(&[malloc, inner, eval, outer]);
        assert_eq!(cut_short_at(&i, cut), Some(outer));
        let whole = i.intern_stack(&[malloc, inner, eval, outer, eval, start]);
        assert_eq!(cut_short_at(&i, whole), None);
        // A native stack is never said to be cut: there is no Python to blame.
        let native = i.intern_stack(&[malloc, eval]);
        assert_eq!(cut_short_at(&i, native), None);
    }

    #[test]
    fn a_bare_file_name_is_runtime_once_a_runtime_frame_names_it() {
        let mut i = Interner::new();
        let ids: Vec<FrameId> = [
            "0x1: malloc (in /vg.so)",
            "0x2: r_object (marshal.c:1185)",
            "0x3: PyMarshal_ReadObjectFromString (marshal.c:1684)",
            "0x4: run (app.c:9)",
        ]
        .iter()
        .map(|l| i.intern_frame(parse_frame(l)))
        .collect();
        let s = i.intern_stack(&ids);
        let own = OwnCode::of(&i);
        assert!(!own.is_own(&i, ids[1]));
        assert_eq!(own.origin(&i, s), Some(ids[3]));
    }
}
