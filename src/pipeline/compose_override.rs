//! Compose's override file: `docker compose up` merges `compose.override.yaml` (or
//! `docker-compose.override.yml`, …) into the compose file of the same folder, so a healthcheck
//! or restart policy the override declares is the service's. The override's services are merged
//! into the base document following the compose specification's merge rules, every merged value
//! keeping the location it was written at (a finding about it points at the override's line),
//! and the override's own documents are left out (they are linted as part of the base).
//!
//! Merge rules (compose-spec `merge.md`): mappings merge key by key, a scalar replaces;
//! `command`, `entrypoint` and `healthcheck.test` are replaced whole; `environment`, `labels`,
//! `annotations`, `sysctls` and `build.args` merge by variable name whichever form (list or
//! mapping) each file uses; `volumes`, `devices`, `secrets` and `configs` are unique by their
//! target (an override entry replaces the base entry mounted at the same place); `ports` and
//! every other sequence append what the base does not already hold. A value tagged `!reset`
//! is removed, one tagged `!override` replaces without merging.
//!
//! Which files pair: the first of `compose.yaml`, `compose.yml`, `docker-compose.yml`,
//! `docker-compose.yaml` in a folder is the base, the first of the override names its
//! override, as `docker compose` picks them. Other variants (`compose.prod.yaml`) are deploy
//! variants of their own, selected with `-f`, and are not merged.

use std::collections::HashMap;

use crate::model::{DocKind, Document, Key, NodeId, Tree, Value};
use crate::parse;
use crate::source::Loc;

use super::read::Read;

const BASE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Merges each folder's override file into its base compose file.
pub(super) fn apply(reads: &mut [Read]) {
    let mut pairs = Vec::new();
    for (i, read) in reads.iter().enumerate() {
        let (folder, name) = split(&read.source.path);
        if !OVERRIDE_NAMES.contains(&name) {
            continue;
        }
        let first_of = |names: &[&str]| {
            names.iter().find_map(|n| {
                reads
                    .iter()
                    .position(|r| split(&r.source.path) == (folder, *n) && has_compose(r))
            })
        };
        if first_of(&OVERRIDE_NAMES) == Some(i)
            && let Some(base) = first_of(&BASE_NAMES)
        {
            pairs.push((base, i));
        }
    }
    for (base, over) in pairs {
        let over_documents = std::mem::take(&mut reads[over].parsed.documents);
        let text = reads[over].source.text.clone();
        let base_path = reads[base].source.path.clone();
        if let Some(base_doc) = reads[base]
            .parsed
            .documents
            .iter_mut()
            .find(|d| d.kind == DocKind::Compose)
        {
            for over_doc in over_documents.iter().filter(|d| d.kind == DocKind::Compose) {
                merge_document(base_doc, over_doc, &text);
            }
        }
        let read = &mut reads[over];
        read.parsed.documents = over_documents;
        for doc in &mut read.parsed.documents {
            if doc.kind == DocKind::Compose {
                doc.kind = DocKind::Yaml;
            }
        }
        read.note = Some(format!(
            "compose override: merged into `{base_path}` and linted there"
        ));
    }
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn has_compose(read: &Read) -> bool {
    read.parsed
        .documents
        .iter()
        .any(|d| d.kind == DocKind::Compose)
}

/// The override's top-level sections merged into the base, then the base's derived
/// `service_list` built again from the merged services.
fn merge_document(base: &mut Document, over: &Document, text: &str) {
    let merge = Merge {
        over: &over.tree,
        text,
    };
    for section in ["services", "volumes", "networks", "secrets", "configs"] {
        let Some(from) = over.tree.get(over.root, section) else {
            continue;
        };
        let key = Key::new(section);
        let entry = over.tree.entry_key(over.root, key).cloned();
        match base.tree.get(base.root, section) {
            Some(into) if matches!(base.tree.value(into), Value::Map(_)) => {
                merge.map(&mut base.tree, into, from, &[section]);
            }
            _ => {
                let copy = base.tree.import(&over.tree, from);
                let key_loc = entry.and_then(|e| e.key_loc);
                base.tree.insert_key(base.root, key, key_loc, copy);
            }
        }
    }
    parse::manifest::derive_compose(&mut base.tree, base.root);
}

/// A compose tag on a value of the override: `!reset` or `!override`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Reset,
    Override,
}

struct Merge<'a> {
    over: &'a Tree,
    /// The override file's text: the YAML reader keeps no tags, so they are read from it.
    text: &'a str,
}

