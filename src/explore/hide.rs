//! Hiding: rules that set records aside, each hidden record attributed to the
//! rule that hid it, so the user can always ask "why is this gone?".
//!
//! Two kinds of rule feed one list of verdicts. The benign-rule engine
//! (`triage::rules`: suppression files and the built-in sets, with valgrind's
//! semantics) decides per record, once per report, on the loader thread; the
//! rules the user makes here (the hide key) implement [`Hide`] and are decided
//! per stack. Loaded rules come first: a record is attributed to the first
//! rule that hides it.

use super::frames::same_place;
use super::index::Category;
use crate::model::{Frame, FrameId, Frames, Interner, PackBuilder, Packed, Report, StackId};
use crate::triage::rules::{self, RuleId, RuleSet, Verdict};
use crate::triage::{group_label, GroupBy};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// The rule an item is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    /// A loaded rule (suppression file or built-in set).
    Loaded(RuleId),
    /// A rule made with the hide key (index into [`Hiding::rules`]).
    Manual(u16),
}

/// A named reason to hide records. Decided per (category, stack), never per
/// record: real logs repeat stacks, so verdicts are memoised by stack.
pub trait Hide: Send + Sync {
    /// Short name shown next to hidden records (`numba-jit-cache`).
    fn name(&self) -> &str;
    /// Why the rule's records are noise, in a sentence.
    fn reason(&self) -> &str;
    /// Whether items of `category` at `stack` are hidden by this rule.
    fn hides(&self, interner: &Interner, category: &Category, stack: StackId) -> bool;
}

/// Hides everything that falls in one group: the rule the hide key makes from
/// the selected group's stack.
#[derive(Debug, Clone)]
pub struct GroupRule {
    pub by: GroupBy,
    pub label: String,
    /// `None`: in every category.
    pub category: Option<Category>,
    name: String,
    reason: String,
}

impl GroupRule {
    pub fn new(by: GroupBy, label: String, category: Option<Category>, shown: &str) -> Self {
        let scope = match &category {
            Some(c) => c.name().to_string(),
            None => "any category".to_string(),
        };
        GroupRule {
            name: format!("hide {shown}"),
            reason: format!("hidden by hand: {scope} with {} {shown}", by.name()),
            by,
            label,
            category,
        }
    }
}

impl Hide for GroupRule {
    fn name(&self) -> &str {
        &self.name
    }

    fn reason(&self) -> &str {
        &self.reason
    }

    fn hides(&self, interner: &Interner, category: &Category, stack: StackId) -> bool {
        if self.category.as_ref().is_some_and(|c| c != category) {
            return false;
        }
        group_label(interner, stack, self.by) == self.label
    }
}

/// Hides records with exactly one stack (the hide key on a record row):
/// frames compared by place, so the same stack at other addresses counts.
#[derive(Debug, Clone)]
pub struct StackRule {
    /// The stack's distinct frames (owned: a live run re-reads its log
    /// into a new interner), and the stack as indices into them, packed:
    /// hiding a record of a million frames (a recursion) keeps its few
    /// distinct frames, not a million copies.
    frames: Vec<Frame>,
    order: Packed,
    pub category: Category,
    name: String,
    reason: String,
}

impl StackRule {
    pub fn new(interner: &Interner, stack: StackId, category: Category, shown: &str) -> Self {
        let mut index: FxHashMap<FrameId, u32> = FxHashMap::default();
        let mut frames = Vec::new();
        let mut order = PackBuilder::default();
        for &id in interner.stack(stack).listed_frames() {
            index.entry(id).or_insert_with(|| {
                frames.push(interner.frame(id).frame.clone());
                frames.len() as u32 - 1
            });
        }
        for id in interner.stack(stack) {
            order.push(FrameId(index[id]));
        }
        StackRule {
            frames,
            order: order.finish(),
            name: format!("hide {shown}"),
            reason: format!("hidden by hand: {} with this exact stack", category.name()),
            category,
        }
    }
}

impl Hide for StackRule {
    fn name(&self) -> &str {
        &self.name
    }

    fn reason(&self) -> &str {
        &self.reason
    }

    fn hides(&self, interner: &Interner, category: &Category, stack: StackId) -> bool {
        *category == self.category && {
            let s = interner.stack(stack);
            let order = Frames::from(&self.order);
            s.len() == order.len()
                && s.iter().zip(order.iter()).all(|(&id, k)| {
                    same_place(interner.frame(id).frame, &self.frames[k.0 as usize])
                })
        }
    }
}

