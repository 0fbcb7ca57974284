//! Cross-artifact facts, computed once after parsing so rules stay declarative:
//!
//! - a workload gains `linked.services`, `linked.pdbs`, `linked.hpas`,
//!   `linked.network_policies`, `linked.monitors` (names) and `linked.min_replicas` (its HPA's
//!   `minReplicas`, else `spec.replicas`, else Kubernetes' default of 1);
//! - a container built from a Dockerfile in the repo gains `facts.dockerfile`: the final
//!   stage's facts (`user`, `root`, `healthcheck`, `base`, …, without its `instructions`) and
//!   the Dockerfile's `path`;
//! - a Service gains `linked.workloads[*]` with `ports` and `port_names` of the selected pods;
//! - a Dockerfile gains `linked.workloads[*]`, `linked.probed` and `linked.enforced_non_root`;
//! - the repo document (`target: repo`) holds `files`, `readme` and `facts`; its
//!   `facts.duplicate_keys[*]` (`key`, `path`) point at the repeated key in its file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

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

/// Links the documents of one scan. `files` are the paths of the read files, indexed by `FileId`;
/// `other_files` every other file the walk found (listed in the repo document's `files`);
/// `duplicate_keys` the YAML/JSON keys given twice, each at its second occurrence.
pub fn link(
    documents: &mut [Document],
    files: &[String],
    other_files: &[String],
    duplicate_keys: &[(String, Loc)],
) -> Document {
    for doc in documents
        .iter_mut()
        .filter(|d| d.kind == DocKind::Dockerfile)
    {
        let path = files.get(doc.file as usize).cloned().unwrap_or_default();
        let node = doc.tree.str(path, None);
        doc.tree.insert(doc.root, "path", node);
    }
    // The repo document reads what was parsed, not what linking adds: it is built meanwhile.
    let ((objects, workloads), mut repo) = rayon::join(
        || {
            rayon::join(
                || Objects::index(documents),
                || collect_workloads(documents),
            )
        },
        || repo_document(documents, files, other_files),
    );
    let builds = match_images(documents, &workloads, files);
    link_workloads(documents, &objects, &workloads, &builds, files);
    link_services(documents, &objects, &workloads);
    link_dockerfiles(documents, &workloads, &builds);
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

/// What a Service, PDB, NetworkPolicy or monitor selects.
enum Selector {
    Nothing,
    Everything,
    Labels(Labels),
}

impl Selector {
    fn selects(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Everything => true,
            Selector::Labels(wanted) => wanted.iter().all(|pair| labels.contains(pair)),
        }
    }
}

/// The facts of one Kubernetes object that linking needs, read once.
struct Object {
    doc: usize,
    kind: String,
    name: String,
    namespace: String,
    labels: Labels,
    selector: Selector,
    /// An HPA's `scaleTargetRef` (kind, name) and `minReplicas` with its location.
    scales: Option<(String, String)>,
    min_replicas: Option<(i64, Option<Loc>)>,
}

/// Every Kubernetes object, indexed by (namespace, kind) and by kind, so linking costs
/// O(workloads × objects of one kind in one namespace) instead of O(workloads × documents).
///
/// Selectors are indexed by their first label pair: an object can only select pods carrying
/// that pair, so a workload looks up the objects keyed by its own labels instead of testing every
/// Service of a namespace (a monorepo often puts thousands in one).
struct Objects {
    all: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    by_selector: HashMap<(String, String, String, String), Vec<usize>>,
    select_all: HashMap<(String, String), Vec<usize>>,
    by_target: HashMap<(String, String, String), usize>,
}

