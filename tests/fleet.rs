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
