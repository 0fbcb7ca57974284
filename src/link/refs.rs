//! References by name to objects a manifest expects to exist: a pod's ServiceAccount,
//! ConfigMaps and Secrets (volumes, projected volumes, `env` and `envFrom`, image pull secrets),
//! and an Ingress's backend Services. Each referring document gains `linked.refs[*]`: `{kind,
//! name, defined}`, every node at the reference's line, `defined` true when an object of that
//! kind and name is in the namespace. A Secret also counts as defined by what creates it in the
//! cluster: an ExternalSecret (its `spec.target.name`, else its name), a SealedSecret, a
//! SecretProviderClass's `secretObjects`, a cert-manager Certificate's `spec.secretName`; and a
//! kustomization's `configMapGenerator` / `secretGenerator` define theirs (read even when the
//! overlay could not be built, whose files are then read as they are). Optional references (`optional: true`) and
//! the `default` ServiceAccount, which every namespace has, are not listed. An Ingress backend
//! that names a port of a defined Service also gains `port` and `port_defined` (whether the
//! Service lists that `port` number or port name).

use std::collections::{HashMap, HashSet};

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes;

/// (namespace, kind, name) of every object the repo defines or has created.
type Defined = HashSet<(String, String, String)>;

/// (namespace, name) of every Service → its ports' numbers and names.
type ServicePorts = HashMap<(String, String), Vec<String>>;

