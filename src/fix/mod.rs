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
    /// How many findings it fixes.
    pub findings: usize,
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

/// What the fixes of a scan's findings ask for, before files are edited. Every edit names the
/// findings (by index) it fixes.
#[derive(Default)]
struct Wanted {
    files: BTreeMap<FileId, FileEdits>,
    created: BTreeMap<String, (String, usize)>,
}

#[derive(Default)]
struct FileEdits {
    /// Start, end, new text, the findings asking for it.
    edits: Vec<(usize, usize, String, Vec<usize>)>,
    inserts: BTreeMap<usize, (yaml::Fields, Vec<usize>)>,
}

pub fn plan(scan: &Scan<'_>, findings: &[Finding]) -> Plan {
    let mut plan = Plan::default();
    let wanted = wanted(scan, findings, &mut plan.skipped);
    let fixed = |path: String, before, after, asked: Vec<usize>| {
        let mut rules: Vec<String> = asked.iter().map(|&i| findings[i].rule.clone()).collect();
        rules.sort();
        rules.dedup();
        Change {
            path,
            before,
            after,
            rules,
            findings: asked.len(),
        }
    };
    for (file, file_edits) in wanted.files {
        let Some(source) = scan.files.get(file as usize) else {
            continue;
        };
        let (after, asked) = apply(source, file_edits);
        if after == *source.text {
            continue;
        }
        let kind = scan
            .documents
            .iter()
            .find(|d| d.file == file)
            .map(|d| d.kind);
        match parse_error(kind, &source.path, &after) {
            Some(error) => plan.skipped.extend(asked.iter().map(|&i| {
                let reason = format!("the fixed file would not parse ({error})");
                skipped(scan, &findings[i], reason)
            })),
            None => plan.changes.push(fixed(
                source.path.clone(),
                Some(source.text.clone()),
                after,
                asked,
            )),
        }
    }
    for (path, (text, asked)) in wanted.created {
        match parse_error(None, &path, &text) {
            Some(error) => {
                let reason = format!("the new file would not parse ({error})");
                plan.skipped.push(Skipped {
                    path: Some(path),
                    line: None,
                    rule: findings[asked].rule.clone(),
                    reason,
                });
            }
            None => plan.changes.push(fixed(path, None, text, vec![asked])),
        }
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    plan.skipped.sort();
    plan.skipped.dedup();
    plan
}

/// The edits the fixes of `findings` ask for; what cannot be fixed goes to `skipped`.
fn wanted(scan: &Scan<'_>, findings: &[Finding], skipped_out: &mut Vec<Skipped>) -> Wanted {
    let by_id: BTreeMap<&str, &Rule> = scan.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut wanted = Wanted::default();
    for (index, finding) in findings.iter().enumerate() {
        let fix = by_id
            .get(finding.rule.as_str())
            .and_then(|r| r.fix.as_ref());
        let doc = scan
            .documents
            .get(finding.unit)
            .filter(|_| finding.unit != REPO_UNIT);
        let (Some(fix), Some(doc)) = (fix, doc) else {
            continue;
        };
        let mut skip = |reason: String| skipped_out.push(skipped(scan, finding, reason));
        if let Some(why) = not_editable(scan.kinds.get(doc.file as usize).copied()) {
            skip(why.to_owned());
            continue;
        }
        let cx = Context {
            doc,
            item: finding.item,
            repo: scan.repo,
        };
        for planned in fix::plan(fix, cx, scan.files) {
            match planned {
                Planned::Edit {
                    file,
                    start,
                    end,
                    text,
                } => {
                    let file = wanted.files.entry(file).or_default();
                    file.edits.push((start, end, text, vec![index]));
                }
                Planned::Insert {
                    file,
                    map,
                    keys,
                    value,
                } => {
                    let file = wanted.files.entry(file).or_default();
                    let (fields, asked) = file.inserts.entry(map).or_default();
                    fields.add(&keys, &value);
                    asked.push(index);
                }
                Planned::Create { path, text } => {
                    if (scan.exists)(&path) || wanted.created.contains_key(&path) {
                        skip(format!("`{path}` exists already"));
                    } else {
                        wanted.created.insert(path, (text, index));
                    }
                }
                Planned::Skip(reason) => skip(reason),
            }
        }
    }
    wanted
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

/// The file's new text and the findings its edits fix. Edits are made back to front; one
/// that overlaps an edit already taken is left out (the next run offers it again). Insertions
/// at one offset keep their sorted order, which puts a deeper-indented block first.
fn apply(source: &SourceFile, file: FileEdits) -> (String, Vec<usize>) {
    let text = &*source.text;
    let mut edits = file.edits;
    for (map, (fields, rules)) in &file.inserts {
        if let Some((at, lines)) = yaml::insertion(text, *map, fields) {
            edits.push((at, at, lines, rules.clone()));
        }
    }
    edits.sort();
    let mut merged: Vec<(usize, usize, String, Vec<usize>)> = Vec::new();
    for edit in edits {
        match merged.last_mut() {
            Some(last) if (last.0, last.1, &last.2) == (edit.0, edit.1, &edit.2) => {
                last.3.extend(edit.3);
            }
            _ => merged.push(edit),
        }
    }
    let mut out = text.to_owned();
    let mut fixed = Vec::new();
    let mut limit = text.len();
    for (start, end, replacement, asked) in merged.into_iter().rev() {
        let fits = start <= end && end <= limit;
        if !fits || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.replace_range(start..end, &replacement);
        limit = start;
        fixed.extend(asked);
    }
    fixed.sort_unstable();
    fixed.dedup();
    (out, fixed)
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
