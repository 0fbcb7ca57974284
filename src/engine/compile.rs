//! Rule files → validated `Rule`s. Every problem in a file is collected and reported at once,
//! each pointing at its line, so an author fixes a rule file in one pass.

use std::fmt;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_saphyr::Spanned;

use super::fix::{Action, Field, FieldValue, Fix, FixRegex, Scalar};
use super::path::Path;
use super::pattern::Pattern;
use super::spec::{Bound, ConditionSpec, FixSpec, RuleSpec};
use crate::model::DocKind;
use crate::problems::FileProblems;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Scoring weight (DESIGN §5): info is advice and never scored.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Critical => 10.0,
            Severity::High => 7.5,
            Severity::Medium => 5.0,
            Severity::Low => 2.5,
            Severity::Info => 0.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Health,
    Metrics,
    Logging,
    Alerts,
    Backups,
    Docs,
    Security,
    Availability,
    Container,
}

impl Category {
    /// The report order (DESIGN §3).
    pub const ALL: [Category; 9] = [
        Category::Health,
        Category::Metrics,
        Category::Logging,
        Category::Alerts,
        Category::Backups,
        Category::Docs,
        Category::Security,
        Category::Availability,
        Category::Container,
    ];

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Health => "health",
            Category::Metrics => "metrics",
            Category::Logging => "logging",
            Category::Alerts => "alerts",
            Category::Backups => "backups",
            Category::Docs => "docs",
            Category::Security => "security",
            Category::Availability => "availability",
            Category::Container => "container",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The document kinds a rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Kind(DocKind),
    /// README and every other Markdown file.
    Docs,
}

impl Target {
    const NAMES: [&'static str; 13] = [
        "kubernetes",
        "compose",
        "prometheus",
        "grafana",
        "dockerfile",
        "readme",
        "docs",
        "source",
        "dependencies",
        "config",
        "repo",
        "yaml",
        "json",
    ];

    fn parse(text: &str) -> Option<Target> {
        Some(match text {
            "kubernetes" => Target::Kind(DocKind::Kubernetes),
            "compose" => Target::Kind(DocKind::Compose),
            "prometheus" => Target::Kind(DocKind::Prometheus),
            "grafana" => Target::Kind(DocKind::Grafana),
            "dockerfile" => Target::Kind(DocKind::Dockerfile),
            "readme" => Target::Kind(DocKind::Readme),
            "docs" => Target::Docs,
            "source" => Target::Kind(DocKind::Source),
            "dependencies" => Target::Kind(DocKind::Dependencies),
            "config" => Target::Kind(DocKind::Config),
            "repo" => Target::Kind(DocKind::Repo),
            "yaml" => Target::Kind(DocKind::Yaml),
            "json" => Target::Kind(DocKind::Json),
            _ => return None,
        })
    }

    pub fn reads(self, kind: DocKind) -> bool {
        match self {
            Target::Kind(k) => k == kind,
            Target::Docs => matches!(kind, DocKind::Readme | DocKind::Markdown),
        }
    }

    /// Whether the rule reads a kind `of` picks.
    pub fn reads_any(self, of: impl Fn(DocKind) -> bool) -> bool {
        match self {
            Target::Kind(k) => of(k),
            Target::Docs => of(DocKind::Readme) || of(DocKind::Markdown),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Each,
    Repo,
}

/// A literal a condition compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

/// What `at_least` / `at_most` compare with.
#[derive(Clone, Debug)]
pub enum Limit {
    Fixed(f64),
    /// The numbers at a path; `percent` turns a percentage on the compared side into a count.
    At {
        path: Path,
        percent: Option<Rounding>,
    },
}

impl Limit {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Limit::Fixed(_) => None,
            Limit::At { path, .. } => Some(path),
        }
    }
}

/// How a percentage of a count becomes a count, as the Kubernetes field it stands for rounds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Up,
    Down,
}

#[derive(Clone, Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Exists(Path),
    Absent(Path),
    Equals(Path, Literal),
    OneOf(Path, Vec<Literal>),
    Matches(Path, Pattern),
    AtLeast(Path, Limit),
    AtMost(Path, Limit),
    TextMatches(Path, Pattern),
    In(Path, Path),
    NotIn(Path, Path),
    /// The text at the path has at least this Shannon entropy, in bits per character.
    Entropy(Path, f64),
    /// A part already decided for this scan (see `condition::specialise`); never written by
    /// rule authors.
    Known(bool, Option<crate::source::Loc>),
}

