//! `check --compare PREVIOUS.json`, the ratchet: what changed since an earlier JSON report of
//! the same service — the score delta, the findings that are new and those that were fixed —
//! and a gate that judges the change instead of the debt.
//!
//! Findings are matched like a baseline's tolerant pass (`Baseline::covers_by_message`): by
//! rule, path, object and message, counting copies, never by line, so code moving above a
//! finding neither makes it new nor fixed. A JSON report keeps no file texts, so the baseline's
//! line-text hash cannot be used here.
//!
//! The compared gate fails when the score dropped at all (scores are compared at the report's
//! one decimal), or when a *new* finding is at or above `fail_on`; findings the previous report
//! already had are accepted debt. `min_score`, category minimums and `--strict` apply as
//! without `--compare`.
//!
//! In a fleet each service is compared with the previous report of the same target; failing
//! that, with the one whose target ends with the other's folders (`services/cart` and
//! `mono/services/cart`), when exactly one does. A service the previous file lacks is new: it
//! has no score delta and all its findings are new. A single report compared with a single
//! report is matched whatever their targets (the same repository checked out elsewhere).

use std::path::Path;

use crate::baseline::{Baseline, Entry};
use crate::report::{Comparison, Finding, PreviousReport, Report, merge};
use crate::score::{self, GateSettings};

/// The reports of a `--compare` file.
pub struct Previous {
    file: String,
    reports: Vec<Report>,
}

impl Previous {
    /// Reads a single or fleet JSON report of this golive version; anything else is an error
    /// naming the file.
    pub fn load(path: &Path) -> miette::Result<Previous> {
        let file = path.display().to_string();
        let help = format!("write one with `golive check --format json={file}`");
        let text = std::fs::read_to_string(path).map_err(|e| {
            miette::miette!(
                help = help.clone(),
                "cannot read previous report {file}: {e}"
            )
        })?;
        let reports = merge::read(&text)
            .map_err(|e| miette::miette!(help = help, "{file} cannot be compared with: {e}"))?;
        Ok(Previous { file, reports })
    }

    /// Adds the comparison to `report` and decides its gate again. `alone`: the run scores
    /// one repository, not a fleet.
    pub fn apply(&self, report: &mut Report, gate: &GateSettings, alone: bool) {
        let previous = self.report_of(&report.target, alone);
        let (new, fixed) = match previous {
            Some(previous) => (
                unmatched(&report.findings, &previous.findings),
                unmatched(&previous.findings, &report.findings),
            ),
            None => (report.findings.clone(), Vec::new()),
        };
        let score_delta = previous.map(|p| score::round(report.score - p.score));
        let severities: Vec<_> = new.iter().map(|f| f.severity).collect();
        report.gate = score::gate(
            gate,
            &score::GateInput {
                score: report.score,
                categories: &report.categories,
                severities: &severities,
                errors: report.errors.len(),
                only_new: true,
            },
        );
        if let (Some(delta), Some(previous)) = (score_delta.filter(|d| *d < 0.0), previous) {
            report.gate.passed = false;
            report.gate.reasons.push(format!(
                "score dropped by {:.1} since {} ({:.1} → {:.1})",
                -delta, self.file, previous.score, report.score
            ));
        }
        report.comparison = Some(Comparison {
            file: self.file.clone(),
            previous: previous.map(|p| PreviousReport {
                target: p.target.clone(),
                score: p.score,
                grade: p.grade,
            }),
            score_delta,
            new,
            fixed,
        });
    }

    fn report_of(&self, target: &str, alone: bool) -> Option<&Report> {
        if let ([only], true) = (self.reports.as_slice(), alone) {
            return Some(only);
        }
        let target = folders(target);
        if let Some(same) = self.reports.iter().find(|r| folders(&r.target) == target) {
            return Some(same);
        }
        let mut nested = self.reports.iter().filter(|r| {
            let other = folders(&r.target);
            let within = other.ends_with(&target) || target.ends_with(&other);
            within && !other.is_empty() && !target.is_empty()
        });
        match (nested.next(), nested.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// A target's folders, without `.` steps and separators, so `./a/b/` and `a\b` are one target.
fn folders(target: &str) -> Vec<&str> {
    target
        .split(['/', '\\'])
        .filter(|part| !part.is_empty() && *part != ".")
        .collect()
}

/// The findings of `these` that `those` does not have.
fn unmatched(these: &[Finding], those: &[Finding]) -> Vec<Finding> {
    let entry = |f: &Finding| {
        Entry::new(
            &f.rule,
            f.path.as_deref(),
            f.object.as_deref(),
            &f.message,
            None,
        )
    };
    let known = Baseline::new(those.iter().map(entry).collect());
    let covered = known.covers_by_message(&these.iter().map(entry).collect::<Vec<_>>());
    these
        .iter()
        .zip(covered)
        .filter(|(_, covered)| !covered)
        .map(|(f, _)| f.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::folders;

    #[test]
    fn targets_compare_by_folders() {
        assert_eq!(
            folders("./mono/services/cart/"),
            ["mono", "services", "cart"]
        );
        assert_eq!(folders("."), Vec::<&str>::new());
        assert_eq!(folders("a\\b"), ["a", "b"]);
    }
}
