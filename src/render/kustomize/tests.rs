//! Whole builds over in-memory files: what a build refuses (remote, outside the root, cycles,
//! unsupported fields), that hostile input is an error and never a panic, and where inline
//! patches and transformers point.

use super::*;
use crate::model::Document;

/// Files held in memory; a directory is any prefix of a file path. With `parsed`, only the
/// parsed documents are offered, as when a scan let go of the texts.
struct Memory {
    files: Vec<(String, String)>,
    parsed: Option<Vec<Vec<Document>>>,
}

impl Memory {
    fn new(files: &[(&str, &str)]) -> Memory {
        Memory {
            files: files
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                .collect(),
            parsed: None,
        }
    }

    fn parsed_only(files: &[(&str, &str)]) -> Memory {
        let mut memory = Memory::new(files);
        let parsed = memory
            .files
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                let id = u32::try_from(i).unwrap_or(u32::MAX);
                crate::parse::parse(crate::model::DocKind::Yaml, id, path, text).documents
            })
            .collect();
        memory.parsed = Some(parsed);
        memory
    }

    fn line_of(&self, loc: Option<Loc>) -> (String, usize) {
        let loc = loc.unwrap_or_else(|| panic!("no location"));
        let (path, text) = &self.files[loc.file as usize];
        let line = text[..loc.span.start as usize].matches('\n').count() + 1;
        (path.clone(), line)
    }
}

