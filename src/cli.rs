//! The command line: `leakscope [FILE]` explores; `summary`, `completions` run
//! headless. Exit codes: 0 fine, 1 findings (with --fail-on), 2 usage or input
//! error.

use crate::model::Format;
use crate::parse::load_paths;
use crate::report::summary::{fails, FailOn};
use crate::report::{summarize, text};
use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
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
    /// Log to explore (valgrind text or XML, LeakSanitizer; gzip/zstd ok); `-` or a pipe for stdin
    pub file: Option<String>,
    /// Keep watching FILE while valgrind writes it, updating the tree
    #[arg(long, short = 'f')]
    pub follow: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Input format; detected from content by default
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
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
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Runs the command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Summary(args)) => summary(args),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "leakscope", &mut std::io::stdout());
            Ok(0)
        }
        None => explore(cli.explore),
    }
}

fn summary(args: SummaryArgs) -> Result<i32> {
    let report = load_paths(&args.files, args.input.input_format.format())?;
    let summary = summarize(&report);
    let out = match args.format {
        OutputFormat::Text => text::write(&summary),
        OutputFormat::Json => {
            let mut s =
                serde_json::to_string_pretty(&summary).context("serialising the summary")?;
            s.push('\n');
            s
        }
    };
    write_stdout(&out)?;
    Ok(if fails(&summary, &args.fail_on) { 1 } else { 0 })
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

#[cfg(feature = "tui")]
fn explore(args: ExploreArgs) -> Result<i32> {
    crate::tui::run(crate::tui::Options {
        file: args.file,
        format: args.input.input_format.format(),
        follow: args.follow,
    })
}

/// Built without the explorer: print the summary instead.
#[cfg(not(feature = "tui"))]
fn explore(args: ExploreArgs) -> Result<i32> {
    if args.follow {
        anyhow::bail!("--follow needs the explorer; this leakscope was built without it");
    }
    let file = args.file.unwrap_or_else(|| "-".to_string());
    summary(SummaryArgs {
        files: vec![file],
        format: OutputFormat::Text,
        fail_on: Vec::new(),
        input: args.input,
    })
}