impl Condition {
    fn collect_patterns<'a>(&'a self, out: &mut Vec<&'a Pattern>) {
        match self {
            Condition::All(items) | Condition::Any(items) => {
                items.iter().for_each(|c| c.collect_patterns(out));
            }
            Condition::Not(inner) => inner.collect_patterns(out),
            Condition::Matches(_, pattern) | Condition::TextMatches(_, pattern) => {
                out.push(pattern);
            }
            Condition::Exists(_)
            | Condition::Absent(_)
            | Condition::Equals(..)
            | Condition::OneOf(..)
            | Condition::AtLeast(..)
            | Condition::AtMost(..)
            | Condition::In(..)
            | Condition::NotIn(..)
            | Condition::Entropy(..)
            | Condition::Known(..) => {}
        }
    }

    /// Whether every path in the condition starts at `$repo`, so its value is the same for
    /// every item of a rule.
    pub fn reads_only_repo(&self) -> bool {
        use super::path::Origin;
        let repo = |p: &Path| p.origin == Origin::Repo;
        match self {
            Condition::All(items) | Condition::Any(items) => {
                items.iter().all(Condition::reads_only_repo)
            }
            Condition::Not(inner) => inner.reads_only_repo(),
            Condition::Exists(p) | Condition::Absent(p) => repo(p),
            Condition::Equals(p, _)
            | Condition::OneOf(p, _)
            | Condition::Matches(p, _)
            | Condition::TextMatches(p, _)
            | Condition::Entropy(p, _) => repo(p),
            Condition::AtLeast(p, limit) | Condition::AtMost(p, limit) => {
                repo(p) && limit.path().is_none_or(repo)
            }
            Condition::In(p, among) | Condition::NotIn(p, among) => repo(p) && repo(among),
            Condition::Known(..) => true,
        }
    }
}

/// A message with `{path}` placeholders.
#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(String),
    Object,
    File,
    /// The check's `exists` paths that do not hold for the item.
    Unmet,
    /// The folder of the item's file (`{dir}`; empty at the root).
    Dir,
    Value(Path),
    /// `{path?}`: a value that may be missing (a fix template leaves its line out).
    Optional(Path),
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleDocs {
    pub summary: Arc<str>,
    pub rationale: Arc<str>,
    pub remediation: Arc<str>,
    pub example_fail: String,
    pub example_pass: String,
    pub references: Vec<String>,
}

/// A compiled rule, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: Arc<str>,
    pub category: Category,
    pub severity: Severity,
    pub target: Target,
    pub target_name: String,
    pub files: Option<GlobSet>,
    pub select: Option<Condition>,
    pub for_each: Option<Path>,
    pub scope: Scope,
    pub fail_when_absent: bool,
    pub when: Option<Condition>,
    pub check: Condition,
    pub anchor: Option<Path>,
    /// Findings point at a secret: snippets mask it.
    pub redact: bool,
    pub message: Template,
    pub help: Arc<str>,
    pub docs: RuleDocs,
    pub weight: Option<f64>,
    /// What `golive fix` writes for a finding of this rule.
    pub fix: Option<Fix>,
    /// Where the rule came from: `builtin:rules/health/x.yaml` or a user file path.
    pub origin: String,
}

impl Rule {
    pub fn weight(&self) -> f64 {
        self.weight.unwrap_or_else(|| self.severity.weight())
    }

    /// Every regex the rule's conditions may search with.
    pub fn patterns(&self) -> Vec<&Pattern> {
        let mut out = Vec::new();
        for condition in self.when.iter().chain(&self.select).chain([&self.check]) {
            condition.collect_patterns(&mut out);
        }
        out
    }
}

/// Boxed: a rule file error carries the file's text for the snippet.
pub type RuleFileError = Box<FileProblems>;

struct Problems<'a> {
    text: &'a str,
    list: Vec<(String, Option<usize>)>,
    /// Build regexes now (user rules) or only check their syntax (built-ins).
    eager: bool,
}

impl Problems<'_> {
    fn at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        let offset = spanned
            .referenced
            .span()
            .byte_offset()
            .and_then(|o| usize::try_from(o).ok())
            .filter(|o| *o <= self.text.len());
        let message = message.into();
        let line = spanned.referenced.line();
        let message = if offset.is_none() && line > 0 {
            format!("line {line}: {message}")
        } else {
            message
        };
        self.list.push((message, offset));
    }
}

