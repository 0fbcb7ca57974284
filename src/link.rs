//! Cross-artifact facts, computed once after parsing so rules stay declarative:
//!
//! - a workload gains `linked.services`, `linked.pdbs`, `linked.hpas`,
//!   `linked.network_policies`, `linked.monitors` (names) and `linked.min_replicas` (its HPA's
//!   `minReplicas`, else `spec.replicas`, else Kubernetes' default of 1);
//! - a container built from a Dockerfile in the repo gains `facts.dockerfile` (`path`, `user`,
//!   `root`, `healthcheck`, from the final stage);
//! - a Service gains `linked.workloads[*]` with `ports` and `port_names` of the selected pods;
//! - a Dockerfile gains `linked.workloads[*]`, `linked.probed` and `linked.enforced_non_root`;
//! - the repo document (`target: repo`) holds `files`, `readme` and `facts`; its
//!   `facts.duplicate_keys[*]` (`key`, `path`) point at the repeated key in its file.

use std::collections::BTreeSet;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::{self, ImageRef};
use crate::source::{FileId, Loc};

/// The file id of the repo document: it has no file.
pub const REPO_FILE: FileId = FileId::MAX;

type Labels = Vec<(String, String)>;

struct Workload {
    doc: usize,
    namespace: String,
    kind: String,
    name: String,
    labels: Labels,
    ports: Vec<i64>,
    port_names: Vec<String>,
    images: Vec<String>,
}

/// Infrastructure images a repo deploys but does not build.
const THIRD_PARTY: [&str; 24] = [
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "valkey",
    "memcached",
    "nginx",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "elasticsearch",
    "opensearch",
    "busybox",
    "alpine",
    "ubuntu",
    "debian",
    "curl",
    "traefik",
    "envoy",
    "haproxy",
    "minio",
    "etcd",
    "cassandra",
];

/// Links the documents of one scan; `duplicate_keys` are the YAML/JSON keys given twice, each
/// with the location of its second occurrence.
pub fn link(
    documents: &mut [Document],
    files: &[String],
    duplicate_keys: &[(String, Loc)],
) -> Document {
    let workloads = collect_workloads(documents);
    let dockerfiles: Vec<usize> = (0..documents.len())
        .filter(|i| documents[*i].kind == DocKind::Dockerfile)
        .collect();
    let builds = match_images(documents, &workloads, &dockerfiles, files);
    link_workloads(documents, &workloads, &builds, files);
    link_services(documents, &workloads);
    link_dockerfiles(documents, &workloads, &builds);
    let mut repo = repo_document(documents, files);
    add_duplicate_keys(&mut repo, files, duplicate_keys);
    repo
}

/// `facts.duplicate_keys[*]`: `{key, path}`, every node at the key's location, so a finding
/// points at the line that silently overrode the first value.
fn add_duplicate_keys(repo: &mut Document, files: &[String], keys: &[(String, Loc)]) {
    let tree = &mut repo.tree;
    let list = tree.seq(None);
    for (key, at) in keys {
        let loc = Some(*at);
        let item = tree.map(loc);
        let key = tree.str(key.as_str(), loc);
        tree.insert(item, "key", key);
        let path = files.get(at.file as usize).map_or("", String::as_str);
        let path = tree.str(path, loc);
        tree.insert(item, "path", path);
        tree.push(list, item);
    }
    if let Some(facts) = tree.get(repo.root, "facts") {
        tree.insert(facts, "duplicate_keys", list);
    }
}

fn labels_of(tree: &Tree, map: Option<NodeId>) -> Labels {
    map.map(|m| {
        tree.entries(m)
            .iter()
            .filter_map(|e| Some((e.key.to_string(), tree.scalar_text(e.value)?.into_owned())))
            .collect()
    })
    .unwrap_or_default()
}

fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|pair| labels.contains(pair))
}

