//! The end of a build: generated names get their content hash, references to renamed objects
//! (prefixed, suffixed, hashed) follow them, and objects come out in kustomize's legacy order.

use super::{Resource, hash};
use crate::model::{NodeId, Tree, Value};
use crate::parse::kubernetes;

/// Hash suffixes, then references.
pub(super) fn finish(resources: &mut [Resource]) {
    for resource in resources.iter_mut().filter(|r| r.hash_suffix) {
        let suffix = hash::name_hash(resource);
        if let Some(node) = resource.tree.lookup(resource.root, "metadata.name") {
            let name = format!("{}-{suffix}", resource.name());
            resource.tree.set_value(node, Value::Str(name.into()));
        }
    }
    let renamed: Vec<Renamed> = resources
        .iter()
        .filter(|r| r.name() != r.original_name || r.namespace() != r.original_namespace)
        .map(|r| Renamed {
            kind: r.kind().to_owned(),
            from: r.original_name.clone(),
            from_namespace: r.original_namespace.clone(),
            to: r.name().to_owned(),
            namespace: r.namespace().to_owned(),
        })
        .collect();
    if renamed.is_empty() {
        return;
    }
    for resource in resources.iter_mut() {
        follow_subjects(resource, &renamed);
        let namespace = resource.namespace().to_owned();
        let mut references = Vec::new();
        collect_references(&resource.tree, resource.root, &mut references);
        for (kind, node) in references {
            let Some(current) = resource.tree.as_str(node) else {
                continue;
            };
            // A reference names an object of its own namespace; cluster-scoped objects (and
            // objects without a namespace) match from anywhere.
            let target = renamed.iter().find(|r| {
                r.kind == kind
                    && r.from == current
                    && r.to != r.from
                    && (r.namespace.is_empty() || namespace.is_empty() || r.namespace == namespace)
            });
            if let Some(target) = target {
                let to = target.to.clone();
                resource.tree.set_value(node, Value::Str(to.into()));
            }
        }
    }
}

/// An object whose name or namespace the build changed.
struct Renamed {
    kind: String,
    from: String,
    from_namespace: String,
    to: String,
    namespace: String,
}

/// A role binding's service account subjects follow their account: a subject naming the
/// account's first namespace gets its new name and namespace, one without a namespace its
/// new name.
fn follow_subjects(resource: &mut Resource, renamed: &[Renamed]) {
    if !matches!(resource.kind(), "RoleBinding" | "ClusterRoleBinding") {
        return;
    }
    let tree = &mut resource.tree;
    for subject in items(tree, resource.root, "subjects") {
        let text = |key: &str| {
            tree.get(subject, key)
                .and_then(|n| tree.as_str(n))
                .map(str::to_owned)
        };
        if text("kind").as_deref() != Some("ServiceAccount") {
            continue;
        }
        let (Some(name), namespace) = (text("name"), text("namespace")) else {
            continue;
        };
        let target = renamed.iter().find(|r| {
            r.kind == "ServiceAccount"
                && r.from == name
                && namespace.as_ref().is_none_or(|ns| *ns == r.from_namespace)
        });
        let Some(target) = target else {
            continue;
        };
        if let Some(node) = tree.get(subject, "name") {
            tree.set_value(node, Value::Str(target.to.as_str().into()));
        }
        if namespace.is_some()
            && let Some(node) = tree.get(subject, "namespace")
        {
            tree.set_value(node, Value::Str(target.namespace.as_str().into()));
        }
    }
}

/// `(referenced kind, name node)` for the references kustomize updates in the common cases.
fn collect_references(tree: &Tree, root: NodeId, out: &mut Vec<(String, NodeId)>) {
    let mut at = |kind: &str, node: Option<NodeId>| {
        if let Some(node) = node {
            out.push((kind.to_owned(), node));
        }
    };
    if let Some((_, spec)) = kubernetes::pod_template(tree, root) {
        at("ServiceAccount", tree.get(spec, "serviceAccountName"));
        at("ServiceAccount", tree.get(spec, "serviceAccount"));
        for secret in items(tree, spec, "imagePullSecrets") {
            at("Secret", tree.get(secret, "name"));
        }
        for volume in items(tree, spec, "volumes") {
            at("ConfigMap", tree.lookup(volume, "configMap.name"));
            at("Secret", tree.lookup(volume, "secret.secretName"));
            at(
                "PersistentVolumeClaim",
                tree.lookup(volume, "persistentVolumeClaim.claimName"),
            );
            for source in tree
                .lookup(volume, "projected.sources")
                .map(|s| tree.items(s).to_vec())
                .unwrap_or_default()
            {
                at("ConfigMap", tree.lookup(source, "configMap.name"));
                at("Secret", tree.lookup(source, "secret.name"));
            }
        }
        for list in ["containers", "initContainers"] {
            for container in items(tree, spec, list) {
                for env in items(tree, container, "env") {
                    at(
                        "ConfigMap",
                        tree.lookup(env, "valueFrom.configMapKeyRef.name"),
                    );
                    at("Secret", tree.lookup(env, "valueFrom.secretKeyRef.name"));
                }
                for from in items(tree, container, "envFrom") {
                    at("ConfigMap", tree.lookup(from, "configMapRef.name"));
                    at("Secret", tree.lookup(from, "secretRef.name"));
                }
            }
        }
    }
    match kubernetes::kind(tree, root) {
        "StatefulSet" => at("Service", tree.lookup(root, "spec.serviceName")),
        "HorizontalPodAutoscaler" => {
            if let Some(target) = tree.lookup(root, "spec.scaleTargetRef")
                && let Some(kind) = tree.get(target, "kind").and_then(|k| tree.as_str(k))
            {
                at(kind, tree.get(target, "name"));
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            if let Some(role) = tree.get(root, "roleRef")
                && let Some(kind) = tree.get(role, "kind").and_then(|k| tree.as_str(k))
            {
                at(kind, tree.get(role, "name"));
            }
        }
        "Ingress" => {
            at(
                "Service",
                tree.lookup(root, "spec.defaultBackend.service.name"),
            );
            for tls in items(tree, tree.get(root, "spec").unwrap_or(root), "tls") {
                at("Secret", tree.get(tls, "secretName"));
            }
            for rule in tree
                .lookup(root, "spec.rules")
                .map(|r| tree.items(r).to_vec())
                .unwrap_or_default()
            {
                for path in tree
                    .lookup(rule, "http.paths")
                    .map(|p| tree.items(p).to_vec())
                    .unwrap_or_default()
                {
                    at("Service", tree.lookup(path, "backend.service.name"));
                }
            }
        }
        _ => {}
    }
}

fn items(tree: &Tree, node: NodeId, key: &str) -> Vec<NodeId> {
    tree.get(node, key)
        .map(|l| tree.items(l).to_vec())
        .unwrap_or_default()
}

/// Kinds `kustomize build` prints first, in this order (its legacy sort); unknown kinds follow,
/// then webhook configurations last.
const ORDER_FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

pub(super) fn sort_legacy(resources: &mut [Resource]) {
    let rank = |kind: &str| {
        ORDER_FIRST
            .iter()
            .position(|k| *k == kind)
            .or_else(|| {
                ORDER_LAST
                    .iter()
                    .position(|k| *k == kind)
                    .map(|i| ORDER_FIRST.len() + 1 + i)
            })
            .unwrap_or(ORDER_FIRST.len())
    };
    resources.sort_by_cached_key(|r| {
        let (group, version) = r.group_version();
        (
            rank(r.kind()),
            format!("{group}_{version}_{}", r.kind()),
            r.namespace().to_owned(),
            r.name().to_owned(),
        )
    });
}