/// Hides a whole category (the hide key on a category row).
#[derive(Debug, Clone)]
pub struct CategoryRule {
    pub category: Category,
    name: String,
    reason: String,
}

impl CategoryRule {
    pub fn new(category: Category) -> Self {
        CategoryRule {
            name: format!("hide {}", category.name()),
            reason: format!("hidden by hand: every {} item", category.name()),
            category,
        }
    }
}

impl Hide for CategoryRule {
    fn name(&self) -> &str {
        &self.name
    }

    fn reason(&self) -> &str {
        &self.reason
    }

    fn hides(&self, _: &Interner, category: &Category, _: StackId) -> bool {
        *category == self.category
    }
}

/// The active rules, in the order they were added; the first that hides an
/// item is the one it is attributed to. Cheap to clone (the rules are
/// shared), so a background rebuild can take a copy of the model's inputs.
#[derive(Default, Clone)]
pub struct Hiding {
    rules: Vec<Arc<dyn Hide>>,
    /// Bumped on every change: two copies with the same generation hold the
    /// same rules.
    generation: u64,
}

impl PartialEq for Hiding {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && self.rules.len() == other.rules.len()
    }
}

impl Hiding {
    pub fn push(&mut self, rule: Box<dyn Hide>) {
        self.rules.push(Arc::from(rule));
        self.generation += 1;
    }

    pub fn pop(&mut self) -> Option<Arc<dyn Hide>> {
        self.generation += 1;
        self.rules.pop()
    }

    pub fn rules(&self) -> &[Arc<dyn Hide>] {
        &self.rules
    }

    pub fn get(&self, i: u16) -> Option<&dyn Hide> {
        self.rules.get(i as usize).map(|r| &**r)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Decides every item of the report: the loaded rules' verdicts
    /// (`engine`, computed on the loader thread) first, then the rules made
    /// here, decided once per (category, stack). Without rules made here the
    /// engine's verdicts are read in place, item by item: nothing is kept
    /// per item (a log of millions of records would hold a copy of them).
    pub fn evaluate(&self, report: &Report, engine: Option<&Arc<rules::Hiding>>) -> Verdicts {
        if self.rules.is_empty() {
            return Verdicts {
                engine: engine.cloned(),
                procs: Vec::new(),
            };
        }
        let engine = engine.map(|e| &**e);
        let interner = &report.interner;
        let mut memo: FxHashMap<(Category, StackId), Option<u16>> = FxHashMap::default();
        let mut manual = |cat: Category, stack: StackId| -> Option<RuleRef> {
            memo.entry((cat, stack))
                .or_insert_with_key(|(cat, stack)| {
                    self.rules
                        .iter()
                        .position(|r| r.hides(interner, cat, *stack))
                        .map(|i| i as u16)
                })
                .map(RuleRef::Manual)
        };
        let procs = report
            .processes
            .iter()
            .enumerate()
            .map(|(pi, p)| ProcVerdicts {
                leaks: p
                    .loss_records()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        engine
                            .and_then(|e| loaded(e.record_verdict(pi, i)))
                            .or_else(|| manual(Category::Leak(r.kind), r.stack))
                    })
                    .map(RuleRef::pack)
                    .collect(),
                errors: p
                    .errors
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        engine
                            .and_then(|h| loaded(h.error_verdict(pi, i)))
                            .or_else(|| manual(Category::Error(e.kind.clone()), e.stack))
                    })
                    .map(RuleRef::pack)
                    .collect(),
            })
            .collect();
        Verdicts {
            engine: None,
            procs,
        }
    }
}

/// The rule a loaded rules' verdict names, if it hides.
#[inline]
fn loaded(v: Verdict) -> Option<RuleRef> {
    match v {
        Verdict::Hidden(id) => Some(RuleRef::Loaded(id)),
        _ => None,
    }
}

/// A loaded rule's name, reason and place, for the detail pane.
pub fn describe_loaded(set: &RuleSet, id: RuleId) -> Option<(String, Option<String>, String)> {
    let r = set.get(id)?;
    Some((r.name.clone(), r.reason.clone(), r.location()))
}

