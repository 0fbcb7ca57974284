//! pip requirement files, and the PEP 508 requirement strings that pyproject.toml shares with
//! them (`name[extra] >=1.0, <2 ; python_version < "3.11"`).

use std::ops::Range;

use super::{Dep, Found, lines_with_offsets};

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    for (offset, line) in lines_with_offsets(text) {
        let code = strip_comment(line);
        let trimmed = code.trim_start();
        let start = offset + (code.len() - trimmed.len());
        // Options (`-r base.txt`, `-e .`, `--index-url …`) are not requirements.
        if trimmed.starts_with('-') {
            continue;
        }
        // A trailing `\` continues the line with options such as `--hash`.
        let spec = trimmed.trim_end().trim_end_matches('\\').trim_end();
        if let Some(dep) = requirement(spec, start, false) {
            found.deps.push(dep);
        }
    }
    found
}

/// pip treats `#` as a comment at line start or after whitespace (URLs may contain `#egg=`).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let cut = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t'));
    cut.and_then(|i| line.get(..i)).unwrap_or(line)
}

/// One PEP 508 requirement starting at byte `start` of the file; `None` for URLs, paths and
/// anything without a plausible project name.
pub(super) fn requirement(spec: &str, start: usize, dev: bool) -> Option<Dep> {
    let name_end = spec
        .find(|c: char| "=<>!~[;@ \t(".contains(c))
        .unwrap_or(spec.len());
    let name = spec.get(..name_end)?;
    if !is_project_name(name) {
        return None;
    }
    let version = version_of(spec.get(name_end..).unwrap_or(""));
    Some(Dep {
        name: name.to_string(),
        version,
        dev,
        span: span_of(start, spec),
    })
}

fn span_of(start: usize, spec: &str) -> Range<usize> {
    start..start + spec.len()
}

/// The version specifier after the name and extras, before any marker; a direct reference
/// (`name @ https://…`) keeps its URL.
fn version_of(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(extras) => extras.split_once(']').map_or("", |(_, after)| after),
        None => rest,
    };
    let rest = rest.split(';').next().unwrap_or("").trim();
    let rest = rest.strip_prefix('@').map_or(rest, str::trim);
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

fn is_project_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
