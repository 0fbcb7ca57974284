//! One scan, end to end: read (walk, classify, parse, render, scope) → link → evaluate → accept
//! (`[[ignore]]`, baseline) → report. Everything here is deterministic: files sorted by path,
//! findings by location, no clocks.

mod compose_env;
mod compose_override;
mod inherit;
mod read;
mod render;
mod scope;

use std::borrow::Cow;
use std::path::Path;

use rayon::prelude::*;

use crate::engine;
use crate::engine::Rule;
use crate::engine::eval::{self, Scan};
use crate::engine::prematch::TextPatterns;
use crate::engine::suppress;
use crate::fix;
use crate::link;
use crate::model::{self, DocKind};
use crate::parse;
use crate::report::{self, Artifact, FileError, Report};
use crate::settings::Settings;
use crate::source::{FileId, Loc, SourceFile, escape_controls};
use crate::{accept, attest};

use read::Read;

pub use inherit::{Member, RootEvidence};

/// What to scan: a directory, a service of a monorepo with what it inherits from the
/// monorepo's root (fleet mode), or a manifest stream read from stdin (`-`).
pub enum Input<'a> {
    Dir(&'a Path),
    Service(&'a Path, Member<'a>),
    Stdin(String),
}

/// Scores one repository.
pub fn check(input: Input<'_>, target: &str, settings: &Settings) -> Report {
    scan(input, target, settings, None).0
}

/// `golive fix`: scores the repository at `root` and plans the fixes of its findings.
pub fn fix(root: &Path, target: &str, settings: &Settings) -> (Report, fix::Plan) {
    let (report, plan) = scan(Input::Dir(root), target, settings, Some(root));
    (report, plan.unwrap_or_default())
}

