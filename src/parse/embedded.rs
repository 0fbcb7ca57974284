//! YAML or JSON held in a string of another YAML file — a ConfigMap's `alerts.rules`, its
//! `dashboard.json` — parsed as a tree of its own whose locations point into the outer file.
//!
//! A literal block scalar (`|`, `|-`, `|+`) is the outer file's lines with their indentation
//! removed, so every embedded offset maps back to an exact file offset. Any other string style
//! (quoted, folded, plain) has no such mapping: its nodes all point at the string itself.

use super::yaml::{self, YamlDoc};
use crate::model::{NodeId, Tree};
use crate::source::{Loc, Span};

/// The first document of `content`, the string at `at` in `file_text`, located in the file;
/// `None` when it does not parse or is not a mapping.
pub fn parse(file_text: &str, at: Option<Loc>, content: &str) -> Option<(Tree, NodeId)> {
    let at = at?;
    let mut loaded = yaml::load(at.file, content);
    if !loaded.errors.is_empty() || loaded.documents.is_empty() {
        return None;
    }
    let YamlDoc { mut tree, root, .. } = loaded.documents.swap_remove(0);
    tree.entries(root).first()?;
    match block_lines(file_text, at.span, content) {
        Some(lines) => tree.remap_locs(|loc| {
            Some(Loc {
                file: at.file,
                span: Span {
                    start: to_file(&lines, loc.span.start),
                    end: to_file(&lines, loc.span.end),
                },
            })
        }),
        None => tree.relocate_all(Some(at)),
    }
    Some((tree, root))
}

/// For each content line of the literal block scalar at `span`: (offset of the line in
/// `content`, offset of its first content byte in the file). `None` when the scalar is not a
/// literal block, or its lines do not spell `content` (a tab, an escape: then no exact map).
fn block_lines(file_text: &str, span: Span, content: &str) -> Option<Vec<(u32, u32)>> {
    let start = span.start as usize;
    let header = file_text.get(start..)?;
    // The scalar's span starts at its `|` indicator or at its first content line.
    let body_start = if header.starts_with('|') {
        start + header.find('\n')? + 1
    } else {
        let line_start = file_text.get(..start)?.rfind('\n')? + 1;
        let before = file_text.get(..line_start.checked_sub(1)?)?;
        let indicator = before.rsplit('\n').next()?.trim_end();
        let literal = ["|", "|-", "|+"].iter().any(|i| indicator.ends_with(i));
        if !literal || !file_text.get(line_start..start)?.bytes().all(|b| b == b' ') {
            return None;
        }
        line_start
    };
    let body = file_text.get(body_start..)?;
    let indent = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())?;
    let mut lines = Vec::new();
    let mut inner = 0usize;
    let mut outer = body_start;
    for line in content.split_inclusive('\n') {
        let file_line = file_text.get(outer..)?;
        let file_line = &file_line[..file_line.find('\n').map_or(file_line.len(), |n| n + 1)];
        let text = line.trim_end_matches('\n');
        // A blank content line may be shorter than the indentation in the file.
        let skip = if text.is_empty() {
            file_line.len().saturating_sub(1).min(indent)
        } else {
            indent
        };
        if file_line.get(skip..skip + text.len())? != text {
            return None;
        }
        lines.push((inner as u32, (outer + skip) as u32));
        inner += line.len();
        outer += file_line.len();
    }
    Some(lines)
}

fn to_file(lines: &[(u32, u32)], offset: u32) -> u32 {
    let at = lines.partition_point(|(inner, _)| *inner <= offset);
    match at.checked_sub(1).and_then(|i| lines.get(i)) {
        Some((inner, outer)) => outer + (offset - inner),
        None => offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn outer_scalar(text: &str) -> (Option<Loc>, String) {
        let loaded = yaml::load(0, text);
        let doc = &loaded.documents[0];
        let value = doc.tree.lookup(doc.root, "data.rules").unwrap();
        let Value::Str(s) = doc.tree.value(value) else {
            panic!("not a string")
        };
        (doc.tree.loc(value), s.to_string())
    }

    #[test]
    fn literal_block_maps_to_file_lines() {
        let text = "data:\n  rules: |\n    groups:\n\n      - name: api\n        rules: []\n";
        let (at, content) = outer_scalar(text);
        let (tree, root) = parse(text, at, &content).unwrap();
        let name = tree.lookup(root, "groups").unwrap();
        let first = tree.items(name)[0];
        let name = tree.get(first, "name").unwrap();
        let span = tree.loc(name).unwrap().span;
        assert_eq!(&text[span.start as usize..span.end as usize], "api");
    }

    #[test]
    fn quoted_string_points_at_itself() {
        let text = "data:\n  rules: \"groups: []\"\n";
        let (at, content) = outer_scalar(text);
        let (tree, root) = parse(text, at, &content).unwrap();
        assert_eq!(tree.loc(tree.get(root, "groups").unwrap()), at);
    }
}
