//! Every built-in rule against its own fixtures, discovered from the file system:
//! `fixtures/rules/<id>/pass/<case>/` must produce no finding of rule `<id>`;
//! `fixtures/rules/<id>/fail/<case>/` must produce at least one, located in a file unless the
//! rule is about the repository as a whole. Fail cases snapshot what a user sees.

use std::path::{Path, PathBuf};

use golive::report::{self, Report};
use golive::settings::{self, Settings};
use golive::{Input, check};

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn only_rule(report: &Report, id: &str) -> Report {
    let mut report = report.clone();
    report.findings.retain(|f| f.rule == id);
    report
}

#[test]
fn every_rule_passes_and_fails_its_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("built-in rules: {e:?}"));
    let settings = Settings::defaults(rules.clone());
    let mut failures = Vec::new();
    for rule in &rules {
        let dir = root.join("fixtures/rules").join(&rule.id);
        for (expect_fail, sub) in [(false, "pass"), (true, "fail")] {
            let found = cases(&dir.join(sub));
            if found.is_empty() {
                failures.push(format!("{}: no {sub}/ fixture case", rule.id));
            }
            for case in found {
                let name = case
                    .strip_prefix(root)
                    .unwrap_or(&case)
                    .display()
                    .to_string();
                let report = check(Input::Dir(&case), &name, &settings);
                let mine: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.id)
                    .collect();
                match (expect_fail, mine.is_empty()) {
                    (false, false) => failures.push(format!(
                        "{name}: expected no `{}` finding, got: {}",
                        rule.id,
                        mine.iter()
                            .map(|f| format!("{:?}:{:?} {}", f.path, f.line, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                    (true, true) => failures.push(format!(
                        "{name}: expected a `{}` finding, got none",
                        rule.id
                    )),
                    (true, false) => {
                        let repo_level = rule.target_name == "repo"
                            || rule.fail_when_absent
                            || rule.scope == golive::engine::compile::Scope::Repo;
                        if !repo_level && mine.iter().any(|f| f.line.is_none()) {
                            failures
                                .push(format!("{name}: `{}` finding without a location", rule.id));
                        }
                        let shown = report::human::render(&[only_rule(&report, &rule.id)], false);
                        let findings = shown
                            .split_once("\n\n")
                            .map_or(shown.as_str(), |(_, rest)| rest);
                        let findings = findings
                            .split_once("rules\n")
                            .map_or(findings, |(_, rest)| rest);
                        let snapshot = format!(
                            "{}__{}",
                            rule.id,
                            case.file_name().and_then(|n| n.to_str()).unwrap_or("case")
                        );
                        insta::with_settings!({ snapshot_path => root.join("tests/snapshots/rules"), prepend_module_to_snapshot => false }, {
                            insta::assert_snapshot!(snapshot, findings_only(findings));
                        });
                    }
                    (false, true) => {}
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule fixture problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Drops the category table so a snapshot shows the findings (and the summary line).
fn findings_only(text: &str) -> String {
    text.lines()
        .skip_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}