/// A scan; with `fix_root`, also the fixes of its findings, for files under that root.
fn scan(
    input: Input<'_>,
    target: &str,
    settings: &Settings,
    fix_root: Option<&Path>,
) -> (Report, Option<fix::Plan>) {
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
    let mut inherited = Vec::new();
    let (mut reads, other_files) = match input {
        Input::Dir(root) => {
            let (mut reads, other_files) = read::read_dir(root, settings, &patterns, Vec::new());
            compose_env::apply(root, &mut reads, &other_files, settings.max_file_size);
            (reads, other_files)
        }
        Input::Service(root, member) => {
            let root_reads = member.reads();
            let read_paths: Vec<String> = root_reads.iter().map(|r| r.path().to_owned()).collect();
            let (mut reads, mut other_files) =
                read::read_dir(root, settings, &patterns, root_reads);
            compose_env::apply(root, &mut reads, &other_files, settings.max_file_size);
            let own = reads.iter().map(|r| r.source.path.as_str());
            let present = member.present(own.chain(other_files.iter().map(String::as_str)));
            inherited = Member::used(&read_paths, &present);
            other_files.extend(present);
            other_files.sort();
            (reads, other_files)
        }
        Input::Stdin(text) => {
            let parsed = parse::parse(DocKind::Yaml, 0, "-", &text);
            let read = read::Read::new(SourceFile::new("-", text), DocKind::Yaml, parsed);
            (vec![read], Vec::new())
        }
    };
    compose_override::apply(&mut reads);
    render::render(&mut reads, (!settings.helm).then_some(&settings.release));
    scope::apply(&mut reads);
    let inherited = inherited
        .into_iter()
        .map(|(path, evidence)| report::Inherited { path, evidence })
        .collect();
    assemble(
        reads,
        &other_files,
        target,
        settings,
        active,
        fix_root,
        inherited,
    )
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

/// The files, documents and per-file results of the readers, in file order.
struct Collected {
    files: Vec<SourceFile>,
    documents: Vec<model::Document>,
    artifacts: Vec<Artifact>,
    errors: Vec<FileError>,
    duplicate_keys: Vec<(String, Loc)>,
}

fn collect(reads: Vec<Read>) -> Collected {
    let mut out = Collected {
        files: Vec::with_capacity(reads.len()),
        documents: Vec::with_capacity(reads.iter().map(|r| r.parsed.documents.len()).sum()),
        artifacts: Vec::with_capacity(reads.len()),
        errors: Vec::new(),
        duplicate_keys: Vec::new(),
    };
    for read in reads {
        out.artifacts.push(artifact(&read));
        let file = out.files.len() as FileId;
        out.duplicate_keys.extend(
            read.parsed
                .duplicate_keys
                .iter()
                .map(|(key, span)| (key.clone(), Loc { file, span: *span })),
        );
        for error in &read.parsed.errors {
            let position = error.span.map(|s| read.source.position(s.start as usize));
            out.errors.push(FileError {
                path: read.source.path.clone(),
                line: position.map(|p| p.line),
                column: position.map(|p| p.column),
                message: escape_controls(&error.message).into_owned(),
            });
        }
        out.documents.extend(read.parsed.documents);
        out.files.push(read.source);
    }
    out
}

/// How a file shows in the report's `artifacts`: the kind its documents were routed to.
fn artifact(read: &Read) -> Artifact {
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
    Artifact {
        path: read.source.path.clone(),
        kind: match (read.role, &read.skip) {
            (Some(role), _) => role,
            (None, Some(reason)) if reason.starts_with("Helm") => render::HELM_TEMPLATE,
            _ => kind.as_str(),
        },
        documents: read.parsed.documents.len(),
        status,
        reason: read.skip.clone().or(read.note.clone()),
    }
}

/// Link → evaluate → accept → report, over the collected files.
fn assemble(
    reads: Vec<Read>,
    other_files: &[String],
    target: &str,
    settings: &Settings,
    active: Cow<'_, [Rule]>,
    fix_root: Option<&Path>,
    inherited: Vec<report::Inherited>,
) -> (Report, Option<fix::Plan>) {
    let Collected {
        mut files,
        mut documents,
        artifacts,
        errors,
        duplicate_keys,
    } = collect(reads);
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let (mut repo, index) = rayon::join(
        || link::repo(&documents, &paths, other_files, &duplicate_keys),
        || suppress::Index::build(&files),
    );
    let written = accept::suppressions_written(&index, &files, &documents, &settings.ignores);
    suppress::add_facts(&mut repo, &written);
    // Rules run as soon as the documents they read are final, and those trees are freed
    // before linking adds to the others, so a monorepo's peak holds fewer trees: first the
    // rules about the repo document and the kinds linking neither reads nor changes (sources,
    // Markdown, alert rules…), then, halfway through linking, those about Dockerfiles and
    // compose files. `golive fix` edits the trees of every finding, so it keeps them.
    let unlinked = |rule: &Rule| !rule.target.reads_any(link::reads);
    let settled = |rule: &Rule| !rule.target.reads_any(link::Linking::changes);
    let free = fix_root.is_none();
    let first = evaluate_then_free(
        &active,
        &files,
        &mut documents,
        (&repo, &index),
        free,
        &unlinked,
        link::reads,
    );
    let linking = link::Linking::start(&mut documents, &paths);
    let second = evaluate_then_free(
        &active,
        &files,
        &mut documents,
        (&repo, &index),
        free,
        &|rule| settled(rule) && !unlinked(rule),
        link::Linking::reads,
    );
    linking.finish(&mut documents, &paths, free);
    if free {
        // The object index and the copied stages are gone.
        crate::heap::freed(documents.len());
    }
    let scan = Scan {
        files: &files,
        documents: &documents,
        repo: &repo,
        suppressions: &index,
    };
    let last = eval::evaluate_some(&active, &scan, |rule| !settled(rule));
    let mut evaluation = eval::join(vec![first, second, last], &scan);
    restore_texts(&mut files, &evaluation);
    accept::apply_config_ignores(
        &mut evaluation,
        &active,
        &files,
        &settings.ignores,
        &settings.today,
    );
    attest::apply(
        &mut evaluation,
        &active,
        &settings.attestations,
        &settings.today,
    );
    if let Some(baseline) = &settings.baseline {
        accept::apply_baseline(&mut evaluation, &active, &files, baseline);
    }
    let plan = fix_root.map(|root| {
        let kinds: Vec<&str> = artifacts.iter().map(|a| a.kind).collect();
        let exists = |path: &str| root.join(path).symlink_metadata().is_ok();
        let scan = fix::Scan {
            files: &files,
            kinds: &kinds,
            documents: &documents,
            repo: &repo,
            rules: &active,
            exists: &exists,
        };
        fix::plan(&scan, &evaluation.findings)
    });
    let copies = scope::copy_keys(&documents, &paths, &settings.release.name);
    // The report needs none of the trees. A large scan frees them now and hands their pages
    // back, so that the report does not add to the peak (48 MB less at 20,000 services, in
    // the same time); a small one (a fleet's service) frees them on another worker while the
    // report is built (a CLI run may exit before it finishes, which costs nothing).
    if free && documents.len() >= crate::heap::MANY {
        let freed = documents.len();
        documents.into_par_iter().for_each(drop);
        drop((repo, index));
        crate::heap::freed(freed);
    } else {
        rayon::spawn(move || drop((documents, repo, index)));
    }
    let scanned = report::build::Scanned {
        target,
        rules: &active,
        disabled: settings
            .rules
            .iter()
            .filter(|r| settings.disabled.contains(&r.id))
            .collect(),
        gate: &settings.gate,
        expired_ignores: accept::expired(&settings.ignores, &settings.today).collect(),
        attestations: &settings.attestations,
        today: &settings.today,
        files: &files,
        artifacts,
        errors,
        copies,
        inherited,
    };
    let report = report::build::build(scanned, evaluation);
    rayon::spawn(move || drop(files));
    (report, plan)
}

/// Evaluates the rules `pick` chooses, then (with `free`) frees the trees of the documents
/// whose kind no later step `reads`.
fn evaluate_then_free(
    rules: &[Rule],
    files: &[SourceFile],
    documents: &mut [model::Document],
    (repo, suppressions): (&model::Document, &suppress::Index),
    free: bool,
    pick: &(dyn Fn(&Rule) -> bool + Sync),
    reads: fn(DocKind) -> bool,
) -> eval::Part {
    let scan = Scan {
        files,
        documents,
        repo,
        suppressions,
    };
    let part = eval::evaluate_some(rules, &scan, pick);
    if free {
        let freed = documents
            .par_iter_mut()
            // A tree of one node is empty or already freed.
            .filter(|d| !reads(d.kind) && d.tree.len() > 1)
            .map(model::Document::drop_tree)
            .count();
        crate::heap::freed(freed);
    }
    part
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
