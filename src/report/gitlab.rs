//! `--format gitlab`: a GitLab Code Quality report (the Code Climate JSON subset GitLab reads),
//! shown in merge request widgets and diffs.
//!
//! One issue per finding, from every report in one array. GitLab requires a path on every
//! issue, so a finding about the whole repository (`path: null`) points at the scanned root
//! directory (`.`), line 1. Fingerprints are stable across line moves (see `Fingerprints`), so
//! GitLab tracks a finding as the same issue between pipelines. Parse errors are issues too
//! (`check_name: parse-error`).

use serde_json::{Value, json};

use super::{Fingerprints, Report, clean};
use crate::engine::Severity;

pub fn render(reports: &[Report]) -> String {
    let mut issues = Vec::new();
    for report in reports {
        for (finding, fingerprint) in report.findings.iter().zip(report.fingerprints()) {
            let path = match &finding.path {
                Some(path) => report.ci_path(path),
                None => report.ci_repo_path(),
            };
            issues.push(issue(
                &finding.message,
                &finding.rule,
                &fingerprint,
                severity(finding.severity),
                &path,
                finding.line.unwrap_or(1),
            ));
        }
        let mut error_prints = Fingerprints::default();
        for error in &report.errors {
            let path = report.ci_path(&error.path);
            let line = error.line.unwrap_or(1);
            let fingerprint = error_prints.next(
                report,
                "parse-error",
                Some(&error.path),
                None,
                &error.message,
            );
            issues.push(issue(
                &error.message,
                "parse-error",
                &fingerprint,
                "major",
                &path,
                line,
            ));
        }
    }
    // Serialising a `Value` cannot fail; an empty array keeps the output JSON if it did.
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn issue(
    description: &str,
    check: &str,
    fingerprint: &str,
    severity: &str,
    path: &str,
    line: usize,
) -> Value {
    json!({
        "type": "issue",
        "description": clean(description),
        "check_name": check,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": { "path": clean(path), "lines": { "begin": line } },
    })
}

/// GitLab's scale has one more step at the top (`blocker`) than golive's.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}