impl Merge<'_> {
    /// Merges the override mapping `from` into the base mapping `into`; `path` is where it
    /// lies (`["services", "web"]`), which decides how sequences merge.
    fn map(&self, tree: &mut Tree, into: NodeId, from: NodeId, path: &[&str]) {
        for entry in self.over.entries(from).to_vec() {
            let name = entry.key.as_str();
            let tag = self.tag(entry.key_loc, self.over.loc(entry.value));
            if tag == Some(Tag::Reset) {
                if let Some(entries) = tree.entries_mut(into) {
                    entries.retain(|e| e.key != entry.key);
                }
                continue;
            }
            let existing = tree.get_key(into, entry.key);
            let mut inner: Vec<&str> = path.to_vec();
            inner.push(name);
            let merged = match existing {
                Some(base) if tag.is_none() => self.value(tree, base, entry.value, &inner),
                _ => tree.import(self.over, entry.value),
            };
            // A key the base has stays where the base wrote it: a finding about the service
            // as a whole points at its definition, one about a value at the value.
            let key_loc = if existing.is_some() {
                None
            } else {
                entry.key_loc
            };
            tree.insert_key(into, entry.key, key_loc, merged);
        }
    }

    /// The merge of base value `base` with override value `over` at `path`: a new node, or
    /// `base` merged in place.
    fn value(&self, tree: &mut Tree, base: NodeId, over: NodeId, path: &[&str]) -> NodeId {
        let key = path.last().copied().unwrap_or("");
        let in_service = path.len() == 3 && path[0] == "services";
        let replaced = in_service && matches!(key, "command" | "entrypoint")
            || path.len() == 4 && path[2] == "healthcheck" && key == "test";
        if replaced {
            return tree.import(self.over, over);
        }
        let by_name = in_service
            && matches!(key, "environment" | "labels" | "annotations" | "sysctls")
            || path.len() == 4 && path[2] == "build" && key == "args";
        if by_name {
            let into = as_map(tree, base);
            let imported = tree.import(self.over, over);
            let from = as_map(tree, imported);
            for entry in tree.entries(from).to_vec() {
                tree.insert_key(into, entry.key, entry.key_loc, entry.value);
            }
            return into;
        }
        match (tree.value(base), self.over.value(over)) {
            (Value::Map(_), Value::Map(_)) => {
                self.map(tree, base, over, path);
                base
            }
            (Value::Seq(_), Value::Seq(_)) => {
                let unique_by_target =
                    in_service && matches!(key, "volumes" | "devices" | "secrets" | "configs");
                self.sequence(tree, base, over, unique_by_target)
            }
            _ => tree.import(self.over, over),
        }
    }

    /// The base sequence with the override's items: one replacing a base item of the same
    /// target (`unique_by_target`), any other appended unless the base holds it already.
    fn sequence(
        &self,
        tree: &mut Tree,
        base: NodeId,
        over: NodeId,
        unique_by_target: bool,
    ) -> NodeId {
        // Identities in a hash map, so a long list costs linear time, not quadratic.
        let identity = |tree: &Tree, item: NodeId| {
            if unique_by_target {
                target_of(tree, item)
            } else {
                Some(tree.to_json(item).to_string())
            }
        };
        let mut items = tree.items(base).to_vec();
        let mut at: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = identity(tree, *item) {
                at.entry(id).or_insert(i);
            }
        }
        for item in self.over.items(over) {
            let copy = tree.import(self.over, *item);
            match identity(tree, copy) {
                Some(id) => match at.get(&id) {
                    Some(&i) if unique_by_target => items[i] = copy,
                    Some(_) => {}
                    None => {
                        at.insert(id, items.len());
                        items.push(copy);
                    }
                },
                None => items.push(copy),
            }
        }
        let seq = tree.seq(tree.loc(base));
        for item in items {
            tree.push(seq, item);
        }
        seq
    }

    /// The tag written between a key and its value (`healthcheck: !reset {}`), if any.
    fn tag(&self, key: Option<Loc>, value: Option<Loc>) -> Option<Tag> {
        let start = key?.span.end as usize;
        let end = value.map_or(start, |v| v.span.start as usize).max(start);
        let around: String = self
            .text
            .get(start..)?
            .chars()
            .take(end - start + 9)
            .collect();
        let word = around.split_once(':')?.1.trim_start();
        if word.starts_with("!reset") {
            Some(Tag::Reset)
        } else if word.starts_with("!override") {
            Some(Tag::Override)
        } else {
            None
        }
    }
}

