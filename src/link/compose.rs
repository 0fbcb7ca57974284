//! Compose services ↔ the rest of the repo: which Dockerfile a service builds (or runs the
//! image of), and which Kubernetes workloads deploy the same image, making the compose file
//! local development.
//!
//! - each service in `service_list` gains `facts.deployed_by` (names `Kind/name` of the
//!   Kubernetes workloads running the same image, possibly none) and, when the repo holds the
//!   Dockerfile, `facts.dockerfile` (its final stage's facts and `path`, as on containers), and
//!   `facts.one_shot: true` when another service waits for it to complete
//!   (`depends_on: {name: {condition: service_completed_successfully}}`), and
//!   `facts.node_agent: true` when it is an agent of the host itself (see `shape`);
//! - each compose document gains `path` (of its file) and `facts.deployed_by`: the workloads
//!   deploying any service of a compose file in its folder (one project, layered with `-f`) or
//!   in the folder of a file it `include:`s;
//! - a Dockerfile that a service builds gains `linked.compose_built: true`, and
//!   `linked.compose_healthcheck: true` when one builds it with a compose `healthcheck`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::ImageRef;
use crate::parse::kustomize;

use super::images::{dockerfile_names, stage_facts};
use super::shape::is_node_agent;
use super::{Workload, names_node};

/// What one service is linked to.
struct Plan {
    doc: usize,
    service: NodeId,
    deployed_by: Vec<String>,
    dockerfile: Option<usize>,
    one_shot: bool,
    node_agent: bool,
}

