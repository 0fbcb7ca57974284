//! JSON patches (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and `test` at JSON
//! pointers (`~0`/`~1` escapes, `-` to append), applied to an object in place. Values come from
//! the patch with their locations.

use crate::model::{Entry, Key, NodeId, Tree, Value};
use crate::source::Loc;

use super::merge::import_clean;

/// Applies the operations listed at `ops` of `patch` to the object at `root` of `tree`.
pub(super) fn apply(
    tree: &mut Tree,
    root: NodeId,
    patch: &Tree,
    ops: NodeId,
) -> Result<(), String> {
    let Value::Seq(list) = patch.value(ops) else {
        return Err("a JSON patch is a list of operations".to_owned());
    };
    for op in list.iter().copied() {
        operation(tree, root, patch, op)?;
    }
    Ok(())
}

fn operation(tree: &mut Tree, root: NodeId, patch: &Tree, op: NodeId) -> Result<(), String> {
    let field = |key: &str| patch.get(op, key).and_then(|n| patch.as_str(n));
    let name = field("op").ok_or("a JSON patch operation needs `op`")?;
    let path_node = patch.get(op, "path");
    let path = field("path").ok_or("a JSON patch operation needs `path`")?;
    let key_loc = path_node.and_then(|n| patch.loc(n));
    let pointer = parse_pointer(path)?;
    let value = || {
        patch
            .get(op, "value")
            .ok_or(format!("`{name}` needs `value`"))
    };
    match name {
        "add" => {
            let value = import_clean(tree, patch, value()?);
            add(tree, root, &pointer, value, key_loc)
        }
        "replace" => {
            let value = import_clean(tree, patch, value()?);
            resolve(tree, root, &pointer).ok_or_else(|| missing(path))?;
            let (parent, last) = parent(tree, root, &pointer)?;
            if let Value::Seq(items) = tree.value(parent) {
                let mut items = items.to_vec();
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    *slot = value;
                }
                tree.set_value(parent, Value::Seq(items.into()));
            } else {
                tree.insert_at(parent, last, key_loc, value);
            }
            Ok(())
        }
        "remove" => remove(tree, root, &pointer).map(|_| ()),
        "move" | "copy" => {
            let from = field("from").ok_or(format!("`{name}` needs `from`"))?;
            let from = parse_pointer(from)?;
            let node = resolve(tree, root, &from).ok_or_else(|| missing(path))?;
            let node = if name == "move" {
                remove(tree, root, &from)?;
                node
            } else {
                deep_copy(tree, node)
            };
            add(tree, root, &pointer, node, key_loc)
        }
        "test" => {
            let node = resolve(tree, root, &pointer).ok_or_else(|| missing(path))?;
            if tree.to_json(node) == patch.to_json(value()?) {
                Ok(())
            } else {
                Err(format!("JSON patch test failed at `{path}`"))
            }
        }
        other => Err(format!("unknown JSON patch operation `{other}`")),
    }
}

fn missing(path: &str) -> String {
    format!("JSON patch path `{path}` does not exist")
}

/// `/a/b~1c/0` → `["a", "b/c", "0"]`.
fn parse_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("JSON pointer `{path}` must start with `/`"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// One step down: a mapping's key or a sequence's index.
fn child(tree: &Tree, node: NodeId, token: &str) -> Option<NodeId> {
    match tree.value(node) {
        Value::Map(_) => tree.get(node, token),
        Value::Seq(items) => token
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get(i).copied()),
        _ => None,
    }
}

fn resolve(tree: &Tree, root: NodeId, pointer: &[String]) -> Option<NodeId> {
    pointer
        .iter()
        .try_fold(root, |node, token| child(tree, node, token))
}

/// The parent of the pointed-at node and the last token.
fn parent<'p>(
    tree: &Tree,
    root: NodeId,
    pointer: &'p [String],
) -> Result<(NodeId, &'p str), String> {
    let (last, init) = pointer
        .split_last()
        .ok_or("a JSON patch cannot replace the whole object")?;
    let parent =
        resolve(tree, root, init).ok_or_else(|| missing(&format!("/{}", init.join("/"))))?;
    Ok((parent, last))
}

