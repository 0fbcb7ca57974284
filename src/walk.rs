//! The repository walk: every file golive may read, sorted by path, never leaving the root.
//!
//! `.gitignore` is honoured even outside a git checkout; hidden folders are walked (`.github`
//! holds CI and CODEOWNERS); symlinks are never followed, and a symlinked file is read only when
//! its target lies inside the root.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use ignore::WalkBuilder;

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
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .ignore(true)
        .parents(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.contains(&name.as_ref()))
        })
        .build();
    let mut entries = Vec::new();
    let mut other_files = Vec::new();
    for entry in walker.flatten() {
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            continue;
        }
        let relative = match entry.path().strip_prefix(root) {
            Ok(relative) => relative.to_string_lossy().replace('\\', "/"),
            Err(_) => continue,
        };
        if options
            .exclude
            .is_some_and(|globs| globs.is_match(&relative))
        {
            continue;
        }
        let Some(kind) = classify::classify(&relative) else {
            other_files.push(relative);
            continue;
        };
        let mut skip = None;
        if file_type.is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&canonical_root) && target.is_file() => {}
                Ok(_) => skip = Some("symbolic link to a file outside the scanned root".to_owned()),
                Err(_) => skip = Some("broken or looping symbolic link".to_owned()),
            }
        }
        let size = std::fs::metadata(entry.path())
            .map(|m| m.len())
            .unwrap_or(0);
        if skip.is_none() && size > options.max_file_size {
            skip = Some(format!(
                "larger than the {} size cap",
                human_size(options.max_file_size)
            ));
        }
        entries.push(Entry {
            path: relative,
            absolute: entry.path().to_path_buf(),
            kind,
            size,
            skip,
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    other_files.sort();
    Walk {
        entries,
        other_files,
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
