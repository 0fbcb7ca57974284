//! Fleet mode: what each service of a monorepo inherits from the monorepo's root. A platform
//! keeps repository-wide evidence there once for every service; a service scanned on its own
//! folder would otherwise be told it has none.
//!
//! Per kind of root file:
//! - CI (`.github/workflows/*`, `.gitlab-ci.yml`, `.circleci/config.yml`, Cloud Build, Azure
//!   Pipelines, Drone, `Jenkinsfile`): always inherited, since a monorepo's pipelines are the
//!   root's; the YAML ones are read as documents (image scans, images CI builds and tags).
//! - CODEOWNERS (at the root, in `.github/`, `.gitlab/` or `docs/`), Dependabot and Renovate
//!   configs, a changelog or release tooling: inherited when the service has none of its own
//!   (a CODEOWNERS only when one of its rules covers the service's whole folder); only their
//!   presence counts.
//! - root compose files: a compose service whose build context or Dockerfile lies in the
//!   service's folder belongs to that service (its healthcheck, restart policy, privileges);
//!   services building nothing there (a shared database) belong to none.
//! - not inherited: the root README (it describes the monorepo, not the service), a root
//!   `.dockerignore` (a service builds from its own folder), SECURITY.md (no rule reads it).
//!
//! The root is read and parsed once per run ([`RootEvidence::collect`]) and shared by every
//! service, which gets copies of the parsed documents (the text itself is shared) at their
//! paths relative to the service (`../../.github/workflows/ci.yml`): findings point at the real
//! file, and `files:` globs of rules see the path as the monorepo does
//! (`source::root_relative`).

use std::path::Path;
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::classify;
use crate::model::{DocKind, Document, NodeId, Tree, Value};
use crate::parse::{self, ParseError, kustomize};
use crate::source::{FileId, Loc, SourceFile};

use super::compose_env;
use super::read::{Read, with_file_text};

/// What a root file is evidence of; the word shown in reports (`inherited[*].evidence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    Ci,
    Ownership,
    DependencyUpdates,
    Changelog,
    Compose,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Ci => "ci",
            Evidence::Ownership => "ownership",
            Evidence::DependencyUpdates => "dependency-updates",
            Evidence::Changelog => "changelog",
            Evidence::Compose => "compose",
        }
    }

    /// The kind of evidence a file is, wherever it lies (a service's own files included).
    fn of(path: &str) -> Option<Evidence> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        // `renovate.json5` → `renovate`, `.renovaterc.json` → `.renovaterc`.
        let hidden = usize::from(lower.starts_with('.'));
        let stem = lower[hidden..]
            .split_once('.')
            .map_or(lower.as_str(), |(s, _)| &lower[..hidden + s.len()]);
        let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
        if path.contains(".github/workflows/") && yaml
            || matches!(
                name,
                ".gitlab-ci.yml" | "azure-pipelines.yml" | ".drone.yml" | "Jenkinsfile"
            )
            || path.ends_with(".circleci/config.yml")
            || name.starts_with("cloudbuild") && yaml
        {
            return Some(Evidence::Ci);
        }
        if name == "CODEOWNERS" {
            return Some(Evidence::Ownership);
        }
        if path.ends_with(".github/dependabot.yml")
            || path.ends_with(".github/dependabot.yaml")
            || stem == "renovate"
            || stem == ".renovaterc"
        {
            return Some(Evidence::DependencyUpdates);
        }
        let changelog = [
            "changelog",
            "changes",
            "history",
            "release",
            "releases",
            "news",
        ];
        let extension = lower.rsplit_once('.').map(|(_, e)| e);
        if changelog.contains(&stem) && matches!(extension, None | Some("md" | "rst" | "txt"))
            || lower == ".release-please-manifest.json"
            || stem == ".goreleaser" && yaml
        {
            return Some(Evidence::Changelog);
        }
        None
    }
}

