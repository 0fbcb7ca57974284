//! golive: tells a team whether a service repository is ready to go live.
//!
//! The pipeline runs one way: walk → classify → parse → link → evaluate → score → report.
//! Everything here is deterministic: files sorted by path, findings by location, no clocks.

pub mod baseline;
pub mod classify;
pub mod cli;
pub mod config;
pub mod engine;
pub mod fleet;
pub mod helm;
pub mod link;
pub mod model;
pub mod parse;
pub mod problems;
pub mod render;
pub mod report;
pub mod score;
pub mod settings;
pub mod source;
pub mod starter;
pub mod walk;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use engine::eval::{self, Finding as EvalFinding, Scan, Status};
use engine::prematch::TextPatterns;
use engine::suppress::{self, Suppression};
use model::DocKind;
use parse::{ParseError, Parsed};
use report::{
    Artifact, ExpiredIgnore, FileError, Finding, Location, Report, RuleResult, Suppressed,
};
use settings::Settings;
use source::{Loc, SourceFile, escape_controls};

/// What to scan: a directory, or a manifest stream read from stdin (`-`).
pub enum Input<'a> {
    Dir(&'a Path),
    Stdin(String),
}

/// One file after reading and parsing.
struct Read {
    source: SourceFile,
    kind: DocKind,
    parsed: Parsed,
    skip: Option<String>,
    /// Why a file that was read is not linted as what it looks like (a Kustomize patch).
    note: Option<String>,
}

/// What the walk hands to the readers: a file, or a Helm chart to render (`--helm`).
enum Job {
    File(walk::Entry),
    Chart(String),
}

impl Job {
    fn path(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Job::File(entry) => entry.path.as_str().into(),
            Job::Chart(chart) => helm::rendered_path(chart).into(),
        }
    }
}

/// Scores one repository.
pub fn check(input: Input<'_>, target: &str, settings: &Settings) -> Report {
    // A fleet scans thousands of services with one rule set: copy it only to leave rules out.
    let active: Cow<'_, [engine::Rule]> = if settings.disabled.is_empty() {
        Cow::Borrowed(&settings.rules)
    } else {
        Cow::Owned(
            settings
                .rules
                .iter()
                .filter(|r| !settings.disabled.contains(&r.id))
                .cloned()
                .collect(),
        )
    };
    // Rule regexes without compiled DFAs are built on first use, and in a small repository
    // building them is much of the work: start now on the idle workers, while the files are
    // walked and read.
    let regexes: Vec<engine::pattern::Pattern> = active
        .iter()
        .flat_map(|rule| rule.patterns())
        .cloned()
        .collect();
    rayon::spawn(move || {
        regexes
            .par_iter()
            .for_each(engine::pattern::Pattern::prepare)
    });
    let patterns = TextPatterns::of(&active);
    let (reads, other_files) = match input {
        Input::Dir(root) => read_dir(root, settings, &patterns),
        Input::Stdin(text) => {
            let parsed = parse::parse(DocKind::Yaml, 0, "-", &text);
            let read = Read {
                source: SourceFile::new("-", text),
                kind: DocKind::Yaml,
                parsed,
                skip: None,
                note: None,
            };
            (vec![read], Vec::new())
        }
    };
    assemble(reads, &other_files, target, settings, active)
}

