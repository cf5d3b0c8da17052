//! The `Tool:Kind` line of a suppression and what it matches.
//!
//! Memcheck decides kinds in `MC_(error_matches_suppression)`: sizes matter
//! (`Addr8` hides only 8-byte invalid accesses), `Free` covers mismatched
//! frees too, `Param` compares the syscall parameter named on its extra line.
//! The sizes and names are read back from the error's headline, which both
//! text and XML logs carry.

use crate::model::{ErrorKind, LeakKind, MemcheckError};

/// A set of leak kinds, as `match-leak-kinds:` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeakKinds(u8);

impl LeakKinds {
    pub const ALL: LeakKinds = LeakKinds(0b1111);
    pub const NONE: LeakKinds = LeakKinds(0);

    pub fn only(k: LeakKind) -> Self {
        LeakKinds(1 << k.index())
    }

    pub fn insert(&mut self, k: LeakKind) {
        self.0 |= 1 << k.index();
    }

    pub fn contains(self, k: LeakKind) -> bool {
        self.0 & (1 << k.index()) != 0
    }

    pub fn is_all(self) -> bool {
        self == Self::ALL
    }

    /// Parses the value of `match-leak-kinds:` as valgrind's
    /// `VG_(parse_enum_set)` does: comma-separated words, or `all` / `none`
    /// alone. Returns the offending word on error.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "all" => return Ok(Self::ALL),
            "none" => return Ok(Self::NONE),
            _ => {}
        }
        let mut set = Self::NONE;
        for word in s.split(',') {
            match LeakKind::from_option_word(word) {
                Some(k) => set.insert(k),
                None => return Err(word.to_string()),
            }
        }
        Ok(set)
    }

    /// `definite,possible`, as valgrind writes it.
    pub fn words(self) -> String {
        if self.is_all() {
            return "all".to_string();
        }
        let words: Vec<&str> = LeakKind::ALL
            .into_iter()
            .filter(|&k| self.contains(k))
            .map(LeakKind::option_word)
            .collect();
        if words.is_empty() {
            "none".to_string()
        } else {
            words.join(",")
        }
    }
}

/// The Memcheck suppression kinds, with their extra information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppKind {
    Leak(LeakKinds),
    /// The syscall parameter, e.g. `write(buf)`.
    Param(String),
    User,
    CoreMem,
    Addr(u32),
    Value(u32),
    Cond,
    Jump,
    Free,
    Overlap,
    Mempool,
    /// `function(argument)` from the extra line, when given.
    FishyValue(Option<(String, String)>),
    ReallocZero,
    BadAlign,
    UnsafeZeroSize,
    SizeMismatch,
    AlignMismatch,
}

/// Names valgrind 3.27 accepts after `Memcheck:`, for messages.
pub const KIND_NAMES: &str =
    "Leak, Param, Cond, Value1/2/4/8/16/32, Addr1/2/4/8/16/32, Jump, Free, \
Overlap, User, CoreMem, Mempool, FishyValue, ReallocZero, BadAlign, UnsafeZeroSize, \
SizeMismatch, AlignMismatch";

impl SuppKind {
    /// The kind named after `Memcheck:`, before any extra line is read.
    pub fn from_name(name: &str) -> Option<Self> {
        let sized = |prefix: &str| -> Option<u32> {
            let n: u32 = name.strip_prefix(prefix)?.parse().ok()?;
            [1, 2, 4, 8, 16, 32].contains(&n).then_some(n)
        };
        Some(match name {
            "Leak" => SuppKind::Leak(LeakKinds::ALL),
            "Param" => SuppKind::Param(String::new()),
            "User" => SuppKind::User,
            "CoreMem" => SuppKind::CoreMem,
            "Jump" => SuppKind::Jump,
            "Free" => SuppKind::Free,
            "Overlap" => SuppKind::Overlap,
            "Mempool" => SuppKind::Mempool,
            "Cond" | "Value0" => SuppKind::Cond,
            "FishyValue" => SuppKind::FishyValue(None),
            "ReallocZero" => SuppKind::ReallocZero,
            "BadAlign" => SuppKind::BadAlign,
            "BadSize" | "UnsafeZeroSize" => SuppKind::UnsafeZeroSize,
            "SizeMismatch" => SuppKind::SizeMismatch,
            "AlignMismatch" => SuppKind::AlignMismatch,
            _ => {
                if let Some(n) = sized("Addr") {
                    SuppKind::Addr(n)
                } else if let Some(n) = sized("Value") {
                    SuppKind::Value(n)
                } else {
                    return None;
                }
            }
        })
    }

