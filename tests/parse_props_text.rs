//! The markdown, source and dependency parsers never panic, whatever text they are given, and
//! every location they report lies inside the text.

use golive::model::{DocKind, NodeId, Tree, Value};
use proptest::prelude::*;

const PATHS: [&str; 12] = [
    "go.mod",
    "package.json",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "App.csproj",
    "Directory.Packages.props",
    "src/main.rs",
    "tests/test_app.py",
];

fn spans_inside(tree: &Tree, id: NodeId, len: usize) -> bool {
    let here = tree.loc(id).is_none_or(|l| l.span.end as usize <= len);
    let children: Vec<NodeId> = match tree.value(id) {
        Value::Seq(items) => items.to_vec(),
        Value::Map(entries) => entries.iter().map(|e| e.value).collect(),
        _ => Vec::new(),
    };
    here && children.into_iter().all(|c| spans_inside(tree, c, len))
}

fn check(kind: DocKind, path: &str, text: &str) {
    let parsed = golive::parse::parse(kind, 0, path, text);
    for doc in &parsed.documents {
        assert!(spans_inside(&doc.tree, doc.root, text.len()));
    }
    for err in &parsed.errors {
        assert!(err.span.is_none_or(|s| s.end as usize <= text.len()));
    }
}

/// Text built from the tokens these formats care about, so generated inputs reach deep paths.
fn markup() -> impl Strategy<Value = String> {
    const TOKENS: [&str; 36] = [
        "#",
        "-",
        "=",
        "*",
        "`",
        "~",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "!",
        "{",
        "}",
        "\"",
        ":",
        ",",
        "'",
        "\\",
        " ",
        "\t",
        "\n",
        "|",
        "@",
        ";",
        "é",
        "a",
        "1",
        "require (",
        "\"dependencies\"",
        "<dependency>",
        "<PackageReference ",
        "[dependencies]",
        "```",
        "implementation '",
    ];
    prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..200).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn markdown_never_panics(text in any::<String>(), marked in markup()) {
        check(DocKind::Readme, "README.md", &text);
        check(DocKind::Markdown, "docs/a.md", &marked);
    }

    #[test]
    fn source_never_panics(text in any::<String>(), path in prop::sample::select(PATHS.to_vec())) {
        check(DocKind::Source, path, &text);
    }

    #[test]
    fn dependencies_never_panic(
        text in any::<String>(),
        marked in markup(),
        path in prop::sample::select(PATHS.to_vec()),
    ) {
        check(DocKind::Dependencies, path, &text);
        check(DocKind::Dependencies, path, &marked);
    }
}
