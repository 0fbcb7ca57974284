//! `patches`, `patchesStrategicMerge` and `patchesJson6902`: reading each patch (a file or
//! inline text), telling a JSON patch from a strategic merge patch by its content, choosing its
//! targets and applying it.

use super::build::{Builder, Kustomization};
use super::select::Selector;
use super::{BuildError, Resource, json_patch, merge};
use crate::model::{NodeId, Tree, Value};
use crate::parse::yaml;
use crate::source::{Loc, Span};

/// One patch's documents and where the patch was named.
struct Patch {
    documents: Vec<(Tree, NodeId)>,
    loc: Option<Loc>,
}

impl Patch {
    /// A JSON patch is a list of operations; anything else is a strategic merge patch.
    fn is_json6902(&self) -> bool {
        self.documents
            .first()
            .is_some_and(|(tree, root)| matches!(tree.value(*root), Value::Seq(_)))
    }
}

/// `patchesStrategicMerge: [file, or inline YAML text]`: each names its object by kind and name.
pub(super) fn strategic_merge_list(
    builder: &mut Builder,
    kustomization: &Kustomization,
    out: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    for node in kustomization.items("patchesStrategicMerge") {
        let patch = read(builder, kustomization, node)?;
        apply(patch, None, out)?;
    }
    Ok(())
}

/// `patches: [{path | patch, target}]`.
pub(super) fn patches(
    builder: &mut Builder,
    kustomization: &Kustomization,
    out: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    for node in kustomization.items("patches") {
        let tree = &kustomization.tree;
        let target = tree
            .get(node, "target")
            .map(|t| Selector::parse(tree, t))
            .transpose()
            .map_err(|e| BuildError::new(e, tree.loc(node)))?;
        let source = match tree.value(node) {
            Value::Map(_) => tree.get(node, "path").or_else(|| tree.get(node, "patch")),
            _ => Some(node),
        };
        let source = source
            .ok_or_else(|| BuildError::new("a patch needs `path` or `patch`", tree.loc(node)))?;
        let patch = read(builder, kustomization, source)?;
        apply(patch, target, out)?;
    }
    Ok(())
}

/// `patchesJson6902: [{target, path | patch}]`: always JSON patches, always with a target.
pub(super) fn json6902_list(
    builder: &mut Builder,
    kustomization: &Kustomization,
    out: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    for node in kustomization.items("patchesJson6902") {
        let tree = &kustomization.tree;
        let target = tree
            .get(node, "target")
            .ok_or_else(|| BuildError::new("a JSON patch needs `target`", tree.loc(node)))?;
        let target =
            Selector::parse(tree, target).map_err(|e| BuildError::new(e, tree.loc(node)))?;
        let source = tree
            .get(node, "path")
            .or_else(|| tree.get(node, "patch"))
            .ok_or_else(|| BuildError::new("a patch needs `path` or `patch`", tree.loc(node)))?;
        let patch = read(builder, kustomization, source)?;
        if !patch.is_json6902() {
            return Err(BuildError::new(
                "a JSON patch is a list of operations",
                patch.loc,
            ));
        }
        apply(patch, Some(target), out)?;
    }
    Ok(())
}

fn apply(
    patch: Patch,
    target: Option<Selector>,
    out: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    let loc = patch.loc;
    if patch.is_json6902() {
        let target = target.ok_or_else(|| BuildError::new("a JSON patch needs `target`", loc))?;
        for (tree, ops) in &patch.documents {
            for resource in out.iter_mut().filter(|r| target.matches(r)) {
                json_patch::apply(&mut resource.tree, resource.root, tree, *ops)
                    .map_err(|e| BuildError::new(e, loc))?;
            }
        }
        return Ok(());
    }
    for (tree, root) in &patch.documents {
        let own;
        let selector = match &target {
            Some(selector) => selector,
            None => {
                own = own_target(tree, *root).ok_or_else(|| {
                    BuildError::new("a strategic merge patch needs kind and metadata.name", loc)
                })?;
                &own
            }
        };
        let mut matched = false;
        let mut deleted = Vec::new();
        for (index, resource) in out.iter_mut().enumerate() {
            if !selector.matches(resource) {
                continue;
            }
            matched = true;
            // The object keeps its name, kind and namespace whatever the patch says (a patch
            // chosen by `target:` often carries a placeholder name).
            let (name, kind, namespace) = (
                resource.name().to_owned(),
                resource.kind().to_owned(),
                resource.namespace().to_owned(),
            );
            let name_loc = name_node(resource).and_then(|n| resource.tree.loc(n));
            if merge::apply(&mut resource.tree, resource.root, tree, *root)
                == merge::Outcome::Deleted
            {
                deleted.push(index);
                continue;
            }
            restore_identity(resource, &name, name_loc, &kind, &namespace);
        }
        if !matched && target.is_none() {
            return Err(BuildError::new(
                format!(
                    "no object matches the patch for {}/{}",
                    super::kubernetes::kind(tree, *root),
                    super::kubernetes::name(tree, *root)
                ),
                loc,
            ));
        }
        for index in deleted.into_iter().rev() {
            if index < out.len() {
                out.remove(index);
            }
        }
    }
    Ok(())
}

fn name_node(resource: &Resource) -> Option<NodeId> {
    resource.tree.lookup(resource.root, "metadata.name")
}

