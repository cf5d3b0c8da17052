//! Grouping records by where they were allocated.
//!
//! A loss record's first frame is nearly always an allocator (`malloc`,
//! `operator new`, LLVM's `safe_malloc`…), which says nothing about who leaked.
//! The group is named by the first frame that is not one: the code that asked
//! for the memory.

use super::own::OwnCode;
use super::totals::Totals;
use crate::model::{
    ErrorKind, Frame, FrameId, Interner, LeakKind, LossRecord, MemcheckError, StackId,
};
use rustc_hash::FxHashMap;

/// Functions that only hand out memory for someone else. Matched on the name
/// without parameters, so `operator new(unsigned long, std::nothrow_t const&)`
/// counts too.
const ALLOCATORS: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "memalign",
    "posix_memalign",
    "aligned_alloc",
    "valloc",
    "pvalloc",
    "strdup",
    "strndup",
    "wcsdup",
    "__libc_malloc",
    "__libc_calloc",
    "__libc_realloc",
    "__libc_memalign",
    "operator new",
    "operator new[]",
    "_Znwm",
    "_Znam",
    "_Znwj",
    "_Znaj",
    "_ZnwmRKSt9nothrow_t",
    "_ZnamRKSt9nothrow_t",
    "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t",
    "llvm::safe_malloc",
    "llvm::safe_calloc",
    "llvm::safe_realloc",
    "llvm::allocate_buffer",
    "PyMem_RawMalloc",
    "PyMem_RawCalloc",
    "PyMem_RawRealloc",
    "_PyMem_RawMalloc",
    "_PyMem_RawCalloc",
    "_PyMem_RawRealloc",
    "PyMem_Malloc",
    "PyMem_Calloc",
    "PyMem_Realloc",
    "PyObject_Malloc",
    "PyObject_Calloc",
    "PyObject_Realloc",
    "_PyObject_Malloc",
    "_PyObject_Calloc",
    "_PyObject_Realloc",
    "pymalloc_alloc",
    "_PyMem_DebugRawAlloc",
    "_PyMem_DebugRawMalloc",
    "_PyMem_DebugRawCalloc",
    "_PyMem_DebugRawRealloc",
    "_PyMem_DebugMalloc",
    "_PyMem_DebugCalloc",
    "_PyMem_DebugRealloc",
];

pub fn is_allocator(frame: &Frame) -> bool {
    match frame.base_name() {
        // AddressSanitizer names its wrappers `__interceptor_malloc` (gcc's
        // libasan) or `___interceptor_malloc` (newer LLVM).
        Some(name) => ALLOCATORS.contains(&crate::model::without_interceptor(name)),
        None => false,
    }
}

/// The first frame that is not an allocator and not an unresolved `???` (unless
/// no resolved frame follows it). A stack of allocators only (a sanitizer's
/// fast unwinder stops at the first frame without a frame pointer:
/// `__interceptor_malloc` < `_PyObject_Malloc`) is named by its deepest
/// allocator, the one nearest the code that asked.
pub fn top_frame(interner: &Interner, stack: StackId) -> Option<FrameId> {
    top_frame_by(interner, stack, |id| Role::of(interner.frame(id).frame))
}

/// What naming a group needs to know of a frame: a function of its
/// location (its function, file and object), never of its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Allocator,
    Unknown,
    Named,
}

impl Role {
    fn of(f: &Frame) -> Role {
        if is_allocator(f) {
            Role::Allocator
        } else if f.is_unknown() {
            Role::Unknown
        } else {
            Role::Named
        }
    }
}

/// [`top_frame`], each frame's role told by `role`.
fn top_frame_by(
    interner: &Interner,
    stack: StackId,
    mut role: impl FnMut(FrameId) -> Role,
) -> Option<FrameId> {
    let frames = interner.stack(stack);
    let mut first_unknown = None;
    for &id in frames {
        match role(id) {
            Role::Allocator => {}
            Role::Unknown => {
                first_unknown.get_or_insert(id);
            }
            Role::Named => return Some(id),
        }
    }
    first_unknown.or_else(|| frames.last().copied())
}

