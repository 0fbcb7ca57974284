//! A deterministic generator of synthetic service monorepos, for benchmarks: N services, each with
//! a Dockerfile, 3–6 Kubernetes documents in 2–3 files (Deployment, Service, HPA, PDB, ConfigMap,
//! some without probes or resources), a README and a few source files. Same seed, same bytes.
//!
//! Some services carry one injected relation fault each (`Fault`), listed in `faults.tsv` at the
//! root as `rule<TAB>path` lines (the rule that must find it, the file its finding points into),
//! so a test can measure recall: every listed fault found, those rules silent everywhere else.

use std::fmt::Write as _;
use std::path::Path;

/// xorshift64*: tiny, seeded, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const LANGUAGES: [&str; 3] = ["go", "python", "node"];

/// A relation fault injected into one service, and the rule that must find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The PDB's `minAvailable` equals the replicas (and the HPA's minimum).
    PdbMinAvailable,
    /// The HPA's `scaleTargetRef` names a Deployment that does not exist.
    HpaTargetMissing,
    /// The Service selects a label no pod carries.
    ServiceSelectsNothing,
    /// The Dockerfile EXPOSEs another port than the container declares.
    ExposeMismatch,
}

impl Fault {
    pub fn rule(self) -> &'static str {
        match self {
            Fault::PdbMinAvailable => "k8s-pdb-below-replicas",
            Fault::HpaTargetMissing => "k8s-hpa-target-exists",
            Fault::ServiceSelectsNothing => "k8s-service-selects-pods",
            Fault::ExposeMismatch => "k8s-container-port-exposed",
        }
    }

    /// Services 1, 3, 5 and 7 of every ten carry one fault each, so any tree of ten services
    /// or more has every kind, independently of the seed.
    pub fn of_service(index: usize) -> Option<Fault> {
        match index % 10 {
            1 => Some(Fault::PdbMinAvailable),
            3 => Some(Fault::HpaTargetMissing),
            5 => Some(Fault::ServiceSelectsNothing),
            7 => Some(Fault::ExposeMismatch),
            _ => None,
        }
    }
}

/// Writes `services` services under `root/services/` and the fault manifest `root/faults.tsv`;
/// returns the number of files written.
pub fn generate(root: &Path, services: usize, seed: u64) -> std::io::Result<usize> {
    let mut rng = Rng::new(seed);
    let mut written = 0;
    let mut manifest = String::new();
    for i in 0..services {
        let name = format!("svc-{i:04}");
        let dir = root.join("services").join(&name);
        let fault = Fault::of_service(i);
        let files = service(&name, fault, &mut rng);
        if let Some((fault, (path, _))) =
            fault.and_then(|f| Some((f, files.iter().find(|(_, text)| f.is_in(text))?)))
        {
            let _ = writeln!(manifest, "{}\tservices/{name}/{path}", fault.rule());
        }
        for (path, text) in files {
            let full = dir.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, text)?;
            written += 1;
        }
    }
    std::fs::write(root.join("faults.tsv"), manifest)?;
    Ok(written + 1)
}

impl Fault {
    /// Whether `text` is the file where the rule's finding points: the budget or the HPA, the
    /// Service, the Deployment's `containerPort`.
    fn is_in(self, text: &str) -> bool {
        text.contains(match self {
            Fault::PdbMinAvailable => "kind: PodDisruptionBudget\n",
            Fault::HpaTargetMissing => "kind: HorizontalPodAutoscaler\n",
            Fault::ServiceSelectsNothing => "kind: Service\n",
            Fault::ExposeMismatch => "kind: Deployment\n",
        })
    }
}

/// The files of one service, as (relative path, text), with `fault` injected if given.
pub fn service(name: &str, fault: Option<Fault>, rng: &mut Rng) -> Vec<(String, String)> {
    let language = rng.pick(&LANGUAGES);
    let port = 8000 + rng.below(1000);
    let replicas = 1 + rng.below(4);
    let exposed = if fault == Some(Fault::ExposeMismatch) {
        port + 1
    } else {
        port
    };
    let mut files = vec![
        (
            "Dockerfile".to_owned(),
            dockerfile(language, exposed, port, rng),
        ),
        ("README.md".to_owned(), readme(name, port, rng)),
    ];
    let deployment = deployment(name, port, replicas, rng);
    let selected = if fault == Some(Fault::ServiceSelectsNothing) {
        format!("{name}-api")
    } else {
        name.to_owned()
    };
    let service = service_yaml(name, &selected, port);
    if rng.chance(50) {
        files.push((
            "deploy/app.yaml".to_owned(),
            format!("{deployment}---\n{service}"),
        ));
    } else {
        files.push(("deploy/deployment.yaml".to_owned(), deployment));
        files.push(("deploy/service.yaml".to_owned(), service));
    }
    let mut extra = String::new();
    if rng.chance(70) || fault == Some(Fault::HpaTargetMissing) {
        let target = if fault == Some(Fault::HpaTargetMissing) {
            format!("{name}-v1")
        } else {
            name.to_owned()
        };
        let _ = write!(extra, "---\n{}", hpa(name, &target, replicas, rng));
    }
    if rng.chance(60) || fault == Some(Fault::PdbMinAvailable) {
        let budget = if fault == Some(Fault::PdbMinAvailable) {
            format!("minAvailable: {replicas}")
        } else {
            "maxUnavailable: 1".to_owned()
        };
        let _ = write!(extra, "---\n{}", pdb(name, &budget));
    }
    if rng.chance(50) {
        let _ = write!(extra, "---\n{}", config_map(name, rng));
    }
    if !extra.is_empty() {
        files.push(("deploy/extras.yaml".to_owned(), extra));
    }
    for j in 0..(2 + rng.below(4)) {
        let (path, text) = source(language, j, port, rng);
        files.push((path, text));
    }
    files
}

