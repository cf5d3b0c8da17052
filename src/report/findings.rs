//! What the CI outputs report, in one list: the visible groups of a
//! summary, or the new and grown visible groups of a diff, each with the
//! figures computed there (copied, never recomputed), the stack that places
//! it, a fingerprint that stays the same across runs, and the sentence every
//! format uses to describe it.

use super::diff::DiffOutput;
use super::human::{bytes, count};
use super::kinds::{info, Level};
use super::summary::Summary;
use crate::model::{ErrorKind, Interner, Report, StackId};
use crate::sanitize::sanitize;
use crate::triage::compare::GroupKind;
use crate::triage::diff::Status;
use std::collections::HashMap;

/// A process the findings belong to.
#[derive(Debug, Clone)]
pub struct ProcessRef {
    pub pid: u32,
    pub command: Option<String>,
}

impl ProcessRef {
    /// `PID 123 ./prog args`, sanitised.
    pub fn label(&self) -> String {
        match &self.command {
            Some(c) => format!("PID {} {}", self.pid, sanitize(c)),
            None => format!("PID {}", self.pid),
        }
    }
}

/// How a group changed since the baseline (diff only).
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub status: Status,
    /// Total bytes (leaks) or occurrences (errors) in the baseline.
    pub base: u128,
    pub delta: i128,
}

#[derive(Debug, Clone)]
pub struct Finding {
    /// Index into [`Findings::processes`].
    pub process: usize,
    pub kind: GroupKind,
    /// The group's name: its top frame's label (raw log text).
    pub top_frame: String,
    /// The address-free signature: `top_frame` and, for a diff with
    /// `--depth` > 1, its callers.
    pub frames: Vec<String>,
    /// An error group's headline.
    pub what: Option<String>,
    pub bytes: u128,
    pub total_bytes: u128,
    pub blocks: u128,
    /// Loss records, or error contexts.
    pub records: u64,
    /// Error occurrences; 0 for leaks.
    pub occurrences: u128,
    pub growth: Option<Growth>,
    /// The stack that places the finding (the group's largest record).
    pub stack: StackId,
    /// Unique within the output; the same for the same leak in another run.
    pub fingerprint: String,
}

impl Finding {
    pub fn level(&self) -> Level {
        info(&self.kind).level
    }

    /// One sentence saying what and how much, sanitised:
    /// `128 bytes (32 direct, 96 indirect) in 1 block definitely lost (1 record) in new_node (leaky.c:66)`.
    pub fn sentence(&self) -> String {
        let place = sanitize(&self.top_frame);
        let mut s = match &self.kind {
            GroupKind::Leak(k) => {
                let split = if self.total_bytes != self.bytes {
                    format!(
                        " ({} direct, {} indirect)",
                        count(self.bytes),
                        count(self.total_bytes - self.bytes)
                    )
                } else {
                    String::new()
                };
                format!(
                    "{} bytes{split} in {} {} {} ({} {}) in {place}",
                    count(self.total_bytes),
                    count(self.blocks),
                    plural(self.blocks, "block", "blocks"),
                    k.text(),
                    count(self.records),
                    plural(self.records, "record", "records"),
                )
            }
            GroupKind::Error(_) => format!(
                "{} ({} {} in {} {}) in {place}",
                sanitize(self.what.as_deref().unwrap_or(self.kind.key())),
                count(self.occurrences),
                plural(self.occurrences, "occurrence", "occurrences"),
                count(self.records),
                plural(self.records, "context", "contexts"),
            ),
        };
        if let Some(g) = &self.growth {
            s.push_str(&match (g.status, &self.kind) {
                (Status::New, _) => " — new since the baseline".to_string(),
                (_, GroupKind::Leak(_)) => format!(
                    " — grown by {} bytes since the baseline ({} → {})",
                    count(g.delta.unsigned_abs()),
                    bytes(g.base),
                    bytes(self.total_bytes)
                ),
                (_, GroupKind::Error(_)) => format!(
                    " — {} more occurrences than the baseline",
                    count(g.delta.unsigned_abs())
                ),
            });
        }
        s
    }

    /// The weight that orders findings of one level: bytes for leaks,
    /// occurrences for errors, growth first when comparing.
    fn weight(&self) -> (i128, u128) {
        let size = match self.kind {
            GroupKind::Leak(_) => self.total_bytes,
            GroupKind::Error(_) => self.occurrences,
        };
        (self.growth.map_or(0, |g| g.delta), size)
    }
}

fn plural(n: impl Into<u128>, one: &'static str, many: &'static str) -> &'static str {
    let n: u128 = n.into();
    if n == 1 {
        one
    } else {
        many
    }
}

/// What one rule hid, for the outputs that say so.
#[derive(Debug, Clone)]
pub struct HiddenRule {
    pub process: usize,
    pub rule: String,
    pub reason: Option<String>,
    pub records: u64,
    pub total_bytes: u128,
    pub error_contexts: u64,
}

pub struct Findings<'a> {
    pub interner: &'a Interner,
    pub processes: Vec<ProcessRef>,
    /// Most severe first; within a level memory errors before leaks, then
    /// most growth, then most bytes (occurrences for errors).
    pub findings: Vec<Finding>,
    pub hidden: Vec<HiddenRule>,
    /// Whether these are a diff's new and grown groups.
    pub comparing: bool,
}

