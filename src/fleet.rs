//! Fleet mode: which directories of a monorepo are services (`--discover`, `[fleet] services`),
//! and which of them one CI shard scores (`--shard K/N`).
//!
//! Default discovery is by evidence, not by folder names: a directory is a service when it
//! holds a container build file (Dockerfile, Containerfile, `*.Dockerfile`), or a README next
//! to deployment manifests (a compose file, a Helm `Chart.yaml`, a `kustomization.yaml`, or a
//! `k8s/`, `kubernetes/`, `deploy/`, `manifests/`, `helm/` or `chart/` folder). The search goes
//! at most [`DISCOVERY_DEPTH`] levels below the root, never into a service (no nested services:
//! a service's `worker/Dockerfile` is part of it), nor into [`SKIPPED_DIRS`], hidden folders or
//! symlinks. `[fleet] services` globs replace the evidence rule with exact paths.
//!
//! Shards are chosen by a stable hash (FNV-1a) of the service's path relative to the monorepo
//! root, not by position in the sorted list: a service stays on its shard when others are added
//! or removed, so per-shard caches and logs stay put, whatever the folder golive runs from.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::classify::{SKIPPED_DIRS, is_dockerfile};
use crate::config::Config;
use crate::problems::FileProblems;
use crate::settings;

/// How deep below the monorepo root default discovery looks (`services/team/api` is 3).
pub const DISCOVERY_DEPTH: usize = 3;

/// Files that, next to a README, say "this folder is deployed".
const MANIFEST_FILES: [&str; 7] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "Chart.yaml",
    "kustomization.yaml",
    "kustomization.yml",
];

const MANIFEST_DIRS: [&str; 6] = ["k8s", "kubernetes", "deploy", "manifests", "helm", "chart"];

/// `--shard K/N`: the K-th (1-based) of N shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}` is not K/N (e.g. 2/5: the second of five shards)");
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let index: u64 = k.trim().parse().map_err(|_| usage())?;
        let count: u64 = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count} does not exist: K counts from 1 to N"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the service with this key (its path relative to the monorepo root) is ours.
    pub fn holds(&self, key: &str) -> bool {
        let bucket = crate::hash::fnv1a_128(key.as_bytes()) % u128::from(self.count);
        bucket == u128::from(self.index - 1)
    }
}

/// The `[fleet] services` globs of a settings file, compiled; a bad glob points at its line.
pub fn service_globs(
    loaded: Option<&(PathBuf, String, Config)>,
) -> Result<Option<ServiceGlobs>, miette::Report> {
    let Some((path, text, config)) = loaded else {
        return Ok(None);
    };
    if config.fleet.services.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    let mut problems = Vec::new();
    let mut depth = Some(0);
    for glob in &config.fleet.services {
        let pattern = glob.get_ref().trim_end_matches('/');
        // `services/*` must not match `services/a/b`: `*` stays within one folder.
        match GlobBuilder::new(pattern).literal_separator(true).build() {
            Ok(compiled) => {
                builder.add(compiled);
                depth = depth
                    .filter(|_| !pattern.contains("**"))
                    .map(|d: usize| d.max(pattern.split('/').count()));
            }
            Err(error) => problems.push((
                format!("invalid glob `{pattern}`: {}", error.kind()),
                Some(glob.span().start),
            )),
        }
    }
    let set = builder.build().map_err(|e| miette::miette!("{e}"));
    if !problems.is_empty() {
        let shown = path.display().to_string();
        return Err(FileProblems::new("settings file", &shown, text, problems).into());
    }
    Ok(Some(ServiceGlobs { set: set?, depth }))
}

/// Compiled `[fleet] services` globs and the deepest folder they can match (`None`: `**`).
pub struct ServiceGlobs {
    set: GlobSet,
    depth: Option<usize>,
}

/// The services under `root`, as `/`-separated paths relative to it, sorted.
pub fn discover(root: &Path, globs: Option<&ServiceGlobs>) -> std::io::Result<Vec<String>> {
    let rule = match globs {
        Some(globs) => Rule::Globs(globs),
        None => Rule::Evidence,
    };
    let mut found = Vec::new();
    visit(root, "", 1, &rule, &mut found)?;
    found.sort();
    Ok(found)
}

enum Rule<'a> {
    Evidence,
    Globs(&'a ServiceGlobs),
}

impl Rule<'_> {
    fn is_service(&self, dir: &Path, relative: &str) -> std::io::Result<bool> {
        match self {
            Rule::Evidence => has_service_evidence(dir),
            Rule::Globs(globs) => Ok(globs.set.is_match(relative)),
        }
    }

    fn max_depth(&self) -> Option<usize> {
        match self {
            Rule::Evidence => Some(DISCOVERY_DEPTH),
            Rule::Globs(globs) => globs.depth,
        }
    }
}

fn visit(
    dir: &Path,
    relative: &str,
    depth: usize,
    rule: &Rule<'_>,
    found: &mut Vec<String>,
) -> std::io::Result<()> {
    if rule.max_depth().is_some_and(|max| depth > max) {
        return Ok(());
    }
    for (name, path) in subdirectories(dir)? {
        let child = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        if rule.is_service(&path, &child)? {
            found.push(child);
        } else {
            visit(&path, &child, depth + 1, rule, found)?;
        }
    }
    Ok(())
}

/// Real (not symlinked) subfolders worth searching, as (name, path).
fn subdirectories(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) {
            continue;
        }
        dirs.push((name, entry.path()));
    }
    Ok(dirs)
}

