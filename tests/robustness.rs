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
    let result = check(Input::Dir(root), "hostile", &Settings::defaults(rules));

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