fn add(
    tree: &mut Tree,
    root: NodeId,
    pointer: &[String],
    value: NodeId,
    key_loc: Option<Loc>,
) -> Result<(), String> {
    let (last, init) = pointer
        .split_last()
        .ok_or("a JSON patch cannot replace the whole object")?;
    // Like kustomize (json-patch's EnsurePathExistsOnAdd), `add` creates missing mappings.
    let mut parent = root;
    for token in init {
        parent = match child(tree, parent, token) {
            Some(node) => node,
            None if matches!(tree.value(parent), Value::Map(_)) => {
                let node = tree.map(key_loc);
                tree.insert_at(parent, token, key_loc, node);
                node
            }
            None => return Err(missing(&format!("/{}", init.join("/")))),
        };
    }
    let last = last.as_str();
    match tree.value(parent) {
        Value::Map(_) => {
            tree.insert_at(parent, last, key_loc, value);
            Ok(())
        }
        Value::Seq(items) => {
            let mut items = items.to_vec();
            let index = if last == "-" {
                items.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|i| *i <= items.len())
                    .ok_or_else(|| format!("JSON patch index `{last}` is out of range"))?
            };
            items.insert(index, value);
            tree.set_value(parent, Value::Seq(items.into()));
            Ok(())
        }
        _ => Err(format!("JSON patch cannot add `{last}` under a scalar")),
    }
}

/// Removes the pointed-at node, returning it.
fn remove(tree: &mut Tree, root: NodeId, pointer: &[String]) -> Result<NodeId, String> {
    let (parent, last) = parent(tree, root, pointer)?;
    let node = child(tree, parent, last).ok_or_else(|| missing(last))?;
    match tree.value(parent) {
        Value::Map(_) => {
            let key = Key::new(last);
            if let Some(entries) = tree.entries_mut(parent) {
                entries.retain(|e| e.key != key);
            }
        }
        Value::Seq(items) => {
            let mut items = items.to_vec();
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
            tree.set_value(parent, Value::Seq(items.into()));
        }
        _ => {}
    }
    Ok(node)
}

/// A copy of a subtree within the same tree, so the copy and the original change apart.
fn deep_copy(tree: &mut Tree, node: NodeId) -> NodeId {
    let loc = tree.loc(node);
    let value = match tree.value(node).clone() {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|e| Entry {
                    key: e.key,
                    key_loc: e.key_loc,
                    value: deep_copy(tree, e.value),
                })
                .collect(),
        ),
        Value::Seq(items) => Value::Seq(items.iter().map(|i| deep_copy(tree, *i)).collect()),
        scalar => scalar,
    };
    tree.add(value, loc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use serde_json::json;

    fn load(text: &str, file: u32) -> (Tree, NodeId) {
        let mut loaded = yaml::load(file, text);
        let doc = loaded.documents.swap_remove(0);
        (doc.tree, doc.root)
    }

    fn patched(base: &str, ops: &str) -> Result<serde_json::Value, String> {
        let (mut tree, root) = load(base, 0);
        let (patch, ops_root) = load(ops, 1);
        apply(&mut tree, root, &patch, ops_root)?;
        Ok(tree.to_json(root))
    }

    #[test]
    fn every_operation() {
        let base = "a: {b: 1, c: [x, y]}\nd~/e: 2\n";
        let ops = "- {op: add, path: /a/c/-, value: z}\n- {op: add, path: /a/c/0, value: w}\n- {op: replace, path: /a/b, value: 5}\n- {op: remove, path: /d~0~1e}\n- {op: copy, from: /a/b, path: /f}\n- {op: move, from: /a/c, path: /g}\n- {op: test, path: /f, value: 5}\n";
        assert_eq!(
            patched(base, ops),
            Ok(json!({"a": {"b": 5}, "f": 5, "g": ["w", "x", "y", "z"]}))
        );
    }

    #[test]
    fn failures_are_errors() {
        assert!(patched("a: 1\n", "- {op: test, path: /a, value: 2}\n").is_err());
        assert!(patched("a: 1\n", "- {op: replace, path: /b, value: 2}\n").is_err());
        assert!(patched("a: [1]\n", "- {op: add, path: /a/5, value: 2}\n").is_err());
        assert!(patched("a: 1\n", "- {op: frobnicate, path: /a}\n").is_err());
        assert!(patched("a: 1\n", "- {op: add, path: a, value: 1}\n").is_err());
    }

    #[test]
    fn added_values_point_at_the_patch() {
        let (mut tree, root) = load("a: {}\n", 0);
        let (patch, ops) = load("- {op: add, path: /a/b, value: true}\n", 7);
        assert_eq!(apply(&mut tree, root, &patch, ops), Ok(()));
        let b = tree.lookup(root, "a.b");
        assert_eq!(b.and_then(|b| tree.loc(b)).map(|l| l.file), Some(7));
    }
}
