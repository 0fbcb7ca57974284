//! Attestations (`[[attest]]` in golive.toml) and `golive checklist`: a current sign-off counts
//! its rule as met in the score and the gate and is listed with who, when and the evidence; an
//! expired one brings the findings back naming the expiry day; a bad entry is a pointed error;
//! the checklist shows every rule with its status and evidence (snapshots of each format).

use std::path::{Path, PathBuf};
use std::process::Command;

use golive::report::{self, Report, checklist};
use golive::settings::{self, Flags};
use golive::{Input, check};

const TODAY: &str = "2026-12-07";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/stateful-no-backup")
}

fn review_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/attest/stateful-launch-review.toml")
}

/// stateful-no-backup scanned with the settings file `config` (none: defaults) on `today`.
fn scan(config: Option<PathBuf>, today: &str) -> Report {
    let flags = Flags {
        config,
        ..Flags::default()
    };
    let settings =
        settings::resolve(&flags, &root(), today.to_owned()).unwrap_or_else(|e| panic!("{e:?}"));
    check(
        Input::Dir(&root()),
        "fixtures/repos/stateful-no-backup",
        &settings,
    )
}

/// A settings file with `text` in a fresh folder.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("golive.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    (dir, path)
}

fn attest(rule: &str, date: &str, expires: &str) -> String {
    format!(
        "[[attest]]\nrule = \"{rule}\"\nby = \"Sam\"\ndate = \"{date}\"\nexpires = \"{expires}\"\n\
         evidence = \"https://tickets.example/OPS-1\"\n"
    )
}

