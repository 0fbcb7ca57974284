//! YAML and JSON files → documents routed one by one: Kubernetes object, compose file,
//! Prometheus rules, Grafana dashboard, or plain YAML/JSON.
//!
//! PrometheusRule and GrafanaDashboard objects yield two documents: the object (for
//! `kubernetes` rules) and its rules or dashboard (for `prometheus` / `grafana` rules).

use super::Parsed;
use super::embedded;
use super::kubernetes;
use super::kustomize;
use super::yaml::{self, YamlDoc};
use crate::model::{DocKind, Document, Entry, Key, NodeId, Tree, Value};
use crate::source::FileId;

pub fn parse(file: FileId, path: &str, text: &str, json: bool) -> Parsed {
    let loaded = yaml::load(file, text);
    let mut parsed = Parsed {
        documents: Vec::new(),
        errors: loaded.errors,
        duplicate_keys: loaded.duplicate_keys,
    };
    let fallback = if json { DocKind::Json } else { DocKind::Yaml };
    // A kustomization carries `apiVersion`/`kind` (and sometimes `metadata`) but is build input,
    // never an object applied to a cluster.
    let kustomization = kustomize::is_kustomization(path);
    // An empty document (`---` followed by nothing, common in rendered charts) says nothing.
    let documents = loaded
        .documents
        .into_iter()
        .filter(|d| !matches!(d.tree.value(d.root), Value::Null));
    for doc in documents {
        if kustomization {
            let mut document = Document::new(fallback, file, doc.tree, doc.root);
            document.index = doc.index;
            parsed.documents.push(document);
        } else {
            route(file, path, text, doc, fallback, &mut parsed.documents);
        }
    }
    parsed
}