    pub fn is_leak(&self) -> bool {
        matches!(self, SuppKind::Leak(_))
    }

    /// The `Memcheck:Kind` word, as written in a file.
    pub fn name(&self) -> String {
        match self {
            SuppKind::Leak(_) => "Leak".into(),
            SuppKind::Param(_) => "Param".into(),
            SuppKind::User => "User".into(),
            SuppKind::CoreMem => "CoreMem".into(),
            SuppKind::Addr(n) => format!("Addr{n}"),
            SuppKind::Value(n) => format!("Value{n}"),
            SuppKind::Cond => "Cond".into(),
            SuppKind::Jump => "Jump".into(),
            SuppKind::Free => "Free".into(),
            SuppKind::Overlap => "Overlap".into(),
            SuppKind::Mempool => "Mempool".into(),
            SuppKind::FishyValue(_) => "FishyValue".into(),
            SuppKind::ReallocZero => "ReallocZero".into(),
            SuppKind::BadAlign => "BadAlign".into(),
            SuppKind::UnsafeZeroSize => "UnsafeZeroSize".into(),
            SuppKind::SizeMismatch => "SizeMismatch".into(),
            SuppKind::AlignMismatch => "AlignMismatch".into(),
        }
    }

    pub fn matches_leak(&self, kind: LeakKind) -> bool {
        matches!(self, SuppKind::Leak(k) if k.contains(kind))
    }

    pub fn matches_error(&self, e: &MemcheckError) -> bool {
        let what = &*e.what;
        let other =
            |names: &[&str]| matches!(&e.kind, ErrorKind::Other(n) if names.contains(&&**n));
        match self {
            SuppKind::Leak(_) => false,
            SuppKind::Param(p) => {
                e.kind == ErrorKind::SyscallParam && syscall_param(what) == Some(p.as_str())
            }
            SuppKind::User => e.kind == ErrorKind::ClientCheck,
            SuppKind::CoreMem => e.kind == ErrorKind::CoreMemError || other(&["CoreMemError"]),
            SuppKind::Addr(n) => {
                matches!(e.kind, ErrorKind::InvalidRead | ErrorKind::InvalidWrite)
                    && access_size(what) == Some(*n)
            }
            SuppKind::Value(n) => e.kind == ErrorKind::UninitValue && access_size(what) == Some(*n),
            SuppKind::Cond => e.kind == ErrorKind::UninitCondition,
            SuppKind::Jump => e.kind == ErrorKind::InvalidJump,
            SuppKind::Free => {
                matches!(e.kind, ErrorKind::InvalidFree | ErrorKind::MismatchedFree)
            }
            SuppKind::Overlap => e.kind == ErrorKind::Overlap,
            SuppKind::Mempool => e.kind == ErrorKind::InvalidMemPool,
            SuppKind::FishyValue(fa) => {
                e.kind == ErrorKind::FishyValue
                    && match fa {
                        Some((f, a)) => fishy_value(what) == Some((f.as_str(), a.as_str())),
                        None => true,
                    }
            }
            SuppKind::ReallocZero => e.kind == ErrorKind::ReallocSizeZero,
            SuppKind::BadAlign => {
                e.kind == ErrorKind::InvalidAlignment || other(&["InvalidSizeAndAlignment"])
            }
            SuppKind::UnsafeZeroSize => {
                other(&["InvalidSize"]) || what.starts_with("Unsafe allocation with size of zero")
            }
            SuppKind::SizeMismatch => {
                e.kind == ErrorKind::SizeMismatch || other(&["MismatchedAllocateDeallocateSize"])
            }
            SuppKind::AlignMismatch => {
                e.kind == ErrorKind::AlignMismatch
                    || other(&["MismatchedAllocateDeallocateAlignment"])
            }
        }
    }
}