fn has_service_evidence(dir: &Path) -> std::io::Result<bool> {
    let (mut readme, mut manifests) = (false, false);
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_dir = entry.file_type()?.is_dir();
        if !is_dir && is_dockerfile(&name) {
            return Ok(true);
        }
        readme |= !is_dir && name.to_ascii_lowercase().starts_with("readme");
        manifests |= if is_dir {
            MANIFEST_DIRS.contains(&name.as_ref())
        } else {
            MANIFEST_FILES.contains(&name.as_ref())
        };
    }
    Ok(readme && manifests)
}

/// One service to score.
pub struct Service {
    /// The report's target: the PATH as given, joined with the service's folder.
    pub target: String,
    /// The folder to scan; `None` for `-` (manifests on stdin).
    pub dir: Option<PathBuf>,
    /// The settings file it is scored with, if any.
    pub config: Option<PathBuf>,
    /// A discovered service: its monorepo (an index into [`Plan::roots`]) and its folder
    /// there, so it inherits the root's evidence (`pipeline::inherit`).
    pub member_of: Option<(usize, String)>,
    /// What `--shard` hashes: the path relative to the monorepo root, or the PATH as given.
    key: String,
}

/// The services of one `check` run. `fleet`: discovery or sharding is on, so the output is a
/// fleet report even when it holds one service (or none).
pub struct Plan {
    pub services: Vec<Service>,
    pub fleet: bool,
    /// The monorepos services were discovered in.
    pub roots: Vec<PathBuf>,
}

/// What a `check` run asks of the fleet: discovery, one shard, one settings file for all.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    /// `--discover`: score each service found under a PATH.
    pub discover: bool,
    pub shard: Option<Shard>,
    /// `--config`: one settings file for every service.
    pub config: Option<&'a Path>,
}

/// Turns the PATHs of `check` into services: each PATH itself, or the services discovered in
/// it (`--discover`, `[fleet] services`), sorted by target and cut to the shard.
pub fn plan(request: &Request<'_>, paths: &[PathBuf]) -> Result<Plan, miette::Report> {
    let mut fleet = request.discover || request.shard.is_some();
    let mut services = Vec::new();
    let mut roots = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        if shown == "-" {
            // Manifests on stdin are scored with the settings of the current folder.
            let loaded = settings::load_config(request.config, Path::new("."))?;
            services.push(Service {
                key: shown.clone(),
                target: shown,
                dir: None,
                config: loaded.map(|(config, ..)| config),
                member_of: None,
            });
            continue;
        }
        if !path.is_dir() {
            return Err(miette::miette!(
                help =
                    "give the folder of a service repository, or `-` to read manifests from stdin",
                "{shown}: no such directory"
            ));
        }
        let loaded = settings::load_config(request.config, path)?;
        let globs = service_globs(loaded.as_ref())?;
        let root_config = loaded.map(|(config, ..)| config);
        if !request.discover && globs.is_none() {
            services.push(Service {
                key: normalize(&shown),
                target: shown,
                dir: Some(path.clone()),
                config: root_config,
                member_of: None,
            });
            continue;
        }
        fleet = true;
        let found = discovered(path, &shown, globs.as_ref())?;
        let root = roots.len();
        roots.push(path.clone());
        services.extend(found.into_iter().map(|relative| Service {
            target: join(&shown, &relative),
            dir: Some(path.join(&relative)),
            config: service_config(request.config, &path.join(&relative), root_config.as_ref()),
            member_of: Some((root, relative.clone())),
            key: relative,
        }));
    }
    if fleet {
        services.sort_by(|a, b| a.target.cmp(&b.target));
        services.dedup_by(|a, b| a.target == b.target);
    }
    if let Some(shard) = request.shard {
        services.retain(|s| shard.holds(&s.key));
    }
    Ok(Plan {
        services,
        fleet,
        roots,
    })
}

fn discovered(
    root: &Path,
    shown: &str,
    globs: Option<&ServiceGlobs>,
) -> Result<Vec<String>, miette::Report> {
    let found = discover(root, globs)
        .map_err(|e| miette::miette!("cannot search {shown} for services: {e}"))?;
    if found.is_empty() {
        return Err(miette::miette!(
            help = "a service folder holds a Dockerfile, or a README and Kubernetes or compose \
                    manifests, at most 3 levels down; or name them with `[fleet] services` \
                    globs in golive.toml",
            "{shown}: no services found"
        ));
    }
    Ok(found)
}

/// `--config` for every service; else the service's own golive.toml; else the monorepo's. A
/// service's file replaces the root's rather than merging with it, so what scores a service
/// is one file a team can read (and `[scan] exclude` globs stay relative to that service).
fn service_config(explicit: Option<&Path>, dir: &Path, root: Option<&PathBuf>) -> Option<PathBuf> {
    if let Some(explicit) = explicit {
        return Some(explicit.to_path_buf());
    }
    let own = dir.join("golive.toml");
    if own.is_file() {
        return Some(own);
    }
    root.cloned()
}

/// `mono` + `services/a` → `mono/services/a`; `.` + `services/a` → `services/a`.
fn join(shown: &str, relative: &str) -> String {
    match normalize(shown).as_str() {
        "" | "." => relative.to_owned(),
        _ => format!("{}/{relative}", shown.trim_end_matches(['/', '\\'])),
    }
}

/// A PATH as a shard key: `/` separators, no leading `./`, no trailing `/`.
fn normalize(shown: &str) -> String {
    let slashed = shown.replace('\\', "/");
    let mut key = slashed.trim_end_matches('/');
    while let Some(rest) = key.strip_prefix("./") {
        key = rest.trim_start_matches('/');
    }
    key.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_values() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "x", "1/0", "1/", "/2", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_key_has_exactly_one_shard() {
        for key in ["services/a", "services/b", "apps/web", ""] {
            let owners = (1..=4)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: 4,
                    }
                    .holds(key)
                })
                .count();
            assert_eq!(owners, 1, "{key}");
        }
    }
}
