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

use super::pattern::Wildcard;
use crate::model::{base_name, Frame};

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
        if let (Some(d), Some(n)) = (&self.demangled, &names.normalized) {
            return d == n;
        }
        if self.mangled_wildcard {
            if let Some(p) = &names.pseudo {
                return self.pattern.matches(p);
            }
        }
        false
    }
}

/// The names of one frame that `fun:` patterns are tested on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameNames {
    /// The real mangled name, when the log (or another record) says it.
    pub mangled: Option<Box<str>>,
    /// The name as a person reads it; `None` for `???`.
    pub demangled: Option<Box<str>>,
    normalized: Option<Box<str>>,
    pseudo: Option<Box<str>>,
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
        let pseudo = if mangled.is_none() {
            pseudo_mangle(&demangled).map(Into::into)
        } else {
            None
        };
        FrameNames {
            normalized: Some(normalize(&demangled).into()),
            mangled,
            demangled: Some(demangled),
            pseudo,
        }
    }
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

/// A demangled function name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The qualified-name components, template arguments left out.
    pub comps: Vec<String>,
    /// A `const` member function.
    pub is_const: bool,
    /// The parameter types in Itanium encoding (`l`, `PKc`, `v` for none),
    /// where every one is a built-in type and no substitution can occur;
    /// also `None` for function templates, whose encoding puts template
    /// arguments and the return type first.
    pub params: Option<String>,
}

/// Takes apart a demangled function name:
/// `void std::vector<int>::push_back(int const&) const` → ["std", "vector",
/// "push_back"], const, params `RKi`. `None` for names this cannot take
/// apart (operators other than new/delete and a few others, lambdas,
/// conversion functions, C functions without a parameter list).
pub fn components(demangled: &str) -> Option<Parts> {
    let mut s = demangled.trim();
    while s.ends_with(']') {
        match s.rfind(" [clone ") {
            Some(i) => s = s[..i].trim_end(),
            None => break,
        }
    }
    let mut is_const = false;
    loop {
        if let Some(r) = s.strip_suffix(" const") {
            is_const = true;
            s = r;
        } else if let Some(r) = s
            .strip_suffix(" volatile")
            .or_else(|| s.strip_suffix(" &&"))
            .or_else(|| s.strip_suffix(" &"))
            .or_else(|| s.strip_suffix(" noexcept"))
        {
            s = r;
        } else {
            break;
        }
    }
    if !s.ends_with(')') {
        // No parameter list: a C function (or `(below main)`), which has no
        // mangled form at all.
        return None;
    }
    let base = base_name(s);
    let param_text = s[base.len()..].trim_start();
    let param_text = param_text
        .strip_prefix('(')
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or("");
    let s = base;
    if s.contains('{') {
        return None;
    }
    let s = s.replace("(anonymous namespace)", "_GLOBAL__N_1");
    let s = strip_return_type(&s)?;
    let templated = s.ends_with('>');
    let mut comps = Vec::new();
    for part in split_top(s, "::")? {
        let part = strip_templates(part)?;
        if part.is_empty() {
            return None;
        }
        if let Some(op) = part.strip_prefix("operator") {
            if op.starts_with(|c: char| c.is_alphanumeric() || c == '_') && !op.starts_with(' ') {
                // An identifier that starts with "operator" (`operators_`).
                comps.push(part.to_string());
                continue;
            }
            comps.push(format!("operator{}", op.trim()));
            continue;
        }
        if !part
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '~' || c == '.' || c == '$')
        {
            return None;
        }
        comps.push(part.to_string());
    }
    if comps.is_empty() {
        return None;
    }
    let params = if templated {
        None
    } else {
        encode_params(param_text)
    };
    Some(Parts {
        comps,
        is_const,
        params,
    })
}

/// Encodes a parameter list of built-in types: `unsigned long, char const*`
/// → `mPKc`, an empty list → `v`. `None` when a type is not built-in, or
/// when a compound type repeats (the real encoding would then use a
/// substitution such as `S_`).
fn encode_params(list: &str) -> Option<String> {
    let list = list.trim();
    if list.is_empty() || list == "void" {
        return Some("v".to_string());
    }
    let is_compound = |e: &str| e.len() > 1 && !matches!(e, "Ds" | "Di" | "Du" | "Dn");
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    for param in split_top(list, ",")? {
        let enc = encode_type(param.trim())?;
        // Each compound part (`PKc` and `Kc`) becomes a substitution
        // candidate; meeting one again means the encoding would differ.
        let parts: Vec<String> = (0..enc.len())
            .map(|i| enc[i..].to_string())
            .filter(|p| is_compound(p))
            .collect();
        if parts.iter().any(|p| seen.contains(p)) {
            return None;
        }
        seen.extend(parts);
        out.push_str(&enc);
    }
    Some(out)
}

