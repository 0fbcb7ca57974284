//! The native Kustomize build against `kubectl kustomize`: every kustomization under
//! fixtures/kustomize/<case>/ is built both ways and the objects must be equal as JSON (compared
//! as a set keyed by kind/namespace/name). Then the output's locations: a patched field points at
//! the patch, an untouched one at the base, a transformer's at the kustomization line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use golive::model::{DocKind, Document, NodeId, Tree};
use golive::render::kustomize::{self, Built, Files};
use golive::source::FileId;

/// A fixture case read from disk: paths relative to the case directory.
struct Disk {
    paths: Vec<String>,
    texts: BTreeMap<String, String>,
    documents: BTreeMap<String, Vec<Document>>,
    dirs: BTreeSet<String>,
}

impl Disk {
    fn read(root: &Path) -> Disk {
        let mut texts = BTreeMap::new();
        let mut dirs = BTreeSet::new();
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            let entries = std::fs::read_dir(root.join(&relative))
                .unwrap_or_else(|e| panic!("{}: {e}", relative.display()));
            for entry in entries.flatten() {
                let path = relative.join(entry.file_name());
                let shown = path.to_string_lossy().replace('\\', "/");
                if entry.path().is_dir() {
                    dirs.insert(shown);
                    pending.push(path);
                } else if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    texts.insert(shown, text);
                }
            }
        }
        let paths: Vec<String> = texts.keys().cloned().collect();
        let documents = paths
            .iter()
            .enumerate()
            .map(|(id, path)| {
                let parsed = golive::parse::parse(DocKind::Yaml, id as FileId, path, &texts[path]);
                (path.clone(), parsed.documents)
            })
            .collect();
        Disk {
            paths,
            texts,
            documents,
            dirs,
        }
    }

    fn path_of(&self, file: FileId) -> &str {
        &self.paths[file as usize]
    }

    /// The 1-based line of a byte offset in a file.
    fn line(&self, file: FileId, offset: u32) -> usize {
        let text = &self.texts[self.path_of(file)];
        text[..offset as usize].matches('\n').count() + 1
    }

    /// Directories holding a kustomization that is not a component.
    fn kustomizations(&self) -> Vec<String> {
        self.paths
            .iter()
            .filter(|p| p.ends_with("kustomization.yaml"))
            .filter(|p| !self.texts[*p].contains("kind: Component"))
            .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d).to_owned())
            .collect()
    }
}

impl Files for Disk {
    fn documents(&self, path: &str) -> Option<&[Document]> {
        self.documents.get(path).map(Vec::as_slice)
    }
    fn text(&self, path: &str) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }
    fn file_id(&self, path: &str) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p == path)
            .map(|i| i as FileId)
    }
    fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.dirs.contains(path)
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.sort();
    cases
}

type Objects = BTreeMap<String, serde_json::Value>;

fn key_of(json: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    format!(
        "{}/{}/{}",
        text(&json["kind"]),
        text(&json["metadata"]["namespace"]),
        text(&json["metadata"]["name"])
    )
}

fn native(built: &Built) -> Objects {
    built
        .documents
        .iter()
        .map(|d| {
            let mut json = d.tree.to_json(d.root);
            // `pod` and `data_list` are facts golive derives for rules, not part of the object.
            if let Some(map) = json.as_object_mut() {
                map.remove("pod");
                map.remove("data_list");
            }
            (key_of(&json), json)
        })
        .collect()
}

/// `kubectl kustomize` of a directory, read with golive's own YAML loader so both sides type
/// scalars the same way; `None` when kubectl is not installed.
fn kubectl(dir: &Path) -> Option<Objects> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let loaded = golive::parse::yaml::load(0, &text);
    Some(
        loaded
            .documents
            .iter()
            .map(|d| {
                let json = d.tree.to_json(d.root);
                (key_of(&json), json)
            })
            .collect(),
    )
}