pub(super) fn link_compose(
    documents: &mut [Document],
    workloads: &[Workload],
    builds: &BTreeMap<String, usize>,
    files: &[String],
) {
    if !documents.iter().any(|d| d.kind == DocKind::Compose) {
        return;
    }
    let path_of = |doc: &Document| files.get(doc.file as usize).map_or("", String::as_str);
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, doc) in documents.iter().enumerate() {
        if doc.kind != DocKind::Dockerfile {
            continue;
        }
        by_path.insert(path_of(doc), i);
        for (distance, name) in dockerfile_names(files, doc.file).into_iter().enumerate() {
            let slot = by_name.entry(name).or_insert((distance, i));
            if distance < slot.0 {
                *slot = (distance, i);
            }
        }
    }
    // Kubernetes workloads by the short names of their images, and by the Dockerfile building
    // one of their images.
    let mut by_short: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut by_dockerfile: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for w in workloads {
        let label = format!("{}/{}", w.kind, w.name);
        for image in &w.images {
            let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
            if !short.is_empty() && !short.contains('$') {
                by_short.entry(short).or_default().insert(label.clone());
            }
            if let Some(d) = builds.get(image) {
                by_dockerfile.entry(*d).or_default().insert(label.clone());
            }
        }
    }
    let mut plans = Vec::new();
    let mut healthchecked = BTreeSet::new();
    let mut compose_built = BTreeSet::new();
    for (i, doc) in documents.iter().enumerate() {
        if doc.kind != DocKind::Compose {
            continue;
        }
        let tree = &doc.tree;
        let dir = parent(path_of(doc));
        let services = tree
            .get(doc.root, "service_list")
            .map(|s| tree.items(s).to_vec())
            .unwrap_or_default();
        let awaited = awaited_services(tree, &services);
        for service in services {
            let one_shot = tree
                .get(service, "name")
                .and_then(|n| tree.as_str(n))
                .is_some_and(|n| awaited.contains(n));
            // Image short names, compared exactly; the names of what a service builds (its
            // context folder, its `Dockerfile.<name>`) also match a workload image named with a
            // prefix or suffix (`result` ~ `examplevotingapp_result`, `cart` ~ `cart-service`).
            let mut names = BTreeSet::new();
            let mut folders = BTreeSet::new();
            let image = tree.get(service, "image").and_then(|n| tree.as_str(n));
            if let Some(image) = image {
                names.insert(ImageRef::parse(image).short_name().to_ascii_lowercase());
            }
            let built = tree
                .get(service, "build")
                .and_then(|b| built_dockerfile(tree, b, dir));
            let mut dockerfile = None;
            if let Some((context, file)) = &built {
                folders.extend(folder_name(context).map(str::to_ascii_lowercase));
                dockerfile = by_path.get(file.as_str()).copied();
                if let Some(d) = dockerfile {
                    compose_built.insert(d);
                    folders.extend(
                        dockerfile_names(files, documents[d].file)
                            .into_iter()
                            .take(1),
                    );
                    if has_healthcheck(tree, service) {
                        healthchecked.insert(d);
                    }
                }
            } else if let Some(image) = image {
                let short = ImageRef::parse(image).short_name().to_ascii_lowercase();
                dockerfile = by_name.get(&short).map(|(_, d)| *d);
            }
            names.retain(|n| !n.is_empty() && !n.contains('$'));
            folders.retain(|n| !n.is_empty() && !n.contains('$'));
            let mut deployed: BTreeSet<String> = names
                .iter()
                .filter_map(|n| by_short.get(n))
                .flatten()
                .cloned()
                .collect();
            for (short, labels) in &by_short {
                if folders.iter().any(|f| names_alike(short, f)) {
                    deployed.extend(labels.iter().cloned());
                }
            }
            if built.is_some() {
                deployed.extend(
                    dockerfile
                        .and_then(|d| by_dockerfile.get(&d))
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
            plans.push(Plan {
                doc: i,
                service,
                deployed_by: deployed.into_iter().collect(),
                dockerfile,
                one_shot,
                node_agent: is_node_agent(
                    tree.get(service, "name")
                        .and_then(|n| tree.as_str(n))
                        .unwrap_or_default(),
                    image,
                ),
            });
        }
    }
    // Each Dockerfile's final stage, copied out once with its path.
    let stages: HashMap<usize, (Tree, NodeId)> = plans
        .iter()
        .filter_map(|p| p.dockerfile)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|d| Some((d, stage_facts(&documents[d], files)?)))
        .collect();
    // Compose files of one folder are one project (`-f compose.yaml -f compose.tracing.yaml`):
    // when Kubernetes deploys any of its services, the project is local development.
    let mut by_folder: HashMap<String, BTreeSet<String>> = HashMap::new();
    for plan in &plans {
        let dir = parent(path_of(&documents[plan.doc])).to_owned();
        by_folder
            .entry(dir)
            .or_default()
            .extend(plan.deployed_by.iter().cloned());
    }
    let mut includes: HashMap<String, Vec<String>> = HashMap::new();
    for doc in documents.iter().filter(|d| d.kind == DocKind::Compose) {
        let dir = parent(path_of(doc));
        includes
            .entry(dir.to_owned())
            .or_default()
            .extend(included_folders(&doc.tree, doc.root, dir));
    }
    for doc in documents.iter_mut() {
        if doc.kind == DocKind::Compose {
            let path = files.get(doc.file as usize).cloned().unwrap_or_default();
            let mut folders = vec![parent(&path).to_owned()];
            folders.extend(includes.get(parent(&path)).into_iter().flatten().cloned());
            // A root compose file a fleet service inherits may come marked as deployed by the
            // monorepo's manifests (`pipeline::inherit`), which the service's scan cannot see.
            let marked = doc
                .tree
                .lookup(doc.root, "facts.deployed_by")
                .map(|l| doc.tree.items(l).to_vec())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| doc.tree.as_str(n).map(str::to_owned));
            let project: Vec<String> = folders
                .iter()
                .filter_map(|f| by_folder.get(f))
                .flatten()
                .cloned()
                .chain(marked)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let node = doc.tree.str(path, None);
            doc.tree.insert(doc.root, "path", node);
            let facts = doc.tree.map(None);
            let list = names_node(&mut doc.tree, &project);
            doc.tree.insert(facts, "deployed_by", list);
            doc.tree.insert(doc.root, "facts", facts);
        }
    }
    for plan in plans {
        let tree = &mut documents[plan.doc].tree;
        let facts = match tree.get(plan.service, "facts") {
            Some(facts) => facts,
            None => {
                let facts = tree.map(None);
                tree.insert(plan.service, "facts", facts);
                facts
            }
        };
        let list = names_node(tree, &plan.deployed_by);
        tree.insert(facts, "deployed_by", list);
        let one_shot = tree.bool(plan.one_shot, None);
        tree.insert(facts, "one_shot", one_shot);
        if plan.node_agent {
            let yes = tree.bool(true, None);
            tree.insert(facts, "node_agent", yes);
        }
        if let Some((small, stage)) = plan.dockerfile.and_then(|d| stages.get(&d)) {
            let copy = tree.import(small, *stage);
            tree.insert(facts, "dockerfile", copy);
        }
    }
    for (d, healthchecked) in compose_built
        .iter()
        .map(|d| (*d, healthchecked.contains(d)))
    {
        let doc = &mut documents[d];
        let tree = &mut doc.tree;
        let linked = match tree.get(doc.root, "linked") {
            Some(linked) => linked,
            None => {
                let linked = tree.map(None);
                tree.insert(doc.root, "linked", linked);
                linked
            }
        };
        let yes = tree.bool(true, None);
        tree.insert(linked, "compose_built", yes);
        if healthchecked {
            let yes = tree.bool(true, None);
            tree.insert(linked, "compose_healthcheck", yes);
        }
    }
}