/// One reference: the kind named, the name node, and for an Ingress backend its port node.
type Ref = (&'static str, NodeId, Option<NodeId>);

pub(super) fn link_refs(documents: &mut [Document]) {
    let defined = defined_objects(documents);
    let ports = service_ports(documents);
    for doc in documents
        .iter_mut()
        .filter(|d| d.kind == DocKind::Kubernetes)
    {
        let tree = &doc.tree;
        let root = doc.root;
        let refs = if tree.get(root, "pod").is_some() {
            pod_refs(tree, root)
                .into_iter()
                .map(|(kind, node)| (kind, node, None))
                .collect()
        } else if kubernetes::kind(tree, root) == "Ingress" {
            ingress_refs(tree, root)
        } else {
            continue;
        };
        if refs.is_empty() {
            continue;
        }
        let namespace = kubernetes::namespace(tree, root).to_owned();
        let tree = &mut doc.tree;
        let list = tree.seq(None);
        for (kind, node, port) in refs {
            let Some(name) = tree.as_str(node).map(str::to_owned) else {
                continue;
            };
            let loc = tree.loc(node);
            let found = defined.contains(&(namespace.clone(), kind.to_owned(), name.clone()));
            let port = port.and_then(|p| Some((tree.scalar_text(p)?.into_owned(), tree.loc(p))));
            let listed = ports.get(&(namespace.clone(), name.clone()));
            let item = tree.map(loc);
            if let (Some((port, at)), Some(listed)) = (port, listed) {
                let port_defined = tree.bool(listed.contains(&port), at);
                let port = tree.str(port, at);
                tree.insert(item, "port", port);
                tree.insert(item, "port_defined", port_defined);
            }
            let kind = tree.str(kind, loc);
            tree.insert(item, "kind", kind);
            let name = tree.str(name, loc);
            tree.insert(item, "name", name);
            let found = tree.bool(found, loc);
            tree.insert(item, "defined", found);
            tree.push(list, item);
        }
        let linked = match tree.get(root, "linked") {
            Some(linked) => linked,
            None => {
                let linked = tree.map(None);
                tree.insert(root, "linked", linked);
                linked
            }
        };
        tree.insert(linked, "refs", list);
    }
}

fn defined_objects(documents: &[Document]) -> Defined {
    let mut out = Defined::new();
    // Left-out objects (periphery, load generators) are plain YAML now, and still defined.
    for doc in documents
        .iter()
        .filter(|d| matches!(d.kind, DocKind::Kubernetes | DocKind::Yaml))
    {
        let tree = &doc.tree;
        let root = doc.root;
        let kind = kubernetes::kind(tree, root);
        let name = kubernetes::name(tree, root);
        let namespace = kubernetes::namespace(tree, root).to_owned();
        let mut add = |kind: &str, name: &str| {
            out.insert((namespace.clone(), kind.to_owned(), name.to_owned()));
        };
        add(kind, name);
        let text = |path| tree.lookup(root, path).and_then(|n| tree.as_str(n));
        match kind {
            "ExternalSecret" => add("Secret", text("spec.target.name").unwrap_or(name)),
            "SealedSecret" => add(
                "Secret",
                text("spec.template.metadata.name").unwrap_or(name),
            ),
            "Certificate" => {
                if let Some(secret) = text("spec.secretName") {
                    add("Secret", secret);
                }
            }
            "SecretProviderClass" => {
                for object in items(tree, tree.lookup(root, "spec.secretObjects")) {
                    if let Some(secret) =
                        tree.get(object, "secretName").and_then(|n| tree.as_str(n))
                    {
                        add("Secret", secret);
                    }
                }
            }
            _ => {}
        }
        // A kustomization often leaves out `kind: Kustomization`: its generators say what it is.
        let namespace = text("namespace").unwrap_or_default().to_owned();
        for (list, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            for generator in items(tree, tree.get(root, list)) {
                if let Some(name) = tree.get(generator, "name").and_then(|n| tree.as_str(n)) {
                    out.insert((namespace.clone(), kind.to_owned(), name.to_owned()));
                }
            }
        }
    }
    out
}

fn items(tree: &Tree, list: Option<NodeId>) -> Vec<NodeId> {
    list.map(|l| tree.items(l).to_vec()).unwrap_or_default()
}

/// The name node at `path` under `from`, unless the reference is `optional: true`.
fn required(tree: &Tree, from: NodeId, path: &str, name: &str) -> Option<NodeId> {
    let reference = tree.lookup(from, path)?;
    let optional = tree
        .get(reference, "optional")
        .and_then(|o| tree.as_bool(o));
    (optional != Some(true))
        .then(|| tree.get(reference, name))
        .flatten()
}

fn pod_refs(tree: &Tree, root: NodeId) -> Vec<(&'static str, NodeId)> {
    let mut out = Vec::new();
    let Some(spec) = tree.lookup(root, "pod.spec") else {
        return out;
    };
    // `serviceAccount` is the deprecated alias the API server still honours when
    // `serviceAccountName` is unset.
    let account = tree
        .get(spec, "serviceAccountName")
        .or_else(|| tree.get(spec, "serviceAccount"));
    if let Some(account) = account
        && tree.as_str(account).is_some_and(|a| a != "default")
    {
        out.push(("ServiceAccount", account));
    }
    for secret in items(tree, tree.get(spec, "imagePullSecrets")) {
        out.extend(tree.get(secret, "name").map(|n| ("Secret", n)));
    }
    for volume in items(tree, tree.get(spec, "volumes")) {
        out.extend(required(tree, volume, "configMap", "name").map(|n| ("ConfigMap", n)));
        out.extend(required(tree, volume, "secret", "secretName").map(|n| ("Secret", n)));
        for source in items(tree, tree.lookup(volume, "projected.sources")) {
            out.extend(required(tree, source, "configMap", "name").map(|n| ("ConfigMap", n)));
            out.extend(required(tree, source, "secret", "name").map(|n| ("Secret", n)));
        }
    }
    for container in items(tree, tree.lookup(root, "pod.all_containers")) {
        for var in items(tree, tree.get(container, "env")) {
            let from = |path| required(tree, var, path, "name");
            out.extend(from("valueFrom.configMapKeyRef").map(|n| ("ConfigMap", n)));
            out.extend(from("valueFrom.secretKeyRef").map(|n| ("Secret", n)));
        }
        for source in items(tree, tree.get(container, "envFrom")) {
            out.extend(required(tree, source, "configMapRef", "name").map(|n| ("ConfigMap", n)));
            out.extend(required(tree, source, "secretRef", "name").map(|n| ("Secret", n)));
        }
    }
    out
}

/// Every Service's ports, by number and by name.
fn service_ports(documents: &[Document]) -> ServicePorts {
    let mut out = ServicePorts::new();
    for doc in documents
        .iter()
        .filter(|d| matches!(d.kind, DocKind::Kubernetes | DocKind::Yaml))
    {
        let tree = &doc.tree;
        let root = doc.root;
        if kubernetes::kind(tree, root) != "Service" {
            continue;
        }
        let key = (
            kubernetes::namespace(tree, root).to_owned(),
            kubernetes::name(tree, root).to_owned(),
        );
        let listed = out.entry(key).or_default();
        for port in items(tree, tree.lookup(root, "spec.ports")) {
            for field in ["port", "name"] {
                if let Some(text) = tree.get(port, field).and_then(|n| tree.scalar_text(n)) {
                    listed.push(text.into_owned());
                }
            }
        }
    }
    out
}

fn ingress_refs(tree: &Tree, root: NodeId) -> Vec<Ref> {
    let backends = tree.lookup(root, "spec.defaultBackend").into_iter().chain(
        items(tree, tree.lookup(root, "spec.rules"))
            .into_iter()
            .flat_map(|rule| items(tree, tree.lookup(rule, "http.paths")))
            .filter_map(|path| tree.get(path, "backend")),
    );
    // `networking.k8s.io/v1` names `service.name` and `service.port.number` or `.name`; the old
    // `v1beta1`, `serviceName` and `servicePort`.
    backends
        .filter_map(|b| {
            let name = tree
                .lookup(b, "service.name")
                .or_else(|| tree.get(b, "serviceName"))?;
            let port = tree
                .lookup(b, "service.port.number")
                .or_else(|| tree.lookup(b, "service.port.name"))
                .or_else(|| tree.get(b, "servicePort"));
            Some(("Service", name, port))
        })
        .collect()
}
