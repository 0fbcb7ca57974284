//! The built-in rule files, embedded in the binary at build time (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Every built-in rule file as (path relative to the crate, text), sorted by path.
pub fn files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}

/// Each file of `files()` (same order) as JSON of its spec, prepared by `build.rs`; `None` for a
/// file that does not read as a rule (compiling its YAML reports why).
pub fn prepared() -> &'static [Option<&'static str>] {
    BUILTIN_JSON
}
