//! Which process of one run is which process of another.
//!
//! PIDs differ on every run, so processes are matched by what was run: the same
//! command line first, in order of appearance (a parent and its forked children
//! that print no command of their own pair up in the order they appear). Runs
//! of one script at different workloads differ in their arguments
//! (`nb_scale.py 5` vs `nb_scale.py 40`), so what is left is then matched by
//! the program and its first argument, then by the program alone, and finally,
//! when exactly one process is left on each side, those two. How a pair was
//! made is kept, so the output can say when it was not by the full command.

use crate::model::{Process, Report};
use serde::Serialize;

/// How the processes of a chain were matched: the weakest link counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The same command line (or, for children that print none, both none).
    Command,
    /// The same program and first argument (`python nb_scale.py …`).
    Script,
    /// The same program (`python …`).
    Program,
    /// The only process left on each side.
    Only,
    /// Some run has no process to match it with.
    Unpaired,
}

impl MatchedBy {
    pub fn describe(self) -> &'static str {
        match self {
            MatchedBy::Command => "matched by command line",
            MatchedBy::Script => "matched by program and first argument",
            MatchedBy::Program => "matched by program",
            MatchedBy::Only => "matched as the only process left",
            MatchedBy::Unpaired => "not in every run",
        }
    }
}

/// One process followed across runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessChain {
    /// Per run, the index into that report's `processes`.
    pub procs: Vec<Option<usize>>,
    pub matched_by: MatchedBy,
}

/// Matches the processes of every run with those of the runs before it.
/// Every process of every report is in exactly one chain.
pub fn align_processes(reports: &[&Report]) -> Vec<ProcessChain> {
    let runs = reports.len();
    let mut chains: Vec<ProcessChain> = Vec::new();
    // Per chain, its latest process as (run, index): what the next run is
    // matched against.
    let mut latest: Vec<(usize, usize)> = Vec::new();
    for (k, report) in reports.iter().enumerate() {
        let left: Vec<&Process> = latest
            .iter()
            .map(|&(run, p)| &reports[run].processes[p])
            .collect();
        let right: Vec<&Process> = report.processes.iter().collect();
        let pairs = pair(&left, &right);
        let mut taken = vec![false; right.len()];
        for (c, m) in pairs.iter().enumerate() {
            match *m {
                Some((r, how)) => {
                    chains[c].procs[k] = Some(r);
                    chains[c].matched_by = chains[c].matched_by.max(how);
                    latest[c] = (k, r);
                    taken[r] = true;
                }
                None => chains[c].matched_by = MatchedBy::Unpaired,
            }
        }
        for r in (0..right.len()).filter(|&r| !taken[r]) {
            let mut procs = vec![None; runs];
            procs[k] = Some(r);
            chains.push(ProcessChain {
                procs,
                matched_by: if k == 0 {
                    MatchedBy::Command
                } else {
                    MatchedBy::Unpaired
                },
            });
            latest.push((k, r));
        }
    }
    chains
}

/// What a matching stage compares; `None` never matches.
type KeyFn = fn(&Process) -> Option<String>;

/// For each left process, the right process it pairs with and how.
fn pair(left: &[&Process], right: &[&Process]) -> Vec<Option<(usize, MatchedBy)>> {
    let mut out = vec![None; left.len()];
    let mut taken = vec![false; right.len()];
    let stages: [(MatchedBy, KeyFn); 3] = [
        (MatchedBy::Command, |p| {
            Some(p.command.clone().unwrap_or_default())
        }),
        (MatchedBy::Script, |p| words(p, 2)),
        (MatchedBy::Program, |p| words(p, 1)),
    ];
    for (how, key) in stages {
        for (l, lp) in left.iter().enumerate() {
            if out[l].is_some() {
                continue;
            }
            let Some(k) = key(lp) else { continue };
            let found = right
                .iter()
                .enumerate()
                .find(|(r, rp)| !taken[*r] && key(rp).as_ref() == Some(&k));
            if let Some((r, _)) = found {
                out[l] = Some((r, how));
                taken[r] = true;
            }
        }
    }
    let open_left: Vec<usize> = (0..left.len()).filter(|&l| out[l].is_none()).collect();
    let open_right: Vec<usize> = (0..right.len()).filter(|&r| !taken[r]).collect();
    if let ([l], [r]) = (&open_left[..], &open_right[..]) {
        out[*l] = Some((*r, MatchedBy::Only));
    }
    out
}

/// The program (its file name, without directory) and the `n - 1` words after
/// it; `None` when the command has fewer words or is unknown.
fn words(p: &Process, n: usize) -> Option<String> {
    let cmd = p.command.as_deref()?;
    let mut it = cmd.split_whitespace();
    let prog = it.next()?;
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    let mut out = prog.to_string();
    for _ in 1..n {
        out.push(' ');
        out.push_str(it.next()?);
    }
    Some(out)
}
