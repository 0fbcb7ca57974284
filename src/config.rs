//! `golive.toml`: the settings file's serde shape. Unknown keys are errors that point at the key.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub scan: Scan,
    #[serde(default)]
    pub rules: Rules,
    #[serde(default)]
    pub gate: Gate,
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    #[serde(default)]
    pub fleet: Fleet,
    #[serde(default)]
    pub helm: Helm,
    #[serde(default)]
    pub attest: Vec<Spanned<Attest>>,
}

/// `[[attest]]`: a person signs off a rule as met. Every key is required; they are optional
/// here so a missing one is reported with the others, pointed at its entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attest {
    /// The rule id signed off.
    pub rule: Option<Spanned<String>>,
    /// Who signed off (a name or a team).
    pub by: Option<Spanned<String>>,
    /// `YYYY-MM-DD`: the day of the sign-off.
    pub date: Option<Spanned<String>>,
    /// `YYYY-MM-DD`: the last day the sign-off counts.
    pub expires: Option<Spanned<String>>,
    /// Where the proof is (a URL to the drill record, the review, the ticket).
    pub evidence: Option<Spanned<String>>,
}

/// `[helm]`: how charts are rendered (natively; `--helm` runs the helm binary instead).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helm {
    /// The release name (`.Release.Name`); default `release-name`, as `helm template` uses.
    pub release: Option<Spanned<String>>,
    /// The release namespace (`.Release.Namespace`); default `default`.
    pub namespace: Option<Spanned<String>>,
    /// Extra values files, relative to each chart's folder, merged over its values.yaml in
    /// order (`helm template -f`); a chart without one of them renders without it.
    #[serde(default)]
    pub values: Vec<Spanned<String>>,
}

/// `[fleet]`: how a monorepo splits into services (read only at the monorepo root).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// Globs (relative to the monorepo root, `*` within one folder) of the service folders;
    /// when set, `golive check` scores each match as its own service.
    #[serde(default)]
    pub services: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    /// Globs (relative to the scanned root) of files never read.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Files larger than this many bytes are listed as skipped.
    #[serde(default)]
    pub max_file_size: Option<Spanned<u64>>,
    /// Globs of files or folders that are not the service (listed, not scored), besides the
    /// built-in table (load generators, tests, examples, docs, tooling, codegen).
    #[serde(default)]
    pub periphery: Vec<Spanned<String>>,
    /// Globs of files or folders that are the service even though their folder's name says
    /// periphery.
    #[serde(default)]
    pub service: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Rule files or folders of rule files, relative to the config file.
    #[serde(default)]
    pub extra: Vec<Spanned<String>>,
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    #[serde(default)]
    pub min_score: Option<Spanned<f64>>,
    #[serde(default)]
    pub fail_on: Option<Spanned<String>>,
    #[serde(default)]
    pub categories: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    pub strict: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub rule: Spanned<String>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD`: after this day the entry stops suppressing.
    pub until: Option<Spanned<String>>,
}

pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
    toml::from_str(text)
}
