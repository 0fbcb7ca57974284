//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One run per report (several PATHs get distinct `automationDetails.id`s, since GitHub rejects
//! one upload holding several runs of the same tool and category). Every rule of the report is
//! a `reportingDescriptor` (`ruleIndex` points into that list); suppressed findings are results
//! with `suppressions`; parse errors are tool execution notifications. Code scanning requires a
//! location on every result, so a finding about the whole repository (`path: null`) points at
//! the scanned root directory (`.`), line 1. Columns count Unicode code points
//! (`columnKind`), as golive's do.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::stream::{self, JsonArray};
use super::{
    Fingerprints, InheritedOnce, Report, RuleResult, clean, level, rule_doc_url, uri_path,
};
use crate::engine::eval::Status;
use crate::engine::{Category, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(reports: &[Report]) -> String {
    stream::render(reports, Stream::new(reports.len() > 1))
}

/// The log `{"$schema", "runs", "version"}` (`serde_json` orders keys), written run by run.
pub struct Stream {
    several: bool,
    runs: JsonArray,
    inherited: InheritedOnce,
}

impl Stream {
    /// `several`: more than one report, so each run gets its own `automationDetails.id`.
    pub fn new(several: bool) -> Stream {
        Stream {
            several,
            runs: JsonArray::new("  "),
            inherited: InheritedOnce::default(),
        }
    }
}

impl stream::Stream for Stream {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"runs\": [")
    }

    fn report(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        self.runs
            .element(out, &run(report, self.several, &mut self.inherited))
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.runs.close(out)?;
        out.write_all(b",\n  \"version\": \"2.1.0\"\n}\n")
    }
}

/// A report's run; a finding about an inherited root file only in the first run holding it.
fn run(report: &Report, several: bool, inherited: &mut InheritedOnce) -> Value {
    let mut fingerprints = Fingerprints::default();
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .filter_map(|f| {
            let fingerprint = fingerprints.next(
                report,
                &f.rule,
                f.path.as_deref(),
                f.object.as_deref(),
                &f.message,
            );
            if !inherited.first(f, &fingerprint) {
                return None;
            }
            let region = match (f.line, f.column, f.end_line, f.end_column) {
                (Some(line), Some(column), Some(end_line), Some(end_column)) => json!({
                    "startLine": line, "startColumn": column,
                    "endLine": end_line, "endColumn": end_column,
                }),
                (line, ..) => json!({ "startLine": line.unwrap_or(1) }),
            };
            let mut result = result(report, &f.rule, &f.message, f.path.as_deref(), region);
            result["partialFingerprints"] = json!({ "golive/v1": fingerprint });
            result["properties"] = json!({
                "category": f.category.as_str(),
                "severity": f.severity.as_str(),
            });
            if let Some(object) = &f.object {
                result["properties"]["object"] = json!(clean(object));
            }
            Some(result)
        })
        .collect();
    for s in &report.suppressed {
        let fingerprint = fingerprints.next(
            report,
            &s.rule,
            s.path.as_deref(),
            s.object.as_deref(),
            &s.message,
        );
        let region = json!({ "startLine": s.line.unwrap_or(1) });
        let mut result = result(report, &s.rule, &s.message, s.path.as_deref(), region);
        result["partialFingerprints"] = json!({ "golive/v1": fingerprint });
        // A comment or annotation in the scanned file is `inSource`; golive.toml, a baseline
        // or anything else outside the file is `external`.
        let kind = match s.how {
            "inline comment" | "file comment" | "annotation" => "inSource",
            _ => "external",
        };
        let mut suppression = json!({ "kind": kind });
        if let Some(reason) = &s.reason {
            suppression["justification"] = json!(clean(reason));
        }
        result["suppressions"] = json!([suppression]);
        results.push(result);
    }
    let mut run = json!({
        "tool": { "driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "informationUri": "https://github.com/golive-dev/golive",
            "rules": report.rules.iter().map(descriptor).collect::<Vec<_>>(),
        }},
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications(report),
        }],
        "results": results,
        "properties": {
            "target": clean(&report.target),
            "score": report.score,
            "grade": report.grade,
            "gatePassed": report.gate.passed,
            "gateReasons": report.gate.reasons,
        },
    });
    if several {
        run["automationDetails"] = json!({
            "id": format!("golive/{}/", clean(&report.target)),
        });
    }
    run
}

fn result(report: &Report, rule: &str, message: &str, path: Option<&str>, region: Value) -> Value {
    let (index, level) = match report.rule(rule) {
        Some((index, r)) => (json!(index), super::level(r.severity)),
        None => (Value::Null, "warning"),
    };
    let uri = match path {
        Some(path) => report.ci_path(path),
        None => report.ci_repo_path(),
    };
    let mut result = json!({
        "ruleId": rule,
        "level": level,
        "message": { "text": clean(message) },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": uri_path(&uri) },
            "region": region,
        }}],
    });
    if !index.is_null() {
        result["ruleIndex"] = index;
    }
    result
}

fn descriptor(rule: &RuleResult) -> Value {
    let level = level(rule.severity);
    let mut properties = json!({
        "category": rule.category.as_str(),
        "severity": rule.severity.as_str(),
        "tags": ["golive", rule.category.as_str()],
    });
    // GitHub ranks security alerts by this CVSS-like score; it only reads it on security rules.
    if rule.category == Category::Security {
        let score = match rule.severity {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        };
        properties["security-severity"] = json!(score);
        properties["tags"] = json!(["golive", "security"]);
    }
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": clean(&rule.title) },
        "fullDescription": { "text": clean(&rule.summary) },
        "help": {
            "text": clean(&rule.remediation),
            "markdown": clean(&rule.remediation),
        },
        "helpUri": rule_doc_url(&rule.id),
        "defaultConfiguration": {
            "enabled": rule.status != Status::Disabled,
            "level": level,
        },
        "properties": properties,
    })
}

fn notifications(report: &Report) -> Vec<Value> {
    report
        .errors
        .iter()
        .map(|e| {
            let mut region = json!({ "startLine": e.line.unwrap_or(1) });
            if let Some(column) = e.column {
                region["startColumn"] = json!(column);
            }
            json!({
                "level": "error",
                "descriptor": { "id": "parse-error" },
                "message": { "text": clean(&e.message) },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": uri_path(&report.ci_path(&e.path)) },
                    "region": region,
                }}],
            })
        })
        .collect()
}

/// `k8s-readiness-probe` → `K8sReadinessProbe`: SARIF's `name` is an identifier for humans.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