/// `Invalid read of size 8`, `Use of uninitialised value of size 4` → the size.
pub fn access_size(what: &str) -> Option<u32> {
    let i = what.find(" of size ")?;
    let rest = &what[i + " of size ".len()..];
    let digits: &str = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// `Syscall param write(buf) points to uninitialised byte(s)` → `write(buf)`.
pub fn syscall_param(what: &str) -> Option<&str> {
    let rest = what.strip_prefix("Syscall param ")?;
    let end = rest
        .find(" points to ")
        .or_else(|| rest.find(" contains "))?;
    Some(&rest[..end])
}

/// `Argument 'size' of function malloc has a fishy …` → (`malloc`, `size`).
pub fn fishy_value(what: &str) -> Option<(&str, &str)> {
    let rest = what.strip_prefix("Argument '")?;
    let (arg, rest) = rest.split_once("' of function ")?;
    let (func, _) = rest.split_once(" has a fishy")?;
    Some((func, arg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interner;

    fn err(kind: ErrorKind, what: &str) -> MemcheckError {
        MemcheckError {
            kind,
            what: what.into(),
            stack: Interner::EMPTY_STACK,
            aux: Box::default(),
            count: 1,
            suppression: None,
            line: 1,
        }
    }

    #[test]
    fn leak_kind_sets() {
        assert_eq!(LeakKinds::parse("all"), Ok(LeakKinds::ALL));
        assert_eq!(LeakKinds::parse("none"), Ok(LeakKinds::NONE));
        let k = LeakKinds::parse("definite,possible").unwrap();
        assert!(k.contains(LeakKind::DefinitelyLost) && k.contains(LeakKind::PossiblyLost));
        assert!(!k.contains(LeakKind::StillReachable));
        assert_eq!(k.words(), "definite,possible");
        assert_eq!(
            LeakKinds::parse("definite, possible"),
            Err(" possible".into())
        );
        assert_eq!(LeakKinds::parse("definite,all"), Err("all".into()));
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(SuppKind::from_name("Addr8"), Some(SuppKind::Addr(8)));
        assert_eq!(SuppKind::from_name("Value0"), Some(SuppKind::Cond));
        assert_eq!(SuppKind::from_name("Addr3"), None);
        assert_eq!(SuppKind::from_name("Leaks"), None);
        assert_eq!(
            SuppKind::from_name("BadSize"),
            Some(SuppKind::UnsafeZeroSize)
        );
    }

    #[test]
    fn error_kinds_and_sizes() {
        let r8 = err(ErrorKind::InvalidRead, "Invalid read of size 8");
        let w4 = err(ErrorKind::InvalidWrite, "Invalid write of size 4");
        assert!(SuppKind::Addr(8).matches_error(&r8));
        assert!(!SuppKind::Addr(4).matches_error(&r8));
        assert!(SuppKind::Addr(4).matches_error(&w4));
        let v = err(
            ErrorKind::UninitValue,
            "Use of uninitialised value of size 8",
        );
        assert!(SuppKind::Value(8).matches_error(&v) && !SuppKind::Cond.matches_error(&v));
        let p = err(
            ErrorKind::SyscallParam,
            "Syscall param write(buf) points to uninitialised byte(s)",
        );
        assert!(SuppKind::Param("write(buf)".into()).matches_error(&p));
        assert!(!SuppKind::Param("write(count)".into()).matches_error(&p));
        let f = err(
            ErrorKind::FishyValue,
            "Argument 'size' of function malloc has a fishy (possibly negative) value: -1",
        );
        assert!(SuppKind::FishyValue(Some(("malloc".into(), "size".into()))).matches_error(&f));
        assert!(!SuppKind::FishyValue(Some(("calloc".into(), "size".into()))).matches_error(&f));
        let mf = err(
            ErrorKind::MismatchedFree,
            "Mismatched free() / delete / delete []",
        );
        assert!(SuppKind::Free.matches_error(&mf));
        assert!(!SuppKind::Leak(LeakKinds::ALL).matches_error(&mf));
    }
}
