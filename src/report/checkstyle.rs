//! `--format checkstyle`: Checkstyle XML, the lingua franca of review bots and CI warning
//! collectors (reviewdog, Jenkins Warnings NG, SonarQube imports).
//!
//! One `<file>` per path, sorted, from every report; each finding is an `<error>` with
//! `source="golive.<rule-id>"`. Checkstyle has no notion of a repository-wide finding, so
//! those (`path: null`) sit under the scanned root directory (`.`) without a line. Parse errors
//! are `<error source="golive.parse-error">`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::xml::escape;
use super::{Report, level};

/// One `<error>` element before it is written.
struct Entry {
    line: Option<usize>,
    column: Option<usize>,
    severity: &'static str,
    message: String,
    source: String,
}

pub fn render(reports: &[Report]) -> String {
    let mut files: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for report in reports {
        for finding in &report.findings {
            let path = match &finding.path {
                Some(path) => report.ci_path(path),
                None => report.ci_repo_path(),
            };
            files.entry(path).or_default().push(Entry {
                line: finding.line,
                column: finding.column,
                // Checkstyle's levels are error, warning, info (not SARIF's `note`).
                severity: match level(finding.severity) {
                    "note" => "info",
                    other => other,
                },
                message: finding.message.clone(),
                source: format!("golive.{}", finding.rule),
            });
        }
        for error in &report.errors {
            files
                .entry(report.ci_path(&error.path))
                .or_default()
                .push(Entry {
                    line: error.line,
                    column: error.column,
                    severity: "error",
                    message: error.message.clone(),
                    source: "golive.parse-error".to_owned(),
                });
        }
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (path, entries) in files {
        let _ = writeln!(out, "  <file name=\"{}\">", escape(&path));
        for entry in entries {
            out.push_str("    <error");
            if let Some(line) = entry.line {
                let _ = write!(out, " line=\"{line}\"");
            }
            if let Some(column) = entry.column {
                let _ = write!(out, " column=\"{column}\"");
            }
            let _ = writeln!(
                out,
                " severity=\"{}\" message=\"{}\" source=\"{}\"/>",
                entry.severity,
                escape(&entry.message),
                escape(&entry.source)
            );
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}
