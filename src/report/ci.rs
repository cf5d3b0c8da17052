//! The CI formats behind `--format`: each reads the same [`Findings`] (made
//! once from the summary or the diff), so SARIF, annotations, Code Quality,
//! JUnit and the step summary always report the same groups and figures.

use super::diff::DiffOutput;
use super::findings::{from_diff, from_summary};
use super::source_tree::SourceTree;
use super::summary::{FailOn, Summary};
use super::{github, gitlab, junit, markdown, sarif};
use crate::model::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiFormat {
    Sarif,
    Github,
    Markdown,
    Gitlab,
    Junit,
}

/// What a CI format wrote, and warnings for stderr (results cut).
pub struct CiOutput {
    pub text: String,
    pub warnings: Vec<String>,
}

pub fn summary(
    format: CiFormat,
    s: &Summary,
    report: &Report,
    tree: &SourceTree,
    fail_on: &[FailOn],
) -> CiOutput {
    let f = from_summary(s, report);
    let (text, warning) = match format {
        CiFormat::Sarif => sarif::write(&f, tree, sarif::MAX_RESULTS),
        CiFormat::Github => (github::write(&f, tree), None),
        CiFormat::Markdown => (markdown::summary(s, &f, tree), None),
        CiFormat::Gitlab => (gitlab::write(&f, tree), None),
        CiFormat::Junit => (junit::write(s, &f, fail_on), None),
    };
    CiOutput {
        text,
        warnings: warning.into_iter().collect(),
    }
}

/// A two-run diff: only new and grown groups are findings. JUnit has no
/// meaning here (`--fail-on-growth` is the gate), so it is refused.
pub fn diff(
    format: CiFormat,
    d: &DiffOutput,
    new: &Report,
    tree: &SourceTree,
) -> anyhow::Result<CiOutput> {
    let f = from_diff(d, new);
    let (text, warning) = match format {
        CiFormat::Sarif => sarif::write(&f, tree, sarif::MAX_RESULTS),
        CiFormat::Github => (github::write(&f, tree), None),
        CiFormat::Markdown => (markdown::diff(d, &f, tree), None),
        CiFormat::Gitlab => (gitlab::write(&f, tree), None),
        CiFormat::Junit => anyhow::bail!(
            "--format junit is for `leakscope summary` (with --fail-on); `diff` gates with --fail-on-growth"
        ),
    };
    Ok(CiOutput {
        text,
        warnings: warning.into_iter().collect(),
    })
}