/// One parameter type: built-in, with `const`, `*`, `&`, `&&` around it.
fn encode_type(t: &str) -> Option<String> {
    let mut t = t.trim();
    let mut prefix = String::new();
    let mut outermost = true;
    loop {
        if let Some(r) = t.strip_suffix("&&") {
            prefix.push('O');
            t = r.trim_end();
        } else if let Some(r) = t.strip_suffix('&') {
            prefix.push('R');
            t = r.trim_end();
        } else if let Some(r) = t.strip_suffix('*') {
            prefix.push('P');
            t = r.trim_end();
        } else if let Some(r) = t.strip_suffix(" const") {
            // A top-level const is not part of a parameter's type.
            if !outermost {
                prefix.push('K');
            }
            t = r.trim_end();
        } else if let Some(r) = t.strip_prefix("const ") {
            t = r.trim_start();
            let base = builtin_code(t)?;
            return Some(format!("{prefix}K{base}"));
        } else {
            break;
        }
        outermost = false;
    }
    Some(format!("{prefix}{}", builtin_code(t)?))
}

fn builtin_code(t: &str) -> Option<&'static str> {
    Some(match t {
        "void" => "v",
        "wchar_t" => "w",
        "bool" => "b",
        "char" => "c",
        "signed char" => "a",
        "unsigned char" => "h",
        "short" => "s",
        "unsigned short" => "t",
        "int" => "i",
        "unsigned int" => "j",
        "long" => "l",
        "unsigned long" => "m",
        "long long" => "x",
        "unsigned long long" => "y",
        "__int128" => "n",
        "unsigned __int128" => "o",
        "float" => "f",
        "double" => "d",
        "long double" => "e",
        "char16_t" => "Ds",
        "char32_t" => "Di",
        "char8_t" => "Du",
        "decltype(nullptr)" => "Dn",
        "..." => "z",
        _ => return None,
    })
}

/// The Itanium encoding of one component, given the one before it (a
/// component equal to its class name is a constructor).
fn encode(comp: &str, prev: Option<&str>, ctor: &str, dtor: &str) -> Option<String> {
    if let Some(op) = comp.strip_prefix("operator") {
        let code = match op {
            "new" => "nw",
            "new[]" => "na",
            "delete" => "dl",
            "delete[]" => "da",
            "()" => "cl",
            "[]" => "ix",
            "=" => "aS",
            "==" => "eq",
            _ => return None,
        };
        return Some(code.to_string());
    }
    if comp.starts_with('~') {
        return Some(dtor.to_string());
    }
    if Some(comp) == prev {
        return Some(ctor.to_string());
    }
    Some(format!("{}{}", comp.len(), comp))
}

/// A stand-in for the mangled name of a demangled function, precise enough
/// for patterns that name the nested-name prefix (`_ZN4llvm2cl*`).
pub fn pseudo_mangle(demangled: &str) -> Option<String> {
    let Parts {
        comps,
        is_const,
        params,
    } = components(demangled)?;
    let (std, rest) = match comps.split_first() {
        Some((first, rest)) if first == "std" && !rest.is_empty() => (true, rest),
        _ => (false, &comps[..]),
    };
    let mut enc = String::new();
    let mut prev: Option<&str> = None;
    for c in rest {
        enc.push_str(&encode(c, prev, "C1", "D1")?);
        prev = Some(c);
    }
    let nested = rest.len() > 1 || (std && is_const);
    let params = params.unwrap_or_default();
    Some(match (nested, std) {
        (false, false) => format!("_Z{enc}{params}"),
        (false, true) => format!("_ZSt{enc}{params}"),
        (true, _) => format!(
            "_ZN{}{}{enc}E{params}",
            if is_const { "K" } else { "" },
            if std { "St" } else { "" }
        ),
    })
}

