//! What is the service, once charts and overlays are rendered: the periphery stops counting
//! (its files stay listed), load generators are not scored as the service wherever their
//! manifests live, and an object copied into several files (a rendered release manifest, an
//! all-in-one install file, a second copy of the base) is linted once, at its source.

use std::collections::{BTreeMap, BTreeSet};

use crate::hash::fnv1a_128;
use crate::model::{DocKind, Document, NodeId, Tree, Value};
use crate::parse::Parsed;
use crate::periphery;
use crate::source::FileId;

use super::read::Read;

/// Kinds that run pods, where a load generator shows up as an object.
const WORKLOADS: [&str; 8] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "Job",
    "CronJob",
];

/// Folders and file names that hold generated copies rather than sources.
const GENERATED_DIRS: [&str; 8] = [
    "release",
    "releases",
    "dist",
    "rendered",
    "generated",
    "out",
    "output",
    "build",
];

pub(super) fn apply(reads: &mut [Read]) {
    for read in reads.iter_mut().filter(|r| r.periphery.is_some()) {
        // Nothing of it is scored, and a test's deliberately broken YAML is no error.
        read.parsed = Parsed::default();
    }
    leave_out_load_generators(reads);
    report_copies_once(reads);
}

fn text<'t>(tree: &'t Tree, from: NodeId, path: &str) -> Option<&'t str> {
    tree.lookup(from, path).and_then(|n| tree.as_str(n))
}

/// A workload named like a load generator, or running an image named like one.
fn is_load_generator(doc: &Document) -> bool {
    let tree = &doc.tree;
    if !text(tree, doc.root, "kind").is_some_and(|k| WORKLOADS.contains(&k)) {
        return false;
    }
    if text(tree, doc.root, "metadata.name").is_some_and(periphery::is_load_generator_name) {
        return true;
    }
    let Some(containers) = tree.lookup(doc.root, "pod.containers") else {
        return false;
    };
    let images: Vec<&str> = tree
        .items(containers)
        .iter()
        .filter_map(|c| text(tree, *c, "image"))
        .collect();
    !images.is_empty()
        && images.iter().all(|image| {
            let name = image.split(['@', ':']).next().unwrap_or(image);
            let short = name.rsplit('/').next().unwrap_or(name);
            periphery::is_load_generator_name(short)
        })
}

fn leave_out_load_generators(reads: &mut [Read]) {
    for read in reads.iter_mut() {
        let mut names = Vec::new();
        let generators: BTreeSet<usize> = read
            .parsed
            .documents
            .iter()
            .filter(|d| d.kind == DocKind::Kubernetes && is_load_generator(d))
            .map(|d| {
                names.extend(d.label.clone());
                d.index
            })
            .collect();
        if generators.is_empty() {
            continue;
        }
        demote_indices(&mut read.parsed.documents, &generators);
        if read.note.is_none() {
            read.note = Some(format!(
                "Periphery: {} is a load generator, not the deployed service; not scored",
                names.join(", ")
            ));
        }
    }
}

/// Documents at these positions of their file (an object and the rules or dashboard view of
/// it) become plain YAML.
fn demote_indices(documents: &mut [Document], indices: &BTreeSet<usize>) {
    for doc in documents.iter_mut().filter(|d| indices.contains(&d.index)) {
        doc.kind = DocKind::Yaml;
        doc.label = None;
    }
}

/// One object as deployed: kind, namespace, name, and the hash of everything it says.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Identity {
    kind: String,
    namespace: String,
    name: String,
    content: u128,
}

/// Where one object is: the read holding the document, its position, and the file its text
/// comes from (the resource file for an object an overlay built).
struct Copy {
    read: usize,
    document: usize,
    home: FileId,
}

fn report_copies_once(reads: &mut [Read]) {
    let mut copies: BTreeMap<Identity, Vec<Copy>> = BTreeMap::new();
    for (r, read) in reads.iter().enumerate() {
        for (d, doc) in read.parsed.documents.iter().enumerate() {
            if doc.kind != DocKind::Kubernetes {
                continue;
            }
            let tree = &doc.tree;
            let (Some(kind), Some(name)) = (
                text(tree, doc.root, "kind"),
                text(tree, doc.root, "metadata.name"),
            ) else {
                continue;
            };
            let home = home(doc);
            copies
                .entry(Identity {
                    kind: kind.to_owned(),
                    namespace: text(tree, doc.root, "metadata.namespace")
                        .unwrap_or("")
                        .to_owned(),
                    name: name.to_owned(),
                    content: content_hash(tree, doc.root),
                })
                .or_default()
                .push(Copy {
                    read: r,
                    document: d,
                    home,
                });
        }
    }
    // Per read: the documents that are copies, and the file each was kept in.
    let mut demoted: BTreeMap<usize, (BTreeSet<usize>, BTreeSet<FileId>)> = BTreeMap::new();
    for group in copies.values() {
        let homes: BTreeSet<FileId> = group.iter().map(|c| c.home).collect();
        if homes.len() < 2 {
            continue;
        }
        let Some(source) = homes
            .iter()
            .copied()
            .min_by_key(|home| source_rank(reads, *home))
        else {
            continue;
        };
        for copy in group.iter().filter(|c| c.home != source) {
            let index = reads[copy.read].parsed.documents[copy.document].index;
            let entry = demoted.entry(copy.read).or_default();
            entry.0.insert(index);
            entry.1.insert(source);
        }
    }
    for (r, (indices, sources)) in demoted {
        demote_indices(&mut reads[r].parsed.documents, &indices);
        if reads[r].note.is_none() {
            let shown: Vec<String> = sources
                .iter()
                .filter_map(|s| reads.get(*s as usize))
                .map(|s| format!("`{}`", s.source.path))
                .collect();
            reads[r].note = Some(format!(
                "Generated copy: {} object(s) here are the same as in {}, and are reported there",
                indices.len(),
                shown.join(", ")
            ));
        }
    }
}