/// Which rule hid each item; empty when no rule is active.
#[derive(Debug, Default, Clone)]
pub struct Verdicts {
    /// Without rules made with the hide key: the loaded rules' verdicts,
    /// read in place (shared with the model, never copied per item).
    engine: Option<Arc<rules::Hiding>>,
    /// With rules made with the hide key: per item, the rule it is
    /// attributed to (a loaded rule first).
    procs: Vec<ProcVerdicts>,
}

/// Per item, its rule packed in 4 bytes (see [`RuleRef::pack`]) rather than
/// an 8-byte `Option<RuleRef>`: a log of millions of records holds one each.
#[derive(Debug, Default, Clone)]
struct ProcVerdicts {
    leaks: Vec<u32>,
    errors: Vec<u32>,
}

/// `Manual` rules in a packed verdict; 0 is none, `Loaded(id)` is `id + 1`.
const MANUAL: u32 = 1 << 31;

impl RuleRef {
    fn pack(r: Option<RuleRef>) -> u32 {
        match r {
            None => 0,
            Some(RuleRef::Loaded(id)) => (id.0 + 1).min(MANUAL - 1),
            Some(RuleRef::Manual(m)) => MANUAL | u32::from(m),
        }
    }

    fn unpack(v: u32) -> Option<RuleRef> {
        match v {
            0 => None,
            v if v & MANUAL != 0 => Some(RuleRef::Manual((v & !MANUAL) as u16)),
            v => Some(RuleRef::Loaded(RuleId(v - 1))),
        }
    }
}

impl Verdicts {
    /// No rule is active.
    pub fn is_empty(&self) -> bool {
        self.engine.is_none() && self.procs.is_empty()
    }

    #[inline]
    pub fn leak(&self, process: usize, record: u32) -> Option<RuleRef> {
        if let Some(e) = &self.engine {
            return loaded(e.record_verdict(process, record as usize));
        }
        self.procs
            .get(process)
            .and_then(|p| p.leaks.get(record as usize).copied())
            .and_then(RuleRef::unpack)
    }

    pub fn error(&self, process: usize, error: u32) -> Option<RuleRef> {
        if let Some(e) = &self.engine {
            return loaded(e.error_verdict(process, error as usize));
        }
        self.procs
            .get(process)
            .and_then(|p| p.errors.get(error as usize).copied())
            .and_then(RuleRef::unpack)
    }

    #[inline]
    pub fn of(&self, process: usize, category: &Category, item: u32) -> Option<RuleRef> {
        match category {
            Category::Leak(_) => self.leak(process, item),
            Category::Error(_) => self.error(process, item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_verdicts_read_back() {
        for r in [
            None,
            Some(RuleRef::Loaded(RuleId(0))),
            Some(RuleRef::Loaded(RuleId(70_000))),
            Some(RuleRef::Manual(0)),
            Some(RuleRef::Manual(u16::MAX)),
        ] {
            assert_eq!(RuleRef::unpack(RuleRef::pack(r)), r);
        }
    }

    #[test]
    fn a_hidden_deep_recursion_keeps_its_distinct_frames_and_hides_by_place() {
        use crate::model::LeakKind;
        use crate::parse::text::parse_frame;
        let mut i = Interner::new();
        let at = |i: &mut Interner, a: u32, k: u32| {
            i.intern_frame(parse_frame(&format!("0x{a:X}: walk_{k} (tree.c:{k})")))
        };
        let walk: Vec<FrameId> = (0..100).map(|k| at(&mut i, 0x1000 + k, k)).collect();
        // The same code at other addresses: the same places.
        let moved: Vec<FrameId> = (0..100).map(|k| at(&mut i, 0x9000 + k, k)).collect();
        let deep = |w: &[FrameId], n: usize| (0..n).map(|j| w[j % 100]).collect::<Vec<_>>();
        let s = i.intern_stack(&deep(&walk, 70_000));
        let same_places = i.intern_stack(&deep(&moved, 70_000));
        let shorter = i.intern_stack(&deep(&walk, 69_999));
        let cat = Category::Leak(LeakKind::DefinitelyLost);
        let rule = StackRule::new(&i, s, cat.clone(), "walk_0");
        assert_eq!((rule.frames.len(), rule.order.len()), (100, 70_000));
        assert!(rule.order.approx_bytes() < 4096);
        assert!(rule.hides(&i, &cat, s) && rule.hides(&i, &cat, same_places));
        assert!(!rule.hides(&i, &cat, shorter));
        assert!(!rule.hides(&i, &Category::Leak(LeakKind::PossiblyLost), s));
    }
}
