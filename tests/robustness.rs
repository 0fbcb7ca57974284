//! A hostile repository: nothing in it may crash golive, leave the root, reach the terminal raw,
//! or stop the rest of the repo from being scored.

use std::path::Path;

use golive::settings::{self, Settings};
use golive::{Input, check, report};

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(full, bytes).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn hostile_repository_is_scored_safely() {
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(outside.path(), "secret.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: outside}\nspec: {containers: [{name: x, image: y}]}\n");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 0, 0xff],
    );
    write(
        root,
        "README.md",
        b"# t\xffitle\n\nInvalid \xc3 UTF-8 here.\n",
    );
    write(root, "k8s/broken.yaml", b"a: [\n");
    write(root, "k8s/bomb.yaml", billion_laughs().as_bytes());
    write(root, "k8s/deep.yaml", "[".repeat(200_000).as_bytes());
    write(
        root,
        "k8s/app.yaml",
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: \"evil\\e[31mred\\a\"}\nspec:\n  template:\n    spec:\n      containers:\n        - name: \"c\\e]0;title\\a\"\n          image: nginx:1.25\n",
    );
    write(root, "many.yaml", "---\na: 1\n".repeat(20_000).as_bytes());
    write(root, "huge.yaml", &huge_single_line());
    write(root, "svc/Dockerfile", b"FROM\nUSER app\n");
    write(root, "k8s/unreadable.yaml", b"apiVersion: v1\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = root.join("k8s/unreadable.yaml");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).ok();
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("secret.yaml"),
            root.join("k8s/link-out.yaml"),
        )
        .ok();
        std::os::unix::fs::symlink(root.join("loop-a.yaml"), root.join("loop-b.yaml")).ok();
        std::os::unix::fs::symlink(root.join("loop-b.yaml"), root.join("loop-a.yaml")).ok();
        std::os::unix::fs::symlink(outside.path(), root.join("dir-out")).ok();
    }
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let started = std::time::Instant::now();
    let result = check(Input::Dir(root), "hostile", &Settings::defaults(rules));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "hostile scan took {:?}",
        started.elapsed()
    );
    let artifact = |path: &str| result.artifacts.iter().find(|a| a.path == path);
    assert_eq!(
        artifact("huge.yaml").map(|a| a.status),
        Some("skipped"),
        "a 30 MB file is over the default size cap"
    );
    assert_eq!(artifact("many.yaml").map(|a| a.documents), Some(20_000));
    // Root reads any file, so an unreadable file can only be checked when not running as root.
    let readable = std::fs::read(root.join("k8s/unreadable.yaml")).is_ok();
    assert_eq!(
        result
            .errors
            .iter()
            .any(|e| e.path == "k8s/unreadable.yaml"),
        !readable,
        "an unreadable file is a per-file error"
    );
    assert!(
        result
            .errors
            .iter()
            .any(|e| e.path == "svc/Dockerfile" && e.line == Some(1)),
        "FROM without an image is a located error: {:?}",
        result.errors
    );

    let error_paths: Vec<&str> = result.errors.iter().map(|e| e.path.as_str()).collect();
    for path in [
        "Dockerfile",
        "k8s/broken.yaml",
        "k8s/bomb.yaml",
        "k8s/deep.yaml",
    ] {
        assert!(
            error_paths.contains(&path),
            "{path} should be a per-file error: {error_paths:?}"
        );
    }
    assert!(
        result
            .findings
            .iter()
            .all(|f| f.object.as_deref() != Some("Pod/outside")),
        "read outside the root"
    );
    let skipped: Vec<&str> = result
        .artifacts
        .iter()
        .filter(|a| a.status == "skipped")
        .map(|a| a.path.as_str())
        .collect();
    assert!(skipped.contains(&"k8s/link-out.yaml"), "{skipped:?}");
    assert!(
        result.findings.iter().any(|f| f
            .object
            .as_deref()
            .is_some_and(|o| o.starts_with("Deployment/evil"))),
        "the rest is still scored"
    );

    let human = report::human::render(std::slice::from_ref(&result), false);
    let json = report::json::render(std::slice::from_ref(&result));
    for output in [&human, &json] {
        assert!(!output.contains('\u{1b}'), "raw ESC in output");
        assert!(!output.contains('\u{7}'), "raw BEL in output");
    }
}

fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    text
}

/// A 30 MB YAML file whose only value is one line long.
fn huge_single_line() -> Vec<u8> {
    let mut text = b"value: ".to_vec();
    text.resize(30 * 1024 * 1024, b'x');
    text.push(b'\n');
    text
}

#[test]
fn a_30_mb_single_line_value_parses_when_the_cap_allows_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "huge.yaml", &huge_single_line());
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let mut settings = Settings::defaults(rules);
    settings.max_file_size = 64 * 1024 * 1024;
    let started = std::time::Instant::now();
    let result = check(Input::Dir(dir.path()), "huge", &settings);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let huge = result.artifacts.iter().find(|a| a.path == "huge.yaml");
    assert_eq!(huge.map(|a| (a.status, a.documents)), Some(("parsed", 1)));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
}

/// Files that are not YAML or JSON as the spec has it, but as their tools have it, are listed,
/// not reported as broken: a JSONC devcontainer, YAML that is still a template.
#[test]
fn templates_and_jsonc_are_not_parse_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    write(
        root,
        ".devcontainer/devcontainer.json",
        b"{\n  // the image\n  \"image\": \"mcr.microsoft.com/devcontainers/go:1\",\n}\n",
    );
    write(
        root,
        "deploy/app.yaml.j2",
        b"kind: ConfigMap\n{% if prod %}\ndata: {LEVEL: warn}\n{% endif %}\n",
    );
    write(
        root,
        "ansible/configmap.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ app_name }}\ndata:\n  LEVEL: {{ level }}\n",
    );
    write(
        root,
        "k8s/alertmanager-templates.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: templates\ndata:\n  slack.tmpl: |\n    {{ define \"slack.title\" }}{{ .Status }}{{ end }}\n",
    );
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let result = check(Input::Dir(root), "templates", &Settings::defaults(rules));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let status = |path: &str| {
        result
            .artifacts
            .iter()
            .find(|a| a.path == path)
            .map(|a| a.status)
    };
    assert_eq!(status("ansible/configmap.yaml"), Some("skipped"));
    assert_eq!(status(".devcontainer/devcontainer.json"), Some("parsed"));
    assert_eq!(
        status("k8s/alertmanager-templates.yaml"),
        Some("parsed"),
        "a template inside a block scalar is a plain value"
    );
}
