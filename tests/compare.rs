//! `check --compare PREVIOUS.json`: worse and better twins of one service
//! (`fixtures/compare/`), a fleet compared service by service, and previous reports that cannot
//! be compared with.

mod support;

use std::path::Path;

use serde_json::Value;
use support::golive;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/compare");

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The JSON report of `before` in a temporary folder, as `previous.json`.
fn previous(targets: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("previous.json");
    let format = format!("json={}", out.display());
    let mut args = vec!["check"];
    args.extend(targets);
    args.extend(["--format", &format]);
    golive(Path::new(FIXTURES), &args);
    dir
}

fn rules(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {findings}"))
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default())
        .collect()
}

#[test]
fn a_worse_service_fails_on_the_drop_and_only_its_new_finding_is_new() {
    let dir = previous(&["before"]);
    let file = dir.path().join("previous.json");
    let file = file.to_string_lossy();
    let (out, _, code) = golive(
        Path::new(FIXTURES),
        &["check", "worse", "--compare", &file, "--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    let report = json(&out);
    let comparison = &report["comparison"];
    // Every finding of the Deployment moved a line down; none of them is new or fixed.
    assert_eq!(rules(&comparison["new"]), ["docker-no-curl-pipe-shell"]);
    assert_eq!(rules(&comparison["fixed"]), Vec::<&str>::new());
    assert!(comparison["score_delta"].as_f64().is_some_and(|d| d < 0.0));
    assert_eq!(comparison["previous"]["target"], "before");
    // The critical finding the previous report had is accepted debt; the drop is not.
    let reasons: Vec<&str> = report["gate"]["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let (was, now) = (
        comparison["previous"]["score"].as_f64().unwrap_or_default(),
        report["score"].as_f64().unwrap_or_default(),
    );
    let dropped = format!(
        "score dropped by {:.1} since {file} ({was:.1} → {now:.1})",
        was - now
    );
    assert_eq!(reasons, [dropped.as_str()]);
}

#[test]
fn a_better_service_passes_with_its_old_debt_and_lists_what_it_fixed() {
    let dir = previous(&["before"]);
    let file = dir.path().join("previous.json");
    let (out, _, code) = golive(
        Path::new(FIXTURES),
        &["check", "better", "--compare", &file.to_string_lossy()],
    );
    assert_eq!(code, 0, "{out}");
    let tail = &out[out.find("compared with").unwrap_or_else(|| panic!("{out}"))..];
    let tail = tail.replace(&*file.to_string_lossy(), "previous.json");
    insta::assert_snapshot!(tail, @"
    compared with previous.json: score 57.8 → 62.7 (+4.9), grade F → D; 0 new findings, 1 fixed
      fixed critical k8s-privileged-container k8s/deployment.yaml:21:25: container `cart` of Deployment/cart runs privileged: it has every capability of the node's root user
    ");
}

#[test]
fn a_new_high_finding_fails_the_compared_gate() {
    let dir = previous(&["better"]);
    let file = dir.path().join("previous.json");
    let (out, _, code) = golive(
        Path::new(FIXTURES),
        &["check", "before", "--compare", &file.to_string_lossy()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("  - 1 new critical finding (fail_on = high)\n"),
        "{out}"
    );
    assert!(out.contains("  new   critical k8s-privileged-container k8s/deployment.yaml:21:25: "));
}

#[test]
fn a_fleet_is_compared_service_by_service() {
    // The previous run scored from elsewhere: its targets are `…/compare/before`, matched to
    // this run's `before` by their folders.
    let dir = previous(&[&format!("{FIXTURES}/before"), &format!("{FIXTURES}/better")]);
    let file = dir.path().join("previous.json");
    let (out, _, code) = golive(
        Path::new(FIXTURES),
        &[
            "check",
            "before",
            "better",
            "worse",
            "--compare",
            &file.to_string_lossy(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "worse is new, its critical finding too: {out}");
    let report = json(&out);
    let reports = report["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"));
    let summary: Vec<(String, bool, Value, usize, usize)> = reports
        .iter()
        .map(|r| {
            let c = &r["comparison"];
            (
                r["target"].as_str().unwrap_or_default().to_owned(),
                r["gate"]["passed"].as_bool().unwrap_or_default(),
                c["score_delta"].clone(),
                rules(&c["new"]).len(),
                rules(&c["fixed"]).len(),
            )
        })
        .collect();
    let findings = reports[2]["findings"].as_array().map_or(0, Vec::len);
    assert_eq!(
        summary,
        [
            ("before".to_owned(), true, Value::from(0.0), 0, 0),
            ("better".to_owned(), true, Value::from(0.0), 0, 0),
            ("worse".to_owned(), false, Value::Null, findings, 0),
        ]
    );
    assert_eq!(reports[2]["comparison"]["previous"], Value::Null);
}

#[test]
fn a_previous_report_that_cannot_be_read_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing.json");
    let (_, err, code) = golive(
        Path::new(FIXTURES),
        &["check", "before", "--compare", &missing.to_string_lossy()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot read previous report"), "{err}");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, "{\"version\": 1, \"findings\": []}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, err, code) = golive(
        Path::new(FIXTURES),
        &["check", "before", "--compare", &baseline.to_string_lossy()],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot be compared with: not a golive report"),
        "{err}"
    );
}

#[test]
fn the_fleet_table_and_the_markdown_report_show_the_change() {
    let dir = previous(&["before", "better"]);
    let file = dir.path().join("previous.json");
    let file = file.to_string_lossy();
    let (out, _, _) = golive(
        Path::new(FIXTURES),
        &["check", "before", "better", "worse", "--compare", &file],
    );
    let table = out[out.rfind("\nservice ").unwrap_or_else(|| panic!("{out}"))..].trim_start();
    insta::assert_snapshot!(table, @"
    service                                  score  change  grade  gate    top finding
    before                                    57.8    +0.0  F      passed  k8s-privileged-container
    better                                    62.7    +0.0  D      passed  readme-present
    worse                                     55.4     new  F      failed  k8s-privileged-container
    3 services, 1 failed the gate
    ");
    let previous = previous(&["before"]);
    let file = previous.path().join("previous.json");
    let (out, _, _) = golive(
        Path::new(FIXTURES),
        &[
            "check",
            "worse",
            "--compare",
            &file.to_string_lossy(),
            "--format",
            "markdown",
        ],
    );
    let out = out.replace(&*file.to_string_lossy(), "previous.json");
    let since = out
        .lines()
        .filter(|l| l.starts_with("### Since") || l.starts_with("- new"));
    insta::assert_snapshot!(since.collect::<Vec<_>>().join("\n"), @"
    ### Since previous.json: score 57.8 → 55.4 (-2.4), 1 new, 0 fixed
    - new: **medium** `docker-no-curl-pipe-shell` Dockerfile runs a script downloaded at build time (`curl … | sh`) without verifying it — [worse/Dockerfile:5](worse/Dockerfile#L5)
    ");
}

#[test]
fn a_compared_report_can_be_compared_with_in_turn() {
    let dir = previous(&["before"]);
    let first = dir.path().join("previous.json");
    let second = dir.path().join("second.json");
    let format = format!("json={}", second.display());
    let (_, err, code) = golive(
        Path::new(FIXTURES),
        &[
            "check",
            "worse",
            "--compare",
            &first.to_string_lossy(),
            "--format",
            &format,
        ],
    );
    assert_eq!(code, 1, "{err}");
    let (out, err, code) = golive(
        Path::new(FIXTURES),
        &[
            "check",
            "worse",
            "--compare",
            &second.to_string_lossy(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        code, 0,
        "the same scan again: nothing new, no drop: {out}{err}"
    );
    let comparison = &json(&out)["comparison"];
    assert_eq!(comparison["score_delta"], Value::from(0.0));
    assert_eq!(
        rules(&comparison["new"]).len() + rules(&comparison["fixed"]).len(),
        0
    );
}
