//! Findings the team has accepted, taken out after evaluation: `[[ignore]]` entries of
//! golive.toml (until their expiry date) and the findings recorded in a `--baseline`. Both leave
//! the score and the gate like an inline suppression does.

use globset::GlobSet;

use crate::baseline::{Baseline, Entry};
use crate::engine::Rule;
use crate::engine::eval::{Evaluation, Finding, Status};
use crate::engine::suppress::{self, Suppression};
use crate::model::Document;
use crate::source::SourceFile;

/// An `[[ignore]]` entry of the settings file.
#[derive(Debug, Clone)]
pub struct ConfigIgnore {
    pub rule: String,
    pub paths: Option<GlobSet>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD`.
    pub until: Option<String>,
}

/// The entries whose `until` is before `today`, as (rule, until).
pub fn expired<'a>(
    ignores: &'a [ConfigIgnore],
    today: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    ignores.iter().filter_map(move |i| {
        let until = i.until.as_deref().filter(|u| *u < today)?;
        Some((i.rule.as_str(), until))
    })
}

/// `[[ignore]]` entries of golive.toml; an expired entry stops suppressing and says so.
pub fn apply_config_ignores(
    evaluation: &mut Evaluation,
    rules: &[Rule],
    files: &[SourceFile],
    ignores: &[ConfigIgnore],
    today: &str,
) {
    if ignores.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for mut finding in std::mem::take(&mut evaluation.findings) {
        let path = finding
            .loc
            .and_then(|l| files.get(l.file as usize))
            .map(|f| f.path.as_str());
        let entry = ignores.iter().find(|i| {
            i.rule == finding.rule
                && match (&i.paths, path) {
                    (None, _) => true,
                    (Some(globs), Some(path)) => globs.is_match(path),
                    (Some(_), None) => false,
                }
        });
        match entry {
            Some(entry) if entry.until.as_ref().is_some_and(|u| u.as_str() < today) => {
                let until = entry.until.as_deref().unwrap_or_default();
                finding.message.push_str(&format!(
                    " (the golive.toml ignore for this rule expired on {until})"
                ));
                kept.push(finding);
            }
            Some(entry) => {
                let why = Suppression {
                    reason: entry.reason.clone(),
                    at: None,
                    how: "config",
                };
                suppress_after_evaluation(evaluation, rules, finding, why);
            }
            None => kept.push(finding),
        }
    }
    evaluation.findings = kept;
}

/// Moves a finding to `suppressed` and takes it out of its rule's failures, so it leaves the
/// score and the gate like an inline suppression does.
fn suppress_after_evaluation(
    evaluation: &mut Evaluation,
    rules: &[Rule],
    finding: Finding,
    why: Suppression,
) {
    if let Some(position) = rules.iter().position(|r| r.id == finding.rule) {
        let outcome = &mut evaluation.outcomes[position];
        outcome.failed = outcome.failed.saturating_sub(1);
        if outcome.failed == 0 {
            outcome.status = Status::Suppressed;
        }
    }
    evaluation.suppressed.push((finding, why));
}

/// `--baseline`: findings recorded in the baseline are suppressed; see `baseline.rs`.
pub fn apply_baseline(
    evaluation: &mut Evaluation,
    rules: &[Rule],
    files: &[SourceFile],
    baseline: &Baseline,
) {
    let findings = std::mem::take(&mut evaluation.findings);
    let keys: Vec<Entry> = findings.iter().map(|f| baseline_key(files, f)).collect();
    for (finding, known) in findings.into_iter().zip(baseline.covers(&keys)) {
        if known {
            let why = Suppression {
                reason: Some("recorded in the baseline".to_owned()),
                at: None,
                how: "baseline",
            };
            suppress_after_evaluation(evaluation, rules, finding, why);
        } else {
            evaluation.findings.push(finding);
        }
    }
}

fn baseline_key(files: &[SourceFile], finding: &Finding) -> Entry {
    let place = finding.loc.and_then(|loc| {
        let file = files.get(loc.file as usize)?;
        let line = file.position(loc.span.start as usize).line;
        Some((file.path.as_str(), file.line_text(line)))
    });
    Entry::new(
        &finding.rule,
        place.map(|(path, _)| path),
        finding.object.as_deref(),
        &finding.message,
        place.and_then(|(_, text)| text),
    )
}

/// Suppressions written in the files plus `[[ignore]]` entries: the repo's
/// `facts.suppressions`, so `suppression-has-reason` can ask each for a reason.
pub fn suppressions_written(
    index: &suppress::Index,
    files: &[SourceFile],
    documents: &[Document],
    ignores: &[ConfigIgnore],
) -> Vec<suppress::Written> {
    let mut written = suppress::written(index, files, documents);
    written.extend(ignores.iter().map(|entry| suppress::Written {
        loc: None,
        rules: entry.rule.clone(),
        how: "config",
        reason: entry.reason.clone(),
    }));
    written
}
