//! Helm charts and Kustomize overlays as a scan sees them: rendered and built natively, every
//! finding at the template, values, patch or base line it comes from (or, with `--helm`, the
//! helm binary's output); what cannot be rendered is an error, never a silent skip.

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

/// `(rule, path, line)` of every located finding.
fn located(report: &golive::report::Report) -> Vec<(String, String, usize)> {
    report
        .findings
        .iter()
        .filter_map(|f| Some((f.rule.clone(), f.path.clone()?, f.line?)))
        .collect()
}

fn at(report: &golive::report::Report, rule: &str) -> Vec<(String, usize)> {
    located(report)
        .into_iter()
        .filter(|(r, _, _)| r == rule)
        .map(|(_, path, line)| (path, line))
        .collect()
}

fn place(path: &str, line: usize) -> (String, usize) {
    (path.to_owned(), line)
}

#[test]
fn chart_findings_point_at_the_template_or_the_values_line() {
    let report = scan(&fixture("fixtures/repos/helm-chart-service"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // `privileged: true` reaches the container through `toYaml .Values.securityContext`.
    assert_eq!(
        at(&report, "k8s-privileged-container"),
        [place("chart/values.yaml", 9)]
    );
    // `replicas: {{ .Values.replicaCount }}` for the shop; the cache subchart's literal 1.
    assert_eq!(
        at(&report, "k8s-replicas-minimum"),
        [
            place("chart/charts/cache/templates/deployment.yaml", 8),
            place("chart/values.yaml", 2),
        ]
    );
    // `value: {{ .Values.database.password | quote }}`: the literal is in values.yaml.
    assert_eq!(
        at(&report, "k8s-no-plaintext-secret-env"),
        [place("chart/values.yaml", 17)]
    );
    // `"{{ .Values.image.repository }}:{{ .Values.image.tag }}"` is built in the template.
    assert_eq!(
        at(&report, "k8s-image-tag-pinned"),
        [place("chart/templates/deployment.yaml", 19)]
    );
    // Probes sit behind `if .Values.probes.enabled`, which is false.
    assert_eq!(
        at(&report, "k8s-readiness-probe"),
        [
            place("chart/charts/cache/templates/deployment.yaml", 18),
            place("chart/templates/deployment.yaml", 18),
        ]
    );
    // The name comes from `include "shop.fullname"`: the template line that includes it.
    assert_eq!(
        at(&report, "k8s-network-policy"),
        [
            place("chart/charts/cache/templates/deployment.yaml", 4),
            place("chart/templates/deployment.yaml", 4),
        ]
    );
    assert!(
        located(&report)
            .iter()
            .all(|(_, path, _)| !path.ends_with(".tpl") && !path.ends_with("NOTES.txt")),
        "{:?}",
        located(&report)
    );
    let template = report
        .artifacts
        .iter()
        .find(|a| a.path == "chart/templates/deployment.yaml");
    assert_eq!(
        template.map(|a| (a.kind, a.status, a.documents)),
        Some(("helm-template", "parsed", 1))
    );
}

#[test]
fn release_values_files_from_golive_toml_are_merged_over_values_yaml() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_tree(&fixture("fixtures/repos/helm-chart-service"), dir.path());
    std::fs::write(
        dir.path().join("golive.toml"),
        "[helm]\nrelease = \"shop-prod\"\nvalues = [\"values-prod.yaml\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let replicas: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "k8s-replicas-minimum")
        .map(|f| f["path"].clone())
        .collect();
    // values-prod.yaml raises the shop to 3 replicas; the cache subchart still runs 1.
    assert_eq!(replicas, ["chart/charts/cache/templates/deployment.yaml"]);
    assert!(
        findings.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("shop-prod-shop"))),
        "release name from golive.toml: {findings:?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn overlay_findings_point_at_the_patch_or_the_base_once() {
    let report = scan(&fixture("fixtures/repos/kustomize-overlays-service"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The prod patch makes the container privileged: the patch line, not the base.
    assert_eq!(
        at(&report, "k8s-privileged-container"),
        [place("deploy/overlays/prod/debug-privileged.yaml", 12)]
    );
    // Prod raises replicas to 4; staging keeps the base's 1, reported at the base line.
    let replicas: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "k8s-replicas-minimum")
        .collect();
    assert_eq!(replicas.len(), 1, "{replicas:?}");
    assert_eq!(
        (replicas[0].path.as_deref(), replicas[0].line),
        (Some("deploy/base/deployment.yaml"), Some(8))
    );
    assert!(
        replicas[0].message.contains("Deployment/ledger "),
        "{}",
        replicas[0].message
    );
    // The base's missing probe is in both overlays and reported once, at the base.
    assert_eq!(
        at(&report, "k8s-readiness-probe"),
        [place("deploy/base/deployment.yaml", 18)]
    );
    // A base is not a deployment of its own, and no patch is linted as a workload.
    let kinds: Vec<_> = report
        .artifacts
        .iter()
        .map(|a| (a.path.as_str(), a.kind))
        .collect();
    for (path, kind) in [
        ("deploy/base/deployment.yaml", "yaml"),
        ("deploy/base/kustomization.yaml", "kustomization"),
        ("deploy/overlays/prod/debug-privileged.yaml", "yaml"),
        ("deploy/overlays/prod/kustomization.yaml", "kustomization"),
        (
            "deploy/overlays/staging/kustomization.yaml",
            "kustomization",
        ),
    ] {
        assert!(kinds.contains(&(path, kind)), "{path}: {kinds:?}");
    }
}

#[test]
fn kustomize_patches_are_never_linted_as_workloads() {
    let report = scan(&fixture(
        "fixtures/rules/k8s-readiness-probe/pass/kustomize-patch-is-partial",
    ));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for patch in [
        "overlays/prod/replicas.yaml",
        "overlays/prod/resources.yaml",
    ] {
        let artifact = report
            .artifacts
            .iter()
            .find(|a| a.path == patch)
            .unwrap_or_else(|| panic!("{patch} not listed"));
        assert_eq!((artifact.kind, artifact.status), ("yaml", "parsed"));
    }
    // The overlay's inline JSON patch sets replicas: 3, so nothing says "1 replica".
    assert!(at(&report, "k8s-replicas-minimum").is_empty());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.path.as_deref() == Some("base/deployment.yaml")),
        "the built Deployment is linted, located in the base"
    );
}

