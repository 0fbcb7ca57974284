//! `--format html`: the report as one self-contained page to look at in a launch review —
//! verdict, per-category bars (inline SVG), every finding with its file:line, the docs of each
//! rule revealed on click; a fleet run starts with a table of services sortable by any column.
//!
//! Nothing is fetched: CSS, JS and SVG are inline, and a Content-Security-Policy forbids any
//! other source, so the page shows the same offline and leaks nothing when opened. Text from
//! scanned files (and golive.toml) is HTML-escaped with control characters made visible; element
//! ids are built from indices, never from that text. No clock or path outside the report is
//! read, so the same report gives the same bytes.

use std::fmt::Write;
use std::io;

use super::read::status_name;
use super::stream::{self, Spool};
use super::xml::escape;
use super::{Finding, Report, RuleResult};

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/script.js");

/// The page of `reports`; a `fleet` run (or several reports) starts with the services table.
pub fn render(reports: &[Report], fleet: bool) -> String {
    stream::render(reports, Stream::new(fleet))
}

/// The sections of each report spooled as they come, one small row per service kept for the
/// services table: the page opens with the table, and its title counts the services.
pub struct Stream {
    fleet: bool,
    rows: Vec<Row>,
    sections: Spool,
}

/// What the services table shows of one report.
struct Row {
    target: String,
    score: f64,
    grade: &'static str,
    passed: bool,
    findings: usize,
}

impl Stream {
    pub fn new(fleet: bool) -> Stream {
        Stream {
            fleet,
            rows: Vec::new(),
            sections: Spool::default(),
        }
    }
}