/// Reads and parses every classified file in parallel; returns them (in path order) and the
/// paths of the files not read.
fn read_dir(root: &Path, settings: &Settings, patterns: &TextPatterns) -> (Vec<Read>, Vec<String>) {
    let options = walk::WalkOptions {
        exclude: settings.exclude.as_ref(),
        max_file_size: settings.max_file_size,
        parallel: !settings.fleet,
    };
    let walked = walk::walk(root, &options);
    let source_bytes: u64 = walked
        .entries
        .iter()
        .filter(|e| e.kind == DocKind::Source)
        .map(|e| e.size)
        .sum();
    // A fleet shares one set of source regexes, built once, so every service searches its
    // source files as it reads them however small it is.
    let prematch = settings.fleet || source_bytes >= settings.prematch_from_bytes;
    let patterns = prematch.then_some(patterns);
    let charts = helm::chart_dirs(&walked.entries);
    let mut jobs: Vec<Job> = walked.entries.into_iter().map(Job::File).collect();
    if settings.helm {
        jobs.extend(charts.iter().cloned().map(Job::Chart));
        jobs.sort_by(|a, b| a.path().cmp(&b.path()));
    }
    let template_note = if settings.helm {
        "Helm template: linted through its chart's `(rendered)` output"
    } else {
        helm::TEMPLATE_NOTE
    };
    let reads = jobs
        .par_iter()
        .enumerate()
        .map(|(id, job)| match job {
            Job::File(entry) => read_one(id as u32, entry, &charts, template_note, patterns),
            Job::Chart(chart) => read_chart(id as u32, root, chart, settings.max_file_size),
        })
        .collect();
    (reads, walked.other_files)
}

fn read_one(
    id: u32,
    entry: &walk::Entry,
    charts: &BTreeSet<String>,
    template_note: &str,
    patterns: Option<&TextPatterns>,
) -> Read {
    let unread = |skip: Option<String>, parsed: Parsed| Read {
        source: SourceFile::new(entry.path.clone(), ""),
        kind: entry.kind,
        parsed,
        skip,
        note: None,
    };
    let failed = |message: String| unread(None, Parsed::failed(ParseError::new(message, None)));
    if let Some(reason) = &entry.skip {
        return unread(Some(reason.clone()), Parsed::default());
    }
    with_file_text(&entry.absolute, entry.size, |text| {
        let text = match text {
            Ok(text) => text,
            Err(message) => return failed(message),
        };
        if helm::is_template(&entry.path, text, charts) {
            return unread(Some(template_note.to_owned()), Parsed::default());
        }
        if entry.kind == DocKind::Source {
            return read_source(id, entry, text, patterns);
        }
        let source = SourceFile::new(entry.path.clone(), text);
        let parsed = parse::parse(entry.kind, id, &entry.path, &source.text);
        Read {
            source,
            kind: entry.kind,
            parsed,
            skip: None,
            note: None,
        }
    })
}

thread_local! {
    /// Each reader's buffer, reused from file to file: most source texts are searched and let
    /// go, so reading them costs no allocation.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a file the walk found to be `size` bytes into this thread's buffer and hands `use_text`
/// its text (invalid UTF-8 decoded lossily), or why it cannot be read.
fn with_file_text<T>(
    path: &Path,
    size: u64,
    use_text: impl FnOnce(Result<&str, String>) -> T,
) -> T {
    BUFFER.with_borrow_mut(|buffer| {
        let result = match read_whole(path, size, buffer) {
            Err(error) => use_text(Err(format!("cannot read: {error}"))),
            Ok(_) if buffer[..buffer.len().min(8192)].contains(&0) => {
                use_text(Err("binary file (contains NUL bytes); not read".to_owned()))
            }
            // Checking valid UTF-8 (nearly every file) is much faster than decoding lossily.
            Ok(_) => match std::str::from_utf8(buffer) {
                Ok(text) => use_text(Ok(text)),
                Err(_) => use_text(Ok(&String::from_utf8_lossy(buffer))),
            },
        };
        // One huge file should not pin its size in every reader for the rest of the scan.
        if buffer.capacity() > 1 << 20 {
            *buffer = Vec::new();
        }
        result
    })
}

/// Reads a whole file into `buffer`, sized from what the walk saw: `read_to_end` would ask the
/// file system for the size again and for the position (two system calls more per file, a
/// fifth of all a monorepo scan makes). A file that changed size since is still read whole.
fn read_whole(path: &Path, size: u64, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    buffer.clear();
    // One byte more than expected, so the end shows as a short read and then an empty one.
    buffer.resize(usize::try_from(size).unwrap_or(0).saturating_add(1), 0);
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len().saturating_mul(2), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                buffer.clear();
                return Err(error);
            }
        }
    }
    buffer.truncate(filled);
    Ok(())
}

