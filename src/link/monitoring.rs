//! What scrapes a workload besides Prometheus Operator monitors (see `workloads`): a
//! `prometheus.io/scrape` annotation on a Service that selects it, a Google Managed Prometheus
//! PodMonitoring or VictoriaMetrics scrape object, and the `scrape_configs` of a Prometheus
//! config kept in the repo (a `prometheus.yml`, or the ConfigMap that mounts one): static
//! targets naming the workload or one of its Services, and Kubernetes service discovery with
//! no `keep`/`drop` rule (it scrapes every pod, or every endpoint behind a Service).

use std::collections::HashSet;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::{kubernetes, yaml};

use super::coverage::Coverage;
use super::objects::{Object, Objects};
use super::{Workload, names_node};

/// Scrape jobs read from the repo's Prometheus configs.
#[derive(Default)]
struct ScrapeConfigs {
    /// (host named by a static target, `job_name`): `cart:8080` → `cart`.
    static_hosts: Vec<(String, String)>,
    /// Jobs discovering every pod (`role: pod`) with no filter.
    every_pod: Vec<String>,
    /// Jobs discovering every endpoint of every Service (`role: endpoints`/`endpointslice`).
    every_endpoint: Vec<String>,
}

pub(super) fn add_monitors(
    documents: &mut [Document],
    objects: &Objects,
    coverage: &Coverage,
    workloads: &[Workload],
    files: &[String],
) {
    let configs = scrape_configs(documents, files);
    let found: Vec<(usize, Vec<String>)> = workloads
        .iter()
        .map(|w| {
            (
                w.doc,
                monitors_of(documents, objects, coverage, &configs, w),
            )
        })
        .filter(|(_, m)| !m.is_empty())
        .collect();
    for (doc, monitors) in found {
        let doc = &mut documents[doc];
        let tree = &mut doc.tree;
        let Some(linked) = tree.get(doc.root, "linked") else {
            continue;
        };
        let mut all: Vec<String> = tree
            .get(linked, "monitors")
            .map(|m| tree.items(m).to_vec())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| tree.as_str(n).map(str::to_owned))
            .collect();
        all.extend(monitors);
        let node = names_node(tree, &all);
        tree.insert(linked, "monitors", node);
    }
}

fn monitors_of(
    documents: &[Document],
    objects: &Objects,
    coverage: &Coverage,
    configs: &ScrapeConfigs,
    w: &Workload,
) -> Vec<String> {
    let services = coverage.covering(objects, w, "Service");
    let label = |o: &Object| format!("{}/{}", o.kind, o.name);
    let mut out: Vec<String> = services
        .iter()
        .filter(|s| annotated(&documents[s.doc]))
        .map(|s| label(s))
        .collect();
    for kind in [
        "PodMonitoring",
        "VMPodScrape",
        "ClusterPodMonitoring",
        "VMServiceScrape",
    ] {
        out.extend(coverage.covering(objects, w, kind).into_iter().map(label));
    }
    let named = |host: &str| host == w.name || services.iter().any(|s| s.name == host);
    out.extend(
        configs
            .static_hosts
            .iter()
            .filter(|(host, _)| named(host))
            .map(|(_, job)| format!("scrape job {job}")),
    );
    out.extend(
        configs
            .every_pod
            .iter()
            .map(|job| format!("scrape job {job}")),
    );
    if !services.is_empty() {
        out.extend(
            configs
                .every_endpoint
                .iter()
                .map(|job| format!("scrape job {job}")),
        );
    }
    out.sort();
    out.dedup();
    out
}

fn annotated(doc: &Document) -> bool {
    let tree = &doc.tree;
    tree.lookup(doc.root, "metadata.annotations")
        .and_then(|a| tree.get(a, "prometheus.io/scrape"))
        .and_then(|v| tree.scalar_text(v))
        .is_some_and(|v| v == "true")
}

/// Every `scrape_configs` list of the repo: top-level in a YAML file, or in a ConfigMap value.
/// A `prometheus.yml` beside a compose file is that stack's: its static targets are compose
/// services, not the Kubernetes workloads of the same names.
fn scrape_configs(documents: &[Document], files: &[String]) -> ScrapeConfigs {
    let folder = |doc: &Document| {
        let path = files.get(doc.file as usize).map_or("", String::as_str);
        path.rsplit_once('/').map_or("", |(dir, _)| dir)
    };
    let compose: HashSet<&str> = documents
        .iter()
        .filter(|d| d.kind == DocKind::Compose)
        .map(folder)
        .collect();
    let mut out = ScrapeConfigs::default();
    for doc in documents {
        let tree = &doc.tree;
        match doc.kind {
            DocKind::Yaml if !compose.contains(folder(doc)) => {
                if let Some(list) = tree.get(doc.root, "scrape_configs") {
                    read_jobs(tree, list, &mut out);
                }
            }
            DocKind::Kubernetes if kubernetes::kind(tree, doc.root) == "ConfigMap" => {
                let Some(data) = tree.get(doc.root, "data") else {
                    continue;
                };
                for entry in tree.entries(data) {
                    let Some(text) = tree.as_str(entry.value) else {
                        continue;
                    };
                    if !text.contains("scrape_configs") {
                        continue;
                    }
                    for inner in yaml::load(doc.file, text).documents {
                        if let Some(list) = inner.tree.get(inner.root, "scrape_configs") {
                            read_jobs(&inner.tree, list, &mut out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn read_jobs(tree: &Tree, list: NodeId, out: &mut ScrapeConfigs) {
    for job in tree.items(list) {
        let name = tree
            .get(*job, "job_name")
            .and_then(|n| tree.scalar_text(n))
            .map(|n| n.into_owned())
            .unwrap_or_default();
        for target in items(tree, *job, "static_configs")
            .into_iter()
            .flat_map(|c| items(tree, c, "targets"))
        {
            if let Some(host) = tree.scalar_text(target).and_then(|t| host_of(&t)) {
                out.static_hosts.push((host, name.clone()));
            }
        }
        let filtered = items(tree, *job, "relabel_configs").into_iter().any(|r| {
            tree.get(r, "action")
                .and_then(|a| tree.as_str(a))
                .is_some_and(|a| matches!(a, "keep" | "drop" | "keepequal" | "dropequal"))
        });
        if filtered {
            continue;
        }
        for sd in items(tree, *job, "kubernetes_sd_configs") {
            match tree.get(sd, "role").and_then(|r| tree.as_str(r)) {
                Some("pod") => out.every_pod.push(name.clone()),
                Some("endpoints" | "endpointslice") => out.every_endpoint.push(name.clone()),
                _ => {}
            }
        }
    }
}

/// The Service or workload a target names: `cart:8080`, `http://cart.shop.svc:80` → `cart`.
fn host_of(target: &str) -> Option<String> {
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    let host = rest.split(['/', ':']).next()?;
    let first = host.split('.').next()?;
    (!first.is_empty() && first.parse::<u8>().is_err()).then(|| first.to_ascii_lowercase())
}

fn items(tree: &Tree, node: NodeId, key: &str) -> Vec<NodeId> {
    tree.get(node, key)
        .map(|i| tree.items(i).to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_targets_name_hosts() {
        assert_eq!(host_of("cart:8080").as_deref(), Some("cart"));
        assert_eq!(
            host_of("http://cart.shop.svc:80/metrics").as_deref(),
            Some("cart")
        );
        assert_eq!(host_of("10.0.0.7:9100"), None);
        assert_eq!(host_of("localhost:9090").as_deref(), Some("localhost"));
    }
}
