//! `--format human`: a verdict header, a per-category table, then every finding as a
//! miette diagnostic with its source snippet, label and help.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write};
use std::ops::Range;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::stream;
use super::{Finding, Report};
use crate::engine::Severity;
use crate::source::{escape_controls, mask_controls};

pub fn render(reports: &[Report], color: bool) -> String {
    stream::render(reports, Stream::new(color, reports.len() > 1))
}

/// A fleet run (`--discover`, `--shard`, `golive merge`): the fleet table even for one service.
pub fn render_fleet(reports: &[Report], color: bool) -> String {
    stream::render(reports, Stream::new(color, true))
}

/// Each report in full as it comes; the fleet table (`table`) at the end, from one small row
/// per report. A finding about a file services inherit from their monorepo's root is shown in
/// full once, then named in one line by each other service it counts against.
pub struct Stream {
    color: bool,
    rows: Option<Vec<Row>>,
    written: usize,
    /// Inherited findings shown so far: their key → the target they were shown under.
    inherited_shown: HashMap<String, String>,
}

/// What the fleet table shows of a report.
struct Row {
    name: String,
    score: f64,
    grade: &'static str,
    passed: bool,
    top: Option<String>,
    /// `--compare`: the score change, `Some(None)` for a service the previous run lacks.
    change: Option<Option<f64>>,
}

impl Stream {
    pub fn new(color: bool, table: bool) -> Stream {
        Stream {
            color,
            rows: table.then(Vec::new),
            written: 0,
            inherited_shown: HashMap::new(),
        }
    }
}

impl stream::Stream for Stream {
    fn report(&mut self, out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
        let mut text = String::new();
        if self.written > 0 {
            text.push('\n');
        }
        self.written += 1;
        render_one(&mut text, report, self.color, &mut self.inherited_shown);
        if let Some(rows) = &mut self.rows {
            rows.push(Row {
                name: escape_controls(&report.target).into_owned(),
                score: report.score,
                grade: report.grade,
                passed: report.gate.passed,
                top: top_finding(report).map(|f| f.rule.clone()),
                change: report.comparison.as_ref().map(|c| c.score_delta),
            });
        }
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let Some(rows) = &self.rows else {
            return Ok(());
        };
        let mut text = String::new();
        fleet_table(&mut text, rows, self.color);
        out.write_all(text.as_bytes())
    }
}

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().bold(), text)
    }

    fn verdict(&self, passed: bool, text: &str) -> String {
        let color = if passed {
            anstyle::AnsiColor::Green
        } else {
            anstyle::AnsiColor::Red
        };
        self.paint(
            anstyle::Style::new().bold().fg_color(Some(color.into())),
            text,
        )
    }
}

fn render_one(
    out: &mut String,
    report: &Report,
    color: bool,
    inherited_shown: &mut HashMap<String, String>,
) {
    let paint = Paint { color };
    let target = escape_controls(&report.target);
    let _ = writeln!(out, "{} {}", paint.bold("golive"), target);
    let verdict = if report.gate.passed {
        "PASSED"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        out,
        "score {:.1}/100  grade {}  gate {}",
        report.score,
        paint.bold(report.grade),
        paint.verdict(report.gate.passed, verdict)
    );
    for reason in &report.gate.reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    out.push('\n');
    category_table(out, report, &paint);
    let handler = GraphicalReportHandler::new_themed(if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    })
    .with_width(100)
    .with_context_lines(1);
    // Most severe first: the reader of a go-live verdict wants the blockers before the advice.
    // The sort is stable, so equal severities keep the report's path/line order.
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let secrets = secrets(report);
    for finding in findings {
        out.push('\n');
        if let Some(first) = shown_before(finding, report, inherited_shown) {
            let at = finding_at(finding);
            let _ = writeln!(
                out,
                "{} {}\n\n  {at}: {} (inherited; shown in full under {})",
                paint.bold(finding.severity.as_str()),
                finding.rule,
                mask_controls(&finding.message),
                escape_controls(first)
            );
            continue;
        }
        let view = FindingView::new(finding, report, &secrets);
        if handler.render_report(out, &view).is_err() {
            let _ = writeln!(out, "{}", view);
        }
    }
    summary(out, report);
    comparison(out, report, &paint);
}

/// For a finding about a file inherited from the monorepo root (`../…`) that an earlier report
/// of the run already showed, the target it was shown under; else records this one.
fn shown_before<'a>(
    finding: &Finding,
    report: &Report,
    shown: &'a mut HashMap<String, String>,
) -> Option<&'a str> {
    let path = finding.path.as_deref().filter(|p| p.starts_with("../"))?;
    let key = format!(
        "{}\0{}\0{}\0{}",
        finding.rule,
        report.ci_path(path),
        finding_at(finding),
        finding.message
    );
    match shown.entry(key) {
        Entry::Occupied(first) => Some(first.into_mut().as_str()),
        Entry::Vacant(slot) => {
            slot.insert(report.target.clone());
            None
        }
    }
}

