//! Which workloads each selecting object covers — a Service, PDB, NetworkPolicy, monitor or HPA —
//! with deploy variants kept apart.
//!
//! A repository often deploys one service several ways: a Helm chart next to plain manifests, a
//! kustomize overlay per environment, a copy of the manifests for another database. The API
//! server only ever sees one of them at a time, so an object covers the workloads of its own
//! variant when it selects any there, else those of plain manifests (folders of YAML applied
//! together, as `kubectl apply -f` does), else any it selects. The annotated Services of
//! `manifests/` do not make the chart's Deployments scraped, and the HPA of one variant does
//! not give another's Deployment five replicas.
//!
//! A variant is a top-level Helm chart (every template rendered from it, subcharts included), a
//! built Kustomize overlay (its objects all sit on its kustomization), or else the folder of a
//! plain manifest.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use crate::helm;
use crate::model::Document;
use crate::parse::kustomize::is_kustomization;

use super::Workload;
use super::objects::{Namespaces, Object, Objects, Selector};

/// Workloads by (namespace, label, value), and by namespace for selectors without a pair: an
/// object only selects pods carrying its first `matchLabels` pair.
pub(super) struct Candidates<'w> {
    by_label: HashMap<(&'w str, &'w str, &'w str), Vec<usize>>,
    by_namespace: HashMap<&'w str, Vec<usize>>,
}

