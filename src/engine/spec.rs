//! The serde shape of a rule file, exactly as authors write it. Meaning is checked later, in
//! `compile.rs`; here every value that can be wrong keeps its location for pointed errors.

use serde::Deserialize;
use serde_saphyr::Spanned;

/// One rule file (`rules/<category>/<id>.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Kebab-case id naming the requirement; equals the file stem.
    pub id: Spanned<String>,
    /// One line saying what a passing repo has.
    pub title: Spanned<String>,
    /// health, metrics, logging, alerts, backups, docs, security, availability or container.
    pub category: Spanned<String>,
    /// critical, high, medium, low or info.
    pub severity: Spanned<String>,
    /// The artifact kind the rule reads: kubernetes, compose, prometheus, grafana, dockerfile,
    /// readme, docs, source, dependencies, repo.
    pub target: Spanned<String>,
    /// Globs (relative to the scanned root) limiting which files are read.
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    /// Which documents of the target the rule applies to.
    #[serde(default)]
    pub select: Option<ConditionSpec>,
    /// Path of the items checked one by one (one finding per failing item).
    #[serde(default)]
    pub for_each: Option<Spanned<String>>,
    /// `each` (default): every item must pass. `repo`: the repo passes if any item passes.
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    /// What happens when nothing is there to check: `skip` (default, not applicable) or `fail`.
    #[serde(default)]
    pub when_absent: Option<Spanned<String>>,
    /// Repo-level precondition, evaluated on the repo document (e.g. `exists: facts.stateful`).
    #[serde(default)]
    pub when: Option<ConditionSpec>,
    /// The requirement each item must meet.
    pub check: ConditionSpec,
    /// Path (relative to the item) whose location a finding points at.
    #[serde(default)]
    pub anchor: Option<Spanned<String>>,
    /// Finding message; `{path}` placeholders are filled from the item, `{object}` names it.
    pub message: Spanned<String>,
    /// Short advice shown under the finding; defaults to the first sentence of `remediation`.
    #[serde(default)]
    pub help: Option<Spanned<String>>,
    pub summary: Spanned<String>,
    pub rationale: Spanned<String>,
    pub remediation: Spanned<String>,
    pub examples: Examples,
    #[serde(default)]
    pub references: Vec<String>,
    /// Overrides the severity's scoring weight.
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    pub fail: Spanned<String>,
    pub pass: Spanned<String>,
}

/// A condition: exactly one operator per mapping, composed with `all` / `any` / `not`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ConditionSpec {
    All(Vec<ConditionSpec>),
    Any(Vec<ConditionSpec>),
    Not(Box<ConditionSpec>),
    /// The path has at least one non-null value.
    Exists(Spanned<String>),
    /// The path has no non-null value.
    Absent(Spanned<String>),
    Equals(Compare),
    OneOf(CompareMany),
    /// A value's text matches a regex.
    Matches(Pattern),
    /// A number (or a list's length) is ≥ value.
    AtLeast(Compare),
    /// A number (or a list's length) is ≤ value.
    AtMost(Compare),
    /// Text (default path `text`) contains a regex match; findings point at the match.
    TextMatches(TextPattern),
    /// A value at `path` is among the values at `among`.
    In(Membership),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    pub path: Spanned<String>,
    pub value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareMany {
    pub path: Spanned<String>,
    pub values: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub path: Spanned<String>,
    pub regex: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextPattern {
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    pub regex: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub path: Spanned<String>,
    pub among: Spanned<String>,
}
