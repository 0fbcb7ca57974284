//! Reading a report back from its JSON contract (`golive merge`): the strings the contract fixes
//! (grades, kinds, statuses, severities) map back onto the very values a scan produces, and
//! anything else is an error, so a merged report renders exactly like a scanned one.

use serde::de::{Deserialize, Deserializer, Error};

use super::Tool;
use crate::engine::eval::Status;
use crate::engine::{Category, Severity};
use crate::model::DocKind;
use crate::periphery::Role;

/// `text` if it is one of `table`, as the table's `'static` string.
fn one_of<E: Error>(text: &str, what: &str, table: &[&'static str]) -> Result<&'static str, E> {
    table
        .iter()
        .copied()
        .find(|known| *known == text)
        .ok_or_else(|| {
            E::custom(format!(
                "unknown {what} `{text}`; one of {}",
                table.join(", ")
            ))
        })
}

fn string_of<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &str,
    table: &[&'static str],
) -> Result<&'static str, D::Error> {
    let text = String::deserialize(deserializer)?;
    one_of(&text, what, table)
}

pub fn grade<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    string_of(d, "grade", &["A", "B", "C", "D", "F"])
}

/// What a fleet service inherited a root file as (`pipeline::inherit::Evidence`).
pub fn inherited_evidence<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    string_of(
        d,
        "inherited evidence",
        &[
            "ci",
            "ownership",
            "dependency-updates",
            "changelog",
            "compose",
        ],
    )
}

pub fn artifact_status<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    string_of(d, "artifact status", &["parsed", "skipped", "error"])
}

pub fn suppression_how<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    string_of(
        d,
        "suppression",
        &[
            "inline comment",
            "file comment",
            "annotation",
            "config",
            "baseline",
            "attestation",
        ],
    )
}

pub fn artifact_kind<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    const KINDS: [DocKind; 13] = [
        DocKind::Kubernetes,
        DocKind::Compose,
        DocKind::Prometheus,
        DocKind::Grafana,
        DocKind::Dockerfile,
        DocKind::Readme,
        DocKind::Markdown,
        DocKind::Source,
        DocKind::Dependencies,
        DocKind::Config,
        DocKind::Yaml,
        DocKind::Json,
        DocKind::Repo,
    ];
    let text = String::deserialize(d)?;
    // What a file is to a renderer, or to the repository when it is not the service.
    let roles = ["helm-template", "helm-chart-file", "kustomization"]
        .into_iter()
        .chain(Role::ALL.iter().map(|r| r.as_str()));
    let names: Vec<&'static str> = KINDS.iter().map(|k| k.as_str()).chain(roles).collect();
    one_of(&text, "artifact kind", &names)
}

impl<'de> Deserialize<'de> for Tool {
    /// Only this golive's own reports are read back: another version has another rule
    /// catalogue, and merging its scores with ours would compare unlike things.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tool, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: String,
            version: String,
        }
        let raw = Raw::deserialize(d)?;
        let ours = Tool::default();
        if raw.name != ours.name || raw.version != ours.version {
            return Err(D::Error::custom(format!(
                "written by {} {}, not by {} {}: merge reports of one golive version",
                raw.name, raw.version, ours.name, ours.version
            )));
        }
        Ok(ours)
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
        let text = String::deserialize(d)?;
        Severity::parse(&text).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown severity `{text}`; one of critical, high, medium, low, info"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Category, D::Error> {
        let text = String::deserialize(d)?;
        Category::parse(&text).ok_or_else(|| D::Error::custom(format!("unknown category `{text}`")))
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        const ALL: [Status; 6] = [
            Status::Passed,
            Status::Failed,
            Status::NotApplicable,
            Status::Suppressed,
            Status::Attested,
            Status::Disabled,
        ];
        let text = String::deserialize(d)?;
        ALL.into_iter()
            .find(|s| status_name(*s) == text)
            .ok_or_else(|| D::Error::custom(format!("unknown rule status `{text}`")))
    }
}

pub(crate) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::NotApplicable => "not_applicable",
        Status::Suppressed => "suppressed",
        Status::Attested => "attested",
        Status::Disabled => "disabled",
    }
}
