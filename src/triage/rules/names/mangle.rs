//! Pseudo-mangled names: a demangled C++ function name taken apart and its
//! nested-name components encoded as the Itanium ABI does, for `fun:`
//! patterns written against mangled names (`_ZN4llvm2cl*`) when the log
//! gives only the demangled name.

use crate::model::base_name;

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
}