/// A `fun:` pattern valgrind accepts that matches the real mangled name of a
/// demangled C++ function whose mangled name the log does not give:
/// `ns::make_widget(int)` → `_Z*2ns*11make_widget*`. Leakscope's own matcher
/// accepts it on the demangled name through the pseudo-mangled form.
pub fn wildcard_for(demangled: &str) -> Option<String> {
    let comps = components(demangled)?.comps;
    let mut parts = Vec::new();
    let mut prev: Option<&str> = None;
    let mut skip_std_abbrev = false;
    for (i, c) in comps.iter().enumerate() {
        let p = prev.replace(c.as_str());
        if i == 0 && c == "std" {
            // std:: is `St`, or folded into `Sa`/`Ss`/… with its next name.
            skip_std_abbrev = true;
            continue;
        }
        if skip_std_abbrev && i == 1 {
            skip_std_abbrev = false;
            if matches!(
                c.as_str(),
                "allocator" | "basic_string" | "basic_istream" | "basic_ostream" | "basic_iostream"
            ) {
                continue;
            }
        }
        parts.push(encode(c, p, "C?", "D?")?);
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("_Z*{}*", parts.join("*")))
}

/// Strips a leading return type: the text before the last top-level space.
fn strip_return_type(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut cut = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"operator") && (i == 0 || !is_word(b[i - 1])) {
            // The rest is the operator's own text (`operator new[]`, `operator<`).
            break;
        }
        match b[i] {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            b' ' if depth == 0 => cut = i + 1,
            _ => {}
        }
        if depth < 0 {
            return None;
        }
        i += 1;
    }
    Some(&s[cut..])
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Splits at `sep` outside `<>`, `()` and `[]`.
fn split_top<'a>(s: &'a str, sep: &str) -> Option<Vec<&'a str>> {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if depth == 0 && b[i..].starts_with(b"operator") && (i == 0 || !is_word(b[i - 1])) {
            // An operator name runs to the end: `operator<<`, `operator()`.
            break;
        }
        match b[i] {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return None;
        }
        if depth == 0 && b[i..].starts_with(sep.as_bytes()) {
            parts.push(&s[start..i]);
            i += sep.len();
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// `opt<bool, false>` → `opt`; an operator keeps its text.
fn strip_templates(part: &str) -> Option<&str> {
    if part.starts_with("operator") {
        return Some(part);
    }
    match part.find('<') {
        Some(i) => part.ends_with('>').then_some(&part[..i]),
        None => Some(part),
    }
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
    fn pseudo_mangling() {
        assert_eq!(
            pseudo_mangle("llvm::MCRegisterInfo::getCachedAliasesOf(llvm::MCRegister) const")
                .as_deref(),
            Some("_ZNK4llvm14MCRegisterInfo18getCachedAliasesOfE")
        );
        assert_eq!(
            pseudo_mangle("void std::vector<unsigned short, std::allocator<unsigned short> >::_M_realloc_insert<unsigned short>(__gnu_cxx::__normal_iterator<unsigned short*, std::vector<unsigned short, std::allocator<unsigned short> > >, unsigned short&&)").as_deref(),
            Some("_ZNSt6vector17_M_realloc_insertE")
        );
        assert_eq!(pseudo_mangle("main"), None);
        assert_eq!(pseudo_mangle("(below main)"), None);
        assert_eq!(pseudo_mangle("f(int)").as_deref(), Some("_Z1fi"));
        assert_eq!(pseudo_mangle("f()").as_deref(), Some("_Z1fv"));
        assert_eq!(
            pseudo_mangle("ns::f(char const*, unsigned long)").as_deref(),
            Some("_ZN2ns1fEPKcm")
        );
        // A repeated compound type: the real name would use a substitution.
        assert_eq!(
            pseudo_mangle("ns::f(char const*, char const*)").as_deref(),
            Some("_ZN2ns1fE")
        );
        assert_eq!(
            pseudo_mangle("ns::f(long&&, int* const)").as_deref(),
            Some("_ZN2ns1fEOlPi")
        );
        // A function template: template arguments and return type come first.
        assert_eq!(
            pseudo_mangle("void ns::f<int>(int)").as_deref(),
            Some("_ZN2ns1fE")
        );
        assert_eq!(
            pseudo_mangle("operator new(unsigned long)").as_deref(),
            Some("_Znwm")
        );
        assert_eq!(
            pseudo_mangle("registry::Entry::Entry(long)").as_deref(),
            Some("_ZN8registry5EntryC1El")
        );
        assert_eq!(
            pseudo_mangle("llvm::cl::opt<bool, false, llvm::cl::parser<bool> >::opt<char [10]>(char const (&) [10])").as_deref(),
            Some("_ZN4llvm2cl3optC1E")
        );
        assert_eq!(
            pseudo_mangle("(anonymous namespace)::Foo::~Foo()").as_deref(),
            Some("_ZN12_GLOBAL__N_13FooD1Ev")
        );
        assert_eq!(
            pseudo_mangle("foo::{lambda(int)#1}::operator()(int) const"),
            None
        );
        assert_eq!(pseudo_mangle("std::ostream::operator<<(int)"), None);
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
