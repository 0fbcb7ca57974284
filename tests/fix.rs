//! `golive fix`: the diff users see (snapshots), and the round trip on copies of the fixture
//! repositories — the diff changes nothing, `--write` leaves fewer findings, every comment and
//! a file that still parses, and a second run has nothing to change. Rendered sources (a Helm
//! chart, Kustomize overlays) are never edited.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs golive in `dir`; returns stdout, stderr and the exit code.
fn golive(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let code = output.status.code().unwrap_or(-1);
    (text(&output.stdout), text(&output.stderr), code)
}

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let key = relative.to_string_lossy().replace('\\', "/");
            out.insert(key, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
}

/// A temporary copy of a fixture repository.
fn copy(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (path, text) in files(&Path::new(ROOT).join(fixture)) {
        let target = dir.path().join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(target, text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// The report of `check . --format json` in `dir`.
fn report(dir: &Path) -> Value {
    let (out, err, _) = golive(dir, &["check", ".", "--format", "json"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}{err}"))
}

fn finding_count(report: &Value, rule: &str) -> usize {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .count()
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.find('#').map(|at| l[at..].trim()))
        .collect()
}

/// Fixes a copy of `fixture` and checks the round trip; returns the diff and the stderr of
/// the first run, for the snapshot.
fn round_trip(fixture: &str, fixed_rules: &[&str]) -> String {
    let dir = copy(fixture);
    let before_files = files(dir.path());
    let before = report(dir.path());

    let (diff, notes, code) = golive(dir.path(), &["fix", "."]);
    assert_eq!(code, 0, "{notes}");
    assert!(diff.starts_with("--- "), "{diff}{notes}");
    assert_eq!(
        files(dir.path()),
        before_files,
        "the diff alone changed files"
    );

    let (_, written, code) = golive(dir.path(), &["fix", ".", "--write"]);
    assert_eq!(code, 0, "{written}");
    let after_files = files(dir.path());
    let after = report(dir.path());
    assert_eq!(
        after["errors"],
        Value::Array(Vec::new()),
        "a fixed file does not parse"
    );
    let count = |r: &Value| r["findings"].as_array().map_or(0, Vec::len);
    assert!(count(&after) < count(&before), "{written}");
    // What is still found is exactly what the first run said it would not fix.
    for rule in fixed_rules {
        let left = notes.matches(&format!("not fixed: {rule} ")).count();
        assert!(
            finding_count(&before, rule) > left,
            "{fixture} has no {rule} to fix"
        );
        assert_eq!(finding_count(&after, rule), left, "{rule}: {diff}{notes}");
    }
    for (path, text) in &before_files {
        let kept = after_files
            .get(path)
            .map(String::as_str)
            .unwrap_or_default();
        assert_eq!(comments(text), comments(kept), "comments of {path} changed");
    }

    let (again, notes_again, _) = golive(dir.path(), &["fix", "."]);
    assert_eq!(again, "", "a second run still changes something");
    assert!(notes_again.contains("nothing to fix"), "{notes_again}");
    format!("{diff}\n{notes}")
}

#[test]
fn kubernetes_containers_are_hardened_and_get_a_disruption_budget() {
    let shown = round_trip(
        "fixtures/fix/kubernetes-hardening",
        &[
            "k8s-pdb-present",
            "k8s-capabilities-drop-all",
            "k8s-seccomp-profile",
        ],
    );
    insta::assert_snapshot!("kubernetes_hardening", shown);
}

#[test]
fn dockerfile_instructions_are_rewritten_where_it_is_safe() {
    let shown = round_trip(
        "fixtures/fix/dockerfile",
        &["docker-copy-not-add", "docker-apt-no-recommends"],
    );
    insta::assert_snapshot!("dockerfile", shown);
}

#[test]
fn the_not_ready_example_service_gets_fewer_findings() {
    round_trip(
        "fixtures/repos/not-ready-service",
        &[
            "docker-copy-not-add",
            "docker-exec-form-entrypoint",
            "k8s-no-privilege-escalation",
        ],
    );
}

#[test]
fn rendered_sources_are_never_edited_and_say_why() {
    for (fixture, why) in [
        (
            "fixtures/repos/helm-chart-service",
            "rendered from a Helm chart",
        ),
        (
            "fixtures/repos/kustomize-overlays-service",
            "built by Kustomize",
        ),
    ] {
        let dir = copy(fixture);
        let before = files(dir.path());
        let (diff, notes, code) = golive(dir.path(), &["fix", ".", "--write"]);
        assert_eq!((code, diff.as_str()), (0, ""), "{notes}");
        assert!(notes.contains(why), "{notes}");
        assert_eq!(files(dir.path()), before, "{fixture} was edited");
    }
}

#[test]
fn a_path_that_is_not_a_directory_is_a_usage_error() {
    let (_, err, code) = golive(Path::new(ROOT), &["fix", "Cargo.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a directory"), "{err}");
}