/// `path:line:column` of a located finding.
fn finding_at(finding: &Finding) -> String {
    let path = escape_controls(finding.path.as_deref().unwrap_or("(repository)")).into_owned();
    match (finding.line, finding.column) {
        (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        _ => path,
    }
}

/// `--compare`: the score change, then each new and each fixed finding on one line.
fn comparison(out: &mut String, report: &Report, paint: &Paint) {
    let Some(comparison) = &report.comparison else {
        return;
    };
    let file = escape_controls(&comparison.file);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (new, fixed) = (comparison.new.len(), comparison.fixed.len());
    let change = match (&comparison.previous, comparison.score_delta) {
        (Some(previous), Some(delta)) => format!(
            "score {:.1} → {:.1} ({delta:+.1}), grade {} → {}",
            previous.score, report.score, previous.grade, report.grade
        ),
        _ => "no previous report of this service".to_owned(),
    };
    let _ = writeln!(
        out,
        "\n{} {file}: {change}; {new} new finding{}, {fixed} fixed",
        paint.bold("compared with"),
        plural(new),
    );
    let rows = (comparison.new.iter().map(|f| ("new", f)))
        .chain(comparison.fixed.iter().map(|f| ("fixed", f)));
    for (what, finding) in rows {
        let at = match (&finding.path, finding.line, finding.column) {
            (Some(path), Some(line), Some(column)) => format!("{path}:{line}:{column}"),
            (Some(path), _, _) => path.clone(),
            (None, _, _) => "(repository)".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {} {:<8} {} {}: {}",
            paint.verdict(what == "fixed", &format!("{what:<5}")),
            finding.severity.as_str(),
            finding.rule,
            escape_controls(&at),
            escape_controls(&finding.message)
        );
    }
}

fn category_table(out: &mut String, report: &Report, paint: &Paint) {
    let _ = writeln!(
        out,
        "  {:<13} {:>5}  {:<20}  rules",
        "category", "score", ""
    );
    for category in &report.categories {
        let (score, bar) = match category.score {
            Some(score) => {
                let filled = ((score / 5.0).round() as usize).min(20);
                (
                    format!("{score:5.1}"),
                    format!("{}{}", "█".repeat(filled), "░".repeat(20 - filled)),
                )
            }
            None => ("    -".to_owned(), " ".repeat(20)),
        };
        let passed = category.checked - category.failed;
        let rules = if category.checked == 0 {
            "not applicable".to_owned()
        } else {
            format!("{passed}/{} passed", category.checked)
        };
        let ok = category.failed == 0;
        let _ = writeln!(
            out,
            "  {:<13} {}  {}  {rules}",
            category.id.as_str(),
            score,
            if category.score.is_some() {
                paint.verdict(ok, &bar)
            } else {
                bar
            }
        );
    }
}

fn summary(out: &mut String, report: &Report) {
    out.push('\n');
    let counts = report.severity_summary();
    let findings = report.findings.len();
    let _ = write!(
        out,
        "{findings} finding{}",
        if findings == 1 { "" } else { "s" }
    );
    if !counts.is_empty() {
        let _ = write!(out, " ({counts})");
    }
    let parsed = report
        .artifacts
        .iter()
        .filter(|a| a.status == "parsed")
        .count();
    let _ = write!(
        out,
        ", {} suppressed, {parsed} file{} read",
        report.suppressed.len(),
        if parsed == 1 { "" } else { "s" }
    );
    let skipped = report
        .artifacts
        .iter()
        .filter(|a| a.status == "skipped")
        .count();
    if skipped > 0 {
        let _ = write!(out, ", {skipped} skipped");
    }
    out.push('\n');
    for expired in &report.expired_ignores {
        let _ = writeln!(
            out,
            "golive.toml: the [[ignore]] of {} expired on {}; it no longer suppresses",
            expired.rule, expired.until
        );
    }
    for attestation in &report.attestations {
        let (by, evidence) = (
            escape_controls(&attestation.by),
            escape_controls(&attestation.evidence),
        );
        let _ = if attestation.expired {
            writeln!(
                out,
                "golive.toml: the attestation of {} by {by} expired on {}; the rule is checked again",
                attestation.rule, attestation.expires
            )
        } else {
            writeln!(
                out,
                "attested: {} by {by} on {} (until {}): {evidence}",
                attestation.rule, attestation.date, attestation.expires
            )
        };
    }
    // One line per reason: a chart with forty templates should not bury the findings.
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for artifact in report.artifacts.iter().filter(|a| a.status == "skipped") {
        let reason = artifact.reason.as_deref().unwrap_or("skipped");
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, paths)) => paths.push(&artifact.path),
            None => reasons.push((reason, vec![&artifact.path])),
        }
    }
    for (reason, paths) in reasons {
        let shown: Vec<String> = paths
            .iter()
            .take(3)
            .map(|p| escape_controls(p).into_owned())
            .collect();
        let more = paths.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  skipped {}{tail}: {}",
            shown.join(", "),
            escape_controls(reason)
        );
    }
    if !report.inherited.is_empty() {
        let files: Vec<String> = report
            .inherited
            .iter()
            .map(|i| format!("{} ({})", escape_controls(&i.path), i.evidence))
            .collect();
        let _ = writeln!(
            out,
            "inherited from the monorepo root: {}",
            files.join(", ")
        );
    }
    for error in &report.errors {
        let at = match (error.line, error.column) {
            (Some(line), Some(column)) => format!(":{line}:{column}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  error {}{at}: {}",
            escape_controls(&error.path),
            escape_controls(&error.message)
        );
    }
}