impl Objects {
    fn index(documents: &[Document]) -> Objects {
        let mut objects = Objects {
            all: Vec::new(),
            by_kind: HashMap::new(),
            by_selector: HashMap::new(),
            select_all: HashMap::new(),
            by_target: HashMap::new(),
        };
        for (doc, d) in documents.iter().enumerate() {
            if d.kind != DocKind::Kubernetes {
                continue;
            }
            let object = Object::read(doc, d);
            let at = objects.all.len();
            let place = (object.namespace.clone(), object.kind.clone());
            match &object.selector {
                Selector::Labels(wanted) => {
                    if let Some((key, value)) = wanted.first() {
                        let slot = (place.0.clone(), place.1.clone(), key.clone(), value.clone());
                        objects.by_selector.entry(slot).or_default().push(at);
                    }
                }
                Selector::Everything => objects.select_all.entry(place).or_default().push(at),
                Selector::Nothing => {}
            }
            if let Some((kind, name)) = &object.scales {
                let target = (object.namespace.clone(), kind.clone(), name.clone());
                objects.by_target.entry(target).or_insert(at);
            }
            objects
                .by_kind
                .entry(object.kind.clone())
                .or_default()
                .push(at);
            objects.all.push(object);
        }
        objects
    }

    /// Objects of `kind` in `namespace` whose selector selects pods with `labels`, in
    /// document order.
    fn selecting(&self, namespace: &str, kind: &str, labels: &Labels) -> Vec<&Object> {
        let mut found: Vec<usize> = labels
            .iter()
            .filter_map(|(key, value)| {
                let slot = (
                    namespace.to_owned(),
                    kind.to_owned(),
                    key.clone(),
                    value.clone(),
                );
                self.by_selector.get(&slot)
            })
            .flatten()
            .chain(
                self.select_all
                    .get(&(namespace.to_owned(), kind.to_owned()))
                    .into_iter()
                    .flatten(),
            )
            .copied()
            .filter(|i| self.all[*i].selector.selects(labels))
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.all[i]).collect()
    }

    /// The autoscaler targeting a workload.
    fn scaling(&self, namespace: &str, kind: &str, name: &str) -> Option<&Object> {
        let target = (namespace.to_owned(), kind.to_owned(), name.to_owned());
        self.by_target.get(&target).map(|i| &self.all[*i])
    }

    fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|i| &self.all[*i])
    }
}

impl Object {
    fn read(doc: usize, d: &Document) -> Object {
        let tree = &d.tree;
        let root = d.root;
        let kind = kubernetes::kind(tree, root).to_owned();
        let text = |path| {
            tree.lookup(root, path)
                .and_then(|n| tree.as_str(n))
                .map(str::to_owned)
        };
        let scales = (kind == "HorizontalPodAutoscaler")
            .then(|| {
                Some((
                    text("spec.scaleTargetRef.kind")?,
                    text("spec.scaleTargetRef.name")?,
                ))
            })
            .flatten();
        let min_replicas = tree
            .lookup(root, "spec.minReplicas")
            .and_then(|n| Some((tree.as_int(n)?, tree.loc(n))));
        Object {
            doc,
            selector: selector_of(tree, root, &kind),
            name: kubernetes::name(tree, root).to_owned(),
            namespace: kubernetes::namespace(tree, root).to_owned(),
            labels: labels_of(tree, tree.lookup(root, "metadata.labels")),
            kind,
            scales,
            min_replicas,
        }
    }
}

