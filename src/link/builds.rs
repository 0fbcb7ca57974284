//! Images the repo's own build tooling builds and tags: skaffold `build.artifacts`, and the
//! `docker build -t` / `docker/build-push-action` / kaniko / Cloud Build steps of its CI. A
//! manifest that names such an image without a tag is not "untagged": the tool that builds it
//! substitutes the tag it just built when it deploys.

use crate::model::{DocKind, Document, NodeId, Tree};
use crate::parse::kubernetes::ImageRef;

/// One image a build tool of the repo produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Built {
    /// The repository the tool tags, without tag (`adservice`, `ghcr.io/acme/cart`).
    pub repository: String,
    /// The file saying so (`skaffold.yaml`, `.github/workflows/ci.yml`).
    pub by: String,
    /// Skaffold rewrites every reference to the artifact, whatever tag the manifest wrote; a CI
    /// step only stands for references that carry no tag at all.
    pub rewrites_tagged: bool,
}

/// Every image the repo's skaffold configs and CI files build.
pub(super) fn built_images(documents: &[Document], files: &[String]) -> Vec<Built> {
    let mut out = Vec::new();
    for doc in documents {
        if !matches!(doc.kind, DocKind::Yaml | DocKind::Kubernetes) {
            continue;
        }
        let path = files.get(doc.file as usize).map_or("", String::as_str);
        let tree = &doc.tree;
        let api = tree
            .get(doc.root, "apiVersion")
            .and_then(|a| tree.as_str(a))
            .unwrap_or("");
        let mut repositories = Vec::new();
        let rewrites_tagged = api.starts_with("skaffold/");
        if rewrites_tagged {
            skaffold_artifacts(tree, doc.root, &mut repositories);
        } else if is_ci_file(path) {
            ci_tags(tree, doc.root, &mut repositories);
        }
        for repository in repositories {
            out.push(Built {
                repository,
                by: path.to_owned(),
                rewrites_tagged,
            });
        }
    }
    out.sort_by(|a, b| (&a.repository, &a.by).cmp(&(&b.repository, &b.by)));
    out.dedup_by(|a, b| a.repository == b.repository && a.by == b.by);
    out
}

/// The build config that tags `image`, if one does.
pub(super) fn built_by<'a>(built: &'a [Built], image: &str) -> Option<&'a Built> {
    let wanted = ImageRef::parse(image);
    if wanted.digest.is_some() {
        return None;
    }
    let full = repository_of(&wanted);
    built.iter().find(|b| {
        if b.rewrites_tagged {
            b.repository == full
        } else {
            wanted.tag.is_none() && short(&b.repository) == wanted.short_name()
        }
    })
}

/// Gives each container whose image a build tool of the repo tags `facts.image.built_by`: the
/// file that tags it.
pub(super) fn mark_built(documents: &mut [Document], workload_docs: &[usize], built: &[Built]) {
    if built.is_empty() {
        return;
    }
    for d in workload_docs {
        let doc = &mut documents[*d];
        let tree = &mut doc.tree;
        let containers: Vec<NodeId> = tree
            .lookup(doc.root, "pod.all_containers")
            .map(|c| tree.items(c).to_vec())
            .unwrap_or_default();
        for container in containers {
            let image = tree.get(container, "image").and_then(|i| tree.as_str(i));
            let Some(by) = image.and_then(|i| built_by(built, i)).map(|b| b.by.clone()) else {
                continue;
            };
            let Some(facts) = tree.lookup(container, "facts.image") else {
                continue;
            };
            let node = tree.str(by, None);
            tree.insert(facts, "built_by", node);
        }
    }
}

fn repository_of(image: &ImageRef) -> String {
    match image.registry {
        Some(registry) => format!("{registry}/{}", image.repository),
        None => image.repository.to_owned(),
    }
}

fn short(repository: &str) -> &str {
    repository.rsplit('/').next().unwrap_or(repository)
}

/// `build.artifacts[*].image`, in the config and in each of its profiles.
fn skaffold_artifacts(tree: &Tree, root: NodeId, out: &mut Vec<String>) {
    let mut builds: Vec<NodeId> = tree.get(root, "build").into_iter().collect();
    for profile in tree
        .get(root, "profiles")
        .map(|p| tree.items(p).to_vec())
        .unwrap_or_default()
    {
        builds.extend(tree.get(profile, "build"));
    }
    for build in builds {
        for artifact in tree
            .get(build, "artifacts")
            .map(|a| tree.items(a).to_vec())
            .unwrap_or_default()
        {
            if let Some(image) = tree.get(artifact, "image").and_then(|i| tree.as_str(i)) {
                out.extend(literal_repository(image));
            }
        }
    }
}

