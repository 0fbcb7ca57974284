//! Parser snapshots: every file under `fixtures/parsers/<kind>/` is parsed as that kind and the
//! resulting documents (values with their line:column) and errors are snapshotted.

use std::path::{Path, PathBuf};

use golive::model::{DocKind, NodeId, Tree, Value};
use golive::source::SourceFile;

fn kind_of(dir: &str) -> Option<DocKind> {
    Some(match dir {
        "dockerfile" => DocKind::Dockerfile,
        "markdown" => DocKind::Markdown,
        "readme" => DocKind::Readme,
        "source" => DocKind::Source,
        "dependencies" => DocKind::Dependencies,
        "config" => DocKind::Config,
        "yaml" => DocKind::Yaml,
        "json" => DocKind::Json,
        _ => return None,
    })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Renders a tree as JSON where every located scalar reads `value @line:col` and every located
/// collection carries an `@` entry, so a snapshot shows both what was parsed and where.
fn located(tree: &Tree, id: NodeId, file: &SourceFile) -> serde_json::Value {
    use serde_json::Value as J;
    let at = tree.loc(id).map(|loc| {
        let p = file.position(loc.span.start as usize);
        format!("{}:{}", p.line, p.column)
    });
    match tree.value(id) {
        Value::Seq(items) => {
            let items: Vec<J> = items.iter().map(|i| located(tree, *i, file)).collect();
            match at {
                Some(at) => serde_json::json!({ "@": at, "items": items }),
                None => J::Array(items),
            }
        }
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            if let Some(at) = at {
                map.insert("@".into(), J::String(at));
            }
            for e in entries {
                map.insert(e.key.to_string(), located(tree, e.value, file));
            }
            J::Object(map)
        }
        _ => {
            let text = tree.scalar_text(id).unwrap_or_default().into_owned();
            let shown = match tree.value(id) {
                Value::Str(_) => format!("{text:?}"),
                _ => text,
            };
            J::String(match at {
                Some(at) => format!("{shown} @{at}"),
                None => shown,
            })
        }
    }
}

#[test]
fn parser_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/parsers");
    let mut files = Vec::new();
    files_under(&root, &mut files);
    files.sort();
    let mut seen = 0;
    for path in files {
        let rel = path.strip_prefix(&root).unwrap_or(&path);
        let mut parts = rel.components();
        let dir = parts
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("");
        let Some(kind) = kind_of(dir) else { continue };
        let inner = parts.as_path().to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let source = SourceFile::new(inner.clone(), text.as_ref());
        let parsed = golive::parse::parse(kind, 0, &inner, &text);
        let documents: Vec<serde_json::Value> = parsed
            .documents
            .iter()
            .map(|d| {
                serde_json::json!({
                    "kind": d.kind.as_str(),
                    "index": d.index,
                    "label": d.label,
                    "tree": located(&d.tree, d.root, &source),
                })
            })
            .collect();
        let errors: Vec<String> = parsed
            .errors
            .iter()
            .map(|e| match e.span {
                Some(span) => {
                    let p = source.position(span.start as usize);
                    format!("{}:{}: {}", p.line, p.column, e.message)
                }
                None => e.message.clone(),
            })
            .collect();
        let name = format!("{dir}__{}", inner.replace('/', "__"));
        insta::assert_yaml_snapshot!(
            name,
            serde_json::json!({ "documents": documents, "errors": errors })
        );
        seen += 1;
    }
    assert!(
        seen > 0,
        "no parser fixtures found under {}",
        root.display()
    );
}

/// Anchors, aliases and `<<` merge keys resolve to exactly the tree of the same file written out
/// by hand (Kubernetes' view: explicit keys win, the first merged map wins over later ones).
#[test]
fn anchors_and_merge_keys_equal_their_explicit_twin() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/parsers/yaml/anchors");
    let tree_of = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let parsed = golive::parse::parse(DocKind::Yaml, 0, name, &text);
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        let doc = parsed
            .documents
            .first()
            .unwrap_or_else(|| panic!("{name}: no document"));
        doc.tree.to_json(doc.root)
    };
    assert_eq!(tree_of("with-anchors.yaml"), tree_of("explicit-twin.yaml"));
}
