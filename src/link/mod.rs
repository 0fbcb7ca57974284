//! Cross-artifact facts, computed once after parsing so rules stay declarative:
//!
//! - a workload gains `linked.services`, `linked.pdbs`, `linked.hpas`,
//!   `linked.network_policies`, `linked.monitors` (names) and `linked.min_replicas` (its HPA's
//!   `minReplicas`, else `spec.replicas`, else Kubernetes' default of 1);
//! - a container built from a Dockerfile in the repo gains `facts.dockerfile`: the final
//!   stage's facts (`user`, `root`, `healthcheck`, `base`, …, without its `instructions`) and
//!   the Dockerfile's `path`;
//! - `linked.monitors` also names the annotated Services, GMP/VictoriaMetrics scrape objects and
//!   Prometheus scrape jobs (`scrape_configs` in a config file or ConfigMap) that scrape it;
//! - a workload gains `linked.serving` (a port or a Service), `linked.database` (the engine its
//!   image runs) and `linked.persistent` (a volume that outlives the pod);
//! - a container whose image a skaffold config or a CI build step of the repo tags gains
//!   `facts.image.built_by` (that file);
//! - a Dockerfile gains `linked.workloads[*]`, `linked.probed` and `linked.enforced_non_root`;
//! - a compose service gains `facts.deployed_by` (the Kubernetes workloads running its image)
//!   and `facts.dockerfile`; a Dockerfile a service builds with a healthcheck gains
//!   `linked.compose_healthcheck`;
//! - the repo document (`target: repo`) holds `files`, `readme` and `facts`; its
//!   `facts.duplicate_keys[*]` (`key`, `path`) point at the repeated key in its file, and its
//!   `facts.unseen_sources[*]` say where objects the scan cannot see may come from;
//! - a Service, PDB, NetworkPolicy, PodMonitor or ServiceMonitor gains `linked.workloads[*]`
//!   and an HPA `linked.target` (see `selected`); a workload or an Ingress gains `linked.refs[*]`,
//!   the objects it names and whether the repo defines them (see `refs`).
//!
//! One module per relation: `objects` (selectors and the object index), `coverage` (which
//! workloads each selecting object covers, deploy variants kept apart), `workloads` (what
//! covers a workload), `selected` (what a selecting object picks), `refs` (objects named),
//! `unseen` (where unseen objects may come from), `images` (image ↔ Dockerfile), `builds`
//! (images the repo's build tooling tags), `shape` (serving, database, persistent), `compose`
//! (compose service ↔ Dockerfile and Kubernetes workloads), `repo` (the repo document's files
//! and facts).

mod builds;
mod compose;
mod coverage;
mod images;
mod monitoring;
mod objects;
mod refs;
mod repo;
mod selected;
mod shape;
mod unseen;
mod workloads;

use std::collections::BTreeMap;

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes;
use crate::source::{FileId, Loc};

use compose::link_compose;
use coverage::Coverage;
use images::{link_dockerfiles, match_images};
use objects::Objects;
use refs::link_refs;
use repo::{add_duplicate_keys, repo_document};
use selected::link_selecting;
use unseen::add_unseen_sources;
use workloads::link_workloads;

/// The file id of the repo document: it has no file.
pub const REPO_FILE: FileId = FileId::MAX;

pub(crate) type Labels = Vec<(String, String)>;

struct Workload {
    doc: usize,
    namespace: String,
    kind: String,
    name: String,
    labels: Labels,
    ports: Vec<i64>,
    port_names: Vec<String>,
    images: Vec<String>,
    /// `spec.replicas` with its location.
    replicas: Option<(i64, Option<Loc>)>,
}

impl Workload {
    /// The fewest pods it runs: its HPA's `minReplicas` (located in the HPA's file, so a finding
    /// points there), else `spec.replicas`, else Kubernetes' default of 1.
    fn min_replicas(&self, objects: &Objects, coverage: &Coverage) -> (i64, Option<Loc>) {
        coverage
            .covering(objects, self, "HorizontalPodAutoscaler")
            .first()
            .and_then(|h| h.min_replicas)
            .or(self.replicas)
            .unwrap_or((1, None))
    }
}

/// The repo document of one scan (see `repo`). `files` are the paths of the read files, indexed
/// by `FileId`; `other_files` every other file the walk found (listed in its `files`);
/// `duplicate_keys` the YAML/JSON keys given twice, each at its second occurrence. It reads only
/// what was parsed, so it is final before the documents are linked.
pub fn repo(
    documents: &[Document],
    files: &[String],
    other_files: &[String],
    duplicate_keys: &[(String, Loc)],
) -> Document {
    let mut repo = repo_document(documents, files, other_files);
    add_duplicate_keys(&mut repo, files, duplicate_keys);
    add_unseen_sources(&mut repo, documents, files, other_files);
    repo
}

/// Whether linking reads or changes documents of `kind` (besides `repo`, which reads every
/// kind): rules about the other kinds can be evaluated before linking, and their trees freed.
pub fn reads(kind: DocKind) -> bool {
    matches!(
        kind,
        DocKind::Kubernetes | DocKind::Dockerfile | DocKind::Compose | DocKind::Yaml
    )
}

/// Links the documents of one scan (`files` as for `repo`).
pub fn link(documents: &mut [Document], files: &[String]) {
    Linking::start(documents, files).finish(documents, files, false);
}