/// The visible groups of a summary, leak and error groups alike.
pub fn from_summary<'a>(summary: &Summary, report: &'a Report) -> Findings<'a> {
    let mut findings = Vec::new();
    let mut hidden = Vec::new();
    for (pi, p) in summary.processes.iter().enumerate() {
        for g in p.groups.iter().filter(|g| g.hidden_by.is_none()) {
            findings.push(Finding {
                process: pi,
                kind: GroupKind::Leak(g.kind),
                top_frame: g.top_frame.clone(),
                frames: vec![g.top_frame.clone()],
                what: None,
                bytes: g.bytes,
                total_bytes: g.total_bytes,
                blocks: g.blocks,
                records: g.records,
                occurrences: 0,
                growth: None,
                stack: g.stack,
                fingerprint: String::new(),
            });
        }
        for g in p.error_groups.iter().filter(|g| g.hidden_by.is_none()) {
            findings.push(Finding {
                process: pi,
                kind: GroupKind::Error(ErrorKind::from_xml(&g.kind)),
                top_frame: g.top_frame.clone(),
                frames: vec![g.top_frame.clone()],
                what: Some(g.what.clone()),
                bytes: 0,
                total_bytes: 0,
                blocks: 0,
                records: g.contexts,
                occurrences: u128::from(g.errors),
                growth: None,
                stack: g.stack,
                fingerprint: String::new(),
            });
        }
        hidden.extend(
            p.hidden
                .iter()
                .filter(|h| h.records > 0 || h.error_contexts > 0)
                .map(|h| HiddenRule {
                    process: pi,
                    rule: h.rule.clone(),
                    reason: h.reason.clone(),
                    records: h.records,
                    total_bytes: h.total_bytes,
                    error_contexts: h.error_contexts,
                }),
        );
    }
    let processes = summary
        .processes
        .iter()
        .map(|p| ProcessRef {
            pid: p.pid,
            command: p.command.clone(),
        })
        .collect();
    finish(&report.interner, processes, findings, hidden, false)
}

/// The visible groups of a diff that are new or grew, placed in the new run.
pub fn from_diff<'a>(diff: &DiffOutput, new: &'a Report) -> Findings<'a> {
    let findings = diff
        .groups
        .iter()
        .filter(|g| g.head.hidden_by.is_none())
        .filter(|g| matches!(g.status, Status::New | Status::Grown))
        .filter_map(|g| {
            let is_error = g.head.group_kind.is_error();
            Some(Finding {
                process: g.head.process,
                kind: g.head.group_kind.clone(),
                top_frame: g.head.top_frame.clone(),
                frames: g.head.frames.clone(),
                what: g.what.clone(),
                bytes: g.new.bytes,
                total_bytes: g.new.total_bytes,
                blocks: g.new.blocks,
                records: g.new.records,
                occurrences: g.new.occurrences.unwrap_or(0),
                growth: Some(Growth {
                    status: g.status,
                    base: if is_error {
                        g.base.occurrences.unwrap_or(0)
                    } else {
                        g.base.total_bytes
                    },
                    delta: if is_error {
                        g.delta_occurrences.unwrap_or(0)
                    } else {
                        g.delta_total_bytes
                    },
                }),
                stack: g.new_stack?,
                fingerprint: String::new(),
            })
        })
        .collect();
    // A process of the pair that only the base run has: named as there.
    let processes = diff
        .processes
        .iter()
        .map(|p| {
            let r = p.runs.iter().rev().flatten().next();
            ProcessRef {
                pid: r.map_or(0, |r| r.pid),
                command: r.and_then(|r| r.command.clone()),
            }
        })
        .collect();
    let hidden = Vec::new();
    finish(&new.interner, processes, findings, hidden, true)
}

fn finish<'a>(
    interner: &'a Interner,
    processes: Vec<ProcessRef>,
    mut findings: Vec<Finding>,
    hidden: Vec<HiddenRule>,
    comparing: bool,
) -> Findings<'a> {
    findings.sort_by(|a, b| {
        a.level()
            .cmp(&b.level())
            .then_with(|| b.kind.is_error().cmp(&a.kind.is_error()))
            .then_with(|| b.weight().cmp(&a.weight()))
    });
    // Fingerprints in output order, so repeats are numbered the same way in
    // every run of the same program.
    let mut seen: HashMap<String, u32> = HashMap::new();
    for f in &mut findings {
        let base = fingerprint(&f.kind, &f.frames);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        f.fingerprint = if *n == 1 {
            base
        } else {
            let mut frames = f.frames.clone();
            frames.push(format!("#{n}"));
            fingerprint(&f.kind, &frames)
        };
    }
    Findings {
        interner,
        processes,
        findings,
        hidden,
        comparing,
    }
}

/// A 128-bit FNV-1a hash (hex) of the kind and the address-free signature:
/// the same leak in another run (other addresses, PIDs, record numbers)
/// has the same fingerprint; another kind or place has another.
pub fn fingerprint(kind: &GroupKind, frames: &[String]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u128;
            h = h.wrapping_mul(PRIME);
        }
    };
    feed(b"leakscope/v1\0");
    feed(kind.key().as_bytes());
    for f in frames {
        feed(b"\0");
        feed(f.as_bytes());
    }
    format!("{h:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_kind_and_place_only() {
        use crate::model::LeakKind;
        let def = GroupKind::Leak(LeakKind::DefinitelyLost);
        let pos = GroupKind::Leak(LeakKind::PossiblyLost);
        let a = fingerprint(&def, &["make (a.c:3)".to_string()]);
        assert_eq!(a.len(), 32);
        assert_eq!(a, fingerprint(&def, &["make (a.c:3)".to_string()]));
        assert_ne!(a, fingerprint(&pos, &["make (a.c:3)".to_string()]));
        assert_ne!(a, fingerprint(&def, &["make (a.c:4)".to_string()]));
    }
}