/// Which copy is the source, smallest first: not in a release or build-output folder, then the
/// file with the fewest documents (one object per file beats an all-in-one file), then path
/// order.
fn source_rank(reads: &[Read], home: FileId) -> (bool, usize, &str) {
    let Some(read) = reads.get(home as usize) else {
        return (true, usize::MAX, "");
    };
    let path = read.source.path.as_str();
    (is_generated(path), read.parsed.documents.len(), path)
}

fn is_generated(path: &str) -> bool {
    path.split('/').any(|part| {
        let lower = part.to_ascii_lowercase();
        GENERATED_DIRS.contains(&lower.as_str()) || lower.contains("all-in-one")
    })
}

/// The file an object's text comes from: the resource file for an object an overlay built,
/// the template or values file for a rendered one.
fn home(doc: &Document) -> FileId {
    doc.tree
        .get(doc.root, "kind")
        .and_then(|k| doc.tree.loc(k))
        .map_or(doc.file, |loc| loc.file)
}

/// Per document, for `Evaluation::merge_copies`: the Kubernetes object it is (kind and name)
/// and its rank among the files holding that object, as in `source_rank` (files are in path
/// order, so the file id breaks ties by path). The namespace is left out: a Helm chart beside
/// plain manifests, or a base packaged a second time for another environment, writes the same
/// object into another namespace (`{{ .Release.Namespace }}`, an overlay's `namespace:`), and
/// the same problem of the same object is one problem to its team.
/// A chart renders names with the release in front (`release-name-podinfo`): the object is the
/// one plain manifests or an overlay call `podinfo`.
pub(super) fn copy_keys(
    documents: &[Document],
    paths: &[String],
    release: &str,
) -> Vec<Option<(u128, u64)>> {
    let prefix = format!("{release}-");
    let mut per_file: BTreeMap<FileId, u64> = BTreeMap::new();
    for doc in documents {
        *per_file.entry(doc.file).or_default() += 1;
    }
    documents
        .iter()
        .map(|doc| {
            if doc.kind != DocKind::Kubernetes {
                return None;
            }
            let tree = &doc.tree;
            let kind = text(tree, doc.root, "kind")?;
            let name = text(tree, doc.root, "metadata.name")?;
            let name = name.strip_prefix(prefix.as_str()).unwrap_or(name);
            let object = fnv1a_128(format!("{kind}\0{name}").as_bytes());
            let home = home(doc);
            let generated = paths.get(home as usize).is_none_or(|p| is_generated(p));
            let count = per_file
                .get(&home)
                .copied()
                .unwrap_or(0)
                .min(u64::from(u32::MAX >> 1));
            Some((
                object,
                u64::from(generated) << 63 | count << 32 | u64::from(home),
            ))
        })
        .collect()
}

/// A hash of a node's content, locations aside: copies hash alike wherever they are written.
fn content_hash(tree: &Tree, node: NodeId) -> u128 {
    let mut bytes = Vec::new();
    serialize(tree, node, &mut bytes);
    fnv1a_128(&bytes)
}

fn serialize(tree: &Tree, node: NodeId, out: &mut Vec<u8>) {
    match tree.value(node) {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.extend_from_slice(if *b { b"t" } else { b"f" }),
        Value::Int(i) => {
            out.push(b'i');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(b'd');
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(b's');
            out.extend_from_slice(&s.len().to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Seq(items) => {
            out.push(b'[');
            for item in items {
                serialize(tree, *item, out);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            for entry in entries {
                let key = entry.key.as_str();
                out.extend_from_slice(&key.len().to_le_bytes());
                out.extend_from_slice(key.as_bytes());
                serialize(tree, entry.value, out);
            }
            out.push(b'}');
        }
    }
}
