//! YAML and JSON files → documents routed one by one: Kubernetes object, compose file,
//! Prometheus rules, Grafana dashboard, or plain YAML/JSON.

use super::kubernetes;
use super::yaml::{self, YamlDoc};
use super::{ParseError, Parsed};
use crate::model::{DocKind, Document, NodeId, Tree, Value};
use crate::source::FileId;

pub fn parse(file: FileId, path: &str, text: &str, json: bool) -> Parsed {
    let loaded = yaml::load(file, text);
    let mut parsed = Parsed {
        documents: Vec::new(),
        errors: loaded.errors,
        warnings: loaded
            .duplicate_keys
            .into_iter()
            .map(|(key, span)| {
                ParseError::new(
                    format!("duplicate key `{key}`: the later value wins"),
                    Some(span),
                )
            })
            .collect(),
    };
    let fallback = if json { DocKind::Json } else { DocKind::Yaml };
    for doc in loaded.documents {
        route(file, path, doc, fallback, &mut parsed.documents);
    }
    parsed
}

fn route(file: FileId, path: &str, doc: YamlDoc, fallback: DocKind, out: &mut Vec<Document>) {
    let YamlDoc {
        mut tree,
        root,
        index,
        ..
    } = doc;
    if kubernetes::is_object(&tree, root) {
        if kubernetes::kind(&tree, root) == "List" {
            let items = tree
                .get(root, "items")
                .map(|i| tree.items(i).to_vec())
                .unwrap_or_default();
            for item in items
                .into_iter()
                .filter(|i| kubernetes::is_object(&tree, *i))
            {
                out.push(kubernetes_doc(file, index, tree.clone(), item));
            }
            return;
        }
        if kubernetes::kind(&tree, root) == "PrometheusRule"
            && let Some(spec) = tree.get(root, "spec")
        {
            let mut rules = Document::new(DocKind::Prometheus, file, tree.clone(), spec);
            rules.index = index;
            rules.label = Some(kubernetes::label(&tree, root));
            derive_alerts(&mut rules.tree, spec);
            out.push(rules);
        }
        out.push(kubernetes_doc(file, index, tree, root));
        return;
    }
    let kind = if is_compose(path, &tree, root) {
        derive_compose(&mut tree, root);
        DocKind::Compose
    } else if is_prometheus_rules(&tree, root) {
        derive_alerts(&mut tree, root);
        DocKind::Prometheus
    } else if is_grafana_dashboard(&tree, root) {
        derive_queries(&mut tree, root);
        DocKind::Grafana
    } else {
        fallback
    };
    let mut document = Document::new(kind, file, tree, root);
    document.index = index;
    out.push(document);
}

fn kubernetes_doc(file: FileId, index: usize, mut tree: Tree, root: NodeId) -> Document {
    kubernetes::derive_pod(&mut tree, root);
    let label = kubernetes::label(&tree, root);
    let mut document = Document::new(DocKind::Kubernetes, file, tree, root);
    document.index = index;
    document.label = Some(label);
    document
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `compose.yaml`, `docker-compose.prod.yml`, …, or any YAML whose `services` entries carry an
/// `image` or `build`.
fn is_compose(path: &str, tree: &Tree, root: NodeId) -> bool {
    let name = file_name(path);
    let named = name.starts_with("docker-compose") || name.starts_with("compose.");
    let Some(services) = tree.get(root, "services") else {
        return false;
    };
    let looks = tree
        .entries(services)
        .iter()
        .any(|e| tree.get(e.value, "image").is_some() || tree.get(e.value, "build").is_some());
    matches!(tree.value(services), Value::Map(_)) && (named || looks)
}

/// Adds `service_list[*]`: each service with its `name`, so rules can look at them one by one.
fn derive_compose(tree: &mut Tree, root: NodeId) {
    let Some(services) = tree.get(root, "services") else {
        return;
    };
    let list = tree.seq(tree.loc(services));
    for entry in tree.entries(services).to_vec() {
        let service = tree.map(tree.loc(entry.value));
        let name = tree.str(entry.key.clone(), entry.key_loc);
        tree.insert(service, "name", name);
        for field in tree.entries(entry.value).to_vec() {
            tree.insert_at(service, &field.key, field.key_loc, field.value);
        }
        tree.push(list, service);
    }
    tree.insert(root, "service_list", list);
}

fn is_prometheus_rules(tree: &Tree, root: NodeId) -> bool {
    tree.get(root, "groups").is_some_and(|groups| {
        tree.items(groups)
            .iter()
            .any(|g| tree.get(*g, "rules").is_some())
    })
}

/// Adds `alerts[*]` and `records[*]`: every alerting and recording rule of every group.
fn derive_alerts(tree: &mut Tree, root: NodeId) {
    let alerts = tree.seq(None);
    let records = tree.seq(None);
    let groups = tree
        .get(root, "groups")
        .map(|g| tree.items(g).to_vec())
        .unwrap_or_default();
    for group in groups {
        let rules = tree
            .get(group, "rules")
            .map(|r| tree.items(r).to_vec())
            .unwrap_or_default();
        for rule in rules {
            if tree.get(rule, "alert").is_some() {
                tree.push(alerts, rule);
            } else if tree.get(rule, "record").is_some() {
                tree.push(records, rule);
            }
        }
    }
    tree.insert(root, "alerts", alerts);
    tree.insert(root, "records", records);
}

fn is_grafana_dashboard(tree: &Tree, root: NodeId) -> bool {
    let dashboard = tree.get(root, "dashboard").unwrap_or(root);
    tree.get(dashboard, "panels").is_some()
        && (tree.get(dashboard, "schemaVersion").is_some()
            || tree.get(dashboard, "title").is_some())
}

/// Adds `title` (when nested under `dashboard`) and `queries[*]`: every panel target's `expr`,
/// rows' nested panels included.
fn derive_queries(tree: &mut Tree, root: NodeId) {
    let dashboard = tree.get(root, "dashboard").unwrap_or(root);
    if let Some(title) = tree.get(dashboard, "title") {
        tree.insert(root, "title", title);
    }
    let queries = tree.seq(None);
    let mut panels: Vec<NodeId> = tree
        .get(dashboard, "panels")
        .map(|p| tree.items(p).to_vec())
        .unwrap_or_default();
    while let Some(panel) = panels.pop() {
        if let Some(nested) = tree.get(panel, "panels") {
            panels.extend(tree.items(nested).iter().copied());
        }
        let targets = tree
            .get(panel, "targets")
            .map(|t| tree.items(t).to_vec())
            .unwrap_or_default();
        for target in targets {
            if let Some(expr) = tree.get(target, "expr") {
                tree.push(queries, expr);
            }
        }
    }
    tree.insert(root, "queries", queries);
}
