//! The serde shape of a rule file, exactly as authors write it. Meaning is checked later, in
//! `compile.rs`; here every value that can be wrong keeps its location for pointed errors.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// One rule file (`rules/<category>/<id>.yaml`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Kebab-case id naming the requirement; equals the file stem.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// One line saying what a passing repo has.
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    /// health, metrics, logging, alerts, backups, docs, security, availability or container.
    #[schemars(with = "String")]
    pub category: Spanned<String>,
    /// critical, high, medium, low or info.
    #[schemars(with = "String")]
    pub severity: Spanned<String>,
    /// The artifact kind the rule reads: kubernetes, compose, prometheus, grafana, dockerfile,
    /// readme, docs, source, dependencies, repo.
    #[schemars(with = "String")]
    pub target: Spanned<String>,
    /// Globs (relative to the scanned root) limiting which files are read.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub files: Vec<Spanned<String>>,
    /// Which documents of the target the rule applies to.
    #[serde(default)]
    pub select: Option<ConditionSpec>,
    /// Path of the items checked one by one (one finding per failing item).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub for_each: Option<Spanned<String>>,
    /// `each` (default): every item must pass. `repo`: the repo passes if any item passes.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub scope: Option<Spanned<String>>,
    /// What happens when nothing is there to check: `skip` (default, not applicable) or `fail`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub when_absent: Option<Spanned<String>>,
    /// Repo-level precondition, evaluated on the repo document (e.g. `exists: facts.stateful`).
    #[serde(default)]
    pub when: Option<ConditionSpec>,
    /// The requirement each item must meet.
    pub check: ConditionSpec,
    /// Path (relative to the item) whose location a finding points at.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub anchor: Option<Spanned<String>>,
    /// `true`: what a finding points at is a secret, masked (`*`) wherever a report shows the
    /// file's text.
    #[serde(default)]
    pub redact: bool,
    /// Finding message; `{path}` placeholders are filled from the item, `{object}` names it.
    #[schemars(with = "String")]
    pub message: Spanned<String>,
    /// Short advice shown under the finding; defaults to the first sentence of `remediation`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub help: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub summary: Spanned<String>,
    #[schemars(with = "String")]
    pub rationale: Spanned<String>,
    #[schemars(with = "String")]
    pub remediation: Spanned<String>,
    pub examples: Examples,
    #[serde(default)]
    pub references: Vec<String>,
    /// Overrides the severity's scoring weight.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub weight: Option<Spanned<f64>>,
    /// The mechanical fix `golive fix` writes for a finding of this rule.
    #[serde(default)]
    pub fix: Option<FixSpec>,
}

/// A fix: exactly one of `set`, `replace`, `exec_form`, `create`, applied to the failing item
/// as byte-range edits of the file it was read from (comments, key order and formatting stay).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixSpec {
    /// Only items that also meet this condition (read like `check`) are fixed.
    #[serde(default)]
    pub when: Option<ConditionSpec>,
    /// Why an item `when` leaves out is not fixed, as `golive fix` says it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub otherwise: Option<Spanned<String>>,
    /// What the fix does, in a few words for the rule's docs (default: generated from the
    /// operation).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub does: Option<Spanned<String>>,
    /// YAML fields the item must hold: missing keys are inserted (indented as the file is), a
    /// scalar with another value is replaced, and a list gains the listed items it lacks.
    #[serde(default)]
    pub set: Option<Vec<FixField>>,
    /// Every match of a regex in the item's source text replaced (`$1` names a group).
    #[serde(default)]
    pub replace: Option<FixReplace>,
    /// `true`: a shell-form `CMD`/`ENTRYPOINT` rewritten as a JSON array, only when it has no
    /// quotes, variables, operators or globs, so splitting at blanks is what the shell would do.
    #[serde(default)]
    pub exec_form: Option<bool>,
    /// A new file from a template whose `{path}` placeholders are filled from the item
    /// (`{path?}`: the line is left out when the path has no value; `{dir}`: the folder of the
    /// item's file). Not written when the file exists.
    #[serde(default)]
    pub create: Option<FixCreate>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixField {
    /// Dotted keys below the item, e.g. `securityContext.allowPrivilegeEscalation`.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// A scalar, or a list of scalars the field's list must contain.
    pub value: serde_json::Value,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixReplace {
    #[schemars(with = "String")]
    pub regex: Spanned<String>,
    #[schemars(with = "String")]
    pub with: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixCreate {
    /// The new file's path, relative to the scanned root.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    #[schemars(with = "String")]
    pub text: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[schemars(with = "String")]
    pub fail: Spanned<String>,
    #[schemars(with = "String")]
    pub pass: Spanned<String>,
}

/// A condition: exactly one operator per mapping, composed with `all` / `any` / `not`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ConditionSpec {
    All(Vec<ConditionSpec>),
    Any(Vec<ConditionSpec>),
    Not(Box<ConditionSpec>),
    /// The path has at least one non-null value.
    #[schemars(with = "String")]
    Exists(Spanned<String>),
    /// The path has no non-null value.
    #[schemars(with = "String")]
    Absent(Spanned<String>),
    Equals(Compare),
    OneOf(CompareMany),
    /// A value's text matches a regex.
    Matches(Pattern),
    /// A number (or a list's length) is ≥ `value`, or ≥ a number at `value_at`.
    AtLeast(Bound),
    /// A number (or a list's length) is ≤ `value`, or ≤ a number at `value_at`.
    AtMost(Bound),
    /// Text (default path `text`) contains a regex match; findings point at the match.
    TextMatches(TextPattern),
    /// A value at `path` is among the values at `among`.
    In(Membership),
    /// A value at `path` is not among the values at `among` (`not: {not_in: …}`: every value is
    /// among them); the finding points at that value.
    NotIn(Membership),
    /// A value's text is at least this random: its Shannon entropy, in bits per character, is
    /// ≥ `at_least` (a generated key ≈ 4–6, an English word ≈ 2.5–3).
    Entropy(Randomness),
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    pub value: serde_json::Value,
}

/// What `at_least` / `at_most` compare with: a constant or the numbers at another path, which may
/// be on a linked object (`linked.workloads[*].min_replicas`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// A constant number. Give either `value` or `value_at`.
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// A path (same origins as `path`: the item, `$.` the document, `$repo.`); the condition
    /// holds when a value at `path` compares so with any number there.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub value_at: Option<Spanned<String>>,
    /// With `value_at`: a percentage at `path` (`50%`) is that share of the number it is compared
    /// with, rounded `up` or `down` as the Kubernetes field does (PodDisruptionBudget fields and
    /// `maxSurge` round up, a rolling update's `maxUnavailable` down). Without it a percentage is
    /// not a number and satisfies nothing.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub percent: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareMany {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    pub values: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    #[schemars(with = "String")]
    pub regex: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextPattern {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub regex: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Randomness {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Bits per character.
    #[schemars(with = "f64")]
    pub at_least: Spanned<f64>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    #[schemars(with = "String")]
    pub among: Spanned<String>,
}

/// The JSON Schema of a rule file, generated from these types (`golive schema`): point an editor's
/// YAML language server at it for completion and validation while writing rules.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RuleSpec);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
