//! The command line: `leakscope [FILE]` explores; `summary`, `completions` run
//! headless. Exit codes: 0 fine, 1 findings (with --fail-on), 2 usage or input
//! error.

mod explore;
mod report;
mod run;

use crate::model::Format;
use crate::parse::load_paths;
use crate::report::summary::{fails, summarize_prepared, FailOn, Prepared};
use crate::report::text;
use crate::triage::rules::{RuleOptions, RuleSet};
use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use explore::explore;
use report::{diff, flamegraph, summary, supp};
use run::run_program;
use std::io::Write;

#[derive(Debug, Parser)]
#[command(
    name = "leakscope",
    version,
    about = "Explore and triage Valgrind memcheck and LeakSanitizer reports",
    args_conflicts_with_subcommands = true,
    after_help = "Run `leakscope FILE` to explore a log; `leakscope summary FILE` for a headless summary."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub explore: ExploreArgs,
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Logs to explore (valgrind text or XML, LeakSanitizer; gzip/zstd ok): one, or
    /// several read together (a --log-file=run.%p set); `-` or a pipe for stdin
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Keep watching FILE while valgrind writes it, updating the tree
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// An earlier run of the same program: show each group's growth since it
    #[arg(long, value_name = "BASE")]
    pub baseline: Option<String>,
    /// Where `e` looks for source files the log names (repeatable; searched below, too)
    #[arg(long = "source-dir", value_name = "DIR")]
    pub source_dirs: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Which rules hide benign records.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleArgs {
    /// Valgrind (or LeakSanitizer) suppression file whose rules hide what they match; repeatable
    #[arg(long = "suppressions", value_name = "FILE")]
    pub suppressions: Vec<std::path::PathBuf>,
    /// Do not load the built-in rule sets (LLVM, llvmlite/Numba, CPython, glibc, libstdc++)
    #[arg(long)]
    pub no_builtin_rules: bool,
}

impl RuleArgs {
    /// Loads the rules: these files, the user's rules file, the built-ins.
    pub fn load(&self) -> Result<RuleSet> {
        Ok(RuleSet::load(&self.options())?)
    }

    /// Where the rules come from: these files, the user's file, the built-ins.
    pub fn options(&self) -> RuleOptions {
        RuleOptions::standard(self.suppressions.clone(), !self.no_builtin_rules)
    }
}

#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Input format; detected from content by default
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// A JIT's perf map (perf-PID.map, or PID=FILE) naming the log's `???` frames, e.g. Python
    /// run with -X perf; repeatable. perf-PID.map beside the log and /tmp's are found anyway
    #[arg(long = "perf-map", value_name = "[PID=]FILE")]
    pub perf_maps: Vec<String>,
    /// Use only the --perf-map files: do not look beside the log or in /tmp
    #[arg(long)]
    pub no_perf_map_search: bool,
}

impl InputArgs {
    /// Where perf maps come from.
    pub fn map_options(&self) -> crate::parse::perfmap::find::MapOptions {
        crate::parse::perfmap::find::MapOptions {
            explicit: self.perf_maps.clone(),
            discover: !self.no_perf_map_search,
            ..Default::default()
        }
    }