#[test]
fn native_builds_equal_kubectl_kustomize() {
    let mut compared = 0;
    for case in cases() {
        let disk = Disk::read(&case);
        for dir in disk.kustomizations() {
            let built = kustomize::build(&dir, &disk)
                .unwrap_or_else(|e| panic!("{}/{dir}: {}", case.display(), e.message));
            let Some(expected) = kubectl(&case.join(&dir)) else {
                println!("skipped: kubectl is not installed, nothing to compare against");
                return;
            };
            let actual = native(&built);
            let keys = |o: &Objects| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(
                keys(&actual),
                keys(&expected),
                "{}/{dir}: objects",
                case.display()
            );
            for (key, want) in &expected {
                assert_eq!(
                    actual.get(key),
                    Some(want),
                    "{}/{dir}: {key}\nnative:  {}\nkubectl: {}",
                    case.display(),
                    actual.get(key).map(|j| j.to_string()).unwrap_or_default(),
                    want
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 3, "only {compared} kustomizations compared");
}

fn deployment(built: &Built) -> (&Tree, NodeId) {
    let doc = built
        .documents
        .iter()
        .find(|d| d.label.as_deref() == Some("Deployment/prod-web"))
        .unwrap_or_else(|| panic!("no Deployment/prod-web in the prod build"));
    (&doc.tree, doc.root)
}

/// (path, line) of a node's location.
fn place(disk: &Disk, tree: &Tree, node: Option<NodeId>) -> (String, usize) {
    let loc = node
        .and_then(|n| tree.loc(n))
        .unwrap_or_else(|| panic!("node without a location"));
    (
        disk.path_of(loc.file).to_owned(),
        disk.line(loc.file, loc.span.start),
    )
}

#[test]
fn output_points_at_the_source_of_each_field() {
    let disk = Disk::read(&fixtures().join("app"));
    let built =
        kustomize::build("overlays/prod", &disk).unwrap_or_else(|e| panic!("{}", e.message));
    let (tree, root) = deployment(&built);
    let containers = tree
        .lookup(root, "spec.template.spec.containers")
        .map(|c| tree.items(c).to_vec())
        .unwrap_or_default();
    assert_eq!(containers.len(), 2);
    let at = |node: NodeId, path: &str| place(&disk, tree, tree.lookup(node, path));
    assert_eq!(
        at(containers[0], "securityContext.privileged"),
        ("overlays/prod/security.yaml".to_owned(), 11)
    );
    assert_eq!(
        at(containers[1], "image"),
        ("base/deployment.yaml".to_owned(), 28)
    );
    assert_eq!(
        at(containers[0], "name"),
        ("base/deployment.yaml".to_owned(), 17)
    );
    // Set by `images:` (newTag) and `replicas:` of the overlay's kustomization.
    assert_eq!(
        at(containers[0], "image"),
        ("overlays/prod/kustomization.yaml".to_owned(), 29)
    );
    assert_eq!(
        at(root, "spec.replicas"),
        ("overlays/prod/kustomization.yaml".to_owned(), 25)
    );
    // The JSON patch's value points at the JSON file.
    assert_eq!(
        at(containers[0], "resources.limits.memory").0,
        "overlays/prod/resources.json"
    );
    assert!(built.used.contains("overlays/prod/security.yaml"));
    assert!(built.used.contains("base/deployment.yaml"));
    assert!(built.bases.contains("base"));
    assert!(built.bases.contains("components/monitoring"));
    assert_eq!(built.kustomization, "overlays/prod/kustomization.yaml");
}

#[test]
fn variants_are_the_unreferenced_kustomizations() {
    let disk = Disk::read(&fixtures().join("app"));
    let dirs: Vec<String> = [
        "base",
        "overlays/dev",
        "overlays/prod",
        "components/monitoring",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(
        kustomize::variants(&dirs, &disk),
        ["overlays/dev", "overlays/prod"]
    );
}
