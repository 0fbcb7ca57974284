//! Suppressions written in the scanned files: inline comments and Kubernetes annotations.
//!
//! - `# golive-ignore: rule-a,rule-b -- reason` on the line before a finding or at the end of
//!   its line (Dockerfile, YAML); `<!-- golive-ignore: … -->` in Markdown;
//! - `# golive-ignore-file: rule-a -- reason` anywhere in a file, for the whole file;
//! - annotation `golive.dev/ignore: "rule-a,rule-b"` (+ `golive.dev/ignore-reason`) on a
//!   Kubernetes object or its pod template.

use std::collections::HashMap;

use regex::Regex;

use crate::model::Document;
use crate::source::{FileId, Loc, SourceFile};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line the comment is on.
    pub line: usize,
    pub whole_file: bool,
    /// Rule ids; `all` matches every rule.
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

impl Directive {
    fn covers(&self, rule: &str) -> bool {
        self.rules.iter().any(|r| r == rule || r == "all")
    }
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

fn directive_pattern() -> Regex {
    // Only comment syntaxes: `#` (YAML, Dockerfile, shell, Python), `<!--` (Markdown) and `//`
    // (Go, JS/TS, Java, C#, Rust).
    Regex::new(r"(?:^|\s)(?:#|<!--|//)\s*golive-ignore(-file)?\s*:\s*([A-Za-z0-9,\s-]+?)\s*(?:--\s*(.*?))?\s*$")
        .unwrap_or_else(|_| unreachable!("the directive pattern is a constant"))
}

impl Index {
    pub fn build(files: &[SourceFile]) -> Index {
        let pattern = directive_pattern();
        let mut by_file = HashMap::new();
        for (id, file) in files.iter().enumerate() {
            if !file.text.contains("golive-ignore") {
                continue;
            }
            let directives: Vec<Directive> = file
                .text
                .lines()
                .enumerate()
                .filter_map(|(i, line)| parse_line(&pattern, i + 1, line))
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
            &p,
            3,
            "USER root # golive-ignore: docker-non-root-user -- legacy base",
        )
        .unwrap();
        assert_eq!(d.rules, vec!["docker-non-root-user"]);
        assert_eq!(d.reason.as_deref(), Some("legacy base"));
        let d = parse_line(
            &p,
            1,
            "<!-- golive-ignore-file: readme-runbook, readme-usage -->",
        )
        .unwrap();
        assert!(d.whole_file);
        assert_eq!(d.rules.len(), 2);
        assert_eq!(d.reason, None);
        assert!(parse_line(&p, 1, "image: golive-ignore: x").is_none());
        let d = parse_line(
            &p,
            9,
            "    fmt.Println(x) // golive-ignore: logging-no-print-statements -- CLI output",
        )
        .unwrap();
        assert_eq!(d.reason.as_deref(), Some("CLI output"));
    }
}