/// A source file's document shares the file's text instead of holding a copy (source files
/// are most of a monorepo's bytes). In a large scan the rules' regexes are searched here, and
/// a text no finding can point into is never kept (`engine::prematch`).
fn read_source(id: u32, entry: &walk::Entry, text: &str, patterns: Option<&TextPatterns>) -> Read {
    let whole = Loc::new(id, 0, text.len());
    let searched = patterns.map(|patterns| patterns.search(text, whole));
    let droppable =
        searched.as_ref().is_some_and(|s| s.droppable) && !text.contains(suppress::MARKER);
    let (source, shared) = if droppable {
        let source = SourceFile::dropped(entry.path.clone(), &entry.absolute, text.len());
        (source, Arc::from(""))
    } else {
        let shared: Arc<str> = text.into();
        (SourceFile::new(entry.path.clone(), shared.clone()), shared)
    };
    let mut document = parse::source::document(id, &entry.path, shared, whole.span.end as usize);
    if let Some(searched) = searched
        && let Some(node) = document.tree.get(document.root, "text")
    {
        document.text_finds = Some(model::TextFinds {
            node,
            finds: searched.finds,
        });
    }
    Read {
        source,
        kind: entry.kind,
        parsed: Parsed {
            documents: vec![document],
            ..Parsed::default()
        },
        skip: None,
        note: None,
    }
}

/// A chart rendered by `helm template`, read as one manifest stream; findings point at lines of
/// the rendered text. A chart that cannot be rendered is an error of that chart only.
fn read_chart(id: u32, root: &Path, chart: &str, max_file_size: u64) -> Read {
    let path = helm::rendered_path(chart);
    let (text, parsed) = match helm::render(root, chart, max_file_size) {
        Ok(text) => {
            let parsed = parse::parse(DocKind::Yaml, id, &path, &text);
            (text, parsed)
        }
        Err(message) => (
            String::new(),
            Parsed::failed(ParseError::new(message, None)),
        ),
    };
    Read {
        source: SourceFile::new(path, text),
        kind: DocKind::Yaml,
        parsed,
        skip: None,
        note: None,
    }
}

/// Documents of files a kustomization uses as patches become plain YAML: partial objects are
/// not complete workloads.
fn demote_kustomize_patches(reads: &mut [Read]) {
    let patches = parse::kustomize::patch_paths(
        reads
            .iter()
            .map(|r| (r.source.path.as_str(), r.parsed.documents.as_slice())),
    );
    for read in reads
        .iter_mut()
        .filter(|r| patches.contains(&r.source.path))
    {
        parse::kustomize::demote(&mut read.parsed.documents, read.kind);
        read.note = Some(parse::kustomize::PATCH_NOTE.to_owned());
    }
}

