//! Native Kustomize builds: a kustomization directory → the objects `kustomize build` would
//! print, without the kustomize binary, a process or the network. Every output node keeps the
//! location it was copied from, so a finding on a patched field points at the patch and one on
//! an untouched field at the base.
//!
//! Remote resources are never fetched: they fail the build with a message naming them.

use std::collections::BTreeSet;

use crate::model::{DocKind, Document, NodeId, Tree, Value};
use crate::parse::kubernetes;
use crate::source::{FileId, Loc};

mod build;
mod generator;
mod hash;
mod json_patch;
mod merge;
mod names;
mod patch;
mod paths;
mod select;
#[cfg(test)]
mod tests;
mod transform;

/// Parsed files of the scan, looked up by path relative to the scanned root ('/'-separated).
pub trait Files {
    fn documents(&self, path: &str) -> Option<&[Document]>;
    fn text(&self, path: &str) -> Option<&str>;
    fn file_id(&self, path: &str) -> Option<FileId>;
    fn is_dir(&self, path: &str) -> bool;
}

/// The outcome of building one kustomization.
#[derive(Debug)]
pub struct Built {
    /// Path of the kustomization file.
    pub kustomization: String,
    /// The output objects, in `kustomize build`'s (legacy) order: each a kubernetes document
    /// whose `file` is the kustomization file's id.
    pub documents: Vec<Document>,
    /// Every file the build read: kustomizations, resources, patches, generator inputs.
    pub used: BTreeSet<String>,
    /// Kustomization directories used as resources, bases or components by this one.
    pub bases: BTreeSet<String>,
}

/// Why a kustomization could not be built; `loc` is the line that asked for the impossible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub message: String,
    pub loc: Option<Loc>,
}

impl BuildError {
    fn new(message: impl Into<String>, loc: Option<Loc>) -> BuildError {
        BuildError {
            message: message.into(),
            loc,
        }
    }
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

/// Builds the kustomization in `dir` (relative to the scanned root, `""` for the root itself).
pub fn build(dir: &str, files: &dyn Files) -> Result<Built, BuildError> {
    let dir = paths::normalize("", dir)
        .ok_or_else(|| BuildError::new(format!("{dir}: leaves the scanned directory"), None))?;
    let mut builder = build::Builder::new(files);
    let (kustomization, resources) = builder.top(&dir)?;
    let file = files.file_id(&kustomization).unwrap_or_default();
    let documents = resources
        .into_iter()
        .map(|r| r.into_document(file))
        .collect();
    Ok(Built {
        kustomization,
        documents,
        used: builder.used,
        bases: builder.bases,
    })
}

/// The kustomization dirs that no other kustomization refers to: the deploy variants (overlays,
/// or a lone base). Sorted; a directory that cannot be read still counts as a variant, so its
/// build error gets reported.
pub fn variants(dirs: &[String], files: &dyn Files) -> Vec<String> {
    let mut referred = BTreeSet::new();
    for dir in dirs {
        referred.extend(build::referenced_dirs(dir, files));
    }
    let mut out: Vec<String> = dirs
        .iter()
        .filter(|d| !referred.contains(d.as_str()))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One object being built: its own tree (aliases expanded, so editing one place edits only
/// that place) and the identity it had when first read, which selectors and references match.
#[derive(Clone, Debug)]
struct Resource {
    tree: Tree,
    root: NodeId,
    original_name: String,
    original_namespace: String,
    /// A generated ConfigMap or Secret whose name gets kustomize's content hash at the end.
    hash_suffix: bool,
}

impl Resource {
    fn new(tree: Tree, root: NodeId) -> Resource {
        let original_name = kubernetes::name(&tree, root).to_owned();
        let original_namespace = kubernetes::namespace(&tree, root).to_owned();
        Resource {
            tree,
            root,
            original_name,
            original_namespace,
            hash_suffix: false,
        }
    }

    fn kind(&self) -> &str {
        kubernetes::kind(&self.tree, self.root)
    }

    fn name(&self) -> &str {
        kubernetes::name(&self.tree, self.root)
    }

    fn namespace(&self) -> &str {
        kubernetes::namespace(&self.tree, self.root)
    }

    fn api_version(&self) -> &str {
        self.tree
            .get(self.root, "apiVersion")
            .and_then(|n| self.tree.as_str(n))
            .unwrap_or("")
    }

    /// `(group, version)`: `apps/v1` → `("apps", "v1")`, `v1` → `("", "v1")`.
    fn group_version(&self) -> (&str, &str) {
        split_api_version(self.api_version())
    }

    /// The identity kustomize refuses to hold twice.
    fn id(&self) -> (String, String, String, String) {
        let (group, _) = self.group_version();
        (
            group.to_owned(),
            self.kind().to_owned(),
            self.namespace().to_owned(),
            self.name().to_owned(),
        )
    }

    fn into_document(mut self, file: FileId) -> Document {
        kubernetes::derive_facts(&mut self.tree, self.root);
        let label = kubernetes::label(&self.tree, self.root);
        let mut document = Document::new(DocKind::Kubernetes, file, self.tree, self.root);
        document.label = Some(label);
        document
    }
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// The mapping at `key` of `map`, created (located at `loc`) when absent or not a mapping.
fn ensure_map(tree: &mut Tree, map: NodeId, key: &str, loc: Option<Loc>) -> NodeId {
    match tree.get(map, key) {
        Some(node) if matches!(tree.value(node), Value::Map(_)) => node,
        _ => {
            let node = tree.map(loc);
            tree.insert_at(map, key, loc, node);
            node
        }
    }
}

/// Removes `key` from a mapping node.
fn remove_key(tree: &mut Tree, map: NodeId, key: &str) {
    if let Some(key) = crate::model::Key::find(key)
        && let Some(entries) = tree.entries_mut(map)
    {
        entries.retain(|e| e.key != key);
    }
}
