//! Dependency manifests (go.mod, package.json, requirements.txt, pyproject.toml, Pipfile,
//! Cargo.toml, pom.xml, build.gradle, *.csproj, Gemfile, composer.json, mix.exs) → one document listing declared dependencies with
//! spans.
//!
//! Each format has its own small reader; they share the `Dep` record and the tree shape
//! `{ecosystem, language, dependencies[*]: {name, version, dev}}`. `version` is the requirement
//! as written (`^1.2`, `>=2,<3`, `v1.4.0`, `${spring.version}`), not a resolved version.

mod cargo;
mod gemfile;
mod gomod;
mod gradle;
mod maven;
mod mix;
mod npm;
mod nuget;
mod pip;
mod python_toml;
mod toml_walk;
mod xml_scan;

use std::ops::Range;

use super::{ParseError, Parsed};
use crate::model::{DocKind, Document, Tree};
use crate::source::{FileId, Loc, Span};

/// One declared dependency; `span` covers the declaration (line, entry or element).
#[derive(Debug, Clone)]
struct Dep {
    name: String,
    version: Option<String>,
    dev: bool,
    span: Range<usize>,
}

/// What a format reader recovered, with the problems it met on the way.
#[derive(Debug, Default)]
struct Found {
    deps: Vec<Dep>,
    errors: Vec<ParseError>,
}

impl Found {
    fn error(&mut self, message: impl Into<String>, span: Range<usize>) {
        self.errors.push(ParseError::new(
            message,
            Some(Span::new(span.start, span.end)),
        ));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    GoMod,
    PackageJson,
    Requirements,
    Pyproject,
    Pipfile,
    Cargo,
    Pom,
    Gradle,
    NuGet,
    Gemfile,
    Composer,
    Mix,
}

impl Format {
    fn of(path: &str) -> Option<Format> {
        let normalized = path.replace('\\', "/");
        let mut parts = normalized.rsplit('/');
        let name = parts.next().unwrap_or("");
        let parent = parts.next().unwrap_or("");
        Some(match name {
            "go.mod" => Format::GoMod,
            "package.json" => Format::PackageJson,
            "pyproject.toml" => Format::Pyproject,
            "Pipfile" => Format::Pipfile,
            "Cargo.toml" => Format::Cargo,
            "pom.xml" => Format::Pom,
            "build.gradle" | "build.gradle.kts" => Format::Gradle,
            "Directory.Packages.props" => Format::NuGet,
            "Gemfile" => Format::Gemfile,
            "composer.json" => Format::Composer,
            "mix.exs" => Format::Mix,
            _ if name.ends_with(".csproj") => Format::NuGet,
            _ if is_requirements(name, parent) => Format::Requirements,
            _ => return None,
        })
    }

    fn ecosystem(self) -> &'static str {
        match self {
            Format::GoMod => "gomod",
            Format::PackageJson => "npm",
            Format::Requirements | Format::Pyproject | Format::Pipfile => "pip",
            Format::Cargo => "cargo",
            Format::Pom | Format::Gradle => "maven",
            Format::NuGet => "nuget",
            Format::Gemfile => "rubygems",
            Format::Composer => "composer",
            Format::Mix => "hex",
        }
    }

    fn language(self) -> &'static str {
        match self {
            Format::GoMod => "go",
            Format::PackageJson => "node",
            Format::Requirements | Format::Pyproject | Format::Pipfile => "python",
            Format::Cargo => "rust",
            Format::Pom | Format::Gradle => "java",
            Format::NuGet => "dotnet",
            Format::Gemfile => "ruby",
            Format::Composer => "php",
            Format::Mix => "elixir",
        }
    }

    fn read(self, text: &str) -> Found {
        match self {
            Format::GoMod => gomod::read(text),
            Format::PackageJson => npm::read(text),
            Format::Requirements => pip::read(text),
            Format::Pyproject => python_toml::read_pyproject(text),
            Format::Pipfile => python_toml::read_pipfile(text),
            Format::Cargo => cargo::read(text),
            Format::Pom => maven::read(text),
            Format::Gradle => gradle::read(text),
            Format::NuGet => nuget::read(text),
            Format::Gemfile => gemfile::read(text),
            Format::Composer => npm::read_composer(text),
            Format::Mix => mix::read(text),
        }
    }
}

/// pip requirement files: `requirements*.txt`, pip-tools' `requirements*.in`, and any `.txt` or
/// `.in` inside a `requirements/` folder. A bare `*.in` would also catch `Makefile.in`.
fn is_requirements(name: &str, parent: &str) -> bool {
    let listed = name.ends_with(".txt") || name.ends_with(".in");
    listed && (name.starts_with("requirements") || parent == "requirements")
}

pub fn is_dependency_manifest(path: &str) -> bool {
    Format::of(path).is_some()
}

pub fn parse(file: FileId, path: &str, text: &str) -> Parsed {
    let Some(format) = Format::of(path) else {
        return Parsed::failed(ParseError::new(
            format!("`{path}` is not a dependency manifest golive reads"),
            None,
        ));
    };
    let mut found = format.read(text);
    // Readers backed by TOML tables see keys sorted; file order is what a reader expects.
    found.deps.sort_by_key(|d| (d.span.start, d.span.end));
    let mut tree = Tree::new();
    let root = tree.map(Some(Loc::new(file, 0, text.len())));
    let ecosystem = tree.str(format.ecosystem(), None);
    tree.insert(root, "ecosystem", ecosystem);
    let language = tree.str(format.language(), None);
    tree.insert(root, "language", language);
    let deps = tree.seq(None);
    for dep in &found.deps {
        let item = dep_node(&mut tree, file, dep);
        tree.push(deps, item);
    }
    tree.insert(root, "dependencies", deps);
    Parsed {
        duplicate_keys: Vec::new(),
        documents: vec![Document::new(DocKind::Dependencies, file, tree, root)],
        errors: found.errors,
    }
}

fn dep_node(tree: &mut Tree, file: FileId, dep: &Dep) -> crate::model::NodeId {
    let loc = Some(Loc::new(file, dep.span.start, dep.span.end));
    let item = tree.map(loc);
    let name = tree.str(dep.name.as_str(), loc);
    tree.insert(item, "name", name);
    let version = match &dep.version {
        Some(v) => tree.str(v.as_str(), loc),
        None => tree.null(loc),
    };
    tree.insert(item, "version", version);
    let dev = tree.bool(dep.dev, None);
    tree.insert(item, "dev", dev);
    item
}

/// Lines of a text with the byte offset each starts at (line breaks excluded).
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |offset, line| {
        let start = *offset;
        *offset += line.len();
        Some((start, line.trim_end_matches(['\n', '\r'])))
    })
}

/// Byte range of `part` inside `whole`, when `part` is a sub-slice of it.
fn subslice_range(whole: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    let start = start.min(whole.len());
    start..(start + part.len()).min(whole.len())
}
