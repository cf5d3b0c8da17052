//! `leakscope run`: runs a program under valgrind, headless or in the
//! explorer, and `run --series`.

use super::*;

/// `leakscope run`: see [`crate::run`]. The program's exit status becomes
/// leakscope's (headless); findings named by --fail-on give 1 when it is 0.
pub(super) fn run_program(args: RunArgs) -> Result<i32> {
    use crate::run::{exit_code, headless, outdir, series};
    let rules_loaded = args.rules.load()?;
    drop(rules_loaded); // a bad rules file is reported before valgrind starts
    let (program, prog_args) = args
        .command
        .split_first()
        .context("PROGRAM is missing after --")?;
    let base = args.out.clone();
    let dir = match &base {
        Some(d) => outdir::create(d, false),
        None => outdir::create(&outdir::default_dir(program), true),
    }
    .map_err(anyhow::Error::msg)?;
    let spec = |dir: std::path::PathBuf, args_now: Vec<String>| crate::run::RunSpec {
        program: program.clone(),
        args: args_now,
        valgrind: args.valgrind.clone(),
        valgrind_args: args.valgrind_args.clone(),
        dir,
        every: args.every,
        snapshot_timeout: args.snapshot_timeout,
        inherit_stdin: !std::io::IsTerminal::is_terminal(&std::io::stdin()),
        python_perf: !args.no_python_perf,
    };
    if !args.series.is_empty() {
        let runs = series::run_series(&args.series, prog_args, &dir, |d, a| {
            headless::run_to_end(&spec(d, a))
        })
        .map_err(anyhow::Error::msg)?;
        let files: Vec<String> = runs.iter().map(|d| d.display().to_string()).collect();
        // Two runs: the explorer with the first as the baseline of the
        // second (the diff view). Three or more: the scaling view, which
        // the explorer does not have, as text.
        if let ([base, new], true) = (&files[..], explores(&args)) {
            return explore_series(args, base.clone(), new.clone());
        }
        return diff(DiffArgs {
            files,
            format: args.format,
            fail_on_growth: None,
            depth: 1,
            ignore_lines: false,
            rules: args.rules,
            all: false,
            width: 100,
            input: run_input(),
            allow_hidden_growth: false,
            group_by: GroupByArg::TopFrame,
            source: run_source(),
        });
    }
    if explores(&args) {
        let live = spec(dir.clone(), prog_args.to_vec());
        return explore_run(args, live);
    }
    let status =
        headless::run_to_end(&spec(dir.clone(), prog_args.to_vec())).map_err(anyhow::Error::msg)?;
    let code = exit_code(status);
    if !crate::parse::rundir::is_run_dir(&dir) {
        let out = dir.join(crate::run::tools::PROGRAM_OUTPUT);
        let said = std::fs::read_to_string(&out).unwrap_or_default();
        let tail: Vec<&str> = said.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!(
            "valgrind wrote no log in {} (exit status {code}); its last words, from {}:\n{}",
            dir.display(),
            out.display(),
            crate::sanitize::sanitize(&tail.join("\n"))
        );
    }
    let found = summary(SummaryArgs {
        files: vec![dir.display().to_string()],
        format: args.format,
        fail_on: args.fail_on,
        input: run_input(),
        rules: args.rules,
        group_by: GroupByArg::TopFrame,
        source: run_source(),
    })?;
    let maps = crate::parse::rundir::perf_maps(&dir);
    let maps = match maps {
        0 => String::new(),
        1 => " with its perf map (Python and JIT frames named)".to_string(),
        n => format!(" with {n} perf maps (Python and JIT frames named)"),
    };
    eprintln!(
        "leakscope: the run is in {}{maps} (reopen it with `leakscope summary {}`)",
        dir.display(),
        dir.display()
    );
    Ok(if code != 0 { code } else { found })
}

/// `run` opens the explorer unless told not to, or there is no terminal to
/// draw on (then it prints the summary, as --no-explore does).
fn explores(args: &RunArgs) -> bool {
    cfg!(feature = "tui")
        && !args.no_explore
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// The explorer on a live run: the run directory followed while the session
/// runs the program (see `tui::run`).
#[cfg(feature = "tui")]
fn explore_run(args: RunArgs, spec: crate::run::RunSpec) -> Result<i32> {
    let rule_options = args.rules.options();
    let rules = RuleSet::load(&rule_options)?;
    crate::tui::run(crate::tui::Options {
        files: vec![spec.dir.display().to_string()],
        format: None,
        follow: true,
        rules,
        rule_options,
        baseline: None,
        source_dirs: Vec::new(),
        perf_maps: run_input().map_options(),
        run: Some(spec),
    })
}

/// `run --series A,B` in the explorer: B's run with A's as its baseline.
#[cfg(feature = "tui")]
fn explore_series(args: RunArgs, base: String, new: String) -> Result<i32> {
    let rule_options = args.rules.options();
    let rules = RuleSet::load(&rule_options)?;
    crate::tui::run(crate::tui::Options {
        files: vec![new],
        format: None,
        follow: false,
        rules,
        rule_options,
        baseline: Some(base),
        source_dirs: Vec::new(),
        perf_maps: run_input().map_options(),
        run: None,
    })
}

#[cfg(not(feature = "tui"))]
fn explore_series(_: RunArgs, _: String, _: String) -> Result<i32> {
    unreachable!("explores() is false without the tui feature")
}

#[cfg(not(feature = "tui"))]
fn explore_run(_: RunArgs, _: crate::run::RunSpec) -> Result<i32> {
    unreachable!("explores() is false without the tui feature")
}

/// Findings of a run are placed relative to the current directory.
fn run_source() -> SourceArgs {
    SourceArgs {
        source_root: std::path::PathBuf::from("."),
    }
}

/// A run's logs are valgrind text read by content; perf maps beside them are found.
fn run_input() -> InputArgs {
    InputArgs {
        input_format: InputFormat::Auto,
        perf_maps: Vec::new(),
        no_perf_map_search: false,
    }
}
