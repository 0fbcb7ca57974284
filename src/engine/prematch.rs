//! Source-text regexes searched while a file is read, not after the whole repository is.
//!
//! Source files are most of a repository's bytes, and the rules that read them only ask whether
//! their `text` matches a regex. Searching each file as it is read spreads that work over the
//! read workers, file by file, and lets golive drop the text of every file nothing matched in:
//! memory then holds the texts findings point into, not the whole codebase. Evaluation reads the
//! recorded outcome (`Document::text_finds`) exactly as it would have searched the text.

use super::compile::{Condition, Rule, TemplatePart};
use super::condition::narrow;
use super::path::{Origin, Path, Segment};
use super::pattern::Pattern;
use crate::model::{DocKind, Document, TextFind, TextFinds};

/// The regexes the active rules search in a source file's `text`.
#[derive(Debug, Default)]
pub struct TextPatterns {
    /// Each regex, and whether a match of it can be where a finding points: it sits under an
    /// odd number of `not`s in a check (`not: {text_matches: …}`). A match that only makes a
    /// check pass ("some file uses a structured logger") points nowhere.
    patterns: Vec<(Pattern, bool)>,
    /// Whether every way the rules read a source file's `text` is one of `patterns`, so a text
    /// none of them matched may be dropped.
    complete: bool,
    set: std::sync::OnceLock<Option<regex::RegexSet>>,
}

impl TextPatterns {
    pub fn of(rules: &[Rule]) -> TextPatterns {
        let mut collected = TextPatterns {
            patterns: Vec::new(),
            complete: true,
            set: Default::default(),
        };
        for rule in rules.iter().filter(|r| r.target.reads(DocKind::Source)) {
            // An item below the root could be the text itself: keep texts then.
            if rule.for_each.is_some() {
                collected.complete = false;
            }
            if let Some(select) = &rule.select {
                collected.collect(select, None);
            }
            collected.collect(&rule.check, Some(false));
            let mut other_paths = rule
                .anchor
                .iter()
                .chain(rule.message.parts.iter().filter_map(|part| match part {
                    TemplatePart::Value(path) => Some(path),
                    _ => None,
                }));
            if other_paths.any(may_read_text) {
                collected.complete = false;
            }
        }
        collected
    }

    /// `negated`: whether the condition sits under an odd number of `not`s of a check; `None`
    /// in a `select`, whose matches never locate a finding.
    fn collect(&mut self, condition: &Condition, negated: Option<bool>) {
        match condition {
            Condition::All(items) | Condition::Any(items) => {
                items.iter().for_each(|c| self.collect(c, negated));
            }
            Condition::Not(inner) => self.collect(inner, negated.map(|n| !n)),
            Condition::TextMatches(path, pattern) if is_text(path) => {
                let reportable = negated == Some(true);
                match self
                    .patterns
                    .iter_mut()
                    .find(|(p, _)| p.as_str() == pattern.as_str())
                {
                    Some((_, known)) => *known |= reportable,
                    None => self.patterns.push((pattern.clone(), reportable)),
                }
            }
            Condition::In(path, among) => {
                if may_read_text(path) || may_read_text(among) {
                    self.complete = false;
                }
            }
            Condition::Exists(path)
            | Condition::Absent(path)
            | Condition::Equals(path, _)
            | Condition::OneOf(path, _)
            | Condition::Matches(path, _)
            | Condition::AtLeast(path, _)
            | Condition::AtMost(path, _)
            | Condition::TextMatches(path, _) => {
                if may_read_text(path) {
                    self.complete = false;
                }
            }
            Condition::Known(..) => {}
        }
    }

