//! YAML and JSON text → one span tree per document, built from granit-parser's event stream.
//!
//! Built iteratively (no recursion), so nesting depth costs heap, not stack; the parser's own
//! nesting limits and an alias-expansion budget turn hostile documents into per-file errors.
//! Aliases become shared node ids; `<<` merge keys are resolved the way Kubernetes' YAML decoder
//! sees them (explicit keys win, earlier merged maps win over later ones).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use granit_parser::{Event, Options, Parser, ScalarStyle, ScanError};

use super::ParseError;
use crate::model::{Entry, Key, NodeId, Tree, Value};
use crate::source::{FileId, Loc, Span};

/// Deeper nesting than this is an error: no real manifest comes close.
pub const MAX_DEPTH: usize = 200;
/// Nodes a document may expand to through aliases before it is rejected (billion laughs).
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// One YAML document of a stream.
#[derive(Debug)]
pub struct YamlDoc {
    pub tree: Tree,
    pub root: NodeId,
    pub index: usize,
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct YamlFile {
    pub documents: Vec<YamlDoc>,
    pub errors: Vec<ParseError>,
    /// Keys given twice in one mapping (the later value wins, as in Kubernetes).
    pub duplicate_keys: Vec<(String, Span)>,
}

/// Whether the text is a template that only becomes YAML once rendered (Go `{{ … }}`, Jinja
/// `{% … %}`, outside a Helm chart: Ansible, cookiecutter, envsubst-like tooling): a line that
/// starts with a directive, or a value that is one without quotes. Quoted `"{{ … }}"` values
/// (alert annotations, Argo parameters) and block scalars (an Alertmanager template kept in a
/// ConfigMap) are plain YAML and stay read.
pub fn is_template(text: &str) -> bool {
    // The indentation of the key whose block scalar (`|`, `>-`, …) the next lines belong to.
    let mut block: Option<usize> = None;
    text.lines().any(|line| {
        let indent = line.len() - line.trim_start().len();
        if line.trim().is_empty() || block.is_some_and(|key| indent > key) {
            return false;
        }
        block = None;
        let code = line.trim_start().trim_start_matches("- ");
        let value = code.split_once(": ").map_or(code, |(_, v)| v).trim_start();
        if value
            .trim_end()
            .trim_end_matches(['-', '+'])
            .ends_with(['|', '>'])
        {
            block = Some(indent);
        }
        ["{{", "{%"]
            .iter()
            .any(|open| code.starts_with(open) || value.starts_with(open))
    })
}

pub fn load(file: FileId, text: &str) -> YamlFile {
    let mut options = Options::default();
    options.emit_comments = false;
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut out = YamlFile::default();
    let mut builder = Builder::new(file);
    let mut index = 0;
    loop {
        match parser.next() {
            None => break,
            Some(Ok((event, span))) => {
                let range = span.byte_range().unwrap_or(0..0);
                match builder.event(event, Span::new(range.start, range.end)) {
                    Step::Continue => {}
                    Step::Document(doc) => {
                        out.finish_document(doc, index);
                        index += 1;
                    }
                    Step::End => break,
                }
            }
            Some(Err(error)) => {
                out.errors.push(scan_error(&error, text));
                builder = Builder::new(file);
                index += 1;
                match parser.proceed_next_document() {
                    Ok(true) => continue,
                    Ok(false) | Err(_) => break,
                }
            }
        }
        out.duplicate_keys.append(&mut builder.duplicates);
    }
    out.duplicate_keys.append(&mut builder.duplicates);
    out
}

impl YamlFile {
    fn finish_document(&mut self, doc: Option<Finished>, index: usize) {
        let Some(Finished {
            tree,
            root,
            span,
            aliased,
        }) = doc
        else {
            return;
        };
        // Without aliases every node is reached once, and the tree is as big as it looks.
        if aliased && tree.expanded_size(root, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES {
            self.errors.push(ParseError::new(
                format!(
                    "document {} expands to more than {MAX_EXPANDED_NODES} nodes through aliases; \
                     not read (alias bomb?)",
                    index + 1
                ),
                Some(span),
            ));
            return;
        }
        self.documents.push(YamlDoc {
            tree,
            root,
            index,
            span,
        });
    }
}

fn scan_error(error: &ScanError, text: &str) -> ParseError {
    let offset = error.marker().byte_offset().unwrap_or(0).min(text.len());
    ParseError::new(
        format!("invalid YAML: {}", error.info()),
        Some(Span::new(offset, offset)),
    )
}

enum Step {
    Continue,
    Document(Option<Finished>),
    End,
}

/// A document's tree as loaded, and whether an alias made one node a child twice.
struct Finished {
    tree: Tree,
    root: NodeId,
    span: Span,
    aliased: bool,
}

enum Frame {
    Seq {
        node: NodeId,
    },
    Map {
        node: NodeId,
        pending_key: Option<(Key, Option<Loc>)>,
        merges: Vec<NodeId>,
        keys: HashSet<Key, foldhash::fast::FixedState>,
    },
}

struct Builder {
    file: FileId,
    tree: Tree,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    doc_start: usize,
    aliased: bool,
    duplicates: Vec<(String, Span)>,
}

impl Builder {
    fn new(file: FileId) -> Builder {
        Builder {
            file,
            tree: Tree::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            doc_start: 0,
            aliased: false,
            duplicates: Vec::new(),
        }
    }

