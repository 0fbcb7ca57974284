//! Kubernetes objects: recognising them among YAML documents and computing the facts rules read
//! (`pod`: the pod template of any workload kind, with each container's effective security
//! context and image facts).

use thin_vec::ThinVec;

use crate::model::{Entry, Key, NodeId, Tree, Value};
use crate::source::Loc;

/// A document is a Kubernetes object when it has string `apiVersion` and `kind` and a `metadata`
/// mapping; CI files, OpenAPI, compose files and Helm values never do. Without `metadata` (the
/// API server names nothing then, but hand-written and generated manifests omit it) an object
/// of a built-in API group with a `spec` still is: tool configs with `apiVersion`/`kind`
/// (kubeconfig, skaffold, kind, kubeadm) have no `spec` or another group.
pub fn is_object(tree: &Tree, root: NodeId) -> bool {
    let map = |key| {
        tree.get(root, key)
            .is_some_and(|m| matches!(tree.value(m), Value::Map(_)))
    };
    has_type(tree, root) && (map("metadata") || (map("spec") && built_in_group(tree, root)))
}

/// `v1`, `apps/v1`, `batch/v1`, `policy/v1`, `autoscaling/v2` or a `*.k8s.io` group.
fn built_in_group(tree: &Tree, root: NodeId) -> bool {
    let version = tree
        .get(root, "apiVersion")
        .and_then(|n| tree.as_str(n))
        .unwrap_or("");
    match version.split_once('/') {
        None => version == "v1",
        Some((group, _)) => {
            matches!(group, "apps" | "batch" | "policy" | "autoscaling")
                || group.ends_with(".k8s.io")
        }
    }
}

/// A mapping with a string `apiVersion` and `kind`.
pub fn has_type(tree: &Tree, root: NodeId) -> bool {
    let string = |key| tree.get(root, key).and_then(|n| tree.as_str(n)).is_some();
    matches!(tree.value(root), Value::Map(_)) && string("apiVersion") && string("kind")
}

pub fn kind(tree: &Tree, root: NodeId) -> &str {
    tree.get(root, "kind")
        .and_then(|n| tree.as_str(n))
        .unwrap_or("")
}

pub fn name(tree: &Tree, root: NodeId) -> &str {
    tree.lookup(root, "metadata.name")
        .or_else(|| tree.lookup(root, "metadata.generateName"))
        .and_then(|n| tree.as_str(n))
        .unwrap_or("")
}

pub fn namespace(tree: &Tree, root: NodeId) -> &str {
    tree.lookup(root, "metadata.namespace")
        .and_then(|n| tree.as_str(n))
        .unwrap_or("")
}

/// `Deployment/api`, for messages.
pub fn label(tree: &Tree, root: NodeId) -> String {
    match name(tree, root) {
        // An item of a hand-written List may have no name yet.
        "" => format!("{} (unnamed)", kind(tree, root)),
        name => format!("{}/{name}", kind(tree, root)),
    }
}

/// The pod template (`{metadata, spec}`) of a workload, for every kind that runs pods.
pub fn pod_template(tree: &Tree, root: NodeId) -> Option<(Option<NodeId>, NodeId)> {
    let path = match kind(tree, root) {
        "Pod" => {
            return tree
                .get(root, "spec")
                .map(|spec| (tree.get(root, "metadata"), spec));
        }
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => "spec.template",
        "CronJob" => "spec.jobTemplate.spec.template",
        _ => return None,
    };
    let template = tree.lookup(root, path)?;
    let spec = tree.get(template, "spec")?;
    matches!(tree.value(spec), Value::Map(_)).then(|| (tree.get(template, "metadata"), spec))
}

/// Security-context fields a pod sets for all its containers unless a container overrides them.
const INHERITED_SECURITY: [&str; 7] = [
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "seccompProfile",
    "seLinuxOptions",
    "windowsOptions",
    "appArmorProfile",
];