/// Linking in two halves. The first links what Dockerfiles and compose files gain; the second
/// what workloads and the objects about them gain, reading of Dockerfiles only their final
/// stages. In between, the Dockerfile and compose trees are final: their rules can run, the
/// compose trees be freed, and each Dockerfile's tree be freed as soon as its final stage is
/// copied out, before the workloads grow.
pub struct Linking {
    objects: Objects,
    workloads: Vec<Workload>,
    builds: BTreeMap<String, usize>,
}

impl Linking {
    /// The first half: only documents of the kinds `reads` names are read or changed.
    pub fn start(documents: &mut [Document], files: &[String]) -> Linking {
        for doc in documents
            .iter_mut()
            .filter(|d| d.kind == DocKind::Dockerfile)
        {
            let path = files.get(doc.file as usize).cloned().unwrap_or_default();
            let node = doc.tree.str(path, None);
            doc.tree.insert(doc.root, "path", node);
        }
        let (objects, workloads) = rayon::join(
            || Objects::index(documents),
            || collect_workloads(documents, DocKind::Kubernetes),
        );
        let builds = match_images(documents, &workloads, files);
        link_dockerfiles(documents, &workloads, &builds);
        link_compose(documents, &workloads, &builds, files);
        Linking {
            objects,
            workloads,
            builds,
        }
    }

    /// Whether the second half changes documents of `kind`.
    pub fn changes(kind: DocKind) -> bool {
        matches!(kind, DocKind::Kubernetes | DocKind::Yaml)
    }

    /// Whether the second half reads documents of `kind`: of compose documents it reads only
    /// which files they are, of Dockerfiles only their final stages.
    pub fn reads(kind: DocKind) -> bool {
        Linking::changes(kind) || kind == DocKind::Dockerfile
    }

    /// The second half. With `free`, each Dockerfile's tree is freed once its final stage is
    /// copied out.
    pub fn finish(self, documents: &mut [Document], files: &[String], free: bool) {
        let Linking {
            objects,
            workloads,
            builds,
        } = self;
        let stages = images::final_stages(documents, &builds, files, free);
        if free {
            crate::heap::freed(stages.len());
        }
        let coverage = Coverage::new(&objects, &workloads, documents, files);
        link_workloads(documents, &objects, &coverage, &workloads, &builds, stages);
        // Objects the scope step left out (load generators, periphery folders) are still
        // defined: a Service fronting one is not dangling.
        let left_out = collect_workloads(documents, DocKind::Yaml);
        link_selecting(documents, &objects, &coverage, &workloads, &left_out);
        link_refs(documents);
        let workload_docs: Vec<usize> = workloads.iter().map(|w| w.doc).collect();
        shape::add_shape(documents, &objects, &coverage, &workloads);
        monitoring::add_monitors(documents, &objects, &coverage, &workloads, files);
        builds::mark_built(
            documents,
            &workload_docs,
            &builds::built_images(documents, files),
        );
    }
}

fn labels_of(tree: &Tree, map: Option<NodeId>) -> Labels {
    map.map(|m| {
        tree.entries(m)
            .iter()
            .filter_map(|e| Some((e.key.to_string(), tree.scalar_text(e.value)?.into_owned())))
            .collect()
    })
    .unwrap_or_default()
}

/// The documents of `kind` that run pods.
fn collect_workloads(documents: &[Document], kind: DocKind) -> Vec<Workload> {
    let mut out = Vec::new();
    for (i, doc) in documents.iter().enumerate() {
        if doc.kind != kind {
            continue;
        }
        let tree = &doc.tree;
        let Some(pod) = tree.get(doc.root, "pod") else {
            continue;
        };
        let containers: Vec<NodeId> = tree
            .get(pod, "containers")
            .map(|c| tree.items(c).to_vec())
            .unwrap_or_default();
        let mut ports = Vec::new();
        let mut port_names = Vec::new();
        let mut images = Vec::new();
        for c in &containers {
            for port in tree
                .get(*c, "ports")
                .map(|p| tree.items(p).to_vec())
                .unwrap_or_default()
            {
                ports.extend(tree.get(port, "containerPort").and_then(|p| tree.as_int(p)));
                port_names.extend(
                    tree.get(port, "name")
                        .and_then(|n| tree.as_str(n))
                        .map(str::to_owned),
                );
            }
            images.extend(
                tree.get(*c, "image")
                    .and_then(|n| tree.as_str(n))
                    .map(str::to_owned),
            );
        }
        let replicas = tree
            .lookup(doc.root, "spec.replicas")
            .and_then(|r| Some((tree.as_int(r)?, tree.loc(r))));
        out.push(Workload {
            replicas,
            doc: i,
            namespace: kubernetes::namespace(tree, doc.root).to_owned(),
            kind: kubernetes::kind(tree, doc.root).to_owned(),
            name: kubernetes::name(tree, doc.root).to_owned(),
            labels: labels_of(tree, tree.get(pod, "labels")),
            ports,
            port_names,
            images,
        });
    }
    out
}

fn names_node(tree: &mut Tree, names: &[String]) -> NodeId {
    let seq = tree.seq(None);
    for name in names {
        let node = tree.str(name.as_str(), None);
        tree.push(seq, node);
    }
    seq
}