impl Files for Memory {
    fn documents(&self, path: &str) -> Option<&[Document]> {
        let index = self.file_id(path)? as usize;
        self.parsed.as_ref()?.get(index).map(Vec::as_slice)
    }
    fn text(&self, path: &str) -> Option<&str> {
        if self.parsed.is_some() {
            return None;
        }
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
    fn file_id(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|(p, _)| p == path)
            .and_then(|i| u32::try_from(i).ok())
    }
    fn is_dir(&self, path: &str) -> bool {
        path.is_empty()
            || self
                .files
                .iter()
                .any(|(p, _)| p.strip_prefix(path).is_some_and(|r| r.starts_with('/')))
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n";

fn error(files: &[(&str, &str)], dir: &str) -> String {
    match build(dir, &Memory::new(files)) {
        Ok(_) => panic!("{dir} built"),
        Err(e) => e.message,
    }
}

#[test]
fn remote_and_outside_references_are_refused() {
    let remote = error(
        &[(
            "k/kustomization.yaml",
            "resources:\n- github.com/acme/deploy/base?ref=v1\n",
        )],
        "k",
    );
    assert!(
        remote.contains("remote resource `github.com/acme"),
        "{remote}"
    );
    let url = error(
        &[(
            "kustomization.yaml",
            "resources:\n- https://example.com/a.yaml\n",
        )],
        "",
    );
    assert!(url.contains("not fetched"), "{url}");
    let outside = error(&[("k/kustomization.yaml", "resources:\n- ../../x\n")], "k");
    assert!(
        outside.contains("leaves the scanned directory"),
        "{outside}"
    );
    let sibling = error(
        &[
            ("a/kustomization.yaml", "resources:\n- ../b/d.yaml\n"),
            ("b/d.yaml", DEPLOYMENT),
        ],
        "a",
    );
    assert!(sibling.contains("outside a"), "{sibling}");
}

#[test]
fn cycles_missing_files_and_unsupported_fields_are_errors() {
    let cycle = error(
        &[
            ("a/kustomization.yaml", "resources:\n- ../b\n"),
            ("b/kustomization.yaml", "resources:\n- ../a\n"),
        ],
        "a",
    );
    assert!(cycle.contains("cycle"), "{cycle}");
    let missing = error(&[("kustomization.yaml", "resources:\n- nope.yaml\n")], "");
    assert!(missing.contains("nope.yaml"), "{missing}");
    let vars = error(&[("kustomization.yaml", "vars: []\n")], "");
    assert!(vars.contains("`vars` is not supported"), "{vars}");
    let component = error(&[("c/kustomization.yaml", "kind: Component\n")], "c");
    assert!(component.contains("Component"), "{component}");
    let none = error(&[], "nowhere");
    assert!(none.contains("no kustomization.yaml"), "{none}");
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    let inputs = [
        "resources: 5\npatches: [{}]\n",
        "resources: [d.yaml]\npatches:\n- patch: '- {op: add, path: /spec/template/spec/containers/7/y, value: 1}'\n  target: {kind: Deployment}\n",
        "patches:\n- patch: '[{op: remove, path: /spec/template/spec/containers/9}]'\n  target: {name: '('}\n",
        "replicas: [{name: web}]\n",
        "images: [{name: '('}, {newTag: 2}]\nresources: [d.yaml]\n",
        "configMapGenerator: [{literals: [a]}]\n",
        "configMapGenerator: [{name: x, literals: ['=a']}]\n",
        "patchesJson6902: [{target: {kind: Deployment}, patch: 'op: add'}]\nresources: [d.yaml]\n",
        "- not\n- a\n- mapping\n",
        "resources: [d.yaml, d.yaml]\n",
        "resources: [d.yaml]\npatches:\n- patch: \"kind: Service\\nmetadata: {name: none}\\n\"\n",
        "a: [\n",
    ];
    for input in inputs {
        let files = Memory::new(&[("kustomization.yaml", input), ("d.yaml", DEPLOYMENT)]);
        assert!(build("", &files).is_err(), "{input}");
    }
}

#[test]
fn inline_patches_and_transformers_point_at_the_kustomization() {
    let kustomization = "resources:\n- d.yaml\nnamespace: shop\ncommonLabels:\n  tier: web\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/paused\n      value: true\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      minReadySeconds: 5\n";
    let files = Memory::new(&[
        ("k/kustomization.yaml", kustomization),
        ("k/d.yaml", DEPLOYMENT),
    ]);
    let built = build("k", &files).unwrap_or_else(|e| panic!("{}", e.message));
    let [doc] = built.documents.as_slice() else {
        panic!("one object expected");
    };
    let (tree, root) = (&doc.tree, doc.root);
    let at = |path: &str| files.line_of(tree.lookup(root, path).and_then(|n| tree.loc(n)));
    let k = "k/kustomization.yaml".to_owned();
    assert_eq!(at("spec.paused"), (k.clone(), 12));
    assert_eq!(at("spec.minReadySeconds"), (k.clone(), 19));
    assert_eq!(at("metadata.namespace"), (k.clone(), 3));
    assert_eq!(at("metadata.labels.tier"), (k, 5));
    assert_eq!(at("spec.template.spec"), ("k/d.yaml".to_owned(), 8));
    assert_eq!(doc.label.as_deref(), Some("Deployment/web"));
    assert_eq!(doc.file, 0);
    assert!(tree.get(root, "pod").is_some(), "the pod fact rules read");
}

#[test]
fn variants_skip_bases_and_components() {
    let files = Memory::new(&[
        ("base/kustomization.yaml", "resources: [d.yaml]\n"),
        ("base/d.yaml", DEPLOYMENT),
        ("comp/kustomization.yaml", "kind: Component\n"),
        (
            "prod/kustomization.yaml",
            "resources: [../base]\ncomponents: [../comp]\n",
        ),
        ("lone/kustomization.yaml", "resources: []\n"),
    ]);
    let dirs = ["base", "comp", "prod", "lone"].map(str::to_owned);
    assert_eq!(variants(&dirs, &files), ["lone", "prod"]);
    let built = build("prod", &files).unwrap_or_else(|e| panic!("{}", e.message));
    let bases: Vec<&str> = built.bases.iter().map(String::as_str).collect();
    assert_eq!(bases, ["base", "comp"]);
    let used: Vec<&str> = built.used.iter().map(String::as_str).collect();
    assert_eq!(
        used,
        [
            "base/d.yaml",
            "base/kustomization.yaml",
            "comp/kustomization.yaml",
            "prod/kustomization.yaml"
        ]
    );
}

#[test]
fn replicas_prefix_and_references() {
    let kustomization = "resources: [d.yaml]\nnamePrefix: p-\nreplicas:\n- name: web\n  count: 4\nconfigMapGenerator:\n- name: cfg\n  literals: [A=1]\n";
    let deployment =
        format!("{DEPLOYMENT}        envFrom:\n        - configMapRef:\n            name: cfg\n");
    let files = Memory::new(&[
        ("kustomization.yaml", kustomization),
        ("d.yaml", &deployment),
    ]);
    let built = build("", &files).unwrap_or_else(|e| panic!("{}", e.message));
    let json: Vec<serde_json::Value> = built
        .documents
        .iter()
        .map(|d| d.tree.to_json(d.root))
        .collect();
    assert_eq!(json[0]["kind"], "ConfigMap");
    let cm_name = json[0]["metadata"]["name"].as_str().unwrap_or("");
    assert!(cm_name.starts_with("p-cfg-") && cm_name.len() == "p-cfg-".len() + 10);
    assert_eq!(json[1]["metadata"]["name"], "p-web");
    assert_eq!(json[1]["spec"]["replicas"], 4);
    let reference = &json[1]["spec"]["template"]["spec"]["containers"][0]["envFrom"][0];
    assert_eq!(reference["configMapRef"]["name"], cm_name);
    let replicas = built.documents[1]
        .tree
        .lookup(built.documents[1].root, "spec.replicas");
    let loc = replicas.and_then(|n| built.documents[1].tree.loc(n));
    assert_eq!(files.line_of(loc), ("kustomization.yaml".to_owned(), 5));
}

#[test]
fn parsed_documents_stand_in_for_dropped_texts() {
    let files = [
        (
            "kustomization.yaml",
            "resources: [d.yaml]\nnamePrefix: x-\n",
        ),
        ("d.yaml", DEPLOYMENT),
    ];
    let from_text = build("", &Memory::new(&files)).unwrap_or_else(|e| panic!("{}", e.message));
    let memory = Memory::parsed_only(&files);
    let from_documents = build("", &memory).unwrap_or_else(|e| panic!("{}", e.message));
    let json = |built: &Built| {
        built
            .documents
            .iter()
            .map(|d| d.tree.to_json(d.root))
            .collect::<Vec<_>>()
    };
    assert_eq!(json(&from_text), json(&from_documents));
    let doc = &from_documents.documents[0];
    let image = doc.tree.lookup(doc.root, "spec.template.spec.containers");
    let image = image
        .and_then(|c| doc.tree.items(c).first().copied())
        .and_then(|c| doc.tree.get(c, "image"));
    let loc = image.and_then(|i| doc.tree.loc(i));
    assert_eq!(memory.line_of(loc), ("d.yaml".to_owned(), 10));
}

#[test]
fn diamonds_of_empty_bases_are_bounded() {
    // Level k's two kustomizations both use level k+1's two: 2^30 builds if nothing stopped it.
    let mut owned = Vec::new();
    for level in 0..30 {
        for side in ["a", "b"] {
            owned.push((
                format!("{level}{side}/kustomization.yaml"),
                format!("resources: [../{0}a, ../{0}b]\n", level + 1),
            ));
        }
    }
    for side in ["a", "b"] {
        owned.push((
            format!("30{side}/kustomization.yaml"),
            "resources: []\n".to_owned(),
        ));
    }
    let files: Vec<(&str, &str)> = owned
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let message = error(&files, "0a");
    assert!(message.contains("too many kustomizations"), "{message}");
}
