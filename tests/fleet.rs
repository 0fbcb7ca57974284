//! Fleet mode as CI uses it: services discovered in a generated monorepo, shards that partition
//! them exactly, and `golive merge` of the shard reports equal to one unsharded run.

// The benchmark uses more of the generator (its RNG helpers) than these tests do.
#[path = "../examples/monorepo/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SERVICES: usize = 20;

fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    generator::generate(dir.path(), SERVICES, 7).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// Runs golive in `dir`; returns stdout and the exit code.
fn golive(dir: &Path, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains("services  "),
        "a progress bar reached a non-terminal stderr: {stderr}"
    );
    (stdout, output.status.code().unwrap_or(-1))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn targets(report: &Value) -> Vec<String> {
    report["reports"]
        .as_array()
        .unwrap_or_else(|| panic!("no reports: {report}"))
        .iter()
        .map(|r| r["target"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn discovery_finds_every_generated_service_sorted() {
    let repo = monorepo();
    let (out, code) = golive(
        repo.path(),
        &["check", "--discover", ".", "--format", "json"],
    );
    let found = targets(&json(&out));
    let expected: Vec<String> = (0..SERVICES)
        .map(|i| format!("services/svc-{i:04}"))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(code, 1, "generated services miss probes and alerts");
}

#[test]
fn targets_keep_the_path_as_given() {
    let repo = monorepo();
    let parent = repo.path().parent().unwrap_or_else(|| panic!("no parent"));
    let name = repo
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    let (out, _) = golive(parent, &["check", "--discover", &name, "--format", "json"]);
    let found = targets(&json(&out));
    assert_eq!(found[0], format!("{name}/services/svc-0000"));
}

#[test]
fn shards_partition_the_services_and_merge_back_byte_for_byte() {
    let repo = monorepo();
    let dir = repo.path();
    let (all, _) = golive(dir, &["check", "--discover", ".", "--format", "json"]);
    let mut seen = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let file = format!("shard-{k}.json");
        let (_, code) = golive(
            dir,
            &[
                "check",
                "--discover",
                ".",
                "--shard",
                &shard,
                "--format",
                &format!("json={file}"),
            ],
        );
        assert!(code == 0 || code == 1, "shard {shard} exited {code}");
        let text = std::fs::read_to_string(dir.join(&file)).unwrap_or_else(|e| panic!("{e}"));
        seen.extend(targets(&json(&text)));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        seen.len(),
        "a service is in two shards: {seen:?}"
    );
    assert_eq!(sorted, targets(&json(&all)), "shards lost a service");

    let files = ["shard-1.json", "shard-2.json", "shard-3.json"];
    let (merged, code) = golive(
        dir,
        &[&["merge"][..], &files, &["--format", "json"]].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(merged, all, "merged shards differ from the unsharded run");
}

#[test]
fn merged_shards_render_as_valid_sarif_with_rule_docs() {
    let repo = monorepo();
    let dir = repo.path();
    for k in 1..=2 {
        golive(
            dir,
            &[
                "check",
                "--discover",
                ".",
                "--shard",
                &format!("{k}/2"),
                "--format",
                &format!("json=s{k}.json"),
            ],
        );
    }
    let (sarif, _) = golive(dir, &["merge", "s1.json", "s2.json", "--format", "sarif"]);
    let sarif = json(&sarif);
    let runs = sarif["runs"].as_array().map_or(0, Vec::len);
    assert_eq!(runs, SERVICES);
    let title = &sarif["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"];
    assert!(!title.as_str().unwrap_or_default().is_empty(), "{title}");
    let (human, _) = golive(dir, &["merge", "s1.json", "s2.json"]);
    assert!(human.contains("20 services, "), "{human}");
}

#[test]
fn merge_rejects_a_service_in_two_files() {
    let repo = monorepo();
    let dir = repo.path();
    golive(
        dir,
        &["check", "--discover", ".", "--format", "json=all.json"],
    );
    let (_, code) = golive(dir, &["merge", "all.json", "all.json"]);
    assert_eq!(code, 2);
}

#[test]
fn fleet_services_globs_in_golive_toml_name_the_services() {
    let repo = monorepo();
    let dir = repo.path();
    let toml = "[fleet]\nservices = [\"services/svc-000*\"]\n";
    std::fs::write(dir.join("golive.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
    let (out, _) = golive(dir, &["check", ".", "--format", "json"]);
    let found = targets(&json(&out));
    assert_eq!(found.len(), 10, "{found:?}");
    assert!(found.iter().all(|t| t.starts_with("services/svc-000")));
}

#[test]
fn a_service_golive_toml_replaces_the_root_one() {
    let repo = monorepo();
    let dir = repo.path();
    let write = |path: &str, text: &str| {
        std::fs::write(dir.join(path), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("golive.toml", "[gate]\nfail_on = \"never\"\n");
    write(
        "services/svc-0003/golive.toml",
        "[gate]\nfail_on = \"info\"\n",
    );
    let (out, code) = golive(dir, &["check", "--discover", ".", "--format", "json"]);
    assert_eq!(code, 1);
    let report = json(&out);
    let failed: Vec<&str> = report["reports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["gate"]["passed"] == false)
        .filter_map(|r| r["target"].as_str())
        .collect();
    assert_eq!(failed, ["services/svc-0003"]);
}

#[test]
fn a_bad_fleet_glob_points_at_its_line() {
    let repo = monorepo();
    let dir = repo.path();
    let toml = "[fleet]\nservices = [\"services/[\"]\n";
    std::fs::write(dir.join("golive.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["check", "."])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid glob") && stderr.contains(":2:"),
        "{stderr}"
    );
}

#[test]
fn bad_shards_are_usage_errors() {
    let repo = monorepo();
    for bad in ["0/3", "4/3", "x"] {
        let (_, code) = golive(repo.path(), &["check", "--discover", ".", "--shard", bad]);
        assert_eq!(code, 2, "--shard {bad}");
    }
}

#[test]
fn the_fleet_table_lists_each_service_once() {
    let repo = monorepo();
    let (out, _) = golive(repo.path(), &["check", "--discover", "."]);
    let table = out
        .rsplit_once("\nservice ")
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("no fleet table: {out}"));
    for i in 0..SERVICES {
        let name = format!("services/svc-{i:04} ");
        assert_eq!(table.matches(&name).count(), 1, "{name} in {table}");
    }
    assert!(table.contains(&format!("{SERVICES} services, ")), "{table}");
}

#[test]
fn fleet_table_columns_line_up_whatever_the_names() {
    let repo = monorepo();
    let long = "services/a-service-whose-folder-name-is-longer-than-forty-characters";
    std::fs::create_dir_all(repo.path().join(long)).unwrap_or_else(|e| panic!("{e}"));
    let (out, _) = golive(repo.path(), &["check", "services/svc-0000", long]);
    let table = out
        .rsplit_once("\nservice ")
        .map(|(_, t)| format!("service {t}"))
        .unwrap_or_else(|| panic!("no fleet table: {out}"));
    let lines: Vec<&str> = table.lines().take(3).collect();
    let grade = lines[0].find("grade").unwrap_or_else(|| panic!("{table}"));
    for row in &lines[1..] {
        let letter = row.get(grade..=grade).unwrap_or("");
        assert!(
            ["A", "B", "C", "D", "F"].contains(&letter),
            "the grade column starts at {grade} in every row:\n{table}"
        );
    }
}

/// Every format of a fleet run, as the binary streams it service by service, against the same
/// reports rendered at once in-process, for one and two threads.
#[test]
fn a_streamed_fleet_is_the_whole_fleet_rendered_at_once() {
    use golive::report;
    let repo = monorepo();
    let dir = repo.path();
    let root = dir.display().to_string();
    let mut settings = golive::settings::Settings::defaults(
        golive::settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}")),
    );
    settings.fleet = true;
    let services = golive::fleet::discover(dir, None).unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<_> = services
        .iter()
        .map(|service| {
            let target = format!("{root}/{service}");
            golive::check(golive::Input::Dir(&dir.join(service)), &target, &settings)
        })
        .collect();
    let expected = [
        ("json", report::json::render_fleet(&reports)),
        ("human", report::human::render_fleet(&reports, false)),
        ("sarif", report::sarif::render(&reports)),
        ("junit", report::junit::render(&reports)),
        ("github", report::github::render(&reports)),
        ("markdown", report::markdown::render(&reports, None)),
        ("gitlab", report::gitlab::render(&reports)),
        ("checkstyle", report::checkstyle::render(&reports)),
        ("html", report::html::render(&reports, true)),
    ];
    for threads in ["1", "2"] {
        let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec![
            "check".to_owned(),
            "--discover".to_owned(),
            root.clone(),
            "--threads".to_owned(),
            threads.to_owned(),
        ];
        for (format, _) in &expected {
            args.push("--format".to_owned());
            args.push(format!("{format}={}", out.path().join(format).display()));
        }
        let output = Command::cargo_bin("golive")
            .unwrap_or_else(|e| panic!("{e}"))
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_SERVER_URL")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        for (format, text) in &expected {
            let written = std::fs::read_to_string(out.path().join(format))
                .unwrap_or_else(|e| panic!("{format}: {e}"));
            assert!(written == *text, "--threads {threads}: {format} differs");
        }
    }
}

/// The JSON fleet report of `--discover` on a fixture monorepo (run from `fixtures/repos`).
fn discovered(fixture: &str) -> Value {
    let repos = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos");
    let (out, _) = golive(
        &repos,
        &["check", "--discover", fixture, "--format", "json"],
    );
    json(&out)
}

/// `rule path:line` of each finding of the service `target`.
fn findings_of(fleet: &Value, target: &str) -> Vec<String> {
    let report = fleet["reports"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["target"] == target))
        .unwrap_or_else(|| panic!("no report for {target}: {fleet}"));
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report}"))
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap_or(""),
                f["path"],
                f["line"]
            )
        })
        .collect()
}

