//! What a workload is, read off its pod: whether it serves traffic, and whether it is a database
//! and keeps its data on a volume that survives the pod.
//!
//! - `linked.serving`: a container declares a port, or a Service with a cluster IP selects the
//!   pods. A worker that only pulls from a queue has neither: it needs no readiness probe, no
//!   ingress policy and no scrape target (a headless Service only gives its pods DNS names).
//! - `linked.database`: the engine (`postgres`, `mongodb`, …) when a container runs a database
//!   image, whatever its volumes (not for Jobs and CronJobs: they run its clients); Redis and Valkey count only when told to persist (otherwise
//!   they are caches, lost by design).
//! - `linked.persistent`: the pod mounts a volume that outlives it (a claim, a claim template, a
//!   cloud or network disk), not only `emptyDir`, ConfigMaps and Secrets.
//! - `linked.node_agent: true`: a DaemonSet named or imaged like an agent whose job is the node
//!   itself (a log shipper, a node exporter, an eBPF profiler): its host paths, host namespaces
//!   and privileges are what it is for, and are the platform's to review, not the service's.

use crate::model::{Document, NodeId, Tree};
use crate::parse::kubernetes::{self, ImageRef};

use super::Workload;
use super::coverage::Coverage;
use super::objects::Objects;

/// Image name parts that name a database engine (first part that matches wins).
const ENGINES: [(&str, &str); 17] = [
    ("postgres", "postgres"),
    ("postgresql", "postgres"),
    ("postgis", "postgres"),
    ("timescaledb", "postgres"),
    ("mysql", "mysql"),
    ("mariadb", "mariadb"),
    ("percona", "mysql"),
    ("mongo", "mongodb"),
    ("mongodb", "mongodb"),
    ("cassandra", "cassandra"),
    ("scylla", "cassandra"),
    ("couchdb", "couchdb"),
    ("neo4j", "neo4j"),
    ("influxdb", "influxdb"),
    ("clickhouse", "clickhouse"),
    ("cockroach", "cockroachdb"),
    ("elasticsearch", "elasticsearch"),
];

/// Parts that make an image a tool around a database, not the database (`mongo-express`,
/// `postgres-exporter`, `mysql-client`).
const TOOLS: [&str; 16] = [
    "exporter",
    "express",
    "operator",
    "ui",
    "admin",
    "proxy",
    "client",
    "backup",
    "init",
    "migrate",
    "migrations",
    "sidecar",
    "agent",
    "console",
    "dashboard",
    "kibana",
];

/// Names of agents that read the node itself: its log folders, its /proc and /sys, its kernel.
const NODE_AGENTS: [&str; 16] = [
    "fluentd",
    "fluent-bit",
    "fluentbit",
    "filebeat",
    "metricbeat",
    "auditbeat",
    "promtail",
    "node-exporter",
    "node_exporter",
    "cadvisor",
    "ebpf",
    "parca-agent",
    "falco",
    "datadog-agent",
    "node-problem-detector",
    "grafana-agent",
];

/// Whether a workload or compose service named `name`, running `images`, is a node agent: a
/// name or image naming one of `NODE_AGENTS`, or a `node-…-exporter`/`node-…-metrics` name.
pub(super) fn is_node_agent<'a>(name: &str, images: impl IntoIterator<Item = &'a str>) -> bool {
    let named = |text: &str| {
        let text = text.to_ascii_lowercase();
        let words: Vec<&str> = text.split(['-', '_', '.', '/']).collect();
        NODE_AGENTS.iter().any(|agent| text.contains(agent))
            || (words.contains(&"node")
                && words
                    .iter()
                    .any(|w| matches!(*w, "exporter" | "metrics" | "agent")))
    };
    named(name)
        || images
            .into_iter()
            .any(|image| named(ImageRef::parse(image).short_name()))
}

/// Volume sources that die with the pod or hold only configuration.
const EPHEMERAL: [&str; 6] = [
    "emptyDir",
    "configMap",
    "secret",
    "downwardAPI",
    "projected",
    "ephemeral",
];

