//! Function names as valgrind matches them, from names as logs show them.
//!
//! Valgrind tests `fun:` against mangled names (`_Znwm`), but text and XML
//! logs print demangled ones (`operator new(unsigned long)`). Where the log
//! says the mangled name (--gen-suppressions blocks), it is used; where it
//! does not, a mangled pattern without wildcards is demangled and compared,
//! and a mangled pattern with wildcards (`_ZN4llvm2cl*`) is tested on a
//! pseudo-mangled name rebuilt from the demangled one — its nested-name
//! components encoded as the Itanium ABI does, template arguments and
//! parameters left out. That last step is an approximation: a pattern that
//! spells out template arguments or parameter types only matches frames whose
//! real mangled name is known.

mod mangle;

pub use mangle::{components, pseudo_mangle, wildcard_for, Parts};

use super::pattern::Wildcard;
use crate::model::Frame;
use std::cell::OnceCell;

/// A `fun:` pattern, with what is needed to test it on demangled names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunPattern {
    pub pattern: Wildcard,
    /// The demangled, normalised form of a wildcard-free mangled pattern.
    demangled: Option<Box<str>>,
    /// A mangled pattern with wildcards: tested on pseudo-mangled names.
    mangled_wildcard: bool,
}

impl FunPattern {
    pub fn new(text: &str) -> Self {
        let pattern = Wildcard::new(text);
        let demangled = if pattern.is_simple() {
            demangle(text).map(|d| normalize(&d).into())
        } else {
            None
        };
        let mangled_wildcard = !pattern.is_simple() && text.starts_with("_Z");
        FunPattern {
            pattern,
            demangled,
            mangled_wildcard,
        }
    }

    /// Matches valgrind's test on the mangled name where the log knows it,
    /// else the equivalent test on the demangled name; a pattern written in
    /// demangled form also matches the demangled name (a leakscope extension:
    /// valgrind would not match it).
    pub fn matches(&self, names: &FrameNames) -> bool {
        if let Some(m) = &names.mangled {
            if self.pattern.matches(m) {
                return true;
            }
        }
        let shown = names.demangled.as_deref().unwrap_or("???");
        if self.pattern.matches(shown) {
            return true;
        }
        if names.mangled.is_some() {
            return false;
        }
        if let Some(d) = &self.demangled {
            // Normalising only removes or adds whitespace: a name whose other
            // characters differ (nearly every one) cannot be equal, and is
            // not normalised.
            return names
                .demangled
                .as_deref()
                .is_some_and(|n| bare(n).eq(bare(d)))
                && names.normalized() == Some(&**d);
        }
        if self.mangled_wildcard {
            if let Some(p) = names.pseudo() {
                return self.pattern.matches(p);
            }
        }
        false
    }
}

/// The names of one frame that `fun:` patterns are tested on. The
/// normalised and pseudo-mangled names are made when a pattern first needs
/// them: only a mangled pattern does, and on a few frames (a frame's names
/// are made for every location a rule is tested on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameNames {
    /// The real mangled name, when the log (or another record) says it.
    pub mangled: Option<Box<str>>,
    /// The name as a person reads it; `None` for `???`.
    pub demangled: Option<Box<str>>,
    normalized: OnceCell<Option<Box<str>>>,
    pseudo: OnceCell<Option<Box<str>>>,
}

impl FrameNames {
    /// `learned` is a mangled name known for the same function text from
    /// elsewhere in the report, used when the frame itself has none.
    pub fn of(frame: &Frame, learned: Option<&str>) -> Self {
        let Some(function) = frame.function.as_deref() else {
            return FrameNames::default();
        };
        // A sanitizer's interceptor is the allocator it replaces, as
        // valgrind's vg_replace_malloc.c frames are: `fun:malloc` matches
        // LSan's `__interceptor_malloc`.
        let function = crate::model::without_interceptor(function);
        let (mangled, demangled): (Option<Box<str>>, Box<str>) = if let Some(m) = &frame.mangled {
            (Some((**m).into()), function.into())
        } else if looks_mangled(function) {
            // A log written with --demangle=no.
            let d = demangle(function).unwrap_or_else(|| function.to_string());
            (Some(function.into()), d.into())
        } else {
            (learned.map(Into::into), function.into())
        };
        FrameNames {
            mangled,
            demangled: Some(demangled),
            ..FrameNames::default()
        }
    }

    /// The demangled name without the spacing demanglers differ in.
    fn normalized(&self) -> Option<&str> {
        let made = || self.demangled.as_deref().map(|d| normalize(d).into());
        self.normalized.get_or_init(made).as_deref()
    }

    /// The name rebuilt in mangled form, for a frame whose real mangled
    /// name is not known (see the module documentation).
    fn pseudo(&self) -> Option<&str> {
        let made = || match (&self.mangled, &self.demangled) {
            (None, Some(d)) => pseudo_mangle(d).map(Into::into),
            _ => None,
        };
        self.pseudo.get_or_init(made).as_deref()
    }
}

