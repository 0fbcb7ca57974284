//! Kustomize: which files a `kustomization.yaml` uses as patches.
//!
//! A patch is a partial object (`kind`, `metadata.name` and the few fields it changes), so linting
//! it as a complete workload would report a missing probe on every patch. The files are still
//! read, but their documents are demoted to plain YAML: no `kubernetes` rule sees them, and no
//! existing rule needs to know about Kustomize.

use std::collections::BTreeSet;

use crate::model::{DocKind, Document, NodeId, Tree, Value};

/// Why a patch file's objects are not linted; shown as the artifact's `reason`.
pub const PATCH_NOTE: &str = "Kustomize patch: a partial object, not linted as a complete workload";

/// `kustomization.yaml`, `kustomization.yml` or `Kustomization`: the names `kustomize build`
/// looks for.
pub fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// Every patch file the kustomizations among `files` (path, documents) name, relative to the
/// scanned root; references that leave the root or are remote are ignored.
pub fn patch_paths<'a>(files: impl Iterator<Item = (&'a str, &'a [Document])>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, documents) in files.filter(|(path, _)| is_kustomization(path)) {
        let folder = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for doc in documents {
            for reference in references(&doc.tree, doc.root) {
                out.extend(resolve(folder, &reference));
            }
        }
    }
    out
}

/// `patches[*].path` (or a bare string), `patchesStrategicMerge[*]`, `patchesJson6902[*].path`.
/// Inline patches (`patch:`, or YAML text as a string) name no file.
fn references(tree: &Tree, root: NodeId) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
        let items = tree.get(root, key).map(|l| tree.items(l)).unwrap_or(&[]);
        for item in items {
            let path = match tree.value(*item) {
                Value::Str(text) => Some(&**text),
                Value::Map(_) => tree.get(*item, "path").and_then(|p| tree.as_str(p)),
                _ => None,
            };
            out.extend(path.filter(|p| !is_inline(p)).map(str::to_owned));
        }
    }
    out
}

/// An inline patch given as a string: YAML text, which a file path never looks like.
fn is_inline(text: &str) -> bool {
    text.contains('\n') || text.contains(": ") || text.trim_start().starts_with('{')
}

/// `folder` + `reference`, with `.` and `..` resolved; `None` when it is absolute, remote, or
/// climbs out of the root.
pub fn resolve(folder: &str, reference: &str) -> Option<String> {
    let reference = reference.trim();
    if reference.is_empty() || reference.starts_with('/') || reference.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Turns a patch file's documents into plain YAML (or JSON), without the facts derived for
/// complete objects.
pub fn demote(documents: &mut Vec<Document>, fallback: DocKind) {
    // A PrometheusRule (or GrafanaDashboard) also yields a rules (dashboard) view of itself:
    // keep only the object.
    let objects: BTreeSet<usize> = documents
        .iter()
        .filter(|d| d.kind == DocKind::Kubernetes)
        .map(|d| d.index)
        .collect();
    documents.retain(|d| d.kind == DocKind::Kubernetes || !objects.contains(&d.index));
    for doc in documents {
        doc.kind = fallback;
        doc.label = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_inside_the_root_only() {
        assert_eq!(
            resolve("overlays/prod", "../../base/patch.yaml").as_deref(),
            Some("base/patch.yaml")
        );
        assert_eq!(
            resolve("overlays/prod", "./p.yaml").as_deref(),
            Some("overlays/prod/p.yaml")
        );
        assert_eq!(resolve("", "../outside.yaml"), None);
        assert_eq!(resolve("a", "/etc/passwd"), None);
        assert_eq!(resolve("a", "https://example.com/p.yaml"), None);
    }

    #[test]
    fn patch_lists_are_read() {
        let text = "patches:\n  - path: a.yaml\n  - patch: |-\n      - op: remove\n  - b.yaml\n\
                    patchesStrategicMerge:\n  - c.yaml\n  - |-\n    kind: Deployment\n\
                    patchesJson6902:\n  - target: {kind: Deployment}\n    path: d.json\n";
        let parsed = crate::parse::parse(DocKind::Yaml, 0, "k/kustomization.yaml", text);
        let paths = patch_paths(std::iter::once((
            "k/kustomization.yaml",
            parsed.documents.as_slice(),
        )));
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert_eq!(paths, ["k/a.yaml", "k/b.yaml", "k/c.yaml", "k/d.json"]);
    }
}
