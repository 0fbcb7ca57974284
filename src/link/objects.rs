//! Selectors and the index of Kubernetes objects that linking looks workloads up in.

use std::collections::HashMap;

use rayon::slice::ParallelSliceMut;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::{self};
use crate::source::Loc;

use super::{Labels, labels_of};

/// What a Service, PDB, NetworkPolicy, monitor, spread constraint or affinity term selects.
pub(crate) enum Selector {
    Nothing,
    /// Every `matchLabels` pair and every `matchExpressions` requirement holds; with none at all,
    /// every pod of the namespace.
    Match {
        labels: Labels,
        expressions: Vec<Requirement>,
    },
}

/// One `matchExpressions` entry.
pub(crate) struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Clone, Copy)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Requirement {
    fn holds(&self, labels: &Labels) -> bool {
        let value = labels.iter().find(|(k, _)| *k == self.key).map(|(_, v)| v);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

impl Selector {
    pub(crate) fn selects(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Match {
                labels: wanted,
                expressions,
            } => {
                wanted.iter().all(|pair| labels.contains(pair))
                    && expressions.iter().all(|r| r.holds(labels))
            }
        }
    }

    /// Every label value the selector asks for (`matchLabels` values, `In` values).
    pub(super) fn values(&self) -> Vec<&str> {
        match self {
            Selector::Nothing => Vec::new(),
            Selector::Match {
                labels,
                expressions,
            } => labels
                .iter()
                .map(|(_, v)| v.as_str())
                .chain(
                    expressions
                        .iter()
                        .filter(|r| matches!(r.operator, Operator::In))
                        .flat_map(|r| r.values.iter().map(String::as_str)),
                )
                .collect(),
        }
    }

    /// The pair every selected pod carries, which indexes the selector.
    pub(super) fn first_pair(&self) -> Option<&(String, String)> {
        match self {
            Selector::Match { labels, .. } => labels.first(),
            Selector::Nothing => None,
        }
    }

    /// A `LabelSelector` (`matchLabels`, `matchExpressions`). An unknown operator makes the
    /// selector invalid, and the API server would refuse the object: it selects nothing.
    pub(crate) fn label_selector(tree: &Tree, node: NodeId) -> Selector {
        let labels = labels_of(tree, tree.get(node, "matchLabels"));
        let mut expressions = Vec::new();
        for item in tree
            .get(node, "matchExpressions")
            .map(|e| tree.items(e).to_vec())
            .unwrap_or_default()
        {
            let text = |key| tree.get(item, key).and_then(|n| tree.as_str(n));
            let operator = match text("operator") {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                _ => return Selector::Nothing,
            };
            let Some(key) = text("key") else {
                return Selector::Nothing;
            };
            let values = tree
                .get(item, "values")
                .map(|v| {
                    tree.items(v)
                        .iter()
                        .filter_map(|n| tree.scalar_text(*n).map(|t| t.into_owned()))
                        .collect()
                })
                .unwrap_or_default();
            expressions.push(Requirement {
                key: key.to_owned(),
                operator,
                values,
            });
        }
        Selector::Match {
            labels,
            expressions,
        }
    }
}

/// Custom resources that configure something and run no pods of their own: a monitor or a route
/// named like the app does not mean an operator makes the app's pods.
const CONFIGURATION_KINDS: [&str; 17] = [
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "Probe",
    "ScrapeConfig",
    "ExternalSecret",
    "SealedSecret",
    "Certificate",
    "Issuer",
    "VirtualService",
    "DestinationRule",
    "HTTPRoute",
    "GRPCRoute",
    "IngressRoute",
    "Middleware",
    "ScaledObject",
    "GrafanaDashboard",
];

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
    /// A custom resource (its API group is not Kubernetes' own), which an operator may turn
    /// into pods the repo does not show.
    pub(super) custom: bool,
    pub(super) namespaces: Namespaces,
}

/// The namespaces an object selects in. Monitors may look beyond their own
/// (`spec.namespaceSelector`: `any: true`, or `matchNames`), which lets one ServiceMonitor in
/// `monitoring` scrape the Services of `shop`; every other object selects in its own.
pub(super) enum Namespaces {
    Own,
    Any,
    Named(Vec<String>),
}

impl Namespaces {
    fn read(tree: &Tree, root: NodeId, kind: &str) -> Namespaces {
        let monitor = matches!(
            kind,
            "ServiceMonitor" | "PodMonitor" | "VMServiceScrape" | "VMPodScrape"
        );
        let Some(selector) = monitor
            .then(|| tree.lookup(root, "spec.namespaceSelector"))
            .flatten()
        else {
            return Namespaces::Own;
        };
        if tree.get(selector, "any").and_then(|a| tree.as_bool(a)) == Some(true) {
            return Namespaces::Any;
        }
        let names: Vec<String> = tree
            .get(selector, "matchNames")
            .map(|list| tree.items(list))
            .into_iter()
            .flatten()
            .filter_map(|n| tree.as_str(*n).map(str::to_owned))
            .collect();
        // The operators read an empty `matchNames` as the monitor's own namespace.
        if names.is_empty() {
            Namespaces::Own
        } else {
            Namespaces::Named(names)
        }
    }
}

/// Every Kubernetes object in document order, indexed by kind and by name. What a selector
/// selects is worked out once per object (see `coverage`), from an index of the workloads by
/// label, so linking costs O(objects × workloads carrying one label) instead of
/// O(workloads × documents).
pub(super) struct Objects {
    pub(super) all: Vec<Object>,
    pub(super) by_kind: HashMap<String, Vec<usize>>,
    /// Indexes into `all` in (namespace, kind, name) order, objects of one name in document
    /// order: looked up by binary search, so the index holds no copies of the names (at 20,000
    /// services a map keyed by owned names was 15 MB of the peak).
    by_name: Vec<u32>,
}

