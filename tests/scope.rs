//! What counts as the service: the periphery (load generators, tests, examples, tooling) is
//! listed and not scored, golive.toml moves folders either way, and an object kept in several
//! files is reported once, at its source. Each case is a worse/better twin written here.

use std::path::Path;

use assert_cmd::Command;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:IMAGE_TAG
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app: api
  ports:
    - port: 80
      targetPort: 8080
";

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn report(root: &Path) -> serde_json::Value {
    let out = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["check", "--format", "json", "--color", "never"])
        .arg(root)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// `(path, line)` of every finding of `rule`.
fn at(report: &serde_json::Value, rule: &str) -> Vec<(String, u64)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_owned(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn artifact_kind(report: &serde_json::Value, path: &str) -> String {
    report["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["path"] == path)
        .and_then(|a| a["kind"].as_str())
        .unwrap_or("")
        .to_owned()
}

const LOAD_TEST_DOCKERFILE: &str = "FROM python:latest\nCOPY locustfile.py .\nCMD locust\n";

#[test]
fn a_load_generator_folder_is_listed_not_scored() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\nUSER 65532\nENTRYPOINT [\"/app\"]\n",
            ),
            ("loadtest/Dockerfile", LOAD_TEST_DOCKERFILE),
        ],
    );
    let worse = report(dir.path());
    assert_eq!(
        artifact_kind(&worse, "loadtest/Dockerfile"),
        "load-generator"
    );
    assert!(
        at(&worse, "docker-image-tag-pinned")
            .iter()
            .all(|(path, _)| path != "loadtest/Dockerfile"),
        "{:?}",
        at(&worse, "docker-image-tag-pinned")
    );

    // Twin: golive.toml says the folder is the service after all.
    write(
        dir.path(),
        &[("golive.toml", "[scan]\nservice = [\"loadtest\"]\n")],
    );
    let scored = report(dir.path());
    assert_eq!(artifact_kind(&scored, "loadtest/Dockerfile"), "dockerfile");
    assert_eq!(
        at(&scored, "docker-image-tag-pinned"),
        vec![("loadtest/Dockerfile".to_owned(), 1)]
    );
}

#[test]
fn a_folder_named_in_scan_periphery_is_not_scored() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            ("chaos/Dockerfile", LOAD_TEST_DOCKERFILE),
            ("golive.toml", "[scan]\nperiphery = [\"chaos\"]\n"),
        ],
    );
    let report = report(dir.path());
    assert_eq!(artifact_kind(&report, "chaos/Dockerfile"), "periphery");
    assert!(at(&report, "docker-image-tag-pinned").is_empty());
}

#[test]
fn a_load_generator_workload_is_not_the_service_wherever_it_is() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let generator = DEPLOYMENT
        .replace("name: api", "name: loadgenerator")
        .replace("app: api", "app: loadgenerator")
        .replace("IMAGE_TAG", "latest");
    write(dir.path(), &[("k8s/loadgenerator.yaml", &generator)]);
    let report = report(dir.path());
    assert!(at(&report, "k8s-image-tag-pinned").is_empty());
    assert!(at(&report, "k8s-replicas-minimum").is_empty());

    // Twin: the same object named as the service is scored.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[("k8s/api.yaml", &DEPLOYMENT.replace("IMAGE_TAG", "latest"))],
    );
    let report = self::report(dir.path());
    assert_eq!(
        at(&report, "k8s-image-tag-pinned"),
        vec![("k8s/api.yaml".to_owned(), 17)]
    );
}