fn assemble(
    mut reads: Vec<Read>,
    other_files: &[String],
    target: &str,
    settings: &Settings,
    active: Cow<'_, [engine::Rule]>,
) -> Report {
    demote_kustomize_patches(&mut reads);
    let mut duplicate_keys = Vec::new();
    let mut files = Vec::with_capacity(reads.len());
    let mut documents = Vec::with_capacity(reads.iter().map(|r| r.parsed.documents.len()).sum());
    let mut artifacts = Vec::with_capacity(reads.len());
    let mut errors = Vec::new();
    for read in reads {
        let kind = read
            .parsed
            .documents
            .iter()
            .map(|d| d.kind)
            .find(|k| !matches!(k, DocKind::Yaml | DocKind::Json))
            .unwrap_or(read.kind);
        let status = match (&read.skip, read.parsed.errors.is_empty()) {
            (Some(_), _) => "skipped",
            (None, true) => "parsed",
            (None, false) => "error",
        };
        artifacts.push(Artifact {
            path: read.source.path.clone(),
            kind: if read.skip.as_deref().is_some_and(|r| r.starts_with("Helm")) {
                "helm-template"
            } else {
                kind.as_str()
            },
            documents: read.parsed.documents.len(),
            status,
            reason: read.skip.clone().or(read.note.clone()),
        });
        let file = files.len() as source::FileId;
        duplicate_keys.extend(
            read.parsed
                .duplicate_keys
                .iter()
                .map(|(key, span)| (key.clone(), Loc { file, span: *span })),
        );
        for error in &read.parsed.errors {
            let position = error.span.map(|s| read.source.position(s.start as usize));
            errors.push(FileError {
                path: read.source.path.clone(),
                line: position.map(|p| p.line),
                column: position.map(|p| p.column),
                message: escape_controls(&error.message).into_owned(),
            });
        }
        documents.extend(read.parsed.documents);
        files.push(read.source);
    }
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let (mut repo, index) = rayon::join(
        || link::link(&mut documents, &paths, other_files, &duplicate_keys),
        || suppress::Index::build(&files),
    );
    suppress::add_facts(
        &mut repo,
        &suppressions_written(&index, &files, &documents, settings),
    );
    let scan = Scan {
        files: &files,
        documents: &documents,
        repo: &repo,
        suppressions: &index,
    };
    let mut evaluation = eval::evaluate(&active, &scan);
    restore_texts(&mut files, &evaluation);
    apply_config_ignores(&mut evaluation, &active, &files, settings);
    if let Some(baseline) = &settings.baseline {
        apply_baseline(&mut evaluation, &active, &files, baseline);
    }
    let report = build_report(
        target, settings, &active, evaluation, &files, artifacts, errors,
    );
    // Hundreds of thousands of tree nodes take a while to free: let another worker do it while
    // the report is written (a CLI run may exit before it finishes, which costs nothing).
    rayon::spawn(move || drop((documents, repo, files, index)));
    report
}

/// Reads back the texts of dropped files a finding points into, for its position and snippet.
fn restore_texts(files: &mut [SourceFile], evaluation: &eval::Evaluation) {
    let pointed = evaluation
        .findings
        .iter()
        .chain(evaluation.suppressed.iter().map(|(finding, _)| finding))
        .filter_map(|finding| finding.loc);
    for loc in pointed {
        if let Some(file) = files.get_mut(loc.file as usize) {
            file.restore_text();
        }
    }
}

/// `[[ignore]]` entries of golive.toml; an expired entry stops suppressing and says so.
fn apply_config_ignores(
    evaluation: &mut eval::Evaluation,
    rules: &[engine::Rule],
    files: &[SourceFile],
    settings: &Settings,
) {
    if settings.ignores.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for mut finding in std::mem::take(&mut evaluation.findings) {
        let path = finding
            .loc
            .and_then(|l| files.get(l.file as usize))
            .map(|f| f.path.as_str());
        let entry = settings.ignores.iter().find(|i| {
            i.rule == finding.rule
                && match (&i.paths, path) {
                    (None, _) => true,
                    (Some(globs), Some(path)) => globs.is_match(path),
                    (Some(_), None) => false,
                }
        });
        match entry {
            Some(entry) if entry.until.as_ref().is_some_and(|u| *u < settings.today) => {
                let until = entry.until.as_deref().unwrap_or_default();
                finding.message.push_str(&format!(
                    " (the golive.toml ignore for this rule expired on {until})"
                ));
                kept.push(finding);
            }
            Some(entry) => {
                let why = Suppression {
                    reason: entry.reason.clone(),
                    at: None,
                    how: "config",
                };
                suppress_after_evaluation(evaluation, rules, finding, why);
            }
            None => kept.push(finding),
        }
    }
    evaluation.findings = kept;
}

/// Moves a finding to `suppressed` and takes it out of its rule's failures, so it leaves the
/// score and the gate like an inline suppression does.
fn suppress_after_evaluation(
    evaluation: &mut eval::Evaluation,
    rules: &[engine::Rule],
    finding: EvalFinding,
    why: Suppression,
) {
    if let Some(position) = rules.iter().position(|r| r.id == finding.rule) {
        let outcome = &mut evaluation.outcomes[position];
        outcome.failed = outcome.failed.saturating_sub(1);
        if outcome.failed == 0 {
            outcome.status = Status::Suppressed;
        }
    }
    evaluation.suppressed.push((finding, why));
}

