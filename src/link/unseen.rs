//! Where objects the scan cannot see may come from: `facts.unseen_sources[*]` (`path`, `source`)
//! on the repo document. A reference to an object no manifest defines is dangling only when the
//! manifests are the whole deploy variant; rules about dangling references apply when this list
//! is empty. Counted as unseen: a Helm chart dependency not vendored under the chart's `charts/`
//! (pulled from a repository at deploy time), a chart whose templates were not rendered, a
//! values file with no chart beside it (values for a chart installed from a repository), and a
//! Kustomize resource fetched from a URL or a git remote.

use std::collections::BTreeSet;

use crate::model::{DocKind, Document, NodeId, Tree};

pub(super) fn add_unseen_sources(
    repo: &mut Document,
    documents: &[Document],
    files: &[String],
    other_files: &[String],
) {
    let all: BTreeSet<&str> = files
        .iter()
        .chain(other_files)
        .map(String::as_str)
        .collect();
    let rendered: BTreeSet<&str> = documents
        .iter()
        .filter(|d| d.kind == DocKind::Kubernetes)
        .filter_map(|d| files.get(d.file as usize).map(String::as_str))
        .collect();
    let mut unseen: Vec<(String, String)> = Vec::new();
    for doc in documents.iter().filter(|d| d.kind == DocKind::Yaml) {
        let Some(path) = files.get(doc.file as usize) else {
            continue;
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        let tree = &doc.tree;
        match name {
            "Chart.yaml" => {
                let folder = |sub: &str| {
                    if dir.is_empty() {
                        sub.to_owned()
                    } else {
                        format!("{dir}/{sub}")
                    }
                };
                for dependency in items(tree, doc.root, "dependencies") {
                    let text = |key| tree.get(dependency, key).and_then(|n| tree.as_str(n));
                    let Some(chart) = text("name") else { continue };
                    if !all.contains(folder(&format!("charts/{chart}/Chart.yaml")).as_str()) {
                        unseen.push((
                            path.clone(),
                            format!("Helm dependency `{chart}` (not vendored under charts/)"),
                        ));
                    }
                }
                let templates = folder("templates/");
                let has_templates = all
                    .range(templates.as_str()..)
                    .next()
                    .is_some_and(|f| f.starts_with(&templates));
                let any_rendered = rendered
                    .range(templates.as_str()..)
                    .next()
                    .is_some_and(|f| f.starts_with(&templates));
                if has_templates && !any_rendered {
                    unseen.push((
                        path.clone(),
                        "Helm chart whose templates were not rendered".to_owned(),
                    ));
                }
            }
            "kustomization.yaml" | "kustomization.yml" | "Kustomization" => {
                for resource in items(tree, doc.root, "resources") {
                    let Some(text) = tree.as_str(resource) else {
                        continue;
                    };
                    if text.contains("://")
                        || text.starts_with("github.com/")
                        || text.starts_with("git@")
                    {
                        unseen.push((path.clone(), format!("remote Kustomize resource `{text}`")));
                    }
                }
            }
            _ => {}
        }
    }
    for path in &all {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let values =
            name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"));
        let chart = if dir.is_empty() {
            "Chart.yaml".to_owned()
        } else {
            format!("{dir}/Chart.yaml")
        };
        if values && !all.contains(chart.as_str()) {
            unseen.push((
                (*path).to_owned(),
                "values for a Helm chart that is not in the repository".to_owned(),
            ));
        }
    }
    unseen.sort();
    let tree = &mut repo.tree;
    let list = tree.seq(None);
    for (path, source) in unseen {
        let item = tree.map(None);
        let path = tree.str(path, None);
        tree.insert(item, "path", path);
        let source = tree.str(source, None);
        tree.insert(item, "source", source);
        tree.push(list, item);
    }
    if let Some(facts) = tree.get(repo.root, "facts") {
        tree.insert(facts, "unseen_sources", list);
    }
}

fn items(tree: &Tree, root: NodeId, key: &str) -> Vec<NodeId> {
    tree.get(root, key)
        .map(|list| tree.items(list).to_vec())
        .unwrap_or_default()
}
