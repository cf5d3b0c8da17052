//! The user's source tree (`--source-root`, the current directory by
//! default): which frames of a stack are the user's own code, and where, as a
//! path relative to the root — what code scanning, annotations and Code
//! Quality need to put a finding on a line of a file in the repository.
//!
//! A text log names a bare `leak.c`; an XML log (or `--fullpath-after`) gives
//! the directory valgrind saw, which may be another checkout of the same
//! tree. So a frame's file is looked up by name in an index of the tree made
//! once, and among files of that name the one sharing the longest tail of the
//! logged path wins.

use crate::model::{Frame, Interner, StackId};
use crate::triage::top_frame;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Most directory entries the index looks at: a source tree, not a disk.
const MAX_ENTRIES: usize = 200_000;

pub struct SourceTree {
    root: PathBuf,
    /// The root as the file system resolves it, to recognise absolute paths
    /// below it.
    canonical: Option<PathBuf>,
    /// File name → paths below the root (components), built on first use.
    index: OnceCell<HashMap<String, Vec<Vec<String>>>>,
    /// Logged path → where it is in the tree: a stack shares its files with
    /// thousands of others, so each is looked up (and stat'ed) once.
    found: RefCell<HashMap<String, Option<String>>>,
}

impl SourceTree {
    pub fn new(root: &Path) -> Self {
        SourceTree {
            root: root.to_path_buf(),
            canonical: root.canonicalize().ok(),
            index: OnceCell::new(),
            found: RefCell::new(HashMap::new()),
        }
    }

    pub fn root(&self) -> &Path {
        self.canonical.as_deref().unwrap_or(&self.root)
    }

    /// The frame's source file as a `/`-separated path relative to the root,
    /// if the file is in the tree.
    pub fn locate(&self, frame: &Frame) -> Option<String> {
        let logged = frame.source_path()?;
        if let Some(known) = self.found.borrow().get(&logged) {
            return known.clone();
        }
        let found = self.look_up(Path::new(&logged));
        self.found.borrow_mut().insert(logged, found.clone());
        found
    }

    fn look_up(&self, logged: &Path) -> Option<String> {
        if logged.is_absolute() {
            if let Some(rel) = self.below_root(logged) {
                return Some(rel);
            }
        } else if let Some(rel) = normal_components(logged) {
            if !rel.is_empty() && self.root.join(logged).is_file() {
                return Some(rel.join("/"));
            }
        }
        self.by_name(logged)
    }

    fn below_root(&self, path: &Path) -> Option<String> {
        let root = self.canonical.as_deref()?;
        let rel = path.strip_prefix(root).ok()?;
        let parts = normal_components(rel)?;
        (!parts.is_empty() && path.is_file()).then(|| parts.join("/"))
    }

    /// The file of the tree with this name whose path shares the longest
    /// tail with `logged`; the shortest, then the first in name order, on a tie.
    fn by_name(&self, logged: &Path) -> Option<String> {
        let name = logged.file_name()?.to_str()?;
        let tail: Vec<&str> = logged
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        let candidates = self.index().get(name)?;
        let shared = |p: &Vec<String>| {
            p.iter()
                .rev()
                .zip(tail.iter().rev())
                .take_while(|(a, b)| a == *b)
                .count()
        };
        candidates
            .iter()
            .max_by(|a, b| {
                shared(a)
                    .cmp(&shared(b))
                    .then_with(|| b.len().cmp(&a.len()))
                    .then_with(|| b.cmp(a))
            })
            .map(|p| p.join("/"))
    }

    fn index(&self) -> &HashMap<String, Vec<Vec<String>>> {
        self.index.get_or_init(|| build_index(&self.root))
    }
}

/// Where a frame is, as far as a CI tool can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A file of the source tree (relative, `/`-separated) and a line.
    Tree {
        path: String,
        line: Option<u32>,
    },
    /// Outside the tree: the object (library, executable) the frame is in…
    Object(String),
    /// …or, when the log names no object, the source file as it names it.
    File {
        path: String,
        line: Option<u32>,
    },
    Unknown,
}

/// A frame of a stack, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Index into the stack.
    pub index: usize,
    pub function: Option<String>,
    /// The frame as the log shows it (`function (file:line)`), raw.
    pub label: String,
    pub place: Place,
}

