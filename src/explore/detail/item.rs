//! The detail of one record (a loss record or an error context) and of a
//! hidden record: figures, exact bytes, stacks, suppression text.

use super::*;
use crate::explore::hide::{describe_loaded, RuleRef};
use crate::explore::projection::Cause;

pub(super) fn item(cx: &Ctx, d: &mut Detail, p: usize, c: usize, item: u32) {
    let pn = &cx.index.procs[p];
    let cn = &pn.cats[c];
    let proc_ = &cx.report.processes[pn.process];
    let interner = &cx.report.interner;
    d.category = Some(cn.category.clone());
    let suppression;
    match &cn.category {
        Category::Leak(kind) => {
            let r = &proc_.loss_records()[item as usize];
            let of = proc_.leak_searches.last().and_then(|s| s.of(item as usize));
            let num = match (r.number(), of) {
                (Some(n), Some(of)) => {
                    format!("loss record {} of {}", count(n as u64), count(of as u64))
                }
                (Some(n), None) => format!("loss record {}", count(n as u64)),
                _ => "loss record".to_string(),
            };
            d.push(Line::Title(format!("{num} · {}", kind.text())));
            let fig = Tot {
                bytes: r.direct_bytes().into(),
                indirect: r.indirect_bytes().into(),
                blocks: r.blocks().into(),
                items: 1,
                count: 1,
            };
            d.figures = Some((fig, cx.vis.cause(cx.report, cx.index, p, c, item).is_some()));
            let blocks = if r.blocks() == 1 { "block" } else { "blocks" };
            if r.indirect_bytes() > 0 {
                d.text(format!(
                    "{} direct + {} indirect = {} in {} {blocks}",
                    exact_bytes(r.direct_bytes()),
                    exact_bytes(r.indirect_bytes()),
                    exact_bytes(r.total_bytes()),
                    count(r.blocks())
                ));
            } else {
                d.text(format!(
                    "{} in {} {blocks}",
                    exact_bytes(r.direct_bytes()),
                    count(r.blocks())
                ));
            }
            if let (Some(db), Some(dk)) = (r.delta_bytes(), r.delta_blocks()) {
                d.dim(format!(
                    "since the previous leak search: {db:+} bytes, {dk:+} blocks"
                ));
            }
            d.dim(format!("log line {}", r.line()));
            let header = format!(
                "{} bytes in {} blocks are {} in {num}",
                count(r.total_bytes()),
                count(r.blocks()),
                kind.text()
            );
            suppression = r.suppression();
            hidden_line(cx, d, p, c, item);
            d.push(Line::Blank);
            let frames = interner.stack(r.stack);
            d.push(Line::Heading(format!("Stack ({} frames)", frames.len())));
            d.stack(cx.frames, interner, frames, cx.unfold_interpreter);
            if crate::triage::own::cut_short_at(interner, r.stack).is_some() {
                d.dim(CUT_SHORT_NOTE.to_string());
            }
            d.copy = Some(stack_text(&header, interner, frames));
        }
        Category::Error(kind) => {
            let e = &proc_.errors[item as usize];
            d.push(Line::Title(sanitize(&e.what).into_owned()));
            let fig = Tot {
                items: 1,
                count: e.count.into(),
                ..Tot::default()
            };
            d.figures = Some((fig, cx.vis.cause(cx.report, cx.index, p, c, item).is_some()));
            let times = if e.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", count(e.count))
            };
            d.dim(format!("{kind} · {times} · log line {}", e.line));
            hidden_line(cx, d, p, c, item);
            d.push(Line::Blank);
            let frames = interner.stack(e.stack);
            d.push(Line::Heading(format!("Stack ({} frames)", frames.len())));
            d.stack(cx.frames, interner, frames, cx.unfold_interpreter);
            let mut text = stack_text(&e.what, interner, frames);
            for aux in &e.aux {
                d.push(Line::Blank);
                d.push(Line::Heading(sanitize(&aux.what).into_owned()));
                let af = interner.stack(aux.stack);
                d.stack(cx.frames, interner, af, cx.unfold_interpreter);
                text.push_str(&stack_text(&aux.what, interner, af));
            }
            d.copy = Some(text);
            suppression = e.suppression.as_deref();
        }
    }
    if let Some(s) = suppression {
        d.push(Line::Blank);
        d.push(Line::Heading("Suppression (as valgrind printed it)".into()));
        for l in s.lines() {
            d.push(Line::Code(sanitize(l).into_owned()));
        }
    }
}

pub(super) fn hidden_line(cx: &Ctx, d: &mut Detail, p: usize, c: usize, item: u32) {
    match cx.vis.cause(cx.report, cx.index, p, c, item) {
        Some(Cause::Rule(RuleRef::Manual(r))) => {
            if let Some(rule) = cx.hiding.get(r) {
                d.push(Line::Hidden(format!(
                    "hidden by rule “{}”: {}",
                    sanitize(rule.name()),
                    sanitize(rule.reason())
                )));
            }
        }
        Some(Cause::Rule(RuleRef::Loaded(id))) => {
            if let Some((name, reason, at)) = describe_loaded(cx.rule_set, id) {
                d.push(Line::Hidden(format!(
                    "hidden by rule “{}” ({})",
                    sanitize(&name),
                    sanitize(&at)
                )));
                if let Some(why) = reason {
                    d.push(Line::Hidden(format!("why: {}", sanitize(&why))));
                }
            }
        }
        Some(Cause::Filter) => d.push(Line::Hidden(
            "filtered out: its stack does not match the filter".into(),
        )),
        None => {}
    }
    // A rule that might hide this, had the log said enough (an obj: line on
    // a frame printed with its source instead of its object).
    let process = cx.index.procs[p].process;
    let verdict = cx.engine.map(|e| match cx.index.procs[p].cats[c].category {
        Category::Leak(_) => e.record_verdict(process, item as usize),
        Category::Error(_) => e.error_verdict(process, item as usize),
    });
    if let Some(Verdict::Undecided(id)) = verdict {
        if let Some((name, _, at)) = describe_loaded(cx.rule_set, id) {
            d.dim(format!(
                "rule “{}” ({}) might hide this; the log does not say enough to decide",
                sanitize(&name),
                sanitize(&at)
            ));
        }
    }
    // Rules that match but were turned off (R, B): what would hide it.
    if let Some(e) = cx.engine {
        let matching = match cx.index.procs[p].cats[c].category {
            Category::Leak(_) => e.record_rules(process, item as usize),
            Category::Error(_) => e.error_rules(process, item as usize),
        };
        for &id in matching.iter().filter(|&&id| !e.is_enabled(id)).take(3) {
            if let Some((name, _, at)) = describe_loaded(cx.rule_set, id) {
                d.dim(format!(
                    "rule “{}” ({}) matches this but is turned off (R lists rules)",
                    sanitize(&name),
                    sanitize(&at)
                ));
            }
        }
    }
}
