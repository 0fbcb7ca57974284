//! Reading an image reference (`registry/repository:tag@digest`) and what golive knows about the
//! user an image runs as.

/// An image reference split into its parts, as written (no `docker.io/library/` normalisation,
/// so rules can match what the author wrote).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (image, None),
        };
        // A `:` before the last `/` is a registry port, not a tag.
        let last_part = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_part..].rfind(':') {
            Some(i) => (
                &name[..last_part + i],
                Some(name[last_part + i + 1..].to_string()),
            ),
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if is_registry(first) => (Some(first.to_string()), rest),
            _ => (None, name),
        };
        ImageRef {
            registry,
            repository: repository.to_string(),
            tag,
            digest,
        }
    }

    /// A digest fixes the content; any tag but `latest` at least names a release.
    pub fn pinned(&self) -> bool {
        self.digest.is_some() || self.tag.as_deref().is_some_and(|t| t != "latest")
    }

    /// Images documented to run as a non-root user when the Dockerfile sets no `USER`:
    /// distroless `*nonroot*` tags, Chainguard images (whose `-dev` variants run as root), and
    /// the official datastore images, whose entrypoint starts the server as its own user
    /// (`gosu postgres`, `mysql`, `mongodb`, …) and refuses or drops root.
    pub fn known_non_root(&self) -> bool {
        let tag = self.tag.as_deref().unwrap_or("latest");
        if tag.contains("nonroot") {
            return true;
        }
        let official = matches!(self.registry.as_deref(), None | Some("docker.io"));
        let name = self
            .repository
            .strip_prefix("library/")
            .unwrap_or(&self.repository);
        if official && DROPS_ROOT.contains(&name) {
            return true;
        }
        let chainguard = self.registry.as_deref() == Some("cgr.dev")
            && self.repository.starts_with("chainguard/");
        chainguard && tag != "dev" && !tag.ends_with("-dev")
    }
}

/// Official Docker images whose entrypoint runs the server as an unprivileged user of its own.
const DROPS_ROOT: [&str; 8] = [
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "valkey/valkey",
    "rabbitmq",
    "cassandra",
];

/// Docker's rule: the first path component is a registry host when it looks like one.
fn is_registry(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost"
}

/// `root`, `0`, `root:group`, `0:group` — the user part decides, whatever the group.
pub fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(image: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let r = ImageRef::parse(image);
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn splits_registry_repository_tag_digest() {
        assert_eq!(parts("node"), (None, "node".into(), None, None));
        assert_eq!(
            parts("library/node:20"),
            (None, "library/node".into(), Some("20".into()), None)
        );
        assert_eq!(
            parts("gcr.io/distroless/static:nonroot"),
            (
                Some("gcr.io".into()),
                "distroless/static".into(),
                Some("nonroot".into()),
                None
            )
        );
        assert_eq!(
            parts("localhost:5000/app@sha256:abc"),
            (
                Some("localhost:5000".into()),
                "app".into(),
                None,
                Some("sha256:abc".into())
            )
        );
    }

    #[test]
    fn pinning() {
        assert!(!ImageRef::parse("node").pinned());
        assert!(!ImageRef::parse("node:latest").pinned());
        assert!(ImageRef::parse("node:20").pinned());
        assert!(ImageRef::parse("node@sha256:abc").pinned());
    }

    #[test]
    fn root_detection() {
        assert!(is_root_user("root"));
        assert!(is_root_user("0"));
        assert!(is_root_user("0:0"));
        assert!(is_root_user("root:staff"));
        assert!(!is_root_user("1000:0"));
        assert!(!is_root_user("node"));
        assert!(!is_root_user("rootless"));
        assert!(ImageRef::parse("gcr.io/distroless/static:nonroot").known_non_root());
        assert!(ImageRef::parse("postgres:16-alpine").known_non_root());
        assert!(ImageRef::parse("docker.io/library/mongo:7").known_non_root());
        assert!(!ImageRef::parse("ghcr.io/acme/postgres:16").known_non_root());
        assert!(ImageRef::parse("gcr.io/distroless/base:latest-nonroot").known_non_root());
        assert!(ImageRef::parse("cgr.dev/chainguard/static").known_non_root());
        assert!(!ImageRef::parse("cgr.dev/chainguard/node:latest-dev").known_non_root());
        assert!(!ImageRef::parse("gcr.io/distroless/static").known_non_root());
        assert!(!ImageRef::parse("node:20").known_non_root());
    }
}
