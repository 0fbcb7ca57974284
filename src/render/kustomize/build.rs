//! The build walk: reads a kustomization, gathers its resources, bases and components
//! (recursively, guarding against cycles and runaway inputs), then runs its generators and
//! transformers in the order `kustomize build` runs them.

use std::collections::BTreeSet;

use super::{BuildError, Files, Resource, generator, names, patch, paths, transform};
use crate::model::{NodeId, Tree, Value};
use crate::parse::{kubernetes, yaml};
use crate::source::{FileId, Loc};

/// Kustomizations nested deeper than this are refused: no real layout comes close, and it
/// bounds the work a hostile tree of directories can ask for.
const MAX_DEPTH: usize = 32;
/// Objects one build may hold.
const MAX_RESOURCES: usize = 20_000;
/// Kustomization files one build may read: the same base reached along many paths (a diamond
/// of empty kustomizations, each level doubling) would otherwise cost exponential time.
const MAX_LOADS: usize = 2_000;

/// Kustomization fields whose effect is not reproduced: building without them would lint
/// something other than what gets deployed, so they fail the build instead.
const UNSUPPORTED: [&str; 11] = [
    "replacements",
    "vars",
    "helmCharts",
    "helmGlobals",
    "transformers",
    "generators",
    "validators",
    "configurations",
    "crds",
    "openapi",
    "buildMetadata",
];

/// A parsed kustomization file.
pub(super) struct Kustomization {
    pub path: String,
    pub dir: String,
    pub file: Option<FileId>,
    pub tree: Tree,
    pub root: NodeId,
}

impl Kustomization {
    pub fn get(&self, key: &str) -> Option<NodeId> {
        self.tree.get(self.root, key)
    }

    /// The location of `key`'s value (or of the file when the key is absent).
    pub fn loc_of(&self, key: &str) -> Option<Loc> {
        self.get(key).and_then(|n| self.tree.loc(n))
    }

    /// The items of the list at `key`.
    pub fn items(&self, key: &str) -> Vec<NodeId> {
        self.get(key)
            .map(|n| self.tree.items(n).to_vec())
            .unwrap_or_default()
    }

    /// The string items of the list at `key`, each with its location.
    pub fn strings(&self, key: &str) -> Vec<(String, Option<Loc>)> {
        self.items(key)
            .into_iter()
            .filter_map(|n| {
                let text = self.tree.scalar_text(n)?.into_owned();
                Some((text, self.tree.loc(n)))
            })
            .collect()
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|n| self.tree.as_str(n))
    }

    fn is_component(&self) -> bool {
        self.string("kind") == Some("Component")
    }
}

pub(super) struct Builder<'a> {
    pub files: &'a dyn Files,
    pub used: BTreeSet<String>,
    pub bases: BTreeSet<String>,
    /// Kustomization dirs being built, outermost first: entering one twice is a cycle.
    stack: Vec<String>,
    loads: usize,
}

