//! The kustomization's built-in transformers: namespace, namePrefix/nameSuffix, commonLabels
//! and labels, commonAnnotations, replicas and images, on the field paths kustomize's default
//! configuration names. A field they set points at the kustomization line that set it.

use regex::Regex;

use super::build::Kustomization;
use super::{BuildError, Resource, ensure_map};
use crate::model::{NodeId, Tree, Value};
use crate::source::Loc;

/// Kinds that live outside namespaces: the namespace transformer leaves them alone.
const CLUSTER_SCOPED: [&str; 16] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "PodSecurityPolicy",
    "Node",
];

/// `namespace:` sets every namespaced object's namespace; as in kustomize, a Namespace object
/// is renamed to it and role bindings' `default` service account subjects move into it.
pub(super) fn namespace(kustomization: &Kustomization, out: &mut [Resource]) {
    let Some(node) = kustomization.get("namespace") else {
        return;
    };
    let Some(namespace) = kustomization.tree.as_str(node) else {
        return;
    };
    let loc = kustomization.tree.loc(node);
    for resource in out.iter_mut() {
        let kind = resource.kind().to_owned();
        let root = resource.root;
        let tree = &mut resource.tree;
        if kind == "Namespace" {
            if let Some(name) = tree.lookup(root, "metadata.name") {
                tree.set_value(name, Value::Str(namespace.into()));
                tree.set_loc(name, loc);
            }
            continue;
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            let subjects = tree
                .get(root, "subjects")
                .map(|s| tree.items(s).to_vec())
                .unwrap_or_default();
            for subject in subjects {
                let text = |key: &str| tree.get(subject, key).and_then(|n| tree.as_str(n));
                if text("kind") == Some("ServiceAccount") && text("name") == Some("default") {
                    let value = tree.str(namespace, loc);
                    tree.insert_at(subject, "namespace", loc, value);
                }
            }
        }
        if CLUSTER_SCOPED.contains(&kind.as_str()) {
            continue;
        }
        let metadata = ensure_map(tree, root, "metadata", loc);
        let value = tree.str(namespace, loc);
        tree.insert_at(metadata, "namespace", loc, value);
    }
}

/// `namePrefix` / `nameSuffix`: the name keeps its own location (the line that named the
/// object); references to renamed objects are updated at the end of the build.
pub(super) fn name_affixes(kustomization: &Kustomization, out: &mut [Resource]) {
    let prefix = kustomization.string("namePrefix").unwrap_or("");
    let suffix = kustomization.string("nameSuffix").unwrap_or("");
    if prefix.is_empty() && suffix.is_empty() {
        return;
    }
    let skipped = ["CustomResourceDefinition", "APIService", "Namespace"];
    for resource in out.iter_mut().filter(|r| !skipped.contains(&r.kind())) {
        let Some(name) = resource.tree.lookup(resource.root, "metadata.name") else {
            continue;
        };
        let renamed = format!("{prefix}{}{suffix}", resource.name());
        resource.tree.set_value(name, Value::Str(renamed.into()));
    }
}

/// A field path of kustomize's configuration, for the kinds it applies to.
struct FieldSpec {
    path: &'static str,
    kinds: &'static [&'static str],
    create: bool,
}

const WORKLOADS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "ReplicationController",
    "Job",
];

/// Where `commonLabels` (and `labels` with `includeSelectors`) go besides `metadata/labels`.
const SELECTOR_LABELS: &[FieldSpec] = &[
    FieldSpec {
        path: "spec/selector",
        kinds: &["Service", "ReplicationController"],
        create: true,
    },
    FieldSpec {
        path: "spec/selector/matchLabels",
        kinds: &["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"],
        create: true,
    },
    FieldSpec {
        path: "spec/selector/matchLabels",
        kinds: &["Job", "PodDisruptionBudget"],
        create: false,
    },
    FieldSpec {
        path: "spec/jobTemplate/spec/selector/matchLabels",
        kinds: &["CronJob"],
        create: false,
    },
    FieldSpec {
        path: "spec/podSelector/matchLabels",
        kinds: &["NetworkPolicy"],
        create: false,
    },
    FieldSpec {
        path: "spec/volumeClaimTemplates[]/metadata/labels",
        kinds: &["StatefulSet"],
        create: true,
    },
];

