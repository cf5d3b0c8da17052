//! What the tree shows of the index under the current filter, hiding rules
//! and sort: per-node visible and hidden totals, the order of groups, and which
//! items appear. One pass over records in record order, one sort of the
//! groups of each shown category, and item lists only for expanded groups,
//! so a filter keystroke stays within a frame's time on 246,000 records.

use super::filter::Filter;
use super::growth::Growth;
use super::hide::{RuleRef, Verdicts};
use super::index::{facts, Category, Facts, Index, ProcNode, SortKey};
use crate::model::{Process, Report};

/// Totals of a node. For leaks, `bytes` are direct bytes (the figure valgrind's
/// LEAK SUMMARY adds up), so children always sum to their parent; indirect
/// bytes are kept apart for the detail pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tot {
    /// u128, as `triage::Totals`: sums of u64 figures cannot wrap.
    pub bytes: u128,
    pub indirect: u128,
    pub blocks: u128,
    /// Loss records or error contexts.
    pub items: u64,
    /// Error occurrences (an error context can repeat).
    pub count: u128,
}

/// One item's contribution to a total.
impl From<&Facts> for Tot {
    fn from(f: &Facts) -> Self {
        Tot {
            bytes: f.bytes.into(),
            indirect: f.indirect.into(),
            blocks: f.blocks.into(),
            items: 1,
            count: f.count.into(),
        }
    }
}

impl Tot {
    pub fn add(&mut self, o: &Tot) {
        self.bytes += o.bytes;
        self.indirect += o.indirect;
        self.blocks += o.blocks;
        self.items += o.items;
        self.count += o.count;
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// What is left of `self` without `o` (a part of it).
    fn minus(&self, o: &Tot) -> Tot {
        Tot {
            bytes: self.bytes - o.bytes,
            indirect: self.indirect - o.indirect,
            blocks: self.blocks - o.blocks,
            items: self.items - o.items,
            count: self.count - o.count,
        }
    }

    /// The figure a share bar compares: bytes for leaks, occurrences for errors.
    pub fn weight(&self, leak: bool) -> u128 {
        if leak {
            self.bytes
        } else {
            self.count
        }
    }
}

/// Why an item is not shown. Rules come first: an item a rule hides is
/// counted as rule-hidden whether or not it matches the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A hiding rule: "hidden".
    Rule(RuleRef),
    /// Its stack does not match the filter: "filtered out".
    Filter,
}

/// A node's totals: shown, hidden by a rule, filtered out — counted apart.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fig {
    pub vis: Tot,
    /// Hidden by a rule.
    pub hid: Tot,
    /// Not hidden by a rule, but filtered out.
    pub out: Tot,
}

impl Fig {
    pub fn add(&mut self, o: &Fig) {
        self.vis.add(&o.vis);
        self.hid.add(&o.hid);
        self.out.add(&o.out);
    }

    fn count(&mut self, t: &Tot, seen: Seen) {
        match seen {
            Seen::Shown => self.vis.add(t),
            Seen::Hidden => self.hid.add(t),
            Seen::Out => self.out.add(t),
        }
    }

    /// What is not shown: rule-hidden and filtered out.
    pub fn not_shown(&self) -> Tot {
        let mut t = self.hid;
        t.add(&self.out);
        t
    }

    /// What a row shows: the visible totals, or (for a node shown only
    /// because hidden items are) what is not shown, and whether it is that.
    pub fn shown_or_hidden(&self) -> (Tot, bool) {
        if self.vis.is_empty() {
            (self.not_shown(), true)
        } else {
            (self.vis, false)
        }
    }

    /// Everything the node holds, whatever is shown.
    pub fn all(&self) -> Tot {
        let mut t = self.vis;
        t.add(&self.hid);
        t.add(&self.out);
        t
    }
}

#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub procs: Vec<ProcView>,
    /// Per category over all processes, in tree order.
    pub by_category: Vec<(Category, Fig)>,
    /// Items that match the active filter and no rule hides.
    pub matches: u64,
    /// Group rows list their rule-hidden and filtered-out items too.
    pub show_hidden: bool,
}