/// Adds what rules read beyond the object as written: `pod` (below) and, on a ConfigMap,
/// `data_list[*]`: `{name, value}` for each `data` entry, each at its key's line, so a rule can
/// read keys as well as values (`[*]` on a map yields only values).
pub fn derive_facts(tree: &mut Tree, root: NodeId) {
    derive_pod(tree, root);
    if kind(tree, root) == "ConfigMap"
        && let Some(data) = tree.get(root, "data")
    {
        let list = tree.seq(tree.loc(data));
        for entry in tree.entries(data).to_vec() {
            let item = tree.map(entry.key_loc);
            let name = tree.str(entry.key.as_str(), entry.key_loc);
            tree.insert(item, "name", name);
            tree.insert(item, "value", entry.value);
            tree.push(list, item);
        }
        tree.insert(root, "data_list", list);
    }
}

/// Adds the `pod` fact to a workload object: `{spec, labels, annotations, containers[*],
/// initContainers[*], all_containers[*]}` where each container carries its effective `securityContext` (pod-level
/// fields merged in, each keeping the span it was written at) and `facts` (`non_root`, `image`).
fn derive_pod(tree: &mut Tree, root: NodeId) {
    let Some((metadata, spec)) = pod_template(tree, root) else {
        return;
    };
    let pod = tree.map(tree.loc(spec));
    tree.insert(pod, "spec", spec);
    for key in ["labels", "annotations"] {
        if let Some(node) = metadata.and_then(|m| tree.get(m, key)) {
            tree.insert(pod, key, node);
        }
    }
    let pod_security = tree.get(spec, "securityContext");
    // `all_containers`: init containers run with the same privileges, so security rules read both.
    let all = tree.seq(None);
    for list in ["initContainers", "containers"] {
        let merged = tree.seq(tree.get(spec, list).and_then(|l| tree.loc(l)));
        let containers = tree
            .get(spec, list)
            .map(|l| tree.items(l).to_vec())
            .unwrap_or_default();
        for container in containers {
            let effective = effective_container(tree, container, pod_security);
            tree.push(merged, effective);
            tree.push(all, effective);
        }
        tree.insert(pod, list, merged);
    }
    tree.insert(pod, "all_containers", all);
    tree.insert(root, "pod", pod);
}

fn effective_container(tree: &mut Tree, container: NodeId, pod_security: Option<NodeId>) -> NodeId {
    let loc = tree.loc(container);
    let mut entries: ThinVec<Entry> = tree.entries(container).into();
    let own = tree.get(container, "securityContext");
    let security = tree.map(own.and_then(|s| tree.loc(s)));
    if let Some(own) = own {
        for entry in tree.entries(own).to_vec() {
            push(tree, security, entry);
        }
    }
    if let Some(pod) = pod_security {
        for key in INHERITED_SECURITY {
            if tree.get(security, key).is_none()
                && let Some(entry) = tree.entry(pod, key).cloned()
            {
                push(tree, security, entry);
            }
        }
    }
    let security_key = Key::new("securityContext");
    entries.retain(|e| e.key != security_key);
    let key_loc = tree
        .entry(container, "securityContext")
        .and_then(|e| e.key_loc);
    entries.push(Entry {
        key: security_key,
        key_loc,
        value: security,
    });
    let node = tree.add(Value::Map(entries), loc);
    let facts = container_facts(tree, node, security);
    tree.insert(node, "facts", facts);
    node
}

fn push(tree: &mut Tree, map: NodeId, entry: Entry) {
    if let Some(entries) = tree.entries_mut(map) {
        entries.push(entry);
    }
}

/// `non_root`: the container cannot run as uid 0 (`runAsNonRoot: true`, or an explicit non-zero
/// `runAsUser`); its location is the field that decided. `image`: the image reference split up.
/// `probe_port_names`: the ports its probes give by name, which the kubelet looks up among this
/// container's own ports only.
fn container_facts(tree: &mut Tree, container: NodeId, security: NodeId) -> NodeId {
    let facts = tree.map(tree.loc(container));
    let run_as_user = tree.get(security, "runAsUser");
    let non_root_flag = tree.get(security, "runAsNonRoot");
    let (non_root, decided_by) = match (non_root_flag.and_then(|n| tree.as_bool(n)), run_as_user) {
        (_, Some(user)) if tree.as_int(user) == Some(0) => (false, Some(user)),
        (Some(true), _) => (true, non_root_flag),
        (_, Some(user)) if tree.as_int(user).is_some_and(|u| u > 0) => (true, Some(user)),
        _ => (false, non_root_flag.or(run_as_user)),
    };
    let node = tree.bool(non_root, decided_by.and_then(|n| tree.loc(n)));
    tree.insert(facts, "non_root", node);
    let names = tree.seq(None);
    for port in probe_ports(tree, container) {
        if tree
            .as_str(port)
            .is_some_and(|p| p.trim().parse::<u16>().is_err())
        {
            tree.push(names, port);
        }
    }
    tree.insert(facts, "probe_port_names", names);
    if let Some(image) = tree.get(container, "image") {
        let loc = tree.loc(image);
        if let Some(text) = tree.as_str(image).map(str::to_owned) {
            let reference = image_facts(tree, &text, loc);
            tree.insert(facts, "image", reference);
        }
    }
    facts
}