/// The evidence files at a monorepo's root, read and parsed once for all its services.
#[derive(Default)]
pub struct RootEvidence {
    files: Vec<RootFile>,
    /// Root folders or files of Kubernetes, Helm or Kustomize manifests (`K8s`, `helm`,
    /// `Chart.yaml`): the monorepo deploys with them, so its root compose files are local
    /// development, as a scan of the whole repository would judge.
    manifests: Vec<String>,
}

/// Root entries that say the monorepo deploys with Kubernetes (compared without case).
const ROOT_MANIFESTS: [&str; 13] = [
    "k8s",
    "kubernetes",
    "kube",
    "deploy",
    "deployment",
    "deployments",
    "manifests",
    "helm",
    "chart",
    "charts",
    "kustomize",
    "chart.yaml",
    "skaffold.yaml",
];

struct RootFile {
    /// Relative to the monorepo root.
    path: String,
    evidence: Evidence,
    /// CI YAML and compose files: their text and documents (file id 0).
    parsed: Option<RootParsed>,
    /// A CODEOWNERS file's patterns: it counts for the services whose folder a rule covers.
    owners: Option<Gitignore>,
}

struct RootParsed {
    text: Arc<str>,
    kind: DocKind,
    documents: Vec<Document>,
    errors: Vec<ParseError>,
}

/// Folders below the root where evidence files live (CODEOWNERS may be in any of them).
const EVIDENCE_DIRS: [&str; 6] = [
    "",
    ".github",
    ".github/workflows",
    ".gitlab",
    "docs",
    ".circleci",
];

impl RootEvidence {
    /// Reads the evidence files of the monorepo at `root` (see [`root_file`]).
    pub fn collect(root: &Path, max_file_size: u64) -> RootEvidence {
        let mut files = Vec::new();
        for dir in EVIDENCE_DIRS {
            if !is_real_dir(root, dir) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            files.extend(
                entries
                    .flatten()
                    .filter_map(|entry| root_file(&entry, dir, max_file_size)),
            );
        }
        substitute_compose_variables(root, &mut files, max_file_size);
        files.retain(|f| {
            f.evidence != Evidence::Compose
                || f.parsed
                    .as_ref()
                    .is_some_and(|p| p.documents.iter().any(|d| d.kind == DocKind::Compose))
        });
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut manifests: Vec<String> = std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| !t.is_symlink()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| ROOT_MANIFESTS.contains(&name.to_ascii_lowercase().as_str()))
            .collect();
        manifests.sort();
        RootEvidence { files, manifests }
    }

    /// What the service in `folder` (relative to the root, `/`-separated) inherits.
    pub fn for_service(&self, folder: &str) -> Member<'_> {
        let depth = folder.split('/').filter(|p| !p.is_empty()).count();
        Member {
            root: self,
            folder: folder.trim_matches('/').to_owned(),
            up: vec![".."; depth].join("/"),
        }
    }
}

/// `dir` below `root` is a folder and neither it nor a folder on the way is a symbolic link
/// (which could lead out of the monorepo).
fn is_real_dir(root: &Path, dir: &str) -> bool {
    let mut path = root.to_path_buf();
    dir.split('/').filter(|p| !p.is_empty()).all(|part| {
        path.push(part);
        std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
    })
}

/// The root file `entry` of folder `dir`, if it is evidence: a regular file (a symlink may
/// point anywhere) no larger than `max_file_size`, read and parsed when its documents count.
fn root_file(entry: &std::fs::DirEntry, dir: &str, max_file_size: u64) -> Option<RootFile> {
    let name = entry.file_name().into_string().ok()?;
    let path = if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    };
    let size = entry.metadata().map_or(u64::MAX, |m| m.len());
    if !entry.file_type().is_ok_and(|t| t.is_file()) || size > max_file_size {
        return None;
    }
    let evidence = match Evidence::of(&path) {
        // CODEOWNERS counts in these folders only, compose files only at the root.
        Some(Evidence::Ownership) if dir.contains("workflows") || dir == ".circleci" => {
            return None;
        }
        Some(evidence) => evidence,
        None if dir.is_empty() && is_compose_name(&path) => Evidence::Compose,
        None => return None,
    };
    let parsed = match (evidence, classify::classify(&path)) {
        (Evidence::Ci | Evidence::Compose, Some(kind @ DocKind::Yaml)) => {
            with_file_text(&entry.path(), size, |text| {
                text.ok().map(|text| parse_root(kind, &path, text))
            })
        }
        _ => None,
    };
    if evidence == Evidence::Compose && parsed.is_none() {
        return None;
    }
    let owners = (evidence == Evidence::Ownership).then(|| {
        with_file_text(&entry.path(), size, |text| {
            owner_patterns(text.unwrap_or_default())
        })
    });
    Some(RootFile {
        path,
        evidence,
        parsed,
        owners,
    })
}