    fn loc(&self, span: Span) -> Option<Loc> {
        Some(Loc {
            file: self.file,
            span,
        })
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Step {
        match event {
            Event::StreamEnd => return Step::End,
            Event::DocumentStart(..) => {
                self.tree = Tree::new();
                self.stack.clear();
                self.anchors.clear();
                self.root = None;
                self.doc_start = span.start as usize;
                self.aliased = false;
            }
            Event::DocumentEnd => {
                let tree = std::mem::take(&mut self.tree);
                let doc = self.root.take().map(|root| {
                    let end = tree.loc(root).map_or(span.end, |l| l.span.end);
                    Finished {
                        tree,
                        root,
                        span: Span::new(self.doc_start, end as usize),
                        aliased: self.aliased,
                    }
                });
                return Step::Document(doc);
            }
            Event::Alias(id) => {
                let node = match self.anchors.get(&id) {
                    Some(node) => {
                        self.aliased = true;
                        *node
                    }
                    None => self.tree.null(self.loc(span)),
                };
                self.attach(node, span, None);
            }
            Event::UnresolvedAlias(_) => {
                let node = self.tree.null(self.loc(span));
                self.attach(node, span, None);
            }
            Event::Scalar(text, style, anchor, tag) => {
                // A plain mapping key needs no node of its own: the entry holds its text and place.
                if anchor == 0
                    && let Some(Frame::Map {
                        pending_key: pending @ None,
                        ..
                    }) = self.stack.last_mut()
                {
                    *pending = Some((
                        Key::new(&text),
                        Some(Loc {
                            file: self.file,
                            span,
                        }),
                    ));
                    return Step::Continue;
                }
                let value =
                    resolve_scalar(&text, style, tag.as_deref().and_then(|t| t.core_suffix()));
                let node = self.tree.add(value, self.loc(span));
                self.remember(anchor, node);
                self.attach(node, span, Some(&text));
            }
            Event::SequenceStart(_, anchor, _) => {
                let node = self.tree.seq(self.loc(span));
                self.remember(anchor, node);
                self.stack.push(Frame::Seq { node });
            }
            Event::MappingStart(_, anchor, _) => {
                let node = self.tree.map(self.loc(span));
                self.remember(anchor, node);
                self.stack.push(Frame::Map {
                    node,
                    pending_key: None,
                    merges: Vec::new(),
                    keys: HashSet::default(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            _ => {}
        }
        Step::Continue
    }

    fn remember(&mut self, anchor: usize, node: NodeId) {
        if anchor != 0 {
            self.anchors.insert(anchor, node);
        }
    }

    fn close(&mut self, span: Span) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let node = match frame {
            Frame::Seq { node } => node,
            Frame::Map { node, merges, .. } => {
                self.apply_merges(node, &merges);
                node
            }
        };
        if let Some(mut loc) = self.tree.loc(node) {
            loc.span.end = loc.span.end.max(span.end);
            self.tree.set_loc(node, Some(loc));
        }
        let start = self.tree.loc(node).map_or(span, |l| l.span);
        self.attach(node, start, None);
    }

    /// Places a finished node into its parent (or makes it the document root). `key_text` is the
    /// scalar text when the node is a scalar, for use as a mapping key.
    fn attach(&mut self, node: NodeId, span: Span, key_text: Option<&str>) {
        let loc = self.loc(span);
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { node: seq }) => {
                let seq = *seq;
                self.tree.push(seq, node);
            }
            Some(Frame::Map {
                node: map,
                pending_key,
                merges,
                keys,
            }) => match pending_key.take() {
                None => {
                    let key = match key_text {
                        Some(text) => Key::new(text),
                        None => complex_key(&self.tree, node),
                    };
                    *pending_key = Some((key, loc));
                }
                Some((key, key_loc)) => {
                    let map = *map;
                    if key == *MERGE_KEY {
                        merges.push(node);
                        return;
                    }
                    let duplicate = !keys.insert(key);
                    if duplicate {
                        let span = key_loc.map_or(Span::new(0, 0), |l| l.span);
                        self.duplicates.push((key.to_string(), span));
                        if let Some(entries) = self.tree.entries_mut(map) {
                            entries.retain(|e| e.key != key);
                        }
                    }
                    if let Some(entries) = self.tree.entries_mut(map) {
                        entries.push(Entry {
                            key,
                            key_loc,
                            value: node,
                        });
                    }
                }
            },
        }
    }

    /// `<<: *base` or `<<: [*a, *b]`: keys the mapping does not set itself come from the merged
    /// maps; with several, the first one listed wins.
    fn apply_merges(&mut self, map: NodeId, merges: &[NodeId]) {
        let mut sources = Vec::new();
        for merge in merges {
            match self.tree.value(*merge) {
                Value::Map(_) => sources.push(*merge),
                Value::Seq(items) => sources.extend(
                    items
                        .iter()
                        .copied()
                        .filter(|i| matches!(self.tree.value(*i), Value::Map(_))),
                ),
                _ => {}
            }
        }
        let mut merged: Vec<Entry> = Vec::new();
        for source in sources {
            for entry in self.tree.entries(source) {
                let taken = self.tree.entry_key(map, entry.key).is_some()
                    || merged.iter().any(|m| m.key == entry.key);
                if !taken {
                    merged.push(entry.clone());
                }
            }
        }
        if let Some(entries) = self.tree.entries_mut(map) {
            entries.extend(merged);
        }
    }
}

static MERGE_KEY: LazyLock<Key> = LazyLock::new(|| Key::new("<<"));

fn complex_key(tree: &Tree, node: NodeId) -> Key {
    Key::new(tree.scalar_text(node).as_deref().unwrap_or("<complex key>"))
}

/// YAML 1.2 core schema resolution for plain scalars (plus the capitalised forms Kubernetes'
/// decoder accepts); quoted and block scalars are always strings.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::Str(text.into()),
        Some("null") => return Value::Null,
        _ => {}
    }
    if !matches!(style, ScalarStyle::Plain) && tag.is_none() {
        return Value::Str(text.into());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(int) = parse_int(text) {
        return Value::Int(int);
    }
    if looks_like_float(text)
        && let Ok(float) = text.parse::<f64>()
    {
        return Value::Float(float);
    }
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => Value::Str(text.into()),
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(sign * value)
}

fn looks_like_float(text: &str) -> bool {
    let body = text.trim_start_matches(['-', '+']);
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_told_from_yaml_that_mentions_them() {
        assert!(is_template("metadata:\n  name: {{ .Values.name }}\n"));
        assert!(is_template("{% if prod %}\nreplicas: 3\n{% endif %}\n"));
        assert!(is_template("items:\n  - {{ item }}\n"));
        assert!(!is_template(
            "annotations:\n  summary: \"{{ $labels.instance }} is down\"\n"
        ));
        assert!(!is_template(
            "data:\n  slack.tmpl: |\n    {{ define \"title\" }}\n    {{ end }}\nkind: ConfigMap\n"
        ));
    }

    fn one(text: &str) -> (Tree, NodeId) {
        let mut file = load(0, text);
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let doc = file.documents.remove(0);
        (doc.tree, doc.root)
    }

    #[test]
    fn merge_keys_resolve_like_kubernetes() {
        let (tree, root) =
            one("base: &b {a: 1, b: 2}\nother: &o {b: 3, c: 4}\nx:\n  <<: [*b, *o]\n  a: 9\n");
        let x = tree.get(root, "x").unwrap();
        assert_eq!(tree.to_json(x), serde_json::json!({"a": 9, "b": 2, "c": 4}));
    }

    #[test]
    fn billion_laughs_is_an_error_not_a_hang() {
        let mut text = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let file = load(0, &text);
        assert!(file.documents.is_empty());
        assert!(file.errors[0].message.contains("aliases"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(200_000);
        let file = load(0, &text);
        assert!(file.documents.is_empty());
        assert!(!file.errors.is_empty());
    }

    #[test]
    fn duplicate_keys_are_reported_and_last_wins() {
        let file = load(0, "a: 1\na: 2\n");
        assert_eq!(file.duplicate_keys.len(), 1);
        let doc = &file.documents[0];
        assert_eq!(doc.tree.to_json(doc.root), serde_json::json!({"a": 2}));
    }

    #[test]
    fn later_documents_survive_a_broken_one() {
        let file = load(0, "a: 1\n---\nb: [\n---\nc: 3\n");
        assert_eq!(file.errors.len(), 1);
        let last = file.documents.last().unwrap();
        assert_eq!(last.tree.to_json(last.root), serde_json::json!({"c": 3}));
    }

    #[test]
    fn scalars_resolve_to_core_schema() {
        let (tree, root) = one("a: 8080\nb: '8080'\nc: true\nd: ~\ne: 1.5\nf: 0x1F\ng: v1.2\n");
        assert_eq!(
            tree.to_json(root),
            serde_json::json!({"a": 8080, "b": "8080", "c": true, "d": null, "e": 1.5, "f": 31, "g": "v1.2"})
        );
    }
}