/// [`top_frame`] of many stacks, each location's role decided once (a
/// byte per location): telling an allocator means taking the function's
/// base name and comparing it with every allocator's, and grouping asks
/// for every record.
pub(crate) struct TopFrames {
    roles: Vec<Option<Role>>,
}

impl TopFrames {
    pub(crate) fn new(interner: &Interner) -> TopFrames {
        TopFrames {
            roles: vec![None; interner.location_count()],
        }
    }

    pub(crate) fn of(&mut self, interner: &Interner, stack: StackId) -> Option<FrameId> {
        let roles = &mut self.roles;
        top_frame_by(interner, stack, |id| {
            *roles[interner.location_of(id)]
                .get_or_insert_with(|| Role::of(interner.frame(id).frame))
        })
    }
}

/// How records are gathered into groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// By the first frame that is not an allocator.
    #[default]
    TopFrame,
    /// By the shared object of that frame (or of the first frame that names one).
    Object,
    /// By the whole stack, addresses aside.
    Stack,
    /// By the innermost frame of the user's own code, native or Python
    /// (`triage::own`); where a stack has none, where a Python stack was cut
    /// short (`own::cut_short_at`), else its top frame.
    Origin,
}

impl GroupBy {
    pub fn next(self) -> Self {
        match self {
            GroupBy::TopFrame => GroupBy::Object,
            GroupBy::Object => GroupBy::Stack,
            GroupBy::Stack => GroupBy::Origin,
            GroupBy::Origin => GroupBy::TopFrame,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::TopFrame => "top frame",
            GroupBy::Object => "object",
            GroupBy::Stack => "stack",
            GroupBy::Origin => "origin",
        }
    }
}

/// The group label of a stack under a grouping. By origin this classifies
/// the whole report's frames first: callers labelling many stacks build one
/// [`OwnCode`] and use [`origin_label`].
pub fn group_label(interner: &Interner, stack: StackId, by: GroupBy) -> String {
    match by {
        GroupBy::Origin => origin_label(interner, &OwnCode::of(interner), stack),
        GroupBy::TopFrame => match top_frame(interner, stack) {
            Some(id) => interner.frame(id).label(),
            None => "(no stack)".to_string(),
        },
        GroupBy::Object => object_of(interner, stack),
        GroupBy::Stack => {
            let labels: Vec<String> = interner
                .stack(stack)
                .iter()
                .map(|&f| interner.frame(f))
                .filter(|f| !is_allocator(f))
                .take(8)
                .map(|f| f.label())
                .collect();
            if labels.is_empty() {
                "(no stack)".to_string()
            } else {
                labels.join(" ← ")
            }
        }
    }
}

/// The label of a stack's origin; for a Python stack the unwinder cut short
/// before any of the user's code, where it was cut (the caller is unknown,
/// which is said rather than blamed on the top frame); otherwise the top
/// frame's.
pub fn origin_label(interner: &Interner, own: &OwnCode, stack: StackId) -> String {
    match own.origin(interner, stack) {
        Some(id) => interner.frame(id).label(),
        None => match crate::triage::own::cut_short_at(interner, stack) {
            Some(id) => format!("{CUT_SHORT}{})", interner.frame(id).label()),
            None => group_label(interner, stack, GroupBy::TopFrame),
        },
    }
}

/// How an origin label starts when the stack was cut short.
pub const CUT_SHORT: &str = "(stack cut short at ";

fn object_of(interner: &Interner, stack: StackId) -> String {
    let frames: Vec<&Frame> = interner
        .stack(stack)
        .iter()
        .map(|&f| interner.frame(f).frame)
        .filter(|f| !is_allocator(f))
        .collect();
    if let Some(obj) = frames.iter().find_map(|f| f.object.as_deref()) {
        return obj.to_string();
    }
    match frames.iter().find_map(|f| f.file.as_deref()) {
        Some(file) => format!("(source {file})"),
        None => "(unknown object)".to_string(),
    }
}

