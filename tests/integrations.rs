//! golive in a team's workflow: baselines survive edits, inline suppressions carry their reason,
//! `init` writes a settings file the real loader accepts, shell completions and the man page
//! render, and the CI integration files (`action.yml`, `.pre-commit-hooks.yaml`) are valid.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn golive() -> Command {
    let mut cmd = Command::cargo_bin("golive").unwrap_or_else(|e| panic!("{e}"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

fn run(args: &[&str]) -> (String, String, i32) {
    let output = golive()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

fn json(args: &[&str]) -> (Value, i32) {
    let (stdout, stderr, code) = run(args);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (value, code)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// A throw-away copy of a fixture repo.
fn scratch_copy(fixture: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = dir.path().join("service");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture), &repo);
    (dir, repo)
}

fn edit(path: &Path, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path, change(text)).unwrap_or_else(|e| panic!("{e}"));
}

fn rules_of(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["rule"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn s(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 temp path"))
}

#[test]
fn baseline_reports_only_new_findings_after_lines_move() {
    let (dir, repo) = scratch_copy("fixtures/repos/not-ready-service");
    let baseline = dir.path().join("golive-baseline.json");
    let (_, stderr, code) = run(&["check", s(&repo), "--write-baseline", s(&baseline)]);
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(&baseline).unwrap_or_default();
    let recorded: Value = serde_json::from_str(&written).unwrap_or_default();
    assert_eq!(recorded["version"], 1);
    let entries = recorded["findings"].as_array().map_or(0, Vec::len);
    let (plain, _) = json(&["check", s(&repo), "--format", "json"]);
    let found = plain["findings"].as_array().map_or(0, Vec::len);
    assert_eq!(entries, found, "every finding is recorded: {written}");

    // Lines inserted above every Dockerfile finding, plus one new low-severity problem.
    let dockerfile = repo.join("Dockerfile");
    edit(&dockerfile, |text| {
        format!("# The cart service image.\n# Built by CI.\n\n{text}ADD config.json /app/\n")
    });
    let (report, code) = json(&[
        "check",
        s(&repo),
        "--baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(rules_of(&report, "findings"), ["docker-copy-not-add"]);
    assert_eq!(report["findings"][0]["line"], 19);
    assert_eq!(code, 0, "a new low finding passes the default gate");
    let baselined = report["suppressed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["how"] == "baseline")
        .count();
    assert_eq!(baselined, entries);

    // A second copy of an accepted finding is new: the baseline counts.
    edit(&dockerfile, |text| {
        format!("{text}ENV DB_PASSWORD=hunter2\n")
    });
    let (report, code) = json(&[
        "check",
        s(&repo),
        "--baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(
        rules_of(&report, "findings"),
        ["docker-copy-not-add", "docker-no-secrets-in-env"]
    );
    assert_eq!(code, 1, "a new high finding fails the gate");
}

#[test]
fn baseline_rewrite_is_byte_identical() {
    let (dir, repo) = scratch_copy("fixtures/repos/not-ready-service");
    let (one, two) = (dir.path().join("1.json"), dir.path().join("2.json"));
    run(&["check", s(&repo), "--write-baseline", s(&one)]);
    edit(&repo.join("Dockerfile"), |text| format!("# moved\n{text}"));
    run(&["check", s(&repo), "--write-baseline", s(&two)]);
    let read = |p: &Path| std::fs::read(p).unwrap_or_default();
    assert!(!read(&one).is_empty());
    assert_eq!(read(&one), read(&two));
}

#[test]
fn missing_or_foreign_baseline_is_a_usage_error() {
    let (_, stderr, code) = run(&[
        "check",
        "fixtures/repos/ready-service",
        "--baseline",
        "no/such/baseline.json",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/baseline.json"), "{stderr}");
    let (_, stderr, code) = run(&[
        "check",
        "fixtures/repos/ready-service",
        "--baseline",
        "Cargo.toml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a golive baseline"), "{stderr}");
}

#[test]
fn inline_ignore_above_a_finding_moves_it_to_suppressed_with_its_reason() {
    let (_dir, repo) = scratch_copy("fixtures/repos/not-ready-service");
    edit(&repo.join("Dockerfile"), |text| {
        text.replace(
            "ADD . /app",
            "# golive-ignore: docker-copy-not-add -- the build context is vetted by CI\nADD . /app",
        )
    });
    let (report, _) = json(&["check", s(&repo), "--format", "json"]);
    let findings = rules_of(&report, "findings");
    assert!(!findings.iter().any(|r| r == "docker-copy-not-add"));
    assert!(!findings.iter().any(|r| r == "suppression-has-reason"));
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["rule"], "docker-copy-not-add");
    assert_eq!(suppressed["how"], "inline comment");
    assert_eq!(suppressed["reason"], "the build context is vetted by CI");
}

#[test]
fn suppression_without_reason_and_expired_ignore_are_reported() {
    let (_dir, repo) = scratch_copy("fixtures/repos/not-ready-service");
    std::fs::write(
        repo.join("golive.toml"),
        "[[ignore]]\nrule = \"k8s-image-tag-pinned\"\n\n[[ignore]]\nrule = \"docs-ownership\"\nreason = \"r\"\nuntil = \"2020-01-01\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (stdout, _, _) = run(&["check", s(&repo), "--color", "never"]);
    assert!(
        stdout.contains("this config suppresses `k8s-image-tag-pinned` without giving a reason"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the [[ignore]] of docs-ownership expired on 2020-01-01"),
        "{stdout}"
    );
}

#[test]
fn init_writes_a_starter_the_loader_accepts_and_keeps_existing_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_, stderr, code) = run(&["init", "--path", s(dir.path())]);
    assert_eq!(code, 0, "{stderr}");
    let written = dir.path().join("golive.toml");
    let loaded = golive::settings::load_config(Some(&written), dir.path());
    assert!(matches!(loaded, Ok(Some(_))), "{loaded:?}");
    // Resolving checks meaning too: rule ids, severities, globs.
    let flags = golive::settings::Flags::default();
    let resolved = golive::settings::resolve(&flags, dir.path(), "2026-01-01".to_owned());
    assert!(resolved.is_ok(), "{:?}", resolved.err());

    let (_, stderr, code) = run(&["init", "--path", s(dir.path())]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (_, _, code) = run(&["init", "--path", s(dir.path()), "--force"]);
    assert_eq!(code, 0);
}

#[test]
fn completions_and_man_page_render() {
    let (bash, _, code) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(bash.contains("golive") && bash.len() > 100, "{bash}");
    let (man, _, code) = run(&["man"]);
    assert_eq!(code, 0);
    // clap_mangen puts groff's two-line apostrophe definition (`.ie \n(.g .ds Aq …`) before the
    // title: the title macro is the first line after it.
    let title = man
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"));
    assert!(
        title.is_some_and(|l| l.starts_with(".TH golive 1")),
        "{man}"
    );
    assert!(man.contains(".SH SYNOPSIS"), "{man}");
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn pre_commit_hook_runs_golive_once_on_the_repo() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "golive");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["entry"], "golive check");
    assert_eq!(hook["pass_filenames"], false);
    assert_eq!(hook["always_run"], true);
}

#[test]
fn github_action_is_a_composite_action_with_its_inputs() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    for input in [
        "path",
        "format",
        "min-score",
        "fail-on",
        "upload-sarif",
        "version",
    ] {
        assert!(action["inputs"][input].is_object(), "input {input}");
    }
    let steps = action["runs"]["steps"].as_array().map_or(0, Vec::len);
    assert!(steps >= 3);
}
