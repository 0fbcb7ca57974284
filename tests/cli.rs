//! The command line as users drive it: trycmd cases under `tests/cli/*.toml` (help, exit codes,
//! pointed rule-file errors), plus JSON determinism and gate flags checked with assert_cmd.

use assert_cmd::Command;

#[test]
fn trycmd_cases() {
    trycmd::TestCases::new().case("tests/cli/*.toml");
}

fn golive() -> Command {
    let mut cmd = Command::cargo_bin("golive").unwrap_or_else(|e| panic!("{e}"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

fn json(args: &[&str]) -> (serde_json::Value, Vec<u8>, i32) {
    let output = golive()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (value, output.stdout, output.status.code().unwrap_or(-1))
}

#[test]
fn ready_service_passes_and_not_ready_fails() {
    let (ready, _, code) = json(&["check", "fixtures/repos/ready-service", "--format", "json"]);
    assert_eq!(code, 0, "{ready:#}");
    assert!(
        ready["score"].as_f64().unwrap_or(0.0) >= 90.0,
        "{}",
        ready["score"]
    );
    let (not_ready, _, code) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert!(
        not_ready["score"].as_f64().unwrap_or(100.0) <= 40.0,
        "{}",
        not_ready["score"]
    );
    let categories = not_ready["categories"].as_array().map_or(0, Vec::len);
    assert_eq!(categories, 9);
    let readme = not_ready["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == "readme-present")
        .cloned()
        .unwrap_or_default();
    assert_eq!(readme["path"], serde_json::Value::Null);
}

#[test]
fn json_is_identical_across_runs_and_thread_counts() {
    let (_, one, _) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
        "--threads",
        "1",
    ]);
    let (_, four, _) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
        "--threads",
        "4",
    ]);
    let (_, again, _) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
    ]);
    assert_eq!(one, four);
    assert_eq!(one, again);
}

#[test]
fn gate_flags_set_the_exit_code() {
    let (_, _, code) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0);
    let out_of_range = golive()
        .args([
            "check",
            "fixtures/repos/ready-service",
            "--min-score",
            "100.1",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out_of_range.status.code(), Some(2));
    let (report, _, code) = json(&[
        "check",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--min-score",
        "99",
    ]);
    assert_eq!(code, 1);
    assert!(
        report["gate"]["reasons"][0]
            .as_str()
            .unwrap_or("")
            .contains("below the minimum")
    );
}

#[test]
fn several_paths_give_a_fleet_report() {
    let (fleet, _, code) = json(&[
        "check",
        "fixtures/repos/ready-service",
        "fixtures/repos/not-ready-service",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(fleet["reports"].as_array().map_or(0, Vec::len), 2);
}

#[test]
fn stdin_manifests_are_checked() {
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/repos/not-ready-service/k8s/deployment.yaml"
    ))
    .unwrap_or_default();
    let output = golive()
        .args(["check", "-", "--format", "json"])
        .write_stdin(manifest)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let on_stdin = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["path"] == "-");
    assert!(on_stdin, "{report:#}");
}

#[test]
fn several_formats_in_one_run_go_to_their_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let json_path = dir.path().join("out.json");
    let sarif_path = dir.path().join("reports/out.sarif");
    let output = golive()
        .args(["check", "fixtures/repos/not-ready-service", "--format"])
        .arg(format!("json={}", json_path.display()))
        .arg("--format")
        .arg(format!("sarif={}", sarif_path.display()))
        .args(["--format", "human"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("golive fixtures/repos/not-ready-service\n"),
        "{stdout}"
    );
    let read = |path: &std::path::Path| -> serde_json::Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(read(&json_path)["grade"], "F");
    assert_eq!(read(&sarif_path)["version"], "2.1.0");
}

#[test]
fn an_unwritable_output_file_is_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
    let output = golive()
        .args(["check", "fixtures/repos/ready-service", "--format"])
        .arg(format!("json={}", file.join("out.json").display()))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write"));
}

#[test]
fn github_format_appends_markdown_to_the_step_summary() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap_or_else(|e| panic!("{e}"));
    let output = golive()
        .args([
            "check",
            "fixtures/repos/not-ready-service",
            "--format",
            "github",
        ])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("GITHUB_SERVER_URL")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("::error "));
    let text = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(text.starts_with("earlier step\n## golive: "), "{text}");
    assert!(
        text.contains("](fixtures/repos/not-ready-service/k8s/deployment.yaml#L16)"),
        "{text}"
    );
}

/// A committed secret is reported by where it is, never by what it is: no output format
/// repeats it, not even in a snippet's context lines showing the secret beside it.
#[test]
fn no_format_prints_a_secret_it_reports() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let secrets = [
        "sk_live_51H8xQ2eZvKYlo2C0",
        "Pr0d-DB-2024!",
        "k9#v2LxQ8r!pZ7m@w4Tn",
    ];
    let files = [
        (
            ".env",
            format!(
                "STRIPE_API_KEY={}\nDB_PASSWORD={}\n",
                secrets[0], secrets[1]
            ),
        ),
        ("settings.py", format!("SECRET_KEY = \"{}\"\n", secrets[2])),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let root = dir.path().to_string_lossy().into_owned();
    for format in [
        "human",
        "json",
        "sarif",
        "junit",
        "github",
        "markdown",
        "gitlab",
        "checkstyle",
        "html",
    ] {
        let output = golive()
            .args(["check", &root, "--format", format])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&output.stdout);
        for rule in ["config-no-plaintext-secret", "source-no-hardcoded-secret"] {
            assert!(text.contains(rule), "{format}: no {rule} finding:\n{text}");
        }
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{format} prints `{secret}`:\n{text}"
            );
        }
    }
}