fn dockerfile(language: &str, exposed: u64, port: u64, rng: &mut Rng) -> String {
    let (build, run) = match language {
        "go" => (
            "golang:1.23-alpine",
            "gcr.io/distroless/static-debian12:nonroot",
        ),
        "python" => ("python:3.12-slim", "python:3.12-slim"),
        _ => ("node:20-alpine", "node:20-alpine"),
    };
    let user = if rng.chance(70) { "USER 10001\n" } else { "" };
    let health = if rng.chance(40) {
        format!("HEALTHCHECK --interval=30s CMD [\"/app\", \"health\", \"{port}\"]\n")
    } else {
        String::new()
    };
    format!(
        "# syntax=docker/dockerfile:1\nARG BASE={build}\nFROM ${{BASE}} AS build\nWORKDIR /src\nCOPY . .\nRUN make build \\\n    && make test\n\nFROM {run}\nCOPY --from=build /src/out /app\n{user}EXPOSE {exposed}\n{health}ENTRYPOINT [\"/app\"]\n"
    )
}

fn readme(name: &str, port: u64, rng: &mut Rng) -> String {
    let mut text = format!(
        "# {name}\n\n{name} handles part of the shop's order flow. It receives requests from the \
         gateway, validates them and stores the result. This README explains how to build, test \
         and run it.\n\n## Getting started\n\n```sh\nmake build\n./out/{name} --port {port}\n```\n\n"
    );
    if rng.chance(60) {
        text.push_str("## Running tests\n\n```sh\nmake test\n```\n\n");
    }
    if rng.chance(50) {
        text.push_str("## Health\n\n`/healthz` reports healthy, degraded or unhealthy.\n\n");
    }
    for i in 0..rng.below(6) {
        let _ = writeln!(
            text,
            "## Notes {i}\n\n| key | value |\n|---|---|\n| a | b |\n"
        );
    }
    text
}

fn deployment(name: &str, port: u64, replicas: u64, rng: &mut Rng) -> String {
    let probes = if rng.chance(75) {
        format!(
            "          readinessProbe:\n            httpGet: {{path: /readyz, port: {port}}}\n          livenessProbe:\n            httpGet: {{path: /healthz, port: {port}}}\n"
        )
    } else {
        String::new()
    };
    let resources = if rng.chance(70) {
        "          resources:\n            requests: {cpu: 100m, memory: 128Mi}\n            limits: {memory: 256Mi}\n".to_owned()
    } else {
        String::new()
    };
    let tag = if rng.chance(90) { "1.2.3" } else { "latest" };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: &labels\n    app: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: *labels\n  template:\n    metadata:\n      labels: *labels\n    spec:\n      securityContext:\n        runAsNonRoot: true\n      containers:\n        - name: app\n          image: registry.example.com/shop/{name}:{tag}\n          ports:\n            - containerPort: {port}\n              name: http\n{probes}{resources}"
    )
}

fn service_yaml(name: &str, selected: &str, port: u64) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {selected}\n  ports:\n    - port: 80\n      targetPort: {port}\n"
    )
}

fn hpa(name: &str, target: &str, replicas: u64, rng: &mut Rng) -> String {
    let max = replicas + 1 + rng.below(8);
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n  minReplicas: {replicas}\n  maxReplicas: {max}\n  metrics:\n    - type: Resource\n      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}\n"
    )
}

fn pdb(name: &str, budget: &str) -> String {
    format!(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\nspec:\n  {budget}\n  selector:\n    matchLabels: {{app: {name}}}\n"
    )
}

fn config_map(name: &str, rng: &mut Rng) -> String {
    let mut text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\ndata:\n");
    for i in 0..(3 + rng.below(20)) {
        let _ = writeln!(text, "  KEY_{i}: \"value-{}\"", rng.below(1_000_000));
    }
    text
}

fn source(language: &str, index: u64, port: u64, rng: &mut Rng) -> (String, String) {
    let lines = 40 + rng.below(200);
    let mut body = String::new();
    match language {
        "go" => {
            let _ = writeln!(
                body,
                "package main\n\nimport (\n\t\"log/slog\"\n\t\"net/http\"\n)\n"
            );
            for i in 0..lines {
                let _ = writeln!(
                    body,
                    "func handler{index}x{i}(w http.ResponseWriter, r *http.Request) {{ slog.Info(\"ok\", \"port\", {port}) }}"
                );
            }
            (format!("cmd/app/file{index}.go"), body)
        }
        "python" => {
            body.push_str("import structlog\n\nlog = structlog.get_logger()\n\n");
            for i in 0..lines {
                let _ = writeln!(
                    body,
                    "def handler_{index}_{i}(request):\n    log.info(\"ok\", port={port})\n"
                );
            }
            (format!("app/module{index}.py"), body)
        }
        _ => {
            body.push_str("const pino = require('pino')();\n\n");
            for i in 0..lines {
                let _ = writeln!(
                    body,
                    "function handler{index}x{i}(req, res) {{ pino.info({{ port: {port} }}); }}"
                );
            }
            (format!("src/file{index}.js"), body)
        }
    }
}