fn restore_identity(
    resource: &mut Resource,
    name: &str,
    name_loc: Option<Loc>,
    kind: &str,
    namespace: &str,
) {
    let root = resource.root;
    let tree = &mut resource.tree;
    if crate::parse::kubernetes::kind(tree, root) != kind {
        let node = tree.str(kind, None);
        tree.insert(root, "kind", node);
    }
    let metadata = super::ensure_map(tree, root, "metadata", None);
    if crate::parse::kubernetes::name(tree, root) != name {
        let node = tree.str(name, name_loc);
        tree.insert(metadata, "name", node);
    }
    if crate::parse::kubernetes::namespace(tree, root) != namespace {
        if namespace.is_empty() {
            super::remove_key(tree, metadata, "namespace");
        } else {
            let node = tree.str(namespace, None);
            tree.insert(metadata, "namespace", node);
        }
    }
}

/// The object a patch names: its group, kind, name and (when given) namespace.
fn own_target(tree: &Tree, root: NodeId) -> Option<Selector> {
    let kind = tree.get(root, "kind").and_then(|k| tree.as_str(k))?;
    let name = tree
        .lookup(root, "metadata.name")
        .and_then(|n| tree.as_str(n))?;
    let group = tree
        .get(root, "apiVersion")
        .and_then(|v| tree.as_str(v))
        .map(|v| super::split_api_version(v).0);
    let namespace = tree
        .lookup(root, "metadata.namespace")
        .and_then(|n| tree.as_str(n));
    Some(Selector::exact(group, kind, name, namespace))
}

/// A patch named by `node`: a path to a file, or inline YAML text (which a path never is).
fn read(
    builder: &mut Builder,
    kustomization: &Kustomization,
    node: NodeId,
) -> Result<Patch, BuildError> {
    let tree = &kustomization.tree;
    let loc = tree.loc(node);
    let text = tree
        .as_str(node)
        .ok_or_else(|| BuildError::new("a patch is a path or YAML text", loc))?;
    if !text.contains('\n') && !text.contains(": ") && !text.trim_start().starts_with(['{', '[']) {
        let path = builder.local_file(kustomization, text, loc)?;
        let documents = builder.read_yaml(&path, loc)?;
        return Ok(Patch { documents, loc });
    }
    let file = kustomization.file.unwrap_or_default();
    let loaded = yaml::load(file, text);
    if let Some(error) = loaded.errors.first() {
        return Err(BuildError::new(
            format!("inline patch: {}", error.message),
            loc,
        ));
    }
    let source = builder.files.text(&kustomization.path);
    let documents = loaded
        .documents
        .into_iter()
        .filter(|d| !matches!(d.tree.value(d.root), Value::Null))
        .map(|mut d| {
            locate_inline(&mut d.tree, d.root, text, source, loc);
            (d.tree, d.root)
        })
        .collect();
    Ok(Patch { documents, loc })
}

/// Points the nodes of an inline patch into the kustomization file. The text parsed was the
/// block scalar's content: when each of its lines is a line of the file below the scalar's
/// header, minus one indentation, offsets map line by line; otherwise (folded or quoted text)
/// every node points at the whole string.
fn locate_inline(tree: &mut Tree, root: NodeId, text: &str, source: Option<&str>, at: Option<Loc>) {
    let map = source
        .zip(at)
        .and_then(|(source, at)| LineMap::new(text, source, at));
    let mut stack = vec![root];
    let mut seen = std::collections::HashSet::new();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        let moved = |loc: Option<Loc>| match (&map, loc) {
            (Some(map), Some(loc)) => map.map(loc),
            _ => at,
        };
        let loc = moved(tree.loc(node));
        tree.set_loc(node, loc);
        match tree.value(node) {
            Value::Seq(items) => stack.extend(items.iter().copied()),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| e.value)),
            _ => {}
        }
        if let Some(entries) = tree.entries_mut(node) {
            for entry in entries.iter_mut() {
                entry.key_loc = moved(entry.key_loc);
            }
        }
    }
}

/// Offsets in an inline text → offsets in the file holding it.
struct LineMap {
    file: u32,
    /// Where each line of the text starts in the text, and in the file (after indentation).
    lines: Vec<(usize, usize)>,
}

impl LineMap {
    fn new(text: &str, source: &str, at: Loc) -> Option<LineMap> {
        let start = at.span.start as usize;
        // The scalar's span starts at its `|` header (content lines follow it) or at its first
        // content character (its line holds the indentation).
        let body_start = if source.get(start..)?.starts_with(['|', '>']) {
            start + source.get(start..)?.find('\n')? + 1
        } else {
            source.get(..start)?.rfind('\n').map_or(0, |i| i + 1)
        };
        let mut file_offset = body_start;
        let body = source.get(body_start..)?;
        let indent = body
            .lines()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches(' ').len())?;
        let mut lines = Vec::new();
        let mut text_offset = 0;
        let mut file_lines = body.split_inclusive('\n');
        for line in text.split_inclusive('\n') {
            let file_line = file_lines.next()?;
            let content = line.trim_end_matches('\n');
            let stripped = file_line.trim_end_matches('\n');
            let shifted = if stripped.trim().is_empty() && content.is_empty() {
                0
            } else if stripped.get(indent..)? == content {
                indent
            } else {
                return None;
            };
            lines.push((text_offset, file_offset + shifted));
            text_offset += line.len();
            file_offset += file_line.len();
        }
        Some(LineMap {
            file: at.file,
            lines,
        })
    }

    fn map(&self, loc: Loc) -> Option<Loc> {
        let shift = |offset: usize| {
            let line = self.lines.partition_point(|(start, _)| *start <= offset);
            let (text_start, file_start) = self.lines.get(line.checked_sub(1)?)?;
            Some(file_start + (offset - text_start))
        };
        let start = shift(loc.span.start as usize)?;
        let end = shift(loc.span.end as usize).unwrap_or(start);
        Some(Loc {
            file: self.file,
            span: Span::new(start, end),
        })
    }
}