/// Reads and validates one rule file, building every regex now so that every problem is
/// reported. `expected_id` is the file stem the id must equal.
pub fn compile(path: &str, text: &str, expected_id: Option<&str>) -> Result<Rule, RuleFileError> {
    compile_with(path, text, expected_id, true)
}

/// Like `compile`, but regexes are only syntax-checked and built on first use: for the built-in
/// rules, which the test suite compiles eagerly.
pub fn compile_builtin(
    path: &str,
    text: &str,
    expected_id: Option<&str>,
) -> Result<Rule, RuleFileError> {
    compile_with(path, text, expected_id, false)
}

/// A built-in rule from the JSON of its spec that `build.rs` prepared (no YAML parsing at
/// start-up). Without usable JSON the YAML is compiled instead, so a problem is reported with
/// its line, as for any rule file.
pub fn compile_prepared(
    path: &str,
    text: &str,
    json: Option<&str>,
    expected_id: Option<&str>,
) -> Result<Rule, RuleFileError> {
    json.and_then(|json| serde_json::from_str::<RuleSpec>(json).ok())
        .and_then(|spec| from_spec(&spec, path, text, expected_id, false).ok())
        .map_or_else(|| compile_with(path, text, expected_id, false), Ok)
}

fn compile_with(
    path: &str,
    text: &str,
    expected_id: Option<&str>,
    eager: bool,
) -> Result<Rule, RuleFileError> {
    let spec: RuleSpec = serde_saphyr::from_str(text).map_err(|error| {
        let offset = error
            .location()
            .and_then(|l| l.span().byte_offset())
            .and_then(|o| usize::try_from(o).ok());
        let message = error.to_string();
        let first = message
            .lines()
            .next()
            .unwrap_or("invalid rule file")
            .to_owned();
        file_error(path, text, vec![(first, offset)])
    })?;
    from_spec(&spec, path, text, expected_id, eager)
}

/// A read rule file → its rule, or every problem found in it (pointing into `text`).
fn from_spec(
    spec: &RuleSpec,
    path: &str,
    text: &str,
    expected_id: Option<&str>,
    eager: bool,
) -> Result<Rule, RuleFileError> {
    let mut problems = Problems {
        text,
        list: Vec::new(),
        eager,
    };
    let rule = build(spec, path, expected_id, &mut problems);
    match rule {
        Some(rule) if problems.list.is_empty() => Ok(rule),
        _ => Err(file_error(path, text, problems.list)),
    }
}

fn file_error(path: &str, text: &str, problems: Vec<(String, Option<usize>)>) -> RuleFileError {
    Box::new(
        FileProblems::new("rule file", path, text, problems)
            .with_help("the rule format is described in rules/README.md"),
    )
}