fn is_ci_file(path: &str) -> bool {
    let path = crate::source::root_relative(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with(".github/workflows/")
        || name == ".gitlab-ci.yml"
        || name.starts_with("cloudbuild")
        || path.starts_with(".circleci/")
        || name == "azure-pipelines.yml"
        || name == ".drone.yml"
}

/// Image tags in a CI file: every string that holds a build command, the `tags` of
/// `docker/build-push-action` steps, and the argument lists of Cloud Build steps.
fn ci_tags(tree: &Tree, root: NodeId, out: &mut Vec<String>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if let Some(text) = tree.as_str(node) {
            out.extend(command_tags(text));
            continue;
        }
        let entries = tree.entries(node);
        if !entries.is_empty() {
            let uses = tree.get(node, "uses").and_then(|u| tree.as_str(u));
            if uses.is_some_and(|u| u.starts_with("docker/build-push-action@"))
                && let Some(tags) = tree.lookup(node, "with.tags").and_then(|t| tree.as_str(t))
            {
                out.extend(
                    tags.split([',', '\n'])
                        .filter_map(|t| literal_repository(t.trim())),
                );
            }
            if let Some(args) = tree.get(node, "args") {
                let words: Vec<String> = tree
                    .items(args)
                    .iter()
                    .filter_map(|a| tree.scalar_text(*a).map(|s| s.into_owned()))
                    .collect();
                out.extend(build_tags(&words));
            }
            stack.extend(entries.iter().rev().map(|e| e.value));
            continue;
        }
        stack.extend(tree.items(node).iter().rev().copied());
    }
}

/// The images tagged by the build commands of a shell script.
fn command_tags(script: &str) -> Vec<String> {
    if !script.contains("build") && !script.contains("--destination") {
        return Vec::new();
    }
    let joined = script.replace("\\\r\n", " ").replace("\\\n", " ");
    joined
        .split(['\n', ';', '|'])
        .flat_map(|line| line.split("&&"))
        .flat_map(|command| {
            let words = shlex::split(command)
                .unwrap_or_else(|| command.split_whitespace().map(str::to_owned).collect());
            build_tags(&words)
        })
        .collect()
}

/// `docker build -t X`, `docker buildx build --tag=X`, `podman build -t X`, `buildah bud -t X`,
/// kaniko's `--destination X`: the repositories of X.
fn build_tags(words: &[String]) -> Vec<String> {
    let builds = words.windows(2).any(|pair| {
        matches!(
            pair[0].as_str(),
            "docker" | "buildx" | "podman" | "image" | "buildah"
        ) && matches!(pair[1].as_str(), "build" | "bud")
    });
    let kaniko = words
        .iter()
        .any(|w| w == "--destination" || w.starts_with("--destination="));
    if !builds && !kaniko {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        let value = match word.as_str() {
            "-t" | "--tag" | "--destination" | "-d" => iter.next().map(String::as_str),
            w => w
                .strip_prefix("--tag=")
                .or_else(|| w.strip_prefix("--destination="))
                .or_else(|| w.strip_prefix("-t").filter(|v| !v.is_empty())),
        };
        out.extend(value.and_then(literal_repository));
    }
    out
}

/// The repository of a tag reference, when its name is written out (`$REGISTRY/cart:$SHA` →
/// `$REGISTRY/cart` is kept: its last part, `cart`, is literal); `None` when the name itself
/// comes from a variable.
fn literal_repository(reference: &str) -> Option<String> {
    let image = ImageRef::parse(reference);
    let name = image.short_name();
    if name.is_empty() || name.contains(['$', '{', '}', '(', ')', ' ']) {
        return None;
    }
    Some(repository_of(&image).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn build_commands_yield_their_tags() {
        let script = "docker build -t ghcr.io/acme/cart:$SHA -f cart/Dockerfile cart\n\
                      docker buildx build --push \\\n  --tag=frontend:${{ github.sha }} .\n\
                      echo build done && podman build -t $IMAGE .";
        assert_eq!(
            command_tags(script),
            ["ghcr.io/acme/cart", "frontend"].map(str::to_owned)
        );
        assert_eq!(
            build_tags(&words(
                "/kaniko/executor --context . --destination gcr.io/p/api:1"
            )),
            ["gcr.io/p/api".to_owned()]
        );
        assert!(build_tags(&words("go build -t x ./...")).is_empty());
        assert!(build_tags(&words("docker run -t ubuntu")).is_empty());
    }

    #[test]
    fn skaffold_rewrites_any_tag_ci_only_untagged() {
        let built = vec![
            Built {
                repository: "adservice".into(),
                by: "skaffold.yaml".into(),
                rewrites_tagged: true,
            },
            Built {
                repository: "$registry/cart".into(),
                by: "ci.yml".into(),
                rewrites_tagged: false,
            },
        ];
        assert!(built_by(&built, "adservice").is_some());
        assert!(built_by(&built, "adservice:latest").is_some());
        assert!(built_by(&built, "gcr.io/x/adservice").is_none());
        assert!(built_by(&built, "cart").is_some());
        assert!(built_by(&built, "ghcr.io/acme/cart").is_some());
        assert!(built_by(&built, "cart:latest").is_none());
        assert!(built_by(&built, "cart@sha256:abc").is_none());
    }
}
