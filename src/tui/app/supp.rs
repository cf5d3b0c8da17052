//! Writing a suppression from the explorer (S): a prompt chooses exact or
//! generalised and the target file; the text is built here and written by
//! the run loop ([`Effect::WriteRules`]), which may then reload the rules
//! ([`Effect::ReloadRules`], L) so the new rule hides its records at once.

use super::{App, Fallback, Overlay};
use crate::explore::index::Category;
use crate::explore::tree::NodeRef;
use crate::report::human::count;
use crate::sanitize::sanitize;
use crate::triage::rules::generate::{self, GenOptions};
use crate::tui::action::{Cmd, Effect};
use crate::tui::jobs::Reloaded;
use std::path::PathBuf;

/// What the prompt will write a suppression for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppPrompt {
    /// Position in `report.processes`.
    pub process: usize,
    /// Loss records (else errors) of the process.
    pub leaks: bool,
    pub indices: Vec<usize>,
    /// "3 records of definitely lost at foo", sanitized.
    pub what: String,
    /// Index into `App::supp_targets`.
    pub target: usize,
}

impl App {
    pub(crate) fn open_supp(&mut self) -> Effect {
        let Some(node) = self.selected_node() else {
            return Effect::None;
        };
        let m = &self.model;
        let index = m.index();
        if self.supp_targets.is_empty() {
            self.warn("No rules file to write to ($HOME and $XDG_CONFIG_HOME are unset)");
            return Effect::Redraw;
        }
        let (p, c, items, label) = match node {
            NodeRef::Group { p, c, g } => {
                let gn = &index.procs[p as usize].cats[c as usize].groups[g as usize];
                let items = index.items(m.report(), (p as usize, c as usize, g));
                (p, c, items.into_owned(), gn.display.clone())
            }
            NodeRef::Item { p, c, g, item } => {
                let gn = &index.procs[p as usize].cats[c as usize].groups[g as usize];
                (p, c, vec![item], gn.display.clone())
            }
            _ => {
                self.warn("Select a group or record to write a suppression for");
                return Effect::Redraw;
            }
        };
        let (p, c) = (p as usize, c as usize);
        let cat = index.procs[p].cats[c].category.clone();
        // What rules already hide needs no new rule.
        let visible: Vec<u32> = items
            .iter()
            .copied()
            .filter(|&i| m.verdicts().of(index.procs[p].process, &cat, i).is_none())
            .collect();
        let items = if visible.is_empty() { items } else { visible };
        let n = items.len() as u64;
        let prompt = SuppPrompt {
            process: index.procs[p].process,
            leaks: matches!(cat, Category::Leak(_)),
            indices: items.iter().map(|&i| i as usize).collect(),
            what: format!(
                "{} {}{} at {}",
                count(n),
                if matches!(cat, Category::Leak(_)) {
                    "record"
                } else {
                    "error"
                },
                if n == 1 { "" } else { "s" },
                sanitize(&label)
            ),
            target: 0,
        };
        self.overlay = Overlay::Supp(prompt);
        Effect::Redraw
    }

    /// The prompt's target file.
    pub fn supp_target(&self) -> Option<&PathBuf> {
        let Overlay::Supp(p) = &self.overlay else {
            return None;
        };
        self.supp_targets.get(p.target)
    }

    pub(crate) fn supp_command(&mut self, cmd: Cmd) -> Effect {
        let Overlay::Supp(prompt) = &mut self.overlay else {
            return Effect::None;
        };
        let generalise = match cmd {
            Cmd::Quit => return self.quit(),
            Cmd::SuppTarget => {
                prompt.target = (prompt.target + 1) % self.supp_targets.len().max(1);
                return Effect::Redraw;
            }
            Cmd::SuppExact => false,
            Cmd::SuppGeneral => true,
            _ => {
                self.overlay = Overlay::None;
                return Effect::Redraw;
            }
        };
        let Overlay::Supp(prompt) = std::mem::take(&mut self.overlay) else {
            return Effect::None;
        };
        let Some(path) = self.supp_targets.get(prompt.target).cloned() else {
            return Effect::Redraw;
        };
        let report = self.model.report();
        let opts = GenOptions {
            depth: None,
            generalise,
        };
        let gen = if prompt.leaks {
            generate::for_records(report, prompt.process, &prompt.indices, opts)
        } else {
            generate::for_errors(report, prompt.process, &prompt.indices, opts)
        };
        if gen.is_empty() {
            self.warn("Valgrind has no suppression kind for these errors; nothing to write");
            return Effect::Redraw;
        }
        let text = gen
            .iter()
            .map(|g| g.to_text())
            .collect::<Vec<_>>()
            .join("\n");
        self.say(format!(
            "Writing {} suppression{} to {}…",
            gen.len(),
            if gen.len() == 1 { "" } else { "s" },
            sanitize(&path.to_string_lossy())
        ));
        Effect::WriteRules { path, text }
    }

    pub(crate) fn rules_written(&mut self, r: Result<String, String>) -> Effect {
        match r {
            Ok(path) => {
                self.rules_stale = true;
                self.say(format!(
                    "Appended to {} (fill in its # why: line) · L loads it now",
                    sanitize(&path)
                ));
            }
            Err(e) => self.warn(sanitize(&e).into_owned()),
        }
        Effect::Redraw
    }

    pub(crate) fn load_rules(&mut self) -> Effect {
        if self.reloading {
            self.say("Already loading the rules…");
            return Effect::Redraw;
        }
        self.reloading = true;
        self.say("Loading the rules again…");
        Effect::ReloadRules
    }

    /// Takes a reloaded rule set: toggles carry over by rule location, the
    /// verdicts catch up with what the report gained meanwhile.
    pub(crate) fn rules_reloaded(&mut self, r: Reloaded) -> Effect {
        self.reloading = false;
        self.rules_stale = false;
        let before = self.hidden_totals();
        let added = r.set.len() as i64 - self.model.inputs().rule_set.len() as i64;
        self.model.set_rules(r.set, Some((r.hiding, r.parse)));
        if matches!(self.overlay, Overlay::Rules(_)) {
            self.overlay = Overlay::None;
        }
        self.follow_selection(Fallback::Parent);
        let after = self.hidden_totals();
        self.say(format!(
            "Rules loaded: {} ({:+}) · {} records hidden ({:+})",
            count(self.model.inputs().rule_set.len() as u64),
            added,
            count(after.0),
            after.0 as i64 - before.0 as i64
        ));
        Effect::Redraw
    }
}
