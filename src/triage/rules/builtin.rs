//! The built-in rule sets: every assets/rules/*.supp, embedded at build time
//! by build.rs. They are ordinary suppression files, so the same file can be
//! handed to valgrind with --suppressions.

/// How built-in sets are named in messages and in the JSON `file` field.
pub const BUILTIN_PREFIX: &str = "builtin:";

static SETS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// (file name, contents) of each built-in set, sorted by name.
pub fn builtin_sets() -> &'static [(&'static str, &'static str)] {
    SETS
}
