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

/// Bytes aligned for the dense DFAs among `BUILTIN_DFA_BYTES`, which are read as `u32`s.
#[repr(C, align(8))]
struct Aligned<T: ?Sized>(T);

/// The DFAs `build.rs` compiled from a built-in regex.
#[derive(Clone, Copy, Debug)]
pub struct DfaBytes {
    /// Dense (a regex that searches whole texts) or sparse.
    pub dense: bool,
    pub forward: &'static [u8],
    pub reverse: &'static [u8],
}

/// The DFAs `build.rs` compiled from the built-in regex `source`, or `None` when it compiled
/// none (too large, or a Unicode word boundary).
pub fn dfa_bytes(source: &str) -> Option<DfaBytes> {
    let at = BUILTIN_DFAS
        .binary_search_by(|(s, ..)| (*s).cmp(source))
        .ok()?;
    let (_, dense, start, middle, end) = BUILTIN_DFAS[at];
    Some(DfaBytes {
        dense,
        forward: BUILTIN_DFA_BYTES.0.get(start..middle)?,
        reverse: BUILTIN_DFA_BYTES.0.get(middle..end)?,
    })
}

/// Every source `dfa_bytes` has DFAs for.
pub fn dfa_sources() -> impl Iterator<Item = &'static str> {
    BUILTIN_DFAS.iter().map(|(source, ..)| *source)
}