/// The database engine a workload runs, read from its containers' images and arguments; for a
/// team's own database image (`catalogue-db`), its name.
pub(super) fn database_engine(doc: &Document) -> Option<String> {
    let tree = &doc.tree;
    // A Job running `postgres` runs `psql` against a database elsewhere: it keeps nothing.
    if matches!(kubernetes::kind(tree, doc.root), "Job" | "CronJob") {
        return None;
    }
    items_at(tree, doc.root, "pod.containers")
        .into_iter()
        .find_map(|c| {
            let image = tree.get(c, "image").and_then(|i| tree.as_str(i))?;
            let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
            let parts: Vec<&str> = short.split(['-', '_', '.']).collect();
            if parts.iter().any(|p| TOOLS.contains(p)) {
                return None;
            }
            let engine = parts
                .iter()
                .find_map(|p| ENGINES.iter().find(|(name, _)| name == p).map(|(_, e)| *e));
            let cache = parts.iter().any(|p| matches!(*p, "redis" | "valkey"));
            // `catalogue-db`, `orders-database`: a team's own image of some database.
            let named = parts.len() > 1 && parts.iter().any(|p| matches!(*p, "db" | "database"));
            engine
                .or_else(|| (cache && persists(tree, c)).then_some("redis"))
                .map(str::to_owned)
                .or_else(|| named.then_some(short.clone()))
        })
}

/// A Redis started with an append-only file or a save schedule.
fn persists(tree: &Tree, container: NodeId) -> bool {
    let words: Vec<String> = ["command", "args"]
        .into_iter()
        .filter_map(|k| tree.get(container, k))
        .flat_map(|list| tree.items(list).to_vec())
        .filter_map(|w| tree.scalar_text(w).map(|s| s.to_ascii_lowercase()))
        .flat_map(|w| w.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    words.windows(2).any(|pair| {
        (pair[0] == "--appendonly" && pair[1] == "yes")
            || (pair[0] == "--save" && !pair[1].trim_matches(['"', '\'']).is_empty())
    })
}

/// Adds `linked.serving`, `linked.database`, `linked.persistent` and `linked.node_agent` to
/// each workload.
pub(super) fn add_shape(
    documents: &mut [Document],
    objects: &Objects,
    coverage: &Coverage,
    workloads: &[Workload],
) {
    for w in workloads {
        let d = &w.doc;
        let engine = database_engine(&documents[*d]);
        let fronted = coverage
            .covering(objects, w, "Service")
            .iter()
            .any(|s| !headless(&documents[s.doc]));
        let doc = &mut documents[*d];
        let tree = &mut doc.tree;
        let Some(linked) = tree.get(doc.root, "linked") else {
            continue;
        };
        let ports = items_at(tree, doc.root, "pod.containers").iter().any(|c| {
            tree.lookup(*c, "ports")
                .is_some_and(|p| !tree.items(p).is_empty())
        });
        let persistent = persistent(tree, doc.root);
        let images: Vec<String> = items_at(tree, doc.root, "pod.containers")
            .iter()
            .filter_map(|c| tree.get(*c, "image").and_then(|i| tree.as_str(i)))
            .map(str::to_owned)
            .collect();
        let node_agent = kubernetes::kind(tree, doc.root) == "DaemonSet"
            && is_node_agent(
                kubernetes::name(tree, doc.root),
                images.iter().map(String::as_str),
            );
        if node_agent {
            let yes = tree.bool(true, None);
            tree.insert(linked, "node_agent", yes);
        }
        let serving = tree.bool(ports || fronted, None);
        tree.insert(linked, "serving", serving);
        let persistent = tree.bool(persistent, None);
        tree.insert(linked, "persistent", persistent);
        if let Some(engine) = engine {
            let node = tree.str(engine.as_str(), None);
            tree.insert(linked, "database", node);
        }
    }
}

/// A Service with `clusterIP: None`: DNS names for its pods, no load-balanced address.
fn headless(service: &Document) -> bool {
    let tree = &service.tree;
    tree.lookup(service.root, "spec.clusterIP")
        .and_then(|ip| tree.as_str(ip))
        .is_some_and(|ip| ip == "None")
}

fn persistent(tree: &Tree, root: NodeId) -> bool {
    let claims = tree
        .lookup(root, "spec.volumeClaimTemplates")
        .is_some_and(|c| !tree.items(c).is_empty());
    claims
        || items_at(tree, root, "pod.spec.volumes").iter().any(|v| {
            tree.entries(*v)
                .iter()
                .any(|e| !matches!(e.key.as_str(), "name") && !EPHEMERAL.contains(&e.key.as_str()))
        })
}

fn items_at(tree: &Tree, root: NodeId, path: &str) -> Vec<NodeId> {
    tree.lookup(root, path)
        .map(|c| tree.items(c).to_vec())
        .unwrap_or_default()
}