/// Pod template metadata: labels with `includeTemplates`, and always annotations.
const TEMPLATE_PATHS: &[FieldSpec] = &[
    FieldSpec {
        path: "spec/template/metadata",
        kinds: WORKLOADS,
        create: true,
    },
    FieldSpec {
        path: "spec/jobTemplate/metadata",
        kinds: &["CronJob"],
        create: true,
    },
    FieldSpec {
        path: "spec/jobTemplate/spec/template/metadata",
        kinds: &["CronJob"],
        create: true,
    },
];

/// A label or annotation to set, with the kustomization locations of its key and value.
struct Pair {
    key: String,
    key_loc: Option<Loc>,
    value: String,
    loc: Option<Loc>,
}

fn pairs(tree: &Tree, map: Option<NodeId>) -> Result<Vec<Pair>, BuildError> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    tree.entries(map)
        .iter()
        .map(|e| {
            let value = tree.scalar_text(e.value).ok_or_else(|| {
                BuildError::new(format!("`{}` must be a string", e.key), tree.loc(e.value))
            })?;
            Ok(Pair {
                key: e.key.to_string(),
                key_loc: e.key_loc,
                value: value.into_owned(),
                loc: tree.loc(e.value),
            })
        })
        .collect()
}

/// `commonLabels` (everywhere kustomize puts them: metadata, selectors, pod templates) and
/// `labels` (metadata, plus selectors or templates when asked).
pub(super) fn labels(
    kustomization: &Kustomization,
    out: &mut [Resource],
) -> Result<(), BuildError> {
    let tree = &kustomization.tree;
    let common = pairs(tree, kustomization.get("commonLabels"))?;
    if !common.is_empty() {
        apply_labels(out, &common, true, true);
    }
    for item in kustomization.items("labels") {
        let pairs = pairs(tree, tree.get(item, "pairs"))?;
        let flag = |key: &str| tree.get(item, key).and_then(|f| tree.as_bool(f)) == Some(true);
        let selectors = flag("includeSelectors");
        apply_labels(
            out,
            &pairs,
            selectors,
            selectors || flag("includeTemplates"),
        );
    }
    Ok(())
}

fn apply_labels(out: &mut [Resource], pairs: &[Pair], selectors: bool, templates: bool) {
    for resource in out.iter_mut() {
        let kind = resource.kind().to_owned();
        let root = resource.root;
        set_pairs(&mut resource.tree, root, "metadata/labels", true, pairs);
        if templates {
            for spec in TEMPLATE_PATHS
                .iter()
                .filter(|s| s.kinds.contains(&kind.as_str()))
            {
                let path = format!("{}/labels", spec.path);
                set_pairs(&mut resource.tree, root, &path, spec.create, pairs);
            }
        }
        if selectors {
            for spec in SELECTOR_LABELS
                .iter()
                .filter(|s| s.kinds.contains(&kind.as_str()))
            {
                set_pairs(&mut resource.tree, root, spec.path, spec.create, pairs);
            }
        }
    }
}

/// `commonAnnotations`: metadata and pod templates.
pub(super) fn annotations(kustomization: &Kustomization, out: &mut [Resource]) {
    let Ok(pairs) = pairs(&kustomization.tree, kustomization.get("commonAnnotations")) else {
        return;
    };
    if pairs.is_empty() {
        return;
    }
    for resource in out.iter_mut() {
        let kind = resource.kind().to_owned();
        let root = resource.root;
        set_pairs(
            &mut resource.tree,
            root,
            "metadata/annotations",
            true,
            &pairs,
        );
        for spec in TEMPLATE_PATHS
            .iter()
            .filter(|s| s.kinds.contains(&kind.as_str()))
        {
            let path = format!("{}/annotations", spec.path);
            set_pairs(&mut resource.tree, root, &path, spec.create, &pairs);
        }
    }
}

