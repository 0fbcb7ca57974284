//! Helm charts and Kustomize overlays as a scan sees them: templates are skipped (or rendered
//! with `--helm`), patches are read but never linted as complete workloads.

use std::path::Path;

use assert_cmd::Command;
use golive::settings::{self, Settings};
use golive::{Input, check};

fn scan(root: &Path) -> golive::report::Report {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    check(Input::Dir(root), "case", &Settings::defaults(rules))
}

fn fixture(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(case)
}

#[test]
fn kustomize_patches_are_read_but_not_linted_as_workloads() {
    let report = scan(&fixture(
        "fixtures/rules/k8s-readiness-probe/pass/kustomize-patch-is-partial",
    ));
    for patch in [
        "overlays/prod/replicas.yaml",
        "overlays/prod/resources.yaml",
    ] {
        let artifact = report
            .artifacts
            .iter()
            .find(|a| a.path == patch)
            .unwrap_or_else(|| panic!("{patch} not listed"));
        assert_eq!(
            (artifact.kind, artifact.status, artifact.documents),
            ("yaml", "parsed", 1)
        );
        assert!(
            artifact
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("Kustomize patch"))
        );
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.path.as_deref() != Some(patch)),
            "finding on a patch: {:?}",
            report.findings
        );
    }
    let base = report
        .artifacts
        .iter()
        .find(|a| a.path == "base/deployment.yaml");
    assert_eq!(base.map(|a| a.kind), Some("kubernetes"));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.path.as_deref() == Some("base/deployment.yaml")),
        "the complete base Deployment is still linted"
    );
}

#[test]
fn helm_templates_are_skipped_only_inside_a_chart() {
    let report = scan(&fixture(
        "fixtures/rules/k8s-readiness-probe/pass/helm-template-is-not-a-manifest",
    ));
    let template = report
        .artifacts
        .iter()
        .find(|a| a.path == "chart/templates/deployment.yaml");
    assert_eq!(
        template.map(|a| (a.kind, a.status)),
        Some(("helm-template", "skipped"))
    );
    let report = scan(&fixture(
        "fixtures/rules/k8s-readiness-probe/fail/templates-folder-without-chart",
    ));
    assert_eq!(
        report.artifacts.first().map(|a| a.kind),
        Some("kubernetes"),
        "a templates/ folder without Chart.yaml is not a chart"
    );
}

const RENDERED: &str = "---\n# Source: api/templates/deployment.yaml\napiVersion: apps/v1\n\
kind: Deployment\nmetadata:\n  name: release-name-api\nspec:\n  template:\n    spec:\n      \
containers:\n        - name: api\n          image: ghcr.io/acme/api:1.4.2\n";

fn golive_json(path_var: &std::ffi::OsStr, root: &Path) -> serde_json::Value {
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .env("PATH", path_var)
        .args(["check", "--helm", "--format", "json"])
        .arg(root)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[cfg(unix)]
#[test]
fn helm_flag_renders_each_chart_with_helm_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let helm = bin.path().join("helm");
    std::fs::write(&helm, format!("#!/bin/sh\ncat <<'EOF'\n{RENDERED}EOF\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let root = fixture("fixtures/rules/k8s-readiness-probe/pass/helm-template-is-not-a-manifest");
    let mut dirs = vec![bin.path().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path_var = std::env::join_paths(dirs).unwrap_or_else(|e| panic!("{e}"));
    let report = golive_json(&path_var, &root);
    let rendered = report["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["path"] == "chart/(rendered)"))
        .unwrap_or_else(|| panic!("no rendered artifact: {report}"));
    assert_eq!(rendered["kind"], "kubernetes");
    let probe = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule"] == "k8s-readiness-probe"))
        .unwrap_or_else(|| panic!("rendered Deployment not linted: {report}"));
    assert_eq!(probe["path"], "chart/(rendered)");
    assert_eq!(probe["line"], 11, "points at the rendered text: {probe}");
}

#[test]
fn helm_flag_without_helm_is_a_per_chart_error() {
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = fixture("fixtures/rules/k8s-readiness-probe/pass/helm-template-is-not-a-manifest");
    let report = golive_json(empty.path().as_os_str(), &root);
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors.iter().any(|e| e["path"] == "chart/(rendered)"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("not on PATH"))),
        "{errors:?}"
    );
    assert!(
        report["artifacts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["path"] == "chart/values.yaml")),
        "the scan goes on"
    );
}
