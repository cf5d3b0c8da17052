//! What each leak kind and memcheck error kind means to a CI tool: a stable
//! rule id, a title, how severe it is and which CWE weaknesses it is. One
//! table, read by every CI output (SARIF rules, annotation levels, Code
//! Quality severities, JUnit test names), so they never disagree.

use crate::model::{ErrorKind, LeakKind};
use crate::triage::compare::GroupKind;

/// How serious a finding is, in the three levels SARIF and GitHub share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    /// SARIF's `level` and the GitHub workflow command.
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// The catalogue entry of a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindInfo {
    /// Stable rule id: `memcheck/definitely-lost`, `memcheck/InvalidRead`.
    pub id: String,
    /// A short title: `Definitely lost memory`.
    pub title: &'static str,
    /// What it means and what to do, for a rule's help text.
    pub help: &'static str,
    pub level: Level,
    /// CWE numbers, most specific first.
    pub cwe: &'static [u32],
}

/// Every leak kind, then every error kind valgrind names: the rules a SARIF
/// run declares whatever the log holds.
pub fn catalogue() -> Vec<GroupKind> {
    let errors = [
        "InvalidRead",
        "InvalidWrite",
        "UninitCondition",
        "UninitValue",
        "InvalidFree",
        "MismatchedFree",
        "InvalidJump",
        "SyscallParam",
        "Overlap",
        "FishyValue",
        "ClientCheck",
        "InvalidMemPool",
        "InvalidAlignment",
        "ReallocSizeZero",
        "SizeMismatch",
        "AlignMismatch",
        "CoreMemError",
    ];
    LeakKind::ALL
        .into_iter()
        .map(GroupKind::Leak)
        .chain(
            errors
                .into_iter()
                .map(|e| GroupKind::Error(ErrorKind::from_xml(e))),
        )
        .collect()
}

pub fn info(kind: &GroupKind) -> KindInfo {
    match kind {
        GroupKind::Leak(k) => leak_info(*k),
        GroupKind::Error(e) => error_info(e),
    }
}

fn leak_info(k: LeakKind) -> KindInfo {
    let (title, help, level) = match k {
        LeakKind::DefinitelyLost => (
            "Definitely lost memory",
            "Blocks no pointer points to at exit: memory the program can never free. Free it where its last pointer goes away.",
            Level::Error,
        ),
        LeakKind::IndirectlyLost => (
            "Indirectly lost memory",
            "Blocks reachable only through definitely or possibly lost blocks: fixing the leak that owns them frees them too.",
            Level::Warning,
        ),
        LeakKind::PossiblyLost => (
            "Possibly lost memory",
            "Blocks only an interior pointer points to at exit: a leak, or a pointer into the middle of a block (custom allocators, tagged pointers).",
            Level::Warning,
        ),
        LeakKind::StillReachable => (
            "Memory still reachable at exit",
            "Blocks a pointer still points to at exit: not freed, but not lost. Usually one-time setup; a concern when it grows with the workload.",
            Level::Note,
        ),
    };
    KindInfo {
        id: format!("memcheck/{}", k.key().replace('_', "-")),
        title,
        help,
        level,
        cwe: &[401],
    }
}

fn error_info(e: &ErrorKind) -> KindInfo {
    use ErrorKind::*;
    let (title, help, cwe): (&'static str, &'static str, &'static [u32]) = match e {
        InvalidRead => ("Invalid read", "A read of memory the program does not own: past a block's end, before its start, or after it was freed.", &[125, 416]),
        InvalidWrite => ("Invalid write", "A write to memory the program does not own: past a block's end, before its start, or after it was freed.", &[787, 416]),
        UninitCondition => ("Branch on an uninitialised value", "A conditional jump or move depends on a value that was never initialised.", &[457, 908]),
        UninitValue => ("Use of an uninitialised value", "An uninitialised value is used as an address or passed where it matters.", &[457, 908]),
        InvalidFree => ("Invalid free", "A free or delete of a pointer that is not the start of a live heap block: a double free or a bad pointer.", &[415, 763]),
        MismatchedFree => ("Mismatched free", "A block released with a function that does not match how it was allocated (malloc/delete, new[]/delete).", &[762]),
        InvalidJump => ("Jump to an invalid address", "Control went to an address that holds no code.", &[119]),
        SyscallParam => ("Bad system call parameter", "A system call was given uninitialised or unaddressable memory.", &[908, 119]),
        Overlap => ("Overlapping source and destination", "A copy function was given overlapping buffers: its result is undefined.", &[475]),
        FishyValue => ("Fishy argument value", "An allocation function was given a size that is most likely negative.", &[687]),
        ClientCheck => ("Client check failed", "A memcheck client request found unaddressable or undefined memory.", &[119]),
        InvalidMemPool => ("Invalid memory pool", "A memory pool request named an address that is not a pool.", &[763]),
        InvalidAlignment => ("Invalid alignment", "An aligned allocation was given an alignment or size it does not accept.", &[687]),
        ReallocSizeZero => ("realloc with size 0", "realloc was called with size 0, whose behaviour differs between C libraries.", &[687]),
        SizeMismatch => ("Mismatched delete size", "A sized delete was given a size other than the one allocated.", &[762]),
        AlignMismatch => ("Mismatched delete alignment", "An aligned delete was given an alignment other than the one allocated.", &[762]),
        CoreMemError => ("Memory error", "Memcheck found a memory error.", &[119]),
        Other(_) => ("Memory error", "An error the log names by this kind.", &[]),
    };
    KindInfo {
        id: format!("memcheck/{}", rule_word(e.as_str())),
        title,
        help,
        level: Level::Error,
        cwe,
    }
}

/// A kind name from the log made safe for an id: letters, digits, `-`, `_`
/// and `.` kept, anything else as `_`.
fn rule_word(s: &str) -> String {
    let w: String = s
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if w.is_empty() {
        "unknown".to_string()
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_safe() {
        assert_eq!(
            info(&GroupKind::Leak(LeakKind::DefinitelyLost)).id,
            "memcheck/definitely-lost"
        );
        assert_eq!(info(&GroupKind::Leak(LeakKind::DefinitelyLost)).cwe, &[401]);
        assert_eq!(
            info(&GroupKind::Error(ErrorKind::InvalidRead)).id,
            "memcheck/InvalidRead"
        );
        let odd = GroupKind::Error(ErrorKind::Other("heap-use-after-free <x>\n".into()));
        assert_eq!(info(&odd).id, "memcheck/heap-use-after-free__x__");
        let ids: std::collections::HashSet<String> =
            catalogue().iter().map(|k| info(k).id).collect();
        assert_eq!(ids.len(), 21, "one distinct rule per kind");
    }
}
