//! `golive checklist`: the report as a launch-review document — one item per rule, in category
//! order, with its status (`passed`, `failed`, `attested`, `suppressed`, `not_applicable`) and
//! the evidence behind it: the file:line of each finding or suppression, the sign-off of an
//! attested rule. Rendered for a terminal, as Markdown task lists, or as JSON.
//!
//! A disabled rule is `not_applicable` with a note saying so; a rule with nothing to check but a
//! current sign-off is `attested`, since the sign-off is what a reviewer needs to see.

use std::fmt::Write;

use super::markdown::text as markdown_text;
use super::{Attestation, Report, RuleResult, SCHEMA_VERSION, Suppressed, clean};
use crate::engine::eval::Status;
use crate::engine::{Category, Severity};
use crate::score::Gate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Passed,
    Failed,
    Attested,
    Suppressed,
    NotApplicable,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Passed => "passed",
            ItemStatus::Failed => "failed",
            ItemStatus::Attested => "attested",
            ItemStatus::Suppressed => "suppressed",
            ItemStatus::NotApplicable => "not_applicable",
        }
    }

    const ALL: [ItemStatus; 5] = [
        ItemStatus::Passed,
        ItemStatus::Failed,
        ItemStatus::Attested,
        ItemStatus::Suppressed,
        ItemStatus::NotApplicable,
    ];
}

/// A place that shows why an item has its status; `path: null` is the repository as a whole.
#[derive(Debug, serde::Serialize)]
pub struct Evidence {
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

#[derive(Debug, serde::Serialize)]
pub struct Item<'a> {
    pub rule: &'a str,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub status: ItemStatus,
    /// What the status rests on when no place shows it (`3 checked`, `disabled in the settings`).
    pub note: Option<String>,
    pub evidence: Vec<Evidence>,
    pub attestation: Option<&'a Attestation>,
}

#[derive(Debug, serde::Serialize)]
pub struct Checklist<'a> {
    pub schema_version: u32,
    pub target: String,
    pub score: f64,
    pub grade: &'a str,
    pub gate: &'a Gate,
    pub items: Vec<Item<'a>>,
}

impl Checklist<'_> {
    /// The items of each category that has any, in category order.
    fn by_category(&self) -> impl Iterator<Item = (Category, Vec<&Item<'_>>)> {
        Category::ALL.into_iter().filter_map(|category| {
            let items: Vec<&Item<'_>> = self
                .items
                .iter()
                .filter(|i| i.category == category)
                .collect();
            (!items.is_empty()).then_some((category, items))
        })
    }

    pub fn of(report: &Report) -> Checklist<'_> {
        Checklist {
            schema_version: SCHEMA_VERSION,
            target: clean(&report.target),
            score: report.score,
            grade: report.grade,
            gate: &report.gate,
            items: report.rules.iter().map(|r| item(report, r)).collect(),
        }
    }

    fn count(&self, status: ItemStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }
}

fn item<'a>(report: &'a Report, rule: &'a RuleResult) -> Item<'a> {
    let attestation = report.attestation(&rule.id);
    let current = attestation.filter(|a| !a.expired);
    let status = match rule.status {
        Status::Passed => ItemStatus::Passed,
        Status::Failed => ItemStatus::Failed,
        Status::Suppressed => ItemStatus::Suppressed,
        Status::Attested => ItemStatus::Attested,
        Status::NotApplicable if current.is_some() => ItemStatus::Attested,
        Status::NotApplicable | Status::Disabled => ItemStatus::NotApplicable,
    };
    let findings = report.findings.iter().filter(|f| f.rule == rule.id);
    let suppressed = report.suppressed.iter().filter(|s| s.rule == rule.id);
    let mut evidence: Vec<Evidence> = findings
        .map(|f| Evidence {
            path: f.path.as_deref().map(clean),
            line: f.line,
            column: f.column,
            message: clean(&f.message),
        })
        .collect();
    evidence.extend(suppressed.map(|s| Evidence {
        path: s.path.as_deref().map(clean),
        line: s.line,
        column: None,
        message: suppressed_message(s),
    }));
    let note = match rule.status {
        Status::Disabled => Some("disabled in the settings".to_owned()),
        Status::NotApplicable => Some("nothing to check".to_owned()),
        Status::Passed => Some(format!("{} checked", rule.checked)),
        _ => None,
    };
    Item {
        rule: &rule.id,
        title: clean(&rule.title),
        category: rule.category,
        severity: rule.severity,
        status,
        note,
        evidence,
        attestation,
    }
}