/// The `port` of each probe's `httpGet`, `tcpSocket` or `grpc` handler.
fn probe_ports(tree: &Tree, container: NodeId) -> Vec<NodeId> {
    ["livenessProbe", "readinessProbe", "startupProbe"]
        .into_iter()
        .filter_map(|probe| tree.get(container, probe))
        .flat_map(|probe| {
            ["httpGet", "tcpSocket", "grpc"]
                .into_iter()
                .filter_map(move |handler| tree.get(probe, handler))
        })
        .filter_map(|handler| tree.get(handler, "port"))
        .collect()
}

/// An image reference split into `registry`, `repository`, `tag`, `digest`, and `pinned` (a
/// digest, or a tag other than the moving ones); every part points at the image's span.
pub fn image_facts(tree: &mut Tree, reference: &str, loc: Option<Loc>) -> NodeId {
    let parts = ImageRef::parse(reference);
    let node = tree.map(loc);
    let text = |tree: &mut Tree, value: Option<&str>| match value {
        Some(v) => tree.str(v, loc),
        None => tree.null(loc),
    };
    let registry = text(tree, parts.registry);
    tree.insert(node, "registry", registry);
    let repository = tree.str(parts.repository, loc);
    tree.insert(node, "repository", repository);
    let tag = text(tree, parts.tag);
    tree.insert(node, "tag", tag);
    let digest = text(tree, parts.digest);
    tree.insert(node, "digest", digest);
    let pinned = tree.bool(parts.pinned(), loc);
    tree.insert(node, "pinned", pinned);
    node
}

/// Tags that move: deploying one twice can run two different images.
pub const MOVING_TAGS: [&str; 6] = ["latest", "master", "main", "stable", "edge", "nightly"];

#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let reference = reference.trim();
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first), path)
            }
            _ => (None, rest),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (path, None),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    pub fn pinned(&self) -> bool {
        self.digest.is_some() || self.tag.is_some_and(|t| !MOVING_TAGS.contains(&t))
    }

    /// The last path component of the repository (`acme/cart` → `cart`).
    pub fn short_name(&self) -> &'a str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_without_metadata_but_not_tool_configs() {
        let object = |text: &str| {
            let loaded = crate::parse::yaml::load(0, text);
            let doc = &loaded.documents[0];
            is_object(&doc.tree, doc.root)
        };
        assert!(object(
            "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 2}\n"
        ));
        assert!(object("apiVersion: v1\nkind: Service\nspec: {ports: []}\n"));
        assert!(object(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec: {}\n"
        ));
        assert!(
            !object("apiVersion: v1\nkind: Config\nclusters: []\n"),
            "kubeconfig"
        );
        assert!(!object(
            "apiVersion: skaffold/v4beta6\nkind: Config\nbuild: {}\n"
        ));
        assert!(!object(
            "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: []\n"
        ));
    }

    #[test]
    fn image_references_split() {
        let r = ImageRef::parse("ghcr.io/acme/api:1.2@sha256:abc");
        assert_eq!(r.registry, Some("ghcr.io"));
        assert_eq!(r.repository, "acme/api");
        assert_eq!(r.tag, Some("1.2"));
        assert!(r.pinned());
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("localhost:5000"), "app", None)
        );
        assert!(!r.pinned());
        assert!(!ImageRef::parse("node:latest").pinned());
    }
}
