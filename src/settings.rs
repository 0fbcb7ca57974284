//! CLI flags ⊕ `golive.toml` ⊕ defaults → the resolved `Settings` of one scan, and the rule set
//! (built-in rules plus user rule files, with disables and severity overrides applied).

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::accept::ConfigIgnore;
use crate::attest::Attestation;
use crate::baseline::Baseline;
use crate::config::{self, Config};
use crate::engine::compile::{self, Rule};
use crate::engine::{Category, Severity, builtin};
use crate::periphery::Scope;
use crate::problems::FileProblems;
use crate::score::{FailOn, GateSettings};

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// What the command line says about one scan, before golive.toml is read: plain data, so
/// the library takes no CLI type. Flags win over the settings file.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--exclude` globs, relative to the root.
    pub exclude: Vec<String>,
    /// `--rules`: extra rule files or folders.
    pub rules: Vec<PathBuf>,
    /// `--config`: the settings file (default: golive.toml at the scanned root).
    pub config: Option<PathBuf>,
    pub min_score: Option<f64>,
    /// `--fail-on` as typed; checked when resolved.
    pub fail_on: Option<String>,
    pub strict: bool,
    pub max_file_size: Option<u64>,
    /// `--helm`: render charts with the helm binary.
    pub helm: bool,
    /// `--baseline`: the file of accepted findings.
    pub baseline: Option<PathBuf>,
}

/// How Helm charts are rendered: the release `helm template` would be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRelease {
    pub name: String,
    pub namespace: String,
    /// Extra values files, relative to each chart's folder, merged over values.yaml in order.
    pub values: Vec<String>,
}

