//! Embeds every `rules/**/*.yaml` file (except the format reference) into the binary, so
//! built-in rules are data that ship with the tool. Each file that reads as a rule is embedded a
//! second time as JSON of the same spec types (`src/engine/spec.rs`): the binary reads that ten
//! times faster than YAML at every start. A file that does not read is embedded as YAML only,
//! so the binary reports its problem with a pointed error, as for a user's rule file.
//!
//! Every regex of those rules is also compiled here, once, into a pair of DFAs (forward and
//! reverse) embedded as bytes: the binary loads one in constant time, where building it from its
//! source took most of what a small repository's scan cost (`src/engine/pattern.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/engine/spec.rs"]
mod spec;

/// The rule as JSON of its spec, or `None` when it does not read as a rule; its regexes are
/// added to `sources`, with whether any rule searches whole texts with them.
fn as_json(text: &str, sources: &mut BTreeMap<String, bool>) -> Option<String> {
    let rule: spec::RuleSpec = serde_saphyr::from_str(text).ok()?;
    let mut found = Vec::new();
    for condition in rule.select.iter().chain(&rule.when).chain([&rule.check]) {
        regexes(condition, &mut found);
    }
    for (source, searches_texts) in found {
        *sources.entry(source.to_owned()).or_default() |= searches_texts;
    }
    serde_json::to_string(&rule).ok()
}

/// The regexes of a rule's conditions, each with whether it searches whole texts
/// (`text_matches`) rather than single values.
fn regexes<'a>(condition: &'a spec::ConditionSpec, out: &mut Vec<(&'a str, bool)>) {
    use spec::ConditionSpec as C;
    match condition {
        C::All(items) | C::Any(items) => items.iter().for_each(|c| regexes(c, out)),
        C::Not(inner) => regexes(inner, out),
        C::Matches(pattern) => out.push((&pattern.regex.value, false)),
        C::TextMatches(pattern) => out.push((&pattern.regex.value, true)),
        C::Exists(_)
        | C::Absent(_)
        | C::Equals(_)
        | C::OneOf(_)
        | C::AtLeast(_)
        | C::AtMost(_)
        | C::In(_)
        | C::NotIn(_)
        | C::Entropy(_) => {}
    }
}

/// The most bytes a built-in regex's DFAs may take together: sparse ones for a regex that
/// searches single values, dense ones (larger, several times faster per byte) for one that
/// searches whole texts. A larger regex is built when a scan first needs it, as a user rule's is.
const SPARSE_BUDGET: usize = 256 << 10;
const DENSE_BUDGET: usize = 2 << 20;

/// DFAs serialized for the target's byte order: (dense, forward, reverse).
type Serialized = (bool, Vec<u8>, Vec<u8>);

/// The forward and reverse DFAs of `source`, or `None` when they cannot be built (a Unicode
/// word boundary) or exceed their budget. Same semantics as the binary's regexes: Unicode,
/// UTF-8, leftmost-first.
fn dfas(source: &str, searches_texts: bool, big_endian: bool) -> Option<Serialized> {
    use regex_automata::dfa::{dense, regex::Regex};
    let regex = Regex::builder()
        .dense(
            dense::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .minimize(true)
                .dfa_size_limit(Some(16 * DENSE_BUDGET))
                .determinize_size_limit(Some(16 * DENSE_BUDGET)),
        )
        .build(source)
        .ok()?;
    let (forward, reverse) = (regex.forward(), regex.reverse());
    if searches_texts && forward.memory_usage() + reverse.memory_usage() <= DENSE_BUDGET {
        // Dense DFAs are read as `u32`s: the binary places them at 8-aligned offsets, so the
        // leading padding that aligns them here is dropped.
        let bytes = |dfa: &dense::DFA<Vec<u32>>| {
            let (bytes, padding) = if big_endian {
                dfa.to_bytes_big_endian()
            } else {
                dfa.to_bytes_little_endian()
            };
            bytes[padding..].to_vec()
        };
        return Some((true, bytes(forward), bytes(reverse)));
    }
    let forward = forward.to_sparse().ok()?;
    let reverse = reverse.to_sparse().ok()?;
    if forward.memory_usage() + reverse.memory_usage() > SPARSE_BUDGET {
        return None;
    }
    Some(if big_endian {
        (
            false,
            forward.to_bytes_big_endian(),
            reverse.to_bytes_big_endian(),
        )
    } else {
        (
            false,
            forward.to_bytes_little_endian(),
            reverse.to_bytes_little_endian(),
        )
    })
}

/// Writes the DFAs of every regex in `sources` to `OUT_DIR/builtin_dfas.bin` and returns the Rust
/// table locating each: (source, dense, start of forward, start of reverse, end), sorted by
/// source. Every DFA starts at an 8-aligned offset of the embedded bytes.
fn embed_dfas(sources: &BTreeMap<String, bool>, out_dir: &Path) -> String {
    let big_endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").is_ok_and(|e| e == "big");
    let mut bytes = Vec::new();
    let mut table =
        String::from("static BUILTIN_DFAS: &[(&str, bool, usize, usize, usize)] = &[\n");
    let align = |bytes: &mut Vec<u8>| bytes.resize(bytes.len().next_multiple_of(8), 0);
    for (source, searches_texts) in sources {
        if let Some((dense, forward, reverse)) = dfas(source, *searches_texts, big_endian) {
            let start = bytes.len();
            bytes.extend_from_slice(&forward);
            align(&mut bytes);
            let middle = bytes.len();
            bytes.extend_from_slice(&reverse);
            let end = bytes.len();
            align(&mut bytes);
            table.push_str(&format!(
                "    ({source:?}, {dense}, {start}, {middle}, {end}),\n"
            ));
        }
    }
    table.push_str("];\n");
    let blob = out_dir.join("builtin_dfas.bin");
    if let Err(error) = std::fs::write(&blob, bytes) {
        panic!("cannot write {}: {error}", blob.display());
    }
    table.push_str(&format!(
        "static BUILTIN_DFA_BYTES: &Aligned<[u8]> = &Aligned(*include_bytes!({:?}));\n",
        blob.display().to_string()
    ));
    table
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    println!("cargo:rerun-if-changed=src/engine/spec.rs");
    let mut code = String::from("static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    let mut prepared = String::from("static BUILTIN_JSON: &[Option<&str>] = &[\n");
    let mut sources = BTreeMap::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let relative = relative.to_string_lossy().replace('\\', "/");
        let json = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| as_json(&text, &mut sources));
        code.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
        prepared.push_str(&format!("    {json:?},\n"));
    }
    prepared.push_str("];\n");
    code.push_str("];\n");
    code.push_str(&prepared);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    code.push_str(&embed_dfas(&sources, &out_dir));
    let out = out_dir.join("builtin_rules.rs");
    if let Err(error) = std::fs::write(&out, code) {
        panic!("cannot write {}: {error}", out.display());
    }
}
