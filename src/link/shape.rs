//! What a workload is, read off its pod: whether it serves traffic, and whether it is a database
//! and keeps its data on a volume that survives the pod.
//!
//! - `linked.serving`: a container declares a port, or a Service selects the pods. A worker that
//!   only pulls from a queue has neither: it needs no readiness probe, no ingress policy and no
//!   scrape target.
//! - `linked.database`: the engine (`postgres`, `mongodb`, …) when a container runs a database
//!   image, whatever its volumes (not for Jobs and CronJobs: they run its clients); Redis and Valkey count only when told to persist (otherwise
//!   they are caches, lost by design).
//! - `linked.persistent`: the pod mounts a volume that outlives it (a claim, a claim template, a
//!   cloud or network disk), not only `emptyDir`, ConfigMaps and Secrets.

use crate::model::{Document, NodeId, Tree};
use crate::parse::kubernetes::{self, ImageRef};

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

/// Adds `linked.serving`, `linked.database` and `linked.persistent` to each workload.
pub(super) fn add_shape(documents: &mut [Document], workload_docs: &[usize]) {
    for d in workload_docs {
        let engine = database_engine(&documents[*d]);
        let doc = &mut documents[*d];
        let tree = &mut doc.tree;
        let Some(linked) = tree.get(doc.root, "linked") else {
            continue;
        };
        let ports = items_at(tree, doc.root, "pod.containers").iter().any(|c| {
            tree.lookup(*c, "ports")
                .is_some_and(|p| !tree.items(p).is_empty())
        });
        let selected = tree
            .get(linked, "services")
            .is_some_and(|s| !tree.items(s).is_empty());
        let persistent = persistent(tree, doc.root);
        let serving = tree.bool(ports || selected, None);
        tree.insert(linked, "serving", serving);
        let persistent = tree.bool(persistent, None);
        tree.insert(linked, "persistent", persistent);
        if let Some(engine) = engine {
            let node = tree.str(engine.as_str(), None);
            tree.insert(linked, "database", node);
        }
    }
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
