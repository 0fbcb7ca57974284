//! Rules × documents → findings and one outcome per rule (checked / failed / not applicable).

use std::borrow::Cow;
use std::collections::HashMap;

use rayon::prelude::*;

use super::compile::{Category, Condition, Rule, Scope, Severity, TemplatePart};
use super::condition::{self, Context, Outcome};
use super::suppress::{self, Suppression};
use crate::hash::fnv1a_64;
use crate::model::{DocKind, Document, NodeId};
use crate::source::{Loc, SourceFile, escape_controls, root_relative};

/// The parsed repository a rule set is evaluated on.
pub struct Scan<'a> {
    pub files: &'a [SourceFile],
    pub documents: &'a [Document],
    pub repo: &'a Document,
    pub suppressions: &'a suppress::Index,
}

impl Scan<'_> {
    pub fn path(&self, file: u32) -> Option<&str> {
        self.files.get(file as usize).map(|f| f.path.as_str())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    /// `None` for a finding about the repo as a whole (something missing).
    pub loc: Option<Loc>,
    pub object: Option<String>,
    pub help: std::sync::Arc<str>,
    /// Set when the object carries a `golive.dev/ignore` annotation for this rule (boxed: a
    /// monorepo holds hundreds of thousands of findings, nearly all without one).
    pub annotation_suppression: Option<Box<Suppression>>,
    /// The document the finding is about (its index in the scan; `REPO_UNIT` for the repo), so
    /// a rule is scored per document, not per item.
    pub unit: usize,
    /// The failing item in the document's tree (what `golive fix` edits).
    pub item: NodeId,
    /// What `loc` points at is a secret (the rule's `redact`).
    pub redact: bool,
}

/// The unit of findings about the repository as a whole.
pub const REPO_UNIT: usize = usize::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    NotApplicable,
    Suppressed,
    /// Met by a current `[[attest]]` sign-off of golive.toml (see `attest`).
    Attested,
    Disabled,
}

#[derive(Clone, Debug)]
pub struct RuleOutcome {
    /// Items checked and failed (every container, every instruction…), as reported.
    pub checked: usize,
    pub failed: usize,
    pub status: Status,
    /// Documents (or the repo) the items belong to: the rule's share of the score is the part
    /// of them without a finding, so a Dockerfile with one secret among ten instructions scores
    /// as failing, not as 90 % passing.
    pub units: usize,
    /// Documents with a reported finding; set by `Evaluation::count_failed_units` once every
    /// suppression and baseline has been applied.
    pub failed_units: usize,
}

impl Evaluation {
    /// Sets each rule's `failed_units` from the findings still reported (after suppressions
    /// and the baseline), in rule order.
    pub fn count_failed_units(&mut self, rules: &[Rule]) {
        let mut units: HashMap<&str, Vec<usize>> = HashMap::new();
        for finding in &self.findings {
            units.entry(&finding.rule).or_default().push(finding.unit);
        }
        for (rule, outcome) in rules.iter().zip(&mut self.outcomes) {
            let Some(units) = units.get_mut(rule.id.as_str()) else {
                outcome.failed_units = 0;
                continue;
            };
            units.sort_unstable();
            units.dedup();
            outcome.failed_units = units.len().min(outcome.units);
        }
    }

