//! The tree as a flat list of visible rows (as gitui's filetreelist does): the
//! selection is an index into it, scrolling is a window over it, and building
//! it costs only what is expanded. Rows point into the index; a [`NodeKey`]
//! names a node by identity, so the selection survives rebuilds (a new
//! snapshot, a filter keystroke, another grouping).

use super::index::{Category, Index, ProcKey};
use super::projection::Projection;
use crate::model::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRef {
    Proc {
        p: u32,
    },
    Cat {
        p: u32,
        c: u32,
    },
    Group {
        p: u32,
        c: u32,
        g: u32,
    },
    /// `item`: the record's or error's index in its process (what the
    /// group's item list holds, not a position in it: a leak group's list
    /// is made only when shown).
    Item {
        p: u32,
        c: u32,
        g: u32,
        item: u32,
    },
}

impl NodeRef {
    pub fn parent(self) -> Option<NodeRef> {
        match self {
            NodeRef::Proc { .. } => None,
            NodeRef::Cat { p, .. } => Some(NodeRef::Proc { p }),
            NodeRef::Group { p, c, .. } => Some(NodeRef::Cat { p, c }),
            NodeRef::Item { p, c, g, .. } => Some(NodeRef::Group { p, c, g }),
        }
    }

    pub fn proc_(self) -> usize {
        match self {
            NodeRef::Proc { p }
            | NodeRef::Cat { p, .. }
            | NodeRef::Group { p, .. }
            | NodeRef::Item { p, .. } => p as usize,
        }
    }

    pub fn cat(self) -> Option<usize> {
        match self {
            NodeRef::Proc { .. } => None,
            NodeRef::Cat { c, .. } | NodeRef::Group { c, .. } | NodeRef::Item { c, .. } => {
                Some(c as usize)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub node: NodeRef,
    pub depth: u8,
}

/// A node's identity, independent of positions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeKey {
    Proc(ProcKey),
    Cat(ProcKey, Category),
    Group(ProcKey, Category, String),
    Item(ProcKey, Category, String, ItemKey),
}

/// A record or error is named by the log line it starts on: the same line
/// holds the same record when a growing log is parsed again (ids assigned
/// during a parse need not be).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemKey {
    pub line: u64,
}

impl NodeKey {
    pub fn parent(&self) -> Option<NodeKey> {
        match self {
            NodeKey::Proc(_) => None,
            NodeKey::Cat(p, _) => Some(NodeKey::Proc(*p)),
            NodeKey::Group(p, c, _) => Some(NodeKey::Cat(*p, c.clone())),
            NodeKey::Item(p, c, g, _) => Some(NodeKey::Group(*p, c.clone(), g.clone())),
        }
    }
}

/// `list`: lists an expanded group's items in the projection (see
/// `Projection::list`) before its item rows are read, so only what the tree
/// shows is listed, in the one walk over the shown groups.
pub type Lister<'a> = dyn FnMut(&mut Projection, usize, usize, u32) + 'a;

/// The tree's rows as runs: a node's row, or every item row of an expanded
/// group, read from the group's list in the projection when asked for. So
/// a group of 6.8 M records expanded is one run, not 6.8 M rows (160 MB).
#[derive(Debug, Default, Clone)]
pub struct Rows {
    runs: Vec<Run>,
    /// Per run, the position of the row after its last.
    ends: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Run {
    Node(Row),
    Items {
        p: u32,
        c: u32,
        g: u32,
        depth: u8,
        len: usize,
    },
}

impl Rows {
    fn push(&mut self, run: Run) {
        let len = match run {
            Run::Node(_) => 1,
            Run::Items { len, .. } => len,
        };
        if len > 0 {
            self.ends.push(self.len() + len);
            self.runs.push(run);
        }
    }

    pub fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Row `i`, its item (if one) read from `proj`'s lists.
    pub fn get(&self, index: &Index, proj: &Projection, i: usize) -> Option<Row> {
        let k = self.ends.partition_point(|&e| e <= i);
        let run = *self.runs.get(k)?;
        Some(match run {
            Run::Node(row) => row,
            Run::Items { p, c, g, depth, .. } => {
                let start = if k == 0 { 0 } else { self.ends[k - 1] };
                let (p, c) = (p as usize, c as usize);
                let node = &index.procs[p].cats[c].groups[g as usize];
                let item = proj.procs[p].cats[c].shown_items(g, node)[i - start];
                let (p, c) = (p as u32, c as u32);
                Row {
                    node: NodeRef::Item { p, c, g, item },
                    depth,
                }
            }
        })
    }

    /// Where `node`'s row is, if shown.
    pub fn position(&self, index: &Index, proj: &Projection, node: NodeRef) -> Option<usize> {
        let mut start = 0;
        for (run, &end) in self.runs.iter().zip(&self.ends) {
            match (*run, node) {
                (Run::Node(row), _) if row.node == node => return Some(start),
                (
                    Run::Items { p, c, g, .. },
                    NodeRef::Item {
                        p: q,
                        c: d,
                        g: h,
                        item,
                    },
                ) if (p, c, g) == (q, d, h) => {
                    let (p, c) = (p as usize, c as usize);
                    let group = &index.procs[p].cats[c].groups[g as usize];
                    let shown = proj.procs[p].cats[c].shown_items(g, group);
                    let at = shown.iter().position(|&i| i == item)?;
                    return Some(start + at);
                }
                _ => {}
            }
            start = end;
        }
        None
    }

