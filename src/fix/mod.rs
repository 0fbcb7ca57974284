//! `golive fix`: the findings of one scan whose rules carry a `fix:` block, turned into new
//! file texts — byte-range edits of the files as read, merged per file, each result parsed
//! again before it is offered — then shown as a unified diff or written.
//!
//! Only files linted as written are edited: a Kubernetes manifest or a Dockerfile. Objects
//! rendered from a Helm chart or built by Kustomize are skipped and say so, since the right
//! edit is in values, a template or a patch, which golive cannot choose for the author.

mod yaml;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::engine::Rule;
use crate::engine::condition::Context;
use crate::engine::eval::{Finding, REPO_UNIT};
use crate::engine::fix::{self, Planned};
use crate::model::{DocKind, Document};
use crate::parse;
use crate::report::clean;
use crate::source::{FileId, SourceFile};

/// Every fix of a scan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Files to change or create, sorted by path.
    pub changes: Vec<Change>,
    /// Findings of fixable rules that are not fixed, and why.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug)]
pub struct Change {
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// `None` for a new file.
    pub before: Option<Arc<str>>,
    pub after: String,
    /// The rules whose findings this change fixes, sorted.
    pub rules: Vec<String>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: Option<String>,
    /// Line and column of the finding, 1-based.
    pub line: Option<(usize, usize)>,
    pub rule: String,
    pub reason: String,
}

/// What a scan knows that fixing needs.
pub struct Scan<'a> {
    pub files: &'a [SourceFile],
    /// Each file's artifact kind (`kubernetes`, `helm-template`, …), by `FileId`: a report's
    /// artifacts are listed in the order of the scan's files.
    pub kinds: &'a [&'a str],
    pub documents: &'a [Document],
    pub repo: &'a Document,
    pub rules: &'a [Rule],
    /// Whether a path (relative to the root) is taken, for new files.
    pub exists: &'a dyn Fn(&str) -> bool,
}

/// Edits of one existing file, with the rule each comes from.
#[derive(Default)]
struct FileEdits {
    /// Start, end, new text, the rules asking for it.
    edits: Vec<(usize, usize, String, Vec<String>)>,
    inserts: BTreeMap<usize, (yaml::Fields, Vec<String>)>,
}

pub fn plan(scan: &Scan<'_>, findings: &[Finding]) -> Plan {
    let by_id: BTreeMap<&str, &Rule> = scan.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut plan = Plan::default();
    let mut edits: BTreeMap<FileId, FileEdits> = BTreeMap::new();
    let mut created: BTreeMap<String, (String, String)> = BTreeMap::new();
    for finding in findings {
        let Some(fix) = by_id
            .get(finding.rule.as_str())
            .and_then(|r| r.fix.as_ref())
        else {
            continue;
        };
        let skip = |reason: String| skipped(scan, finding, reason);
        let Some(doc) = scan
            .documents
            .get(finding.unit)
            .filter(|_| finding.unit != REPO_UNIT)
        else {
            continue;
        };
        if let Some(why) = not_editable(scan.kinds.get(doc.file as usize).copied()) {
            plan.skipped.push(skip(why.to_owned()));
            continue;
        }
        let cx = Context {
            doc,
            item: finding.item,
            repo: scan.repo,
        };
        let rule = finding.rule.clone();
        for planned in fix::plan(fix, cx, scan.files) {
            match planned {
                Planned::Edit {
                    file,
                    start,
                    end,
                    text,
                } => {
                    let file = edits.entry(file).or_default();
                    file.edits.push((start, end, text, vec![rule.clone()]));
                }
                Planned::Insert {
                    file,
                    map,
                    keys,
                    value,
                } => {
                    let file = edits.entry(file).or_default();
                    let (fields, rules) = file.inserts.entry(map).or_default();
                    fields.add(&keys, &value);
                    rules.push(rule.clone());
                }
                Planned::Create { path, text } => {
                    if (scan.exists)(&path) || created.contains_key(&path) {
                        plan.skipped.push(skip(format!("`{path}` exists already")));
                    } else {
                        created.insert(path, (text, rule.clone()));
                    }
                }
                Planned::Skip(reason) => plan.skipped.push(skip(reason)),
            }
        }
    }
    for (file, file_edits) in edits {
        let Some(source) = scan.files.get(file as usize) else {
            continue;
        };
        let kind = scan
            .documents
            .iter()
            .find(|d| d.file == file)
            .map(|d| d.kind);
        match apply(source, file_edits) {
            (after, rules) if after != *source.text => {
                if let Some(error) = parse_error(kind, &source.path, &after) {
                    plan.skipped.extend(rules.into_iter().map(|rule| Skipped {
                        path: Some(source.path.clone()),
                        line: None,
                        rule,
                        reason: format!("the fixed file would not parse ({error})"),
                    }));
                    continue;
                }
                plan.changes.push(Change {
                    path: source.path.clone(),
                    before: Some(source.text.clone()),
                    after,
                    rules,
                });
            }
            _ => {}
        }
    }
    for (path, (text, rule)) in created {
        if let Some(error) = parse_error(None, &path, &text) {
            let reason = format!("the new file would not parse ({error})");
            plan.skipped.push(Skipped {
                path: Some(path),
                line: None,
                rule,
                reason,
            });
            continue;
        }
        plan.changes.push(Change {
            path,
            before: None,
            after: text,
            rules: vec![rule],
        });
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    plan.skipped.sort();
    plan.skipped.dedup();
    plan
}

/// Why a file's objects are not edited in place, by its artifact kind.
fn not_editable(kind: Option<&str>) -> Option<&'static str> {
    match kind {
        Some("kubernetes" | "dockerfile") => None,
        Some("helm-template" | "helm-chart-file") => {
            Some("rendered from a Helm chart: set it in the chart's values or template by hand")
        }
        Some("kustomization") => Some("built by Kustomize: set it in the base or a patch by hand"),
        _ => Some("not read from a file golive edits (a Kubernetes manifest or a Dockerfile)"),
    }
}

