//! LeakSanitizer suppression files: one `leak:TEMPLATE` per line, `#`
//! comments. LSan tests every frame of a leak's stack, top first, on its
//! module (the shared object's path), then its function, then its source
//! file, and the first suppression (in file order) that matches any of them
//! wins (`LeakSuppressionContext::GetSuppressionForAddr` in lsan_common.cpp).

use super::pattern::lsan_template_match;
use super::supp_file::reason_of;
use super::{Problem, Severity};
use crate::model::Frame;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsanSuppression {
    pub template: String,
    pub reason: Option<String>,
    pub line: u64,
}

impl LsanSuppression {
    /// Whether the template matches one of the names LSan tests on a frame.
    pub fn matches_name(&self, name: &str) -> bool {
        lsan_template_match(&self.template, name)
    }
}

/// The names of a frame, in the order LSan tests them.
pub fn frame_names(f: &Frame) -> impl Iterator<Item = String> + '_ {
    let module = f.object.as_deref().map(str::to_string);
    let function = f.function.as_deref().map(str::to_string);
    let file = f.source_path();
    [module, function, file].into_iter().flatten()
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub suppressions: Vec<LsanSuppression>,
    pub problems: Vec<Problem>,
}

/// Whether a rules file is in LSan's format rather than valgrind's: its first
/// line that is not blank or a comment is `type:template`.
pub fn looks_like_lsan(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    match first.split_once(':') {
        Some((ty, _)) => !ty.is_empty() && ty.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        None => false,
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut comments: Vec<&str> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let no = i as u64 + 1;
        let line = raw.trim();
        if line.is_empty() {
            comments.clear();
            continue;
        }
        if line.starts_with('#') {
            comments.push(line);
            continue;
        }
        let reason = reason_of(&comments);
        comments.clear();
        match line.split_once(':') {
            Some(("leak", t)) if !t.is_empty() => out.suppressions.push(LsanSuppression {
                template: t.to_string(),
                reason,
                line: no,
            }),
            Some(("leak", _)) => out.problems.push(Problem {
                file: file.to_string(),
                line: no,
                message: "'leak:' with an empty template".into(),
                severity: Severity::Error,
            }),
            Some((ty, _)) if !ty.contains(char::is_whitespace) => out.problems.push(Problem {
                file: file.to_string(),
                line: no,
                message: format!(
                    "suppression type {ty:?} is not LeakSanitizer's ('leak:'); this line is skipped"
                ),
                severity: Severity::Warning,
            }),
            _ => out.problems.push(Problem {
                file: file.to_string(),
                line: no,
                message: format!("expected 'leak:TEMPLATE', found {line:?}"),
                severity: Severity::Error,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leak_lines() {
        let text = "# why: the JIT keeps modules\nleak:llvm::orc::*\n\n# no reason\nleak:libpython3*\nrace:foo\nnonsense\nleak:\n";
        assert!(looks_like_lsan(text));
        let p = parse("l.supp", text);
        assert_eq!(p.suppressions.len(), 2);
        assert_eq!(
            p.suppressions[0].reason.as_deref(),
            Some("the JIT keeps modules")
        );
        assert_eq!(p.suppressions[0].line, 2);
        assert_eq!(p.suppressions[1].reason, None);
        let lines: Vec<u64> = p.problems.iter().map(|x| x.line).collect();
        assert_eq!(lines, [6, 7, 8]);
        assert!(!looks_like_lsan("# c\n{\n"));
    }

    #[test]
    fn frame_names_in_lsan_order() {
        let f = Frame {
            function: Some("llvm::foo()".into()),
            object: Some("/usr/lib/libLLVM.so".into()),
            dir: Some("/src".into()),
            file: Some("a.cpp".into()),
            ..Frame::default()
        };
        let names: Vec<String> = frame_names(&f).collect();
        assert_eq!(names, ["/usr/lib/libLLVM.so", "llvm::foo()", "/src/a.cpp"]);
    }
}
