//! Hiding: rules that set records aside, each hidden record attributed to the
//! rule that hid it, so the user can always ask "why is this gone?".
//!
//! The explorer's own rules (the group key) implement [`Hide`]; the benign-rule
//! engine plugs in the same way, by pushing its rules onto [`Hiding`].

use super::frames::same_place;
use super::index::Category;
use crate::model::{Frame, Interner, Report, StackId};
use crate::triage::{group_label, GroupBy};
use rustc_hash::FxHashMap;

/// A named reason to hide records. Decided per (category, stack), never per
/// record: real logs repeat stacks, so verdicts are memoised by stack.
pub trait Hide: Send {
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
    frames: Vec<Frame>,
    pub category: Category,
    name: String,
    reason: String,
}

impl StackRule {
    pub fn new(interner: &Interner, stack: StackId, category: Category, shown: &str) -> Self {
        StackRule {
            frames: interner.frames_of(stack).cloned().collect(),
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
            s.len() == self.frames.len()
                && s.iter()
                    .zip(&self.frames)
                    .all(|(&id, f)| same_place(interner.frame(id), f))
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
/// item is the one it is attributed to.
#[derive(Default)]
pub struct Hiding {
    rules: Vec<Box<dyn Hide>>,
}

impl Hiding {
    pub fn push(&mut self, rule: Box<dyn Hide>) {
        self.rules.push(rule);
    }

    pub fn pop(&mut self) -> Option<Box<dyn Hide>> {
        self.rules.pop()
    }

    pub fn rules(&self) -> &[Box<dyn Hide>] {
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

    /// Decides every item of the report.
    pub fn evaluate(&self, report: &Report) -> Verdicts {
        if self.rules.is_empty() {
            return Verdicts::default();
        }
        let interner = &report.interner;
        let mut memo: FxHashMap<(Category, StackId), Option<u16>> = FxHashMap::default();
        let mut decide = |cat: Category, stack: StackId| -> Option<u16> {
            *memo.entry((cat, stack)).or_insert_with_key(|(cat, stack)| {
                self.rules
                    .iter()
                    .position(|r| r.hides(interner, cat, *stack))
                    .map(|i| i as u16)
            })
        };
        let procs = report
            .processes
            .iter()
            .map(|p| ProcVerdicts {
                leaks: p
                    .loss_records()
                    .iter()
                    .map(|r| decide(Category::Leak(r.kind), r.stack))
                    .collect(),
                errors: p
                    .errors
                    .iter()
                    .map(|e| decide(Category::Error(e.kind.clone()), e.stack))
                    .collect(),
            })
            .collect();
        Verdicts { procs }
    }
}

/// Which rule hid each item; empty when no rule is active.
#[derive(Debug, Default, Clone)]
pub struct Verdicts {
    procs: Vec<ProcVerdicts>,
}

#[derive(Debug, Default, Clone)]
struct ProcVerdicts {
    leaks: Vec<Option<u16>>,
    errors: Vec<Option<u16>>,
}

impl Verdicts {
    /// No rule is active.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    pub fn leak(&self, process: usize, record: u32) -> Option<u16> {
        self.procs
            .get(process)
            .and_then(|p| p.leaks.get(record as usize).copied().flatten())
    }

    pub fn error(&self, process: usize, error: u32) -> Option<u16> {
        self.procs
            .get(process)
            .and_then(|p| p.errors.get(error as usize).copied().flatten())
    }

    pub fn of(&self, process: usize, category: &Category, item: u32) -> Option<u16> {
        match category {
            Category::Leak(_) => self.leak(process, item),
            Category::Error(_) => self.error(process, item),
        }
    }
}