#[test]
fn services_inherit_the_root_evidence_of_their_monorepo() {
    let worse = discovered("monorepo-no-root-evidence");
    let better = discovered("monorepo-root-evidence");
    // Root CI (builds both images, scans them), CODEOWNERS, renovate.json, CHANGELOG.md and
    // the root compose services building each folder answer what each service lacks alone.
    let answered = [
        ("cart", "dependency-updates-automated null:null"),
        ("cart", "docs-changelog null:null"),
        ("cart", "image-scan-in-ci null:null"),
        ("cart", "docs-ownership \"k8s/deployment.yaml\":4"),
        ("cart", "k8s-image-tag-pinned \"k8s/deployment.yaml\":17"),
        ("payments", "dependency-updates-automated null:null"),
        ("payments", "docs-changelog null:null"),
        ("payments", "image-scan-in-ci null:null"),
        (
            "payments",
            "container-orchestrator-manifests \"Dockerfile\":1",
        ),
        ("payments", "health-check-defined \"Dockerfile\":1"),
    ];
    for (service, finding) in answered {
        let alone = findings_of(
            &worse,
            &format!("monorepo-no-root-evidence/services/{service}"),
        );
        let inheriting = findings_of(
            &better,
            &format!("monorepo-root-evidence/services/{service}"),
        );
        assert!(
            alone.contains(&finding.to_owned()),
            "{service} alone lacks {finding}: {alone:?}"
        );
        assert!(
            !inheriting.contains(&finding.to_owned()),
            "{service} still has {finding}"
        );
    }
    // A compose service of the root file belongs to the service it builds; its findings point
    // at the root file, and the database building nothing belongs to no service.
    let payments = findings_of(&better, "monorepo-root-evidence/services/payments");
    assert!(
        payments.contains(&"compose-resource-limits \"../../docker-compose.yml\":11".to_owned()),
        "{payments:?}"
    );
    for report in better["reports"].as_array().into_iter().flatten() {
        let inherited: Vec<String> = report["inherited"]
            .as_array()
            .unwrap_or_else(|| panic!("no `inherited` in {report}"))
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i["path"].as_str().unwrap_or(""),
                    i["evidence"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            inherited,
            [
                "../../.github/workflows/ci.yml ci",
                "../../CHANGELOG.md changelog",
                "../../CODEOWNERS ownership",
                "../../docker-compose.yml compose",
                "../../renovate.json dependency-updates",
            ],
            "the root README is the monorepo's, not the service's"
        );
    }
    for report in worse["reports"].as_array().into_iter().flatten() {
        assert!(
            report.get("inherited").is_none(),
            "nothing to inherit: {report}"
        );
    }
}

