//! Rule outcomes → per-category and overall scores, grade, and the gate verdict (DESIGN §5).

use crate::engine::eval::{RuleOutcome, Status};
use crate::engine::{Category, Rule, Severity};

/// A category's standing. `score` is `None` when no scored rule applied.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryScore {
    pub id: Category,
    pub score: Option<f64>,
    pub checked: usize,
    pub failed: usize,
    pub not_applicable: usize,
}

/// The severity threshold of the gate; `Never` turns severity gating off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl FailOn {
    pub fn parse(text: &str) -> Option<FailOn> {
        if text == "never" {
            return Some(FailOn::Never);
        }
        Severity::parse(text).map(FailOn::At)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::At(severity) => severity.as_str(),
            FailOn::Never => "never",
        }
    }
}

/// Written as its word (`high`, `never`) in the report contract.
impl serde::Serialize for FailOn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for FailOn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FailOn, D::Error> {
        let text = String::deserialize(deserializer)?;
        FailOn::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown fail_on `{text}`; one of critical, high, medium, low, info, never"
            ))
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateSettings {
    pub min_score: Option<f64>,
    pub fail_on: Option<FailOn>,
    pub categories: Vec<(Category, f64)>,
    pub strict: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub passed: bool,
    pub min_score: Option<f64>,
    pub fail_on: FailOn,
    pub reasons: Vec<String>,
}

/// A rule's contribution: (weight, share of its documents without a finding) when it applies.
fn contribution(rule: &Rule, outcome: &RuleOutcome) -> Option<(f64, f64)> {
    let weight = rule.weight();
    if weight <= 0.0 {
        return None;
    }
    match outcome.status {
        Status::NotApplicable | Status::Disabled => None,
        _ if outcome.units == 0 => None,
        _ => Some((
            weight,
            (outcome.units - outcome.failed_units.min(outcome.units)) as f64 / outcome.units as f64,
        )),
    }
}

fn weighted(parts: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (total, earned) = parts.fold((0.0, 0.0), |(t, e), (w, s)| (t + w, e + w * s));
    (total > 0.0).then(|| round(100.0 * earned / total))
}

pub fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

pub fn overall(rules: &[Rule], outcomes: &[RuleOutcome]) -> f64 {
    weighted(
        rules
            .iter()
            .zip(outcomes)
            .filter_map(|(r, o)| contribution(r, o)),
    )
    .unwrap_or(100.0)
}

pub fn categories(rules: &[Rule], outcomes: &[RuleOutcome]) -> Vec<CategoryScore> {
    Category::ALL
        .into_iter()
        .map(|category| {
            let members: Vec<(&Rule, &RuleOutcome)> = rules
                .iter()
                .zip(outcomes)
                .filter(|(r, _)| r.category == category)
                .collect();
            CategoryScore {
                id: category,
                score: weighted(members.iter().filter_map(|(r, o)| contribution(r, o))),
                checked: members.iter().filter(|(_, o)| applies(o)).count(),
                failed: members
                    .iter()
                    .filter(|(_, o)| o.status == Status::Failed)
                    .count(),
                not_applicable: members
                    .iter()
                    .filter(|(_, o)| o.status == Status::NotApplicable)
                    .count(),
            }
        })
        .collect()
}

fn applies(outcome: &RuleOutcome) -> bool {
    !matches!(outcome.status, Status::NotApplicable | Status::Disabled)
}

pub fn grade(score: f64) -> &'static str {
    match score {
        s if s >= 90.0 => "A",
        s if s >= 80.0 => "B",
        s if s >= 70.0 => "C",
        s if s >= 60.0 => "D",
        _ => "F",
    }
}

pub struct GateInput<'a> {
    pub score: f64,
    pub categories: &'a [CategoryScore],
    pub severities: &'a [Severity],
    pub errors: usize,
    /// `severities` are of the findings new since a previous report (`--compare`).
    pub only_new: bool,
}

pub fn gate(settings: &GateSettings, input: &GateInput<'_>) -> Gate {
    let fail_on = settings.fail_on.unwrap_or(FailOn::At(Severity::High));
    let mut reasons = Vec::new();
    if let Some(min) = settings.min_score.filter(|min| input.score < *min) {
        reasons.push(format!(
            "score {:.1} is below the minimum {min}",
            input.score
        ));
    }
    if let FailOn::At(threshold) = fail_on {
        for severity in Severity::ALL.into_iter().filter(|s| *s >= threshold) {
            let n = input.severities.iter().filter(|s| **s == severity).count();
            if n > 0 {
                reasons.push(format!(
                    "{n} {}{severity} finding{} (fail_on = {threshold})",
                    if input.only_new { "new " } else { "" },
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }
    for (category, min) in &settings.categories {
        let score = input
            .categories
            .iter()
            .find(|c| c.id == *category)
            .and_then(|c| c.score);
        if let Some(score) = score.filter(|s| s < min) {
            reasons.push(format!(
                "{category} scores {score:.1}, below its minimum {min}"
            ));
        }
    }
    if settings.strict && input.errors > 0 {
        reasons.push(format!(
            "{} file{} could not be read (--strict)",
            input.errors,
            if input.errors == 1 { "" } else { "s" }
        ));
    }
    Gate {
        passed: reasons.is_empty(),
        min_score: settings.min_score,
        fail_on,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades() {
        assert_eq!(grade(90.0), "A");
        assert_eq!(grade(89.9), "B");
        assert_eq!(grade(59.9), "F");
    }

    #[test]
    fn gate_reasons() {
        let settings = GateSettings {
            min_score: Some(80.0),
            ..GateSettings::default()
        };
        let gate = gate(
            &settings,
            &GateInput {
                score: 70.0,
                categories: &[],
                severities: &[Severity::High, Severity::Low],
                errors: 0,
                only_new: false,
            },
        );
        assert!(!gate.passed);
        assert_eq!(gate.reasons.len(), 2);
        assert_eq!(gate.fail_on, FailOn::At(Severity::High));
    }
}