fn build(
    spec: &RuleSpec,
    path: &str,
    expected_id: Option<&str>,
    p: &mut Problems<'_>,
) -> Option<Rule> {
    let id = spec.id.value.clone();
    if !is_kebab(&id) {
        p.at(
            &spec.id,
            format!("id `{id}` must be kebab-case (a-z, 0-9, single dashes)"),
        );
    }
    if let Some(expected) = expected_id.filter(|e| *e != id) {
        p.at(
            &spec.id,
            format!("id `{id}` must equal the file name `{expected}`"),
        );
    }
    let category = Category::parse(&spec.category.value);
    if category.is_none() {
        let all: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        p.at(
            &spec.category,
            format!(
                "unknown category `{}`; one of: {}",
                spec.category.value,
                all.join(", ")
            ),
        );
    }
    let severity = Severity::parse(&spec.severity.value);
    if severity.is_none() {
        p.at(
            &spec.severity,
            format!(
                "unknown severity `{}`; one of: critical, high, medium, low, info",
                spec.severity.value
            ),
        );
    }
    let target = Target::parse(&spec.target.value);
    if target.is_none() {
        p.at(
            &spec.target,
            format!(
                "unknown target `{}`; one of: {}",
                spec.target.value,
                Target::NAMES.join(", ")
            ),
        );
    }
    let scope = match spec.scope.as_ref().map(|s| s.value.as_str()) {
        None | Some("each") => Scope::Each,
        Some("repo") => Scope::Repo,
        Some(other) => {
            if let Some(s) = &spec.scope {
                p.at(s, format!("unknown scope `{other}`; `each` or `repo`"));
            }
            Scope::Each
        }
    };
    let fail_when_absent = match spec.when_absent.as_ref().map(|s| s.value.as_str()) {
        None | Some("skip") => false,
        Some("fail") => true,
        Some(other) => {
            if let Some(s) = &spec.when_absent {
                p.at(
                    s,
                    format!("unknown when_absent `{other}`; `skip` or `fail`"),
                );
            }
            false
        }
    };
    for (field, value) in [
        ("title", &spec.title),
        ("summary", &spec.summary),
        ("rationale", &spec.rationale),
        ("remediation", &spec.remediation),
        ("examples.fail", &spec.examples.fail),
        ("examples.pass", &spec.examples.pass),
    ] {
        if value.value.trim().is_empty() {
            p.at(value, format!("`{field}` must not be empty"));
        }
    }
    let files = globs(&spec.files, p);
    let select = spec.select.as_ref().map(|c| condition(c, p));
    let when = spec.when.as_ref().map(|c| condition(c, p));
    let check = condition(&spec.check, p);
    let for_each = spec.for_each.as_ref().and_then(|f| path_of(f, p));
    let anchor = spec.anchor.as_ref().and_then(|a| path_of(a, p));
    let message = template(&spec.message, "message", p);
    let fix = spec.fix.as_ref().and_then(|f| fix(f, p));
    let weight = spec.weight.as_ref().map(|w| {
        if !(w.value.is_finite() && w.value >= 0.0) {
            p.at(w, "weight must be a number ≥ 0");
        }
        w.value
    });
    let help = spec.help.as_ref().map_or_else(
        || first_sentence(&spec.remediation.value),
        |h| h.value.trim().to_owned(),
    );
    Some(Rule {
        id,
        title: spec.title.value.trim().into(),
        category: category?,
        severity: severity?,
        target: target?,
        target_name: spec.target.value.clone(),
        files,
        select,
        for_each,
        scope,
        fail_when_absent,
        when,
        check,
        anchor,
        redact: spec.redact,
        message,
        help: help.into(),
        docs: RuleDocs {
            summary: spec.summary.value.trim().into(),
            rationale: spec.rationale.value.trim().into(),
            remediation: spec.remediation.value.trim().into(),
            example_fail: spec.examples.fail.value.clone(),
            example_pass: spec.examples.pass.value.clone(),
            references: spec.references.clone(),
        },
        weight,
        fix,
        origin: path.to_owned(),
    })
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .chain(text.find("\n\n"))
        .min()
        .unwrap_or(text.len());
    text[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

fn globs(files: &[Spanned<String>], p: &mut Problems<'_>) -> Option<GlobSet> {
    if files.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for file in files {
        match Glob::new(&file.value) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(error) => p.at(file, format!("invalid glob: {error}")),
        }
    }
    builder.build().ok()
}

fn path_of(text: &Spanned<String>, p: &mut Problems<'_>) -> Option<Path> {
    match Path::parse(&text.value) {
        Ok(path) => Some(path),
        Err(error) => {
            p.at(text, format!("invalid path `{}`: {error}", text.value));
            None
        }
    }
}

fn regex_of(text: &Spanned<String>, p: &mut Problems<'_>) -> Option<Pattern> {
    let pattern = if p.eager {
        Pattern::eager(&text.value)
    } else {
        Ok(Pattern::deferred(&text.value))
    };
    pattern
        .map_err(|error| p.at(text, format!("invalid regex: {error}")))
        .ok()
}

fn literal(value: &serde_json::Value) -> Literal {
    match value {
        serde_json::Value::Null => Literal::Null,
        serde_json::Value::Bool(b) => Literal::Bool(*b),
        serde_json::Value::Number(n) => Literal::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Literal::Text(s.clone()),
        other => Literal::Text(other.to_string()),
    }
}

/// Compiles a condition; an invalid part compiles to a placeholder so that every problem of the
/// file is still found (the rule is rejected as a whole anyway).
fn condition(spec: &ConditionSpec, p: &mut Problems<'_>) -> Condition {
    let never = || Condition::Any(Vec::new());
    match spec {
        ConditionSpec::All(items) => {
            Condition::All(items.iter().map(|c| condition(c, p)).collect())
        }
        ConditionSpec::Any(items) => {
            Condition::Any(items.iter().map(|c| condition(c, p)).collect())
        }
        ConditionSpec::Not(inner) => Condition::Not(Box::new(condition(inner, p))),
        ConditionSpec::Exists(path) => path_of(path, p).map_or_else(never, Condition::Exists),
        ConditionSpec::Absent(path) => path_of(path, p).map_or_else(never, Condition::Absent),
        ConditionSpec::Equals(c) => path_of(&c.path, p)
            .map_or_else(never, |path| Condition::Equals(path, literal(&c.value))),
        ConditionSpec::OneOf(c) => path_of(&c.path, p).map_or_else(never, |path| {
            Condition::OneOf(path, c.values.iter().map(literal).collect())
        }),
        ConditionSpec::Matches(m) => match (path_of(&m.path, p), regex_of(&m.regex, p)) {
            (Some(path), Some(regex)) => Condition::Matches(path, regex),
            _ => never(),
        },
        ConditionSpec::TextMatches(m) => {
            let path = match &m.path {
                Some(path) => path_of(path, p),
                None => Path::parse("text").ok(),
            };
            match (path, regex_of(&m.regex, p)) {
                (Some(path), Some(regex)) => Condition::TextMatches(path, regex),
                _ => never(),
            }
        }
        ConditionSpec::AtLeast(bound) | ConditionSpec::AtMost(bound) => {
            match (path_of(&bound.path, p), limit(bound, p), spec) {
                (Some(path), Some(limit), ConditionSpec::AtLeast(_)) => {
                    Condition::AtLeast(path, limit)
                }
                (Some(path), Some(limit), _) => Condition::AtMost(path, limit),
                _ => never(),
            }
        }
        ConditionSpec::In(m) | ConditionSpec::NotIn(m) => {
            match (path_of(&m.path, p), path_of(&m.among, p), spec) {
                (Some(path), Some(among), ConditionSpec::In(_)) => Condition::In(path, among),
                (Some(path), Some(among), _) => Condition::NotIn(path, among),
                _ => never(),
            }
        }
        ConditionSpec::Entropy(e) => {
            if !(0.0..=8.0).contains(&e.at_least.value) {
                p.at(
                    &e.at_least,
                    "`at_least` is in bits per character: between 0 and 8",
                );
            }
            path_of(&e.path, p)
                .map_or_else(never, |path| Condition::Entropy(path, e.at_least.value))
        }
    }
}

fn limit(bound: &Bound, p: &mut Problems<'_>) -> Option<Limit> {
    let percent = bound.percent.as_ref().and_then(|r| match r.value.as_str() {
        "up" => Some(Rounding::Up),
        "down" => Some(Rounding::Down),
        other => {
            p.at(
                r,
                format!("unknown percent rounding `{other}`; `up` or `down`"),
            );
            None
        }
    });
    match (&bound.value, &bound.value_at) {
        (Some(value), None) => {
            if let Some(r) = &bound.percent {
                p.at(
                    r,
                    "`percent` needs `value_at`: a percentage is a share of a count",
                );
            }
            let fixed = value.as_f64().map(Limit::Fixed);
            if fixed.is_none() {
                p.at(&bound.path, "`value` must be a number");
            }
            fixed
        }
        (None, Some(at)) => Some(Limit::At {
            path: path_of(at, p)?,
            percent,
        }),
        _ => {
            p.at(&bound.path, "give exactly one of `value` and `value_at`");
            None
        }
    }
}

/// A message or fix template; `what` names it in errors.
fn template(message: &Spanned<String>, what: &str, p: &mut Problems<'_>) -> Template {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = message.value.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        text.push_str(&rest[..open]);
        let brace = rest.as_bytes()[open];
        rest = &rest[open + 1..];
        if rest.as_bytes().first() == Some(&brace) {
            text.push(brace as char);
            rest = &rest[1..];
            continue;
        }
        if brace == b'}' {
            p.at(
                message,
                format!("unmatched `}}` in {what} (write `}}}}` for a literal brace)"),
            );
            continue;
        }
        let Some(close) = rest.find('}') else {
            p.at(
                message,
                format!("unclosed `{{` in {what} (write `{{{{` for a literal brace)"),
            );
            break;
        };
        let name = rest[..close].trim();
        rest = &rest[close + 1..];
        if !text.is_empty() {
            parts.push(TemplatePart::Text(std::mem::take(&mut text)));
        }
        parts.push(match name {
            "object" => TemplatePart::Object,
            "file" => TemplatePart::File,
            "unmet" => TemplatePart::Unmet,
            "dir" => TemplatePart::Dir,
            _ => match Path::parse(name.trim_end_matches('?')) {
                Ok(path) if name.ends_with('?') => TemplatePart::Optional(path),
                Ok(path) => TemplatePart::Value(path),
                Err(error) => {
                    p.at(
                        message,
                        format!("placeholder `{{{name}}}` is not a path: {error}"),
                    );
                    continue;
                }
            },
        });
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Template { parts }
}

fn fix(spec: &FixSpec, p: &mut Problems<'_>) -> Option<Fix> {
    let mut actions = Vec::new();
    if let Some(fields) = &spec.set {
        if fields.is_empty() {
            p.list
                .push(("`fix.set` needs at least one field".to_owned(), None));
        }
        let fields: Vec<Option<Field>> = fields.iter().map(|f| fix_field(f, p)).collect();
        actions.push(
            fields
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Action::Set),
        );
    }
    if let Some(replace) = &spec.replace {
        if p.eager
            && let Err(error) = regex::Regex::new(&replace.regex.value)
        {
            p.at(&replace.regex, format!("invalid regex: {error}"));
        }
        actions.push(Some(Action::Replace {
            regex: FixRegex::new(&replace.regex.value),
            with: replace.with.value.clone(),
        }));
    }
    if let Some(exec_form) = spec.exec_form {
        actions.push(exec_form.then_some(Action::ExecForm));
    }
    if let Some(create) = &spec.create {
        actions.push(Some(Action::Create {
            path: template(&create.path, "fix path", p),
            text: template(&create.text, "fix text", p),
        }));
    }
    if actions.len() != 1 {
        let problem = "`fix` needs exactly one of `set`, `replace`, `exec_form: true`, `create`";
        p.list.push((problem.to_owned(), None));
    }
    let when = spec.when.as_ref().map(|c| condition(c, p));
    let otherwise = spec.otherwise.as_ref().map_or_else(
        || "its fix does not apply here".to_owned(),
        |o| o.value.trim().to_owned(),
    );
    let action = actions.pop().flatten()?;
    let does = spec
        .does
        .as_ref()
        .map_or_else(|| action.describe(), |d| d.value.trim().to_owned());
    Some(Fix {
        when,
        otherwise,
        does,
        action,
    })
}

