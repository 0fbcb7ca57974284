//! Reading dependency tables out of TOML manifests (Cargo.toml, pyproject.toml, Pipfile) with
//! the spans toml's `DeTable` keeps.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Dep, Found, pip};

const MAX_ERRORS: usize = 20;

/// Parses a TOML manifest, recovering what it can; syntax errors land in `found`.
pub(super) fn parse<'i>(text: &'i str, found: &mut Found) -> Spanned<DeTable<'i>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    // Recovery can report one error per line of a broken file; the first few say enough.
    for err in errors.into_iter().take(MAX_ERRORS) {
        let span = err.span().unwrap_or(0..0);
        found.error(format!("invalid TOML: {}", err.message()), span);
    }
    table
}

/// The table at a dotted path of keys (`["tool", "poetry", "dependencies"]`).
pub(super) fn table_at<'a, 'i>(root: &'a DeTable<'i>, path: &[&str]) -> Option<&'a DeTable<'i>> {
    path.iter()
        .try_fold(root, |table, key| table.get(*key)?.get_ref().as_table())
}

/// `name = "1.0"` / `name = { version = "1.0", … }` entries, as Cargo, Poetry and Pipfile write
/// them. Keys in `skip` (Poetry's `python`) are not dependencies.
pub(super) fn named_entries(table: &DeTable<'_>, dev: bool, skip: &[&str], found: &mut Found) {
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if skip.contains(&name) {
            continue;
        }
        found.deps.push(Dep {
            name: name.to_string(),
            version: version_of(value.get_ref()),
            dev,
            span: entry_span(key.span(), value.span()),
        });
    }
}

/// An array of PEP 508 strings (`dependencies = ["requests>=2"]`); each string is one entry.
pub(super) fn requirement_array(value: &DeValue<'_>, dev: bool, found: &mut Found) {
    let Some(items) = value.as_array() else {
        return;
    };
    for item in items.iter() {
        let Some(spec) = item.get_ref().as_str() else {
            continue;
        };
        let span = item.span();
        if let Some(mut dep) = pip::requirement(spec.trim(), span.start, dev) {
            dep.span = span;
            found.deps.push(dep);
        }
    }
}

fn version_of(value: &DeValue<'_>) -> Option<String> {
    match value {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Table(t) => t
            .get("version")
            .and_then(|v| v.get_ref().as_str())
            .map(str::to_string),
        _ => None,
    }
}

/// From the key to the end of its value; a `[dependencies.name]` table's value span may not
/// follow its key, so then the key alone.
fn entry_span(key: Range<usize>, value: Range<usize>) -> Range<usize> {
    if value.start >= key.start && value.end > key.end {
        key.start..value.end
    } else {
        key
    }
}