/// Sets the pairs in every mapping at `path` (`a/b[]/c`: `b` is a list), creating missing
/// mappings when `create`.
fn set_pairs(tree: &mut Tree, root: NodeId, path: &str, create: bool, pairs: &[Pair]) {
    let loc = pairs.first().and_then(|p| p.key_loc);
    let mut nodes = vec![root];
    for step in path.split('/') {
        let (key, list) = match step.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (step, false),
        };
        let mut next = Vec::new();
        for node in nodes {
            let child = match tree.get(node, key) {
                Some(child) if !matches!(tree.value(child), Value::Null) => child,
                _ if create && !list => ensure_map(tree, node, key, loc),
                _ => continue,
            };
            if list {
                next.extend(tree.items(child).iter().copied());
            } else if matches!(tree.value(child), Value::Map(_)) {
                next.push(child);
            }
        }
        nodes = next;
    }
    for node in nodes {
        for pair in pairs {
            let value = tree.str(pair.value.as_str(), pair.loc);
            tree.insert_at(node, &pair.key, pair.key_loc, value);
        }
    }
}

/// `replicas: [{name, count}]` on the kinds that scale.
pub(super) fn replicas(
    kustomization: &Kustomization,
    out: &mut [Resource],
) -> Result<(), BuildError> {
    let tree = &kustomization.tree;
    let scalable = [
        "Deployment",
        "ReplicationController",
        "ReplicaSet",
        "StatefulSet",
    ];
    for item in kustomization.items("replicas") {
        let name = tree.get(item, "name").and_then(|n| tree.as_str(n));
        let count_node = tree.get(item, "count");
        let count = count_node.and_then(|c| tree.as_int(c));
        let (Some(name), Some(count)) = (name, count) else {
            return Err(BuildError::new(
                "a replicas entry needs `name` and a numeric `count`",
                tree.loc(item),
            ));
        };
        let loc = count_node.and_then(|c| tree.loc(c));
        let key_loc = tree.entry(item, "count").and_then(|e| e.key_loc);
        for resource in out.iter_mut().filter(|r| {
            scalable.contains(&r.kind()) && (r.name() == name || r.original_name == name)
        }) {
            let tree = &mut resource.tree;
            let spec = ensure_map(tree, resource.root, "spec", loc);
            let value = tree.int(count, loc);
            tree.insert_at(spec, "replicas", key_loc, value);
        }
    }
    Ok(())
}

/// One `images:` entry.
struct ImageRule {
    name: Regex,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
    loc: Option<Loc>,
}

/// `images: [{name, newName, newTag, digest}]` on every container and init container.
pub(super) fn images(
    kustomization: &Kustomization,
    out: &mut [Resource],
) -> Result<(), BuildError> {
    let tree = &kustomization.tree;
    let rules: Vec<ImageRule> = kustomization
        .items("images")
        .into_iter()
        .map(|item| {
            let text = |key: &str| {
                tree.get(item, key)
                    .and_then(|n| tree.scalar_text(n))
                    .map(|t| t.into_owned())
            };
            let name = text("name")
                .ok_or_else(|| BuildError::new("an images entry needs `name`", tree.loc(item)))?;
            // kustomize reads the name as the start of a regular expression, unescaped.
            let pattern = |name: &str| format!("^{name}(@sha256)?(:[a-zA-Z0-9_.{{}}-]*)?$");
            let name = Regex::new(&pattern(&name))
                .or_else(|_| Regex::new(&pattern(&regex::escape(&name))))
                .map_err(|e| BuildError::new(e.to_string(), tree.loc(item)))?;
            let loc = ["newTag", "digest", "newName"]
                .iter()
                .find_map(|k| tree.get(item, k))
                .and_then(|n| tree.loc(n))
                .or(tree.loc(item));
            Ok(ImageRule {
                name,
                new_name: text("newName"),
                new_tag: text("newTag"),
                digest: text("digest"),
                loc,
            })
        })
        .collect::<Result<_, BuildError>>()?;
    for resource in out.iter_mut() {
        let mut images = Vec::new();
        find_images(&resource.tree, resource.root, &mut images);
        for image in images {
            let Some(current) = resource.tree.as_str(image).map(str::to_owned) else {
                continue;
            };
            if let Some(rule) = rules.iter().find(|r| r.name.is_match(&current)) {
                let updated = rule.apply(&current);
                resource.tree.set_value(image, Value::Str(updated.into()));
                resource.tree.set_loc(image, rule.loc);
            }
        }
    }
    Ok(())
}