/// Loss records with the same kind and label.
#[derive(Debug, Clone)]
pub struct LeakGroup {
    pub kind: LeakKind,
    pub label: String,
    /// The top frame of the first record, for the detail pane.
    pub top: Option<FrameId>,
    /// The origin (innermost own frame) of the group's records; of the
    /// largest record when they differ.
    pub origin: Option<FrameId>,
    pub totals: Totals,
    /// Indices into the slice given to `group_records` (u32, as the
    /// explorer's items are: a group of millions of records holds these).
    pub records: Vec<u32>,
}

/// Groups records by kind and label; largest total bytes first, then by label
/// so equal groups come out in a stable order.
pub fn group_records(interner: &Interner, records: &[LossRecord], by: GroupBy) -> Vec<LeakGroup> {
    group_indices(interner, records, 0..records.len(), by)
}

/// As `group_records`, over a chosen subset of `records`.
pub fn group_indices(
    interner: &Interner,
    records: &[LossRecord],
    indices: impl IntoIterator<Item = usize>,
    by: GroupBy,
) -> Vec<LeakGroup> {
    group_indices_with(interner, &OwnCode::of(interner), records, indices, by)
}

/// As `group_indices`, with the report's own-code verdicts computed once by
/// the caller.
pub fn group_indices_with(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    indices: impl IntoIterator<Item = usize>,
    by: GroupBy,
) -> Vec<LeakGroup> {
    let mut groups: Vec<LeakGroup> = group_parts(interner, own, records, indices, by, |_| ())
        .into_iter()
        .map(|((), g)| g)
        .collect();
    groups.sort_by(|a, b| {
        b.totals
            .total_bytes
            .cmp(&a.totals.total_bytes)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
    });
    groups
}

/// Groups records by (`part(index)`, kind, label), in one pass: what
/// grouping each part apart would give, in no particular order. Grouping by
/// hiding rule passes the rule, so every rule's records share one
/// allocator-role table and one label per location (a table per rule cost
/// a byte per location each). `summary` groups so through `tally`, whose
/// groups are these less their record lists.
pub fn group_parts<P: Copy + Eq + std::hash::Hash>(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    indices: impl IntoIterator<Item = usize>,
    by: GroupBy,
    part: impl Fn(usize) -> P,
) -> Vec<(P, LeakGroup)> {
    let (mut groups, largest) = group_span(interner, own, records, indices, by, part);
    set_origins(interner, own, records, &mut groups, &largest);
    groups
}

/// Each group's origin: that of its largest record (`largest`: per group,
/// the first record of its largest size, and that size).
fn set_origins<P>(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    groups: &mut [(P, LeakGroup)],
    largest: &[(usize, u128)],
) {
    for ((_, group), &(i, _)) in groups.iter_mut().zip(largest) {
        group.origin = own.origin(interner, records[i].stack);
    }
}