#[test]
fn an_all_in_one_release_copy_is_reported_at_the_source() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let deployment = DEPLOYMENT.replace("IMAGE_TAG", "1.4.2");
    let all_in_one = format!("{SERVICE}---\n{deployment}");
    write(
        dir.path(),
        &[
            ("deploy/api.yaml", &deployment),
            ("deploy/service.yaml", SERVICE),
            ("release/install.yaml", &all_in_one),
        ],
    );
    let report = report(dir.path());
    assert_eq!(
        at(&report, "k8s-replicas-minimum"),
        vec![("deploy/api.yaml".to_owned(), 6)],
        "once, in the per-object file"
    );
    assert!(
        report["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["path"] == "release/install.yaml"
                && a["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("Generated copy"))),
        "the copy says why it is not linted"
    );
}

#[test]
fn near_copies_share_findings_once_and_keep_their_own() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            ("base/api.yaml", &DEPLOYMENT.replace("IMAGE_TAG", "1.4.2")),
            (
                "manifests/api.yaml",
                &DEPLOYMENT.replace("IMAGE_TAG", "latest"),
            ),
        ],
    );
    let report = report(dir.path());
    // The problem both copies have: once, in the first file by path.
    assert_eq!(
        at(&report, "k8s-replicas-minimum"),
        vec![("base/api.yaml".to_owned(), 6)]
    );
    // The problem only one copy has is not lost.
    assert_eq!(
        at(&report, "k8s-image-tag-pinned"),
        vec![("manifests/api.yaml".to_owned(), 17)]
    );
}

#[test]
fn a_debug_dockerfile_is_a_dev_image_and_the_shipped_one_is_scored() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            (
                "src/cart/Dockerfile",
                "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\nUSER 65532\nENTRYPOINT [\"/app\"]\n",
            ),
            ("src/cart/Dockerfile.debug", LOAD_TEST_DOCKERFILE),
        ],
    );
    let report = report(dir.path());
    assert_eq!(
        artifact_kind(&report, "src/cart/Dockerfile.debug"),
        "dev-image"
    );
    assert!(at(&report, "docker-image-tag-pinned").is_empty());

    // Twin: the same text as a release variant (`Dockerfile.prod`) is what ships.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[("src/cart/Dockerfile.prod", LOAD_TEST_DOCKERFILE)],
    );
    let report = self::report(dir.path());
    assert_eq!(
        at(&report, "docker-image-tag-pinned"),
        vec![("src/cart/Dockerfile.prod".to_owned(), 1)]
    );
}

#[test]
fn a_workload_whose_image_is_named_load_is_a_load_generator() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let load = DEPLOYMENT
        .replace("name: api", "name: traffic")
        .replace("ghcr.io/acme/api:IMAGE_TAG", "acme/rs-load:latest");
    write(dir.path(), &[("K8s/load-deployment.yaml", &load)]);
    assert!(at(&report(dir.path()), "k8s-image-tag-pinned").is_empty());

    // Twin: a load balancer is part of the service.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let balancer = DEPLOYMENT
        .replace("name: api", "name: edge")
        .replace("ghcr.io/acme/api:IMAGE_TAG", "acme/load-balancer:latest");
    write(dir.path(), &[("k8s/edge.yaml", &balancer)]);
    assert_eq!(
        at(&report(dir.path()), "k8s-image-tag-pinned"),
        vec![("k8s/edge.yaml".to_owned(), 17)]
    );
}

#[test]
fn compose_variables_from_dot_env_link_a_service_to_its_dockerfile() {
    let compose = "services:\n  api:\n    image: ${REGISTRY}/api:${API_TAG}\n    build:\n      context: .\n      dockerfile: ${API_DOCKERFILE}\n    ports: [\"8080:8080\"]\n";
    let dockerfile =
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY api /api\nENTRYPOINT [\"/api\"]\n";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            ("compose.yaml", compose),
            ("src/api/Dockerfile", dockerfile),
        ],
    );
    // Without `.env` the Dockerfile is built by nothing golive can see: the one missing
    // healthcheck is reported twice, on the service and on the Dockerfile.
    let worse = report(dir.path());
    assert_eq!(
        at(&worse, "health-check-defined"),
        vec![("src/api/Dockerfile".to_owned(), 1)]
    );
    assert_eq!(
        at(&worse, "compose-healthcheck"),
        vec![("compose.yaml".to_owned(), 2)]
    );

    // Twin: `.env` names the Dockerfile and the tag, as `docker compose` reads them.
    write(
        dir.path(),
        &[(
            ".env",
            "REGISTRY=ghcr.io/acme\nAPI_TAG=1.4.2\nAPI_DOCKERFILE=./src/api/Dockerfile\n",
        )],
    );
    let better = report(dir.path());
    assert!(at(&better, "health-check-defined").is_empty());
    assert_eq!(
        at(&better, "compose-healthcheck"),
        vec![("compose.yaml".to_owned(), 2)]
    );
    assert!(at(&better, "compose-image-tag-pinned").is_empty());
}