fn fix_field(field: &super::spec::FixField, p: &mut Problems<'_>) -> Option<Field> {
    let keys: Vec<String> = field.path.value.split('.').map(str::to_owned).collect();
    if keys
        .iter()
        .any(|k| k.is_empty() || k.contains(['[', ']', '"', '*']))
    {
        p.at(
            &field.path,
            format!(
                "`{}` must be dotted plain keys (no lists, no quotes)",
                field.path.value
            ),
        );
        return None;
    }
    let scalar = |value: &serde_json::Value| match value {
        serde_json::Value::Bool(b) => Some(Scalar::Bool(*b)),
        serde_json::Value::Number(n) => n.as_i64().map(Scalar::Int),
        serde_json::Value::String(s) => Some(Scalar::Str(s.clone())),
        _ => None,
    };
    let value = match &field.value {
        serde_json::Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map(FieldValue::List),
        other => scalar(other).map(FieldValue::Scalar),
    };
    if value.is_none() {
        p.at(
            &field.path,
            "the value must be a boolean, an integer, a string or a list of those",
        );
    }
    Some(Field {
        keys,
        value: value?,
    })
}

#[cfg(test)]
mod tests {
    use super::compile;

    const RULE: &str = "id: r\ntitle: t\ncategory: security\nseverity: low\ntarget: kubernetes\n\
        for_each: pod.all_containers[*]\ncheck: {exists: name}\nmessage: m\nsummary: s\n\
        rationale: r\nremediation: r\nexamples: {fail: f, pass: p}\n";

    fn problems(fix: &str) -> Vec<String> {
        let text = format!("{RULE}fix:\n{fix}");
        match compile("r.yaml", &text, None) {
            Ok(_) => Vec::new(),
            Err(error) => error.problems.clone(),
        }
    }

    #[test]
    fn a_fix_block_is_one_valid_operation() {
        assert_eq!(problems("  exec_form: true\n"), Vec::<String>::new());
        assert_eq!(
            problems("  exec_form: true\n  replace: {regex: a, with: b}\n"),
            ["`fix` needs exactly one of `set`, `replace`, `exec_form: true`, `create`"]
        );
        assert_eq!(
            problems("  set:\n    - {path: \"a[0].b\", value: true}\n"),
            ["`a[0].b` must be dotted plain keys (no lists, no quotes)"]
        );
        assert_eq!(
            problems("  set:\n    - {path: a, value: {b: 1}}\n"),
            ["the value must be a boolean, an integer, a string or a list of those"]
        );
        assert!(problems("  replace: {regex: '(', with: b}\n")[0].starts_with("invalid regex"));
        assert!(problems("  create: {path: 'x-{a..b}.yaml', text: t}\n")[0].contains("not a path"));
    }
}