/// [`group_parts`] without the origins: the groups, and each one's largest
/// record (the first of that size) with its size.
#[allow(clippy::type_complexity)]
fn group_span<P: Copy + Eq + std::hash::Hash>(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    indices: impl IntoIterator<Item = usize>,
    by: GroupBy,
    part: impl Fn(usize) -> P,
) -> (Vec<(P, LeakGroup)>, Vec<(usize, u128)>) {
    // By top frame, a label is a function of the top frame's location: build
    // each label string once per location, not once per record, and give it
    // a number, so that a record finds its group by (kind, number) without
    // hashing a string (and no map of strings is rehashed as it grows).
    let mut by_location: FxHashMap<usize, u32> = FxHashMap::default();
    let mut by_stack: FxHashMap<StackId, u32> = FxHashMap::default();
    let mut labels = Labels::default();
    let mut tops = TopFrames::new(interner);
    let mut index: FxHashMap<(P, LeakKind, u32), usize> = FxHashMap::default();
    let mut groups: Vec<(P, LeakGroup)> = Vec::new();
    // Each group's largest record (the first of that size) and its bytes:
    // its origin is the group's, found once the groups are complete.
    let mut largest: Vec<(usize, u128)> = Vec::new();
    // The last record's label: neighbours often share a stack. By top
    // frame nothing is kept per stack (a million distinct stacks would cost
    // a map entry each), only per location.
    let mut last: Option<(StackId, u32)> = None;
    for i in indices {
        let r = &records[i];
        let label = match (last, by) {
            (Some((s, l)), _) if s == r.stack => l,
            (_, GroupBy::TopFrame) => match tops.of(interner, r.stack) {
                Some(top) => *by_location
                    .entry(interner.location_of(top))
                    .or_insert_with(|| labels.number(interner.frame(top).label())),
                None => labels.number(group_label(interner, r.stack, by)),
            },
            _ => *by_stack.entry(r.stack).or_insert_with(|| {
                labels.number(match by {
                    GroupBy::Origin => origin_label(interner, own, r.stack),
                    _ => group_label(interner, r.stack, by),
                })
            }),
        };
        last = Some((r.stack, label));
        let p = part(i);
        let g = *index.entry((p, r.kind, label)).or_insert_with(|| {
            let group = LeakGroup {
                kind: r.kind,
                label: labels.of[label as usize].to_string(),
                top: tops.of(interner, r.stack),
                origin: None,
                totals: Totals::default(),
                records: Vec::new(),
            };
            groups.push((p, group));
            largest.push((i, 0));
            groups.len() - 1
        });
        let group = &mut groups[g].1;
        if group.records.is_empty() || r.total_bytes() > largest[g].1 {
            largest[g] = (i, r.total_bytes());
        }
        group.totals.add(r);
        group.records.push(i as u32);
    }
    (groups, largest)
}

/// Group labels, each numbered once (see [`group_indices_with`]).
#[derive(Default)]
struct Labels {
    ids: FxHashMap<std::rc::Rc<str>, u32>,
    of: Vec<std::rc::Rc<str>>,
}

impl Labels {
    fn number(&mut self, label: String) -> u32 {
        if let Some(&id) = self.ids.get(label.as_str()) {
            return id;
        }
        let label: std::rc::Rc<str> = label.into();
        self.of.push(label.clone());
        let id = self.of.len() as u32 - 1;
        self.ids.insert(label, id);
        id
    }
}

/// Errors with the same kind and label.
#[derive(Debug, Clone)]
pub struct ErrorGroup {
    pub kind: ErrorKind,
    pub label: String,
    /// Contexts (distinct errors) and occurrences.
    pub contexts: u64,
    pub count: u64,
    pub errors: Vec<usize>,
}

pub fn group_errors(interner: &Interner, errors: &[MemcheckError], by: GroupBy) -> Vec<ErrorGroup> {
    group_error_indices(interner, errors, 0..errors.len(), by)
}