/// `s` without its whitespace: what [`normalize`] keeps of it.
fn bare(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !c.is_whitespace())
}

/// Whether a name is an Itanium C++ mangled name.
pub fn looks_mangled(s: &str) -> bool {
    s.starts_with("_Z") && demangle(s).is_some()
}

/// Demangles an Itanium name the way valgrind prints it; `None` when `s` is
/// not one.
pub fn demangle(s: &str) -> Option<String> {
    if !s.starts_with("_Z") {
        return None;
    }
    let sym = cpp_demangle::Symbol::new(s.as_bytes()).ok()?;
    sym.demangle(&cpp_demangle::DemangleOptions::default()).ok()
}

/// Removes whitespace that does not separate two words, so demanglers that
/// differ only in spacing (`> >` vs `>>`) compare equal.
pub fn normalize(s: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && out.chars().next_back().is_some_and(word) && word(c) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, mangled: Option<&str>) -> Frame {
        Frame {
            function: Some(function.into()),
            mangled: mangled.map(Into::into),
            ..Frame::default()
        }
    }

    #[test]
    fn demangles_like_valgrind() {
        assert_eq!(
            demangle("_Znwm").as_deref(),
            Some("operator new(unsigned long)")
        );
        assert_eq!(demangle("malloc"), None);
        assert_eq!(
            normalize("std::vector<int, std::allocator<int> >::f(unsigned  long)"),
            "std::vector<int,std::allocator<int>>::f(unsigned long)"
        );
    }

    #[test]
    fn exact_mangled_pattern_matches_demangled_frame() {
        let p = FunPattern::new("_Znwm");
        assert!(p.matches(&FrameNames::of(
            &frame("operator new(unsigned long)", None),
            None
        )));
        assert!(!p.matches(&FrameNames::of(
            &frame("operator new[](unsigned long)", None),
            None
        )));
        // The real mangled name decides when known.
        assert!(p.matches(&FrameNames::of(
            &frame("operator new(unsigned long)", Some("_Znwm")),
            None
        )));
        // A log written with --demangle=no.
        assert!(p.matches(&FrameNames::of(&frame("_Znwm", None), None)));
        // C names are the same mangled or not.
        assert!(FunPattern::new("malloc").matches(&FrameNames::of(&frame("malloc", None), None)));
        assert!(FunPattern::new("*").matches(&FrameNames::default()));
        assert!(FunPattern::new("???").matches(&FrameNames::default()));
    }

    /// Demanglers that space template brackets differently still name the
    /// same function; other characters decide.
    #[test]
    fn exact_mangled_pattern_ignores_spacing_only() {
        let p = FunPattern::new("_ZNSt6vectorIiSaIiEE9push_backERKi");
        let shown = "std::vector<int, std::allocator<int> >::push_back(int const&)";
        assert!(p.matches(&FrameNames::of(&frame(shown, None), None)));
        let tight = "std::vector<int,std::allocator<int>>::push_back(int const&)";
        assert!(p.matches(&FrameNames::of(&frame(tight, None), None)));
        let other = "std::vector<int,std::allocator<int>>::push_back(int&&)";
        assert!(!p.matches(&FrameNames::of(&frame(other, None), None)));
        let joined = "std::vector<int,std::allocator<int>>::push_back(intconst&)";
        assert!(!p.matches(&FrameNames::of(&frame(joined, None), None)));
    }

    #[test]
    fn demangled_patterns_are_a_leakscope_extension() {
        let p = FunPattern::new("llvm::cl::*");
        let f = frame(
            "llvm::cl::Option::addArgument()",
            Some("_ZN4llvm2cl6Option11addArgumentEv"),
        );
        assert!(p.matches(&FrameNames::of(&f, None)));
    }

    #[test]
    fn wildcard_patterns_match_real_and_pseudo_names() {
        let real = "_ZN4llvm2cl3optIbLb0ENS0_6parserIbEEEC2IJA10_cEEEDpRKT_";
        let shown = demangle(real).unwrap();
        let w = wildcard_for(&shown).unwrap();
        assert_eq!(w, "_Z*4llvm*2cl*3opt*C?*");
        let p = FunPattern::new(&w);
        assert!(p.pattern.matches(real));
        assert!(p.matches(&FrameNames::of(&frame(&shown, None), None)));
        // A prefix pattern from a rule file works on demangled-only frames.
        let rule = FunPattern::new("_ZN4llvm2cl*");
        assert!(rule.matches(&FrameNames::of(&frame(&shown, None), None)));
        assert!(!rule.matches(&FrameNames::of(&frame("llvm::foo()", None), None)));
        assert_eq!(
            wildcard_for("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)").as_deref(),
            Some("_Z*7__cxx11*12basic_string*9_M_create*")
        );
        assert_eq!(
            wildcard_for("std::basic_string<char>::_M_create(unsigned long&, unsigned long)")
                .as_deref(),
            Some("_Z*9_M_create*")
        );
    }
}