/// A CODEOWNERS file's path patterns (each rule's first word, gitignore syntax), for matching.
fn owner_patterns(text: &str) -> Gitignore {
    let mut builder = GitignoreBuilder::new("");
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(pattern) = line.split_whitespace().next() {
            // A pattern git would reject is skipped, as GitHub skips it.
            let _ = builder.add_line(None, pattern);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("compose.") || lower.starts_with("docker-compose."))
        && (lower.ends_with(".yml") || lower.ends_with(".yaml"))
}

fn parse_root(kind: DocKind, path: &str, text: &str) -> RootParsed {
    let parsed = parse::parse(kind, 0, path, text);
    RootParsed {
        text: text.into(),
        kind,
        documents: parsed.documents,
        errors: parsed.errors,
    }
}

/// Compose's `${VAR}` substitution of `image` and `build`, from the root's `.env`, done once.
fn substitute_compose_variables(root: &Path, files: &mut [RootFile], max_file_size: u64) {
    let mut reads: Vec<Read> = Vec::new();
    let mut slots = Vec::new();
    for (i, file) in files.iter_mut().enumerate() {
        if let (Evidence::Compose, Some(parsed)) = (file.evidence, &mut file.parsed) {
            let parsed_docs = parse::Parsed {
                documents: std::mem::take(&mut parsed.documents),
                ..parse::Parsed::default()
            };
            let source = SourceFile::new(file.path.clone(), parsed.text.clone());
            reads.push(Read::new(source, parsed.kind, parsed_docs));
            slots.push(i);
        }
    }
    if reads.is_empty() {
        return;
    }
    compose_env::apply(root, &mut reads, &[".env".to_owned()], max_file_size);
    for (read, i) in reads.into_iter().zip(slots) {
        if let Some(parsed) = &mut files[i].parsed {
            parsed.documents = read.parsed.documents;
        }
    }
}

/// One service's share of the root evidence.
pub struct Member<'a> {
    root: &'a RootEvidence,
    folder: String,
    /// From the service's folder back to the root: `../..` for `services/cart`.
    up: String,
}

/// A root file a service reads as its own, at its path relative to the service.
pub(super) struct InheritedRead {
    path: String,
    kind: DocKind,
    text: Arc<str>,
    documents: Vec<Document>,
    errors: Vec<ParseError>,
}

impl InheritedRead {
    pub(super) fn path(&self) -> &str {
        &self.path
    }

    /// The file as the scan's file `id`: every location moved to it.
    pub(super) fn into_read(self, id: FileId) -> Read {
        let mut documents = self.documents;
        for doc in &mut documents {
            doc.file = id;
            doc.tree.remap_locs(|loc| Some(Loc { file: id, ..loc }));
        }
        let parsed = parse::Parsed {
            documents,
            errors: self.errors,
            duplicate_keys: Vec::new(),
        };
        Read::new(SourceFile::new(self.path, self.text), self.kind, parsed)
    }
}

