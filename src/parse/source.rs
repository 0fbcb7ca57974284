//! Source code → one document: language, path, whether it is a test, the full text, and the
//! string literals it assigns to credential-like names (`literals[*]`, see `literals`).
//!
//! The text is kept byte-exact with a location covering the whole file, so a rule's regex match
//! offsets are spans into the file as they stand.

use std::sync::Arc;

use super::Parsed;
use crate::model::{DocKind, Document, Tree};
use crate::source::{FileId, Loc};

pub fn parse(file: FileId, path: &str, text: &str) -> Parsed {
    Parsed {
        duplicate_keys: Vec::new(),
        documents: vec![document(file, path, text.into(), text)],
        errors: Vec::new(),
    }
}

/// The document of the source file `full` whose `text` is shared with the file table (or
/// empty, when the scan let the text go: see `engine::prematch`).
pub fn document(file: FileId, path: &str, text: Arc<str>, full: &str) -> Document {
    let mut tree = Tree::new();
    let whole = Some(Loc::new(file, 0, full.len()));
    let root = tree.map(whole);
    let language = match language_of(path) {
        Some(language) => tree.str(language, None),
        None => tree.null(None),
    };
    tree.insert(root, "language", language);
    let path_id = tree.str(path, None);
    tree.insert(root, "path", path_id);
    let text_id = tree.str(text, whole);
    tree.insert(root, "text", text_id);
    let test = tree.bool(is_test_path(path), None);
    tree.insert(root, "test", test);
    let list = tree.seq(None);
    for literal in super::literals::literals(full) {
        let item = tree.map(Some(Loc::new(file, literal.value_at.0, literal.value_at.1)));
        let name_loc = Loc::new(file, literal.name_at.0, literal.name_at.1);
        let name = tree.str(literal.name, Some(name_loc));
        tree.insert(item, "name", name);
        let value_loc = Loc::new(file, literal.value_at.0, literal.value_at.1);
        let value = tree.str(literal.value, Some(value_loc));
        tree.insert(item, "value", value);
        tree.push(list, item);
    }
    tree.insert(root, "literals", list);
    Document::new(DocKind::Source, file, tree, root)
}

/// The ecosystem a source file belongs to, by extension. JVM languages share `java` because they
/// share build tools, libraries and runtime concerns; likewise the .NET languages share `dotnet`.
pub fn language_of(path: &str) -> Option<&'static str> {
    let name = basename(path);
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "go" => "go",
        "py" => "python",
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx" => "node",
        "java" | "kt" | "kts" | "scala" => "java",
        "cs" | "fs" | "vb" => "dotnet",
        "rs" => "rust",
        "rb" => "ruby",
        "php" => "php",
        _ => return None,
    })
}

/// Whether a path names test code, by the conventions of each ecosystem's test runner.
pub fn is_test_path(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or("");
    parts
        .iter()
        .any(|dir| matches!(*dir, "test" | "tests" | "__tests__"))
        || is_test_name(name)
}

fn is_test_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    match ext {
        "go" => stem.ends_with("_test"),
        "py" => stem.starts_with("test_") || stem.ends_with("_test"),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx" => {
            stem.ends_with(".test") || stem.ends_with(".spec")
        }
        "java" | "kt" | "scala" | "cs" | "fs" | "vb" => {
            stem.ends_with("Test") || stem.ends_with("Tests")
        }
        "rb" => stem.ends_with("_spec") || stem.ends_with("_test"),
        "php" => stem.ends_with("Test"),
        _ => false,
    }
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}
