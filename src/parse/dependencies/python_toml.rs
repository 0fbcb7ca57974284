//! pyproject.toml (PEP 621, PEP 735 groups, Poetry, PDM, uv) and Pipfile.

use toml::de::DeTable;

use super::{Found, toml_walk};

pub(super) fn read_pyproject(text: &str) -> Found {
    let mut found = Found::default();
    let root = toml_walk::parse(text, &mut found);
    let root = root.get_ref();
    pep621(root, &mut found);
    poetry(root, &mut found);
    // Dependency groups (PEP 735, PDM, uv) are never installed by users of the package.
    for path in [
        &["dependency-groups"][..],
        &["tool", "pdm", "dev-dependencies"],
    ] {
        if let Some(groups) = toml_walk::table_at(root, path) {
            for (_, group) in groups.iter() {
                toml_walk::requirement_array(group.get_ref(), true, &mut found);
            }
        }
    }
    if let Some(dev) =
        toml_walk::table_at(root, &["tool", "uv"]).and_then(|uv| uv.get("dev-dependencies"))
    {
        toml_walk::requirement_array(dev.get_ref(), true, &mut found);
    }
    found
}

/// `[project] dependencies` and `[project.optional-dependencies]`; extras ship to users, so they
/// are not dev.
fn pep621(root: &DeTable<'_>, found: &mut Found) {
    let Some(project) = toml_walk::table_at(root, &["project"]) else {
        return;
    };
    if let Some(deps) = project.get("dependencies") {
        toml_walk::requirement_array(deps.get_ref(), false, found);
    }
    if let Some(extras) = toml_walk::table_at(project, &["optional-dependencies"]) {
        for (_, extra) in extras.iter() {
            toml_walk::requirement_array(extra.get_ref(), false, found);
        }
    }
}

/// Poetry: `[tool.poetry.dependencies]` (minus `python`), the legacy `dev-dependencies`, and
/// `[tool.poetry.group.<name>.dependencies]`, where every group but `main` is dev.
fn poetry(root: &DeTable<'_>, found: &mut Found) {
    let Some(poetry) = toml_walk::table_at(root, &["tool", "poetry"]) else {
        return;
    };
    if let Some(deps) = toml_walk::table_at(poetry, &["dependencies"]) {
        toml_walk::named_entries(deps, false, &["python"], found);
    }
    if let Some(deps) = toml_walk::table_at(poetry, &["dev-dependencies"]) {
        toml_walk::named_entries(deps, true, &["python"], found);
    }
    if let Some(groups) = toml_walk::table_at(poetry, &["group"]) {
        for (name, group) in groups.iter() {
            let dev = name.get_ref().as_ref() != "main";
            let deps = group
                .get_ref()
                .as_table()
                .and_then(|g| toml_walk::table_at(g, &["dependencies"]));
            if let Some(deps) = deps {
                toml_walk::named_entries(deps, dev, &["python"], found);
            }
        }
    }
}

/// Pipfile: `[packages]` and `[dev-packages]`.
pub(super) fn read_pipfile(text: &str) -> Found {
    let mut found = Found::default();
    let root = toml_walk::parse(text, &mut found);
    let root = root.get_ref();
    for (section, dev) in [("packages", false), ("dev-packages", true)] {
        if let Some(deps) = toml_walk::table_at(root, &[section]) {
            toml_walk::named_entries(deps, dev, &[], &mut found);
        }
    }
    found
}