    /// Every row in order (tests; the tree draws the rows on screen).
    pub fn all(&self, index: &Index, proj: &Projection) -> Vec<Row> {
        (0..self.len())
            .filter_map(|i| self.get(index, proj, i))
            .collect()
    }
}

pub fn build_rows(index: &Index, proj: &mut Projection, list: &mut Lister) -> Rows {
    let mut rows = Rows::default();
    let multi = index.multi_process();
    let base = multi as u8;
    for (p, pn) in index.procs.iter().enumerate() {
        // A process whose items are all hidden goes; one with none stays.
        if !pn.cats.is_empty() && !proj.procs[p].cats.iter().any(|c| c.is_shown()) {
            continue;
        }
        let p32 = p as u32;
        if multi {
            rows.push(Run::Node(Row {
                node: NodeRef::Proc { p: p32 },
                depth: 0,
            }));
            if !pn.expanded {
                continue;
            }
        }
        for (c, cn) in pn.cats.iter().enumerate() {
            if !proj.procs[p].cats[c].is_shown() {
                continue;
            }
            let c32 = c as u32;
            rows.push(Run::Node(Row {
                node: NodeRef::Cat { p: p32, c: c32 },
                depth: base,
            }));
            if !cn.expanded {
                continue;
            }
            for k in 0..proj.procs[p].cats[c].order.len() {
                let g = proj.procs[p].cats[c].order[k];
                rows.push(Run::Node(Row {
                    node: NodeRef::Group { p: p32, c: c32, g },
                    depth: base + 1,
                }));
                if !cn.groups[g as usize].expanded {
                    continue;
                }
                list(proj, p, c, g);
                let node = &cn.groups[g as usize];
                rows.push(Run::Items {
                    p: p32,
                    c: c32,
                    g,
                    depth: base + 2,
                    len: proj.procs[p].cats[c].shown_items(g, node).len(),
                });
            }
        }
    }
    rows
}

pub fn key_of(index: &Index, report: &Report, node: NodeRef) -> NodeKey {
    let pn = &index.procs[node.proc_()];
    match node {
        NodeRef::Proc { .. } => NodeKey::Proc(pn.key),
        NodeRef::Cat { c, .. } => NodeKey::Cat(pn.key, pn.cats[c as usize].category.clone()),
        NodeRef::Group { c, g, .. } => {
            let cn = &pn.cats[c as usize];
            NodeKey::Group(
                pn.key,
                cn.category.clone(),
                cn.groups[g as usize].label.clone(),
            )
        }
        NodeRef::Item { c, g, item, .. } => {
            let cn = &pn.cats[c as usize];
            let gn = &cn.groups[g as usize];
            NodeKey::Item(
                pn.key,
                cn.category.clone(),
                gn.label.clone(),
                item_key(report, pn.process, &cn.category, item),
            )
        }
    }
}

pub fn item_key(report: &Report, process: usize, cat: &Category, item: u32) -> ItemKey {
    let p = &report.processes[process];
    match cat {
        Category::Leak(_) => ItemKey {
            line: p.loss_records()[item as usize].line(),
        },
        Category::Error(_) => ItemKey {
            line: p.errors[item as usize].line,
        },
    }
}

/// Finds a node by identity in the index (it may be collapsed or hidden).
pub fn resolve(index: &Index, report: &Report, key: &NodeKey) -> Option<NodeRef> {
    let (pk, rest) = match key {
        NodeKey::Proc(p) => (p, None),
        NodeKey::Cat(p, c) => (p, Some((c, None))),
        NodeKey::Group(p, c, g) => (p, Some((c, Some((g, None))))),
        NodeKey::Item(p, c, g, i) => (p, Some((c, Some((g, Some(i)))))),
    };
    let p = index.procs.iter().position(|pn| pn.key == *pk)?;
    let pn = &index.procs[p];
    let p = p as u32;
    let Some((cat, rest)) = rest else {
        return Some(NodeRef::Proc { p });
    };
    let c = pn.cats.iter().position(|cn| cn.category == *cat)?;
    let cn = &pn.cats[c];
    let c = c as u32;
    let Some((label, item)) = rest else {
        return Some(NodeRef::Cat { p, c });
    };
    let g = cn.groups.iter().position(|gn| gn.label == *label)?;
    let g32 = g as u32;
    let Some(ik) = item else {
        return Some(NodeRef::Group { p, c, g: g32 });
    };
    let item = item_at(report, pn.process, cat, ik)?;
    let held = index.group_holding(report, p as usize, c as usize, item);
    (held == Some(g32)).then_some(NodeRef::Item { p, c, g: g32, item })
}

/// The record or error of process `process` in category `cat` that starts
/// on line `key.line`.
fn item_at(report: &Report, process: usize, cat: &Category, key: &ItemKey) -> Option<u32> {
    let p = &report.processes[process];
    let at = match cat {
        Category::Leak(k) => p
            .loss_records()
            .iter()
            .position(|r| r.kind == *k && r.line() == key.line),
        Category::Error(k) => p
            .errors
            .iter()
            .position(|e| e.kind == *k && e.line == key.line),
    };
    at.map(|i| i as u32)
}

/// Finds an item in whichever group holds it now (after a grouping change).
pub fn find_item(index: &Index, report: &Report, key: &NodeKey) -> Option<NodeRef> {
    let NodeKey::Item(pk, cat, _, ik) = key else {
        return None;
    };
    let p = index.procs.iter().position(|pn| pn.key == *pk)?;
    let pn = &index.procs[p];
    let c = pn.cats.iter().position(|cn| cn.category == *cat)?;
    let item = item_at(report, pn.process, cat, ik)?;
    let g = index.group_holding(report, p, c, item)?;
    Some(NodeRef::Item {
        p: p as u32,
        c: c as u32,
        g,
        item,
    })
}
