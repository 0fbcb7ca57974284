//! The document model every parser produces and every rule reads: an arena of value nodes, each
//! with the source location it came from.
//!
//! Map keys are interned for the process (`Key`): an entry holds a number, not a string.
//! YAML aliases are not copied: an alias is the same `NodeId` under a second parent, so a
//! billion-laughs document costs what its text costs. Loaders bound the *expanded* size (see
//! `Tree::expanded_size`) so any walk over a tree is bounded too.

use std::borrow::Cow;

use thin_vec::ThinVec;

mod key;
mod text;

pub use crate::source::{FileId, Loc};
pub use key::Key;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(std::sync::Arc<str>),
    // Thin vectors (one pointer, length and capacity on the heap) keep a node at 40 bytes
    // instead of 48; a tree holds hundreds of thousands of them.
    Seq(ThinVec<NodeId>),
    Map(ThinVec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Key,
    pub key_loc: Option<Loc>,
    pub value: NodeId,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub loc: Option<Loc>,
}

/// An arena of nodes. Node 0 is not special; a `Document` names its root.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Set when the parser is done with the tree (`shrink_to_fit`). The link step still adds a
    /// few nodes to most trees; doubling a full arena for them left a third of every workload's
    /// arena empty while the whole repository was held, so from then on it grows by an eighth.
    finished: bool,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Frees the spare capacity the arena and each mapping and sequence reserved while
    /// growing: the parser is done with the tree.
    pub fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.finished = true;
        for node in &mut self.nodes {
            match &mut node.value {
                Value::Seq(items) => items.shrink_to_fit(),
                Value::Map(entries) => entries.shrink_to_fit(),
                _ => {}
            }
        }
    }

    /// Makes room for exactly `additional` more nodes: for a finished tree that is about to
    /// receive a known number (doubling the arena would leave most of it empty).
    pub fn reserve_exact(&mut self, additional: usize) {
        self.nodes.reserve_exact(additional);
    }

    pub fn add(&mut self, value: Value, loc: Option<Loc>) -> NodeId {
        let value = match value {
            Value::Str(text) => Value::Str(text::shared(text)),
            other => other,
        };
        if self.finished && self.nodes.len() == self.nodes.capacity() {
            self.nodes.reserve_exact(self.nodes.len() / 8 + 4);
        }
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node { value, loc });
        id
    }

    pub fn null(&mut self, loc: Option<Loc>) -> NodeId {
        self.add(Value::Null, loc)
    }

    pub fn str(&mut self, text: impl Into<std::sync::Arc<str>>, loc: Option<Loc>) -> NodeId {
        self.add(Value::Str(text.into()), loc)
    }

    pub fn int(&mut self, value: i64, loc: Option<Loc>) -> NodeId {
        self.add(Value::Int(value), loc)
    }

    pub fn bool(&mut self, value: bool, loc: Option<Loc>) -> NodeId {
        self.add(Value::Bool(value), loc)
    }

    pub fn map(&mut self, loc: Option<Loc>) -> NodeId {
        self.add(Value::Map(ThinVec::new()), loc)
    }

    pub fn seq(&mut self, loc: Option<Loc>) -> NodeId {
        self.add(Value::Seq(ThinVec::new()), loc)
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn value(&self, id: NodeId) -> &Value {
        &self.node(id).value
    }

    pub fn loc(&self, id: NodeId) -> Option<Loc> {
        self.node(id).loc
    }

    pub fn entries_mut(&mut self, map: NodeId) -> Option<&mut ThinVec<Entry>> {
        match &mut self.nodes[map.0 as usize].value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn set_value(&mut self, id: NodeId, value: Value) {
        self.nodes[id.0 as usize].value = value;
    }

    pub fn set_loc(&mut self, id: NodeId, loc: Option<Loc>) {
        self.nodes[id.0 as usize].loc = loc;
    }

    /// Points every node at `loc`: for a tree parsed from a string embedded in another file,
    /// where only the string's own location is known.
    pub fn relocate_all(&mut self, loc: Option<Loc>) {
        for node in &mut self.nodes {
            node.loc = loc;
        }
    }

    /// Moves every node's and map key's location through `map`: for a tree parsed from
    /// rendered text, whose locations are then those of the sources the text came from.
    pub fn remap_locs(&mut self, mut map: impl FnMut(Loc) -> Option<Loc>) {
        for node in &mut self.nodes {
            node.loc = node.loc.and_then(&mut map);
            if let Value::Map(entries) = &mut node.value {
                for entry in entries.iter_mut() {
                    entry.key_loc = entry.key_loc.and_then(&mut map);
                }
            }
        }
    }

    /// Sets `key` in a map node, replacing an existing entry. No-op on non-maps.
    pub fn insert(&mut self, map: NodeId, key: &str, value: NodeId) {
        self.insert_at(map, key, None, value);
    }

    pub fn insert_at(&mut self, map: NodeId, key: &str, key_loc: Option<Loc>, value: NodeId) {
        self.insert_key(map, Key::new(key), key_loc, value);
    }

    pub fn insert_key(&mut self, map: NodeId, key: Key, key_loc: Option<Loc>, value: NodeId) {
        if let Value::Map(entries) = &mut self.nodes[map.0 as usize].value {
            if let Some(entry) = entries.iter_mut().find(|e| e.key == key) {
                entry.value = value;
                entry.key_loc = key_loc.or(entry.key_loc);
            } else {
                entries.push(Entry {
                    key,
                    key_loc,
                    value,
                });
            }
        }
    }

    /// Appends to a sequence node. No-op on non-sequences.
    pub fn push(&mut self, seq: NodeId, item: NodeId) {
        if let Value::Seq(items) = &mut self.nodes[seq.0 as usize].value {
            items.push(item);
        }
    }

    pub fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.entry(map, key).map(|e| e.value)
    }

    pub fn get_key(&self, map: NodeId, key: Key) -> Option<NodeId> {
        self.entry_key(map, key).map(|e| e.value)
    }

    /// The entry for `key`; a key no document has ever used is found in no map.
    pub fn entry(&self, map: NodeId, key: &str) -> Option<&Entry> {
        self.entry_key(map, Key::find(key)?)
    }

    pub fn entry_key(&self, map: NodeId, key: Key) -> Option<&Entry> {
        match self.value(map) {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self, map: NodeId) -> &[Entry] {
        match self.value(map) {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self, seq: NodeId) -> &[NodeId] {
        match self.value(seq) {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Follows a dotted path of plain keys (`spec.template.spec`).
    pub fn lookup(&self, from: NodeId, dotted: &str) -> Option<NodeId> {
        dotted
            .split('.')
            .try_fold(from, |node, key| self.get(node, key))
    }

    pub fn as_str(&self, id: NodeId) -> Option<&str> {
        match self.value(id) {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self, id: NodeId) -> Option<i64> {
        match self.value(id) {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self, id: NodeId) -> Option<bool> {
        match self.value(id) {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A scalar as text (`8080`, `true`, `nginx:1.25`); `None` for maps and sequences.
    pub fn scalar_text(&self, id: NodeId) -> Option<Cow<'_, str>> {
        match self.value(id) {
            Value::Null => Some(Cow::Borrowed("null")),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The number of nodes a walk visits from `root`, counting shared (aliased) nodes once per
    /// reference; stops counting at `limit`.
    pub fn expanded_size(&self, root: NodeId, limit: u64) -> u64 {
        let mut memo: Vec<u64> = vec![0; self.nodes.len()];
        self.expanded_size_memo(root, limit, &mut memo)
    }

    fn expanded_size_memo(&self, root: NodeId, limit: u64, memo: &mut [u64]) -> u64 {
        // Children always have smaller ids than their parents in loader-built trees, but synthetic
        // trees may not; an explicit stack keeps deep trees off the call stack either way.
        let mut stack = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            let slot = id.0 as usize;
            if memo[slot] != 0 {
                continue;
            }
            let children: Vec<NodeId> = match self.value(id) {
                Value::Seq(items) => items.to_vec(),
                Value::Map(entries) => entries.iter().map(|e| e.value).collect(),
                _ => Vec::new(),
            };
            if children_done || children.is_empty() {
                let sum = children
                    .iter()
                    .fold(1u64, |acc, c| acc.saturating_add(memo[c.0 as usize]));
                memo[slot] = sum.min(limit.saturating_add(1));
            } else {
                stack.push((id, true));
                stack.extend(
                    children
                        .into_iter()
                        .filter(|c| memo[c.0 as usize] == 0)
                        .map(|c| (c, false)),
                );
            }
        }
        memo[root.0 as usize]
    }

    /// Copies the subtree at `id` of `other` into this tree (locations kept), for facts that
    /// the link step attaches to another document.
    pub fn import(&mut self, other: &Tree, id: NodeId) -> NodeId {
        let node = other.node(id);
        let value = match &node.value {
            Value::Seq(items) => Value::Seq(items.iter().map(|i| self.import(other, *i)).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key,
                        key_loc: e.key_loc,
                        value: self.import(other, e.value),
                    })
                    .collect(),
            ),
            scalar => scalar.clone(),
        };
        self.add(value, node.loc)
    }

    /// Converts a subtree to JSON (for tests and debugging output).
    pub fn to_json(&self, id: NodeId) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value(id) {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(|i| self.to_json(*i)).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), self.to_json(e.value)))
                    .collect(),
            ),
        }
    }
}

/// What a document is, which decides the rules that read it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    Kubernetes,
    Compose,
    Prometheus,
    Grafana,
    Dockerfile,
    Readme,
    Markdown,
    Source,
    Dependencies,
    /// An application's settings file: `.env`, `.properties`, Spring `application.yml`.
    Config,
    Yaml,
    Json,
    Repo,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Kubernetes => "kubernetes",
            DocKind::Compose => "compose",
            DocKind::Prometheus => "prometheus",
            DocKind::Grafana => "grafana",
            DocKind::Dockerfile => "dockerfile",
            DocKind::Readme => "readme",
            DocKind::Markdown => "markdown",
            DocKind::Source => "source",
            DocKind::Dependencies => "dependencies",
            DocKind::Config => "config",
            DocKind::Yaml => "yaml",
            DocKind::Json => "json",
            DocKind::Repo => "repo",
        }
    }
}

