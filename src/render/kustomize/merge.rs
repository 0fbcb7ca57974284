//! Strategic merge patches: maps merge key by key, lists of the common Kubernetes kinds merge
//! item by item on their merge key (containers by name, volumeMounts by mountPath, …), other
//! lists are replaced; `null` deletes a field and `$patch: delete` / `replace` do what they say.
//!
//! Patch nodes are copied with their locations, so a field the patch sets points at the patch.

use crate::model::{Entry, Key, NodeId, Tree, Value};

/// What a patch did to the object as a whole.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Merged,
    /// `$patch: delete` at the top: the object leaves the build.
    Deleted,
}

/// Merges the patch at `patch_root` of `patch` into the object at `root` of `tree`.
pub(super) fn apply(tree: &mut Tree, root: NodeId, patch: &Tree, patch_root: NodeId) -> Outcome {
    match directive(patch, patch_root) {
        Some("delete") => return Outcome::Deleted,
        Some("replace") => {
            let replacement = import_clean(tree, patch, patch_root);
            let entries = tree.entries(replacement).to_vec();
            tree.set_value(root, Value::Map(entries.into()));
            return Outcome::Merged;
        }
        _ => {}
    }
    merge_map(tree, root, patch, patch_root);
    Outcome::Merged
}

/// The `$patch` directive of a patch mapping.
fn directive(patch: &Tree, node: NodeId) -> Option<&str> {
    patch.get(node, "$patch").and_then(|d| patch.as_str(d))
}

/// Keys that steer the merge and never reach the object.
fn is_directive(key: &str) -> bool {
    key == "$patch"
        || key == "$retainKeys"
        || key.starts_with("$setElementOrder/")
        || key.starts_with("$deleteFromPrimitiveList/")
}

fn merge_map(tree: &mut Tree, target: NodeId, patch: &Tree, patch_map: NodeId) {
    for entry in patch.entries(patch_map).to_vec() {
        let name = entry.key.as_str();
        if is_directive(name) {
            continue;
        }
        let current = tree.get_key(target, entry.key);
        match patch.value(entry.value) {
            Value::Null => remove(tree, target, entry.key),
            Value::Map(_) => match (directive(patch, entry.value), current) {
                (Some("delete"), _) => remove(tree, target, entry.key),
                (None, Some(current)) if matches!(tree.value(current), Value::Map(_)) => {
                    merge_map(tree, current, patch, entry.value);
                }
                _ => set(tree, target, &entry, patch),
            },
            Value::Seq(items) => {
                let key = merge_key(name, patch, items);
                match (key, current) {
                    (Some(key), Some(current)) if matches!(tree.value(current), Value::Seq(_)) => {
                        merge_list(tree, current, patch, entry.value, key);
                    }
                    _ => set(tree, target, &entry, patch),
                }
            }
            // A value the patch only restates (a merge key, a name) keeps pointing at the
            // base, where it was written first.
            scalar => {
                if current.is_none_or(|c| tree.value(c) != scalar) {
                    set(tree, target, &entry, patch);
                }
            }
        }
    }
}

/// Sets the patch entry's (cleaned) value; the key then points at the patch too.
fn set(tree: &mut Tree, target: NodeId, entry: &Entry, patch: &Tree) {
    let value = import_clean(tree, patch, entry.value);
    tree.insert_key(target, entry.key, entry.key_loc, value);
}

fn remove(tree: &mut Tree, map: NodeId, key: Key) {
    if let Some(entries) = tree.entries_mut(map) {
        entries.retain(|e| e.key != key);
    }
}

/// The merge key Kubernetes declares for a list field, when its items are mappings.
fn merge_key(field: &str, patch: &Tree, items: &[NodeId]) -> Option<&'static str> {
    if !items
        .iter()
        .all(|i| matches!(patch.value(*i), Value::Map(_)))
    {
        return None;
    }
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "conditions" => "type",
        // Container ports merge on containerPort, a Service's on port.
        "ports" => {
            if items
                .iter()
                .any(|i| patch.get(*i, "containerPort").is_some())
            {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    })
}

