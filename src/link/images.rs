//! Image ↔ Dockerfile: which Dockerfile builds the image a container runs, and what the
//! workloads running it enforce.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::ImageRef;
use crate::source::FileId;

use super::{Workload, names_node};

/// Infrastructure images a repo deploys but does not build.
pub(super) const THIRD_PARTY: [&str; 24] = [
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "valkey",
    "memcached",
    "nginx",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "elasticsearch",
    "opensearch",
    "busybox",
    "alpine",
    "ubuntu",
    "debian",
    "curl",
    "traefik",
    "envoy",
    "haproxy",
    "minio",
    "etcd",
    "cassandra",
];

/// Which Dockerfile builds which image (image → document index): the image's short name equals
/// the Dockerfile's folder name or its `Dockerfile.<name>` suffix; failing that, a repo with
/// exactly one Dockerfile builds every image that is not well-known infrastructure.
pub(super) fn match_images(
    documents: &[Document],
    workloads: &[Workload],
    files: &[String],
) -> BTreeMap<String, usize> {
    let dockerfiles: Vec<usize> = (0..documents.len())
        .filter(|i| documents[*i].kind == DocKind::Dockerfile)
        .collect();
    // Every name a Dockerfile answers to, nearest first: `Dockerfile.api` → `api`; for
    // `src/cartservice/src/Dockerfile` → `src`, then `cartservice`. A nearer name wins.
    let mut by_name: HashMap<String, (usize, usize)> = HashMap::new();
    for d in &dockerfiles {
        for (distance, name) in dockerfile_names(files, documents[*d].file)
            .into_iter()
            .enumerate()
        {
            let slot = by_name.entry(name).or_insert((distance, *d));
            if distance < slot.0 {
                *slot = (distance, *d);
            }
        }
    }
    let mut out = BTreeMap::new();
    for image in workloads.iter().flat_map(|w| w.images.iter()) {
        let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
        let single = (dockerfiles.len() == 1 && !THIRD_PARTY.iter().any(|t| short.starts_with(t)))
            .then(|| dockerfiles[0]);
        if let Some(d) = by_name.get(&short).map(|(_, d)| *d).or(single) {
            out.insert(image.clone(), d);
        }
    }
    out
}

pub(super) fn dockerfile_names(files: &[String], file: FileId) -> Vec<String> {
    let path = files.get(file as usize).map(String::as_str).unwrap_or("");
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let lower = name.to_ascii_lowercase();
    let mut names: Vec<String> = lower
        .strip_prefix("dockerfile.")
        .or_else(|| lower.strip_suffix(".dockerfile"))
        .map(str::to_owned)
        .into_iter()
        .collect();
    names.extend(
        dir.rsplit('/')
            .filter(|part| !part.is_empty())
            .map(str::to_ascii_lowercase),
    );
    names
}

/// Each Dockerfile an image of the repo is built from, by document: its final stage, copied out
/// once with its path (`stage_facts`), for `attach_dockerfiles`.
pub(super) type Stages = HashMap<usize, (Tree, NodeId)>;

/// The final stages of the Dockerfiles `builds` names; with `free`, every Dockerfile's tree is
/// freed as soon as its stage is copied out, so the copies never add to the Dockerfiles.
pub(super) fn final_stages(
    documents: &mut [Document],
    builds: &BTreeMap<String, usize>,
    files: &[String],
    free: bool,
) -> Stages {
    let built: BTreeSet<usize> = builds.values().copied().collect();
    documents
        .par_iter_mut()
        .enumerate()
        .filter(|(_, d)| d.kind == DocKind::Dockerfile)
        .filter_map(|(i, d)| {
            let stage = if built.contains(&i) {
                stage_facts(d, files)
            } else {
                None
            };
            if free {
                d.drop_tree();
            }
            Some((i, stage?))
        })
        .collect()
}

/// The nodes `attach_dockerfiles` will add to the workload at `root`.
pub(super) fn copied_nodes(
    tree: &Tree,
    root: NodeId,
    builds: &BTreeMap<String, usize>,
    stages: &Stages,
) -> usize {
    let containers = tree
        .lookup(root, "pod.all_containers")
        .map(|c| tree.items(c))
        .unwrap_or_default();
    containers
        .iter()
        .filter_map(|c| tree.get(*c, "image").and_then(|i| tree.as_str(i)))
        .filter_map(|image| stages.get(builds.get(image)?))
        .map(|(small, _)| small.len())
        .sum()
}