#[test]
fn a_finding_about_an_inherited_file_counts_for_each_service_and_shows_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/monorepo-root-evidence");
    copy_tree(&fixture, dir.path());
    // The root CI builds the images but no longer scans them.
    let ci = dir.path().join(".github/workflows/ci.yml");
    let text = std::fs::read_to_string(&ci).unwrap_or_else(|e| panic!("{e}"));
    let cut = text
        .find("      - uses: aquasecurity")
        .unwrap_or(text.len());
    std::fs::write(&ci, &text[..cut]).unwrap_or_else(|e| panic!("{e}"));

    let (out, _) = golive(
        dir.path(),
        &["check", "--discover", ".", "--format", "json"],
    );
    let fleet = json(&out);
    for service in ["services/cart", "services/payments"] {
        let findings = findings_of(&fleet, service);
        assert!(
            findings.contains(&"image-scan-in-ci \"../../.github/workflows/ci.yml\":1".to_owned()),
            "{service}: {findings:?}"
        );
    }
    let (human, _) = golive(
        dir.path(),
        &["check", "--discover", ".", "--fail-on", "never"],
    );
    assert_eq!(
        human
            .matches("╭─[../../.github/workflows/ci.yml:1:1]")
            .count(),
        1,
        "{human}"
    );
    assert!(
        human.contains("../../.github/workflows/ci.yml:1:1: no CI workflow scans the container image (Trivy, Grype, Snyk, Docker Scout) (inherited; shown in full under services/cart)"),
        "{human}"
    );
    assert_eq!(
        human
            .matches("inherited from the monorepo root: ../../.github/workflows/ci.yml (ci), ")
            .count(),
        2
    );
    let (markdown, _) = golive(
        dir.path(),
        &["check", "--discover", ".", "--format", "markdown"],
    );
    let listed = "Inherited from the monorepo root: \
                  [.github/workflows/ci.yml](.github/workflows/ci.yml) (ci), ";
    assert_eq!(markdown.matches(listed).count(), 2, "{markdown}");
    let (sarif, _) = golive(
        dir.path(),
        &["check", "--discover", ".", "--format", "sarif"],
    );
    let scans: Vec<Value> = json(&sarif)["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["ruleId"] == "image-scan-in-ci")
        .collect();
    assert_eq!(scans.len(), 1, "one alert in code scanning: {scans:?}");
    assert_eq!(
        scans[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/ci.yml"
    );
    for (format, written) in [
        ("gitlab", "\"check_name\": \"image-scan-in-ci\""),
        ("github", "::notice file=.github/workflows/ci.yml,line=1,"),
        ("checkstyle", "source=\"golive.image-scan-in-ci\""),
    ] {
        let (out, _) = golive(
            dir.path(),
            &["check", "--discover", ".", "--format", format],
        );
        assert_eq!(out.matches(written).count(), 1, "{format}: {out}");
    }

    // Shards merge back to the whole run, inherited files and all.
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let file = format!("--format=json=shard-{k}.json");
        golive(
            dir.path(),
            &["check", "--discover", ".", "--shard", &shard, &file],
        );
    }
    let (merged, _) = golive(
        dir.path(),
        &["merge", "shard-1.json", "shard-2.json", "--format", "json"],
    );
    assert_eq!(merged, out);

    // With Kubernetes manifests at the root too, the root compose file is local development:
    // its availability findings go, its security findings would stay.
    let k8s = dir.path().join("k8s");
    std::fs::create_dir_all(&k8s).unwrap_or_else(|e| panic!("{e}"));
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    std::fs::write(k8s.join("namespace.yaml"), namespace).unwrap_or_else(|e| panic!("{e}"));
    let (out, _) = golive(
        dir.path(),
        &["check", "--discover", ".", "--format", "json"],
    );
    let payments = findings_of(&json(&out), "services/payments");
    assert!(
        !payments.iter().any(|f| f.starts_with("compose-")),
        "{payments:?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