/// As `group_errors`, over a chosen subset of `errors` (those one rule hides,
/// or those none does).
pub fn group_error_indices(
    interner: &Interner,
    errors: &[MemcheckError],
    indices: impl IntoIterator<Item = usize>,
    by: GroupBy,
) -> Vec<ErrorGroup> {
    let mut index: FxHashMap<(ErrorKind, String), usize> = FxHashMap::default();
    let mut groups: Vec<ErrorGroup> = Vec::new();
    let own = (by == GroupBy::Origin).then(|| OwnCode::of(interner));
    for i in indices {
        let e = &errors[i];
        let label = match &own {
            Some(own) => origin_label(interner, own, e.stack),
            None => group_label(interner, e.stack, by),
        };
        let g = *index
            .entry((e.kind.clone(), label.clone()))
            .or_insert_with(|| {
                groups.push(ErrorGroup {
                    kind: e.kind.clone(),
                    label,
                    contexts: 0,
                    count: 0,
                    errors: Vec::new(),
                });
                groups.len() - 1
            });
        groups[g].contexts += 1;
        groups[g].count += e.count;
        groups[g].errors.push(i);
    }
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::parse_frame;

    fn stack(i: &mut Interner, lines: &[&str]) -> StackId {
        let ids: Vec<FrameId> = lines
            .iter()
            .map(|l| i.intern_frame(parse_frame(l)))
            .collect();
        i.intern_stack(&ids)
    }

    #[test]
    fn sanitizer_allocators_jit_code_and_allocator_only_stacks() {
        // Frames as the LSan parser makes them.
        let f = |func: Option<&str>, file: Option<(&str, u32)>, obj: Option<&str>| Frame {
            function: func.map(Into::into),
            file: file.map(|(f, _)| f.into()),
            line: file.map(|(_, l)| l),
            object: obj.map(Into::into),
            ..Frame::default()
        };
        let interceptor = f(
            Some("__interceptor_malloc"),
            Some(("asan_malloc_linux.cpp", 69)),
            None,
        );
        let new = f(
            Some("operator new(unsigned long)"),
            Some(("asan_new_delete.cpp", 95)),
            None,
        );
        let nrt = f(Some("NRT_MemInfo_alloc_aligned"), None, Some("/nrt.so"));
        let pyobj = f(Some("_PyObject_Malloc"), Some(("obmalloc.c", 1996)), None);
        let jit = Frame::default();
        let mut i = Interner::new();
        let mut st = |frames: &[&Frame]| {
            let ids: Vec<FrameId> = frames
                .iter()
                .map(|&fr| i.intern_frame(fr.clone()))
                .collect();
            i.intern_stack(&ids)
        };
        let a = st(&[&interceptor, &nrt, &jit]);
        let b = st(&[&interceptor, &pyobj]);
        let c = st(&[&new, &jit]);
        let label = |s| group_label(&i, s, GroupBy::TopFrame);
        assert_eq!(label(a), "NRT_MemInfo_alloc_aligned (in /nrt.so)");
        assert_eq!(label(b), "_PyObject_Malloc (obmalloc.c:1996)");
        assert_eq!(label(c), "JIT code (no module)");
    }

    /// The cached roles name every stack of the real Numba log (CPython's
    /// and LLVM's allocators, `???` frames, JIT code) as `top_frame` does.
    #[test]
    fn top_frames_cached_per_location_are_top_frame() {
        let path = "tests/fixtures/real/numba-seed.txt.gz".to_string();
        let report = crate::parse::load_paths(&[path], None).expect("the fixture");
        let i = &report.interner;
        let mut tops = TopFrames::new(i);
        assert!(i.stack_count() > 1_000);
        for s in 0..i.stack_count() as u32 {
            let s = StackId(s);
            assert_eq!(tops.of(i, s), top_frame(i, s), "{s:?}");
        }
    }

    #[test]
    fn top_frame_skips_allocators_and_unknowns() {
        let mut i = Interner::new();
        let s = stack(
            &mut i,
            &[
                "0x1: operator new(unsigned long) (in /vg.so)",
                "0x2: llvm::safe_malloc(unsigned long) (MemAlloc.h:26)",
                "0x3: ??? (in /libffi.so)",
                "0x4: LLVMPY_CreatePassBuilder (in /libllvmlite.so)",
            ],
        );
        let top = top_frame(&i, s).unwrap();
        assert_eq!(
            i.frame(top).label(),
            "LLVMPY_CreatePassBuilder (in /libllvmlite.so)"
        );
        // Only unknowns after the allocator: the unknown is the best we have.
        let s = stack(&mut i, &["0x1: malloc (in /vg.so)", "0x3: ??? (in /x.so)"]);
        assert_eq!(i.frame(top_frame(&i, s).unwrap()).label(), "??? (in /x.so)");
        // Nothing but allocators: the first frame.
        let s = stack(&mut i, &["0x1: malloc (in /vg.so)"]);
        assert_eq!(
            i.frame(top_frame(&i, s).unwrap()).label(),
            "malloc (in /vg.so)"
        );
    }

    #[test]
    fn object_grouping_uses_first_named_object() {
        let mut i = Interner::new();
        let s = stack(
            &mut i,
            &[
                "0x1: malloc (in /vg.so)",
                "0x2: f (a.c:3)",
                "0x3: g (in /lib/libx.so)",
            ],
        );
        assert_eq!(group_label(&i, s, GroupBy::Object), "/lib/libx.so");
    }
}
