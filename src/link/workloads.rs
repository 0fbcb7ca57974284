//! What covers a workload (Services, PDBs, HPAs, NetworkPolicies, monitors) and what a Service
//! selects.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::model::Document;
use crate::source::Loc;

use super::images::attach_dockerfiles;
use super::objects::{Object, Objects, Selector};
use super::{Workload, names_node};

/// What the link step found about one workload.
pub(super) struct WorkloadLinks {
    lists: [(&'static str, Vec<String>); 5],
    hpa_min: Option<(i64, Option<Loc>)>,
}

pub(super) fn workload_links(
    objects: &Objects,
    w: &Workload,
    documents: &[Document],
) -> WorkloadLinks {
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

pub(super) fn link_workloads(
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

pub(super) fn scrape_annotated(doc: &Document) -> bool {
    let tree = &doc.tree;
    tree.lookup(doc.root, "pod.annotations")
        .and_then(|a| tree.get(a, "prometheus.io/scrape"))
        .and_then(|v| tree.scalar_text(v))
        .is_some_and(|v| v == "true")
}

pub(super) fn link_services(documents: &mut [Document], objects: &Objects, workloads: &[Workload]) {
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
