//! `golive fix`: the diff users see (snapshots), and the round trip on copies of the fixture
//! repositories — the diff changes nothing, `--write` leaves fewer findings, every comment and
//! a file that still parses, and a second run has nothing to change. Rendered sources (a Helm
//! chart, Kustomize overlays) are never edited.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::golive;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

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
    let before = report(dir.path());
    let (diff, notes) = fix_and_check(dir.path(), fixed_rules);
    assert!(diff.starts_with("--- "), "{diff}{notes}");
    let count = |r: &Value| r["findings"].as_array().map_or(0, Vec::len);
    assert!(count(&report(dir.path())) < count(&before), "{notes}");
    for rule in fixed_rules {
        assert!(
            finding_count(&before, rule) > 0,
            "{fixture} has no {rule} to fix"
        );
    }
    format!("{diff}\n{notes}")
}

/// Runs `fix`, then `fix --write` in `dir`: the first changes nothing; after the second, each
/// of `rules` is found exactly where the first run said it would not fix it, every file
/// parses and keeps its comments, and a third run has nothing to change.
fn fix_and_check(dir: &Path, rules: &[&str]) -> (String, String) {
    let before_files = files(dir);
    let before = report(dir);
    let (diff, notes, code) = golive(dir, &["fix", "."]);
    assert_eq!(code, 0, "{notes}");
    assert_eq!(files(dir), before_files, "the diff alone changed files");

    let (_, written, code) = golive(dir, &["fix", ".", "--write"]);
    assert_eq!(code, 0, "{written}");
    let after_files = files(dir);
    let after = report(dir);
    assert_eq!(
        after["errors"], before["errors"],
        "a fixed file does not parse"
    );
    for rule in rules {
        let left = notes.matches(&format!("not fixed: {rule} ")).count();
        assert_eq!(finding_count(&after, rule), left, "{rule}: {diff}{notes}");
    }
    for (path, text) in &before_files {
        let kept = after_files
            .get(path)
            .map(String::as_str)
            .unwrap_or_default();
        assert_eq!(comments(text), comments(kept), "comments of {path} changed");
    }

    let (again, notes_again, _) = golive(dir, &["fix", "."]);
    assert_eq!(again, "", "a second run still changes something");
    assert!(notes_again.contains("nothing to fix"), "{notes_again}");
    (diff, notes)
}

/// Every rule whose file has a `fix:` block, by id.
fn fixable_rules() -> Vec<String> {
    files(&Path::new(ROOT).join("rules"))
        .into_iter()
        .filter(|(path, text)| path.ends_with(".yaml") && text.contains("\nfix:\n"))
        .filter_map(|(path, _)| Some(path.rsplit('/').next()?.strip_suffix(".yaml")?.to_owned()))
        .collect()
}

#[test]
fn every_fixable_rule_fixes_its_failing_fixtures_or_says_why_not() {
    let rules = fixable_rules();
    assert!(rules.len() >= 9, "{rules:?}");
    for rule in &rules {
        let cases = Path::new(ROOT)
            .join("fixtures/rules")
            .join(rule)
            .join("fail");
        let mut fixed = 0;
        for case in std::fs::read_dir(&cases).into_iter().flatten().flatten() {
            let relative = case.path();
            let relative = relative.strip_prefix(ROOT).unwrap_or(&relative);
            let dir = copy(&relative.to_string_lossy());
            let (_, notes) = fix_and_check(dir.path(), &[rule]);
            fixed += usize::from(!notes.contains(&format!("not fixed: {rule} ")));
        }
        assert!(fixed > 0, "no fail case of {rule} is fixed");
    }
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
    assert!(err.contains("is not a folder"), "{err}");
}

#[test]
fn a_crlf_manifest_keeps_its_line_ends() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lines = [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: api",
        "spec:",
        "  containers:",
        "    - name: api",
        "      image: acme/api:1.0.0",
        "",
    ];
    let path = dir.path().join("pod.yaml");
    std::fs::write(&path, lines.join("\r\n")).unwrap_or_else(|e| panic!("{e}"));
    let (diff, notes) = fix_and_check(dir.path(), &["k8s-seccomp-profile"]);
    assert!(!diff.contains('\r'), "the diff shows no raw CR: {diff:?}");
    let fixed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        fixed.contains("      securityContext:\r\n"),
        "{fixed:?}{notes}"
    );
    assert_eq!(
        fixed.matches('\n').count(),
        fixed.matches("\r\n").count(),
        "{fixed:?}"
    );
}

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A hostile name: the new budget's file would land in `out/`, a link out of the root.
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: out/api\nspec:\n  \
        replicas: 2\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      \
        labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          \
        image: acme/api:1.0.0\n";
    std::fs::write(dir.path().join("deploy.yaml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(outside.path(), dir.path().join("out"))
        .unwrap_or_else(|e| panic!("{e}"));
    let before = files(dir.path());
    let (_, err, code) = golive(dir.path(), &["fix", ".", "--write"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a folder on its way is a symlink"), "{err}");
    assert_eq!(
        files(outside.path()),
        BTreeMap::new(),
        "written outside the root"
    );
    assert_eq!(
        files(dir.path()),
        before,
        "a refused write still changed files"
    );
}

/// A user rule, as `--rules` reads it: every Deployment sets `revisionHistoryLimit`.
const USER_RULE: &str = r#"id: k8s-revision-history-limit
title: Deployments keep a bounded revision history
category: availability
severity: low
target: kubernetes
select: {equals: {path: kind, value: Deployment}}
check: {exists: spec.revisionHistoryLimit}
message: "{object} keeps every old ReplicaSet"
summary: s
rationale: r
remediation: r
examples: {fail: f, pass: p}
"#;

#[test]
fn a_user_rule_brings_its_own_fix_and_a_fix_that_would_not_parse_is_not_offered() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  \
        replicas: 1\n  template:\n    spec:\n      containers: []\n";
    std::fs::write(dir.path().join("deploy.yaml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    let rules = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rule = rules.path().join("k8s-revision-history-limit.yaml");
    let rule = rule.to_string_lossy();
    let fixed =
        format!("{USER_RULE}fix:\n  set:\n    - {{path: spec.revisionHistoryLimit, value: 5}}\n");
    std::fs::write(&*rule, fixed).unwrap_or_else(|e| panic!("{e}"));
    let (diff, notes, _) = golive(dir.path(), &["fix", ".", "--rules", &rule]);
    // After the mapping's last line, at its keys' indentation.
    assert!(
        diff.ends_with("\n       containers: []\n+  revisionHistoryLimit: 5\n"),
        "{diff}{notes}"
    );

    let broken = format!(
        "{USER_RULE}fix:\n  create: {{path: \"{{metadata.name}}.yaml\", text: \"a: [\"}}\n"
    );
    std::fs::write(&*rule, broken).unwrap_or_else(|e| panic!("{e}"));
    let (diff, notes, _) = golive(dir.path(), &["fix", ".", "--rules", &rule]);
    assert!(!diff.contains("api.yaml"), "{diff}");
    assert!(
        notes.contains(
            "not fixed: k8s-revision-history-limit api.yaml: the new file would not parse"
        ),
        "{notes}"
    );
}
