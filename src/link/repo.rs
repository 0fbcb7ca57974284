//! The repo document (`target: repo`): the files the scan saw and the repository-wide facts.

use std::collections::BTreeSet;

use crate::model::{DocKind, Document, Tree};
use crate::parse::kubernetes::{self, ImageRef};
use crate::source::Loc;

use super::{REPO_FILE, names_node};

/// `facts.duplicate_keys[*]`: `{key, path}`, every node at the key's location, so a finding
/// points at the line that silently overrode the first value.
pub(super) fn add_duplicate_keys(repo: &mut Document, files: &[String], keys: &[(String, Loc)]) {
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

/// Kinds whose presence means the service keeps data that must be backed up.
pub(super) const STATEFUL_KINDS: [&str; 8] = [
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
pub(super) const BACKUP_KINDS: [&str; 3] = ["Schedule", "ScheduledBackup", "Backup"];

pub(super) fn repo_document(
    documents: &[Document],
    files: &[String],
    other_files: &[String],
) -> Document {
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
    let mut drains = false;
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
                // A database is stateful even on emptyDir: its data is what is lost.
                let database = doc.tree.get(doc.root, "pod").is_some()
                    && super::shape::database_engine(doc).is_some();
                if (STATEFUL_KINDS.contains(&kind) && !data_operator && keeps_data(doc, kind))
                    || database
                {
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
                let test = t.get(doc.root, "test").and_then(|v| t.as_bool(v)) == Some(true);
                if !test && t.get(doc.root, "drains_on_sigterm").is_some() {
                    drains = true;
                }
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
    flag(&mut tree, "drains_on_sigterm", drains);
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
pub(super) fn keeps_data(doc: &Document, kind: &str) -> bool {
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
pub(super) fn is_serving_workload(doc: &Document) -> bool {
    doc.kind == DocKind::Kubernetes
        && doc.tree.get(doc.root, "pod").is_some()
        && !matches!(kubernetes::kind(&doc.tree, doc.root), "Job" | "CronJob")
}

/// Velero/K8up `Schedule`, CNPG `ScheduledBackup`, or a CronJob whose name or command says it
/// takes backups.
pub(super) fn is_backup(doc: &Document, kind: &str, api: &str) -> bool {
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