impl Default for ChartRelease {
    fn default() -> ChartRelease {
        ChartRelease {
            name: "release-name".to_owned(),
            namespace: "default".to_owned(),
            values: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub exclude: Option<GlobSet>,
    /// Which files are not the service (`periphery`, adjusted by `[scan]`).
    pub scope: Scope,
    pub max_file_size: u64,
    pub gate: GateSettings,
    pub rules: Vec<Rule>,
    pub disabled: Vec<String>,
    pub ignores: Vec<ConfigIgnore>,
    /// `[[attest]]` sign-offs of golive.toml.
    pub attestations: Vec<Attestation>,
    /// Today's date (`YYYY-MM-DD`) for `until`; passed in so the scan itself reads no clock.
    pub today: String,
    /// `--helm`: render each Helm chart with `helm template` instead of natively.
    pub helm: bool,
    /// The release charts are rendered as (`[helm]` of golive.toml).
    pub release: ChartRelease,
    /// Accepted findings (`--baseline`): only findings not in it are reported.
    pub baseline: Option<Baseline>,
    /// From how many bytes of source code rule regexes are searched in each source file as it
    /// is read, so texts nothing can report on are dropped (`engine::prematch`). Below it, a
    /// small repository's texts are kept and only the regexes its rules reach are built.
    pub prematch_from_bytes: u64,
    /// One service among many scanned at once (a fleet): each scan walks on one thread, since
    /// the services already keep every core busy, and always searches source texts as it reads
    /// them, since the regex set is built once for all of them.
    pub fleet: bool,
}

/// The default of `Settings::prematch_from_bytes`: from about here one pass of all source
/// regexes together costs less than searching each on its own (see `engine::pattern`), and
/// holding every text starts to cost memory. Below it the union's lazy DFA does not warm up:
/// every service of podinfo's size was 5 ms slower with it (`benches/README.md`).
pub const PREMATCH_FROM_BYTES: u64 = 512 << 10;

impl Settings {
    /// The settings of a scan with no flags and no golive.toml.
    pub fn defaults(rules: Vec<Rule>) -> Settings {
        Settings {
            exclude: None,
            scope: Scope::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            gate: GateSettings::default(),
            rules,
            disabled: Vec::new(),
            ignores: Vec::new(),
            attestations: Vec::new(),
            today: "1970-01-01".to_owned(),
            helm: false,
            release: ChartRelease::default(),
            baseline: None,
            prematch_from_bytes: PREMATCH_FROM_BYTES,
            fleet: false,
        }
    }
}

/// Reads a settings file; `None` when there is none at the default place.
pub fn load_config(
    explicit: Option<&Path>,
    root: &Path,
) -> Result<Option<(PathBuf, String, Config)>, miette::Report> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let default = root.join("golive.toml");
            if !default.is_file() {
                return Ok(None);
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| miette::miette!("cannot read settings file {}: {e}", path.display()))?;
    let shown = path.display().to_string();
    match config::parse(&text) {
        Ok(config) => Ok(Some((path, text, config))),
        Err(error) => {
            let offset = error.span().map(|s| s.start);
            let message = error.message().to_owned();
            Err(FileProblems::new("settings file", &shown, &text, vec![(message, offset)]).into())
        }
    }
}

/// Resolves everything a scan needs; every problem of the settings file is reported at once.
pub fn resolve(flags: &Flags, root: &Path, today: String) -> Result<Settings, miette::Report> {
    let loaded = load_config(flags.config.as_deref(), root)?;
    resolve_loaded(flags, loaded.as_ref(), today)
}

/// [`resolve`] with the settings file already read (`None`: there is none).
pub fn resolve_loaded(
    flags: &Flags,
    loaded: Option<&(PathBuf, String, Config)>,
    today: String,
) -> Result<Settings, miette::Report> {
    let mut problems: Vec<(String, Option<usize>)> = Vec::new();
    let empty = Config::default();
    let (config_dir, config) = match loaded {
        Some((path, _, config)) => (
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            config,
        ),
        None => (PathBuf::new(), &empty),
    };
    let mut at =
        |message: String, span: std::ops::Range<usize>| problems.push((message, Some(span.start)));

    let mut excludes: Vec<String> = flags.exclude.clone();
    for glob in &config.scan.exclude {
        if Glob::new(glob.get_ref()).is_err() {
            at(format!("invalid glob `{}`", glob.get_ref()), glob.span());
        }
        excludes.push(glob.get_ref().clone());
    }
    let exclude = globset(&excludes).map_err(|e| miette::miette!("invalid --exclude glob: {e}"))?;
    let mut scope_globs = |globs: &[toml::Spanned<String>]| {
        let mut valid = Vec::new();
        for glob in globs {
            match Glob::new(glob.get_ref()) {
                Ok(_) => valid.push(glob.get_ref().clone()),
                Err(_) => at(format!("invalid glob `{}`", glob.get_ref()), glob.span()),
            }
        }
        globset(&valid).ok().flatten()
    };
    let scope = Scope {
        periphery: scope_globs(&config.scan.periphery),
        service: scope_globs(&config.scan.service),
    };

    let mut rule_paths: Vec<PathBuf> = flags.rules.clone();
    rule_paths.extend(
        config
            .rules
            .extra
            .iter()
            .map(|p| config_dir.join(p.get_ref())),
    );
    let mut rules = load_rules(&rule_paths)?;

    let ids: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    let known = |id: &str| ids.iter().any(|known| known == id);
    let mut disabled = Vec::new();
    for id in &config.rules.disable {
        if !known(id.get_ref()) {
            at(format!("unknown rule `{}`", id.get_ref()), id.span());
        }
        disabled.push(id.get_ref().clone());
    }
    let mut overrides = Vec::new();
    for (id, severity) in &config.rules.severity {
        match Severity::parse(severity.get_ref()) {
            Some(s) if known(id) => overrides.push((id.clone(), s)),
            Some(_) => at(format!("unknown rule `{id}`"), severity.span()),
            None => at(
                format!(
                    "unknown severity `{}`; one of critical, high, medium, low, info",
                    severity.get_ref()
                ),
                severity.span(),
            ),
        }
    }
    for rule in &mut rules {
        if let Some((_, severity)) = overrides.iter().find(|(id, _)| *id == rule.id) {
            rule.severity = *severity;
        }
    }

    let mut gate = GateSettings {
        min_score: flags
            .min_score
            .or(config.gate.min_score.as_ref().map(|s| *s.get_ref())),
        fail_on: None,
        categories: Vec::new(),
        strict: flags.strict || config.gate.strict.unwrap_or(false),
    };
    if let Some(fail_on) = &flags.fail_on {
        gate.fail_on = Some(FailOn::parse(fail_on).ok_or_else(|| {
            miette::miette!(
                "--fail-on `{fail_on}`: expected critical, high, medium, low, info or never"
            )
        })?);
    } else if let Some(fail_on) = &config.gate.fail_on {
        match FailOn::parse(fail_on.get_ref()) {
            Some(f) => gate.fail_on = Some(f),
            None => at(
                format!(
                    "unknown fail_on `{}`; one of critical, high, medium, low, info, never",
                    fail_on.get_ref()
                ),
                fail_on.span(),
            ),
        }
    }
    if let Some(min) = gate.min_score.filter(|m| !(0.0..=100.0).contains(m)) {
        return Err(miette::miette!("minimum score {min} is outside 0–100"));
    }
    for (name, min) in &config.gate.categories {
        match Category::parse(name) {
            Some(category) => gate.categories.push((category, *min.get_ref())),
            None => at(format!("unknown category `{name}`"), min.span()),
        }
    }

    let mut ignores = Vec::new();
    for entry in &config.ignore {
        if !known(entry.rule.get_ref()) {
            at(
                format!("unknown rule `{}`", entry.rule.get_ref()),
                entry.rule.span(),
            );
        }
        if let Some(until) = &entry.until
            && !is_date(until.get_ref())
        {
            at(
                format!(
                    "`until` must be a date YYYY-MM-DD, not `{}`",
                    until.get_ref()
                ),
                until.span(),
            );
        }
        let paths: Vec<String> = entry.paths.iter().map(|p| p.get_ref().clone()).collect();
        ignores.push(ConfigIgnore {
            rule: entry.rule.get_ref().clone(),
            paths: globset(&paths).ok().flatten(),
            reason: entry.reason.clone(),
            until: entry.until.as_ref().map(|u| u.get_ref().clone()),
        });
    }

    let attestations = config
        .attest
        .iter()
        .filter_map(|entry| attestation(entry, &known, &mut at))
        .collect();

    for file in &config.helm.values {
        let path = file.get_ref();
        if path.starts_with(['/', '\\']) || path.split(['/', '\\']).any(|part| part == "..") {
            at(
                format!("values file `{path}` must be a path inside the chart folder"),
                file.span(),
            );
        }
    }

    if let (Some((path, text, _)), false) = (loaded, problems.is_empty()) {
        return Err(FileProblems::new(
            "settings file",
            &path.display().to_string(),
            text,
            problems,
        )
        .into());
    }
    let max_file_size = flags
        .max_file_size
        .or(config.scan.max_file_size.as_ref().map(|s| *s.get_ref()))
        .unwrap_or(DEFAULT_MAX_FILE_SIZE);
    Ok(Settings {
        exclude,
        scope,
        max_file_size,
        gate,
        rules,
        disabled,
        ignores,
        attestations,
        today,
        helm: flags.helm,
        release: ChartRelease {
            name: config
                .helm
                .release
                .as_ref()
                .map_or_else(|| ChartRelease::default().name, |r| r.get_ref().clone()),
            namespace: config.helm.namespace.as_ref().map_or_else(
                || ChartRelease::default().namespace,
                |n| n.get_ref().clone(),
            ),
            values: config
                .helm
                .values
                .iter()
                .map(|v| v.get_ref().clone())
                .collect(),
        },
        baseline: flags.baseline.as_deref().map(Baseline::load).transpose()?,
        prematch_from_bytes: PREMATCH_FROM_BYTES,
        fleet: false,
    })
}

/// An `[[attest]]` entry checked: every key present, the rule known, both dates real days and
/// the expiry not before the sign-off. `None` when anything is wrong (each problem told `at`).
fn attestation(
    entry: &toml::Spanned<config::Attest>,
    known: &impl Fn(&str) -> bool,
    at: &mut impl FnMut(String, std::ops::Range<usize>),
) -> Option<Attestation> {
    let fields = entry.get_ref();
    let mut required = |value: Option<_>, key: &str, what: &str| {
        let value = value.filter(|v: &&toml::Spanned<String>| !v.get_ref().trim().is_empty());
        if value.is_none() {
            at(format!("`[[attest]]` needs `{key}`: {what}"), entry.span());
        }
        value
    };
    let rule = required(
        fields.rule.as_ref(),
        "rule",
        "the id of the rule signed off",
    );
    let by = required(fields.by.as_ref(), "by", "who signed off");
    let date = required(
        fields.date.as_ref(),
        "date",
        "the day of the sign-off, YYYY-MM-DD",
    );
    let expires = required(
        fields.expires.as_ref(),
        "expires",
        "the last day it counts, YYYY-MM-DD",
    );
    let evidence = required(
        fields.evidence.as_ref(),
        "evidence",
        "where the proof is (a URL)",
    );
    let mut valid = true;
    if let Some(rule) = rule.filter(|r| !known(r.get_ref())) {
        at(format!("unknown rule `{}`", rule.get_ref()), rule.span());
        valid = false;
    }
    for (key, day) in [("date", date), ("expires", expires)] {
        if let Some(day) = day.filter(|d| !is_date(d.get_ref())) {
            at(
                format!("`{key}` must be a date YYYY-MM-DD, not `{}`", day.get_ref()),
                day.span(),
            );
            valid = false;
        }
    }
    let (rule, by, date, expires, evidence) = (rule?, by?, date?, expires?, evidence?);
    if valid && expires.get_ref() < date.get_ref() {
        at(
            format!(
                "`expires` {} is before the sign-off `date` {}",
                expires.get_ref(),
                date.get_ref()
            ),
            expires.span(),
        );
        valid = false;
    }
    valid.then(|| Attestation {
        rule: rule.get_ref().clone(),
        by: by.get_ref().clone(),
        date: date.get_ref().clone(),
        expires: expires.get_ref().clone(),
        evidence: evidence.get_ref().clone(),
    })
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = parts.len() == 3
        && [4, 2, 2]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()));
    if !digits {
        return false;
    }
    let number = |part: &str| part.parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(parts[0]), number(parts[1]), number(parts[2]));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    (1..=days).contains(&day)
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>, globset::Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob)?);
    }
    builder.build().map(Some)
}