/// Merges list items on `key`: a matching item is merged into, `$patch: delete` removes it, a
/// new one is appended; `- $patch: replace` replaces the list with the patch's other items.
fn merge_list(tree: &mut Tree, target: NodeId, patch: &Tree, patch_seq: NodeId, key: &str) {
    let patch_items = patch.items(patch_seq).to_vec();
    if patch_items
        .iter()
        .any(|i| directive(patch, *i) == Some("replace"))
    {
        let items: Vec<NodeId> = patch_items
            .iter()
            .filter(|i| directive(patch, **i).is_none())
            .map(|i| import_clean(tree, patch, *i))
            .collect();
        tree.set_value(target, Value::Seq(items.into()));
        return;
    }
    // kustomize (kyaml) puts the patch's items first, in the patch's order, then the items
    // only the object had, in its order.
    let mut remaining: Vec<NodeId> = tree.items(target).to_vec();
    let mut merged = Vec::new();
    for item in patch_items {
        let wanted = patch
            .get(item, key)
            .and_then(|v| patch.scalar_text(v))
            .map(|v| v.into_owned());
        let matching = wanted.as_deref().and_then(|wanted| {
            remaining.iter().position(|t| {
                tree.get(*t, key)
                    .and_then(|v| tree.scalar_text(v))
                    .is_some_and(|v| v == wanted)
            })
        });
        let found = matching.map(|index| remaining.remove(index));
        match (directive(patch, item), found) {
            (Some("delete"), _) => {}
            (_, Some(found)) => {
                merge_map(tree, found, patch, item);
                merged.push(found);
            }
            (_, None) => merged.push(import_clean(tree, patch, item)),
        }
    }
    merged.extend(remaining);
    tree.set_value(target, Value::Seq(merged.into()));
}

/// Copies a patch subtree into `tree` (locations kept), leaving out merge directives.
pub(super) fn import_clean(tree: &mut Tree, patch: &Tree, node: NodeId) -> NodeId {
    let loc = patch.loc(node);
    let value = match patch.value(node) {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .filter(|e| !is_directive(e.key.as_str()))
                .map(|e| Entry {
                    key: e.key,
                    key_loc: e.key_loc,
                    value: import_clean(tree, patch, e.value),
                })
                .collect(),
        ),
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .filter(|i| directive(patch, **i).is_none())
                .map(|i| import_clean(tree, patch, *i))
                .collect(),
        ),
        scalar => scalar.clone(),
    };
    tree.add(value, loc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn load(text: &str, file: u32) -> (Tree, NodeId) {
        let mut loaded = yaml::load(file, text);
        let doc = loaded.documents.swap_remove(0);
        (doc.tree, doc.root)
    }

    fn merged(base: &str, patch: &str) -> (serde_json::Value, Tree, NodeId) {
        let (mut tree, root) = load(base, 0);
        let (patch, patch_root) = load(patch, 1);
        assert_eq!(apply(&mut tree, root, &patch, patch_root), Outcome::Merged);
        (tree.to_json(root), tree, root)
    }

    const BASE: &str = "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n        env:\n        - {name: A, value: a}\n        ports:\n        - containerPort: 80\n      - name: side\n        image: side:1\n      volumes:\n      - name: data\n        emptyDir: {}\n";

    #[test]
    fn containers_merge_by_name_and_keep_locations() {
        let patch = "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        securityContext:\n          privileged: true\n        env:\n        - {name: B, value: b}\n      - name: new\n        image: new:1\n";
        let (json, tree, root) = merged(BASE, patch);
        let containers = &json["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "app:1");
        assert_eq!(containers[0]["securityContext"]["privileged"], true);
        assert_eq!(containers[0]["env"].as_array().map(Vec::len), Some(2));
        // Patch items first, then the object's others (kustomize's order).
        assert_eq!(containers[0]["env"][0]["name"], "B");
        assert_eq!(containers[1]["name"], "new");
        assert_eq!(containers[2]["name"], "side");
        let app = tree
            .lookup(root, "spec.template.spec.containers")
            .and_then(|c| tree.items(c).first().copied())
            .unwrap_or(root);
        let privileged = tree.lookup(app, "securityContext.privileged");
        assert_eq!(
            privileged.and_then(|p| tree.loc(p)).map(|l| l.file),
            Some(1)
        );
        let image = tree.get(app, "image");
        assert_eq!(image.and_then(|p| tree.loc(p)).map(|l| l.file), Some(0));
    }

    #[test]
    fn delete_replace_and_null_directives() {
        let patch = "spec:\n  template:\n    spec:\n      containers:\n      - name: side\n        $patch: delete\n      volumes:\n      - $patch: replace\n      - name: cache\n        emptyDir: {}\n";
        let (json, _, _) = merged(BASE, patch);
        let spec = &json["spec"]["template"]["spec"];
        assert_eq!(spec["containers"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            spec["volumes"],
            serde_json::json!([{"name": "cache", "emptyDir": {}}])
        );
        let (json, _, _) = merged(BASE, "spec:\n  template: null\n");
        assert_eq!(json["spec"], serde_json::json!({}));
        let (mut tree, root) = load(BASE, 0);
        let (patch, patch_root) = load("$patch: delete\n", 1);
        assert_eq!(apply(&mut tree, root, &patch, patch_root), Outcome::Deleted);
    }

    #[test]
    fn lists_without_merge_key_are_replaced() {
        let base = "spec:\n  args: [a, b]\n  tolerations:\n  - key: x\n";
        let (json, _, _) = merged(base, "spec:\n  args: [c]\n  tolerations:\n  - key: y\n");
        assert_eq!(json["spec"]["args"], serde_json::json!(["c"]));
        assert_eq!(
            json["spec"]["tolerations"],
            serde_json::json!([{"key": "y"}])
        );
    }
}
