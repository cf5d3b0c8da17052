//! Flame graphs of where leaked memory was allocated (`leakscope
//! flamegraph`): folded stacks, one line per distinct stack, the format
//! `inferno` and `flamegraph.pl` read, weighted by direct bytes (what the
//! LEAK SUMMARY counts), total bytes (direct + indirect) or blocks. Each
//! stack is rooted at its leak kind (and its process when there are several)
//! so kinds sit side by side. Records rules hide are left out unless asked
//! for, so the widths sum exactly to the visible figures `summary` prints.

use crate::model::{LeakKind, LossRecord, Report};
use crate::sanitize::sanitize;
use crate::triage::rules::Hiding;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weight {
    /// Direct bytes, as valgrind's LEAK SUMMARY counts them.
    #[default]
    Bytes,
    /// Direct plus indirect bytes.
    Total,
    Blocks,
}

impl Weight {
    pub fn of(self, r: &LossRecord) -> u128 {
        match self {
            Weight::Bytes => u128::from(r.direct_bytes()),
            Weight::Total => r.total_bytes(),
            Weight::Blocks => u128::from(r.blocks()),
        }
    }

    /// What the graph counts, for its title.
    pub fn unit(self) -> &'static str {
        match self {
            Weight::Bytes => "bytes",
            Weight::Total => "bytes (direct + indirect)",
            Weight::Blocks => "blocks",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FlameOptions {
    /// Leak kinds to draw; empty means all four.
    pub kinds: Vec<LeakKind>,
    pub weight: Weight,
    /// Include the records rules hide.
    pub all: bool,
}

/// Folded stacks, root first, one line per distinct stack, in name order;
/// stacks of zero weight are left out (they draw nothing).
pub fn folded(report: &Report, hiding: &Hiding, opts: &FlameOptions) -> String {
    let several = report.processes.len() > 1;
    let mut lines: BTreeMap<String, u128> = BTreeMap::new();
    for (pi, p) in report.processes.iter().enumerate() {
        let root = several.then(|| match &p.command {
            Some(c) => frame_name(&format!("PID {} {c}", p.pid)),
            None => format!("PID {}", p.pid),
        });
        for (i, r) in p.loss_records().iter().enumerate() {
            if !opts.kinds.is_empty() && !opts.kinds.contains(&r.kind) {
                continue;
            }
            if !opts.all && hiding.record(pi, i).is_some() {
                continue;
            }
            let w = opts.weight.of(r);
            if w == 0 {
                continue;
            }
            let mut parts: Vec<String> = root.iter().cloned().collect();
            parts.push(r.kind.text().to_string());
            let frames = report.interner.stack(r.stack);
            parts.extend(
                frames
                    .iter()
                    .rev()
                    .map(|&f| frame_name(&report.interner.frame(f).label())),
            );
            *lines.entry(parts.join(";")).or_insert(0) += w;
        }
    }
    let mut out = String::new();
    for (stack, w) in lines {
        out.push_str(&stack);
        out.push(' ');
        out.push_str(&w.to_string());
        out.push('\n');
    }
    out
}

/// A frame as the explorer shows it (`function (file:line)`, control
/// characters made visible), with `;` — the folded format's separator —
/// written as `,`.
fn frame_name(label: &str) -> String {
    sanitize(label).replace(';', ",")
}

/// Draws folded stacks as an SVG flame graph.
pub fn svg(folded: &str, title: &str, unit: &str) -> anyhow::Result<Vec<u8>> {
    use inferno::flamegraph::{self, Options};
    let mut o = Options::default();
    o.title = title.to_string();
    o.count_name = unit.to_string();
    o.name_type = "Frame:".to_string();
    let mut out = Vec::new();
    if folded.is_empty() {
        anyhow::bail!(
            "nothing to draw: no visible records of the chosen kinds (--all includes hidden ones)"
        );
    }
    flamegraph::from_lines(&mut o, folded.lines(), &mut out)
        .map_err(|e| anyhow::anyhow!("drawing the flame graph: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_controls_never_reach_the_folded_text() {
        assert_eq!(frame_name("f;g\u{1b}[2J (a.c:1)"), "f,g^[[2J (a.c:1)");
    }
}
