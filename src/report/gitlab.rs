//! `--format gitlab`: a GitLab Code Quality report (the Code Climate JSON subset GitLab reads),
//! shown in merge request widgets and diffs.
//!
//! One issue per finding, from every report in one array. GitLab requires a path on every
//! issue, so a finding about the whole repository (`path: null`) points at the scanned root
//! directory (`.`), line 1. Fingerprints are stable across line moves (see `Fingerprints`), so
//! GitLab tracks a finding as the same issue between pipelines. Parse errors are issues too
//! (`check_name: parse-error`).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::stream::{self, JsonArray};
use super::{Fingerprints, InheritedOnce, Report, clean};
use crate::engine::Severity;

pub fn render(reports: &[Report]) -> String {
    stream::render(reports, Stream::default())
}

/// One array of issues, written issue by issue.
pub struct Stream {
    issues: JsonArray,
    inherited: InheritedOnce,
}

impl Default for Stream {
    fn default() -> Stream {
        Stream {
            issues: JsonArray::new(""),
            inherited: InheritedOnce::default(),
        }
    }
}

impl stream::Stream for Stream {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"[")
    }

    fn report(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for (finding, fingerprint) in report.findings.iter().zip(report.fingerprints()) {
            if !self.inherited.first(finding, &fingerprint) {
                continue;
            }
            let path = match &finding.path {
                Some(path) => report.ci_path(path),
                None => report.ci_repo_path(),
            };
            self.issues.element(
                out,
                &issue(
                    &finding.message,
                    &finding.rule,
                    &fingerprint,
                    severity(finding.severity),
                    &path,
                    finding.line.unwrap_or(1),
                ),
            )?;
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
            self.issues.element(
                out,
                &issue(
                    &error.message,
                    "parse-error",
                    &fingerprint,
                    "major",
                    &path,
                    line,
                ),
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.issues.close(out)?;
        out.write_all(b"\n")
    }
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
