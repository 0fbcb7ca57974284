//! Cargo.toml: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`,
//! `[workspace.dependencies]` and their `[target.'cfg(…)'.*]` forms.

use toml::de::DeTable;

use super::{Found, toml_walk};

/// Dependency table names and whether they are dev-only. Build dependencies run at build time
/// but are not test-only, so they count as regular.
const SECTIONS: [(&str, bool); 3] = [
    ("dependencies", false),
    ("dev-dependencies", true),
    ("build-dependencies", false),
];

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let root = toml_walk::parse(text, &mut found);
    let root = root.get_ref();
    sections(root, &mut found);
    if let Some(workspace) = toml_walk::table_at(root, &["workspace", "dependencies"]) {
        toml_walk::named_entries(workspace, false, &[], &mut found);
    }
    if let Some(targets) = toml_walk::table_at(root, &["target"]) {
        for (_, target) in targets.iter() {
            if let Some(target) = target.get_ref().as_table() {
                sections(target, &mut found);
            }
        }
    }
    found
}

fn sections(table: &DeTable<'_>, found: &mut Found) {
    for (name, dev) in SECTIONS {
        if let Some(deps) = toml_walk::table_at(table, &[name]) {
            toml_walk::named_entries(deps, dev, &[], found);
        }
    }
}