    /// Loads the logs and names their `???` frames from perf maps.
    pub fn load(&self, files: &[String]) -> Result<crate::model::Report> {
        let mut report = load_paths(files, self.input_format.format())?;
        crate::parse::perfmap::find::attach(&mut report, &self.map_options());
        // Loaded: from here on the report is read, not added to.
        report.interner.drop_indexes();
        Ok(report)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Auto,
    #[value(alias = "text")]
    ValgrindText,
    #[value(alias = "xml")]
    ValgrindXml,
    #[value(alias = "asan")]
    Lsan,
}

impl InputFormat {
    pub fn format(self) -> Option<Format> {
        match self {
            InputFormat::Auto => None,
            InputFormat::ValgrindText => Some(Format::ValgrindText),
            InputFormat::ValgrindXml => Some(Format::ValgrindXml),
            InputFormat::Lsan => Some(Format::Lsan),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a triage summary: per process, each leak kind's totals, the top groups, error counts
    Summary(SummaryArgs),
    /// Print valgrind suppressions for the records still visible after the rules
    Supp(SuppArgs),
    /// Compare runs: BASE NEW lists groups that are new, grown, shrunk or gone;
    /// three or more runs (smallest workload first) show how each group scales
    Diff(DiffArgs),
    /// Print folded stacks of leaked memory (for inferno or flamegraph.pl), or draw an SVG flame graph
    Flamegraph(FlameArgs),
    /// Run PROGRAM under valgrind, snapshot its leaks while it runs, and show what grows
    Run(RunArgs),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Logs to summarise; `-` for stdin
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit 1 when any of these is present: definite,indirect,possible,reachable,errors
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub fail_on: Vec<FailOn>,
    /// Key groups by top frame or by origin (the innermost frame of your own code)
    #[arg(long, value_enum, default_value_t = GroupByArg::TopFrame)]
    pub group_by: GroupByArg,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Where the CI formats look for the program's own sources.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// The source tree findings are placed in (sarif, github, gitlab, markdown): paths are relative to it
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub source_root: std::path::PathBuf,
}

impl SourceArgs {
    pub fn tree(&self) -> crate::report::source_tree::SourceTree {
        crate::report::source_tree::SourceTree::new(&self.source_root)
    }
}

#[derive(Debug, Args)]
pub struct SuppArgs {
    /// Logs to write suppressions for; `-` for stdin
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Which records: definite,indirect,possible,reachable (all by default); add `errors` for errors
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub kinds: Vec<FailOn>,
    /// Only records and errors with a frame (function, file or object) matching this regex
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Keep only the top N frames, then `...`
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Shorter, wider suppressions: the allocators, the caller and two more frames, then
    /// `...`; object paths as `*/libname.so*`
    #[arg(long, alias = "generalize")]
    pub generalise: bool,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// BASE NEW, or three or more runs in increasing workload order; `-` for stdin (once)
    #[arg(required = true, num_args = 2.., value_name = "LOG")]
    pub files: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit 1 when growth (the sum of groups' growth in total bytes, growth hidden by rules included) exceeds BYTES (e.g. 0, 64K, 1.5MiB)
    #[arg(long, value_name = "BYTES", value_parser = crate::report::human::parse_bytes)]
    pub fail_on_growth: Option<u64>,
    /// Let --fail-on-growth count only visible growth, not growth inside groups a rule hides
    #[arg(long)]
    pub allow_hidden_growth: bool,
    /// Frames that identify a group, from its top frame down; 1 groups as `summary` does
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub depth: u16,
    /// Match frames without their line numbers (runs of a rebuilt binary)
    #[arg(long)]
    pub ignore_lines: bool,
    /// Identify groups from their top frame or from their origin (the innermost frame of your
    /// own code, native or Python)
    #[arg(long, value_enum, default_value_t = GroupByArg::TopFrame)]
    pub group_by: GroupByArg,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// List unchanged (or, over several runs, flat) groups one by one in text output
    #[arg(long)]
    pub all: bool,
    /// Fit text rows into this many columns by shortening frame names; 0: no limit
    #[arg(long, value_name = "COLUMNS", default_value_t = 100)]
    pub width: usize,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// How `summary` and `diff` key their groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum GroupByArg {
    /// The first frame that is not an allocator
    #[default]
    #[value(name = "top-frame")]
    TopFrame,
    /// The innermost frame of your own code, native or Python (perf maps name Python frames)
    Origin,
}

impl GroupByArg {
    pub fn group_by(self) -> crate::triage::GroupBy {
        match self {
            GroupByArg::TopFrame => crate::triage::GroupBy::TopFrame,
            GroupByArg::Origin => crate::triage::GroupBy::Origin,
        }
    }
}

#[derive(Debug, Args)]
pub struct FlameArgs {
    /// Logs to draw; `-` for stdin
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Leak kinds to include: definite,indirect,possible,reachable (all by default)
    #[arg(long, value_delimiter = ',', value_name = "KINDS", value_parser = parse_leak_kind)]
    pub kinds: Vec<crate::model::LeakKind>,
    /// What widths measure: direct bytes (as LEAK SUMMARY counts), total (direct + indirect) bytes, or blocks
    #[arg(long, value_enum, default_value_t = WeightArg::Bytes)]
    pub weight: WeightArg,
    /// Include the records rules hide
    #[arg(long)]
    pub all: bool,
    /// Draw an SVG flame graph into OUT (a new file) instead of printing folded stacks
    #[arg(long, value_name = "OUT")]
    pub svg: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightArg {
    Bytes,
    Total,
    Blocks,
}

fn parse_leak_kind(s: &str) -> Result<crate::model::LeakKind, String> {
    crate::model::LeakKind::from_option_word(s).ok_or_else(|| {
        format!("unknown kind '{s}' (expected definite, indirect, possible or reachable)")
    })
}

/// `leakscope run [OPTIONS] -- PROGRAM [ARGS...]`.
#[derive(Debug, Args)]
#[command(
    after_help = "Logs, snapshots and PROGRAM's output go to --out DIR (default: a new dated folder \
under ./leakscope-runs/); `leakscope DIR` or `leakscope summary DIR` reopens the run. \
With --no-explore leakscope exits with PROGRAM's exit status (128 + N when a signal N \
ended it); when that is 0, --fail-on findings exit 1; 2 is leakscope's own error."
)]
pub struct RunArgs {
    /// Snapshot every live process's leaks through vgdb at this interval (e.g. 10s, 2m)
    #[arg(long, value_name = "DURATION", value_parser = crate::run::parse_duration)]
    pub every: Option<std::time::Duration>,
    /// Give up on a snapshot vgdb has not answered after this long (the run goes on)
    #[arg(long, value_name = "DURATION", value_parser = crate::run::parse_duration, default_value = "30s")]
    pub snapshot_timeout: std::time::Duration,
    /// An option for valgrind, after leakscope's own (so it adds or overrides); repeatable
    #[arg(long = "valgrind-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub valgrind_args: Vec<String>,
    /// The valgrind to run (default: valgrind on PATH; vgdb is looked for beside it)
    #[arg(long, value_name = "PATH")]
    pub valgrind: Option<std::path::PathBuf>,
    /// Directory for the run's logs, snapshots and PROGRAM's output (new or empty)
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Run PROGRAM once per value, `{}` in ARGS replaced by it, then show how each group scales
    #[arg(long, value_delimiter = ',', value_name = "V1,V2,...")]
    pub series: Vec<String>,
    /// Print the summary (or, with --series, the scaling view) instead of opening the explorer
    #[arg(long)]
    pub no_explore: bool,
    /// Do not set PYTHONPERFSUPPORT=1 for a Python PROGRAM (CPython >= 3.12 names Python
    /// functions in stacks through perf trampolines; they cost some run time)
    #[arg(long)]
    pub no_python_perf: bool,
    /// Output format with --no-explore
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// With --no-explore: exit 1 when any of these is present: definite,indirect,possible,reachable,errors
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub fail_on: Vec<FailOn>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// PROGRAM [ARGS...], after `--`
    #[arg(required = true, last = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// SARIF 2.1.0 for code scanning
    Sarif,
    /// GitHub Actions annotations (workflow commands)
    Github,
    /// Markdown for a job summary ($GITHUB_STEP_SUMMARY)
    Markdown,
    /// GitLab Code Quality JSON
    Gitlab,
    /// JUnit XML test report (summary only)
    Junit,
}

impl OutputFormat {
    fn ci(self) -> Option<crate::report::ci::CiFormat> {
        use crate::report::ci::CiFormat;
        Some(match self {
            OutputFormat::Text | OutputFormat::Json => return None,
            OutputFormat::Sarif => CiFormat::Sarif,
            OutputFormat::Github => CiFormat::Github,
            OutputFormat::Markdown => CiFormat::Markdown,
            OutputFormat::Gitlab => CiFormat::Gitlab,
            OutputFormat::Junit => CiFormat::Junit,
        })
    }
}

/// Runs the command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Summary(args)) => summary(args),
        Some(Command::Supp(args)) => supp(args),
        Some(Command::Diff(args)) => diff(args),
        Some(Command::Flamegraph(args)) => flamegraph(args),
        Some(Command::Run(args)) => run_program(args),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "leakscope", &mut std::io::stdout());
            Ok(0)
        }
        None => explore(cli.explore),
    }
}

fn to_json(v: &impl serde::Serialize) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v).context("serialising the diff")?;
    s.push('\n');
    Ok(s)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}
