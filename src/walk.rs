//! The repository walk: every file golive may read, sorted by path, never leaving the root.
//!
//! `.gitignore` files (and the root's `.git/info/exclude`) are honoured even outside a git
//! checkout, and no ignore file above the root is opened; hidden folders are walked (`.github`
//! holds CI and CODEOWNERS); symlinks are never followed, and a symlinked file is read only when
//! its target lies inside the root.

use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use globset::GlobSet;
use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::classify::{self, SKIPPED_DIRS};
use crate::model::DocKind;

/// A file the walk found and classified.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub absolute: PathBuf,
    pub kind: DocKind,
    pub size: u64,
    /// Why the file is listed but not read (too large, link out of the root, …).
    pub skip: Option<String>,
}

pub struct WalkOptions<'a> {
    pub exclude: Option<&'a GlobSet>,
    pub max_file_size: u64,
    /// Walk on every core (one repository), or on the calling thread (one service of a fleet,
    /// whose services are scanned in parallel already).
    pub parallel: bool,
}

/// What the walk found: files golive reads, and the paths of every other file (evidence such as
/// `CODEOWNERS` or `.dockerignore` that rules look for by name).
#[derive(Debug, Default)]
pub struct Walk {
    pub entries: Vec<Entry>,
    pub other_files: Vec<String>,
}

pub fn walk(root: &Path, options: &WalkOptions<'_>) -> Walk {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let excluded = git_exclude(root);
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        // `.gitignore` is read as a custom ignore file, and `.git/info/exclude` by `git_exclude`:
        // the walker's own git support opens the ignore files of every directory above the
        // root too, even with `parents(false)`, which only stops it applying them.
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .add_custom_ignore_filename(".gitignore")
        .ignore(true)
        .parents(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let skipped =
                is_dir && SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref());
            !skipped && !excluded.matched(entry.path(), is_dir).is_ignore()
        });
    let found = std::sync::Mutex::new(Walk::default());
    let keep = |entry: ignore::DirEntry| {
        if let Some(visited) = visit(root, &canonical_root, options, &entry) {
            // Another walker's panic leaves the list as it was: keep adding to it.
            let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
            match visited {
                Visited::Read(entry) => found.entries.push(entry),
                Visited::Other(path) => found.other_files.push(path),
            }
        }
    };
    if options.parallel {
        // Directory listing, ignore matching and the stat of each file run on every core.
        builder
            .threads(rayon::current_num_threads())
            .build_parallel()
            .run(|| {
                let keep = &keep;
                Box::new(move |entry| {
                    if let Ok(entry) = entry {
                        keep(entry);
                    }
                    ignore::WalkState::Continue
                })
            });
    } else {
        builder.build().flatten().for_each(keep);
    }
    // Sorted, so the result does not depend on the order threads found things in.
    let mut walk = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    walk.entries.sort_by(|a, b| a.path.cmp(&b.path));
    walk.other_files.sort();
    walk
}

/// The root's own `.git/info/exclude` (the repository's untracked ignore list), if any.
fn git_exclude(root: &Path) -> Gitignore {
    let file = root.join(".git").join("info").join("exclude");
    if !file.is_file() {
        return Gitignore::empty();
    }
    let mut builder = GitignoreBuilder::new(root);
    // Unreadable or invalid lines are skipped, as git skips them.
    let _ = builder.add(file);
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

enum Visited {
    Read(Entry),
    Other(String),
}

fn visit(
    root: &Path,
    canonical_root: &Path,
    options: &WalkOptions<'_>,
    entry: &ignore::DirEntry,
) -> Option<Visited> {
    let file_type = entry.file_type()?;
    if file_type.is_dir() {
        return None;
    }
    let relative = entry
        .path()
        .strip_prefix(root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    if options
        .exclude
        .is_some_and(|globs| globs.is_match(&relative))
    {
        return None;
    }
    let Some(kind) = classify::classify(&relative) else {
        return Some(Visited::Other(relative));
    };
    Some(Visited::Read(describe(
        entry.path(),
        relative,
        kind,
        file_type.is_symlink(),
        canonical_root,
        options.max_file_size,
    )))
}

/// An entry for a file the walk listed but did not classify (a chart's `_helpers.tpl`, a file
/// a template reads with `.Files.Get`), to be read as `kind` after all.
pub fn unclassified(root: &Path, relative: &str, kind: DocKind, max_file_size: u64) -> Entry {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let path = root.join(relative);
    let is_symlink = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    describe(
        &path,
        relative.to_owned(),
        kind,
        is_symlink,
        &canonical_root,
        max_file_size,
    )
}

fn describe(
    path: &Path,
    relative: String,
    kind: DocKind,
    is_symlink: bool,
    canonical_root: &Path,
    max_file_size: u64,
) -> Entry {
    let mut skip = None;
    if is_symlink {
        match path.canonicalize() {
            Ok(target) if target.starts_with(canonical_root) && target.is_file() => {}
            Ok(_) => skip = Some("symbolic link to a file outside the scanned root".to_owned()),
            Err(_) => skip = Some("broken or looping symbolic link".to_owned()),
        }
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if skip.is_none() && size > max_file_size {
        skip = Some(format!(
            "larger than the {} size cap",
            human_size(max_file_size)
        ));
    }
    Entry {
        path: relative,
        absolute: path.to_path_buf(),
        kind,
        size,
        skip,
    }
}

pub fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn walked(root: &Path) -> Vec<String> {
        let options = WalkOptions {
            exclude: None,
            max_file_size: 1 << 20,
            parallel: false,
        };
        walk(root, &options)
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect()
    }

    #[test]
    fn ignore_files_inside_the_root_apply_and_those_above_it_do_not() {
        let outer = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = outer.path().join("service");
        write(&outer.path().join(".gitignore"), "*.md\n");
        write(&root.join(".gitignore"), "generated/\n");
        write(&root.join("deploy/.gitignore"), "local-*.yaml\n");
        write(&root.join(".git/info/exclude"), "scratch.yaml\n");
        for file in [
            "README.md",
            "generated/Dockerfile",
            "deploy/app.yaml",
            "deploy/local-dev.yaml",
            "scratch.yaml",
        ] {
            write(&root.join(file), "kind: x\n");
        }
        assert_eq!(walked(&root), ["README.md", "deploy/app.yaml"]);
    }

    /// An ignore file above the root is never even opened: a FIFO there would block the walk.
    #[cfg(unix)]
    #[test]
    fn no_ignore_file_above_the_root_is_opened() {
        let outer = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = outer.path().join("service");
        write(&root.join("Dockerfile"), "FROM scratch\n");
        let fifo = outer.path().join(".gitignore");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to prove with
        }
        let (done, finished) = std::sync::mpsc::channel();
        let scanned = root.clone();
        std::thread::spawn(move || {
            let _ = done.send(walked(&scanned));
        });
        // Generous: a walk of one file takes milliseconds; this only tells a hang from a pass.
        let result = finished.recv_timeout(std::time::Duration::from_secs(60));
        if result.is_err() {
            // Unblock the walker's open before failing.
            let _ = std::fs::write(&fifo, "");
        }
        assert_eq!(result.ok(), Some(vec!["Dockerfile".to_owned()]));
    }
}