/// A process's totals: its leaks and its errors kept apart (a loss record
/// and an error context are different things, never added up).
#[derive(Debug, Default, Clone)]
pub struct ProcView {
    pub leaks: Fig,
    pub errors: Fig,
    pub cats: Vec<CatView>,
}

#[derive(Debug, Default, Clone)]
pub struct CatView {
    pub fig: Fig,
    /// Groups to show (indices into the index's groups), in display order
    /// once `sorted`: only shown categories are sorted, so a keystroke does
    /// not sort the groups of collapsed ones (see [`Projection::sort`]).
    pub order: Vec<u32>,
    pub sorted: bool,
    /// Parallel to the index's groups.
    pub groups: Vec<GroupView>,
    /// The items of the groups listed so far (see [`Projection::list`]),
    /// runs back to back (positions in the group's item list).
    items: Vec<u32>,
    /// Per group, its growth, when groups are sorted by growth.
    pub growth: Option<Vec<i128>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct GroupView {
    pub fig: Fig,
    /// The group's run in `CatView::items`, once listed.
    listed: Option<(u32, u32)>,
}

impl GroupView {
    /// How many items the group's row lists when expanded.
    pub fn lists(&self, show_hidden: bool) -> u64 {
        if show_hidden {
            self.fig.all().items
        } else {
            self.fig.vis.items
        }
    }
}

impl CatView {
    /// The items group `g` lists (positions in its item list), once the rows
    /// stage listed it: every expanded group is. Elsewhere use
    /// [`listed_items`], which lists a group on demand.
    pub fn shown_items(&self, g: u32) -> &[u32] {
        let gv = &self.groups[g as usize];
        debug_assert!(gv.listed.is_some() || gv.fig.all().is_empty());
        match gv.listed {
            Some((start, len)) => &self.items[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// Whether the category has rows to show.
    pub fn is_shown(&self) -> bool {
        !self.order.is_empty()
    }
}

/// Everything an item's visibility depends on.
pub struct Visibility<'a> {
    pub filter: &'a Filter,
    pub verdicts: &'a Verdicts,
    /// Growth per group, to sort by or keep only growth.
    pub growth: Option<GrowthView<'a>>,
}

#[derive(Clone, Copy)]
pub struct GrowthView<'a> {
    pub growth: &'a Growth,
    /// Sort groups by growth (largest first).
    pub sort: bool,
    /// Show only new or grown groups.
    pub only: bool,
}

impl Visibility<'_> {
    /// The one definition of "not shown": why an item is hidden or filtered
    /// out, or `None` when it is shown. `f` is the item's facts (its stack).
    #[inline]
    pub fn cause_of(
        &self,
        proc_: &Process,
        process: usize,
        cat: &Category,
        item: u32,
        f: &Facts,
    ) -> Option<Cause> {
        if let Some(r) = self.verdicts.of(process, cat, item) {
            return Some(Cause::Rule(r));
        }
        if !self.filter.is_active() || self.filter.stack_matches(f.stack) {
            return None;
        }
        let aux_match = match cat {
            Category::Leak(_) => false,
            Category::Error(_) => proc_.errors[item as usize]
                .aux
                .iter()
                .any(|a| self.filter.stack_matches(a.stack)),
        };
        (!aux_match).then_some(Cause::Filter)
    }

    /// [`Visibility::cause_of`] for an item of the index.
    pub fn cause(
        &self,
        report: &Report,
        index: &Index,
        p: usize,
        c: usize,
        item: u32,
    ) -> Option<Cause> {
        let pn = &index.procs[p];
        let proc_ = &report.processes[pn.process];
        let cat = &pn.cats[c].category;
        self.cause_of(proc_, pn.process, cat, item, &facts(proc_, cat, item))
    }
}

/// [`Cause`] without the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Shown,
    Hidden,
    Out,
}

impl From<Option<Cause>> for Seen {
    fn from(c: Option<Cause>) -> Seen {
        match c {
            None => Seen::Shown,
            Some(Cause::Rule(_)) => Seen::Hidden,
            Some(Cause::Filter) => Seen::Out,
        }
    }
}