/// The `image` nodes of every `containers` / `initContainers` list anywhere in the object.
fn find_images(tree: &Tree, node: NodeId, out: &mut Vec<NodeId>) {
    for entry in tree.entries(node) {
        let key = entry.key.as_str();
        if key == "containers" || key == "initContainers" {
            out.extend(
                tree.items(entry.value)
                    .iter()
                    .filter_map(|c| tree.get(*c, "image")),
            );
        } else if matches!(tree.value(entry.value), Value::Map(_)) {
            find_images(tree, entry.value, out);
        }
    }
}

impl ImageRule {
    /// The new reference: a new tag or digest replaces both the old tag and digest.
    fn apply(&self, image: &str) -> String {
        let (name, mut tag, mut digest) = split_image(image);
        let mut name = self.new_name.clone().unwrap_or_else(|| name.to_owned());
        match (&self.new_tag, &self.digest) {
            (Some(new_tag), Some(new_digest)) => {
                tag = new_tag;
                digest = new_digest;
            }
            (Some(new_tag), None) => {
                tag = new_tag;
                digest = "";
            }
            (None, Some(new_digest)) => {
                tag = "";
                digest = new_digest;
            }
            (None, None) => {}
        }
        if !tag.is_empty() {
            name = format!("{name}:{tag}");
        }
        if !digest.is_empty() {
            name = format!("{name}@{digest}");
        }
        name
    }
}

/// `registry:5000/app:1.2@sha256:…` → (`registry:5000/app`, `1.2`, `sha256:…`), read as
/// kustomize reads it: a `:` before the first `/` is a registry port, not a tag.
fn split_image(image: &str) -> (&str, &str, &str) {
    let skip = match image.find('/') {
        Some(slash) if slash > 0 => slash,
        _ => 0,
    };
    let search = &image[skip..];
    let at = search.find('@').map(|i| i + skip);
    let colon = search.find(':').map(|i| i + skip);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (colon, Some(at)) if colon.is_none_or(|c| at < c) => (&image[..at], "", &image[at + 1..]),
        (Some(colon), Some(at)) => (&image[..colon], &image[colon + 1..at], &image[at + 1..]),
        (Some(colon), None) => (&image[..colon], &image[colon + 1..], ""),
        (None, Some(_)) => (image, "", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        name: &str,
        new_name: Option<&str>,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> ImageRule {
        ImageRule {
            name: Regex::new(&format!("^{name}(@sha256)?(:[a-zA-Z0-9_.{{}}-]*)?$"))
                .unwrap_or_else(|_| panic!("pattern")),
            new_name: new_name.map(str::to_owned),
            new_tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
            loc: None,
        }
    }

    #[test]
    fn image_references_split_like_kustomize() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.25"), ("nginx", "1.25", ""));
        assert_eq!(split_image("reg:5000/app"), ("reg:5000/app", "", ""));
        assert_eq!(split_image("reg:5000/app:2"), ("reg:5000/app", "2", ""));
        assert_eq!(split_image("app@sha256:ab"), ("app", "", "sha256:ab"));
        assert_eq!(split_image("app:1@sha256:ab"), ("app", "1", "sha256:ab"));
    }

    #[test]
    fn images_get_new_names_tags_and_digests() {
        let r = rule("nginx", Some("ghcr.io/acme/nginx"), Some("1.27"), None);
        assert!(r.name.is_match("nginx:1.25"));
        assert!(!r.name.is_match("nginx-extra:1"));
        assert_eq!(r.apply("nginx:1.25"), "ghcr.io/acme/nginx:1.27");
        let r = rule("app", None, None, Some("sha256:ff"));
        assert_eq!(r.apply("app:1"), "app@sha256:ff");
        let r = rule("app", None, Some("2"), None);
        assert_eq!(r.apply("app@sha256:ff"), "app:2");
    }
}
