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

/// The bytes of the forward and the reverse DFA `build.rs` compiled from the built-in regex
/// `source`, or `None` when it compiled none (too large, or a Unicode word boundary).
pub fn dfa_bytes(source: &str) -> Option<(&'static [u8], &'static [u8])> {
    let at = BUILTIN_DFAS
        .binary_search_by(|(s, ..)| (*s).cmp(source))
        .ok()?;
    let (_, start, middle, end) = BUILTIN_DFAS[at];
    Some((
        BUILTIN_DFA_BYTES.get(start..middle)?,
        BUILTIN_DFA_BYTES.get(middle..end)?,
    ))
}

/// Every source `dfa_bytes` has DFAs for.
pub fn dfa_sources() -> impl Iterator<Item = &'static str> {
    BUILTIN_DFAS.iter().map(|(source, ..)| *source)
}