/// The folders of the compose files a file `include:`s (`- ../cart/compose.yaml`, or
/// `- path: …` with one path or a list), relative to the scanned root.
fn included_folders(tree: &Tree, root: NodeId, dir: &str) -> Vec<String> {
    let Some(include) = tree.get(root, "include") else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    for item in tree.items(include) {
        match tree.as_str(*item) {
            Some(path) => paths.push(path.to_owned()),
            None => {
                let Some(path) = tree.get(*item, "path") else {
                    continue;
                };
                match tree.as_str(path) {
                    Some(path) => paths.push(path.to_owned()),
                    None => paths.extend(
                        tree.items(path)
                            .iter()
                            .filter_map(|p| tree.as_str(*p))
                            .map(str::to_owned),
                    ),
                }
            }
        }
    }
    paths
        .iter()
        .filter(|p| !p.contains('$'))
        .filter_map(|p| join(dir, p))
        .map(|file| parent(&file).to_owned())
        .collect()
}

/// Names of the services another one waits for with `condition: service_completed_successfully`:
/// they run once and exit.
fn awaited_services(tree: &Tree, services: &[NodeId]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for service in services {
        let Some(depends) = tree.get(*service, "depends_on") else {
            continue;
        };
        for entry in tree.entries(depends) {
            let condition = tree
                .get(entry.value, "condition")
                .and_then(|c| tree.as_str(c));
            if condition == Some("service_completed_successfully") {
                out.insert(entry.key.as_str().to_owned());
            }
        }
    }
    out
}

/// A compose `healthcheck` with a test of its own that is not disabled.
fn has_healthcheck(tree: &Tree, service: NodeId) -> bool {
    let Some(check) = tree.get(service, "healthcheck") else {
        return false;
    };
    if tree.get(check, "disable").and_then(|d| tree.as_bool(d)) == Some(true) {
        return false;
    }
    let Some(test) = tree.get(check, "test") else {
        return false;
    };
    let first = match tree.items(test).first() {
        Some(first) => tree.scalar_text(*first).map(|t| t.into_owned()),
        None => tree.scalar_text(test).map(|t| t.into_owned()),
    };
    first.is_some_and(|t| !t.trim().eq_ignore_ascii_case("none") && !t.trim().is_empty())
}

/// `build: ./cart` or `build: {context: ./cart, dockerfile: Dockerfile.prod}` → the context
/// folder and the Dockerfile's path, relative to the scanned root. A remote context (a git URL)
/// or an inline Dockerfile builds nothing in the repo.
fn built_dockerfile(tree: &Tree, build: NodeId, dir: &str) -> Option<(String, String)> {
    let (context, dockerfile) = match tree.as_str(build) {
        Some(context) => (context.to_owned(), None),
        None => {
            if tree.get(build, "dockerfile_inline").is_some() {
                return None;
            }
            let context = tree
                .get(build, "context")
                .and_then(|c| tree.as_str(c))
                .unwrap_or(".")
                .to_owned();
            let file = tree
                .get(build, "dockerfile")
                .and_then(|f| tree.as_str(f))
                .map(str::to_owned);
            (context, file)
        }
    };
    if context.contains("://") || context.starts_with("git@") || context.contains('$') {
        return None;
    }
    let context = join(dir, &context)?;
    let dockerfile = dockerfile.unwrap_or_else(|| "Dockerfile".to_owned());
    if dockerfile.contains('$') || dockerfile.starts_with('/') {
        return None;
    }
    let file = join(&context, &dockerfile)?;
    Some((context, file))
}

/// `short` is `name`, or `name` with a prefix or suffix joined by `-` or `_`.
fn names_alike(short: &str, name: &str) -> bool {
    short == name
        || short
            .strip_suffix(name)
            .is_some_and(|rest| rest.ends_with(['-', '_']))
        || short
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(['-', '_']))
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn folder_name(dir: &str) -> Option<&str> {
    dir.rsplit('/').next().filter(|n| !n.is_empty())
}

/// `dir` joined with the relative `path`, `.` and `..` resolved; `None` when it leaves the root.
fn join(dir: &str, path: &str) -> Option<String> {
    kustomize::resolve(dir, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_relative_to_the_compose_file() {
        assert_eq!(join("deploy", "../cart").as_deref(), Some("cart"));
        assert_eq!(join("", "./cart/").as_deref(), Some("cart"));
        assert_eq!(join("", ".").as_deref(), Some(""));
        assert_eq!(join("", ".."), None);
        assert_eq!(folder_name("src/cart"), Some("cart"));
        assert_eq!(folder_name(""), None);
        assert!(names_alike("examplevotingapp_result", "result"));
        assert!(names_alike("cart-service", "cart"));
        assert!(!names_alike("cartography", "cart"));
    }
}