/// A mapping-or-list field (`environment: [A=1, B]` or `{A: 1, B: null}`) as a mapping; a
/// list item `NAME` alone has a null value (compose takes it from the shell).
fn as_map(tree: &mut Tree, node: NodeId) -> NodeId {
    if matches!(tree.value(node), Value::Map(_)) {
        return node;
    }
    let map = tree.map(tree.loc(node));
    for item in tree.items(node).to_vec() {
        let loc = tree.loc(item);
        let Some(text) = tree.scalar_text(item).map(|t| t.into_owned()) else {
            continue;
        };
        let value = match text.split_once('=') {
            Some((_, value)) => tree.str(value, loc),
            None => tree.null(loc),
        };
        let name = text.split_once('=').map_or(text.as_str(), |(n, _)| n);
        tree.insert_key(map, Key::new(name.trim()), loc, value);
    }
    map
}

/// Where a volume, device, secret or config lands in the container: `src:/data:ro` →
/// `/data`, `{target: /data}` → `/data`, a secret `db-password` → itself.
fn target_of(tree: &Tree, item: NodeId) -> Option<String> {
    if let Some(text) = tree.as_str(item) {
        let parts: Vec<&str> = text.split(':').collect();
        return Some(parts.get(1).unwrap_or(&parts[0]).to_string());
    }
    ["target", "source"]
        .iter()
        .find_map(|k| tree.get(item, k).and_then(|t| tree.as_str(t)))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compose(file: u32, path: &str, text: &str) -> Document {
        let parsed = parse::parse(DocKind::Yaml, file, path, text);
        let found = parsed
            .documents
            .into_iter()
            .find(|d| d.kind == DocKind::Compose);
        found.unwrap_or_else(|| panic!("not compose: {text}"))
    }

    #[test]
    fn merges_as_the_compose_specification_says() {
        let base = "services:
  web:
    image: web:1
    command: [serve, --port, '80']
    environment: [A=1, B=2]
    ports: ['80:80']
    volumes: ['data:/data', './conf:/etc/web:ro']
    healthcheck: {test: [CMD, ping], interval: 5s}
    labels: {team: shop}
";
        let over = "services:
  web:
    command: [serve, --debug]
    environment: {B: three, C: '4'}
    ports: ['80:80', '9090:9090']
    volumes: ['./dev-data:/data']
    healthcheck: {test: [CMD, curl, localhost]}
    labels: !override {tier: dev}
    restart: always
  worker:
    image: worker:1
";
        let mut doc = compose(0, "compose.yaml", base);
        let override_doc = compose(1, "compose.override.yaml", over);
        merge_document(&mut doc, &override_doc, over);
        let web = doc.tree.lookup(doc.root, "services.web");
        let json = web.map(|w| doc.tree.to_json(w)).unwrap_or_default();
        let expected = serde_json::json!({
            "image": "web:1",
            "command": ["serve", "--debug"],
            "environment": {"A": "1", "B": "three", "C": "4"},
            "ports": ["80:80", "9090:9090"],
            "volumes": ["./dev-data:/data", "./conf:/etc/web:ro"],
            "healthcheck": {"test": ["CMD", "curl", "localhost"], "interval": "5s"},
            "labels": {"tier": "dev"},
            "restart": "always",
        });
        assert_eq!(json, expected);
        let names: Vec<_> = doc
            .tree
            .lookup(doc.root, "service_list")
            .map(|l| doc.tree.items(l).to_vec())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| doc.tree.lookup(s, "name"))
            .filter_map(|n| doc.tree.as_str(n).map(str::to_owned))
            .collect();
        assert_eq!(names, ["web", "worker"]);
        // The merged restart policy points at the override file, the service at the base.
        let restart = doc.tree.lookup(doc.root, "services.web.restart");
        assert_eq!(
            restart.and_then(|r| doc.tree.loc(r)).map(|l| l.file),
            Some(1)
        );
        let web_key = doc.tree.entry(
            doc.tree.get(doc.root, "services").unwrap_or(doc.root),
            "web",
        );
        assert_eq!(web_key.and_then(|e| e.key_loc).map(|l| l.file), Some(0));
    }

    #[test]
    fn reset_removes_a_value() {
        let base =
            "services:\n  web:\n    image: web:1\n    healthcheck:\n      test: [CMD, ping]\n";
        let over = "services:\n  web:\n    healthcheck: !reset {}\n";
        let mut doc = compose(0, "compose.yaml", base);
        merge_document(&mut doc, &compose(1, "compose.override.yaml", over), over);
        assert!(
            doc.tree
                .lookup(doc.root, "services.web.healthcheck")
                .is_none()
        );
        assert!(doc.tree.lookup(doc.root, "services.web.image").is_some());
    }
}
