//! `golive init`: writes the commented starter `golive.toml`.

use std::path::{Path, PathBuf};

/// The starter settings file: the defaults made explicit, every other key shown commented out.
pub const STARTER: &str = include_str!("starter.toml");

/// Writes `golive.toml` into `dir`; an existing file is kept unless `force`.
pub fn write(dir: &Path, force: bool) -> Result<PathBuf, miette::Report> {
    if !dir.is_dir() {
        return Err(miette::miette!("{}: no such directory", dir.display()));
    }
    let path = dir.join("golive.toml");
    if path.exists() && !force {
        return Err(miette::miette!(
            help = "pass --force to replace it",
            "{} already exists",
            path.display()
        ));
    }
    std::fs::write(&path, STARTER)
        .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