/// `--baseline`: findings recorded in the baseline are suppressed; see `baseline.rs`.
fn apply_baseline(
    evaluation: &mut eval::Evaluation,
    rules: &[engine::Rule],
    files: &[SourceFile],
    baseline: &baseline::Baseline,
) {
    let findings = std::mem::take(&mut evaluation.findings);
    let keys: Vec<baseline::Entry> = findings.iter().map(|f| baseline_key(files, f)).collect();
    for (finding, known) in findings.into_iter().zip(baseline.covers(&keys)) {
        if known {
            let why = Suppression {
                reason: Some("recorded in the baseline".to_owned()),
                at: None,
                how: "baseline",
            };
            suppress_after_evaluation(evaluation, rules, finding, why);
        } else {
            evaluation.findings.push(finding);
        }
    }
}

fn baseline_key(files: &[SourceFile], finding: &EvalFinding) -> baseline::Entry {
    let place = finding.loc.and_then(|loc| {
        let file = files.get(loc.file as usize)?;
        let line = file.position(loc.span.start as usize).line;
        Some((file.path.as_str(), file.line_text(line)))
    });
    baseline::Entry::new(
        &finding.rule,
        place.map(|(path, _)| path),
        finding.object.as_deref(),
        &finding.message,
        place.and_then(|(_, text)| text),
    )
}

/// Suppressions written in the files plus `[[ignore]]` entries: the repo's
/// `facts.suppressions`, so `suppression-has-reason` can ask each for a reason.
fn suppressions_written(
    index: &suppress::Index,
    files: &[SourceFile],
    documents: &[model::Document],
    settings: &Settings,
) -> Vec<suppress::Written> {
    let mut written = suppress::written(index, files, documents);
    written.extend(settings.ignores.iter().map(|entry| suppress::Written {
        loc: None,
        rules: entry.rule.clone(),
        how: "config",
        reason: entry.reason.clone(),
    }));
    written
}

fn location(files: &[SourceFile], loc: Loc) -> Option<Location> {
    let file = files.get(loc.file as usize)?;
    let start = file.position(loc.span.start as usize);
    // A span that runs over several lines is shown as its first line: the label stays readable.
    let first_line_end = file.text[loc.span.start as usize..]
        .find('\n')
        .map_or(file.text.len(), |i| loc.span.start as usize + i);
    let end_offset = (loc.span.end as usize)
        .min(first_line_end)
        .max(loc.span.start as usize);
    let end = file.position(end_offset);
    Some(Location {
        path: file.path.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        offset: loc.span.start as usize,
        length: end_offset - loc.span.start as usize,
    })
}

fn to_finding(files: &[SourceFile], finding: EvalFinding) -> Finding {
    let location = finding.loc.and_then(|loc| location(files, loc));
    Finding {
        rule: finding.rule,
        category: finding.category,
        severity: finding.severity,
        message: finding.message,
        path: location.as_ref().map(|l| l.path.clone()),
        line: location.as_ref().map(|l| l.line),
        column: location.as_ref().map(|l| l.column),
        end_line: location.as_ref().map(|l| l.end_line),
        end_column: location.as_ref().map(|l| l.end_column),
        object: finding.object.map(|o| escape_controls(&o).into_owned()),
        help: finding.help,
        location,
    }
}

