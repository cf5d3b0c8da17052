//! `leakscope [FILE…]`: the explorer, or the summary when built without it.

use super::*;

#[cfg(feature = "tui")]
pub(super) fn explore(args: ExploreArgs) -> Result<i32> {
    let rule_options = args.rules.options();
    let rules = RuleSet::load(&rule_options)?;
    // Shown once the explorer has given the terminal back.
    for p in rules.problems() {
        eprintln!("leakscope: rules: {p}");
    }
    crate::tui::run(crate::tui::Options {
        files: args.files,
        format: args.input.input_format.format(),
        follow: args.follow,
        rules,
        rule_options,
        baseline: args.baseline,
        source_dirs: args.source_dirs,
        perf_maps: args.input.map_options(),
        run: None,
    })
}

/// Built without the explorer: print the summary instead.
#[cfg(not(feature = "tui"))]
pub(super) fn explore(args: ExploreArgs) -> Result<i32> {
    if args.follow {
        anyhow::bail!("--follow needs the explorer; this leakscope was built without it");
    }
    let files = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files
    };
    summary(SummaryArgs {
        files,
        format: OutputFormat::Text,
        fail_on: Vec::new(),
        group_by: GroupByArg::TopFrame,
        source: SourceArgs {
            source_root: ".".into(),
        },
        input: args.input,
        rules: args.rules,
    })
}
