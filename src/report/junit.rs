//! `--format junit`: JUnit XML for CI test reports (GitLab, Jenkins, Azure Pipelines).
//!
//! One `<testsuite>` per category, one `<testcase>` per rule (classname = category, name = rule
//! id), one `<failure>` per finding; not-applicable and disabled rules are `<skipped/>`. Several
//! reports give suites per report, named `<PATH> <category>` so CI views keep them apart. Parse
//! errors are `<error>`s of a `parse-errors` suite. No timestamps or durations: the same scan
//! gives the same bytes.

use std::fmt::Write;

use super::xml::escape;
use super::{Finding, Report, RuleResult};
use crate::engine::Category;
use crate::engine::eval::Status;

pub fn render(reports: &[Report]) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for report in reports {
        let prefix = if reports.len() > 1 {
            format!("{} ", report.target)
        } else {
            String::new()
        };
        for category in Category::ALL {
            let rules: Vec<&RuleResult> = report
                .rules
                .iter()
                .filter(|r| r.category == category)
                .collect();
            let counts = Counts::of(&rules);
            tests += counts.tests;
            failures += counts.failures;
            skipped += counts.skipped;
            let _ = writeln!(
                suites,
                r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="{}">"#,
                escape(&format!("{prefix}{}", category.as_str())),
                counts.tests,
                counts.failures,
                counts.skipped,
            );
            for rule in rules {
                testcase(&mut suites, report, &prefix, rule);
            }
            suites.push_str("  </testsuite>\n");
        }
        if !report.errors.is_empty() {
            errors += report.errors.len();
            parse_errors(&mut suites, report, &prefix);
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        r#"<testsuites name="golive" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}">"#
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn of(rules: &[&RuleResult]) -> Counts {
        Counts {
            tests: rules.len(),
            failures: rules.iter().filter(|r| r.status == Status::Failed).count(),
            skipped: rules.iter().filter(|r| is_skipped(r.status)).count(),
        }
    }
}

fn is_skipped(status: Status) -> bool {
    matches!(status, Status::NotApplicable | Status::Disabled)
}

fn testcase(out: &mut String, report: &Report, prefix: &str, rule: &RuleResult) {
    let open = format!(
        r#"    <testcase classname="{}" name="{}""#,
        escape(&format!("{prefix}{}", rule.category.as_str())),
        escape(&rule.id),
    );
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == rule.id)
        .collect();
    if is_skipped(rule.status) {
        let why = if rule.status == Status::Disabled {
            "disabled"
        } else {
            "not applicable: nothing to check"
        };
        let _ = writeln!(
            out,
            "{open}>\n      <skipped message=\"{why}\"/>\n    </testcase>"
        );
        return;
    }
    if findings.is_empty() {
        let _ = writeln!(out, "{open}/>");
        return;
    }
    let _ = writeln!(out, "{open}>");
    for finding in findings {
        let place = match (&finding.path, finding.line) {
            (Some(path), Some(line)) => format!("{}:{line}", report.ci_path(path)),
            (Some(path), None) => report.ci_path(path),
            (None, _) => "(repository)".to_owned(),
        };
        let _ = writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            escape(&format!("{place}: {}", finding.message)),
            finding.severity,
            escape(&format!(
                "{place}: {}\n{} {}\nhelp: {}",
                finding.message, finding.severity, finding.rule, finding.help
            )),
        );
    }
    out.push_str("    </testcase>\n");
}

fn parse_errors(out: &mut String, report: &Report, prefix: &str) {
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{n}" failures="0" errors="{n}" skipped="0">"#,
        escape(&format!("{prefix}parse-errors")),
        n = report.errors.len(),
    );
    for error in &report.errors {
        let place = match (error.line, error.column) {
            (Some(line), Some(column)) => format!(":{line}:{column}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            r#"    <testcase classname="{}" name="{}">
      <error message="{}" type="parse-error"/>
    </testcase>"#,
            escape(&format!("{prefix}parse-errors")),
            escape(&report.ci_path(&error.path)),
            escape(&format!(
                "{}{place}: {}",
                report.ci_path(&error.path),
                error.message
            )),
        );
    }
    out.push_str("  </testsuite>\n");
}
