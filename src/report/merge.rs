//! `golive merge`: JSON reports of shard runs → one fleet report, sorted by target.
//!
//! Only the JSON contract survives a round trip; what it leaves out is restored or done
//! without: rule titles and docs (SARIF descriptors) come from the rule catalogue, a suppressed
//! finding's message becomes its rule's title, and findings have no snippets.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{FleetReport, Report, SCHEMA_VERSION};
use crate::engine::Rule;

/// The reports in one JSON file: a single report or a fleet report.
pub fn read(text: &str) -> Result<Vec<Report>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON report: {e}"))?;
    let version = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(format!(
            "not a golive report of schema_version {SCHEMA_VERSION} (found {})",
            version.map_or("none".to_owned(), |v| v.to_string())
        ));
    }
    if value.get("reports").is_some() {
        let fleet = FleetReport::deserialize(value).map_err(|e| e.to_string())?;
        fleet.reports.into_iter().map(check_version).collect()
    } else {
        Report::deserialize(value)
            .map_err(|e| e.to_string())
            .and_then(check_version)
            .map(|r| vec![r])
    }
}

fn check_version(report: Report) -> Result<Report, String> {
    if report.schema_version == SCHEMA_VERSION {
        Ok(report)
    } else {
        Err(format!(
            "report `{}` has schema_version {}, not {SCHEMA_VERSION}",
            report.target, report.schema_version
        ))
    }
}

/// Combines the reports of several files, sorted by target; a target present twice (the same
/// service scored by two shards) is an error naming both files.
pub fn combine(files: Vec<(String, Vec<Report>)>) -> Result<Vec<Report>, String> {
    let mut all: Vec<(String, Report)> = files
        .into_iter()
        .flat_map(|(file, reports)| reports.into_iter().map(move |r| (file.clone(), r)))
        .collect();
    all.sort_by(|a, b| a.1.target.cmp(&b.1.target));
    if let Some(pair) = all.windows(2).find(|p| p[0].1.target == p[1].1.target) {
        return Err(format!(
            "`{}` is in both {} and {}: each service must come from one shard",
            pair[0].1.target, pair[0].0, pair[1].0
        ));
    }
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// Puts back the rule docs the JSON contract leaves out, from the rule catalogue.
pub fn restore_rule_docs(reports: &mut [Report], rules: &[Rule]) {
    let by_id: BTreeMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
    for report in reports {
        for result in &mut report.rules {
            if let Some(rule) = by_id.get(result.id.as_str()) {
                result.title.clone_from(&rule.title);
                result.summary.clone_from(&rule.docs.summary);
                result.rationale.clone_from(&rule.docs.rationale);
                result.remediation.clone_from(&rule.docs.remediation);
            }
        }
        for suppressed in &mut report.suppressed {
            if suppressed.message.is_empty() {
                suppressed.message = by_id
                    .get(suppressed.rule.as_str())
                    .map_or_else(|| suppressed.rule.clone(), |r| r.title.to_string());
            }
        }
    }
}
