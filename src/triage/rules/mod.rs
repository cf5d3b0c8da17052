//! Rules that hide benign records: valgrind suppression files (and LSan's),
//! read with valgrind's own semantics, each rule carrying the reason it is
//! safe to hide what it hides.
//!
//! A [`RuleSet`] is what was loaded: rules in priority order (files named on
//! the command line, then the user's rules file, then the built-in sets) and
//! the problems found while reading them. [`RuleSet::apply`] tests every rule
//! on every loss record and error of a report once and returns a [`Hiding`]:
//! for each record and error, the rules that match it, the one that hides it
//! (the first enabled one), and totals per rule. Turning a rule off or on
//! recomputes only the cheap part.

mod builtin;
pub mod generate;
mod grouping;
mod hiding;
pub mod kinds;
pub mod lsan_supp;
pub mod matcher;
pub mod names;
pub mod pattern;
pub mod supp_file;
pub mod write;

pub use builtin::{builtin_sets, BUILTIN_PREFIX};
pub use grouping::{error_groups_by_rule, RuleHider};
pub use hiding::{Hiding, RuleCounts, Verdict};

use lsan_supp::LsanSuppression;
use std::fmt;
use std::path::{Path, PathBuf};
use supp_file::Suppression;

/// Index of a rule in its [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

impl RuleId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a rule came from, which also orders rules: an explicit file wins
/// over the user's file, which wins over the built-in sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// `--suppressions FILE`.
    CommandLine,
    /// `$XDG_CONFIG_HOME/leakscope/rules.supp`.
    UserFile,
    /// assets/rules/*.supp, compiled in.
    Builtin,
}

/// How a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    Valgrind(Suppression),
    Lsan(LsanSuppression),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The suppression's name line, or the `leak:` line of an LSan rule.
    pub name: String,
    /// The `# why:` comment before the rule.
    pub reason: Option<String>,
    /// The file as the user named it, or `builtin:NAME.supp`.
    pub file: String,
    /// Line of the name (valgrind's `used_suppression:` convention), or of
    /// the `leak:` line.
    pub line: u64,
    pub source: Source,
    pub matcher: Matcher,
}

impl Rule {
    pub fn is_builtin(&self) -> bool {
        self.source == Source::Builtin
    }

    /// `file:line`, as valgrind prints a suppression's location.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The rule as written in its file.
    pub fn text(&self) -> String {
        match &self.matcher {
            Matcher::Valgrind(s) => s.text.clone(),
            Matcher::Lsan(l) => format!("leak:{}", l.template),
        }
    }
}

/// Whether a problem stopped a rule from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The rule (or line) was skipped; valgrind would refuse the whole file.
    Error,
    /// Loaded or skipped as valgrind would, but probably not what was meant.
    Warning,
}

/// Something wrong in a rules file, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub message: String,
    pub severity: Severity,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A rules file that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read suppressions file: {error}")]
pub struct ReadError {
    pub path: String,
    /// Not a `source`: the message already says it (see `OpenError::Io`).
    pub error: std::io::Error,
}

/// Which rules to load.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// `--suppressions` files, in order.
    pub files: Vec<PathBuf>,
    /// The user's rules file; `None` to skip it. A missing file is fine.
    pub user_file: Option<PathBuf>,
    pub builtin: bool,
}

impl RuleOptions {
    /// Built-ins on, the user's file from the config directory, and `files`.
    pub fn standard(files: Vec<PathBuf>, builtin: bool) -> Self {
        RuleOptions {
            files,
            user_file: user_rules_path(),
            builtin,
        }
    }
}

/// `$XDG_CONFIG_HOME/leakscope/rules.supp`, else `~/.config/leakscope/rules.supp`.
pub fn user_rules_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(x) if Path::new(&x).is_absolute() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("leakscope").join("rules.supp"))
}

/// Loaded rules and what went wrong loading them.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    problems: Vec<Problem>,
    /// Files read, in order, with how many rules each gave.
    files: Vec<(String, Source, usize)>,
}

impl RuleSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads rules as `opts` says. Only a `--suppressions` file that cannot
    /// be read is an error (valgrind stops too); mistakes inside files are
    /// [`problems`](Self::problems) and the rest of the file still loads.
    pub fn load(opts: &RuleOptions) -> Result<RuleSet, ReadError> {
        let mut set = RuleSet::new();
        for path in &opts.files {
            let name = path.to_string_lossy().into_owned();
            let text = std::fs::read(path).map_err(|error| ReadError {
                path: name.clone(),
                error,
            })?;
            set.add_text(&name, &String::from_utf8_lossy(&text), Source::CommandLine);
        }
        if let Some(path) = &opts.user_file {
            let name = path.to_string_lossy().into_owned();
            match std::fs::read(path) {
                Ok(text) => set.add_text(&name, &String::from_utf8_lossy(&text), Source::UserFile),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => set.problems.push(Problem {
                    file: name,
                    line: 0,
                    message: format!("cannot read the user rules file: {e}"),
                    severity: Severity::Warning,
                }),
            }
        }
        if opts.builtin {
            for (name, text) in builtin_sets() {
                set.add_text(&format!("{BUILTIN_PREFIX}{name}"), text, Source::Builtin);
            }
        }
        Ok(set)
    }

    /// Adds the rules of one file's text (valgrind or LSan format, told
    /// apart by content), after the rules already loaded.
    pub fn add_text(&mut self, file: &str, text: &str, source: Source) {
        let before = self.rules.len();
        if lsan_supp::looks_like_lsan(text) {
            let parsed = lsan_supp::parse(file, text);
            self.problems.extend(parsed.problems);
            for s in parsed.suppressions {
                self.rules.push(Rule {
                    name: format!("leak:{}", s.template),
                    reason: s.reason.clone(),
                    file: file.to_string(),
                    line: s.line,
                    source,
                    matcher: Matcher::Lsan(s),
                });
            }
        } else {
            let parsed = supp_file::parse(file, text);
            self.problems.extend(parsed.problems);
            for s in parsed.suppressions {
                self.rules.push(Rule {
                    name: s.name.clone(),
                    reason: s.reason.clone(),
                    file: file.to_string(),
                    line: s.name_line,
                    source,
                    matcher: Matcher::Valgrind(s),
                });
            }
        }
        self.files
            .push((file.to_string(), source, self.rules.len() - before));
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: RuleId) -> Option<&Rule> {
        self.rules.get(id.index())
    }

    pub fn ids(&self) -> impl Iterator<Item = RuleId> {
        (0..self.rules.len() as u32).map(RuleId)
    }

    /// The file and line of the first rule named `name`: where a hidden
    /// growth warning points (a diff's groups know their rule by name).
    pub fn locate(&self, name: &str) -> Option<(String, u64)> {
        self.rules
            .iter()
            .find(|r| r.name == name)
            .map(|r| (r.file.clone(), r.line))
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The files read, in order: (name, source, rules loaded from it).
    pub fn files(&self) -> &[(String, Source, usize)] {
        &self.files
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Tests every rule on every record and error of `report`, once.
    pub fn apply(&self, report: &crate::model::Report) -> Hiding {
        Hiding::compute(self, report)
    }
}
