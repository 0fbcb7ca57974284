//! `--format junit`: JUnit XML for CI test reports (GitLab, Jenkins, Azure Pipelines).
//!
//! One `<testsuite>` per category, one `<testcase>` per rule (classname = category, name = rule
//! id), one `<failure>` per finding; not-applicable and disabled rules are `<skipped/>`. Several
//! reports give suites per report, named `<PATH> <category>` so CI views keep them apart. Parse
//! errors are `<error>`s of a `parse-errors` suite. No timestamps or durations: the same scan
//! gives the same bytes.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::stream::{self, Spool};
use super::xml::escape;
use super::{Finding, Report, RuleResult};
use crate::engine::Category;
use crate::engine::eval::Status;

pub fn render(reports: &[Report]) -> String {
    stream::render(reports, Stream::new(reports.len() > 1))
}

/// The suites of each report spooled as they come: `<testsuites>` opens with the run's totals.
pub struct Stream {
    several: bool,
    suites: Spool,
    totals: Totals,
}

#[derive(Default)]
struct Totals {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Stream {
    /// `several`: more than one report, so suites are named after their report's PATH.
    pub fn new(several: bool) -> Stream {
        Stream {
            several,
            suites: Spool::default(),
            totals: Totals::default(),
        }
    }
}

impl stream::Stream for Stream {
    fn report(&mut self, _out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut suites = String::new();
        let prefix = if self.several {
            format!("{} ", report.target)
        } else {
            String::new()
        };
        let totals = &mut self.totals;
        for category in Category::ALL {
            let rules: Vec<&RuleResult> = report
                .rules
                .iter()
                .filter(|r| r.category == category)
                .collect();
            let counts = Counts::of(&rules);
            totals.tests += counts.tests;
            totals.failures += counts.failures;
            totals.skipped += counts.skipped;
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
            totals.errors += report.errors.len();
            parse_errors(&mut suites, report, &prefix);
        }
        self.suites.write_all(suites.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let Totals {
            tests,
            failures,
            errors,
            skipped,
        } = self.totals;
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            r#"<testsuites name="golive" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}">"#
        )?;
        self.suites.copy_to(out)?;
        out.write_all(b"</testsuites>\n")
    }
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