impl Member<'_> {
    /// The root's path as seen from the service.
    fn seen(&self, path: &str) -> String {
        if self.up.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.up)
        }
    }

    /// The parsed root files the service reads: every CI file, and each root compose file
    /// cut down to the compose services that build from the service's folder.
    pub(super) fn reads(&self) -> Vec<InheritedRead> {
        let mut out = Vec::new();
        for file in &self.root.files {
            let Some(parsed) = &file.parsed else {
                continue;
            };
            let documents = match file.evidence {
                Evidence::Ci => parsed.documents.clone(),
                Evidence::Compose => {
                    let owned: Vec<Document> = parsed
                        .documents
                        .iter()
                        .filter(|d| d.kind == DocKind::Compose)
                        .filter_map(|d| self.own_compose_services(d))
                        .collect();
                    if owned.is_empty() {
                        continue;
                    }
                    owned
                }
                _ => continue,
            };
            out.push(InheritedRead {
                path: self.seen(&file.path),
                kind: parsed.kind,
                text: parsed.text.clone(),
                documents,
                errors: parsed.errors.clone(),
            });
        }
        out
    }

    /// The root files only the presence of which counts, as paths relative to the service,
    /// leaving out a kind the service has evidence of itself (`own`: its files).
    pub(super) fn present<'p>(&self, own: impl Iterator<Item = &'p str>) -> Vec<String> {
        let own: Vec<Evidence> = own.filter_map(Evidence::of).collect();
        self.root
            .files
            .iter()
            .filter(|f| f.parsed.is_none())
            .filter(|f| f.evidence == Evidence::Ci || !own.contains(&f.evidence))
            .filter(|f| f.owners.as_ref().is_none_or(|o| self.owned_by(o)))
            .map(|f| self.seen(&f.path))
            .collect()
    }

    /// Every root file the service inherits (`reads` and `present` together), for the report.
    pub(super) fn used(reads: &[String], present: &[String]) -> Vec<(String, &'static str)> {
        let mut used: Vec<(String, &'static str)> = reads
            .iter()
            .chain(present)
            .map(|path| {
                let evidence = Evidence::of(path).unwrap_or(Evidence::Compose);
                (path.clone(), evidence.as_str())
            })
            .collect();
        used.sort();
        used
    }

    /// A root compose document keeping only the services that build from the service's
    /// folder, their build paths rewritten relative to the service as seen from the root
    /// file's folder (`../..` + `.`), so linking finds the service's Dockerfile; `None` when
    /// none does.
    fn own_compose_services(&self, doc: &Document) -> Option<Document> {
        let mut doc = doc.clone();
        let tree = &mut doc.tree;
        let list = tree.get(doc.root, "service_list")?;
        let mut kept = Vec::new();
        for service in tree.items(list).to_vec() {
            if self.claim_build(tree, service) {
                kept.push(service);
            }
        }
        if kept.is_empty() {
            return None;
        }
        let names: Vec<String> = kept
            .iter()
            .filter_map(|s| tree.get(*s, "name").and_then(|n| tree.as_str(n)))
            .map(str::to_owned)
            .collect();
        let seq = tree.seq(tree.loc(list));
        for service in kept {
            tree.push(seq, service);
        }
        tree.insert(doc.root, "service_list", seq);
        if !self.root.manifests.is_empty() {
            let facts = tree.map(None);
            let deployers = tree.seq(None);
            for name in &self.root.manifests {
                let node = tree.str(self.seen(name), None);
                tree.push(deployers, node);
            }
            tree.insert(facts, "deployed_by", deployers);
            tree.insert(doc.root, "facts", facts);
        }
        if let Some(services) = tree.get(doc.root, "services")
            && let Some(entries) = tree.entries_mut(services)
        {
            entries.retain(|e| names.iter().any(|n| n.as_str() == e.key.as_str()));
        }
        Some(doc)
    }

    /// Whether a root compose service builds from the service's folder; if so its `build`
    /// is rewritten to reach the same Dockerfile from the inherited file's path.
    fn claim_build(&self, tree: &mut Tree, service: NodeId) -> bool {
        let Some(build) = tree.get(service, "build") else {
            return false;
        };
        let (context_node, context) = match tree.as_str(build) {
            Some(context) => (build, context.to_owned()),
            None => match tree.get(build, "context") {
                Some(node) => match tree.as_str(node) {
                    Some(context) => (node, context.to_owned()),
                    None => return false,
                },
                // No context: the compose file's own folder, the root.
                None => {
                    let node = tree.str(".", None);
                    tree.insert(build, "context", node);
                    (node, ".".to_owned())
                }
            },
        };
        let Some(context) = kustomize::resolve("", &context) else {
            return false;
        };
        let dockerfile_node = tree.get(build, "dockerfile");
        let dockerfile = dockerfile_node
            .and_then(|d| tree.as_str(d))
            .unwrap_or("Dockerfile")
            .to_owned();
        let Some(file_in) = kustomize::resolve(&context, &dockerfile).and_then(|f| self.inside(&f))
        else {
            return false;
        };
        match self.inside(&context) {
            Some(context_in) => {
                let seen = self.seen(if context_in.is_empty() {
                    "."
                } else {
                    &context_in
                });
                set_text(tree, context_node, &seen);
            }
            // Built from the root (or elsewhere) with a Dockerfile in the folder: the
            // Dockerfile is the service's, so is the compose service.
            None => {
                set_text(tree, context_node, &self.seen("."));
                match dockerfile_node {
                    Some(node) => set_text(tree, node, &file_in),
                    None => {
                        let node = tree.str(file_in, None);
                        tree.insert(build, "dockerfile", node);
                    }
                }
            }
        }
        true
    }

    /// Whether a CODEOWNERS rule covers the whole folder (`*`, `/services/`, `services/cart/`).
    fn owned_by(&self, owners: &Gitignore) -> bool {
        let inside = format!("{}/{}", self.folder, "any-file");
        owners
            .matched_path_or_any_parents(&inside, false)
            .is_ignore()
    }

    /// `path` (relative to the root) relative to the service's folder, if it lies in it.
    fn inside(&self, path: &str) -> Option<String> {
        if path == self.folder {
            return Some(String::new());
        }
        path.strip_prefix(&self.folder)?
            .strip_prefix('/')
            .map(str::to_owned)
    }
}

