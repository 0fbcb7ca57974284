//! What covers a workload (Services, PDBs, HPAs, NetworkPolicies, monitors).

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::Document;
use crate::source::Loc;

use super::coverage::Coverage;
use super::images::{Stages, attach_dockerfiles, copied_nodes};
use super::objects::{Object, Objects, Selector};
use super::{Labels, Workload, names_node};

/// What the link step found about one workload.
pub(super) struct WorkloadLinks {
    lists: [(&'static str, Vec<String>); 6],
    min_replicas: (i64, Option<Loc>),
}

pub(super) fn workload_links(
    objects: &Objects,
    coverage: &Coverage,
    w: &Workload,
    documents: &[Document],
) -> WorkloadLinks {
    let covering = |kind: &str| coverage.covering(objects, w, kind);
    let services = covering("Service");
    let mut monitors: Vec<String> = covering("PodMonitor")
        .into_iter()
        .chain(covering("ServiceMonitor"))
        .map(|m| format!("{}/{}", m.kind, m.name))
        .collect();
    if scrape_annotated(&documents[w.doc]) {
        monitors.push(format!("{}/{}", w.kind, w.name));
    }
    let hpa = covering("HorizontalPodAutoscaler").into_iter().next();
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
            ("spread_keys", spread_keys(&documents[w.doc], &w.labels)),
        ],
        min_replicas: w.min_replicas(objects, coverage),
    }
}

/// Nodes the link steps after `link_workloads` add to a workload, about: `linked.serving`,
/// `persistent`, `database`, `monitors`, a `built_by` per container and a few `linked.refs`.
const LATER_NODES: usize = 12;

pub(super) fn link_workloads(
    documents: &mut [Document],
    objects: &Objects,
    coverage: &Coverage,
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
    stages: Stages,
) {
    // Each workload is its own document, so every one is linked on its own, in parallel.
    // Workloads are in document order, so a document finds its plan by binary search.
    let plans: Vec<(usize, WorkloadLinks)> = workloads
        .par_iter()
        .map(|w| (w.doc, workload_links(objects, coverage, w, documents)))
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
            // Linking about doubles a workload's tree: room for all of it at once, where
            // growing step by step moved each arena four or five times and left the old ones
            // as holes no later allocation fitted (75 MB of the peak at 20,000 services).
            let lists: usize = plan.lists.iter().map(|(_, names)| 1 + names.len()).sum();
            let copies = copied_nodes(tree, target.root, builds, &stages);
            tree.reserve_exact(2 + lists + copies + LATER_NODES);
            let linked = tree.map(None);
            for (key, names) in &plan.lists {
                let node = names_node(tree, names);
                tree.insert(linked, key, node);
            }
            let (min, loc) = plan.min_replicas;
            let min_node = tree.int(min, loc);
            tree.insert(linked, "min_replicas", min_node);
            tree.insert(target.root, "linked", linked);
        });
    attach_dockerfiles(documents, workloads, builds, stages);
}

/// The `topologyKey`s of the pod's spread constraints and anti-affinity terms (required or
/// preferred) whose `labelSelector` selects the workload's own pods: a term about other pods
/// (or without a selector, which matches no pod) spreads nothing of this workload.
fn spread_keys(doc: &Document, own: &Labels) -> Vec<String> {
    let tree = &doc.tree;
    let Some(spec) = tree.lookup(doc.root, "pod.spec") else {
        return Vec::new();
    };
    let items = |path: &str| {
        tree.lookup(spec, path)
            .map(|list| tree.items(list).to_vec())
            .unwrap_or_default()
    };
    let anti = "affinity.podAntiAffinity";
    let preferred = items(&format!(
        "{anti}.preferredDuringSchedulingIgnoredDuringExecution"
    ))
    .into_iter()
    .filter_map(|item| tree.get(item, "podAffinityTerm"));
    items("topologySpreadConstraints")
        .into_iter()
        .chain(items(&format!(
            "{anti}.requiredDuringSchedulingIgnoredDuringExecution"
        )))
        .chain(preferred)
        .filter(|term| {
            tree.get(*term, "labelSelector")
                .is_some_and(|s| Selector::label_selector(tree, s).selects(own))
        })
        .filter_map(|term| tree.get(term, "topologyKey"))
        .filter_map(|key| tree.as_str(key).map(str::to_owned))
        .collect()
}

pub(super) fn scrape_annotated(doc: &Document) -> bool {
    let tree = &doc.tree;
    tree.lookup(doc.root, "pod.annotations")
        .and_then(|a| tree.get(a, "prometheus.io/scrape"))
        .and_then(|v| tree.scalar_text(v))
        .is_some_and(|v| v == "true")
}
