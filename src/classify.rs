//! One table: a path (relative to the scanned root) → the kind of file golive reads it as.

use crate::model::DocKind;

/// Folders whose files are never evidence about the service: dependencies, build output, VCS.
pub const SKIPPED_DIRS: [&str; 14] = [
    ".git",
    "node_modules",
    "vendor",
    "third_party",
    "target",
    "dist",
    "bin",
    "obj",
    "__pycache__",
    ".venv",
    "venv",
    ".terraform",
    ".idea",
    // Yarn's own release and cache, checked in by Yarn Berry projects.
    ".yarn",
];

/// JSON files that are never manifests or dashboards; parsing them would only cost time.
const NOISE_JSON: [&str; 6] = [
    "package-lock.json",
    "composer.lock",
    "tsconfig.json",
    ".eslintrc.json",
    "renovate.json",
    "launch.json",
];

const SOURCE_EXTENSIONS: [&str; 18] = [
    "go", "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "java", "kt", "kts", "scala", "cs", "fs",
    "rs", "rb", "php", "vb",
];

const DEPENDENCY_FILES: [&str; 11] = [
    "go.mod",
    "Gemfile",
    "composer.json",
    "mix.exs",
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
];

/// How golive reads a file, or `None` when it does not.
pub fn classify(path: &str) -> Option<DocKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let at_root = !path.contains('/');
    let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if is_dockerfile(name) {
        return Some(DocKind::Dockerfile);
    }
    if lower.starts_with("readme")
        && matches!(
            extension,
            "md" | "markdown" | "rst" | "txt" | "adoc" | "readme"
        )
    {
        return Some(if at_root {
            DocKind::Readme
        } else {
            DocKind::Markdown
        });
    }
    if lower == "readme" {
        return Some(if at_root {
            DocKind::Readme
        } else {
            DocKind::Markdown
        });
    }
    // Kustomize also accepts a kustomization without an extension.
    if name == "Kustomization" {
        return Some(DocKind::Yaml);
    }
    if DEPENDENCY_FILES.contains(&name)
        || (lower.starts_with("requirements") && extension == "txt")
        || extension == "csproj"
        || name == "Directory.Packages.props"
    {
        return Some(DocKind::Dependencies);
    }
    if crate::parse::config::Format::of(name).is_some() {
        return Some(DocKind::Config);
    }
    match extension {
        "md" | "markdown" => Some(DocKind::Markdown),
        "yaml" | "yml" => Some(DocKind::Yaml),
        // Prometheus rule files are often named `alert.rules`; other `.rules` files (udev,
        // Snort) are not YAML, so only those the path says are Prometheus' are read.
        "rules" if is_prometheus_path(&path.to_ascii_lowercase()) => Some(DocKind::Yaml),
        "json" if !NOISE_JSON.contains(&lower.as_str()) && !lower.ends_with(".lock.json") => {
            Some(DocKind::Json)
        }
        ext if SOURCE_EXTENSIONS.contains(&ext) && !is_generated(&lower) => Some(DocKind::Source),
        _ => None,
    }
}

/// `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`, `Containerfile` (case-insensitive).
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
        || lower.starts_with("containerfile.")
}

fn is_prometheus_path(lower: &str) -> bool {
    ["alert", "prometheus", "record", "monitoring"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Generated code says nothing about how the team writes the service.
fn is_generated(lower_name: &str) -> bool {
    lower_name.ends_with(".pb.go")
        || lower_name.ends_with("_generated.go")
        || lower_name.ends_with(".gen.go")
        || lower_name.ends_with(".min.js")
        || lower_name.ends_with(".d.ts")
        || lower_name.ends_with("_pb2.py")
        || lower_name.ends_with(".designer.cs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("Dockerfile", Some(DocKind::Dockerfile)),
            ("build/api.Dockerfile", Some(DocKind::Dockerfile)),
            ("Dockerfile.prod", Some(DocKind::Dockerfile)),
            ("Containerfile", Some(DocKind::Dockerfile)),
            ("README.md", Some(DocKind::Readme)),
            ("docs/README.md", Some(DocKind::Markdown)),
            ("deploy/app.yaml", Some(DocKind::Yaml)),
            ("dash/board.json", Some(DocKind::Json)),
            ("package-lock.json", None),
            ("go.mod", Some(DocKind::Dependencies)),
            ("requirements-dev.txt", Some(DocKind::Dependencies)),
            ("src/App.csproj", Some(DocKind::Dependencies)),
            ("Gemfile", Some(DocKind::Dependencies)),
            ("composer.json", Some(DocKind::Dependencies)),
            ("mix.exs", Some(DocKind::Dependencies)),
            ("cmd/main.go", Some(DocKind::Source)),
            ("api/x.pb.go", None),
            ("logo.png", None),
            ("overlays/prod/Kustomization", Some(DocKind::Yaml)),
            ("deploy/prometheus/alert.rules", Some(DocKind::Yaml)),
            ("etc/udev/99-usb.rules", None),
            (".env", Some(DocKind::Config)),
            ("deploy/.env.production", Some(DocKind::Config)),
            (
                "src/main/resources/application-prod.yml",
                Some(DocKind::Config),
            ),
            ("gradle.properties", Some(DocKind::Config)),
            (".envrc", None),
        ];
        for (path, kind) in cases {
            assert_eq!(classify(path), kind, "{path}");
        }
    }
}