/// A Service's `spec.selector` is a plain map; the others use `matchLabels`. An empty Service
/// selector selects nothing; an empty pod selector (NetworkPolicy `{}`) selects every pod.
fn selector_of(tree: &Tree, root: NodeId, kind: &str) -> Selector {
    let node = match kind {
        "NetworkPolicy" => tree.lookup(root, "spec.podSelector"),
        "Service" | "PodDisruptionBudget" | "ServiceMonitor" | "PodMonitor" => {
            tree.lookup(root, "spec.selector")
        }
        _ => None,
    };
    let Some(node) = node else {
        return Selector::Nothing;
    };
    let labels = if kind == "Service" {
        Some(node)
    } else {
        tree.get(node, "matchLabels")
    };
    let wanted = labels_of(tree, labels);
    match (wanted.is_empty(), kind) {
        (false, _) => Selector::Labels(wanted),
        (true, "NetworkPolicy") if tree.get(node, "matchExpressions").is_none() => {
            Selector::Everything
        }
        _ => Selector::Nothing,
    }
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

/// Which Dockerfile builds which image (image → document index): the image's short name equals
/// the Dockerfile's folder name or its `Dockerfile.<name>` suffix; failing that, a repo with
/// exactly one Dockerfile builds every image that is not well-known infrastructure.
fn match_images(
    documents: &[Document],
    workloads: &[Workload],
    files: &[String],
) -> BTreeMap<String, usize> {
    let dockerfiles: Vec<usize> = (0..documents.len())
        .filter(|i| documents[*i].kind == DocKind::Dockerfile)
        .collect();
    // Every name a Dockerfile answers to, nearest first: `Dockerfile.api` → `api`; for
    // `src/cartservice/src/Dockerfile` → `src`, then `cartservice`. A nearer name wins.
    let mut by_name: HashMap<String, (usize, usize)> = HashMap::new();
    for d in &dockerfiles {
        for (distance, name) in dockerfile_names(files, documents[*d].file)
            .into_iter()
            .enumerate()
        {
            let slot = by_name.entry(name).or_insert((distance, *d));
            if distance < slot.0 {
                *slot = (distance, *d);
            }
        }
    }
    let mut out = BTreeMap::new();
    for image in workloads.iter().flat_map(|w| w.images.iter()) {
        let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
        let single = (dockerfiles.len() == 1 && !THIRD_PARTY.iter().any(|t| short.starts_with(t)))
            .then(|| dockerfiles[0]);
        if let Some(d) = by_name.get(&short).map(|(_, d)| *d).or(single) {
            out.insert(image.clone(), d);
        }
    }
    out
}

fn dockerfile_names(files: &[String], file: FileId) -> Vec<String> {
    let path = files.get(file as usize).map(String::as_str).unwrap_or("");
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let lower = name.to_ascii_lowercase();
    let mut names: Vec<String> = lower
        .strip_prefix("dockerfile.")
        .or_else(|| lower.strip_suffix(".dockerfile"))
        .map(str::to_owned)
        .into_iter()
        .collect();
    names.extend(
        dir.rsplit('/')
            .filter(|part| !part.is_empty())
            .map(str::to_ascii_lowercase),
    );
    names
}

fn names_node(tree: &mut Tree, names: &[String]) -> NodeId {
    let seq = tree.seq(None);
    for name in names {
        let node = tree.str(name.as_str(), None);
        tree.push(seq, node);
    }
    seq
}

/// What the link step found about one workload.
struct WorkloadLinks {
    lists: [(&'static str, Vec<String>); 5],
    hpa_min: Option<(i64, Option<Loc>)>,
}

fn workload_links(objects: &Objects, w: &Workload, documents: &[Document]) -> WorkloadLinks {
    let covering = |kind: &str| objects.selecting(&w.namespace, kind, &w.labels);
    let services = covering("Service");
    let mut monitors: Vec<String> = objects
        .of_kind("PodMonitor")
        .filter(|m| m.selector.selects(&w.labels))
        .chain(
            objects
                .of_kind("ServiceMonitor")
                .filter(|m| services.iter().any(|s| m.selector.selects(&s.labels))),
        )
        .map(|m| format!("{}/{}", m.kind, m.name))
        .collect();
    if scrape_annotated(&documents[w.doc]) {
        monitors.push(format!("{}/{}", w.kind, w.name));
    }
    let hpa = objects.scaling(&w.namespace, &w.kind, &w.name);
    let names = |list: Vec<&Object>| list.into_iter().map(|o| o.name.clone()).collect();
    WorkloadLinks {
        lists: [
            ("services", names(services)),
            ("pdbs", names(covering("PodDisruptionBudget"))),
            ("network_policies", names(covering("NetworkPolicy"))),
            ("monitors", monitors),
            (
                "hpas",
                hpa.map(|h| vec![h.name.clone()]).unwrap_or_default(),
            ),
        ],
        // The HPA's floor, located in the HPA's file, so a finding points at `minReplicas`.
        hpa_min: hpa.and_then(|h| h.min_replicas),
    }
}

fn link_workloads(
    documents: &mut [Document],
    objects: &Objects,
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
    files: &[String],
) {
    // Each workload is its own document, so every one is linked on its own, in parallel.
    // Workloads are in document order, so a document finds its plan by binary search.
    let plans: Vec<(usize, WorkloadLinks)> = workloads
        .par_iter()
        .map(|w| (w.doc, workload_links(objects, w, documents)))
        .collect();
    documents
        .par_iter_mut()
        .enumerate()
        .filter_map(|(doc, target)| {
            let at = plans.binary_search_by_key(&doc, |(d, _)| *d).ok()?;
            Some((target, &plans[at].1))
        })
        .for_each(|(target, plan)| {
            let tree = &mut target.tree;
            let linked = tree.map(None);
            for (key, names) in &plan.lists {
                let node = names_node(tree, names);
                tree.insert(linked, key, node);
            }
            let replicas = tree.lookup(target.root, "spec.replicas");
            let (min, loc) = plan
                .hpa_min
                .or_else(|| replicas.and_then(|r| Some((tree.as_int(r)?, tree.loc(r)))))
                .unwrap_or((1, None));
            let min_node = tree.int(min, loc);
            tree.insert(linked, "min_replicas", min_node);
            tree.insert(target.root, "linked", linked);
        });
    attach_dockerfiles(documents, workloads, builds, files);
}

fn scrape_annotated(doc: &Document) -> bool {
    let tree = &doc.tree;
    tree.lookup(doc.root, "pod.annotations")
        .and_then(|a| tree.get(a, "prometheus.io/scrape"))
        .and_then(|v| tree.scalar_text(v))
        .is_some_and(|v| v == "true")
}

/// Gives each container built in this repo `facts.dockerfile` (the final stage's facts).
/// Copying a stage into thousands of workloads is the costliest part of linking a monorepo, so
/// the stages are prepared and the workloads given theirs in parallel: each touches one tree.
fn attach_dockerfiles(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
    files: &[String],
) {
    // Each Dockerfile's final stage, copied out once with its path.
    let built: BTreeSet<usize> = builds.values().copied().collect();
    let stages: HashMap<usize, (Tree, NodeId)> = built
        .par_iter()
        .filter_map(|d| {
            let source = &documents[*d];
            let final_stage = source.tree.get(source.root, "final")?;
            // The stage's facts, not its instruction list: rules about instructions read the
            // Dockerfile itself, and a copy per workload would hold every one again.
            let mut small = Tree::new();
            let stage = small.map(source.tree.loc(final_stage));
            for entry in source.tree.entries(final_stage) {
                if entry.key.as_str() != "instructions" {
                    let value = small.import(&source.tree, entry.value);
                    small.insert_key(stage, entry.key, entry.key_loc, value);
                }
            }
            let path = files.get(source.file as usize).cloned().unwrap_or_default();
            let path_node = small.str(path, None);
            small.insert(stage, "path", path_node);
            Some((*d, (small, stage)))
        })
        .collect();
    let workload_docs: BTreeSet<usize> = workloads.iter().map(|w| w.doc).collect();
    documents
        .par_iter_mut()
        .enumerate()
        .filter(|(i, _)| workload_docs.contains(i))
        .for_each(|(_, target)| {
            let tree = &mut target.tree;
            let containers: Vec<NodeId> = tree
                .lookup(target.root, "pod.all_containers")
                .map(|c| tree.items(c).to_vec())
                .unwrap_or_default();
            for container in containers {
                let image = tree.get(container, "image").and_then(|i| tree.as_str(i));
                let Some((small, stage)) = image
                    .and_then(|i| builds.get(i))
                    .and_then(|d| stages.get(d))
                else {
                    continue;
                };
                let Some(facts) = tree.get(container, "facts") else {
                    continue;
                };
                tree.reserve_exact(small.len());
                let copy = tree.import(small, *stage);
                tree.insert(facts, "dockerfile", copy);
            }
        });
    // Thousands of small trees: freed while the scan goes on.
    rayon::spawn(move || drop(stages));
}

fn link_services(documents: &mut [Document], objects: &Objects, workloads: &[Workload]) {
    // Workloads by (namespace, label, value): a Service only selects pods carrying its first pair.
    let mut by_label: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, w) in workloads.iter().enumerate() {
        for (key, value) in &w.labels {
            let slot = (w.namespace.as_str(), key.as_str(), value.as_str());
            by_label.entry(slot).or_default().push(i);
        }
    }
    for service in objects.of_kind("Service") {
        let first = match &service.selector {
            Selector::Labels(wanted) => wanted.first(),
            _ => None,
        };
        let selected: Vec<&Workload> = first
            .and_then(|(key, value)| {
                by_label.get(&(service.namespace.as_str(), key.as_str(), value.as_str()))
            })
            .into_iter()
            .flatten()
            .map(|i| &workloads[*i])
            .filter(|w| service.selector.selects(&w.labels))
            .collect();
        let doc = &mut documents[service.doc];
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
    builds: &BTreeMap<String, usize>,
) {
    let mut users: BTreeMap<usize, Vec<&Workload>> = BTreeMap::new();
    for w in workloads {
        let mut built_by: Vec<usize> = w
            .images
            .iter()
            .filter_map(|i| builds.get(i).copied())
            .collect();
        built_by.sort_unstable();
        built_by.dedup();
        for d in built_by {
            users.entry(d).or_default().push(w);
        }
    }
    for (d, users) in users {
        let (probed, non_root) = run_facts(documents, &users, builds, d);
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

/// Whether every serving container built from Dockerfile `d` has a probe, and every container
/// built from it is forced to run as non-root.
fn run_facts(
    documents: &[Document],
    users: &[&Workload],
    builds: &BTreeMap<String, usize>,
    d: usize,
) -> (bool, bool) {
    let mut probed = true;
    let mut non_root = true;
    for w in users {
        let doc = &documents[w.doc];
        let tree = &doc.tree;
        let containers = tree
            .lookup(doc.root, "pod.containers")
            .map(|c| tree.items(c).to_vec())
            .unwrap_or_default();
        for c in containers {
            let image = tree.get(c, "image").and_then(|i| tree.as_str(i));
            if image.and_then(|i| builds.get(i)) != Some(&d) {
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
    (probed, non_root)
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

fn repo_document(documents: &[Document], files: &[String], other_files: &[String]) -> Document {
    let mut tree = Tree::new();
    let root = tree.map(None);
    let mut all_files: Vec<String> = files.iter().chain(other_files).cloned().collect();
    all_files.sort();
    let file_list = names_node(&mut tree, &all_files);
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
    let mut dashboards = 0;
    let serving = documents.iter().filter(|d| is_serving_workload(d)).count();
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
                if STATEFUL_KINDS.contains(&kind) && !data_operator && keeps_data(doc, kind) {
                    stateful.push(kubernetes::label(t, doc.root));
                }
                if is_backup(doc, kind, api) {
                    backups.push(kubernetes::label(t, doc.root));
                }
            }
            DocKind::Grafana => dashboards += 1,
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
    for (key, count) in [("workloads", serving), ("dashboards", dashboards)] {
        let node = tree.int(count as i64, None);
        tree.insert(facts, key, node);
    }
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

/// A StatefulSet without volumes keeps nothing across restarts; every other stateful kind does.
fn keeps_data(doc: &Document, kind: &str) -> bool {
    if kind != "StatefulSet" {
        return true;
    }
    let t = &doc.tree;
    let claims = t
        .lookup(doc.root, "spec.volumeClaimTemplates")
        .is_some_and(|c| !t.items(c).is_empty());
    let volumes = t
        .lookup(doc.root, "pod.spec.volumes")
        .map(|v| t.items(v).to_vec())
        .unwrap_or_default();
    claims
        || volumes
            .iter()
            .any(|v| t.get(*v, "persistentVolumeClaim").is_some())
}

/// A workload that serves (runs pods and is not a run-to-completion Job or CronJob).
fn is_serving_workload(doc: &Document) -> bool {
    doc.kind == DocKind::Kubernetes
        && doc.tree.get(doc.root, "pod").is_some()
        && !matches!(kubernetes::kind(&doc.tree, doc.root), "Job" | "CronJob")
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
