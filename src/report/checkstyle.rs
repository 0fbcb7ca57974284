//! `--format checkstyle`: Checkstyle XML, the lingua franca of review bots and CI warning
//! collectors (reviewdog, Jenkins Warnings NG, SonarQube imports).
//!
//! One `<file>` per path, sorted, from every report; each finding is an `<error>` with
//! `source="golive.<rule-id>"`. Checkstyle has no notion of a repository-wide finding, so
//! those (`path: null`) sit under the scanned root directory (`.`) without a line. Parse errors
//! are `<error source="golive.parse-error">`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::stream;
use super::xml::escape;
use super::{InheritedOnce, Report, ci_root, level};

/// One `<error>` element before it is written.
struct Entry {
    line: Option<usize>,
    column: Option<usize>,
    severity: &'static str,
    message: String,
    source: String,
}

pub fn render(reports: &[Report]) -> String {
    stream::render(
        reports,
        Stream::new(reports.iter().map(|r| r.target.as_str())),
    )
}

/// `<file>` elements sorted by path across reports, written as soon as no later report can add
/// to them: every path of a report starts with its CI root (`services/a/…`), so a path below
/// the smallest root still to come is complete. A fleet holds about one service's files.
pub struct Stream {
    /// For each report still to come, the smallest CI root of it and of those after it.
    lower_bounds: std::vec::IntoIter<String>,
    files: BTreeMap<String, Vec<Entry>>,
    /// A finding about a root file a fleet's services inherit is listed once.
    inherited: InheritedOnce,
}

impl Stream {
    /// `targets`: the targets of the reports to come, in order.
    pub fn new<'a>(targets: impl DoubleEndedIterator<Item = &'a str>) -> Stream {
        let mut smallest: Option<String> = None;
        let mut lower_bounds: Vec<String> = targets
            .rev()
            .map(|target| {
                // A report without a CI root has paths as they are: any path can still come.
                let root = ci_root(target).unwrap_or_default();
                let bound = match smallest.take() {
                    Some(later) if later < root => later,
                    _ => root,
                };
                smallest = Some(bound.clone());
                bound
            })
            .collect();
        lower_bounds.reverse();
        Stream {
            lower_bounds: lower_bounds.into_iter(),
            files: BTreeMap::new(),
            inherited: InheritedOnce::default(),
        }
    }

    fn add(&mut self, report: &Report) {
        let files = &mut self.files;
        for (finding, fingerprint) in report.findings.iter().zip(report.fingerprints()) {
            if !self.inherited.first(finding, &fingerprint) {
                continue;
            }
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

    /// Writes and forgets the files whose paths sort before `bound` (all of them: `None`).
    fn flush(&mut self, out: &mut dyn Write, bound: Option<&str>) -> io::Result<()> {
        let done = match bound {
            Some(bound) => {
                let later = self.files.split_off(bound);
                std::mem::replace(&mut self.files, later)
            }
            None => std::mem::take(&mut self.files),
        };
        let mut text = String::new();
        for (path, entries) in done {
            file(&mut text, &path, &entries);
        }
        out.write_all(text.as_bytes())
    }
}

impl stream::Stream for Stream {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n")
    }

    fn report(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        self.lower_bounds.next();
        self.add(report);
        let bound = self.lower_bounds.as_slice().first().cloned();
        match bound {
            Some(bound) => self.flush(out, Some(&bound)),
            None => Ok(()),
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.flush(out, None)?;
        out.write_all(b"</checkstyle>\n")
    }
}

fn file(out: &mut String, path: &str, entries: &[Entry]) {
    let _ = writeln!(out, "  <file name=\"{}\">", escape(path));
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
