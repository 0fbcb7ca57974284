//! Paths a kustomization names: joined to its directory inside the scanned root, and told apart
//! from remote references (which are never fetched).

use super::Files;

/// The names `kustomize build` looks for in a directory, in its order of preference.
const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `dir` + `reference` with `.` and `..` resolved; `None` when the result would leave the
/// scanned root or `reference` is absolute.
pub(super) fn normalize(dir: &str, reference: &str) -> Option<String> {
    if reference.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// `dir/name`, or `name` at the root.
pub(super) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// A reference kustomize would download: a URL, a git address or a host-qualified repository
/// path (`github.com/org/repo/dir?ref=v1`).
pub(super) fn is_remote(reference: &str) -> bool {
    let reference = reference.trim();
    let first = reference.split('/').next().unwrap_or("");
    reference.contains("://")
        || reference.starts_with("git@")
        || reference.starts_with("git::")
        || reference.contains("?ref=")
        || matches!(
            first,
            "github.com" | "gitlab.com" | "bitbucket.org" | "dev.azure.com"
        )
}

/// The kustomization file of `dir`, if it has one.
pub(super) fn kustomization_file(dir: &str, files: &dyn Files) -> Option<String> {
    KUSTOMIZATION_NAMES
        .iter()
        .map(|name| join(dir, name))
        .find(|path| files.text(path).is_some() || files.documents(path).is_some())
}

/// The last component of a path.
pub(super) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        assert_eq!(
            normalize("overlays/prod", "../../base").as_deref(),
            Some("base")
        );
        assert_eq!(normalize("", "./a/./b.yaml").as_deref(), Some("a/b.yaml"));
        assert_eq!(normalize("a", "../../x"), None);
        assert_eq!(normalize("a", "/etc/passwd"), None);
    }

    #[test]
    fn remote_references_are_recognised() {
        assert!(is_remote("https://example.com/x.yaml"));
        assert!(is_remote("github.com/org/repo/deploy?ref=v1"));
        assert!(is_remote("git@github.com:org/repo.git"));
        assert!(!is_remote("../base"));
        assert!(!is_remote("deployment.yaml"));
    }
}
