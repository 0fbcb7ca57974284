//! Parsers never panic: arbitrary text and text shaped like the real format both come back as
//! documents or errors, with every location inside the file.

use golive::model::{DocKind, NodeId, Tree};
use golive::parse::{Parsed, parse};
use proptest::prelude::*;

/// Walks the tree checking every location lies inside the text (a shifted BOM offset or an
/// off-by-one span end would show up here before it shows up as a garbled diagnostic).
fn locations_in_bounds(tree: &Tree, id: NodeId, len: usize, depth: usize) -> bool {
    if depth > 64 {
        return true;
    }
    let here = tree.loc(id).is_none_or(|l| l.span.end as usize <= len);
    let children: Vec<NodeId> = match tree.value(id) {
        golive::model::Value::Seq(items) => items.to_vec(),
        golive::model::Value::Map(entries) => entries.iter().map(|e| e.value).collect(),
        _ => Vec::new(),
    };
    here && children
        .into_iter()
        .all(|c| locations_in_bounds(tree, c, len, depth + 1))
}

fn check(text: &str) -> Parsed {
    let parsed = parse(DocKind::Dockerfile, 0, "Dockerfile", text);
    assert!(parsed.documents.len() + parsed.errors.len() > 0);
    for doc in &parsed.documents {
        assert!(locations_in_bounds(&doc.tree, doc.root, text.len(), 0));
    }
    for error in &parsed.errors {
        assert!(error.span.is_none_or(|s| s.end as usize <= text.len()));
    }
    parsed
}

fn dockerfile_line() -> impl Strategy<Value = String> {
    let keyword = prop::sample::select(vec![
        "FROM",
        "from",
        "RUN",
        "CMD",
        "ENTRYPOINT",
        "USER",
        "ENV",
        "ARG",
        "EXPOSE",
        "HEALTHCHECK",
        "ONBUILD",
        "COPY",
        "ADD",
        "WORKDIR",
        "LABEL",
        "SHELL",
        "VOLUME",
        "STOPSIGNAL",
        "#",
        "# escape=`",
        "\u{feff}",
        "",
    ]);
    let argument = prop::sample::select(vec![
        "alpine:3",
        "${V:-x}",
        "$V",
        "${",
        "a AS b",
        "[\"a\", \"b\"]",
        "[\"a\"",
        "<<EOF",
        "<<-'EOT' x",
        "EOF",
        "NONE",
        "--interval=1s CMD true",
        "CMD [\"x\"]",
        "80-90/udp",
        "A=1 B=\"two words\"",
        "root:0",
        "\\",
        "`",
        "\r",
        "é\u{0}",
    ]);
    (keyword, prop::collection::vec(argument, 0..4))
        .prop_map(|(k, args)| format!("{k} {}", args.join(" ")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn dockerfile_arbitrary_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn dockerfile_shaped_text_never_panics(
        lines in prop::collection::vec(dockerfile_line(), 0..12),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        check(&text);
        check(&format!("FROM scratch\n{text}"));
    }
}

#[test]
fn dockerfile_binary_input_is_an_error() {
    let bytes: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    let text = String::from_utf8_lossy(&bytes);
    let parsed = check(&text);
    assert!(parsed.documents.is_empty());
    assert!(!parsed.errors.is_empty());
}