/// What a suppressed finding said and what took it out (the sign-off itself is shown once, on
/// the item). A merged report has no finding texts: the reason stands in.
fn suppressed_message(s: &Suppressed) -> String {
    let reason = clean(s.reason.as_deref().unwrap_or("no reason given"));
    match (s.message.is_empty(), s.how) {
        (true, how) => format!("{reason} ({how})"),
        (false, "attestation") => format!("{} (covered by the attestation)", clean(&s.message)),
        (false, how) => format!("{} (suppressed by {how}: {reason})", clean(&s.message)),
    }
}

fn place(evidence: &Evidence) -> String {
    match (&evidence.path, evidence.line, evidence.column) {
        (Some(path), Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        (Some(path), Some(line), None) => format!("{path}:{line}"),
        (Some(path), None, _) => path.clone(),
        (None, _, _) => "(repository)".to_owned(),
    }
}

fn signoff(attestation: &Attestation) -> String {
    let by = clean(&attestation.by);
    let evidence = clean(&attestation.evidence);
    if attestation.expired {
        format!(
            "attestation by {by} on {} expired on {}: {evidence}",
            attestation.date, attestation.expires
        )
    } else {
        format!(
            "attested by {by} on {} (until {}): {evidence}",
            attestation.date, attestation.expires
        )
    }
}

fn tally(checklist: &Checklist<'_>) -> String {
    let counts: Vec<String> = ItemStatus::ALL
        .into_iter()
        .map(|s| format!("{} {}", checklist.count(s), s.as_str().replace('_', " ")))
        .collect();
    format!("{} items: {}", checklist.items.len(), counts.join(", "))
}

fn verdict(gate: &Gate) -> &'static str {
    if gate.passed { "PASSED" } else { "FAILED" }
}

/// For a terminal: a heading per category, an aligned line per rule, its evidence below.
pub fn human(checklist: &Checklist<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "golive checklist {}\nscore {:.1}/100  grade {}  gate {}\n{}",
        checklist.target,
        checklist.score,
        checklist.grade,
        verdict(checklist.gate),
        tally(checklist)
    );
    let width = checklist
        .items
        .iter()
        .map(|i| i.rule.len())
        .max()
        .unwrap_or(0);
    for (category, items) in checklist.by_category() {
        let _ = writeln!(out, "\n{}", category.as_str());
        for item in items {
            let _ = writeln!(
                out,
                "  {:<14} {:<width$}  {}",
                item.status.as_str().replace('_', " "),
                item.rule,
                item.title
            );
            let indent = " ".repeat(17);
            if let Some(attestation) = item.attestation {
                let _ = writeln!(out, "{indent}{}", signoff(attestation));
            }
            for evidence in &item.evidence {
                let _ = writeln!(out, "{indent}{}  {}", place(evidence), evidence.message);
            }
            if let Some(note) = &item.note {
                let _ = writeln!(out, "{indent}({note})");
            }
        }
    }
    out
}

/// A launch-review document: a task list per category; only failed items are left unticked,
/// the others are done, signed off, accepted with a reason or have nothing to check.
pub fn markdown(checklist: &Checklist<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Go-live checklist: {}\n\nScore **{:.1}/100**, grade **{}**, gate **{}**. {}.",
        markdown_text(&checklist.target),
        checklist.score,
        checklist.grade,
        verdict(checklist.gate).to_lowercase(),
        tally(checklist)
    );
    for (category, items) in checklist.by_category() {
        let _ = writeln!(out, "\n## {}\n", category.as_str());
        for item in items {
            let done = item.status != ItemStatus::Failed;
            let _ = writeln!(
                out,
                "- [{}] **{}** `{}` ({}): {}",
                if done { "x" } else { " " },
                item.status.as_str().replace('_', " "),
                item.rule,
                item.severity,
                markdown_text(&item.title)
            );
            if let Some(attestation) = item.attestation {
                let _ = writeln!(out, "  - {}", markdown_text(&signoff(attestation)));
            }
            for evidence in &item.evidence {
                let _ = writeln!(
                    out,
                    "  - {}: {}",
                    markdown_text(&place(evidence)),
                    markdown_text(&evidence.message)
                );
            }
            if let Some(note) = &item.note {
                let _ = writeln!(out, "  - {}", markdown_text(note));
            }
        }
    }
    out
}

/// The checklist as JSON (`schema_version` 1): `target`, `score`, `grade`, `gate` and `items`.
pub fn json(checklist: &Checklist<'_>) -> String {
    let mut text = serde_json::to_string_pretty(checklist).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