/// One document of an artifact: a Kubernetes object, a Dockerfile, a README…
#[derive(Clone, Debug)]
pub struct Document {
    pub kind: DocKind,
    pub file: FileId,
    /// Position of the document in its file (0 for single-document files).
    pub index: usize,
    /// A short name for messages: `Deployment/api`, `stage runtime`, …
    pub label: Option<String>,
    pub tree: Tree,
    pub root: NodeId,
    /// Rule regexes already searched in one of the document's strings while the file was read
    /// (see `engine::prematch`), so the string itself need not be kept.
    pub text_finds: Option<TextFinds>,
}

impl Document {
    pub fn new(kind: DocKind, file: FileId, tree: Tree, root: NodeId) -> Document {
        Document {
            kind,
            file,
            index: 0,
            label: None,
            tree,
            root,
            text_finds: None,
        }
    }

    /// Frees the tree once nothing will read it again; the document keeps what findings and
    /// the report name it by (kind, file, label), and its root is an empty mapping.
    pub fn drop_tree(&mut self) {
        self.tree = Tree::new();
        self.root = self.tree.map(None);
        self.text_finds = None;
    }
}

/// The outcome of searching a string node for each of a set of regexes.
#[derive(Clone, Debug)]
pub struct TextFinds {
    pub node: NodeId,
    pub finds: Finds,
}

/// Which regexes were searched in a text (one list shared by every text of a scan), and where
/// the ones that matched first match: most texts match a few of them, so a source document
/// holds a few entries instead of one per regex.
#[derive(Clone, Debug)]
pub struct Finds {
    pub searched: std::sync::Arc<[std::sync::Arc<str>]>,
    /// Index into `searched` and the first match.
    pub matched: Vec<(u32, Loc)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextFind {
    pub matched: bool,
    /// The first match, when the string has a location.
    pub at: Option<Loc>,
}

impl Finds {
    /// The recorded search of `regex`; `None` when it was not searched.
    pub fn get(&self, regex: &str) -> Option<TextFind> {
        let index = self.searched.iter().position(|r| &**r == regex)?;
        let at = self
            .matched
            .iter()
            .find(|(i, _)| *i as usize == index)
            .map(|(_, at)| *at);
        Some(TextFind {
            matched: at.is_some(),
            at,
        })
    }
}

impl TextFinds {
    /// The recorded search of `regex` in `node`; `None` when it was not searched there.
    pub fn get(&self, node: NodeId, regex: &str) -> Option<TextFind> {
        if node != self.node {
            return None;
        }
        self.finds.get(regex)
    }
}