    /// Reports a problem found at one place once. Every deploy variant built from one base
    /// (overlays, charts) shares the base's lines, so its fault shows in each of them; and an
    /// object kept in several files (a copy of the base, a release manifest) says the same
    /// thing about the same object in each. `copies` gives each unit (document) the object it
    /// is, if any, and its rank among the copies (lowest: the source): a finding another copy
    /// of its object also has, with the same message, is reported at the source only. The
    /// copies still count against their documents (call after `count_failed_units`).
    pub fn merge_copies(&mut self, rules: &[Rule], copies: &[Option<(u128, u64)>]) {
        let index: HashMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let copy_key = |finding: &Finding| {
            let rule = *index.get(finding.rule.as_str())?;
            let (object, rank) = copies.get(finding.unit).copied().flatten()?;
            // Copies may name the object differently (a Helm release prefix): the message is
            // compared without the object's own name.
            let message = match &finding.object {
                Some(label) => Cow::Owned(finding.message.replace(label.as_str(), "\0")),
                None => Cow::Borrowed(finding.message.as_str()),
            };
            Some(((rule, object, fnv1a_64(message.as_bytes())), rank))
        };
        let mut source: HashMap<(usize, u128, u64), u64> = HashMap::new();
        for (key, rank) in self.findings.iter().filter_map(copy_key) {
            let best = source.entry(key).or_insert(rank);
            *best = (*best).min(rank);
        }
        let mut seen = std::collections::HashSet::new();
        let outcomes = &mut self.outcomes;
        self.findings.retain(|finding| {
            let (Some(loc), Some(&rule)) = (finding.loc, index.get(finding.rule.as_str())) else {
                return true;
            };
            let at_source =
                copy_key(finding).is_none_or(|(key, rank)| source.get(&key) == Some(&rank));
            if at_source && seen.insert((rule, loc)) {
                return true;
            }
            if let Some(outcome) = outcomes.get_mut(rule) {
                outcome.failed = outcome.failed.saturating_sub(1);
            }
            false
        });
        let mut seen = std::collections::HashSet::new();
        self.suppressed.retain(|(finding, _)| {
            finding
                .loc
                .is_none_or(|loc| seen.insert((finding.rule.clone(), loc)))
        });
    }
}

pub struct Evaluation {
    pub outcomes: Vec<RuleOutcome>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<(Finding, Suppression)>,
}

/// Evaluates every rule (in parallel; results keep rule order, so output does not depend on
/// the thread count).
pub fn evaluate(rules: &[Rule], scan: &Scan<'_>) -> Evaluation {
    let all = evaluate_some(rules, scan, |_| true);
    join(vec![all], scan)
}

/// The results of some of a rule set's rules, by rule: `None` for a rule left to another part.
pub struct Part(Vec<Option<(RuleOutcome, Vec<Finding>)>>);

/// Evaluates the rules `pick` chooses. A rule's results depend only on the documents it reads
/// and the repo document, so rules can run in parts, each as soon as what it reads is final
/// (see `pipeline::assemble`), and `join` gives what one `evaluate` gives.
pub fn evaluate_some(rules: &[Rule], scan: &Scan<'_>, pick: impl Fn(&Rule) -> bool + Sync) -> Part {
    let repo_cx = repo_context(scan);
    let checks: Vec<Option<Option<Cow<'_, Condition>>>> = rules
        .par_iter()
        .map(|rule| {
            pick(rule).then(|| {
                let applies = rule
                    .when
                    .as_ref()
                    .is_none_or(|when| condition::eval(when, repo_cx).ok);
                applies.then(|| condition::specialise(&rule.check, repo_cx))
            })
        })
        .collect();
    let tallies = tally_documents(rules, &checks, scan);
    Part(
        rules
            .par_iter()
            .zip(&checks)
            .zip(tallies)
            .map(|((rule, check), tally)| {
                Some(match (check.as_ref()?, tally) {
                    (None, _) => (not_applicable(), Vec::new()),
                    (Some(_), Some(tally)) => conclude(rule, scan, tally),
                    (Some(check), None) => evaluate_rule(rule, check, scan),
                })
            })
            .collect(),
    )
}

/// The evaluation of a rule set from parts that together evaluate each rule once, with the
/// findings that a comment or annotation suppresses set apart (`scan` gives the files and the
/// suppression index).
pub fn join(parts: Vec<Part>, scan: &Scan<'_>) -> Evaluation {
    let rules = parts.first().map_or(0, |p| p.0.len());
    let mut parts: Vec<_> = parts.into_iter().map(|p| p.0.into_iter()).collect();
    let mut evaluation = Evaluation {
        outcomes: Vec::with_capacity(rules),
        findings: Vec::new(),
        suppressed: Vec::new(),
    };
    for _ in 0..rules {
        let mut result = None;
        for part in &mut parts {
            if let Some(Some(r)) = part.next() {
                result = Some(r);
            }
        }
        let (mut outcome, found) = result.unwrap_or_else(|| (not_applicable(), Vec::new()));
        for finding in found {
            match suppression(scan, &finding) {
                Some(why) => {
                    outcome.failed -= 1;
                    outcome.status = Status::Suppressed;
                    evaluation.suppressed.push((finding, why));
                }
                None => evaluation.findings.push(finding),
            }
        }
        if outcome.failed > 0 {
            outcome.status = Status::Failed;
        }
        evaluation.outcomes.push(outcome);
    }
    evaluation
}