impl Objects {
    pub(super) fn index(documents: &[Document]) -> Objects {
        let count = documents
            .iter()
            .filter(|d| d.kind == DocKind::Kubernetes)
            .count();
        let mut objects = Objects {
            all: Vec::with_capacity(count),
            by_kind: HashMap::new(),
            by_name: Vec::new(),
        };
        for (doc, d) in documents.iter().enumerate() {
            if d.kind != DocKind::Kubernetes {
                continue;
            }
            let object = Object::read(doc, d);
            let at = objects.all.len();
            objects
                .by_kind
                .entry(object.kind.clone())
                .or_default()
                .push(at);
            objects.all.push(object);
        }
        let mut by_name: Vec<u32> = (0..objects.all.len() as u32).collect();
        // Stable: of objects with one name, the first in document order comes first.
        by_name.par_sort_by(|a, b| objects.name_key(*a).cmp(&objects.name_key(*b)));
        objects.by_name = by_name;
        objects
    }

    fn name_key(&self, at: u32) -> (&str, &str, &str) {
        let object = &self.all[at as usize];
        (&object.namespace, &object.kind, &object.name)
    }

    /// The object read from document `doc`.
    pub(super) fn at_doc(&self, doc: usize) -> Option<&Object> {
        let at = self.all.binary_search_by_key(&doc, |o| o.doc).ok()?;
        self.all.get(at)
    }

    /// The object of `kind` named `name` in `namespace`.
    pub(super) fn named(&self, namespace: &str, kind: &str, name: &str) -> Option<&Object> {
        let key = (namespace, kind, name);
        let at = self.by_name.partition_point(|i| self.name_key(*i) < key);
        let first = *self.by_name.get(at)?;
        (self.name_key(first) == key).then(|| &self.all[first as usize])
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
        let group = text("apiVersion")
            .and_then(|v| v.split_once('/').map(|(group, _)| group.to_owned()))
            .unwrap_or_default();
        let namespaces = Namespaces::read(tree, root, &kind);
        Object {
            custom: group.contains('.')
                && !group.ends_with(".k8s.io")
                && !CONFIGURATION_KINDS.contains(&kind.as_str()),
            doc,
            selector: selector_of(tree, root, &kind),
            name: kubernetes::name(tree, root).to_owned(),
            namespace: kubernetes::namespace(tree, root).to_owned(),
            labels: labels_of(tree, tree.lookup(root, "metadata.labels")),
            kind,
            scales,
            min_replicas,
            namespaces,
        }
    }

    /// Whether the object selects objects of `namespace`.
    pub(super) fn looks_in(&self, namespace: &str) -> bool {
        match &self.namespaces {
            Namespaces::Own => self.namespace == namespace,
            Namespaces::Any => true,
            Namespaces::Named(names) => names.iter().any(|n| n == namespace),
        }
    }
}

/// A Service's `spec.selector` is a plain map, and an empty one selects nothing (its endpoints
/// are managed by hand). The others are `LabelSelector`s, where `{}` selects every pod of the
/// namespace (NetworkPolicy, `policy/v1` PodDisruptionBudget) and a missing one nothing.
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
    match (node, kind) {
        (None, _) => Selector::Nothing,
        (Some(node), "Service") => {
            let labels = labels_of(tree, Some(node));
            if labels.is_empty() {
                Selector::Nothing
            } else {
                Selector::Match {
                    labels,
                    expressions: Vec::new(),
                }
            }
        }
        (Some(node), "NetworkPolicy" | "PodDisruptionBudget") => {
            Selector::label_selector(tree, node)
        }
        (Some(node), _) => match Selector::label_selector(tree, node) {
            Selector::Match {
                labels,
                expressions,
            } if labels.is_empty() && expressions.is_empty() => Selector::Nothing,
            selector => selector,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn selects(selector: &str, labels: &[(&str, &str)]) -> bool {
        let parsed = parse::parse(DocKind::Yaml, 0, "s.yaml", selector);
        let doc = &parsed.documents[0];
        let labels: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Selector::label_selector(&doc.tree, doc.root).selects(&labels)
    }

    #[test]
    fn match_expressions_follow_kubernetes() {
        let api = [("app", "api"), ("tier", "web")];
        let expr = |e: &str| format!("matchExpressions: [{e}]\n");
        assert!(selects(
            &expr("{key: app, operator: In, values: [api, web]}"),
            &api
        ));
        assert!(!selects(
            &expr("{key: app, operator: In, values: [db]}"),
            &api
        ));
        assert!(selects(
            &expr("{key: app, operator: NotIn, values: [db]}"),
            &api
        ));
        assert!(
            selects(
                &expr("{key: track, operator: NotIn, values: [canary]}"),
                &api
            ),
            "NotIn holds when the label is absent"
        );
        assert!(selects(&expr("{key: tier, operator: Exists}"), &api));
        assert!(!selects(&expr("{key: tier, operator: DoesNotExist}"), &api));
        assert!(
            !selects(&expr("{key: app, operator: Matches, values: [api]}"), &api),
            "an invalid selector selects nothing"
        );
        assert!(
            !selects(
                "matchLabels: {app: api}\nmatchExpressions: [{key: tier, operator: In, values: [db]}]\n",
                &api
            ),
            "labels and expressions must all hold"
        );
        assert!(
            selects("{}\n", &api),
            "an empty LabelSelector selects every pod"
        );
    }
}