/// Counts a process's loss records into their groups' figures in one pass in
/// record order, the order they lie in memory (groups list them in sort
/// order, which scatters them: walking groups waited on a cache miss per
/// record), through the index's record → group map.
///
/// `carried`: `cats` hold the process's last projection, of the same index
/// and verdicts under another filter, sort or view (what a filter keystroke
/// changes). A group's rule-hidden and overall totals are then the same, so
/// only what is shown is summed, and what is filtered out is the rest; with
/// no filter nothing is read. The shown sums go into a table of u64s (a
/// group's `Fig` is nearly four cache lines, and tens of thousands of groups
/// do not stay in cache); should a sum overflow, the records are counted
/// again in full, in u128.
fn count_leaks(
    proc_: &Process,
    pn: &ProcNode,
    vis: &Visibility,
    cats: &mut [CatView],
    carried: bool,
) {
    // A leak kind's category, by `LeakKind::index`.
    let mut cat_of = [usize::MAX; 4];
    for (c, cn) in pn.cats.iter().enumerate() {
        if let Category::Leak(k) = cn.category {
            cat_of[k.index()] = c;
        }
    }
    let records = proc_.loss_records();
    if carried {
        // Per leak kind, its groups' shown sums; `None`: no filter.
        let mut shown: [Vec<Acc>; 4] = Default::default();
        let mut overflow = false;
        if vis.filter.is_active() {
            for (k, &c) in cat_of.iter().enumerate() {
                if let Some(cn) = pn.cats.get(c) {
                    shown[k] = vec![Acc::default(); cn.groups.len()];
                }
            }
            pn.record_group.each(records, |i, r, g| {
                let cat = Category::Leak(r.kind);
                let f = facts(proc_, &cat, i as u32);
                if vis
                    .cause_of(proc_, pn.process, &cat, i as u32, &f)
                    .is_none()
                {
                    overflow |= shown[r.kind.index()][g as usize].add(&f);
                }
            });
        }
        if !overflow {
            for (k, &c) in cat_of.iter().enumerate() {
                let Some(cv) = cats.get_mut(c) else { continue };
                let mut sum = Tot::default();
                for (g, gv) in cv.groups.iter_mut().enumerate() {
                    let fig = &mut gv.fig;
                    let mut rest = fig.vis;
                    rest.add(&fig.out);
                    fig.vis = shown[k].get(g).map_or(rest, Acc::tot);
                    fig.out = rest.minus(&fig.vis);
                    sum.add(&fig.vis);
                }
                let mut rest = cv.fig.vis;
                rest.add(&cv.fig.out);
                cv.fig.out = rest.minus(&sum);
                cv.fig.vis = sum;
            }
            return;
        }
        for &c in &cat_of {
            if let Some(cv) = cats.get_mut(c) {
                cv.groups.fill(GroupView::default());
            }
        }
    }
    pn.record_group.each(records, |i, r, g| {
        let cat = Category::Leak(r.kind);
        let f = facts(proc_, &cat, i as u32);
        let seen = Seen::from(vis.cause_of(proc_, pn.process, &cat, i as u32, &f));
        cats[cat_of[r.kind.index()]].groups[g as usize]
            .fig
            .count(&Tot::from(&f), seen);
    });
    for &c in &cat_of {
        if let Some(cv) = cats.get_mut(c) {
            cv.fig = Fig::default();
            for gv in &cv.groups {
                cv.fig.add(&gv.fig);
            }
        }
    }
}

/// A group's shown loss records summed in u64s (see `count_leaks`).
#[derive(Debug, Default, Clone, Copy)]
struct Acc {
    bytes: u64,
    indirect: u64,
    blocks: u64,
    items: u64,
}

impl Acc {
    /// Adds a record's figures; whether a sum overflowed.
    #[inline]
    fn add(&mut self, f: &Facts) -> bool {
        let (bytes, a) = self.bytes.overflowing_add(f.bytes);
        let (indirect, b) = self.indirect.overflowing_add(f.indirect);
        let (blocks, c) = self.blocks.overflowing_add(f.blocks);
        *self = Acc {
            bytes,
            indirect,
            blocks,
            items: self.items + 1,
        };
        a | b | c
    }

    fn tot(&self) -> Tot {
        Tot {
            bytes: self.bytes.into(),
            indirect: self.indirect.into(),
            blocks: self.blocks.into(),
            items: self.items,
            count: self.items.into(),
        }
    }
}

