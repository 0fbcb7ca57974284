//! Attestations (`[[attest]]` in golive.toml): a person signs off a rule as met in ways golive
//! cannot see — a restore drill ran, alert thresholds were tuned — with evidence and an expiry
//! day. A current sign-off counts its rule as met in the score and the gate; the findings it
//! covers stay listed in `suppressed` (how `attestation`). Past its expiry day it counts no
//! more: the rule's findings come back saying when the sign-off expired.

use crate::engine::Rule;
use crate::engine::eval::{Evaluation, Status};
use crate::engine::suppress::Suppression;

/// One validated `[[attest]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub rule: String,
    pub by: String,
    /// `YYYY-MM-DD`: the day of the sign-off.
    pub date: String,
    /// `YYYY-MM-DD`: the last day it counts.
    pub expires: String,
    pub evidence: String,
}

impl Attestation {
    /// Dates are `YYYY-MM-DD`, so text order is day order.
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_str() < today
    }
}

/// The sign-off of `rule` that counts on `today` (the one valid longest), else the expired one
/// that ran out last, as (attestation, expired).
pub fn standing<'a>(
    attestations: &'a [Attestation],
    rule: &str,
    today: &str,
) -> Option<(&'a Attestation, bool)> {
    attestations
        .iter()
        .filter(|a| a.rule == rule)
        .max_by(|a, b| {
            (!a.expired(today), &a.expires, &a.date).cmp(&(!b.expired(today), &b.expires, &b.date))
        })
        .map(|a| (a, a.expired(today)))
}

/// Applies the sign-offs to an evaluation: rules with a current one are met, the findings of
/// rules whose sign-off expired say so.
pub fn apply(
    evaluation: &mut Evaluation,
    rules: &[Rule],
    attestations: &[Attestation],
    today: &str,
) {
    if attestations.is_empty() {
        return;
    }
    for (rule, outcome) in rules.iter().zip(&mut evaluation.outcomes) {
        if let Some((_, false)) = standing(attestations, &rule.id, today) {
            outcome.failed = 0;
            if !matches!(outcome.status, Status::NotApplicable | Status::Disabled) {
                outcome.status = Status::Attested;
            }
        }
    }
    let mut kept = Vec::with_capacity(evaluation.findings.len());
    for mut finding in std::mem::take(&mut evaluation.findings) {
        match standing(attestations, &finding.rule, today) {
            Some((attestation, false)) => {
                let why = Suppression {
                    reason: Some(format!(
                        "attested by {} on {} (until {}): {}",
                        attestation.by, attestation.date, attestation.expires, attestation.evidence
                    )),
                    at: None,
                    how: "attestation",
                };
                evaluation.suppressed.push((finding, why));
            }
            Some((attestation, true)) => {
                finding.message.push_str(&format!(
                    " (the attestation by {} expired on {})",
                    attestation.by, attestation.expires
                ));
                kept.push(finding);
            }
            None => kept.push(finding),
        }
    }
    evaluation.findings = kept;
}