fn route(
    file: FileId,
    path: &str,
    text: &str,
    doc: YamlDoc,
    fallback: DocKind,
    out: &mut Vec<Document>,
) {
    let YamlDoc {
        mut tree,
        root,
        index,
        ..
    } = doc;
    // A `kind: List` (`kubectl get -o yaml`, hand-written lists) often has no `metadata`, nor
    // do its items when written by hand: each item with an `apiVersion` and a `kind` is checked.
    if kubernetes::kind(&tree, root) == "List" && kubernetes::has_type(&tree, root) {
        let items = tree
            .get(root, "items")
            .map(|i| tree.items(i).to_vec())
            .unwrap_or_default();
        for item in items
            .into_iter()
            .filter(|i| kubernetes::has_type(&tree, *i))
        {
            out.push(kubernetes_doc(file, index, tree.clone(), item));
        }
        return;
    }
    if kubernetes::is_object(&tree, root) {
        if kubernetes::kind(&tree, root) == "PrometheusRule"
            && let Some(spec) = tree.get(root, "spec")
        {
            let mut rules = Document::new(DocKind::Prometheus, file, tree.clone(), spec);
            rules.index = index;
            rules.label = Some(kubernetes::label(&tree, root));
            derive_alerts(&mut rules.tree, spec);
            out.push(rules);
        }
        if kubernetes::kind(&tree, root) == "GrafanaDashboard" {
            out.extend(dashboard_of_object(file, index, &tree, root));
        }
        if kubernetes::kind(&tree, root) == "ConfigMap" {
            out.extend(config_map_contents(file, text, index, &tree, root));
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

/// A GrafanaDashboard object's `spec.json` (a string holding the dashboard) as a grafana
/// document. Locations inside the string are not tracked: every value points at `json:`.
fn dashboard_of_object(file: FileId, index: usize, tree: &Tree, root: NodeId) -> Option<Document> {
    let json = tree.lookup(root, "spec.json")?;
    let text = tree.as_str(json)?;
    let mut loaded = yaml::load(file, text);
    if !loaded.errors.is_empty() || loaded.documents.is_empty() {
        return None;
    }
    let YamlDoc {
        tree: mut dashboard,
        root: dashboard_root,
        ..
    } = loaded.documents.swap_remove(0);
    if !matches!(dashboard.value(dashboard_root), Value::Map(_)) {
        return None;
    }
    dashboard.relocate_all(tree.loc(json));
    derive_queries(&mut dashboard, dashboard_root);
    let mut document = Document::new(DocKind::Grafana, file, dashboard, dashboard_root);
    document.index = index;
    document.label = Some(kubernetes::label(tree, root));
    Some(document)
}

/// The alert rules and dashboards a ConfigMap carries for Prometheus or Grafana to mount
/// (`alerts.rules: |`, `api-dashboard.json: |`), as prometheus and grafana documents located in
/// the ConfigMap's file.
fn config_map_contents(
    file: FileId,
    text: &str,
    index: usize,
    tree: &Tree,
    root: NodeId,
) -> Vec<Document> {
    let Some(data) = tree.get(root, "data") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in tree.entries(data) {
        let Some(content) = tree.as_str(entry.value) else {
            continue;
        };
        let rules = content.contains("groups:") && content.contains("rules:");
        let dashboard = content.contains("\"panels\"") || content.contains("\"rows\"");
        if !rules && !dashboard {
            continue;
        }
        let Some((mut inner, inner_root)) = embedded::parse(text, tree.loc(entry.value), content)
        else {
            continue;
        };
        let kind = if is_prometheus_rules(&inner, inner_root) {
            derive_alerts(&mut inner, inner_root);
            DocKind::Prometheus
        } else if is_grafana_dashboard(&inner, inner_root) {
            derive_queries(&mut inner, inner_root);
            DocKind::Grafana
        } else {
            continue;
        };
        let mut document = Document::new(kind, file, inner, inner_root);
        document.index = index;
        document.label = Some(format!(
            "{} {}",
            kubernetes::label(tree, root),
            entry.key.as_str()
        ));
        out.push(document);
    }
    out
}

fn kubernetes_doc(file: FileId, index: usize, mut tree: Tree, root: NodeId) -> Document {
    kubernetes::derive_facts(&mut tree, root);
    let label = kubernetes::label(&tree, root);
    let mut document = Document::new(DocKind::Kubernetes, file, tree, root);
    document.index = index;
    document.label = Some(label);
    document
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `compose.yaml`, `docker-compose.prod.yml`, … (with `services`, or only `include`), or any YAML
/// whose `services` entries carry an `image` or `build`.
fn is_compose(path: &str, tree: &Tree, root: NodeId) -> bool {
    let name = file_name(path);
    let named = name.starts_with("docker-compose") || name.starts_with("compose.");
    let Some(services) = tree.get(root, "services") else {
        // A project made only of other compose files: `include: [../cart/compose.yaml, …]`.
        return named
            && tree
                .get(root, "include")
                .is_some_and(|i| !tree.items(i).is_empty());
    };
    let looks = tree
        .entries(services)
        .iter()
        .any(|e| tree.get(e.value, "image").is_some() || tree.get(e.value, "build").is_some());
    matches!(tree.value(services), Value::Map(_)) && (named || looks)
}

/// Adds `service_list[*]`: each service with its `name`, so rules can look at them one by one;
/// `environment` is always a map there (name → value), whichever form the file used, and
/// `environment_list[*]` the same entries as `{name, value, service}`.
pub(crate) fn derive_compose(tree: &mut Tree, root: NodeId) {
    let Some(services) = tree.get(root, "services") else {
        return;
    };
    let list = tree.seq(tree.loc(services));
    for entry in tree.entries(services).to_vec() {
        let service = tree.map(tree.loc(entry.value));
        let name = tree.str(entry.key.as_str(), entry.key_loc);
        tree.insert(service, "name", name);
        let service_name = name;
        for field in tree.entries(entry.value).to_vec() {
            tree.insert_key(service, field.key, field.key_loc, field.value);
        }
        if let Some(env) = tree.get(entry.value, "environment") {
            let map = environment_map(tree, env);
            tree.insert(service, "environment", map);
            // `environment_list` lets rules look at names as well as values (`[*]` on a map
            // yields values).
            let env_list = tree.seq(tree.loc(map));
            for variable in tree.entries(map).to_vec() {
                let item = tree.map(variable.key_loc);
                let name = tree.str(variable.key.as_str(), variable.key_loc);
                tree.insert(item, "name", name);
                tree.insert(item, "value", variable.value);
                tree.insert(item, "service", service_name);
                tree.push(env_list, item);
            }
            tree.insert(service, "environment_list", env_list);
        }
        tree.push(list, service);
    }
    tree.insert(root, "service_list", list);
}

/// `environment: [KEY=value, KEY]` → `{KEY: value, KEY: null}` (a bare name takes its value
/// from the shell running compose); each entry points at its list item. Maps stay as written.
fn environment_map(tree: &mut Tree, env: NodeId) -> NodeId {
    if !matches!(tree.value(env), Value::Seq(_)) {
        return env;
    }
    let map = tree.map(tree.loc(env));
    for item in tree.items(env).to_vec() {
        let loc = tree.loc(item);
        let Some(text) = tree.scalar_text(item).map(|t| t.into_owned()) else {
            continue;
        };
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.to_owned(), tree.str(value, loc)),
            None => (text, tree.null(loc)),
        };
        if let Some(entries) = tree.entries_mut(map) {
            let key = Key::new(&name);
            entries.retain(|e| e.key != key);
            entries.push(Entry {
                key,
                key_loc: loc,
                value,
            });
        }
    }
    map
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
    (tree.get(dashboard, "panels").is_some() || tree.get(dashboard, "rows").is_some())
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
    // A stack of panels still to visit, last first, so queries come out in document order.
    // Dashboards of schema 1–15 keep their panels in `rows[*].panels`.
    let mut panels: Vec<NodeId> = ["rows", "panels"]
        .into_iter()
        .filter_map(|key| tree.get(dashboard, key))
        .flat_map(|p| tree.items(p).to_vec())
        .collect();
    panels.reverse();
    while let Some(panel) = panels.pop() {
        if let Some(nested) = tree.get(panel, "panels") {
            panels.extend(tree.items(nested).iter().rev().copied());
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