/// Builds the projection: every node's figures and each shown category's
/// group order. Groups' item lists are left to the rows stage, which lists
/// only the expanded ones ([`Projection::list`]). `prev`: the projection of
/// the same index and verdicts under another filter, sort or view, taken
/// over: its rule-hidden and overall totals carry over (see `count_leaks`)
/// and its tables are reused.
pub fn project(
    report: &Report,
    index: &Index,
    vis: &Visibility,
    show_hidden: bool,
    prev: Option<Projection>,
) -> Projection {
    let mut out = Projection {
        show_hidden,
        ..Projection::default()
    };
    let mut prev = prev.map(|pr| pr.procs.into_iter());
    let mut by_cat: Vec<(Category, Fig)> = Vec::new();
    for (p, pn) in index.procs.iter().enumerate() {
        let proc_ = &report.processes[pn.process];
        let carried = prev.as_mut().and_then(Iterator::next);
        let is_carried = carried.is_some();
        let mut cats: Vec<CatView> = match carried {
            Some(pv) => pv
                .cats
                .into_iter()
                .map(|cv| CatView {
                    fig: cv.fig,
                    groups: cv.groups,
                    items: {
                        let mut items = cv.items;
                        items.clear();
                        items
                    },
                    ..CatView::default()
                })
                .collect(),
            None => pn
                .cats
                .iter()
                .map(|cn| CatView {
                    groups: vec![GroupView::default(); cn.groups.len()],
                    ..CatView::default()
                })
                .collect(),
        };
        for cv in &mut cats {
            for gv in &mut cv.groups {
                gv.listed = None;
            }
        }
        count_leaks(proc_, pn, vis, &mut cats, is_carried);
        let mut pv = ProcView::default();
        for (c, (cn, mut cv)) in pn.cats.iter().zip(cats).enumerate() {
            if !cn.category.is_leak() {
                // Errors: few, and one can match on an auxiliary stack.
                cv.fig = Fig::default();
                for (g, gv) in cn.groups.iter().zip(&mut cv.groups) {
                    gv.fig = Fig::default();
                    for &item in &g.items {
                        let f = facts(proc_, &cn.category, item);
                        let cause = vis.cause_of(proc_, pn.process, &cn.category, item, &f);
                        gv.fig.count(&Tot::from(&f), Seen::from(cause));
                    }
                    cv.fig.add(&gv.fig);
                }
            }
            let grows = |g: u32| match vis.growth {
                Some(gr) if gr.only => gr.growth.group(p, c, g as usize).is_some_and(|d| d.grows()),
                _ => true,
            };
            cv.order = (0..cn.groups.len() as u32)
                .filter(|&g| cv.groups[g as usize].lists(show_hidden) > 0 && grows(g))
                .collect();
            if let Some(gr) = vis.growth.filter(|g| g.sort) {
                cv.growth = Some(
                    (0..cn.groups.len())
                        .map(|g| gr.growth.group(p, c, g).map_or(i128::MIN, |d| d.amount))
                        .collect(),
                );
            }
            if cn.expanded && pn.expanded {
                sort_groups(&mut cv, index, c, p, index.sort, cn.category.is_leak());
            }
            if vis.filter.is_active() {
                out.matches += cv.fig.vis.items;
            }
            if cn.category.is_leak() {
                pv.leaks.add(&cv.fig);
            } else {
                pv.errors.add(&cv.fig);
            }
            match by_cat.iter_mut().find(|(k, _)| *k == cn.category) {
                Some((_, f)) => f.add(&cv.fig),
                None => by_cat.push((cn.category.clone(), cv.fig)),
            }
            pv.cats.push(cv);
        }
        out.procs.push(pv);
    }
    by_cat.sort_by(|a, b| a.0.cmp(&b.0));
    out.by_category = by_cat;
    out
}