impl SourceTree {
    pub fn place(&self, frame: &Frame) -> Place {
        if let Some(path) = self.locate(frame) {
            return Place::Tree {
                path,
                line: frame.line,
            };
        }
        match (&frame.object, frame.source_path()) {
            (Some(o), _) => Place::Object(o.to_string()),
            (None, Some(path)) => Place::File {
                path,
                line: frame.line,
            },
            (None, None) => Place::Unknown,
        }
    }

    /// Every frame of a stack, placed, innermost first.
    pub fn place_stack(&self, interner: &Interner, stack: StackId) -> Vec<Placed> {
        interner
            .stack(stack)
            .iter()
            .enumerate()
            .map(|(index, &id)| {
                let f = interner.frame(id);
                Placed {
                    index,
                    function: f.function.as_deref().map(str::to_string),
                    label: f.label(),
                    place: self.place(f.frame),
                }
            })
            .collect()
    }
}

/// The frame a finding is reported at: the first frame in the source tree;
/// failing that, the group's top frame (the first that is not an allocator)
/// with its object — or, when that frame is nowhere (JIT code: no file, no
/// object), its nearest caller that is somewhere, else the nearest frame it
/// called (the allocator wrapper under outermost JIT code). GitHub rejects a
/// whole SARIF upload if one result has no file to point at.
pub fn primary(placed: &[Placed], interner: &Interner, stack: StackId) -> Option<Placed> {
    if let Some(p) = placed
        .iter()
        .find(|p| matches!(p.place, Place::Tree { .. }))
    {
        return Some(p.clone());
    }
    let top = top_frame(interner, stack)?;
    let index = interner.stack(stack).iter().position(|&f| f == top)?;
    let somewhere = |p: &&Placed| p.place != Place::Unknown;
    placed[index..]
        .iter()
        .find(somewhere)
        .or_else(|| placed[..index].iter().rev().find(somewhere))
        .or(placed.get(index))
        .cloned()
}

/// The components of a relative path without `.`; `None` if it climbs out
/// (`..`) or is not UTF-8.
fn normal_components(p: &Path) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Breadth-first walk of the tree, skipping hidden directories and build
/// output, never following symbolic links out of it.
fn build_index(root: &Path) -> HashMap<String, Vec<Vec<String>>> {
    let mut index: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([(root.to_path_buf(), Vec::<String>::new())]);
    let mut seen = 0usize;
    while let Some((dir, parts)) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return index;
            }
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let mut path = parts.clone();
            path.push(name.clone());
            match e.file_type() {
                Ok(t) if t.is_dir() => {
                    let skip = name.starts_with('.') || name == "target" || name == "node_modules";
                    if skip {
                        continue;
                    }
                    queue.push_back((e.path(), path));
                }
                Ok(t) if t.is_file() => index.entry(name).or_default().push(path),
                _ => {}
            }
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Name;

    fn frame(dir: Option<&str>, file: &str) -> Frame {
        Frame {
            function: Some(Name::from("f")),
            dir: dir.map(Name::from),
            file: Some(Name::from(file)),
            line: Some(3),
            ..Frame::default()
        }
    }

    #[test]
    fn finds_files_by_name_and_by_tail() {
        let t = tempfile::tempdir().unwrap();
        for p in [
            "src/a/leak.c",
            "src/b/leak.c",
            "lib/util.c",
            ".git/x.c",
            "target/x.c",
        ] {
            let p = t.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let tree = SourceTree::new(t.path());
        assert_eq!(
            tree.locate(&frame(None, "util.c")).as_deref(),
            Some("lib/util.c")
        );
        // A bare name shared by two files: the first in name order.
        assert_eq!(
            tree.locate(&frame(None, "leak.c")).as_deref(),
            Some("src/a/leak.c")
        );
        // Another checkout's absolute path: the longest shared tail.
        let other = frame(Some("/build/elsewhere/src/b"), "leak.c");
        assert_eq!(tree.locate(&other).as_deref(), Some("src/b/leak.c"));
        // Under the root itself.
        let root = t.path().canonicalize().unwrap();
        let inside = frame(Some(root.join("lib").to_str().unwrap()), "util.c");
        assert_eq!(tree.locate(&inside).as_deref(), Some("lib/util.c"));
        // Hidden and build directories are not the user's sources.
        assert_eq!(tree.locate(&frame(None, "x.c")), None);
        assert_eq!(tree.locate(&frame(None, "vg_replace_malloc.c")), None);
        assert_eq!(
            tree.locate(&frame(None, "../lib/util.c")).as_deref(),
            Some("lib/util.c")
        );
    }
}
