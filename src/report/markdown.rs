//! `--format markdown`: the report as a pull-request comment or GitHub step summary — verdict,
//! a per-category table, findings grouped by category with links to their lines.
//!
//! Text from scanned files is escaped so it renders as text: Markdown punctuation and HTML are
//! neutralised, table cells escape `|`, newlines become spaces. Rule messages mark code with
//! backticks; those code spans are kept when the backticks pair up (their content is literal
//! in Markdown, so it cannot inject markup), else every backtick is escaped too. Links are
//! relative to the directory golive ran in unless `link_base` is given (`main.rs` passes the
//! commit's blob URL on GitHub Actions, where relative links in a summary would not resolve).

use std::fmt::Write as _;
use std::io;

use super::stream::{self, Spool};
use super::{Finding, Report, clean, uri_path};
use crate::engine::Category;

pub fn render(reports: &[Report], link_base: Option<&str>) -> String {
    stream::render(reports, Stream::new(reports.len() > 1, link_base))
}

/// Each report as it comes; with `several` reports a fleet table comes first, so their text is
/// spooled until the table's rows are all in.
pub struct Stream {
    link_base: String,
    fleet: Option<(Vec<String>, Spool)>,
    written: usize,
}

impl Stream {
    pub fn new(several: bool, link_base: Option<&str>) -> Stream {
        Stream {
            link_base: link_base.unwrap_or("").to_owned(),
            fleet: several.then(|| (Vec::new(), Spool::default())),
            written: 0,
        }
    }
}

impl stream::Stream for Stream {
    fn report(&mut self, out: &mut dyn io::Write, report: &Report) -> io::Result<()> {
        let mut text = String::new();
        if self.written > 0 || self.fleet.is_some() {
            text.push('\n');
        }
        self.written += 1;
        render_one(&mut text, report, &self.link_base);
        match &mut self.fleet {
            Some((rows, spool)) => {
                rows.push(format!(
                    "| {} | {:.1} | {} | {} | {} |",
                    cell(&report.target),
                    report.score,
                    report.grade,
                    verdict(report),
                    report.findings.len()
                ));
                spool.write_all(text.as_bytes())
            }
            None => out.write_all(text.as_bytes()),
        }
    }

    fn finish(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        let Some((rows, spool)) = &mut self.fleet else {
            return Ok(());
        };
        out.write_all(b"## golive: fleet\n\n| service | score | grade | gate | findings |\n")?;
        out.write_all(b"|---|---:|:---:|---|---:|\n")?;
        for row in rows.iter() {
            writeln!(out, "{row}")?;
        }
        spool.copy_to(out)
    }
}

fn verdict(report: &Report) -> &'static str {
    if report.gate.passed {
        "✅ passed"
    } else {
        "❌ failed"
    }
}

fn render_one(out: &mut String, report: &Report, link_base: &str) {
    let _ = writeln!(
        out,
        "## golive: {} — score {:.1}/100, grade {}, gate {}\n",
        text(&report.target),
        report.score,
        report.grade,
        verdict(report)
    );
    for reason in &report.gate.reasons {
        let _ = writeln!(out, "- {}", text(reason));
    }
    if !report.gate.reasons.is_empty() {
        out.push('\n');
    }
    comparison(out, report, link_base);
    category_table(out, report);
    findings(out, report, link_base);
    suppressed(out, report, link_base);
    errors(out, report, link_base);
    inherited(out, report, link_base);
}

/// Fleet mode: the monorepo root's files the service inherited, each linked.
fn inherited(out: &mut String, report: &Report, link_base: &str) {
    if report.inherited.is_empty() {
        return;
    }
    let files: Vec<String> = report
        .inherited
        .iter()
        .map(|i| {
            format!(
                "{} ({})",
                link(report, &i.path, None, link_base),
                i.evidence
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\nInherited from the monorepo root: {}",
        files.join(", ")
    );
}

fn category_table(out: &mut String, report: &Report) {
    out.push_str("| category | score | rules passed | findings |\n|---|---:|---:|---:|\n");
    for category in &report.categories {
        let (score, passed) = match category.score {
            Some(score) => (
                format!("{score:.1}"),
                format!(
                    "{}/{}",
                    category.checked - category.failed,
                    category.checked
                ),
            ),
            None => ("–".to_owned(), "not applicable".to_owned()),
        };
        let count = report
            .findings
            .iter()
            .filter(|f| f.category == category.id)
            .count();
        let _ = writeln!(
            out,
            "| {} | {score} | {passed} | {count} |",
            category.id.as_str()
        );
    }
}

fn findings(out: &mut String, report: &Report, link_base: &str) {
    let counts = report.severity_summary();
    let _ = write!(out, "\n### Findings ({}", report.findings.len());
    if !counts.is_empty() {
        let _ = write!(out, ": {counts}");
    }
    out.push_str(")\n");
    for category in Category::ALL {
        let mut in_category: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.category == category)
            .collect();
        // Most severe first: a reviewer reads the top of the list.
        in_category.sort_by_key(|f| std::cmp::Reverse(f.severity));
        if in_category.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n#### {} ({})\n",
            category.as_str(),
            in_category.len()
        );
        for finding in in_category {
            let _ = writeln!(out, "- {}", finding_line(report, finding, link_base));
        }
    }
}