    /// Searches a source document's `text` for every pattern and records where each first
    /// matches. Returns whether the text may be dropped: no finding can point into it and no
    /// rule reads it any other way.
    pub fn search(&self, doc: &mut Document) -> bool {
        if self.patterns.is_empty() || doc.kind != DocKind::Source {
            return false;
        }
        let Some(node) = doc.tree.get(doc.root, "text") else {
            return false;
        };
        let Some(text) = doc.tree.as_str(node) else {
            return false;
        };
        let loc = doc.tree.loc(node);
        let set = self.set.get_or_init(|| {
            regex::RegexSet::new(self.patterns.iter().map(|(p, _)| p.as_str())).ok()
        });
        let hits = set.as_ref().map(|s| s.matches(text));
        let finds: Vec<TextFind> = self
            .patterns
            .iter()
            .enumerate()
            .map(|(i, (pattern, _))| {
                let found = if hits.as_ref().is_none_or(|h| h.matched(i)) {
                    pattern.find(text)
                } else {
                    None
                };
                TextFind {
                    regex: pattern.source(),
                    matched: found.is_some(),
                    at: found.zip(loc).map(|(m, loc)| narrow(loc, text, m)),
                }
            })
            .collect();
        let reported = finds
            .iter()
            .zip(&self.patterns)
            .any(|(find, (_, reportable))| find.matched && *reportable);
        doc.text_finds = Some(TextFinds { node, finds });
        self.complete && !reported
    }
}

/// `text` (or `$.text`): the path `text_matches` searches by default.
fn is_text(path: &Path) -> bool {
    path.origin != Origin::Repo
        && matches!(path.segments.as_slice(), [Segment::Key(k)] if k == "text")
}

/// Whether a path of a source rule could reach the document's text.
fn may_read_text(path: &Path) -> bool {
    path.origin != Origin::Repo
        && match path.segments.first() {
            Some(Segment::Key(key)) => key == "text",
            Some(Segment::All) => true,
            Some(Segment::Index(_)) | None => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile;

    fn patterns(rules: &[&str]) -> TextPatterns {
        let rules: Vec<Rule> = rules
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let id = format!("r{i}");
                let text = format!(
                    "id: {id}\ntitle: t\ncategory: logging\nseverity: low\ntarget: source\n{body}\nmessage: m\nhelp: h\nsummary: s\nrationale: r\nremediation: x\nexamples: {{fail: a, pass: b}}\n"
                );
                compile("r.yaml", &text, Some(&id)).map_err(|e| format!("{e:?}")).expect("rule compiles")
            })
            .collect();
        TextPatterns::of(&rules)
    }

    fn source(text: &str) -> Document {
        crate::parse::source::parse(0, "main.go", text)
            .documents
            .remove(0)
    }

    #[test]
    fn only_matches_a_finding_can_point_at_keep_the_text() {
        let set = patterns(&[
            "check:\n  not:\n    text_matches: {regex: 'fmt\\.Println'}",
            "scope: repo\ncheck:\n  any:\n    - text_matches: {regex: 'slog'}",
        ]);
        let mut quiet = source("slog.Info(\"hi\")\n");
        assert!(
            set.search(&mut quiet),
            "a positive match alone lets the text go"
        );
        let mut loud = source("fmt.Println(1)\n");
        assert!(
            !set.search(&mut loud),
            "a forbidden match is where a finding points"
        );
        let finds = loud.text_finds.expect("searched");
        let println = finds.get(finds.node, "fmt\\.Println").expect("recorded");
        assert!(println.matched);
        assert_eq!(
            println.at.map(|l| (l.span.start, l.span.end)),
            Some((0, 11))
        );
    }

    #[test]
    fn any_other_read_of_the_text_keeps_every_text() {
        let set = patterns(&["check:\n  not:\n    matches: {path: text, regex: 'x'}"]);
        assert!(!set.search(&mut source("nothing here\n")));
        let set = patterns(&[
            "check:\n  not:\n    text_matches: {regex: 'x'}",
            "for_each: text\ncheck:\n  exists: '.'",
        ]);
        assert!(!set.search(&mut source("nothing here\n")));
    }
}
