//! The staged rebuild: every stage from the earliest invalid one, each from
//! the ones before it.

use super::{Explorer, Stage};
use crate::explore::hide::Verdicts;
use crate::explore::index::{Category, Index};
use crate::explore::places::FrameInfo;
use crate::explore::projection::{project, Visibility};
use crate::explore::toggles::Toggles;
use crate::explore::tree::build_rows;
use crate::model::LeakKind;
use std::sync::Arc;

impl Explorer {
    // ---- the staged rebuild ----

    /// Recomputes every stage from the earliest invalid one.
    pub fn rebuild(&mut self) {
        let from = std::mem::replace(&mut self.dirty, Stage::Clean);
        for n in self.rebuilds.iter_mut().skip(from as usize) {
            *n += 1;
        }
        if from <= Stage::Frames {
            // A new report: the rules' verdicts (a stage after the index) are
            // brought up to date first, so the matcher's working memory
            // comes and goes over the report alone rather than on top of
            // the places and the index, and what its threads freed is
            // handed back before they are built (1.1 GB log: the explorer's
            // peak 124 -> 117 MB).
            self.update_engine();
            crate::explore::heap::give_back_freed();
            self.frames = FrameInfo::build(&self.report.interner);
            self.filter.refresh(&self.frames, &self.report.interner);
        }
        if from <= Stage::Index {
            self.build_index();
        }
        if from <= Stage::Verdicts {
            self.decide();
        }
        if from <= Stage::Growth {
            self.growth = self
                .growth_source
                .measure(&crate::explore::growth::Measure {
                    report: &self.report,
                    index: &self.index,
                    rules: &self.inputs.rule_set,
                    engine: self.engine.as_deref(),
                });
        }
        if from <= Stage::Projection {
            let show = self.inputs.show_hidden;
            // Only the filter, sort or view changed: the groups and their
            // verdicts are the last projection's (see `project`).
            let last = std::mem::take(&mut self.proj);
            let prev = (from == Stage::Projection).then_some(last);
            self.proj = project(&self.report, &self.index, &self.visibility(), show, prev);
        }
        if from <= Stage::Rows {
            self.build_rows();
        }
    }

    fn build_index(&mut self) {
        let carried = self.carried.take();
        let (by, sort) = (self.inputs.group_by, self.inputs.sort);
        self.index = Index::build(&self.report, by, sort);
        match carried {
            Some(e) => self.index.apply_expansion(&e),
            None => default_expansion(&mut self.index),
        }
    }

    /// The verdicts stage: the loaded rules' verdicts brought up to date
    /// with the report (only what is new is matched), toggles applied, then
    /// the hand-made rules.
    fn decide(&mut self) {
        self.update_engine();
        self.verdicts = self
            .inputs
            .manual
            .evaluate(&self.report, self.engine.as_ref());
    }

    /// The loaded rules' verdicts brought up to date with the report and
    /// the toggles (nothing to do when they are).
    fn update_engine(&mut self) {
        // The last verdicts may share the engine: let go of it first, so
        // the updates below change it in place instead of copying it.
        self.verdicts = Verdicts::default();
        let set = &self.inputs.rule_set;
        if set.is_empty() {
            self.engine = None;
        } else {
            match self.engine.as_mut() {
                Some(e) if self.engine_behind => Arc::make_mut(e).update(set, &self.report),
                Some(_) => {}
                None => {
                    self.engine = Some(Arc::new(set.apply(&self.report)));
                    self.engine_toggles = Toggles::default();
                }
            }
            let t = &self.inputs.toggles;
            if let Some(e) = self.engine.as_mut().filter(|_| self.engine_toggles != *t) {
                Arc::make_mut(e).set_enabled_by(&self.report, |id| t.wanted_on(set, id));
                self.engine_toggles = t.clone();
            }
        }
        self.engine_behind = false;
    }

    /// The rows stage: expanded categories put in order, then the rows,
    /// listing expanded groups' items as it meets them (only what the tree
    /// shows).
    fn build_rows(&mut self) {
        // Expanded groups' item lists are kept (listed in one pass over a
        // process's records when first expanded), others' let go.
        self.index.drop_lists();
        for p in 0..self.index.procs.len() {
            let pn = &self.index.procs[p];
            let mut open = Vec::new();
            for (c, cn) in pn.cats.iter().enumerate() {
                if pn.expanded && cn.expanded {
                    self.proj.sort(&self.index, p, c);
                    let expanded = cn.groups.iter().enumerate().filter(|(_, g)| g.expanded);
                    open.extend(expanded.map(|(g, _)| (c, g as u32)));
                }
            }
            self.index.keep_lists(&self.report, p, &open);
        }
        let vis = Visibility {
            filter: &self.filter,
            verdicts: &self.verdicts,
            growth: None,
        };
        let (report, index) = (&self.report, &self.index);
        self.rows = build_rows(index, &mut self.proj, &mut |proj, p, c, g| {
            proj.list(report, index, &vis, p, c, g)
        });
    }
}

/// The first screen: every process open, and each process's definitely lost
/// records (the ones that matter most) one level open.
fn default_expansion(index: &mut Index) {
    for p in &mut index.procs {
        p.expanded = true;
        for c in &mut p.cats {
            c.expanded = c.category == Category::Leak(LeakKind::DefinitelyLost);
        }
    }
}
