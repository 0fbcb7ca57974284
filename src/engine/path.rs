//! Paths into document trees: `spec.template.spec.containers[*].image`, `[0]`, `[-1]`,
//! `metadata.annotations."prometheus.io/scrape"`, `$.kind` (from the document root),
//! `$repo.facts.stateful` (from the repo document), `.` (the item itself).

use crate::model::{Key, NodeId, Tree, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Interned when the path is compiled, so each step compares integers.
    Key(Key),
    Index(i64),
    /// Every item of a sequence, every value of a mapping.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Item,
    Document,
    Repo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub origin: Origin,
    pub segments: Vec<Segment>,
    pub text: String,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let (origin, rest) = if let Some(rest) = text.strip_prefix("$repo") {
            (Origin::Repo, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Origin::Document, rest)
        } else {
            (Origin::Item, text)
        };
        let segments = segments(rest.strip_prefix('.').unwrap_or(rest))?;
        Ok(Path {
            origin,
            segments,
            text: text.to_owned(),
        })
    }

    /// The first node the path reaches from `from` (in document order) that passes `test`.
    pub fn find(
        &self,
        tree: &Tree,
        from: NodeId,
        test: impl Fn(&Tree, NodeId) -> bool,
    ) -> Option<NodeId> {
        // A path naming one value is followed without building the list of hits: this runs
        // for every condition of every rule on every document.
        match self.one_value(tree, from) {
            Some(found) => found.filter(|node| test(tree, *node)),
            None => self
                .resolve(tree, from)
                .into_iter()
                .find(|id| test(tree, *id)),
        }
    }

    /// Every node the path reaches from `from`, in document order.
    pub fn resolve(&self, tree: &Tree, from: NodeId) -> Vec<NodeId> {
        // Most paths name one value (`spec.replicas`): follow them without the per-segment lists.
        if let Some(found) = self.one_value(tree, from) {
            return found.into_iter().collect();
        }
        let mut current = vec![from];
        for segment in &self.segments {
            let mut next = Vec::new();
            for node in current {
                step(tree, node, segment, &mut next);
            }
            current = next;
        }
        current
    }
}

impl Path {
    /// For a path without `[*]`, the one node it reaches (`Some(None)`: none); `None` for a
    /// path that may reach several.
    fn one_value(&self, tree: &Tree, from: NodeId) -> Option<Option<NodeId>> {
        if self.segments.contains(&Segment::All) {
            return None;
        }
        Some(
            self.segments
                .iter()
                .try_fold(from, |node, segment| step_one(tree, node, segment)),
        )
    }
}

/// One step along a key or an index (never `[*]`).
fn step_one(tree: &Tree, node: NodeId, segment: &Segment) -> Option<NodeId> {
    match (segment, tree.value(node)) {
        (Segment::Key(key), Value::Map(_)) => tree.get_key(node, *key),
        (Segment::Index(i), Value::Seq(items)) => {
            let index = if *i < 0 { items.len() as i64 + i } else { *i };
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .copied()
        }
        _ => None,
    }
}

fn step(tree: &Tree, node: NodeId, segment: &Segment, out: &mut Vec<NodeId>) {
    match (segment, tree.value(node)) {
        (Segment::Key(key), Value::Map(_)) => out.extend(tree.get_key(node, *key)),
        (Segment::Index(i), Value::Seq(items)) => {
            let index = if *i < 0 { items.len() as i64 + i } else { *i };
            if let Some(item) = usize::try_from(index).ok().and_then(|i| items.get(i)) {
                out.push(*item);
            }
        }
        (Segment::All, Value::Seq(items)) => out.extend(items.iter().copied()),
        (Segment::All, Value::Map(entries)) => out.extend(entries.iter().map(|e| e.value)),
        _ => {}
    }
}

fn segments(text: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut expect_key = true;
    while let Some(&(i, c)) = chars.peek() {
        match c {
            '.' if !expect_key => {
                chars.next();
                expect_key = true;
                if chars.peek().is_none() {
                    return Err(format!("path ends with `.` at {i}"));
                }
            }
            '[' => {
                chars.next();
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, ch)) => inner.push(ch),
                        None => return Err("unclosed `[`".into()),
                    }
                }
                out.push(match inner.trim() {
                    "*" => Segment::All,
                    n => Segment::Index(
                        n.parse()
                            .map_err(|_| format!("`[{n}]` is not `[*]` or an integer index"))?,
                    ),
                });
                expect_key = false;
            }
            '"' if expect_key => {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => key.extend(chars.next().map(|(_, ch)| ch)),
                        Some((_, ch)) => key.push(ch),
                        None => return Err("unclosed `\"` in path".into()),
                    }
                }
                out.push(Segment::Key(Key::new(&key)));
                expect_key = false;
            }
            _ if expect_key => {
                let mut key = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch == '.' || ch == '[' {
                        break;
                    }
                    key.push(ch);
                    chars.next();
                }
                if key.is_empty() {
                    return Err(format!("empty key at {i}"));
                }
                out.push(if key == "*" {
                    Segment::All
                } else {
                    Segment::Key(Key::new(&key))
                });
                expect_key = false;
            }
            _ => return Err(format!("unexpected `{c}` at {i}: separate keys with `.`")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        let p = Path::parse("spec.containers[*].ports[-1].\"a.b/c\"").unwrap();
        assert_eq!(
            p.segments,
            vec![
                Segment::Key(Key::new("spec")),
                Segment::Key(Key::new("containers")),
                Segment::All,
                Segment::Key(Key::new("ports")),
                Segment::Index(-1),
                Segment::Key(Key::new("a.b/c")),
            ]
        );
        assert_eq!(Path::parse("$repo.facts").unwrap().origin, Origin::Repo);
        assert_eq!(Path::parse("$.kind").unwrap().origin, Origin::Document);
        assert!(Path::parse(".").unwrap().segments.is_empty());
        assert!(Path::parse("a..b").is_err());
        assert!(Path::parse("a[x]").is_err());
        assert!(Path::parse("a[0").is_err());
    }
}