fn fleet_table(out: &mut String, rows: &[Row], color: bool) {
    let paint = Paint { color };
    // As wide as the longest service name, so columns line up, within reason for a terminal.
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(40, 100);
    // `--compare`: the change since the previous report, `new` for a service it lacks.
    let compared = rows.iter().any(|r| r.change.is_some());
    let _ = writeln!(
        out,
        "\n{:<width$} {:>5}{}  grade  gate    top finding",
        "service",
        "score",
        if compared { "  change" } else { "" }
    );
    for row in rows {
        let top = row.top.as_deref().unwrap_or("-");
        let gate = if row.passed { "passed" } else { "failed" };
        let change = match row.change {
            Some(Some(delta)) => format!("  {delta:>+6.1}"),
            Some(None) => format!("  {:>6}", "new"),
            None if compared => format!("  {:>6}", "-"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<width$} {:>5.1}{change}  {:<5}  {}  {top}",
            row.name,
            row.score,
            row.grade,
            paint.verdict(row.passed, &format!("{gate:<6}"))
        );
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    let _ = writeln!(
        out,
        "{} service{}, {failed} failed the gate",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
}

/// The most severe finding; among equals the first in report order (path, line, column, rule),
/// so the table is the same on every run.
fn top_finding(report: &Report) -> Option<&Finding> {
    report
        .findings
        .iter()
        .min_by_key(|f| std::cmp::Reverse(f.severity))
}

/// Per file, the byte ranges of the secrets findings point at (rules with `redact`): every
/// snippet of the file masks them all, since a snippet's context lines may show another one.
type Secrets<'r> = BTreeMap<&'r str, Vec<Range<usize>>>;

fn secrets(report: &Report) -> Secrets<'_> {
    let mut secrets = Secrets::new();
    for location in report
        .findings
        .iter()
        .filter(|f| f.redact)
        .filter_map(|f| f.location.as_ref())
    {
        secrets
            .entry(location.path.as_str())
            .or_default()
            .push(location.offset..location.offset + location.length);
    }
    secrets
}

/// Masks secrets in a snippet's text: each byte becomes a `*`, so the spans into the text
/// stay valid.
fn redact(text: &mut String, ranges: &[Range<usize>]) {
    for range in ranges {
        if let Some(secret) = text.get(range.clone()) {
            let masked = "*".repeat(secret.len());
            text.replace_range(range.clone(), &masked);
        }
    }
}

/// A finding as miette sees it.
struct FindingView {
    message: String,
    code: String,
    severity: miette::Severity,
    help: String,
    source: Option<NamedSource<String>>,
    label: Option<LabeledSpan>,
}

impl FindingView {
    fn new(finding: &Finding, report: &Report, secrets: &Secrets<'_>) -> FindingView {
        let location = finding.location.as_ref();
        let source = location.and_then(|l| {
            let text = report.sources.get(&l.path)?;
            let mut text = mask_controls(text).into_owned();
            if let Some(ranges) = secrets.get(l.path.as_str()) {
                redact(&mut text, ranges);
            }
            Some(NamedSource::new(escape_controls(&l.path), text).with_language(""))
        });
        let label = location
            .filter(|_| source.is_some())
            .map(|l| LabeledSpan::new(None, l.offset, l.length));
        let object = finding
            .object
            .as_deref()
            .filter(|o| !finding.message.contains(o))
            .map(|o| format!(" [{o}]"))
            .unwrap_or_default();
        let place = if source.is_none() {
            match &finding.path {
                Some(path) => format!(" ({}:{})", escape_controls(path), finding.line.unwrap_or(1)),
                None => " (repository)".to_owned(),
            }
        } else {
            String::new()
        };
        FindingView {
            message: format!("{}{object}{place}", finding.message),
            code: format!("{} {}", finding.severity, finding.rule),
            severity: match finding.severity {
                Severity::Critical | Severity::High => miette::Severity::Error,
                Severity::Medium | Severity::Low => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: escape_controls(&finding.help).into_owned(),
            source,
            label,
        }
    }
}

impl fmt::Display for FindingView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for FindingView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingView {}

impl Diagnostic for FindingView {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}
