//! What each selecting object picks: a Service, PodDisruptionBudget, NetworkPolicy, PodMonitor
//! or ServiceMonitor (through the Services it selects) gains `linked.workloads[*]` (`name`,
//! `ports`, `port_names`, `min_replicas`) of the workloads whose pods its selector selects, and
//! `linked.left_out[*]` (names) of those the scope step left out (load generators, periphery)
//! or of custom resources an operator may make its pods from (one named like a label value the
//! selector asks for); an HPA gains `linked.target` (`Kind/name`) when its `scaleTargetRef`
//! names an object of the repo, scored or left out. Nothing in either is a dangling reference,
//! which rules read as plainly as any other field.

use std::collections::HashMap;

use crate::model::{Document, NodeId, Tree};
use crate::source::Loc;

use super::coverage::{Candidates, Coverage};
use super::objects::{Object, Objects};
use super::{Workload, names_node};

/// The kinds whose selector picks pods.
const SELECTING: [&str; 5] = [
    "Service",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "PodMonitor",
    "ServiceMonitor",
];

/// What linking reads for every selecting object, built once.
struct Pools<'a> {
    objects: &'a Objects,
    coverage: &'a Coverage,
    workloads: &'a [Workload],
    left_out: &'a [Workload],
    others: Candidates<'a>,
    /// Custom resources by (namespace, name).
    custom: HashMap<(&'a str, &'a str), &'a Object>,
}

impl<'a> Pools<'a> {
    /// The workloads `object` selects, and the names of what it may select besides.
    fn picks(&self, object: &'a Object) -> (Vec<&'a Workload>, Vec<String>) {
        // A ServiceMonitor selects Services, and through them their pods.
        let fronts: Vec<&Object> = if object.kind == "ServiceMonitor" {
            self.objects
                .of_kind("Service")
                .filter(|s| object.looks_in(&s.namespace) && object.selector.selects(&s.labels))
                .collect()
        } else {
            vec![object]
        };
        let mut left_out: Vec<usize> = fronts
            .iter()
            .flat_map(|front| self.others.selected_by(front, self.left_out))
            .collect();
        left_out.sort_unstable();
        left_out.dedup();
        // Operators label the pods they make with their resource's name (`strimzi.io/cluster:
        // events`, `cnpg.io/cluster: db`): such a selector may well select something.
        let made_by = fronts
            .iter()
            .flat_map(|front| front.selector.values())
            .filter_map(|value| self.custom.get(&(object.namespace.as_str(), value)))
            .map(|o| format!("{}/{}", o.kind, o.name));
        let mut unscored: Vec<String> = left_out
            .into_iter()
            .map(|i| &self.left_out[i])
            .map(|w| format!("{}/{}", w.kind, w.name))
            .chain(made_by)
            .collect();
        unscored.sort();
        unscored.dedup();
        let scored = self
            .coverage
            .of(object)
            .iter()
            .filter_map(|doc| by_doc(self.workloads, *doc))
            .collect();
        (scored, unscored)
    }
}

pub(super) fn link_selecting(
    documents: &mut [Document],
    objects: &Objects,
    coverage: &Coverage,
    workloads: &[Workload],
    left_out: &[Workload],
) {
    let pools = Pools {
        objects,
        coverage,
        workloads,
        left_out,
        others: Candidates::new(left_out),
        custom: objects
            .all
            .iter()
            .filter(|o| o.custom)
            .map(|o| ((o.namespace.as_str(), o.name.as_str()), o))
            .collect(),
    };
    for object in SELECTING.iter().flat_map(|kind| objects.of_kind(kind)) {
        let (selected, unscored) = pools.picks(object);
        let items: Vec<(&Workload, (i64, _))> = selected
            .into_iter()
            .map(|w| (w, w.min_replicas(objects, coverage)))
            .collect();
        let doc = &mut documents[object.doc];
        let root = doc.root;
        let tree = &mut doc.tree;
        let list = tree.seq(None);
        for (w, min) in items {
            let item = workload_item(tree, w, min);
            tree.push(list, item);
        }
        let linked = tree.map(None);
        tree.insert(linked, "workloads", list);
        let unscored = names_node(tree, &unscored);
        tree.insert(linked, "left_out", unscored);
        tree.insert(root, "linked", linked);
    }
    link_autoscalers(documents, objects, left_out);
}

/// An HPA's `linked.target`.
fn link_autoscalers(documents: &mut [Document], objects: &Objects, left_out: &[Workload]) {
    for hpa in objects.of_kind("HorizontalPodAutoscaler") {
        let target = hpa.scales.as_ref().and_then(|(kind, name)| {
            let named =
                |w: &&Workload| w.namespace == hpa.namespace && w.kind == *kind && w.name == *name;
            objects
                .named(&hpa.namespace, kind, name)
                .map(|t| format!("{}/{}", t.kind, t.name))
                .or_else(|| {
                    left_out
                        .iter()
                        .find(named)
                        .map(|w| format!("{}/{}", w.kind, w.name))
                })
        });
        let doc = &mut documents[hpa.doc];
        let root = doc.root;
        let tree = &mut doc.tree;
        let linked = tree.map(None);
        if let Some(target) = target {
            let node = tree.str(target, None);
            tree.insert(linked, "target", node);
        }
        tree.insert(root, "linked", linked);
    }
}

/// Workloads are collected in document order.
fn by_doc(workloads: &[Workload], doc: usize) -> Option<&Workload> {
    let at = workloads.binary_search_by_key(&doc, |w| w.doc).ok()?;
    workloads.get(at)
}

/// `{name, ports, port_names, min_replicas}`; a DaemonSet has no `min_replicas`: it runs one
/// pod per node, a count the manifests do not say.
fn workload_item(tree: &mut Tree, w: &Workload, (min, loc): (i64, Option<Loc>)) -> NodeId {
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
    if w.kind != "DaemonSet" {
        let node = tree.int(min, loc);
        tree.insert(item, "min_replicas", node);
    }
    item
}
