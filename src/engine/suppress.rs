//! Suppressions written in the scanned files: inline comments and Kubernetes annotations.
//!
//! - `# golive-ignore: rule-a,rule-b -- reason` on the line before a finding or at the end of
//!   its line (Dockerfile, YAML); `<!-- golive-ignore: … -->` in Markdown;
//! - `# golive-ignore-file: rule-a -- reason` anywhere in a file, for the whole file;
//! - annotation `golive.dev/ignore: "rule-a,rule-b"` (+ `golive.dev/ignore-reason`) on a
//!   Kubernetes object or its pod template.
//!
//! Every suppression written in the repo (and every `[[ignore]]` entry) is also exposed to rules
//! as `facts.suppressions[*]` on the repo document, so "a suppression gives a reason" is an
//! ordinary data rule (`suppression-has-reason`) pointing at the comment or annotation.

use std::collections::HashMap;
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;

use crate::model::Document;
use crate::source::{FileId, Loc, SourceFile};

/// What every inline directive contains: a file without it has none.
pub const MARKER: &str = "golive-ignore";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line the comment is on.
    pub line: usize,
    pub whole_file: bool,
    /// Rule ids; `all` matches every rule.
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

/// The rule that asks suppressions for a reason.
pub const REASON_RULE: &str = "suppression-has-reason";

impl Directive {
    fn covers(&self, rule: &str) -> bool {
        // `all` never covers the reason rule: a bare `golive-ignore: all` would hide its own warning.
        self.rules
            .iter()
            .any(|r| r == rule || (r == "all" && rule != REASON_RULE))
    }
}

/// One suppression as rules see it in `facts.suppressions[*]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Written {
    /// Where it is written; `None` for a golive.toml entry outside the scanned files.
    pub loc: Option<Loc>,
    /// The rule ids it names, comma-separated as written.
    pub rules: String,
    pub how: &'static str,
    pub reason: Option<String>,
}

/// Why a finding was not reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub reason: Option<String>,
    /// Where the suppression is written.
    pub at: Option<Loc>,
    pub how: &'static str,
}

/// Inline directives of every scanned file, found once before evaluation.
#[derive(Debug, Default)]
pub struct Index {
    by_file: HashMap<FileId, Vec<Directive>>,
}

/// Built once per process, on the first file that has a directive: a fleet scan builds many
/// indexes.
fn directive_pattern() -> &'static Regex {
    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
        // Only comment syntaxes: `#` (YAML, Dockerfile, shell, Python), `<!--` (Markdown) and
        // `//` (Go, JS/TS, Java, C#, Rust).
        Regex::new(r"(?:^|\s)(?:#|<!--|//)\s*golive-ignore(-file)?\s*:\s*([A-Za-z0-9,\s-]+?)\s*(?:--\s*(.*?))?\s*$")
            .unwrap_or_else(|_| unreachable!("the directive pattern is a constant"))
    });
    &PATTERN
}

impl Index {
    pub fn build(files: &[SourceFile]) -> Index {
        let pattern = directive_pattern();
        let mut by_file = HashMap::new();
        for (id, file) in files.iter().enumerate() {
            if !file.text.contains(MARKER) {
                continue;
            }
            let directives: Vec<Directive> = file
                .text
                .lines()
                .enumerate()
                .filter_map(|(i, line)| parse_line(pattern, i + 1, line))
                .collect();
            if !directives.is_empty() {
                by_file.insert(id as FileId, directives);
            }
        }
        Index { by_file }
    }

    /// The inline directive covering `rule` at `loc`: on the finding's line, the line before
    /// it, or anywhere in the file for `-file` directives.
    pub fn lookup(&self, files: &[SourceFile], rule: &str, loc: Loc) -> Option<Suppression> {
        let directives = self.by_file.get(&loc.file)?;
        let file = files.get(loc.file as usize)?;
        let line = file.position(loc.span.start as usize).line;
        directives
            .iter()
            .find(|d| d.covers(rule) && (d.whole_file || d.line == line || d.line + 1 == line))
            .map(|d| Suppression {
                reason: d.reason.clone(),
                at: file.line_start(d.line).map(|s| Loc::new(loc.file, s, s)),
                how: if d.whole_file {
                    "file comment"
                } else {
                    "inline comment"
                },
            })
    }

    pub fn directives(&self) -> impl Iterator<Item = (FileId, &Directive)> {
        self.by_file
            .iter()
            .flat_map(|(file, list)| list.iter().map(move |d| (*file, d)))
    }
}

