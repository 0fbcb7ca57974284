//! An evaluation → the `Report`: every finding located (line, column, end) and sorted, the
//! outcomes scored, the gate decided, the texts findings point into kept for the snippets.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::{
    Artifact, Attestation, ExpiredIgnore, FileError, Finding, Location, Report, RuleResult,
    SCHEMA_VERSION, Suppressed, Tool,
};
use crate::engine::Rule;
use crate::engine::eval::{self, Evaluation, Status};
use crate::score::{self, GateSettings};
use crate::source::{Loc, SourceFile, escape_controls};

fn location(files: &[SourceFile], loc: Loc) -> Option<Location> {
    let file = files.get(loc.file as usize)?;
    let start = file.position(loc.span.start as usize);
    // A span that runs over several lines is shown as its first line: the label stays readable.
    let first_line_end = file.text[loc.span.start as usize..]
        .find('\n')
        .map_or(file.text.len(), |i| loc.span.start as usize + i);
    let end_offset = (loc.span.end as usize)
        .min(first_line_end)
        .max(loc.span.start as usize);
    let end = file.position(end_offset);
    Some(Location {
        path: file.path.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        offset: loc.span.start as usize,
        length: end_offset - loc.span.start as usize,
    })
}

fn to_finding(files: &[SourceFile], finding: eval::Finding) -> Finding {
    let location = finding.loc.and_then(|loc| location(files, loc));
    Finding {
        rule: finding.rule,
        category: finding.category,
        severity: finding.severity,
        message: finding.message,
        path: location.as_ref().map(|l| l.path.clone()),
        line: location.as_ref().map(|l| l.line),
        column: location.as_ref().map(|l| l.column),
        end_line: location.as_ref().map(|l| l.end_line),
        end_column: location.as_ref().map(|l| l.end_column),
        object: finding.object.map(|o| escape_controls(&o).into_owned()),
        help: finding.help,
        location,
        redact: finding.redact,
    }
}

/// What a scan produced besides its evaluation, for the report.
pub struct Scanned<'a> {
    pub target: &'a str,
    /// The rules evaluated, in evaluation order.
    pub rules: &'a [Rule],
    /// Rules the settings turned off: listed as `disabled`.
    pub disabled: Vec<&'a Rule>,
    pub gate: &'a GateSettings,
    /// `[[ignore]]` entries past their date, as (rule, until).
    pub expired_ignores: Vec<(&'a str, &'a str)>,
    /// `[[attest]]` sign-offs and the day they are judged on.
    pub attestations: &'a [crate::attest::Attestation],
    pub today: &'a str,
    pub files: &'a [SourceFile],
    pub artifacts: Vec<Artifact>,
    pub errors: Vec<FileError>,
    /// Per document: the object it is and its rank among copies of it (see
    /// `Evaluation::merge_copies`).
    pub copies: Vec<Option<(u128, u64)>>,
    /// The monorepo root's files a fleet service inherited.
    pub inherited: Vec<super::Inherited>,
}

/// The report of a scan: findings located and sorted, outcomes scored, the gate decided.
pub fn build(scanned: Scanned<'_>, mut evaluation: Evaluation) -> Report {
    let Scanned {
        target,
        rules,
        disabled,
        gate,
        expired_ignores,
        attestations,
        today,
        files,
        artifacts,
        errors,
        copies,
        inherited,
    } = scanned;
    evaluation.count_failed_units(rules);
    evaluation.merge_copies(rules, &copies);
    let score = score::overall(rules, &evaluation.outcomes);
    let categories = score::categories(rules, &evaluation.outcomes);
    // A monorepo's report holds tens of thousands of findings, each located by line and column.
    let mut findings: Vec<Finding> = evaluation
        .findings
        .into_par_iter()
        .map(|f| to_finding(files, f))
        .collect();
    findings.par_sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule, &a.message)
            .cmp(&(&b.path, b.line, b.column, &b.rule, &b.message))
    });
    let severities: Vec<_> = findings.iter().map(|f| f.severity).collect();
    let gate = score::gate(
        gate,
        &score::GateInput {
            score,
            categories: &categories,
            severities: &severities,
            errors: errors.len(),
            only_new: false,
        },
    );
    let mut suppressed: Vec<Suppressed> = evaluation
        .suppressed
        .into_iter()
        .map(|(finding, why)| {
            let finding = to_finding(files, finding);
            Suppressed {
                rule: finding.rule,
                path: finding.path,
                line: finding.line,
                object: finding.object,
                reason: why.reason.map(|r| escape_controls(&r).into_owned()),
                how: why.how,
                message: finding.message,
            }
        })
        .collect();
    suppressed.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    let mut rule_results: Vec<RuleResult> = rules
        .iter()
        .zip(&evaluation.outcomes)
        .map(|(rule, outcome)| RuleResult {
            id: rule.id.clone(),
            category: rule.category,
            severity: rule.severity,
            status: outcome.status,
            checked: outcome.checked,
            failed: outcome.failed,
            title: rule.title.clone(),
            summary: rule.docs.summary.clone(),
            rationale: rule.docs.rationale.clone(),
            remediation: rule.docs.remediation.clone(),
        })
        .collect();
    for rule in disabled {
        rule_results.push(RuleResult {
            id: rule.id.clone(),
            category: rule.category,
            severity: rule.severity,
            status: Status::Disabled,
            checked: 0,
            failed: 0,
            title: rule.title.clone(),
            summary: rule.docs.summary.clone(),
            rationale: rule.docs.rationale.clone(),
            remediation: rule.docs.remediation.clone(),
        });
    }
    rule_results.sort_by(|a, b| (a.category, &a.id).cmp(&(b.category, &b.id)));
    let expired_ignores = expired_ignores
        .into_iter()
        .map(|(rule, until)| ExpiredIgnore {
            rule: rule.to_owned(),
            until: until.to_owned(),
        })
        .collect();
    let mut attestations: Vec<Attestation> = attestations
        .iter()
        .map(|a| Attestation {
            rule: a.rule.clone(),
            by: escape_controls(&a.by).into_owned(),
            date: a.date.clone(),
            expires: a.expires.clone(),
            evidence: escape_controls(&a.evidence).into_owned(),
            expired: a.expired(today),
        })
        .collect();
    attestations
        .sort_by(|a, b| (&a.rule, &a.date, &a.expires).cmp(&(&b.rule, &b.date, &b.expires)));
    // Files are sorted by path, so the file of a location is found by binary search.
    let sources: BTreeMap<String, Arc<str>> = findings
        .iter()
        .filter_map(|f| f.location.as_ref())
        .filter_map(|l| {
            let at = files
                .binary_search_by(|f| f.path.as_str().cmp(&l.path))
                .ok()
                .filter(|at| !files[*at].is_dropped())?;
            Some((l.path.clone(), files[at].text.clone()))
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        target: target.to_owned(),
        score,
        grade: score::grade(score),
        gate,
        categories,
        rules: rule_results,
        findings,
        suppressed,
        expired_ignores,
        attestations,
        artifacts,
        errors,
        inherited,
        comparison: None,
        sources,
    }
}