#[test]
fn an_overlay_that_cannot_be_built_is_an_error_and_its_patches_stay_partial() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "prod/kustomization.yaml",
        "resources:\n  - https://github.com/acme/base//deploy?ref=v1\npatches:\n  - path: patch.yaml\n",
    );
    write(
        "prod/patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n",
    );
    let report = scan(dir.path());
    let error = report
        .errors
        .iter()
        .find(|e| e.path == "prod/kustomization.yaml")
        .unwrap_or_else(|| panic!("{:?}", report.errors));
    assert!(
        error.message.contains("cannot be built"),
        "{}",
        error.message
    );
    assert_eq!(error.line, Some(2), "points at the remote resource");
    assert!(at(&report, "k8s-replicas-minimum").is_empty());
}

#[test]
fn a_chart_that_cannot_be_rendered_is_an_error_naming_the_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("web/templates")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("web/Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("web/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"web.fullname\" . }}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = scan(dir.path());
    let error = report
        .errors
        .iter()
        .find(|e| e.message.contains(r#"template "web.fullname" not defined"#))
        .unwrap_or_else(|| panic!("{:?}", report.errors));
    assert_eq!(error.path, "web/templates/deployment.yaml");
    assert_eq!(error.line, Some(4));
    assert!(error.message.contains("not checked"), "{}", error.message);
    let template = report
        .artifacts
        .iter()
        .find(|a| a.path == "web/templates/deployment.yaml");
    assert_eq!(template.map(|a| a.documents), Some(0));
}

#[test]
fn a_templates_folder_without_a_chart_is_plain_yaml() {
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
    let root = fixture("fixtures/rules/k8s-readiness-probe/pass/helm-probe-set-in-values");
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
        .and_then(|f| f.iter().find(|f| f["rule"] == "k8s-liveness-probe"))
        .unwrap_or_else(|| panic!("rendered Deployment not linted: {report}"));
    assert_eq!(probe["path"], "chart/(rendered)");
    assert_eq!(probe["line"], 11, "points at the rendered text: {probe}");
}

#[test]
fn helm_flag_without_helm_is_a_per_chart_error() {
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = fixture("fixtures/rules/k8s-readiness-probe/pass/helm-probe-set-in-values");
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

/// The artifact kinds rendering adds (`kustomization`, `helm-template`) are read back by
/// `golive merge`, which rejected them once.
#[test]
fn reports_of_rendered_repos_merge() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut files = Vec::new();
    for (name, repo) in [
        ("overlays.json", "fixtures/repos/kustomize-overlays-service"),
        ("chart.json", "fixtures/repos/helm-chart-service"),
    ] {
        let out = dir.path().join(name);
        let format = format!("json={}", out.display());
        Command::cargo_bin("golive")
            .unwrap_or_else(|e| panic!("{e}"))
            .args(["check", &fixture(repo).display().to_string(), "--format"])
            .arg(&format)
            .assert()
            .code(1);
        files.push(out);
    }
    let merged = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("merge")
        .args(&files)
        .args(["--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        merged.status.code() != Some(2),
        "merge refused the reports: {}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged: serde_json::Value =
        serde_json::from_slice(&merged.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(merged["reports"].as_array().map(Vec::len), Some(2));
}