fn finding_line(report: &Report, finding: &Finding, link_base: &str) -> String {
    let place = match (&finding.path, finding.line) {
        (Some(path), line) => link(report, path, line, link_base),
        (None, _) => "repository".to_owned(),
    };
    format!(
        "**{}** `{}` {} — {place}",
        finding.severity,
        finding.rule,
        text(&finding.message)
    )
}

/// `--compare`: the score change and each new and fixed finding.
fn comparison(out: &mut String, report: &Report, link_base: &str) {
    let Some(comparison) = &report.comparison else {
        return;
    };
    let change = match (&comparison.previous, comparison.score_delta) {
        (Some(previous), Some(delta)) => {
            format!(
                "score {:.1} → {:.1} ({delta:+.1})",
                previous.score, report.score
            )
        }
        _ => "no previous report of this service".to_owned(),
    };
    let _ = writeln!(
        out,
        "### Since {}: {change}, {} new, {} fixed\n",
        text(&comparison.file),
        comparison.new.len(),
        comparison.fixed.len()
    );
    let rows = (comparison.new.iter().map(|f| ("new", f)))
        .chain(comparison.fixed.iter().map(|f| ("fixed", f)));
    for (what, finding) in rows {
        let _ = writeln!(
            out,
            "- {what}: {}",
            finding_line(report, finding, link_base)
        );
    }
    if !comparison.new.is_empty() || !comparison.fixed.is_empty() {
        out.push('\n');
    }
}

fn suppressed(out: &mut String, report: &Report, link_base: &str) {
    if report.suppressed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n<details><summary>{} suppressed</summary>\n",
        report.suppressed.len()
    );
    for s in &report.suppressed {
        let place = match &s.path {
            Some(path) => link(report, path, s.line, link_base),
            None => "repository".to_owned(),
        };
        let reason = s
            .reason
            .as_deref()
            .map_or("no reason given".to_owned(), text);
        let _ = writeln!(out, "- `{}` {place}: {reason} ({})", s.rule, s.how);
    }
    out.push_str("\n</details>\n");
}

fn errors(out: &mut String, report: &Report, link_base: &str) {
    if report.errors.is_empty() {
        return;
    }
    out.push_str("\n### Files golive could not read\n\n");
    for error in &report.errors {
        let _ = writeln!(
            out,
            "- {}: {}",
            link(report, &error.path, error.line, link_base),
            text(&error.message)
        );
    }
}

/// `[path:line](path#Lline)`, the link target percent-encoded so no path can break out of it.
fn link(report: &Report, path: &str, line: Option<usize>, link_base: &str) -> String {
    let path = report.ci_path(path);
    match line {
        Some(line) => format!(
            "[{}]({link_base}{}#L{line})",
            text(&format!("{path}:{line}")),
            uri_path(&path)
        ),
        None => format!("[{}]({link_base}{})", text(&path), uri_path(&path)),
    }
}

/// Text for a table cell: `|` is escaped even inside code spans, since GFM splits cells first.
fn cell(raw: &str) -> String {
    inline(raw, true)
}

/// Inline text: control characters made visible, newlines flattened, Markdown and HTML
/// neutralised; paired backticks stay code spans.
pub fn text(raw: &str) -> String {
    inline(raw, false)
}

fn inline(raw: &str, table: bool) -> String {
    let flat = clean(raw).replace('\n', " ");
    let keep_code = flat.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(flat.len());
    for (i, part) in flat.split('`').enumerate() {
        if keep_code && i % 2 == 1 {
            if !part.is_empty() {
                out.push('`');
                if table {
                    out.push_str(&part.replace('|', "\\|"));
                } else {
                    out.push_str(part);
                }
                out.push('`');
            }
            continue;
        }
        if !keep_code && i > 0 {
            out.push_str("\\`");
        }
        for c in part.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\\' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    out
}