impl<'w> Candidates<'w> {
    pub(super) fn new(workloads: &'w [Workload]) -> Candidates<'w> {
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

    /// The workloads (indices into the list the pool was built from, ascending) `object`'s
    /// selector selects in the namespaces it looks in.
    pub(super) fn selected_by(&self, object: &Object, workloads: &[Workload]) -> Vec<usize> {
        let namespaces: Vec<&str> = match &object.namespaces {
            Namespaces::Own => vec![object.namespace.as_str()],
            Namespaces::Named(names) => names.iter().map(String::as_str).collect(),
            Namespaces::Any => self.by_namespace.keys().copied().collect(),
        };
        let mut picked: Vec<usize> = namespaces
            .into_iter()
            .filter_map(
                |namespace| match (&object.selector, object.selector.first_pair()) {
                    (Selector::Nothing, _) => None,
                    (_, Some((key, value))) => {
                        self.by_label
                            .get(&(namespace, key.as_str(), value.as_str()))
                    }
                    // Expressions alone: tested against every pod of the namespace.
                    (_, None) => self.by_namespace.get(namespace),
                },
            )
            .flatten()
            .copied()
            .filter(|i| object.selector.selects(&workloads[*i].labels))
            .collect();
        picked.sort_unstable();
        picked.dedup();
        picked
    }
}

/// The deploy variant of every file, as a small id, and whether it is packaged (a chart or an
/// overlay) rather than a folder of plain manifests.
struct Variants<'f> {
    of_file: Vec<(usize, bool)>,
    files: &'f [String],
}

impl<'f> Variants<'f> {
    fn new(files: &'f [String]) -> Variants<'f> {
        let charts = helm::chart_dirs(files.iter().map(String::as_str));
        let released: BTreeSet<String> = helm::top_level(&charts)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let of_file = files
            .iter()
            .map(|path| {
                let (key, packaged) = if is_kustomization(path) {
                    (format!("k:{path}"), true)
                } else if let Some(chart) = helm::chart_of(path, &released) {
                    (format!("h:{chart}"), true)
                } else {
                    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                    (format!("d:{dir}"), false)
                };
                let next = ids.len();
                (*ids.entry(key).or_insert(next), packaged)
            })
            .collect();
        Variants { of_file, files }
    }

    /// How far apart two files' variants are: 0 for one variant, 1 for two folders of plain
    /// manifests, 2 otherwise; then the fewer folders their paths share, the farther (the
    /// HPAs of `extras/hpa/` go with `extras/manifests/`, not with `base/`).
    fn distance(&self, a: usize, b: usize) -> (u8, Reverse<usize>) {
        let level = match (self.of_file.get(a), self.of_file.get(b)) {
            (Some(x), Some(y)) if x.0 == y.0 => 0,
            (Some((_, false)), Some((_, false))) => 1,
            _ => 2,
        };
        let folders = |i: usize| {
            let path = self.files.get(i).map_or("", String::as_str);
            let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
            dir.split('/').filter(|part| !part.is_empty())
        };
        let shared = folders(a)
            .zip(folders(b))
            .take_while(|(x, y)| x == y)
            .count();
        (level, Reverse(shared))
    }
}

/// What each selecting object covers, and the reverse.
pub(super) struct Coverage {
    /// Object document → the documents of the scored workloads it covers, ascending.
    covers: HashMap<usize, Vec<usize>>,
    /// Workload document → the documents of the objects covering it, ascending.
    covered_by: HashMap<usize, Vec<usize>>,
}

impl Coverage {
    pub(super) fn new(
        objects: &Objects,
        workloads: &[Workload],
        documents: &[Document],
        files: &[String],
    ) -> Coverage {
        let variants = Variants::new(files);
        let pool = Candidates::new(workloads);
        let mut named: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            let key = (w.namespace.as_str(), w.kind.as_str(), w.name.as_str());
            named.entry(key).or_default().push(i);
        }
        let file_of = |doc: usize| documents[doc].file as usize;
        // Keeps the candidates nearest the object's own variant.
        let nearest = |object: &Object, mut picked: Vec<usize>| -> Vec<usize> {
            let distance =
                |i: &usize| variants.distance(file_of(object.doc), file_of(workloads[*i].doc));
            let best = picked.iter().map(distance).min();
            picked.retain(|i| Some(distance(i)) == best);
            let mut docs: Vec<usize> = picked.into_iter().map(|i| workloads[i].doc).collect();
            docs.sort_unstable();
            docs.dedup();
            docs
        };
        let mut covers: HashMap<usize, Vec<usize>> = HashMap::new();
        // Services first: monitors of Services cover what those Services cover.
        let (fronted, direct): (Vec<&Object>, Vec<&Object>) = objects
            .all
            .iter()
            .partition(|o| matches!(o.kind.as_str(), "ServiceMonitor" | "VMServiceScrape"));
        for object in direct {
            let picked = match object.kind.as_str() {
                "Service"
                | "PodDisruptionBudget"
                | "NetworkPolicy"
                | "PodMonitor"
                | "PodMonitoring"
                | "VMPodScrape" => pool.selected_by(object, workloads),
                // Cluster-wide: every namespace.
                "ClusterPodMonitoring" => (0..workloads.len())
                    .filter(|i| object.selector.selects(&workloads[*i].labels))
                    .collect(),
                "HorizontalPodAutoscaler" => object
                    .scales
                    .as_ref()
                    .and_then(|(kind, name)| {
                        named.get(&(object.namespace.as_str(), kind.as_str(), name.as_str()))
                    })
                    .cloned()
                    .unwrap_or_default(),
                _ => continue,
            };
            covers.insert(object.doc, nearest(object, picked));
        }
        for monitor in fronted {
            let through: Vec<usize> = objects
                .of_kind("Service")
                .filter(|s| monitor.looks_in(&s.namespace) && monitor.selector.selects(&s.labels))
                .flat_map(|s| covers.get(&s.doc).into_iter().flatten())
                .filter_map(|doc| workloads.binary_search_by_key(doc, |w| w.doc).ok())
                .collect();
            covers.insert(monitor.doc, nearest(monitor, through));
        }
        let mut covered_by: HashMap<usize, Vec<usize>> = HashMap::new();
        for (object, docs) in &covers {
            for doc in docs {
                covered_by.entry(*doc).or_default().push(*object);
            }
        }
        for list in covered_by.values_mut() {
            list.sort_unstable();
        }
        Coverage { covers, covered_by }
    }

    /// The documents of the workloads `object` covers.
    pub(super) fn of(&self, object: &Object) -> &[usize] {
        self.covers.get(&object.doc).map_or(&[], Vec::as_slice)
    }

    /// The objects of `kind` covering workload `w`, in document order.
    pub(super) fn covering<'o>(
        &self,
        objects: &'o Objects,
        w: &Workload,
        kind: &str,
    ) -> Vec<&'o Object> {
        self.covered_by
            .get(&w.doc)
            .into_iter()
            .flatten()
            .filter_map(|doc| objects.at_doc(*doc))
            .filter(|o| o.kind == kind)
            .collect()
    }
}