/// The items group `g`'s row lists, as positions in its item list: the
/// shown ones, or every one when hidden items are shown. From the rows
/// stage's list when the group has one, else decided now (the detail pane,
/// `v`, match jumps on a collapsed group).
pub fn listed_items<'a>(
    report: &'a Report,
    index: &'a Index,
    proj: &'a Projection,
    vis: &'a Visibility,
    (p, c, g): (usize, usize, u32),
) -> Box<dyn Iterator<Item = u32> + 'a> {
    let cv = &proj.procs[p].cats[c];
    if cv.groups[g as usize].listed.is_some() {
        return Box::new(cv.shown_items(g).iter().copied());
    }
    let items = &index.procs[p].cats[c].groups[g as usize].items;
    let show_hidden = proj.show_hidden;
    Box::new((0..items.len() as u32).filter(move |&k| {
        show_hidden || vis.cause(report, index, p, c, items[k as usize]).is_none()
    }))
}

pub fn item_tot(p: &crate::model::Process, cat: &Category, item: u32) -> Tot {
    Tot::from(&facts(p, cat, item))
}

impl Projection {
    /// Lists group `g`'s items (see [`listed_items`]), if not done yet: the
    /// rows stage does for every expanded group, so a keystroke lists only
    /// what the tree shows.
    pub fn list(
        &mut self,
        report: &Report,
        index: &Index,
        vis: &Visibility,
        p: usize,
        c: usize,
        g: u32,
    ) {
        let gv = &self.procs[p].cats[c].groups[g as usize];
        if gv.listed.is_some() {
            return;
        }
        let items: Vec<u32> = listed_items(report, index, self, vis, (p, c, g)).collect();
        let cv = &mut self.procs[p].cats[c];
        let start = cv.items.len() as u32;
        cv.items.extend_from_slice(&items);
        cv.groups[g as usize].listed = Some((start, items.len() as u32));
    }

    /// Puts a category's groups in display order, if not done yet.
    pub fn sort(&mut self, index: &Index, p: usize, c: usize) {
        let leak = index.procs[p].cats[c].category.is_leak();
        if let Some(cv) = self.procs.get_mut(p).and_then(|pv| pv.cats.get_mut(c)) {
            if !cv.sorted {
                sort_groups(cv, index, c, p, index.sort, leak);
            }
        }
    }

    /// The first `n` groups in display order, without sorting the rest (the
    /// detail pane draws this for collapsed categories too).
    pub fn top_groups(&self, index: &Index, p: usize, c: usize, n: usize) -> Vec<u32> {
        let cv = &self.procs[p].cats[c];
        if cv.sorted {
            return cv.order.iter().take(n).copied().collect();
        }
        let mut part = CatView {
            order: cv.order.clone(),
            groups: cv.groups.clone(),
            growth: cv.growth.clone(),
            ..CatView::default()
        };
        let leak = index.procs[p].cats[c].category.is_leak();
        sort_groups(&mut part, index, c, p, index.sort, leak);
        part.order.truncate(n);
        part.order
    }

    pub fn sort_all(&mut self, index: &Index) {
        for p in 0..self.procs.len() {
            for c in 0..self.procs[p].cats.len() {
                self.sort(index, p, c);
            }
        }
    }
}

fn sort_groups(cv: &mut CatView, index: &Index, c: usize, p: usize, sort: SortKey, leak: bool) {
    cv.sorted = true;
    let groups = &index.procs[p].cats[c].groups;
    let views = &cv.groups;
    let metric = |g: &u32| {
        let v = &views[*g as usize];
        let (t, h) = (&v.fig.vis, &v.fig.hid);
        match (sort, leak) {
            (SortKey::Bytes, true) => (t.bytes, h.bytes),
            (SortKey::Blocks, true) => (t.blocks, h.blocks),
            (SortKey::Count, true) => (t.items.into(), h.items.into()),
            (_, false) => (t.count, h.count),
            (SortKey::Name, true) => (0, 0),
        }
    };
    if let Some(growth) = &cv.growth {
        cv.order
            .sort_unstable_by_key(|&g| (std::cmp::Reverse(growth[g as usize]), g));
    } else if sort == SortKey::Name {
        cv.order
            .sort_by(|&a, &b| groups[a as usize].display.cmp(&groups[b as usize].display));
    } else {
        // Ties keep the index's order (total bytes, then label): no string
        // comparisons on the hot path.
        cv.order
            .sort_unstable_by_key(|g| (std::cmp::Reverse(metric(g)), *g));
    }
}