fn suppression(scan: &Scan<'_>, finding: &Finding) -> Option<Suppression> {
    if let Some(why) = &finding.annotation_suppression {
        return Some(Suppression::clone(why));
    }
    let loc = finding.loc?;
    scan.suppressions.lookup(scan.files, &finding.rule, loc)
}

fn repo_context<'a>(scan: &Scan<'a>) -> Context<'a> {
    Context {
        doc: scan.repo,
        item: scan.repo.root,
        repo: scan.repo,
    }
}

fn not_applicable() -> RuleOutcome {
    RuleOutcome {
        checked: 0,
        failed: 0,
        status: Status::NotApplicable,
        units: 0,
        failed_units: 0,
    }
}

/// Whether a rule judges each item of each document on its own, so it can run document by
/// document (`tally_documents`).
fn by_document(rule: &Rule) -> bool {
    rule.scope == Scope::Each && !rule.target.reads(DocKind::Repo)
}

/// One rule's items and findings over some documents.
#[derive(Default)]
struct Tally {
    checked: usize,
    units: usize,
    findings: Vec<Finding>,
}

/// Documents handed to a worker at a time, at most: enough to amortise a task, few enough that
/// a small repository still spreads over every core. Results are joined in document order, so
/// the split never shows in the output.
const MAX_DOCUMENTS_PER_TASK: usize = 64;

