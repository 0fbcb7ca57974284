//! Native Helm rendering (`golive::render::helm`) against real Helm, and the origins of what it
//! renders.
//!
//! The differential test renders every chart under fixtures/helm/ with golive and with Helm's
//! own SDK (tests/helm_oracle.py, `pip install helm-python-sdk`) and compares the YAML documents
//! of each template as JSON values. A chart's `values-*.yaml` files are passed to both as extra
//! values files, in name order. Without python3 or the SDK the comparison is skipped, saying so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use golive::render::helm::{ChartFile, Release, Rendered, render_chart};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm")
}

/// Every file under `dir`, as (path relative to `dir`, text), sorted by path.
fn read_tree(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("Chart.yaml").is_file())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    cases
}

fn values_files(tree: &[(String, String)]) -> Vec<String> {
    tree.iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p.starts_with("values-") && p.ends_with(".yaml"))
        .collect()
}

fn render(tree: &[(String, String)]) -> Vec<Rendered> {
    let files: Vec<ChartFile<'_>> = tree
        .iter()
        .enumerate()
        .map(|(i, (path, text))| ChartFile {
            path,
            text,
            file: i as u32,
        })
        .collect();
    let extra = values_files(tree);
    let release = Release {
        values_files: &extra,
        ..Release::default()
    };
    render_chart("", &files, &release).unwrap_or_else(|e| panic!("golive failed: {e:?}"))
}

/// The YAML documents of a manifest as JSON, without empty documents.
fn documents(text: &str) -> Vec<serde_json::Value> {
    let file = golive::parse::yaml::load(0, text);
    assert!(
        file.errors.is_empty(),
        "not YAML: {:?}\n{text}",
        file.errors
    );
    file.documents
        .iter()
        .map(|d| d.tree.to_json(d.root))
        .filter(|v| !v.is_null())
        .collect()
}

/// Without the oracle the comparison is skipped, except where `GOLIVE_REQUIRE_HELM` is set
/// (.ci/run sets it, so CI never passes by skipping).
fn skip(why: &str) -> Option<BTreeMap<String, String>> {
    assert!(
        std::env::var_os("GOLIVE_REQUIRE_HELM").is_none(),
        "GOLIVE_REQUIRE_HELM is set but the Helm oracle is unavailable: {why}"
    );
    eprintln!("skipping the comparison with Helm: {why}");
    None
}

/// Helm's rendering of `case`, or `None` when the oracle is unavailable.
fn oracle(case: &Path, values: &[String]) -> Option<BTreeMap<String, String>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm_oracle.py");
    let out = match Command::new("python3")
        .arg(script)
        .arg(case)
        .args(values)
        .output()
    {
        Ok(out) => out,
        Err(e) => return skip(&format!("python3 not runnable ({e})")),
    };
    if out.status.code() == Some(3) {
        return skip("`pip install helm-python-sdk` to run it");
    }
    assert!(
        out.status.success(),
        "helm failed on {}: {}",
        case.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("oracle output: {e}")))
}

