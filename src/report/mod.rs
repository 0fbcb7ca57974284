//! The `Report`: everything a scan found, in the JSON contract's shape (DESIGN §4). It is the
//! only input of every output format.

pub mod build;
pub mod catalog;
pub mod checklist;
pub mod checkstyle;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub(crate) mod read;
pub mod sarif;
pub mod stream;
mod xml;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::baseline::{self, Baseline};
use crate::engine::eval::Status;
use crate::engine::{Category, Severity};
use crate::score::{CategoryScore, Gate};
use crate::source::{SourceFile, escape_controls};

pub const SCHEMA_VERSION: u32 = 1;

/// A word from a closed list the contract fixes (a grade, an artifact kind or status). Spelt as
/// an alias because serde would otherwise read a `&'static str` field as borrowed from the
/// input, and only allow reading reports from `'static` text.
pub type Word = &'static str;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Tool {
        Tool {
            name: "golive",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: String,
    pub score: f64,
    #[serde(deserialize_with = "read::grade")]
    pub grade: Word,
    pub gate: Gate,
    pub categories: Vec<CategoryScore>,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// `[[ignore]]` entries of golive.toml past their `until` day (they no longer suppress).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_ignores: Vec<ExpiredIgnore>,
    /// `[[attest]]` sign-offs of golive.toml, current and expired, by rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<Attestation>,
    pub artifacts: Vec<Artifact>,
    pub errors: Vec<FileError>,
    /// Fleet mode: the monorepo root's files this service inherits (CI, CODEOWNERS, …), at
    /// their paths relative to the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited: Vec<Inherited>,
    /// `--compare PREVIOUS.json`: what changed since an earlier report of the same service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Texts of the files findings point into, for snippets; not part of the JSON contract.
    #[serde(skip)]
    pub sources: BTreeMap<String, Arc<str>>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleResult {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub status: Status,
    pub checked: usize,
    pub failed: usize,
    /// The rule's docs, for formats that describe rules (SARIF); not part of the JSON contract.
    /// Shared with the rule: a fleet holds one result per rule per service.
    #[serde(skip)]
    pub title: Arc<str>,
    #[serde(skip)]
    pub summary: Arc<str>,
    #[serde(skip)]
    pub rationale: Arc<str>,
    #[serde(skip)]
    pub remediation: Arc<str>,
}

/// A location in a scanned file; lines and columns are 1-based, columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte range in the file, for snippets.
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub length: usize,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub object: Option<String>,
    pub help: std::sync::Arc<str>,
    #[serde(skip)]
    pub location: Option<Location>,
    /// The text at `location` is a secret: snippets mask it.
    #[serde(skip)]
    pub redact: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppressed {
    pub rule: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub object: Option<String>,
    pub reason: Option<String>,
    /// `inline comment`, `file comment`, `annotation`, `config` or `baseline`.
    #[serde(deserialize_with = "read::suppression_how")]
    pub how: Word,
    /// What the finding said, for formats that list suppressed results (SARIF).
    #[serde(skip)]
    pub message: String,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiredIgnore {
    pub rule: String,
    /// `YYYY-MM-DD`.
    pub until: String,
}

/// A sign-off of a rule (`[[attest]]`); text from golive.toml, control characters escaped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub rule: String,
    pub by: String,
    /// `YYYY-MM-DD`: the day of the sign-off.
    pub date: String,
    /// `YYYY-MM-DD`: the last day it counts.
    pub expires: String,
    pub evidence: String,
    /// Past `expires`: the rule is checked again as if never signed off.
    pub expired: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub path: String,
    #[serde(deserialize_with = "read::artifact_kind")]
    pub kind: Word,
    pub documents: usize,
    /// `parsed`, `skipped` or `error`.
    #[serde(deserialize_with = "read::artifact_status")]
    pub status: Word,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A file of the monorepo root a fleet service reads as its own (`pipeline::inherit`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inherited {
    /// Relative to the service's folder: `../../.github/workflows/ci.yml`.
    pub path: String,
    /// `ci`, `ownership`, `dependency-updates`, `changelog` or `compose`.
    #[serde(deserialize_with = "read::inherited_evidence")]
    pub evidence: Word,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// What changed since an earlier report of the same service (`--compare`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// The previous report file, as given.
    pub file: String,
    /// The previous report of this service; `None` when the file has none (a new service).
    pub previous: Option<PreviousReport>,
    /// This score minus the previous one; `None` without a previous report.
    pub score_delta: Option<f64>,
    /// Findings the previous report did not have, in report order.
    pub new: Vec<Finding>,
    /// Findings of the previous report this one no longer has.
    pub fixed: Vec<Finding>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousReport {
    pub target: String,
    pub score: f64,
    #[serde(deserialize_with = "read::grade")]
    pub grade: Word,
}

/// Several PATHs: one report each.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetReport {
    pub schema_version: u32,
    pub reports: Vec<Report>,
}

/// Text from a scanned file made safe for a machine-read format: CRLF line ends become LF, and
/// every other control character a visible `\u{..}` (see `escape_controls`).
pub fn clean(text: &str) -> String {
    escape_controls(&text.replace("\r\n", "\n")).into_owned()
}

/// The prefix of a report's CI paths (see [`Report::ci_path`]): its target when that is a
/// relative path.
pub fn ci_root(target: &str) -> Option<String> {
    let slashed = target.replace('\\', "/");
    let mut root = slashed.trim_end_matches('/');
    while let Some(rest) = root.strip_prefix("./") {
        root = rest.trim_start_matches('/');
    }
    let relative = !(root.is_empty()
        || root == "."
        || root == "-"
        || slashed.starts_with('/')
        || std::path::Path::new(target).is_absolute());
    relative.then(|| clean(root))
}

/// `root/path`, each `..` at the start of `path` (a file inherited from a monorepo's root)
/// taking a folder off `root`: `mono/services/cart` + `../../CODEOWNERS` → `mono/CODEOWNERS`.
fn joined(root: &str, path: &str) -> String {
    let mut root = root;
    let mut rest = path;
    while let Some(after) = rest.strip_prefix("../") {
        match root.rsplit_once('/') {
            Some((parent, _)) => root = parent,
            None if !root.is_empty() && root != ".." => root = "",
            None => break,
        }
        rest = after;
    }
    if root.is_empty() {
        rest.to_owned()
    } else {
        format!("{root}/{rest}")
    }
}

/// Where the docs of a rule live online; SARIF `helpUri` points there.
pub fn rule_doc_url(id: &str) -> String {
    format!("https://github.com/golive-dev/golive/blob/main/docs/rules.md#{id}")
}

impl Report {
    /// The sign-off that decides `rule`: the current one valid longest, else the last to expire.
    pub fn attestation(&self, rule: &str) -> Option<&Attestation> {
        self.attestations
            .iter()
            .filter(|a| a.rule == rule)
            .max_by(|a, b| (!a.expired, &a.expires).cmp(&(!b.expired, &b.expires)))
    }

    /// The rule result of `id` and its index in `rules` (SARIF's `ruleIndex`).
    pub fn rule(&self, id: &str) -> Option<(usize, &RuleResult)> {
        self.rules.iter().enumerate().find(|(_, r)| r.id == id)
    }

    /// A scanned path as CI tools want it: relative to the directory golive ran in, where code
    /// scanning, annotations and code-quality widgets resolve paths. A relative PATH argument
    /// is kept as a prefix (`services/cart` + `k8s/app.yaml`); an absolute one is dropped so no
    /// absolute path leaks into a report, and paths stay relative to the scanned root.
    pub fn ci_path(&self, path: &str) -> String {
        match self.ci_root() {
            Some(root) => joined(&root, path),
            None => path.to_owned(),
        }
    }

    /// Where findings about the whole repository (`path: null`) are located in formats that
    /// require a file: the scanned root itself (`.` or the relative PATH).
    pub fn ci_repo_path(&self) -> String {
        self.ci_root().unwrap_or_else(|| ".".to_owned())
    }

    fn ci_root(&self) -> Option<String> {
        ci_root(&self.target)
    }

    /// One stable fingerprint per finding, in the order of `findings` (see [`Fingerprints`]).
    pub fn fingerprints(&self) -> Vec<String> {
        let mut fingerprints = Fingerprints::default();
        self.findings
            .iter()
            .map(|f| {
                fingerprints.next(
                    self,
                    &f.rule,
                    f.path.as_deref(),
                    f.object.as_deref(),
                    &f.message,
                )
            })
            .collect()
    }

    /// `1 critical, 13 high, 2 low`: the non-zero finding counts, most severe first.
    pub fn severity_summary(&self) -> String {
        Severity::ALL
            .into_iter()
            .map(|s| (s, self.count(s)))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Findings about a file the services of a fleet inherit from their monorepo's root
/// (`../…`, see `pipeline::inherit`) already written: the CI formats carry each one once per
/// run, under the first service it counts against, so code scanning, Code Quality and review
/// bots show one problem, not one per service. (Its fingerprint hashes the root path, the same
/// in every service.)
#[derive(Default)]
pub struct InheritedOnce {
    seen: std::collections::HashSet<String>,
}

impl InheritedOnce {
    /// Whether to write `finding`, whose fingerprint is `fingerprint`.
    pub fn first(&mut self, finding: &Finding, fingerprint: &str) -> bool {
        let inherited = finding
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with("../"));
        !inherited || self.seen.insert(fingerprint.to_owned())
    }
}

/// Stable finding fingerprints: a hash of rule, path, object and message — never the line, so a
/// finding keeps its identity (and its triage state in GitHub or GitLab) when code above it
/// moves. Identical findings in one file are told apart by their order of occurrence.
#[derive(Default)]
pub struct Fingerprints {
    seen: BTreeMap<String, usize>,
}

impl Fingerprints {
    pub fn next(
        &mut self,
        report: &Report,
        rule: &str,
        path: Option<&str>,
        object: Option<&str>,
        message: &str,
    ) -> String {
        // A repo-level finding is identified by the repository it is about, so two services of
        // one fleet run that both lack a README get two fingerprints.
        let path = path.map_or_else(|| report.ci_repo_path(), |p| report.ci_path(p));
        let key = format!("{rule}\0{path}\0{}\0{message}", object.unwrap_or_default());
        let n = self.seen.entry(key.clone()).or_default();
        *n += 1;
        format!(
            "{:032x}",
            crate::hash::fnv1a_128(format!("{key}\0{n}").as_bytes())
        )
    }
}

impl Report {
    /// The findings of this report (its suppressed ones excluded) as a baseline.
    pub fn baseline(&self) -> Baseline {
        let entries = self
            .findings
            .iter()
            .map(|f| {
                let file = f.path.as_ref().and_then(|p| {
                    let text = self.sources.get(p)?;
                    Some(SourceFile::new(p.clone(), text.clone()))
                });
                let line = file.as_ref().zip(f.line).and_then(|(s, l)| s.line_text(l));
                baseline::Entry::new(
                    &f.rule,
                    f.path.as_deref(),
                    f.object.as_deref(),
                    &f.message,
                    line,
                )
            })
            .collect();
        Baseline::new(entries)
    }
}

/// Percent-encodes a relative path into a URI reference (SARIF `uri`, Markdown link targets):
/// everything but unreserved characters and `/` is encoded, so spaces, `|`, `%`, `:` and
/// non-ASCII names stay unambiguous.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Severity → the three levels most CI tools know (SARIF, GitHub annotations, Checkstyle).
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::joined;

    #[test]
    fn inherited_paths_join_onto_the_monorepo() {
        assert_eq!(
            joined("mono/services/cart", "k8s/app.yaml"),
            "mono/services/cart/k8s/app.yaml"
        );
        assert_eq!(
            joined("mono/services/cart", "../../CODEOWNERS"),
            "mono/CODEOWNERS"
        );
        assert_eq!(joined("services/cart", "../../CODEOWNERS"), "CODEOWNERS");
        assert_eq!(joined("cart", "../../CODEOWNERS"), "../CODEOWNERS");
    }
}