/// Runs every rule that judges items one by one (`by_document`), document by document: every
/// rule reads a document while its tree is in the cache, where running rule by rule walked every
/// tree of a monorepo once per rule and spent most of its time waiting for memory. Returns, for
/// each rule in order, its tally (findings in document order), or `None` for a rule evaluated
/// another way or left to another part (`checks` is `None` for it).
fn tally_documents(
    rules: &[Rule],
    checks: &[Option<Option<Cow<'_, Condition>>>],
    scan: &Scan<'_>,
) -> Vec<Option<Tally>> {
    let chosen: Vec<(usize, &Rule, &Condition)> = rules
        .iter()
        .zip(checks)
        .filter(|(rule, _)| by_document(rule))
        .enumerate()
        .filter_map(|(slot, (rule, check))| Some((slot, rule, check.as_ref()?.as_deref()?)))
        .collect();
    let slots = rules.iter().filter(|rule| by_document(rule)).count();
    let per_task = (scan.documents.len() / (rayon::current_num_threads() * 8))
        .clamp(1, MAX_DOCUMENTS_PER_TASK);
    let chunks: Vec<Vec<Tally>> = scan
        .documents
        .par_chunks(per_task)
        .enumerate()
        .map(|(chunk, documents)| {
            let mut tallies: Vec<Tally> = (0..slots).map(|_| Tally::default()).collect();
            let mut items = Vec::new();
            for (offset, doc) in documents.iter().enumerate() {
                let unit = chunk * per_task + offset;
                for (slot, rule, check) in &chosen {
                    if !rule.target.reads(doc.kind) {
                        continue;
                    }
                    items.clear();
                    document_items(rule, scan, doc, &mut items);
                    if items.is_empty() {
                        continue;
                    }
                    let tally = &mut tallies[*slot];
                    tally.units += 1;
                    tally.checked += items.len();
                    for cx in &items {
                        let outcome = condition::eval(check, *cx);
                        if !outcome.ok {
                            let loc = locate(rule, *cx, outcome);
                            tally.findings.push(finding(rule, scan, unit, *cx, loc));
                        }
                    }
                }
            }
            tallies
        })
        .collect();
    let mut total: Vec<Tally> = (0..slots).map(|_| Tally::default()).collect();
    for chunk in chunks {
        for (sum, part) in total.iter_mut().zip(chunk) {
            sum.checked += part.checked;
            sum.units += part.units;
            sum.findings.extend(part.findings);
        }
    }
    let mut total = total.into_iter();
    rules
        .iter()
        .map(|rule| by_document(rule).then(|| total.next()).flatten())
        .collect()
}

/// A document-by-document rule's outcome from its tally over all documents.
fn conclude(rule: &Rule, scan: &Scan<'_>, tally: Tally) -> (RuleOutcome, Vec<Finding>) {
    if tally.checked == 0 {
        return absent(rule, scan);
    }
    let failed_items = tally.findings.len();
    (
        failed(tally.checked, failed_items, tally.units),
        tally.findings,
    )
}

/// No item to check: not applicable, or a finding about the repository for a rule that asks
/// for something to exist.
fn absent(rule: &Rule, scan: &Scan<'_>) -> (RuleOutcome, Vec<Finding>) {
    if !rule.fail_when_absent {
        return (not_applicable(), Vec::new());
    }
    let finding = finding(rule, scan, REPO_UNIT, repo_context(scan), None);
    (failed(1, 1, 1), vec![finding])
}

/// A rule about the repository as a whole, or one whose items are judged together.
fn evaluate_rule(rule: &Rule, check: &Condition, scan: &Scan<'_>) -> (RuleOutcome, Vec<Finding>) {
    let repo_cx = repo_context(scan);
    let items = items(rule, scan);
    if items.is_empty() {
        return absent(rule, scan);
    }
    let check = |cx: Context<'_>| condition::eval(check, cx);
    match rule.scope {
        Scope::Each => {
            let mut findings = Vec::new();
            for (unit, cx) in &items {
                let outcome = check(*cx);
                if !outcome.ok {
                    let loc = locate(rule, *cx, outcome);
                    findings.push(finding(rule, scan, *unit, *cx, loc));
                }
            }
            let mut units: Vec<usize> = items.iter().map(|(unit, _)| *unit).collect();
            units.dedup();
            (failed(items.len(), findings.len(), units.len()), findings)
        }
        Scope::Repo => {
            let mut outcomes = items.iter().map(|(_, cx)| check(*cx));
            let Some(first) = outcomes.next() else {
                return (failed(1, 0, 1), Vec::new());
            };
            if first.ok || outcomes.any(|o| o.ok) {
                return (failed(1, 0, 1), Vec::new());
            }
            // One item examined: point into it; several: the repo as a whole falls short.
            let (unit, cx, loc) = match items.as_slice() {
                [(unit, only)] => (*unit, *only, locate(rule, *only, first)),
                _ => (REPO_UNIT, repo_cx, None),
            };
            (failed(1, 1, 1), vec![finding(rule, scan, unit, cx, loc)])
        }
    }
}

fn failed(checked: usize, failed: usize, units: usize) -> RuleOutcome {
    RuleOutcome {
        checked,
        failed,
        units,
        failed_units: 0,
        status: if failed > 0 {
            Status::Failed
        } else {
            Status::Passed
        },
    }
}

/// The items a rule checks, each with its document's unit: `for_each` hits (or the document
/// root) of every selected document.
fn items<'a>(rule: &Rule, scan: &'a Scan<'a>) -> Vec<(usize, Context<'a>)> {
    let documents: Box<dyn Iterator<Item = (usize, &Document)>> =
        if rule.target.reads(DocKind::Repo) {
            Box::new(std::iter::once((REPO_UNIT, scan.repo)))
        } else {
            Box::new(
                scan.documents
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| rule.target.reads(d.kind)),
            )
        };
    let mut out = Vec::new();
    let mut found = Vec::new();
    for (unit, doc) in documents {
        found.clear();
        document_items(rule, scan, doc, &mut found);
        out.extend(found.iter().map(|cx| (unit, *cx)));
    }
    out
}