fn collect_workloads(documents: &[Document]) -> Vec<Workload> {
    let mut out = Vec::new();
    for (i, doc) in documents.iter().enumerate() {
        if doc.kind != DocKind::Kubernetes {
            continue;
        }
        let tree = &doc.tree;
        let Some(pod) = tree.get(doc.root, "pod") else {
            continue;
        };
        let containers: Vec<NodeId> = tree
            .get(pod, "containers")
            .map(|c| tree.items(c).to_vec())
            .unwrap_or_default();
        let mut ports = Vec::new();
        let mut port_names = Vec::new();
        let mut images = Vec::new();
        for c in &containers {
            for port in tree
                .get(*c, "ports")
                .map(|p| tree.items(p).to_vec())
                .unwrap_or_default()
            {
                ports.extend(tree.get(port, "containerPort").and_then(|p| tree.as_int(p)));
                port_names.extend(
                    tree.get(port, "name")
                        .and_then(|n| tree.as_str(n))
                        .map(str::to_owned),
                );
            }
            images.extend(
                tree.get(*c, "image")
                    .and_then(|n| tree.as_str(n))
                    .map(str::to_owned),
            );
        }
        out.push(Workload {
            doc: i,
            namespace: kubernetes::namespace(tree, doc.root).to_owned(),
            kind: kubernetes::kind(tree, doc.root).to_owned(),
            name: kubernetes::name(tree, doc.root).to_owned(),
            labels: labels_of(tree, tree.get(pod, "labels")),
            ports,
            port_names,
            images,
        });
    }
    out
}

