//! `--format github`: GitHub Actions workflow commands, which GitHub turns into annotations on
//! the pull request's diff (`::error file=…,line=…::message`).
//!
//! GitHub shows at most 10 error and 10 warning annotations per step, so a one-line verdict
//! comes first and findings follow by severity, most severe first (report order within a
//! severity). A finding about the whole repository has no `file`. Values are escaped the way
//! the runner unescapes them (`%`, CR, LF; in properties also `:` and `,`), after control
//! characters from scanned files are made visible, so nothing in a file can end a command
//! early or start a new one. `main.rs` also appends the Markdown report to
//! `$GITHUB_STEP_SUMMARY`; this renderer stays pure.

use std::fmt::Write;

use super::stream;
use super::{InheritedOnce, Report, clean, level};

pub fn render(reports: &[Report]) -> String {
    stream::render(reports, Stream::default())
}

/// Each report's commands, as it comes; an inherited root file's finding annotated once.
#[derive(Default)]
pub struct Stream {
    inherited: InheritedOnce,
}

impl stream::Stream for Stream {
    fn report(&mut self, out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
        let mut text = String::new();
        render_one(&mut text, report, &mut self.inherited);
        out.write_all(text.as_bytes())
    }
}

fn render_one(out: &mut String, report: &Report, inherited: &mut InheritedOnce) {
    let verdict = if report.gate.passed {
        "passed"
    } else {
        "failed"
    };
    let mut summary = format!(
        "score {:.1}/100, grade {}, gate {verdict}",
        report.score, report.grade
    );
    for reason in &report.gate.reasons {
        let _ = write!(summary, "\n- {reason}");
    }
    command(
        out,
        if report.gate.passed {
            "notice"
        } else {
            "error"
        },
        &[("title", title(report))],
        &summary,
    );
    let mut findings: Vec<_> = report
        .findings
        .iter()
        .zip(report.fingerprints())
        .filter(|(f, fingerprint)| inherited.first(f, fingerprint))
        .map(|(f, _)| f)
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for finding in findings {
        let mut properties = Vec::new();
        if let Some(path) = &finding.path {
            properties.push(("file", report.ci_path(path)));
            let numbers = [
                ("line", finding.line),
                ("col", finding.column),
                ("endLine", finding.end_line),
                ("endColumn", finding.end_column),
            ];
            for (key, value) in numbers {
                if let Some(value) = value {
                    properties.push((key, value.to_string()));
                }
            }
        }
        properties.push(("title", format!("{} ({})", finding.rule, finding.severity)));
        // Workflow commands say `notice` where SARIF says `note`.
        let level = match level(finding.severity) {
            "note" => "notice",
            other => other,
        };
        let message = format!("{}\n\nhelp: {}", finding.message, finding.help);
        command(out, level, &properties, &message);
    }
    for error in &report.errors {
        let mut properties = vec![("file", report.ci_path(&error.path))];
        if let Some(line) = error.line {
            properties.push(("line", line.to_string()));
        }
        if let Some(column) = error.column {
            properties.push(("col", column.to_string()));
        }
        properties.push(("title", "golive parse error".to_owned()));
        command(out, "warning", &properties, &error.message);
    }
}

/// `golive`, or `golive services/cart` when a relative PATH was scanned (never an absolute one).
fn title(report: &Report) -> String {
    match report.ci_repo_path().as_str() {
        "." => "golive".to_owned(),
        root => format!("golive {root}"),
    }
}

fn command(out: &mut String, name: &str, properties: &[(&str, String)], message: &str) {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let _ = writeln!(
        out,
        "::{name} {}::{}",
        properties.join(","),
        escape_data(message)
    );
}

/// Escapes a command's message the way the Actions runner unescapes it.
pub fn escape_data(text: &str) -> String {
    clean(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=…`, `title=…`): data escapes plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