impl stream::Stream for Stream {
    fn report(&mut self, _out: &mut dyn io::Write, report: &Report) -> io::Result<()> {
        let mut section = String::new();
        render_one(&mut section, report, self.rows.len());
        self.sections.write_all(section.as_bytes())?;
        self.rows.push(Row {
            target: report.target.clone(),
            score: report.score,
            grade: report.grade,
            passed: report.gate.passed,
            findings: report.findings.len(),
        });
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        let title = match self.rows.as_slice() {
            [single] if !self.fleet => format!("golive: {}", escape(&single.target)),
            rows => format!("golive: {} services", rows.len()),
        };
        let mut head = String::new();
        let _ = write!(
            head,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
        );
        if self.fleet || self.rows.len() > 1 {
            fleet_table(&mut head, &self.rows);
        }
        out.write_all(head.as_bytes())?;
        self.sections.copy_to(out)?;
        write!(out, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n")
    }
}

fn verdict(passed: bool) -> (&'static str, &'static str) {
    if passed {
        ("passed", "PASSED")
    } else {
        ("failed", "FAILED")
    }
}

fn fleet_table(out: &mut String, rows: &[Row]) {
    out.push_str(
        "<section class=\"fleet\">\n<h1>golive fleet</h1>\n<table id=\"fleet\" class=\"sortable\">\n\
         <thead><tr><th data-sort=\"text\">service</th><th data-sort=\"number\">score</th>\
         <th data-sort=\"text\">grade</th><th data-sort=\"text\">gate</th>\
         <th data-sort=\"number\">findings</th></tr></thead>\n<tbody>\n",
    );
    for (n, row) in rows.iter().enumerate() {
        let (class, word) = verdict(row.passed);
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#report-{n}\">{}</a></td><td data-value=\"{score:.1}\">{score:.1}</td>\
             <td>{}</td><td class=\"{class}\">{word}</td><td data-value=\"{count}\">{count}</td></tr>",
            escape(&row.target),
            row.grade,
            score = row.score,
            count = row.findings,
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn render_one(out: &mut String, report: &Report, n: usize) {
    let (class, word) = verdict(report.gate.passed);
    let _ = writeln!(
        out,
        "<section class=\"report\" id=\"report-{n}\">\n<h1>golive <span class=\"target\">{}</span></h1>\n\
         <p class=\"verdict\">score <span class=\"score\">{:.1}</span>/100 \
         grade <span class=\"grade grade-{}\">{}</span> \
         gate <span class=\"gate {class}\">{word}</span></p>",
        escape(&report.target),
        report.score,
        report.grade,
        report.grade,
    );
    if !report.gate.reasons.is_empty() {
        out.push_str("<ul class=\"reasons\">\n");
        for reason in &report.gate.reasons {
            let _ = writeln!(out, "<li>{}</li>", escape(reason));
        }
        out.push_str("</ul>\n");
    }
    categories(out, report);
    findings(out, report, n);
    attestations(out, report);
    suppressed(out, report);
    errors(out, report);
    rules(out, report, n);
    out.push_str("</section>\n");
}

fn categories(out: &mut String, report: &Report) {
    out.push_str(
        "<h2>Categories</h2>\n<table class=\"categories\">\n\
         <thead><tr><th>category</th><th>score</th><th></th><th>rules passed</th></tr></thead>\n<tbody>\n",
    );
    for category in &report.categories {
        let (score, bar, passed) = match category.score {
            Some(score) => (
                format!("{score:.1}"),
                format!(
                    "<svg class=\"bar\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" \
                     role=\"img\" aria-label=\"{score:.1} of 100\"><rect class=\"track\" \
                     width=\"100\" height=\"6\"/><rect class=\"fill {}\" width=\"{score:.1}\" \
                     height=\"6\"/></svg>",
                    band(score)
                ),
                format!(
                    "{}/{}",
                    category.checked - category.failed,
                    category.checked
                ),
            ),
            None => ("–".to_owned(), String::new(), "not applicable".to_owned()),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{score}</td><td>{bar}</td><td>{passed}</td></tr>",
            category.id.as_str()
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The bar's colour, by the grade bands: A green, B and C amber, below red.
fn band(score: f64) -> &'static str {
    match score {
        s if s >= 90.0 => "ok",
        s if s >= 70.0 => "warn",
        _ => "bad",
    }
}

/// Where a finding is: `path:line:column`, or the repository for something missing.
fn location(finding: &Finding) -> String {
    match (&finding.path, finding.line, finding.column) {
        (Some(path), Some(line), Some(column)) => format!("{}:{line}:{column}", escape(path)),
        (Some(path), _, _) => escape(path),
        _ => "(repository)".to_owned(),
    }
}

fn findings(out: &mut String, report: &Report, n: usize) {
    let counts = report.severity_summary();
    let _ = write!(out, "<h2>Findings ({}", report.findings.len());
    if !counts.is_empty() {
        let _ = write!(out, ": {counts}");
    }
    out.push_str(")</h2>\n");
    if report.findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
        return;
    }
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>severity</th><th>rule</th><th>where</th>\
         <th>what</th></tr></thead>\n<tbody>\n",
    );
    // Most severe first, as in the terminal; the sort is stable, so path order stays.
    let mut sorted: Vec<&Finding> = report.findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for finding in sorted {
        let object = finding.object.as_deref().map_or_else(String::new, |o| {
            format!("<div class=\"object\">{}</div>", escape(o))
        });
        let _ = writeln!(
            out,
            "<tr class=\"finding\"><td class=\"sev sev-{severity}\">{severity}</td>\
             <td>{}</td><td class=\"loc\">{}</td><td>{}{object}\
             <div class=\"help\">{}</div></td></tr>",
            rule_button(report, n, &finding.rule),
            location(finding),
            code_spans(&finding.message),
            code_spans(&finding.help),
            severity = finding.severity,
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The rule id as a button that shows or hides the rule's docs (`rules`), when it has them.
fn rule_button(report: &Report, n: usize, id: &str) -> String {
    match report.rule(id) {
        Some((k, _)) => format!(
            "<button type=\"button\" class=\"rule\" data-doc=\"doc-{n}-{k}\" \
             aria-controls=\"doc-{n}-{k}\" aria-expanded=\"false\">{}</button>",
            escape(id)
        ),
        None => format!("<span class=\"rule\">{}</span>", escape(id)),
    }
}

fn attestations(out: &mut String, report: &Report) {
    if report.attestations.is_empty() {
        return;
    }
    out.push_str("<h2>Attestations</h2>\n<ul class=\"attestations\">\n");
    for a in &report.attestations {
        let state = if a.expired {
            format!("<span class=\"failed\">expired on {}</span>", a.expires)
        } else {
            format!("until {}", a.expires)
        };
        // Evidence is shown as text, not a link: the page references nothing outside itself.
        let _ = writeln!(
            out,
            "<li><span class=\"rule\">{}</span> attested by {} on {} ({state}): <code>{}</code></li>",
            escape(&a.rule),
            escape(&a.by),
            escape(&a.date),
            escape(&a.evidence),
        );
    }
    out.push_str("</ul>\n");
}

fn suppressed(out: &mut String, report: &Report) {
    if report.suppressed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Suppressed ({})</h2>\n<ul class=\"suppressed\">",
        report.suppressed.len()
    );
    for s in &report.suppressed {
        let at = match (&s.path, s.line) {
            (Some(path), Some(line)) => format!("{}:{line}", escape(path)),
            (Some(path), None) => escape(path),
            _ => "(repository)".to_owned(),
        };
        let reason = s
            .reason
            .as_deref()
            .map_or_else(|| "no reason given".to_owned(), escape);
        let _ = writeln!(
            out,
            "<li><span class=\"rule\">{}</span> <span class=\"loc\">{at}</span> ({}): {reason}</li>",
            escape(&s.rule),
            s.how
        );
    }
    out.push_str("</ul>\n");
}

fn errors(out: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    out.push_str("<h2>Files that could not be read</h2>\n<ul class=\"errors\">\n");
    for e in &report.errors {
        let at = match (e.line, e.column) {
            (Some(line), Some(column)) => format!(":{line}:{column}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<li><span class=\"loc\">{}{at}</span>: {}</li>",
            escape(&e.path),
            escape(&e.message)
        );
    }
    out.push_str("</ul>\n");
}

/// Every rule with its status; its docs (summary, rationale, remediation) hidden until its
/// button — here or on a finding — is clicked.
fn rules(out: &mut String, report: &Report, n: usize) {
    out.push_str(
        "<h2>Rules</h2>\n<table class=\"rules\">\n<thead><tr><th>rule</th><th>category</th>\
         <th>severity</th><th>status</th></tr></thead>\n<tbody>\n",
    );
    for (k, rule) in report.rules.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"sev sev-{severity}\">{severity}</td>\
             <td class=\"status status-{status}\">{status}</td></tr>\n\
             <tr class=\"doc\" id=\"doc-{n}-{k}\" hidden><td colspan=\"4\">{}</td></tr>",
            rule_button(report, n, &rule.id),
            rule.category.as_str(),
            doc(rule),
            severity = rule.severity,
            status = status_name(rule.status),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn doc(rule: &RuleResult) -> String {
    let mut out = format!("<h3>{}</h3>", code_spans(&rule.title));
    for (heading, text) in [
        ("What it checks", &rule.summary),
        ("Why it matters", &rule.rationale),
        ("How to fix it", &rule.remediation),
    ] {
        if !text.is_empty() {
            let _ = write!(out, "<h4>{heading}</h4><p>{}</p>", code_spans(text));
        }
    }
    out
}

/// Escaped text whose paired backticks (rule messages mark code so) become `<code>`; with an
/// odd count the backticks stay as they are.
fn code_spans(text: &str) -> String {
    let escaped = escape(text);
    if !escaped.matches('`').count().is_multiple_of(2) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        match i % 2 {
            1 => {
                let _ = write!(out, "<code>{part}</code>");
            }
            _ => out.push_str(part),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::code_spans;

    #[test]
    fn code_spans_pair_up_and_markup_is_escaped() {
        assert_eq!(
            code_spans("set `USER <x>` now"),
            "set <code>USER &lt;x&gt;</code> now"
        );
        assert_eq!(code_spans("odd ` tick"), "odd ` tick");
    }
}