/// Every inline directive and `golive.dev/ignore` annotation in the scanned files.
pub fn written(index: &Index, files: &[SourceFile], documents: &[Document]) -> Vec<Written> {
    let mut out: Vec<Written> = index
        .directives()
        .filter_map(|(file, d)| {
            let source = files.get(file as usize)?;
            let start = source.line_start(d.line)?;
            let text = source.line_text(d.line)?;
            let from = text.find("golive-ignore").unwrap_or(0);
            Some(Written {
                loc: Some(Loc::new(file, start + from, start + text.len())),
                rules: d.rules.join(","),
                how: if d.whole_file {
                    "file comment"
                } else {
                    "inline comment"
                },
                reason: d.reason.clone(),
            })
        })
        .collect();
    // Every document is looked at, and in a monorepo that is tens of thousands of trees.
    let annotated: Vec<Written> = documents.par_iter().flat_map_iter(annotations).collect();
    out.extend(annotated);
    out.sort();
    // A bare Pod's `pod.annotations` is its `metadata.annotations`: count it once.
    out.dedup_by(|a, b| a.loc.is_some() && a.loc == b.loc);
    out
}

fn annotations(doc: &Document) -> Vec<Written> {
    let tree = &doc.tree;
    ["metadata.annotations", "pod.annotations"]
        .into_iter()
        .filter_map(|path| tree.lookup(doc.root, path))
        .filter_map(|annotations| {
            let ignore = tree.get(annotations, "golive.dev/ignore")?;
            let reason = tree
                .get(annotations, "golive.dev/ignore-reason")
                .and_then(|r| tree.as_str(r))
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            Some(Written {
                loc: tree.loc(ignore),
                rules: tree.as_str(ignore)?.trim().to_owned(),
                how: "annotation",
                reason,
            })
        })
        .collect()
}

/// Adds `facts.suppressions[*]` (`rules`, `how`, `reason`) to the repo document; each item is
/// located where the suppression is written.
pub fn add_facts(repo: &mut Document, written: &[Written]) {
    let tree = &mut repo.tree;
    let list = tree.seq(None);
    for w in written {
        let item = tree.map(w.loc);
        let rules = tree.str(w.rules.as_str(), w.loc);
        tree.insert(item, "rules", rules);
        let how = tree.str(w.how, None);
        tree.insert(item, "how", how);
        if let Some(reason) = &w.reason {
            let reason = tree.str(reason.as_str(), None);
            tree.insert(item, "reason", reason);
        }
        tree.push(list, item);
    }
    match tree.get(repo.root, "facts") {
        Some(facts) => tree.insert(facts, "suppressions", list),
        None => {
            let facts = tree.map(None);
            tree.insert(facts, "suppressions", list);
            tree.insert(repo.root, "facts", facts);
        }
    }
}

fn parse_line(pattern: &Regex, line: usize, text: &str) -> Option<Directive> {
    let trimmed = text.trim_end();
    let text = trimmed.strip_suffix("-->").unwrap_or(trimmed);
    let caps = pattern.captures(text)?;
    let rules: Vec<String> = caps
        .get(2)?
        .as_str()
        .split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let reason = caps
        .get(3)
        .map(|m| m.as_str().trim().to_owned())
        .filter(|r| !r.is_empty());
    (!rules.is_empty()).then(|| Directive {
        line,
        whole_file: caps.get(1).is_some(),
        rules,
        reason,
    })
}

/// `golive.dev/ignore` on the object or its pod template.
pub fn by_annotation(doc: &Document, rule: &str) -> Option<Suppression> {
    let tree = &doc.tree;
    ["metadata.annotations", "pod.annotations"]
        .into_iter()
        .filter_map(|path| tree.lookup(doc.root, path))
        .find_map(|annotations| {
            let ignore = tree.get(annotations, "golive.dev/ignore")?;
            let listed = tree.as_str(ignore)?.split(',').any(|r| {
                let r = r.trim();
                r == rule || r == "all"
            });
            let reason = tree
                .get(annotations, "golive.dev/ignore-reason")
                .and_then(|r| tree.as_str(r))
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            listed.then(|| Suppression {
                reason,
                at: tree.loc(ignore),
                how: "annotation",
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comment_directives() {
        let p = directive_pattern();
        let d = parse_line(
            p,
            3,
            "USER root # golive-ignore: docker-non-root-user -- legacy base",
        )
        .unwrap();
        assert_eq!(d.rules, vec!["docker-non-root-user"]);
        assert_eq!(d.reason.as_deref(), Some("legacy base"));
        let d = parse_line(
            p,
            1,
            "<!-- golive-ignore-file: readme-runbook, readme-usage -->",
        )
        .unwrap();
        assert!(d.whole_file);
        assert_eq!(d.rules.len(), 2);
        assert_eq!(d.reason, None);
        assert!(parse_line(p, 1, "image: golive-ignore: x").is_none());
        let d = parse_line(
            p,
            9,
            "    fmt.Println(x) // golive-ignore: logging-no-print-statements -- CLI output",
        )
        .unwrap();
        assert_eq!(d.reason.as_deref(), Some("CLI output"));
    }
}