/// The items a rule checks in one document: nothing when the rule's `files` or `select` leave
/// the document out, else the `for_each` hits or the document root.
fn document_items<'a>(rule: &Rule, scan: &Scan<'a>, doc: &'a Document, out: &mut Vec<Context<'a>>) {
    if let Some(files) = &rule.files
        && !scan
            .path(doc.file)
            .is_some_and(|p| files.is_match(root_relative(p)))
    {
        return;
    }
    let root = Context {
        doc,
        item: doc.root,
        repo: scan.repo,
    };
    if let Some(select) = &rule.select
        && !condition::eval(select, root).ok
    {
        return;
    }
    match &rule.for_each {
        None => out.push(root),
        Some(path) => {
            let (_, hits) = root.resolve(path);
            out.extend(hits.into_iter().map(|item| Context { item, ..root }));
        }
    }
}

/// Where a failing item's finding points: the rule's anchor, else the value that decided the
/// check, else the item, else the object's name.
fn locate(rule: &Rule, cx: Context<'_>, outcome: Outcome) -> Option<Loc> {
    let anchored = rule.anchor.as_ref().and_then(|anchor| {
        let (tree, hits) = cx.resolve(anchor);
        hits.first().and_then(|id| tree.loc(*id))
    });
    // A whole object is best shown by its name, not by its first line.
    let item = if cx.item == cx.doc.root {
        object_name_loc(cx.doc).or_else(|| cx.doc.tree.loc(cx.item))
    } else {
        cx.doc.tree.loc(cx.item)
    };
    anchored.or(outcome.witness).or(item)
}

fn object_name_loc(doc: &Document) -> Option<Loc> {
    doc.tree
        .lookup(doc.root, "metadata.name")
        .and_then(|id| doc.tree.loc(id))
}

fn finding(
    rule: &Rule,
    scan: &Scan<'_>,
    unit: usize,
    cx: Context<'_>,
    loc: Option<Loc>,
) -> Finding {
    let repo_level = std::ptr::eq(cx.doc, scan.repo);
    // A repo fact item written somewhere (a suppression comment) keeps that place; the repo as
    // a whole has none.
    let whole_repo = repo_level && cx.item == cx.doc.root;
    Finding {
        rule: rule.id.clone(),
        category: rule.category,
        severity: rule.severity,
        message: render_message(rule, scan, cx),
        loc: if whole_repo { None } else { loc },
        object: if repo_level {
            None
        } else {
            cx.doc.label.clone()
        },
        help: rule.help.clone(),
        annotation_suppression: suppress::by_annotation(cx.doc, &rule.id).map(Box::new),
        unit,
        item: cx.item,
        redact: rule.redact,
    }
}

fn render_message(rule: &Rule, scan: &Scan<'_>, cx: Context<'_>) -> String {
    let mut out = String::new();
    for part in &rule.message.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Object => {
                out.push_str(cx.doc.label.as_deref().unwrap_or("the repository"))
            }
            TemplatePart::File => out.push_str(scan.path(cx.doc.file).unwrap_or("the repository")),
            TemplatePart::Unmet => {
                let mut paths = Vec::new();
                condition::unmet(&rule.check, cx, &mut paths);
                let quoted: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
                out.push_str(&quoted.join(", "));
            }
            TemplatePart::Dir => {
                let file = scan.path(cx.doc.file).unwrap_or_default();
                out.push_str(file.rsplit_once('/').map_or("", |(dir, _)| dir));
            }
            TemplatePart::Value(path) | TemplatePart::Optional(path) => {
                let (tree, hits) = cx.resolve(path);
                let values: Vec<String> = hits
                    .iter()
                    .filter_map(|id| tree.scalar_text(*id).map(|t| t.into_owned()))
                    .collect();
                out.push_str(if values.is_empty() { "(none)" } else { "" });
                out.push_str(&short(&values.join(", ")));
            }
        }
    }
    escape_controls(&out).into_owned()
}

/// Values quoted into messages are cut, so a 30 MB scalar cannot flood a report.
fn short(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