impl<'a> Builder<'a> {
    pub fn new(files: &'a dyn Files) -> Builder<'a> {
        Builder {
            files,
            used: BTreeSet::new(),
            bases: BTreeSet::new(),
            stack: Vec::new(),
            loads: 0,
        }
    }

    /// Builds `dir` as the top kustomization: after everything is gathered and transformed,
    /// generated names get their hash and references follow renamed objects.
    pub fn top(&mut self, dir: &str) -> Result<(String, Vec<Resource>), BuildError> {
        let kustomization = self.load(dir, None)?;
        if kustomization.is_component() {
            return Err(BuildError::new(
                format!(
                    "{}: a Component cannot be built on its own",
                    kustomization.path
                ),
                kustomization.loc_of("kind"),
            ));
        }
        let mut resources = self.accumulate(&kustomization, Vec::new())?;
        names::finish(&mut resources);
        names::sort_legacy(&mut resources);
        Ok((kustomization.path, resources))
    }

    /// Reads the kustomization file of `dir`; `loc` is where it was referred to from.
    fn load(&mut self, dir: &str, loc: Option<Loc>) -> Result<Kustomization, BuildError> {
        self.loads += 1;
        if self.loads > MAX_LOADS {
            return Err(BuildError::new("too many kustomizations in one build", loc));
        }
        let path = paths::kustomization_file(dir, self.files).ok_or_else(|| {
            let shown = if dir.is_empty() { "." } else { dir };
            BuildError::new(
                format!("{shown}: no kustomization.yaml in this directory"),
                loc,
            )
        })?;
        let mut trees = self.read_yaml(&path, loc)?;
        if trees.len() != 1 {
            return Err(BuildError::new(
                format!("{path}: a kustomization is one YAML document"),
                loc,
            ));
        }
        let (tree, root) = trees.swap_remove(0);
        if !matches!(tree.value(root), Value::Map(_)) {
            return Err(BuildError::new(
                format!("{path}: a kustomization is a mapping"),
                tree.loc(root),
            ));
        }
        let kustomization = Kustomization {
            file: self.files.file_id(&path),
            dir: dir.to_owned(),
            path,
            tree,
            root,
        };
        Ok(kustomization)
    }

    /// One kustomization's resources, bases and components added to `input` (the objects a
    /// component applies to), then its generators and transformers run over all of them.
    fn accumulate(
        &mut self,
        kustomization: &Kustomization,
        input: Vec<Resource>,
    ) -> Result<Vec<Resource>, BuildError> {
        if self.stack.contains(&kustomization.dir) {
            return Err(BuildError::new(
                format!(
                    "{}: kustomizations refer to each other in a cycle",
                    kustomization.path
                ),
                None,
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(BuildError::new(
                format!("{}: kustomizations nested too deep", kustomization.path),
                None,
            ));
        }
        if let Some(field) = UNSUPPORTED.iter().find(|f| kustomization.get(f).is_some()) {
            return Err(BuildError::new(
                format!(
                    "{}: `{field}` is not supported by golive's Kustomize build",
                    kustomization.path
                ),
                kustomization.loc_of(field),
            ));
        }
        self.stack.push(kustomization.dir.clone());
        let result = self.accumulate_inside(kustomization, input);
        self.stack.pop();
        result
    }

    fn accumulate_inside(
        &mut self,
        kustomization: &Kustomization,
        mut out: Vec<Resource>,
    ) -> Result<Vec<Resource>, BuildError> {
        // `bases` is the legacy spelling of directory resources; kustomize appends them last.
        let mut references = kustomization.strings("resources");
        references.extend(kustomization.strings("bases"));
        for (reference, loc) in references {
            let found = self.resource(kustomization, &reference, loc)?;
            add_all(&mut out, found, loc)?;
        }
        for (reference, loc) in kustomization.strings("components") {
            let dir = self.local_path(kustomization, &reference, loc)?;
            let component = self.load(&dir, loc)?;
            if !component.is_component() {
                return Err(BuildError::new(
                    format!(
                        "{}: a component must have `kind: Component`",
                        component.path
                    ),
                    loc,
                ));
            }
            self.bases.insert(dir);
            out = self.accumulate(&component, out)?;
        }
        generator::generate(self, kustomization, &mut out)?;
        patch::strategic_merge_list(self, kustomization, &mut out)?;
        patch::patches(self, kustomization, &mut out)?;
        transform::namespace(kustomization, &mut out);
        transform::name_affixes(kustomization, &mut out);
        transform::labels(kustomization, &mut out)?;
        transform::annotations(kustomization, &mut out);
        patch::json6902_list(self, kustomization, &mut out)?;
        transform::replicas(kustomization, &mut out)?;
        transform::images(kustomization, &mut out)?;
        Ok(out)
    }

    /// The objects of one `resources:` entry: a file's objects, or a directory's build.
    fn resource(
        &mut self,
        kustomization: &Kustomization,
        reference: &str,
        loc: Option<Loc>,
    ) -> Result<Vec<Resource>, BuildError> {
        let path = self.local_path(kustomization, reference, loc)?;
        if self.files.is_dir(&path) {
            let base = self.load(&path, loc)?;
            if base.is_component() {
                return Err(BuildError::new(
                    format!("{}: a Component belongs under `components:`", base.path),
                    loc,
                ));
            }
            self.bases.insert(path);
            return self.accumulate(&base, Vec::new());
        }
        let path = self.local_file(kustomization, reference, loc)?;
        self.read_objects(&path, loc)
    }

    /// A reference resolved inside the scanned root; remote ones are refused, not fetched.
    pub fn local_path(
        &self,
        kustomization: &Kustomization,
        reference: &str,
        loc: Option<Loc>,
    ) -> Result<String, BuildError> {
        if paths::is_remote(reference) {
            return Err(BuildError::new(
                format!("remote resource `{reference}` is not fetched: golive builds offline"),
                loc,
            ));
        }
        paths::normalize(&kustomization.dir, reference.trim()).ok_or_else(|| {
            BuildError::new(format!("`{reference}` leaves the scanned directory"), loc)
        })
    }

    /// A file reference: kustomize's default load restrictor only reads files in or below the
    /// kustomization's own directory (other directories are reached through their own
    /// kustomization).
    pub fn local_file(
        &self,
        kustomization: &Kustomization,
        reference: &str,
        loc: Option<Loc>,
    ) -> Result<String, BuildError> {
        let path = self.local_path(kustomization, reference, loc)?;
        let dir = &kustomization.dir;
        let inside = dir.is_empty()
            || path
                .strip_prefix(dir.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        if !inside {
            return Err(BuildError::new(
                format!(
                    "`{reference}` is outside {}: kustomize only reads files in or below the \
                     kustomization's directory",
                    if dir.is_empty() { "." } else { dir }
                ),
                loc,
            ));
        }
        Ok(path)
    }

    /// The Kubernetes objects of a YAML file (`List`s unpacked), each in its own tree.
    pub fn read_objects(
        &mut self,
        path: &str,
        loc: Option<Loc>,
    ) -> Result<Vec<Resource>, BuildError> {
        let mut out = Vec::new();
        for (tree, root) in self.read_yaml(path, loc)? {
            let roots = if kubernetes::kind(&tree, root) == "List" {
                tree.get(root, "items")
                    .map(|i| tree.items(i).to_vec())
                    .unwrap_or_default()
            } else {
                vec![root]
            };
            for node in roots {
                if !kubernetes::is_object(&tree, node) {
                    return Err(BuildError::new(
                        format!("{path}: a resource needs apiVersion, kind and metadata"),
                        tree.loc(node).or(loc),
                    ));
                }
                let mut own = Tree::new();
                let root = own.import(&tree, node);
                out.push(Resource::new(own, root));
                if out.len() > MAX_RESOURCES {
                    return Err(BuildError::new(format!("{path}: too many objects"), loc));
                }
            }
        }
        Ok(out)
    }

    /// The non-empty YAML documents of a file, located in it; the file counts as used.
    pub fn read_yaml(
        &mut self,
        path: &str,
        loc: Option<Loc>,
    ) -> Result<Vec<(Tree, NodeId)>, BuildError> {
        let missing = || BuildError::new(format!("{path}: no such file"), loc);
        if let Some(text) = self.files.text(path) {
            self.used.insert(path.to_owned());
            let file = self.files.file_id(path).ok_or_else(missing)?;
            let loaded = yaml::load(file, text);
            if let Some(error) = loaded.errors.first() {
                return Err(BuildError::new(
                    format!("{path}: {}", error.message),
                    error.span.map(|s| Loc { file, span: s }),
                ));
            }
            return Ok(loaded
                .documents
                .into_iter()
                .filter(|d| !matches!(d.tree.value(d.root), Value::Null))
                .map(|d| (d.tree, d.root))
                .collect());
        }
        // The text may have been let go after parsing: the parsed documents still carry every
        // location, only the facts derived for linting must not become part of the object.
        let documents = self.files.documents(path).ok_or_else(missing)?;
        self.used.insert(path.to_owned());
        Ok(documents
            .iter()
            .map(|d| {
                let mut tree = Tree::new();
                let root = tree.import(&d.tree, d.root);
                if d.kind == crate::model::DocKind::Kubernetes {
                    super::remove_key(&mut tree, root, "pod");
                }
                (tree, root)
            })
            .collect())
    }

    /// A file's text (for generators), with its id; the file counts as used.
    pub fn read_text(
        &mut self,
        path: &str,
        loc: Option<Loc>,
    ) -> Result<(String, Option<FileId>), BuildError> {
        let text = self
            .files
            .text(path)
            .ok_or_else(|| BuildError::new(format!("{path}: no such file"), loc))?;
        self.used.insert(path.to_owned());
        Ok((text.to_owned(), self.files.file_id(path)))
    }
}

/// Adds `found` to `out`, refusing a second object with the same id as kustomize does.
fn add_all(
    out: &mut Vec<Resource>,
    found: Vec<Resource>,
    loc: Option<Loc>,
) -> Result<(), BuildError> {
    for resource in found {
        let id = resource.id();
        if out.iter().any(|r| r.id() == id) {
            return Err(BuildError::new(
                format!("{}/{} is added twice", id.1, id.3),
                loc,
            ));
        }
        out.push(resource);
        if out.len() > MAX_RESOURCES {
            return Err(BuildError::new("too many objects in one build", loc));
        }
    }
    Ok(())
}

/// The kustomization dirs `dir`'s kustomization refers to (resources that are directories,
/// bases, components); unreadable or remote references are left out.
pub(super) fn referenced_dirs(dir: &str, files: &dyn Files) -> Vec<String> {
    let mut builder = Builder::new(files);
    let Ok(kustomization) = builder.load(dir, None) else {
        return Vec::new();
    };
    ["resources", "bases", "components"]
        .iter()
        .flat_map(|key| kustomization.strings(key))
        .filter_map(|(reference, _)| builder.local_path(&kustomization, &reference, None).ok())
        .filter(|path| files.is_dir(path))
        .collect()
}