fn build_report(
    target: &str,
    settings: &Settings,
    rules: &[engine::Rule],
    mut evaluation: eval::Evaluation,
    files: &[SourceFile],
    artifacts: Vec<Artifact>,
    errors: Vec<FileError>,
) -> Report {
    evaluation.count_failed_units(rules);
    let score = score::overall(rules, &evaluation.outcomes);
    let categories = score::categories(rules, &evaluation.outcomes);
    // A monorepo's report holds tens of thousands of findings, each located by line and column.
    let mut findings: Vec<Finding> = evaluation
        .findings
        .into_par_iter()
        .map(|f| to_finding(files, f))
        .collect();
    findings.par_sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule, &a.message)
            .cmp(&(&b.path, b.line, b.column, &b.rule, &b.message))
    });
    let severities: Vec<_> = findings.iter().map(|f| f.severity).collect();
    let gate = score::gate(
        &settings.gate,
        &score::GateInput {
            score,
            categories: &categories,
            severities: &severities,
            errors: errors.len(),
        },
    );
    let mut suppressed: Vec<Suppressed> = evaluation
        .suppressed
        .into_iter()
        .map(|(finding, why)| {
            let finding = to_finding(files, finding);
            Suppressed {
                rule: finding.rule,
                path: finding.path,
                line: finding.line,
                object: finding.object,
                reason: why.reason.map(|r| escape_controls(&r).into_owned()),
                how: why.how,
                message: finding.message,
            }
        })
        .collect();
    suppressed.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    let mut rule_results: Vec<RuleResult> = rules
        .iter()
        .zip(&evaluation.outcomes)
        .map(|(rule, outcome)| RuleResult {
            id: rule.id.clone(),
            category: rule.category,
            severity: rule.severity,
            status: outcome.status,
            checked: outcome.checked,
            failed: outcome.failed,
            title: rule.title.clone(),
            summary: rule.docs.summary.clone(),
            remediation: rule.docs.remediation.clone(),
        })
        .collect();
    for id in &settings.disabled {
        if let Some(rule) = settings.rules.iter().find(|r| &r.id == id) {
            rule_results.push(RuleResult {
                id: rule.id.clone(),
                category: rule.category,
                severity: rule.severity,
                status: Status::Disabled,
                checked: 0,
                failed: 0,
                title: rule.title.clone(),
                summary: rule.docs.summary.clone(),
                remediation: rule.docs.remediation.clone(),
            });
        }
    }
    rule_results.sort_by(|a, b| (a.category, &a.id).cmp(&(b.category, &b.id)));
    let expired_ignores = settings
        .ignores
        .iter()
        .filter_map(|i| {
            let until = i.until.as_ref().filter(|u| **u < settings.today)?;
            Some(ExpiredIgnore {
                rule: i.rule.clone(),
                until: until.clone(),
            })
        })
        .collect();
    // Files are sorted by path, so the file of a location is found by binary search.
    let sources: BTreeMap<String, Arc<str>> = findings
        .iter()
        .filter_map(|f| f.location.as_ref())
        .filter_map(|l| {
            let at = files
                .binary_search_by(|f| f.path.as_str().cmp(&l.path))
                .ok()
                .filter(|at| !files[*at].is_dropped())?;
            Some((l.path.clone(), files[at].text.clone()))
        })
        .collect();
    Report {
        schema_version: report::SCHEMA_VERSION,
        tool: report::Tool::default(),
        target: target.to_owned(),
        score,
        grade: score::grade(score),
        gate,
        categories,
        rules: rule_results,
        findings,
        suppressed,
        expired_ignores,
        artifacts,
        errors,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::read_whole;

    #[test]
    fn a_file_is_read_whole_whatever_size_the_walk_saw() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        let text = "0123456789".repeat(1000);
        std::fs::write(&path, &text)?;
        let mut buffer = b"left over".to_vec();
        // Grown, shrunk and unchanged since the walk.
        for seen in [0, 3, 10_000, 10_001, 1 << 20] {
            read_whole(&path, seen, &mut buffer)?;
            assert_eq!(buffer, text.as_bytes(), "walk saw {seen} bytes");
        }
        std::fs::write(&path, "")?;
        read_whole(&path, 5, &mut buffer)?;
        assert!(buffer.is_empty());
        assert!(read_whole(&dir.path().join("missing"), 0, &mut buffer).is_err());
        Ok(())
    }
}