/// Built-in rules plus every `*.yaml` rule file under the given paths. All broken rule files
/// are reported together; a user rule with a built-in's id replaces the built-in.
pub fn load_rules(paths: &[PathBuf]) -> Result<Vec<Rule>, miette::Report> {
    use rayon::prelude::*;
    // Built-ins are read in parallel (order kept); their regexes are built on first use.
    let compiled: Vec<_> = builtin::files()
        .par_iter()
        .zip(builtin::prepared())
        .filter(|((path, _), _)| !path.ends_with("README.yaml"))
        .map(|((path, text), json)| compile::compile_prepared(path, text, *json, Some(stem(path))))
        .collect();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for result in compiled {
        match result {
            Ok(rule) => rules.push(rule),
            Err(error) => errors.push(error),
        }
    }
    for path in paths {
        let mut files = Vec::new();
        collect_rule_files(path, &mut files)
            .map_err(|e| miette::miette!("cannot read rules at {}: {e}", path.display()))?;
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| miette::miette!("cannot read rule file {}: {e}", file.display()))?;
            let shown = file.display().to_string();
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            match compile::compile(&shown, &text, Some(stem)) {
                Ok(rule) => {
                    rules.retain(|r: &Rule| r.id != rule.id);
                    rules.push(rule);
                }
                Err(error) => errors.push(error),
            }
        }
    }
    match errors.len() {
        0 => {}
        1 => return Err(miette::Report::new(*errors.remove(0))),
        _ => {
            return Err(miette::Report::new(RuleErrors {
                problems: errors.into_iter().map(|e| *e).collect(),
            }));
        }
    }
    rules.sort_by(|a, b| (a.category, &a.id).cmp(&(b.category, &b.id)));
    Ok(rules)
}

/// Several broken rule files, each shown with its own pointed problems.
#[derive(Debug, miette::Diagnostic)]
#[diagnostic(code("golive::rules"))]
struct RuleErrors {
    #[related]
    problems: Vec<FileProblems>,
}

impl std::fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} rule files have problems", self.problems.len())
    }
}

impl std::error::Error for RuleErrors {}

fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".yaml").unwrap_or(name)
}

fn collect_rule_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rule_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}
