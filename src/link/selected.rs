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

/// Workloads by (namespace, label, value), and by namespace for selectors without a pair: an
/// object only selects pods carrying its first `matchLabels` pair.
struct Candidates<'w> {
    by_label: HashMap<(&'w str, &'w str, &'w str), Vec<usize>>,
    by_namespace: HashMap<&'w str, Vec<usize>>,
}

impl<'w> Candidates<'w> {
    fn new(workloads: &'w [Workload]) -> Candidates<'w> {
        let mut by_label: HashMap<_, Vec<usize>> = HashMap::new();
        let mut by_namespace: HashMap<_, Vec<usize>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            by_namespace
                .entry(w.namespace.as_str())
                .or_default()
                .push(i);
            for (key, value) in &w.labels {
                let slot = (w.namespace.as_str(), key.as_str(), value.as_str());
                by_label.entry(slot).or_default().push(i);
            }
        }
        Candidates {
            by_label,
            by_namespace,
        }
    }

    fn selected_by(&self, object: &Object, workloads: &'w [Workload]) -> Vec<&'w Workload> {
        let namespace = object.namespace.as_str();
        let pool = match object.selector.first_pair() {
            Some((key, value)) => self
                .by_label
                .get(&(namespace, key.as_str(), value.as_str())),
            None => self.by_namespace.get(namespace),
        };
        pool.into_iter()
            .flatten()
            .map(|i| &workloads[*i])
            .filter(|w| object.selector.selects(&w.labels))
            .collect()
    }
}

/// What linking reads for every selecting object, built once.
struct Pools<'a> {
    objects: &'a Objects,
    workloads: &'a [Workload],
    left_out: &'a [Workload],
    scored: Candidates<'a>,
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
                .filter(|s| s.namespace == object.namespace && object.selector.selects(&s.labels))
                .collect()
        } else {
            vec![object]
        };
        let through = |pool: &Candidates<'a>, list: &'a [Workload]| -> Vec<&'a Workload> {
            let mut docs: Vec<usize> = fronts
                .iter()
                .flat_map(|front| pool.selected_by(front, list))
                .map(|w| w.doc)
                .collect();
            docs.sort_unstable();
            docs.dedup();
            docs.into_iter()
                .filter_map(|doc| by_doc(list, doc))
                .collect()
        };
        // Operators label the pods they make with their resource's name (`strimzi.io/cluster:
        // events`, `cnpg.io/cluster: db`): such a selector may well select something.
        let made_by = fronts
            .iter()
            .flat_map(|front| front.selector.values())
            .filter_map(|value| self.custom.get(&(object.namespace.as_str(), value)))
            .map(|o| format!("{}/{}", o.kind, o.name));
        let mut unscored: Vec<String> = through(&self.others, self.left_out)
            .into_iter()
            .map(|w| format!("{}/{}", w.kind, w.name))
            .chain(made_by)
            .collect();
        unscored.sort();
        unscored.dedup();
        (through(&self.scored, self.workloads), unscored)
    }
}

pub(super) fn link_selecting(
    documents: &mut [Document],
    objects: &Objects,
    workloads: &[Workload],
    left_out: &[Workload],
) {
    let pools = Pools {
        objects,
        workloads,
        left_out,
        scored: Candidates::new(workloads),
        others: Candidates::new(left_out),
        custom: objects
            .all
            .iter()
            .filter(|o| o.custom)
            .map(|o| ((o.namespace.as_str(), o.name.as_str()), o))
            .collect(),
    };
    for object in SELECTING.iter().flat_map(|kind| objects.of_kind(kind)) {
        let (mut selected, unscored) = pools.picks(object);
        // Deploy variants rendered from one base (overlays) put each variant's objects on its
        // own kustomization: a budget is compared with the replicas of its own variant.
        let file = documents[object.doc].file;
        if selected.iter().any(|w| documents[w.doc].file == file) {
            selected.retain(|w| documents[w.doc].file == file);
        }
        let items: Vec<(&Workload, (i64, _))> = selected
            .into_iter()
            .map(|w| (w, w.min_replicas(objects)))
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
