//! Memcheck errors other than leaks: invalid reads, uninitialised values, bad frees…

use super::interner::StackId;
use std::fmt;

/// Error kinds, named as valgrind's XML protocol names them, so text and XML
/// logs of the same run agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    InvalidRead,
    InvalidWrite,
    UninitCondition,
    UninitValue,
    InvalidFree,
    MismatchedFree,
    InvalidJump,
    SyscallParam,
    Overlap,
    FishyValue,
    ClientCheck,
    InvalidMemPool,
    InvalidAlignment,
    ReallocSizeZero,
    SizeMismatch,
    AlignMismatch,
    CoreMemError,
    /// A kind leakscope does not know by name (another tool, a newer valgrind);
    /// kept with the name the log gave it.
    Other(Box<str>),
}

impl ErrorKind {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorKind::InvalidRead => "InvalidRead",
            ErrorKind::InvalidWrite => "InvalidWrite",
            ErrorKind::UninitCondition => "UninitCondition",
            ErrorKind::UninitValue => "UninitValue",
            ErrorKind::InvalidFree => "InvalidFree",
            ErrorKind::MismatchedFree => "MismatchedFree",
            ErrorKind::InvalidJump => "InvalidJump",
            ErrorKind::SyscallParam => "SyscallParam",
            ErrorKind::Overlap => "Overlap",
            ErrorKind::FishyValue => "FishyValue",
            ErrorKind::ClientCheck => "ClientCheck",
            ErrorKind::InvalidMemPool => "InvalidMemPool",
            ErrorKind::InvalidAlignment => "InvalidAlignment",
            ErrorKind::ReallocSizeZero => "ReallocSizeZero",
            ErrorKind::SizeMismatch => "SizeMismatch",
            ErrorKind::AlignMismatch => "AlignMismatch",
            ErrorKind::CoreMemError => "CoreMemError",
            ErrorKind::Other(s) => s,
        }
    }

    /// Parses an XML `<kind>`; unknown names become `Other`.
    pub fn from_xml(s: &str) -> Self {
        const KNOWN: [ErrorKind; 17] = [
            ErrorKind::InvalidRead,
            ErrorKind::InvalidWrite,
            ErrorKind::UninitCondition,
            ErrorKind::UninitValue,
            ErrorKind::InvalidFree,
            ErrorKind::MismatchedFree,
            ErrorKind::InvalidJump,
            ErrorKind::SyscallParam,
            ErrorKind::Overlap,
            ErrorKind::FishyValue,
            ErrorKind::ClientCheck,
            ErrorKind::InvalidMemPool,
            ErrorKind::InvalidAlignment,
            ErrorKind::ReallocSizeZero,
            ErrorKind::SizeMismatch,
            ErrorKind::AlignMismatch,
            ErrorKind::CoreMemError,
        ];
        KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| ErrorKind::Other(s.into()))
    }

    /// Classifies a text-log headline (`Invalid read of size 8`, …).
    pub fn from_headline(h: &str) -> Option<Self> {
        let k = if h.starts_with("Invalid read of size") {
            ErrorKind::InvalidRead
        } else if h.starts_with("Invalid write of size") {
            ErrorKind::InvalidWrite
        } else if h.starts_with("Conditional jump or move depends on uninitialised value") {
            ErrorKind::UninitCondition
        } else if h.starts_with("Use of uninitialised value of size") {
            ErrorKind::UninitValue
        } else if h.starts_with("Invalid free()") {
            ErrorKind::InvalidFree
        } else if h.starts_with("Mismatched free()") {
            ErrorKind::MismatchedFree
        } else if h.starts_with("Mismatched new/delete size")
            || h.starts_with("Mismatched new[]/delete[] size")
        {
            ErrorKind::SizeMismatch
        } else if h.starts_with("Mismatched new/delete alignment")
            || h.starts_with("Mismatched new[]/delete[] alignment")
        {
            ErrorKind::AlignMismatch
        } else if h.starts_with("Jump to the invalid address stated on the next line") {
            ErrorKind::InvalidJump
        } else if h.starts_with("Syscall param ") {
            ErrorKind::SyscallParam
        } else if h.starts_with("Source and destination overlap in ") {
            ErrorKind::Overlap
        } else if h.starts_with("Argument '") && h.contains(" has a fishy ") {
            ErrorKind::FishyValue
        } else if h.ends_with("found during client check request") {
            ErrorKind::ClientCheck
        } else if h.starts_with("Illegal memory pool address") {
            ErrorKind::InvalidMemPool
        } else if h.starts_with("Invalid alignment value")
            || h.contains("invalid size value")
            || h.contains("invalid alignment value")
        {
            ErrorKind::InvalidAlignment
        } else if h.starts_with("realloc() with size 0") {
            ErrorKind::ReallocSizeZero
        } else {
            return None;
        };
        Some(k)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary stack, with the sentence that introduces it: `Address 0x… is 0
/// bytes after a block of size 10 alloc'd`, `Block was alloc'd at`,
/// `Uninitialised value was created by a heap allocation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxStack {
    pub what: Box<str>,
    /// Empty when the sentence has no stack (`Address 0x0 is not stack'd…`).
    pub stack: StackId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemcheckError {
    pub kind: ErrorKind,
    /// The headline (`what`): `Invalid read of size 8`.
    pub what: Box<str>,
    pub stack: StackId,
    /// Boxed slice, not `Vec`: an error's aux stacks never grow once parsed.
    pub aux: Box<[AuxStack]>,
    /// How many times this context occurred, where the log says (-v/-s listings,
    /// XML `<errorcounts>`); 1 otherwise.
    pub count: u64,
    pub suppression: Option<Box<str>>,
    pub line: u64,
}
