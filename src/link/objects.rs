//! Selectors and the index of Kubernetes objects that linking looks workloads up in.

use std::collections::HashMap;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::{self};
use crate::source::Loc;

use super::{Labels, labels_of};

/// What a Service, PDB, NetworkPolicy or monitor selects.
pub(super) enum Selector {
    Nothing,
    Everything,
    Labels(Labels),
}

impl Selector {
    pub(super) fn selects(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Everything => true,
            Selector::Labels(wanted) => wanted.iter().all(|pair| labels.contains(pair)),
        }
    }
}

/// The facts of one Kubernetes object that linking needs, read once.
pub(super) struct Object {
    pub(super) doc: usize,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: String,
    pub(super) labels: Labels,
    pub(super) selector: Selector,
    /// An HPA's `scaleTargetRef` (kind, name) and `minReplicas` with its location.
    pub(super) scales: Option<(String, String)>,
    pub(super) min_replicas: Option<(i64, Option<Loc>)>,
}

/// Every Kubernetes object, indexed by (namespace, kind) and by kind, so linking costs
/// O(workloads × objects of one kind in one namespace) instead of O(workloads × documents).
///
/// Selectors are indexed by their first label pair: an object can only select pods carrying
/// that pair, so a workload looks up the objects keyed by its own labels instead of testing every
/// Service of a namespace (a monorepo often puts thousands in one).
pub(super) struct Objects {
    pub(super) all: Vec<Object>,
    pub(super) by_kind: HashMap<String, Vec<usize>>,
    pub(super) by_selector: HashMap<(String, String, String, String), Vec<usize>>,
    pub(super) select_all: HashMap<(String, String), Vec<usize>>,
    pub(super) by_target: HashMap<(String, String, String), usize>,
}

impl Objects {
    pub(super) fn index(documents: &[Document]) -> Objects {
        let mut objects = Objects {
            all: Vec::new(),
            by_kind: HashMap::new(),
            by_selector: HashMap::new(),
            select_all: HashMap::new(),
            by_target: HashMap::new(),
        };
        for (doc, d) in documents.iter().enumerate() {
            if d.kind != DocKind::Kubernetes {
                continue;
            }
            let object = Object::read(doc, d);
            let at = objects.all.len();
            let place = (object.namespace.clone(), object.kind.clone());
            match &object.selector {
                Selector::Labels(wanted) => {
                    if let Some((key, value)) = wanted.first() {
                        let slot = (place.0.clone(), place.1.clone(), key.clone(), value.clone());
                        objects.by_selector.entry(slot).or_default().push(at);
                    }
                }
                Selector::Everything => objects.select_all.entry(place).or_default().push(at),
                Selector::Nothing => {}
            }
            if let Some((kind, name)) = &object.scales {
                let target = (object.namespace.clone(), kind.clone(), name.clone());
                objects.by_target.entry(target).or_insert(at);
            }
            objects
                .by_kind
                .entry(object.kind.clone())
                .or_default()
                .push(at);
            objects.all.push(object);
        }
        objects
    }

    /// Objects of `kind` in `namespace` whose selector selects pods with `labels`, in
    /// document order.
    pub(super) fn selecting(&self, namespace: &str, kind: &str, labels: &Labels) -> Vec<&Object> {
        let mut found: Vec<usize> = labels
            .iter()
            .filter_map(|(key, value)| {
                let slot = (
                    namespace.to_owned(),
                    kind.to_owned(),
                    key.clone(),
                    value.clone(),
                );
                self.by_selector.get(&slot)
            })
            .flatten()
            .chain(
                self.select_all
                    .get(&(namespace.to_owned(), kind.to_owned()))
                    .into_iter()
                    .flatten(),
            )
            .copied()
            .filter(|i| self.all[*i].selector.selects(labels))
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.all[i]).collect()
    }

    /// The autoscaler targeting a workload.
    pub(super) fn scaling(&self, namespace: &str, kind: &str, name: &str) -> Option<&Object> {
        let target = (namespace.to_owned(), kind.to_owned(), name.to_owned());
        self.by_target.get(&target).map(|i| &self.all[*i])
    }

    pub(super) fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|i| &self.all[*i])
    }
}

impl Object {
    pub(super) fn read(doc: usize, d: &Document) -> Object {
        let tree = &d.tree;
        let root = d.root;
        let kind = kubernetes::kind(tree, root).to_owned();
        let text = |path| {
            tree.lookup(root, path)
                .and_then(|n| tree.as_str(n))
                .map(str::to_owned)
        };
        let scales = (kind == "HorizontalPodAutoscaler")
            .then(|| {
                Some((
                    text("spec.scaleTargetRef.kind")?,
                    text("spec.scaleTargetRef.name")?,
                ))
            })
            .flatten();
        let min_replicas = tree
            .lookup(root, "spec.minReplicas")
            .and_then(|n| Some((tree.as_int(n)?, tree.loc(n))));
        Object {
            doc,
            selector: selector_of(tree, root, &kind),
            name: kubernetes::name(tree, root).to_owned(),
            namespace: kubernetes::namespace(tree, root).to_owned(),
            labels: labels_of(tree, tree.lookup(root, "metadata.labels")),
            kind,
            scales,
            min_replicas,
        }
    }
}

/// A Service's `spec.selector` is a plain map; the others use `matchLabels`. An empty Service
/// selector selects nothing; an empty pod selector (NetworkPolicy `{}`) selects every pod.
pub(super) fn selector_of(tree: &Tree, root: NodeId, kind: &str) -> Selector {
    let node = match kind {
        "NetworkPolicy" => tree.lookup(root, "spec.podSelector"),
        "Service"
        | "PodDisruptionBudget"
        | "ServiceMonitor"
        | "PodMonitor"
        | "PodMonitoring"
        | "ClusterPodMonitoring"
        | "VMPodScrape"
        | "VMServiceScrape" => tree.lookup(root, "spec.selector"),
        _ => None,
    };
    let Some(node) = node else {
        return Selector::Nothing;
    };
    let labels = if kind == "Service" {
        Some(node)
    } else {
        tree.get(node, "matchLabels")
    };
    let wanted = labels_of(tree, labels);
    match (wanted.is_empty(), kind) {
        (false, _) => Selector::Labels(wanted),
        (true, "NetworkPolicy") if tree.get(node, "matchExpressions").is_none() => {
            Selector::Everything
        }
        _ => Selector::Nothing,
    }
}