fn set_text(tree: &mut Tree, node: NodeId, text: &str) {
    tree.set_value(node, Value::Str(text.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_kinds() {
        let cases = [
            (".github/workflows/ci.yml", Some(Evidence::Ci)),
            (".gitlab-ci.yml", Some(Evidence::Ci)),
            ("Jenkinsfile", Some(Evidence::Ci)),
            ("cloudbuild.yaml", Some(Evidence::Ci)),
            (".github/CODEOWNERS", Some(Evidence::Ownership)),
            ("CODEOWNERS", Some(Evidence::Ownership)),
            ("renovate.json", Some(Evidence::DependencyUpdates)),
            ("renovate.json5", Some(Evidence::DependencyUpdates)),
            (".renovaterc", Some(Evidence::DependencyUpdates)),
            (".github/dependabot.yml", Some(Evidence::DependencyUpdates)),
            ("CHANGELOG.md", Some(Evidence::Changelog)),
            ("HISTORY.rst", Some(Evidence::Changelog)),
            (".goreleaser.yaml", Some(Evidence::Changelog)),
            ("README.md", None),
            ("SECURITY.md", None),
            ("docker-compose.yml", None),
        ];
        for (path, kind) in cases {
            assert_eq!(Evidence::of(path), kind, "{path}");
        }
    }

    #[test]
    fn a_codeowners_rule_covers_a_folder_or_not() {
        let owners = owner_patterns("# owners\n/services/cart/ @acme/checkout\ndocs/ @acme/docs\n");
        let root = RootEvidence::default();
        assert!(root.for_service("services/cart").owned_by(&owners));
        assert!(!root.for_service("services/payments").owned_by(&owners));
        let everything = owner_patterns("* @acme/platform\n");
        assert!(root.for_service("services/payments").owned_by(&everything));
    }

    #[test]
    fn paths_from_a_service_back_to_the_root() {
        let root = RootEvidence::default();
        let member = root.for_service("services/cart");
        assert_eq!(member.up, "../..");
        assert_eq!(member.seen("CODEOWNERS"), "../../CODEOWNERS");
        assert_eq!(member.inside("services/cart"), Some(String::new()));
        assert_eq!(member.inside("services/cart/api"), Some("api".to_owned()));
        assert_eq!(member.inside("services/cartography"), None);
    }
}
