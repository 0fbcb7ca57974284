//! The built-in rule files, embedded in the binary at build time (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Every built-in rule file as (path relative to the crate, text), sorted by path.
pub fn files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}