fn skipped(scan: &Scan<'_>, finding: &Finding, reason: String) -> Skipped {
    let file = finding
        .loc
        .and_then(|l| Some((scan.files.get(l.file as usize)?, l)));
    Skipped {
        path: file.map(|(f, _)| f.path.clone()),
        line: file.map(|(f, l)| {
            let position = f.position(l.span.start as usize);
            (position.line, position.column)
        }),
        rule: finding.rule.clone(),
        reason,
    }
}

/// The file's new text and the rules of the edits made. Edits are made back to front; one
/// that overlaps an edit already taken is left out (the next run offers it again). Insertions
/// at one offset keep their sorted order, which puts a deeper-indented block first.
fn apply(source: &SourceFile, file: FileEdits) -> (String, Vec<String>) {
    let text = &*source.text;
    let mut edits = file.edits;
    for (map, (fields, rules)) in &file.inserts {
        if let Some((at, lines)) = yaml::insertion(text, *map, fields) {
            edits.push((at, at, lines, rules.clone()));
        }
    }
    edits.sort();
    let mut merged: Vec<(usize, usize, String, Vec<String>)> = Vec::new();
    for edit in edits {
        match merged.last_mut() {
            Some(last) if (last.0, last.1, &last.2) == (edit.0, edit.1, &edit.2) => {
                last.3.extend(edit.3);
            }
            _ => merged.push(edit),
        }
    }
    let mut out = text.to_owned();
    let mut rules = Vec::new();
    let mut limit = text.len();
    for (start, end, replacement, asked) in merged.into_iter().rev() {
        let fits = start <= end && end <= limit;
        if !fits || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.replace_range(start..end, &replacement);
        limit = start;
        rules.extend(asked);
    }
    rules.sort();
    rules.dedup();
    (out, rules)
}

/// The first parse error of a fixed text, if it has one.
fn parse_error(kind: Option<DocKind>, path: &str, text: &str) -> Option<String> {
    let kind = match kind {
        Some(DocKind::Dockerfile) => DocKind::Dockerfile,
        _ => DocKind::Yaml,
    };
    let parsed = parse::parse(kind, 0, path, text);
    parsed.errors.first().map(|e| e.message.clone())
}

impl Plan {
    /// A unified diff of every change (`--- a/PATH`, `+++ b/PATH`; `/dev/null` for new files),
    /// control characters made visible.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let path = clean(&change.path);
            let before = change.before.as_deref().unwrap_or("");
            let old = if change.before.is_some() {
                format!("a/{path}")
            } else {
                "/dev/null".to_owned()
            };
            let diff = similar::TextDiff::from_lines(before, change.after.as_str());
            let unified = diff
                .unified_diff()
                .context_radius(3)
                .header(&old, &format!("b/{path}"))
                .to_string();
            for line in unified.split_inclusive('\n') {
                out.push_str(&clean(line.trim_end_matches(['\n', '\r'])));
                out.push('\n');
            }
        }
        out
    }

    /// Writes every change under `root`: an existing file is replaced, unless it became a
    /// symlink since the scan; a new file is created, never overwritten. Nothing is written
    /// through a symlinked folder, which could lead out of the root.
    pub fn write(&self, root: &Path) -> Result<(), String> {
        // Checked before anything is written, so a refused path leaves every file as it was.
        if let Some(change) = self.changes.iter().find(|c| through_symlink(root, &c.path)) {
            return Err(format!(
                "cannot write {}: a folder on its way is a symlink; nothing was written",
                clean(&change.path)
            ));
        }
        for change in &self.changes {
            let path = root.join(&change.path);
            let shown = clean(&change.path);
            let result = match &change.before {
                Some(_) => match std::fs::symlink_metadata(&path) {
                    Ok(meta) if meta.file_type().is_file() => std::fs::write(&path, &change.after),
                    Ok(_) => Err(std::io::Error::other("not a regular file")),
                    Err(e) => Err(e),
                },
                None => create(&path, &change.after),
            };
            result.map_err(|e| format!("cannot write {shown}: {e}"))?;
        }
        Ok(())
    }
}

fn through_symlink(root: &Path, relative: &str) -> bool {
    let mut at = root.to_path_buf();
    let folders = relative.split('/').collect::<Vec<_>>();
    folders[..folders.len().saturating_sub(1)]
        .iter()
        .any(|folder| {
            at.push(folder);
            std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink())
        })
}

fn create(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}