fn status(report: &Report, rule: &str) -> String {
    let (_, result) = report
        .rule(rule)
        .unwrap_or_else(|| panic!("no rule {rule}"));
    serde_json::to_value(result.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn a_current_attestation_counts_the_rule_as_met_in_score_and_gate() {
    let plain = scan(None, TODAY);
    let (_dir, path) = config_file(&attest("backup-alert", "2026-11-01", "2027-01-31"));
    let attested = scan(Some(path), TODAY);

    assert_eq!(status(&plain, "backup-alert"), "failed");
    assert_eq!(status(&attested, "backup-alert"), "attested");
    assert!(
        attested.score > plain.score,
        "{} > {}",
        attested.score,
        plain.score
    );
    assert!(plain.findings.iter().any(|f| f.rule == "backup-alert"));
    assert!(!attested.findings.iter().any(|f| f.rule == "backup-alert"));
    // The gate no longer counts the attested high finding.
    assert!(
        plain
            .gate
            .reasons
            .contains(&"2 high findings (fail_on = high)".to_owned())
    );
    assert!(
        attested
            .gate
            .reasons
            .contains(&"1 high finding (fail_on = high)".to_owned())
    );
    // The covered finding stays visible, with who, when and the evidence.
    let covered: Vec<_> = attested
        .suppressed
        .iter()
        .filter(|s| s.rule == "backup-alert")
        .collect();
    assert_eq!(covered.len(), 1);
    assert_eq!(covered[0].how, "attestation");
    assert_eq!(
        covered[0].reason.as_deref(),
        Some("attested by Sam on 2026-11-01 (until 2027-01-31): https://tickets.example/OPS-1")
    );
    let json: serde_json::Value =
        serde_json::from_str(&report::json::render(std::slice::from_ref(&attested)))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json["attestations"],
        serde_json::json!([{"rule": "backup-alert", "by": "Sam", "date": "2026-11-01",
            "expires": "2027-01-31", "evidence": "https://tickets.example/OPS-1", "expired": false}])
    );
    // A report without attestations keeps the contract's earlier shape.
    let plain_json = report::json::render(std::slice::from_ref(&plain));
    assert!(!plain_json.contains("\"attestations\""));
    // Merged reports read the list back.
    let merged =
        report::merge::read(&report::json::render(&[attested])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(merged[0].attestations.len(), 1);
}

#[test]
fn an_attestation_counts_through_its_expiry_day_and_fails_again_after_it() {
    let (_dir, path) = config_file(&attest("backup-alert", "2026-06-01", "2026-12-07"));
    let last_day = scan(Some(path.clone()), "2026-12-07");
    assert_eq!(status(&last_day, "backup-alert"), "attested");

    let expired = scan(Some(path), "2026-12-08");
    let plain = scan(None, "2026-12-08");
    assert_eq!(status(&expired, "backup-alert"), "failed");
    assert_eq!(expired.score, plain.score);
    assert_eq!(expired.gate.reasons, plain.gate.reasons);
    let finding = expired
        .findings
        .iter()
        .find(|f| f.rule == "backup-alert")
        .unwrap_or_else(|| panic!("the finding is back"));
    assert!(
        finding
            .message
            .ends_with("(the attestation by Sam expired on 2026-12-07)"),
        "{}",
        finding.message
    );
    assert!(expired.attestations[0].expired);
    let human = report::human::render(&[expired], false);
    assert!(human.contains(
        "golive.toml: the attestation of backup-alert by Sam expired on 2026-12-07; the rule is checked again"
    ));
}

/// `golive check` on `dir`: (exit code, stderr).
fn run_check(dir: &Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["check", "--color", "never"])
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_attestations_are_pointed_errors() {
    let (dir, _) = config_file(
        "[[attest]]\nrule = \"backup-alrt\"\nby = \"Sam\"\ndate = \"2026-02-30\"\n\
         expires = \"2027-01-01\"\n\n\
         [[attest]]\nrule = \"backup-alert\"\nby = \"Sam\"\ndate = \"2026-11-01\"\n\
         expires = \"2026-10-01\"\nevidence = \"https://tickets.example/OPS-1\"\n",
    );
    let (code, stderr) = run_check(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    for expected in [
        "has 4 problems",
        "`[[attest]]` needs `evidence`: where the proof is (a URL)",
        "unknown rule `backup-alrt`",
        "`date` must be a date YYYY-MM-DD, not `2026-02-30`",
        "`expires` 2026-10-01 is before the sign-off `date` 2026-11-01",
        // Each problem is shown at its line of golive.toml.
        "2 │ rule = \"backup-alrt\"",
        "4 │ date = \"2026-02-30\"",
        "11 │ expires = \"2026-10-01\"",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in\n{stderr}"
        );
    }
    let (dir, _) = config_file("[[attest]]\nrule = \"backup-alert\"\nsigned = \"Sam\"\n");
    let (code, stderr) = run_check(dir.path());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown field `signed`"), "{stderr}");
    // The same entry with every key is fine.
    let (dir, _) = config_file(&attest("backup-alert", "2026-11-01", "2027-01-01"));
    let (code, stderr) = run_check(dir.path());
    assert_ne!(code, Some(2), "{stderr}");
}

fn review() -> Report {
    scan(Some(review_config()), TODAY)
}

#[test]
fn the_checklist_has_one_item_per_rule_with_its_status_and_evidence() {
    let report = review();
    let list = checklist::Checklist::of(&report);
    assert_eq!(list.items.len(), report.rules.len());
    let item = |rule: &str| {
        list.items
            .iter()
            .find(|i| i.rule == rule)
            .unwrap_or_else(|| panic!("no item {rule}"))
    };
    use checklist::ItemStatus::*;
    assert_eq!(item("backup-restore-tested").status, Attested);
    assert_eq!(
        item("backup-restore-tested")
            .attestation
            .map(|a| a.by.as_str()),
        Some("Dana Reyes (SRE)")
    );
    assert_eq!(item("backup-alert").status, Failed);
    assert!(item("backup-alert").attestation.is_some_and(|a| a.expired));
    assert_eq!(item("k8s-network-policy").status, Suppressed);
    assert_eq!(item("k8s-readiness-probe").status, Passed);
    assert_eq!(item("compose-healthcheck").status, NotApplicable);
    let schedule = item("backup-schedule-for-stateful");
    assert_eq!(schedule.status, Failed);
    let at = &schedule.evidence[0];
    assert_eq!(
        (at.path.as_deref(), at.line.is_some(), at.column.is_some()),
        (Some("k8s/redis-statefulset.yaml"), true, true)
    );
}

#[test]
fn snapshots_of_the_checklist_in_every_format() {
    let report = review();
    let list = checklist::Checklist::of(&report);
    insta::assert_snapshot!("checklist_human", checklist::human(&list));
    insta::assert_snapshot!("checklist_markdown", checklist::markdown(&list));
    insta::assert_snapshot!("checklist_json", checklist::json(&list));
}

#[test]
fn the_checklist_command_exits_with_the_gate() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_golive"))
            .arg("checklist")
            .args(args)
            .env("GOLIVE_TODAY", TODAY)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let config = review_config().display().to_string();
    let root = root().display().to_string();
    let json = run(&[&root, "--config", &config, "--format", "json"]);
    assert_eq!(
        json.status.code(),
        Some(1),
        "backup-schedule-for-stateful still fails"
    );
    let value: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        value["items"].as_array().map(Vec::len),
        Some(review().rules.len())
    );
    let ready = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/ready-service");
    let ready = run(&[&ready.display().to_string(), "--format", "markdown"]);
    assert_eq!(ready.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ready.stdout).starts_with("# Go-live checklist: "));
    let missing = run(&["/nonexistent/golive-repo"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn text_from_scanned_files_is_made_safe_in_every_checklist_format() {
    const HOSTILE: &str = "<b>x</b> | `y` \u{1b}[31m\u{7}\r\nnext";
    let mut report = review();
    report.target = HOSTILE.to_owned();
    for finding in &mut report.findings {
        finding.message = HOSTILE.to_owned();
        finding.path = finding.path.as_ref().map(|p| format!("{p}{HOSTILE}"));
    }
    for attestation in &mut report.attestations {
        attestation.by = HOSTILE.to_owned();
        attestation.evidence = HOSTILE.to_owned();
    }
    let list = checklist::Checklist::of(&report);
    for (format, text) in [
        ("human", checklist::human(&list)),
        ("markdown", checklist::markdown(&list)),
        ("json", checklist::json(&list)),
    ] {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(raw.is_empty(), "{format}: raw control characters {raw:?}");
        // Each format escapes the backslash of the visible escape its own way.
        let visible = match format {
            "markdown" => "u{1b}\\[31m",
            "json" => "\\\\u{1b}[31m\\\\u{7}",
            _ => "\\u{1b}[31m\\u{7}",
        };
        assert!(
            text.contains(visible),
            "{format}: controls made visible\n{text}"
        );
    }
    let markdown = checklist::markdown(&list);
    assert!(!markdown.contains("<b>"), "HTML in Markdown is neutralised");
    let json: serde_json::Value =
        serde_json::from_str(&checklist::json(&list)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["target"], "<b>x</b> | `y` \\u{1b}[31m\\u{7}\nnext");
}