#[test]
fn renders_every_fixture_chart_like_helm() {
    let cases = cases();
    assert!(cases.len() >= 4, "fixture charts missing");
    let mut failures = Vec::new();
    for case in cases {
        let tree = read_tree(&case);
        let ours: BTreeMap<String, Vec<serde_json::Value>> = render(&tree)
            .into_iter()
            .map(|r| {
                // Helm's names: `<chart>/templates/x.yaml`, subcharts under their alias.
                let name = r
                    .name
                    .split_once('/')
                    .map_or(r.name.clone(), |(_, rest)| rest.to_owned());
                (name, documents(&r.text))
            })
            .collect();
        let Some(theirs) = oracle(&case, &values_files(&tree)) else {
            return;
        };
        let theirs: BTreeMap<String, Vec<serde_json::Value>> = theirs
            .into_iter()
            .filter(|(path, _)| !path.ends_with("NOTES.txt"))
            .map(|(path, text)| (path, documents(&text)))
            .filter(|(_, docs)| !docs.is_empty())
            .collect();
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ours.keys().ne(theirs.keys()) {
            failures.push(format!(
                "{name}: templates differ: {:?} vs Helm's {:?}",
                ours.keys(),
                theirs.keys()
            ));
            continue;
        }
        for (path, docs) in &ours {
            let pretty =
                |v: &Vec<serde_json::Value>| serde_json::to_string_pretty(v).unwrap_or_default();
            let (a, b) = (pretty(docs), pretty(&theirs[path]));
            if a != b {
                let diff: Vec<String> = a
                    .lines()
                    .zip(b.lines())
                    .filter(|(x, y)| x != y)
                    .take(5)
                    .map(|(x, y)| format!("  golive: {x}\n  helm:   {y}"))
                    .collect();
                failures.push(format!(
                    "{name}/{path} differs from Helm:\n{}",
                    diff.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The line (1-based) of byte `offset` in `text`.
fn line_of(text: &str, offset: u32) -> usize {
    text[..offset as usize].matches('\n').count() + 1
}

#[test]
fn to_yaml_output_points_at_the_values_line_and_literal_text_at_the_template() {
    let tree = read_tree(&fixtures().join("web"));
    let rendered = render(&tree);
    let Some(deploy) = rendered
        .iter()
        .find(|r| r.template == "templates/deployment.yaml")
    else {
        panic!("no deployment");
    };
    let file_of = |path: &str| {
        tree.iter()
            .position(|(p, _)| p == path)
            .unwrap_or(usize::MAX) as u32
    };
    let (values_id, values) = (
        file_of("values.yaml"),
        &tree[file_of("values.yaml") as usize].1,
    );
    let (template_id, template) = (
        file_of("templates/deployment.yaml"),
        &tree[file_of("templates/deployment.yaml") as usize].1,
    );

    // `privileged: true` comes from `toYaml .Values.securityContext | nindent 12`.
    let Some(line_start) = deploy.text.find("privileged: true") else {
        panic!("no privileged line:\n{}", deploy.text);
    };
    let value_at = line_start as u32 + "privileged: ".len() as u32;
    let Some((loc, exact)) = deploy.origin_at(value_at) else {
        panic!("no origin for the value");
    };
    assert!(!exact);
    assert_eq!(loc.file, values_id);
    assert_eq!(&values[loc.span.range()], "true");
    let privileged_line = values
        .lines()
        .position(|l| l.contains("privileged: true"))
        .unwrap_or(0)
        + 1;
    assert_eq!(line_of(values, loc.span.start), privileged_line);
    let Some((key, _)) = deploy.origin_at(line_start as u32) else {
        panic!("no origin for the key");
    };
    assert_eq!(
        (key.file, &values[key.span.range()]),
        (values_id, "privileged")
    );

    // A value printed by an action points at values.yaml too (extra values files win: the
    // override file's node).
    let Some(replicas) = deploy.text.find("replicas: ").map(|i| i as u32 + 10) else {
        panic!("no replicas");
    };
    let Some((loc, _)) = deploy.origin_at(replicas) else {
        panic!("no origin for replicas");
    };
    let prod = file_of("values-prod.yaml");
    assert_eq!(
        (loc.file, &tree[prod as usize].1[loc.span.range()]),
        (prod, "5")
    );

    // Literal template text maps byte for byte to the template.
    let Some(out_at) = deploy.text.find("imagePullPolicy") else {
        panic!("no literal");
    };
    let Some((loc, exact)) = deploy.origin_at(out_at as u32) else {
        panic!("no origin for literal text");
    };
    assert!(exact);
    assert_eq!(loc.file, template_id);
    assert!(template[loc.span.start as usize..].starts_with("imagePullPolicy"));

    // Every non-whitespace byte of every output has an origin.
    for r in &rendered {
        for w in r.origins.windows(2) {
            assert!(
                w[0].out.end <= w[1].out.start,
                "{}: origins overlap",
                r.template
            );
        }
        for (i, c) in r.text.char_indices() {
            assert!(
                c.is_whitespace() || r.origin_at(i as u32).is_some(),
                "{} byte {i} has no origin",
                r.template
            );
        }
    }
}