/// Gives each container built in this repo `facts.dockerfile` (the final stage's facts).
/// Copying a stage into thousands of workloads is the costliest part of linking a monorepo, so
/// the stages are prepared and the workloads given theirs in parallel: each touches one tree.
pub(super) fn attach_dockerfiles(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
    stages: Stages,
) {
    let workload_docs: BTreeSet<usize> = workloads.iter().map(|w| w.doc).collect();
    documents
        .par_iter_mut()
        .enumerate()
        .filter(|(i, _)| workload_docs.contains(i))
        .for_each(|(_, target)| {
            let tree = &mut target.tree;
            let containers: Vec<NodeId> = tree
                .lookup(target.root, "pod.all_containers")
                .map(|c| tree.items(c).to_vec())
                .unwrap_or_default();
            for container in containers {
                let image = tree.get(container, "image").and_then(|i| tree.as_str(i));
                let Some((small, stage)) = image
                    .and_then(|i| builds.get(i))
                    .and_then(|d| stages.get(d))
                else {
                    continue;
                };
                let Some(facts) = tree.get(container, "facts") else {
                    continue;
                };
                tree.reserve_exact(small.len());
                let copy = tree.import(small, *stage);
                tree.insert(facts, "dockerfile", copy);
            }
        });
    // Thousands of small trees: freed while the scan goes on.
    rayon::spawn(move || drop(stages));
}

/// A Dockerfile's final stage copied into a tree of its own, with the Dockerfile's `path`: the
/// stage's facts, not its instruction list (rules about instructions read the Dockerfile
/// itself, and a copy per workload would hold every one again).
pub(super) fn stage_facts(source: &Document, files: &[String]) -> Option<(Tree, NodeId)> {
    let final_stage = source.tree.get(source.root, "final")?;
    let mut small = Tree::new();
    let stage = small.map(source.tree.loc(final_stage));
    for entry in source.tree.entries(final_stage) {
        if entry.key.as_str() != "instructions" {
            let value = small.import(&source.tree, entry.value);
            small.insert_key(stage, entry.key, entry.key_loc, value);
        }
    }
    let path = files.get(source.file as usize).cloned().unwrap_or_default();
    let path_node = small.str(path, None);
    small.insert(stage, "path", path_node);
    Some((small, stage))
}

pub(super) fn link_dockerfiles(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
) {
    let mut users: BTreeMap<usize, Vec<&Workload>> = BTreeMap::new();
    for w in workloads {
        let mut built_by: Vec<usize> = w
            .images
            .iter()
            .filter_map(|i| builds.get(i).copied())
            .collect();
        built_by.sort_unstable();
        built_by.dedup();
        for d in built_by {
            users.entry(d).or_default().push(w);
        }
    }
    for (d, users) in users {
        let (probed, non_root) = run_facts(documents, &users, builds, d);
        let names: Vec<String> = users
            .iter()
            .map(|w| format!("{}/{}", w.kind, w.name))
            .collect();
        let doc = &mut documents[d];
        let tree = &mut doc.tree;
        let linked = tree.map(None);
        let list = names_node(tree, &names);
        tree.insert(linked, "workloads", list);
        let probed = tree.bool(probed, None);
        tree.insert(linked, "probed", probed);
        let non_root = tree.bool(non_root, None);
        tree.insert(linked, "enforced_non_root", non_root);
        tree.insert(doc.root, "linked", linked);
    }
}

/// Whether every serving container built from Dockerfile `d` has a probe, and every container
/// built from it is forced to run as non-root.
pub(super) fn run_facts(
    documents: &[Document],
    users: &[&Workload],
    builds: &BTreeMap<String, usize>,
    d: usize,
) -> (bool, bool) {
    let mut probed = true;
    let mut non_root = true;
    for w in users {
        let doc = &documents[w.doc];
        let tree = &doc.tree;
        let containers = tree
            .lookup(doc.root, "pod.containers")
            .map(|c| tree.items(c).to_vec())
            .unwrap_or_default();
        for c in containers {
            let image = tree.get(c, "image").and_then(|i| tree.as_str(i));
            if image.and_then(|i| builds.get(i)) != Some(&d) {
                continue;
            }
            // Jobs run to completion and serve nothing: they need no probe.
            let serves = !matches!(w.kind.as_str(), "Job" | "CronJob");
            probed &= !serves
                || tree.get(c, "readinessProbe").is_some()
                || tree.get(c, "livenessProbe").is_some();
            non_root &= tree
                .lookup(c, "facts.non_root")
                .and_then(|n| tree.as_bool(n))
                == Some(true);
        }
    }
    (probed, non_root)
}