/// Which Dockerfile builds which image: the image's short name equals the Dockerfile's folder
/// name (or the repo's, for a root Dockerfile) or its `Dockerfile.<name>` suffix; failing that, a
/// repo with exactly one Dockerfile builds every image that is not well-known infrastructure.
fn match_images(
    documents: &[Document],
    workloads: &[Workload],
    dockerfiles: &[usize],
    files: &[String],
) -> Vec<(String, usize)> {
    let names: Vec<(usize, String)> = dockerfiles
        .iter()
        .map(|d| (*d, dockerfile_name(files, documents[*d].file)))
        .collect();
    let mut out = Vec::new();
    for image in workloads.iter().flat_map(|w| w.images.iter()) {
        let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
        let by_name = names.iter().find(|(_, n)| !n.is_empty() && *n == short);
        let single = (dockerfiles.len() == 1 && !THIRD_PARTY.iter().any(|t| short.starts_with(t)))
            .then(|| dockerfiles[0]);
        if let Some(d) = by_name.map(|(d, _)| *d).or(single) {
            out.push((image.clone(), d));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn dockerfile_name(files: &[String], file: FileId) -> String {
    let path = files.get(file as usize).map(String::as_str).unwrap_or("");
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let lower = name.to_ascii_lowercase();
    if let Some(suffix) = lower
        .strip_prefix("dockerfile.")
        .or_else(|| lower.strip_suffix(".dockerfile"))
    {
        return suffix.to_owned();
    }
    dir.rsplit('/').next().unwrap_or("").to_ascii_lowercase()
}

fn names_node(tree: &mut Tree, names: &[String]) -> NodeId {
    let seq = tree.seq(None);
    for name in names {
        let node = tree.str(name.as_str(), None);
        tree.push(seq, node);
    }
    seq
}

fn link_workloads(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &[(String, usize)],
    files: &[String],
) {
    let covering = |w: &Workload, kind: &str| -> Vec<String> {
        documents
            .iter()
            .filter(|d| d.kind == DocKind::Kubernetes && kubernetes::kind(&d.tree, d.root) == kind)
            .filter(|d| kubernetes::namespace(&d.tree, d.root) == w.namespace)
            .filter(|d| covers(d, w))
            .map(|d| kubernetes::name(&d.tree, d.root).to_owned())
            .collect()
    };
    let mut plans = Vec::new();
    for w in workloads {
        let services = covering(w, "Service");
        let monitors: Vec<String> = documents
            .iter()
            .filter(|d| d.kind == DocKind::Kubernetes)
            .filter(|d| monitors(d, w, &services, documents))
            .map(|d| kubernetes::label(&d.tree, d.root))
            .collect();
        let hpa = documents
            .iter()
            .filter(|d| {
                d.kind == DocKind::Kubernetes
                    && kubernetes::kind(&d.tree, d.root) == "HorizontalPodAutoscaler"
            })
            .find(|d| targets(d, w));
        plans.push((
            w.doc,
            [
                ("services", services),
                ("pdbs", covering(w, "PodDisruptionBudget")),
                ("network_policies", covering(w, "NetworkPolicy")),
                ("monitors", monitors),
                (
                    "hpas",
                    hpa.map(|d| vec![kubernetes::name(&d.tree, d.root).to_owned()])
                        .unwrap_or_default(),
                ),
            ],
            // The HPA's floor, located in the HPA's file, so a finding points at `minReplicas`.
            hpa.and_then(|d| {
                let node = d.tree.lookup(d.root, "spec.minReplicas")?;
                Some((d.tree.as_int(node)?, d.tree.loc(node)))
            }),
        ));
    }
    for (doc, lists, hpa_min) in plans {
        let target = &mut documents[doc];
        let tree = &mut target.tree;
        let linked = tree.map(None);
        for (key, names) in lists {
            let node = names_node(tree, &names);
            tree.insert(linked, key, node);
        }
        let replicas = tree.lookup(target.root, "spec.replicas");
        let (min, loc) = hpa_min
            .or_else(|| replicas.and_then(|r| Some((tree.as_int(r)?, tree.loc(r)))))
            .unwrap_or((1, None));
        let min_node = tree.int(min, loc);
        tree.insert(linked, "min_replicas", min_node);
        tree.insert(target.root, "linked", linked);
    }
    attach_dockerfiles(documents, workloads, builds, files);
}

/// Whether a PDB, NetworkPolicy or Service selects the workload's pods.
fn covers(doc: &Document, w: &Workload) -> bool {
    let tree = &doc.tree;
    let kind = kubernetes::kind(tree, doc.root);
    let selector = match kind {
        "Service" => tree.lookup(doc.root, "spec.selector"),
        "NetworkPolicy" => tree.lookup(doc.root, "spec.podSelector"),
        _ => tree.lookup(doc.root, "spec.selector"),
    };
    let Some(selector) = selector else {
        return false;
    };
    let match_labels = if kind == "Service" {
        Some(selector)
    } else {
        tree.get(selector, "matchLabels")
    };
    let wanted = labels_of(tree, match_labels);
    let has_expressions = tree.get(selector, "matchExpressions").is_some();
    // An empty Service selector selects nothing; an empty pod selector selects every pod.
    if wanted.is_empty() {
        return kind == "NetworkPolicy" && !has_expressions;
    }
    selects(&wanted, &w.labels)
}

fn targets(hpa: &Document, w: &Workload) -> bool {
    let tree = &hpa.tree;
    let text = |path| {
        tree.lookup(hpa.root, path)
            .and_then(|n| tree.as_str(n))
            .unwrap_or("")
    };
    kubernetes::namespace(tree, hpa.root) == w.namespace
        && text("spec.scaleTargetRef.kind") == w.kind
        && text("spec.scaleTargetRef.name") == w.name
}

/// ServiceMonitor selecting one of the workload's Services, PodMonitor selecting its pods, or
/// `prometheus.io/scrape: "true"` on the pod template.
fn monitors(doc: &Document, w: &Workload, services: &[String], documents: &[Document]) -> bool {
    let tree = &doc.tree;
    let wanted = labels_of(tree, tree.lookup(doc.root, "spec.selector.matchLabels"));
    match kubernetes::kind(tree, doc.root) {
        "PodMonitor" => !wanted.is_empty() && selects(&wanted, &w.labels),
        "ServiceMonitor" => {
            !wanted.is_empty()
                && documents.iter().any(|s| {
                    s.kind == DocKind::Kubernetes
                        && kubernetes::kind(&s.tree, s.root) == "Service"
                        && services
                            .iter()
                            .any(|n| n == kubernetes::name(&s.tree, s.root))
                        && selects(
                            &wanted,
                            &labels_of(&s.tree, s.tree.lookup(s.root, "metadata.labels")),
                        )
                })
        }
        _ => {
            doc.tree.get(doc.root, "pod").is_some()
                && std::ptr::eq(doc, &documents[w.doc])
                && scrape_annotated(doc)
        }
    }
}

fn scrape_annotated(doc: &Document) -> bool {
    let tree = &doc.tree;
    tree.lookup(doc.root, "pod.annotations")
        .and_then(|a| tree.get(a, "prometheus.io/scrape"))
        .and_then(|v| tree.scalar_text(v))
        .is_some_and(|v| v == "true")
}

/// Gives each container built in this repo `facts.dockerfile` (the final stage's facts).
fn attach_dockerfiles(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &[(String, usize)],
    files: &[String],
) {
    for w in workloads {
        for (image, dockerfile) in builds.iter().filter(|(image, _)| w.images.contains(image)) {
            let source = &documents[*dockerfile];
            let Some(final_stage) = source.tree.get(source.root, "final") else {
                continue;
            };
            let source_tree = source.tree.clone();
            let path = files.get(source.file as usize).cloned().unwrap_or_default();
            let target = &mut documents[w.doc];
            let tree = &mut target.tree;
            let containers: Vec<NodeId> = tree
                .lookup(target.root, "pod.containers")
                .map(|c| tree.items(c).to_vec())
                .unwrap_or_default();
            for container in containers {
                let built_here = tree.get(container, "image").and_then(|i| tree.as_str(i))
                    == Some(image.as_str());
                let Some(facts) = tree.get(container, "facts").filter(|_| built_here) else {
                    continue;
                };
                let stage = tree.import(&source_tree, final_stage);
                let path_node = tree.str(path.as_str(), None);
                tree.insert(stage, "path", path_node);
                tree.insert(facts, "dockerfile", stage);
            }
        }
    }
}

fn link_services(documents: &mut [Document], workloads: &[Workload]) {
    for doc in documents.iter_mut() {
        if doc.kind != DocKind::Kubernetes || kubernetes::kind(&doc.tree, doc.root) != "Service" {
            continue;
        }
        let namespace = kubernetes::namespace(&doc.tree, doc.root).to_owned();
        let selected: Vec<&Workload> = workloads
            .iter()
            .filter(|w| w.namespace == namespace && covers(doc, w))
            .collect();
        let root = doc.root;
        let tree = &mut doc.tree;
        let list = tree.seq(None);
        for w in selected {
            let item = tree.map(None);
            let name = tree.str(format!("{}/{}", w.kind, w.name), None);
            tree.insert(item, "name", name);
            let ports = tree.seq(None);
            for port in &w.ports {
                let node = tree.int(*port, None);
                tree.push(ports, node);
            }
            tree.insert(item, "ports", ports);
            let names = names_node(tree, &w.port_names);
            tree.insert(item, "port_names", names);
            tree.push(list, item);
        }
        let linked = tree.map(None);
        tree.insert(linked, "workloads", list);
        tree.insert(root, "linked", linked);
    }
}

fn link_dockerfiles(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &[(String, usize)],
) {
    for (d, _) in builds
        .iter()
        .map(|(_, d)| (*d, ()))
        .collect::<BTreeSet<_>>()
    {
        let images: Vec<&String> = builds
            .iter()
            .filter(|(_, b)| *b == d)
            .map(|(i, _)| i)
            .collect();
        let users: Vec<&Workload> = workloads
            .iter()
            .filter(|w| w.images.iter().any(|i| images.contains(&i)))
            .collect();
        let mut probed = !users.is_empty();
        let mut non_root = !users.is_empty();
        for w in &users {
            let doc = &documents[w.doc];
            let tree = &doc.tree;
            let containers = tree
                .lookup(doc.root, "pod.containers")
                .map(|c| tree.items(c).to_vec())
                .unwrap_or_default();
            for c in containers {
                let built = tree
                    .get(c, "image")
                    .and_then(|i| tree.as_str(i))
                    .is_some_and(|i| images.iter().any(|x| x.as_str() == i));
                if !built {
                    continue;
                }
                // Jobs run to completion and serve nothing: they need no probe.
                let serves = !matches!(w.kind.as_str(), "Job" | "CronJob");
                probed &= !serves
                    || tree.get(c, "readinessProbe").is_some()
                    || tree.get(c, "livenessProbe").is_some();
                non_root &= tree
                    .lookup(c, "facts.non_root")
                    .and_then(|n| tree.as_bool(n))
                    == Some(true);
            }
        }
        let names: Vec<String> = users
            .iter()
            .map(|w| format!("{}/{}", w.kind, w.name))
            .collect();
        let doc = &mut documents[d];
        let tree = &mut doc.tree;
        let linked = tree.map(None);
        let list = names_node(tree, &names);
        tree.insert(linked, "workloads", list);
        let probed = tree.bool(probed, None);
        tree.insert(linked, "probed", probed);
        let non_root = tree.bool(non_root, None);
        tree.insert(linked, "enforced_non_root", non_root);
        tree.insert(doc.root, "linked", linked);
    }
}

/// Kinds whose presence means the service keeps data that must be backed up.
const STATEFUL_KINDS: [&str; 8] = [
    "StatefulSet",
    "PersistentVolumeClaim",
    "Cluster",
    "postgresql",
    "PerconaServerMongoDB",
    "MongoDBCommunity",
    "Kafka",
    "PerconaXtraDBCluster",
];

/// Kinds that schedule backups: Velero, CloudNativePG, K8up.
const BACKUP_KINDS: [&str; 3] = ["Schedule", "ScheduledBackup", "Backup"];

fn repo_document(documents: &[Document], files: &[String]) -> Document {
    let mut tree = Tree::new();
    let root = tree.map(None);
    let file_list = names_node(&mut tree, files);
    tree.insert(root, "files", file_list);
    if let Some(readme) = documents.iter().find(|d| d.kind == DocKind::Readme) {
        let node = tree.map(None);
        let path = tree.str(
            files.get(readme.file as usize).cloned().unwrap_or_default(),
            None,
        );
        tree.insert(node, "path", path);
        let words = readme
            .tree
            .get(readme.root, "words")
            .and_then(|w| readme.tree.as_int(w))
            .unwrap_or(0);
        let words = tree.int(words, None);
        tree.insert(node, "words", words);
        tree.insert(root, "readme", node);
    }
    let facts = tree.map(None);
    let mut stateful = Vec::new();
    let mut backups = Vec::new();
    let mut alerts = Vec::new();
    let mut languages = BTreeSet::new();
    let mut dependencies = BTreeSet::new();
    for doc in documents {
        let t = &doc.tree;
        match doc.kind {
            DocKind::Kubernetes => {
                let kind = kubernetes::kind(t, doc.root);
                let api = t
                    .get(doc.root, "apiVersion")
                    .and_then(|a| t.as_str(a))
                    .unwrap_or("");
                let data_operator =
                    !matches!(kind, "StatefulSet" | "PersistentVolumeClaim") && !api.contains(".");
                if STATEFUL_KINDS.contains(&kind) && !data_operator {
                    stateful.push(kubernetes::label(t, doc.root));
                }
                if is_backup(doc, kind, api) {
                    backups.push(kubernetes::label(t, doc.root));
                }
            }
            DocKind::Compose => {
                for service in t
                    .get(doc.root, "service_list")
                    .map(|s| t.items(s).to_vec())
                    .unwrap_or_default()
                {
                    let image = t
                        .get(service, "image")
                        .and_then(|i| t.as_str(i))
                        .unwrap_or("");
                    let short = ImageRef::parse(image).short_name();
                    if [
                        "postgres",
                        "mysql",
                        "mariadb",
                        "mongo",
                        "redis",
                        "cassandra",
                        "elasticsearch",
                    ]
                    .iter()
                    .any(|db| short.starts_with(db))
                        && t.get(service, "volumes").is_some()
                    {
                        let name = t
                            .get(service, "name")
                            .and_then(|n| t.as_str(n))
                            .unwrap_or("");
                        stateful.push(format!("compose service {name}"));
                    }
                }
            }
            DocKind::Prometheus => {
                for alert in t
                    .get(doc.root, "alerts")
                    .map(|a| t.items(a).to_vec())
                    .unwrap_or_default()
                {
                    let name = t
                        .get(alert, "alert")
                        .and_then(|n| t.scalar_text(n))
                        .unwrap_or_default();
                    let expr = t
                        .get(alert, "expr")
                        .and_then(|n| t.scalar_text(n))
                        .unwrap_or_default();
                    alerts.push((name.into_owned(), expr.into_owned()));
                }
            }
            DocKind::Source | DocKind::Dependencies => {
                if let Some(lang) = t.get(doc.root, "language").and_then(|l| t.as_str(l)) {
                    languages.insert(lang.to_owned());
                }
                for dep in t
                    .get(doc.root, "dependencies")
                    .map(|d| t.items(d).to_vec())
                    .unwrap_or_default()
                {
                    if let Some(name) = t.get(dep, "name").and_then(|n| t.as_str(n)) {
                        dependencies.insert(name.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    let backup_alert = alerts.iter().any(|(name, expr)| {
        name.to_ascii_lowercase().contains("backup") || expr.to_ascii_lowercase().contains("backup")
    });
    let flag = |tree: &mut Tree, key: &str, value: bool| {
        let node = tree.bool(value, None);
        tree.insert(facts, key, node);
    };
    flag(&mut tree, "stateful", !stateful.is_empty());
    flag(&mut tree, "backup_alert", backup_alert);
    let lists: [(&str, Vec<String>); 6] = [
        ("stateful_objects", stateful),
        ("backups", backups),
        ("alerts", alerts.iter().map(|(n, _)| n.clone()).collect()),
        ("alert_exprs", alerts.into_iter().map(|(_, e)| e).collect()),
        ("languages", languages.into_iter().collect()),
        ("dependencies", dependencies.into_iter().collect()),
    ];
    for (key, values) in lists {
        let node = names_node(&mut tree, &values);
        tree.insert(facts, key, node);
    }
    tree.insert(root, "facts", facts);
    Document::new(DocKind::Repo, REPO_FILE, tree, root)
}

/// Velero/K8up `Schedule`, CNPG `ScheduledBackup`, or a CronJob whose name or command says it
/// takes backups.
fn is_backup(doc: &Document, kind: &str, api: &str) -> bool {
    let t = &doc.tree;
    match kind {
        "CronJob" => {
            let name = kubernetes::name(t, doc.root).to_ascii_lowercase();
            let commands = t
                .lookup(doc.root, "pod.containers")
                .map(|c| t.items(c).to_vec())
                .unwrap_or_default()
                .into_iter()
                .flat_map(|c| {
                    ["command", "args"]
                        .into_iter()
                        .filter_map(move |k| t.get(c, k))
                })
                .flat_map(|list| t.items(list).to_vec())
                .filter_map(|n| t.scalar_text(n).map(|s| s.to_ascii_lowercase()))
                .collect::<Vec<_>>()
                .join(" ");
            [
                "backup",
                "pg_dump",
                "mysqldump",
                "mongodump",
                "restic",
                "kopia",
                "velero",
            ]
            .iter()
            .any(|w| name.contains(w) || commands.contains(w))
        }
        _ => {
            BACKUP_KINDS.contains(&kind)
                && ["velero.io", "postgresql.cnpg.io", "k8up.io"]
                    .iter()
                    .any(|g| api.starts_with(g))
        }
    }
}
