//! The periphery: files in a service repository that are not the service — load generators,
//! tests, examples, docs, tooling, generated code, vendored libraries. They are listed in the
//! report with their role and not scored as the service: a load generator's root container or a
//! test's Dockerfile is not what goes live. The table is by folder name; golive.toml moves
//! folders either way (`[scan] periphery` and `[scan] service`).

use globset::GlobSet;

/// What a periphery file is to the repository. Shown as its artifact kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    LoadGenerator,
    Test,
    Example,
    Docs,
    Tooling,
    Codegen,
    Vendored,
    /// `Dockerfile.dev`, `debug.Dockerfile`: an image for working on the service, not shipping it.
    DevImage,
    /// Named in `[scan] periphery`.
    Configured,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::LoadGenerator,
        Role::Test,
        Role::Example,
        Role::Docs,
        Role::Tooling,
        Role::Codegen,
        Role::Vendored,
        Role::DevImage,
        Role::Configured,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::LoadGenerator => "load-generator",
            Role::Test => "test",
            Role::Example => "example",
            Role::Docs => "docs",
            Role::Tooling => "tooling",
            Role::Codegen => "codegen",
            Role::Vendored => "vendored",
            Role::DevImage => "dev-image",
            Role::Configured => "periphery",
        }
    }

    /// Why the file is not scored, for its artifact's `reason`.
    pub fn note(self, folder: &str) -> String {
        let what = match self {
            Role::LoadGenerator => "a load generator",
            Role::Test => "tests",
            Role::Example => "examples",
            Role::Docs => "documentation",
            Role::Tooling => "tooling (scripts, tools, hack)",
            Role::Codegen => "code generation",
            Role::Vendored => "a vendored or minified library",
            Role::DevImage => "a development or debug image",
            Role::Configured => "periphery by `[scan] periphery` in golive.toml",
        };
        let place = if folder.is_empty() {
            String::new()
        } else {
            format!(" (`{folder}`)")
        };
        format!(
            "Periphery: {what}{place}, not the deployed service; listed, not scored \
             (`[scan] service` in golive.toml scores it)"
        )
    }
}

/// Folder names (lower case, without `-`, `_` and `.`) and the role they give every file under
/// them. Only names that mean the same thing in nearly every repository: `integration`,
/// `samples` or `demo` are as often the service itself.
const FOLDERS: [(&str, Role); 37] = [
    ("loadgenerator", Role::LoadGenerator),
    ("loadgenerators", Role::LoadGenerator),
    ("loadgen", Role::LoadGenerator),
    ("loadtest", Role::LoadGenerator),
    ("loadtests", Role::LoadGenerator),
    ("loadtesting", Role::LoadGenerator),
    ("locust", Role::LoadGenerator),
    ("k6", Role::LoadGenerator),
    ("gatling", Role::LoadGenerator),
    ("jmeter", Role::LoadGenerator),
    ("perftest", Role::LoadGenerator),
    ("perftests", Role::LoadGenerator),
    ("test", Role::Test),
    ("tests", Role::Test),
    ("e2e", Role::Test),
    ("e2etests", Role::Test),
    ("integrationtests", Role::Test),
    ("uitests", Role::Test),
    ("apitests", Role::Test),
    ("smoketests", Role::Test),
    ("acceptancetests", Role::Test),
    ("systemtests", Role::Test),
    ("functionaltests", Role::Test),
    ("testdata", Role::Test),
    ("cypress", Role::Test),
    ("playwright", Role::Test),
    ("example", Role::Example),
    ("examples", Role::Example),
    ("docs", Role::Docs),
    ("doc", Role::Docs),
    ("documentation", Role::Docs),
    ("tools", Role::Tooling),
    ("hack", Role::Tooling),
    ("scripts", Role::Tooling),
    ("codegen", Role::Codegen),
    ("generated", Role::Codegen),
    ("genproto", Role::Codegen),
];

/// The periphery as golive.toml adjusts it: globs matched against a file's path and each of its
/// folders (`loadtest`, `tools/**`, `src/*/e2e`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `[scan] periphery`: also periphery.
    pub periphery: Option<GlobSet>,
    /// `[scan] service`: never periphery, whatever the folder is called.
    pub service: Option<GlobSet>,
}

/// A periphery file's role and the folder that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub role: Role,
    pub folder: String,
}

impl Scope {
    /// The role of the file at `path` (relative to the scanned root), if it is periphery.
    pub fn role_of(&self, path: &str) -> Option<Placed> {
        let matches = |set: &Option<GlobSet>| -> Option<String> {
            let set = set.as_ref()?;
            prefixes(path)
                .find(|prefix| set.is_match(prefix))
                .map(str::to_owned)
        };
        if matches(&self.service).is_some() {
            return None;
        }
        if let Some(folder) = matches(&self.periphery) {
            return Some(Placed {
                role: Role::Configured,
                folder,
            });
        }
        let dirs = path.rsplit_once('/').map_or("", |(dirs, _)| dirs);
        let mut end = 0;
        for part in dirs.split('/').filter(|p| !p.is_empty()) {
            end += part.len();
            let name: String = part
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | '.'))
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if let Some((_, role)) = FOLDERS.iter().find(|(folder, _)| *folder == name) {
                return Some(Placed {
                    role: *role,
                    folder: dirs[..end].to_owned(),
                });
            }
            end += 1;
        }
        is_dev_dockerfile(path).then(|| Placed {
            role: Role::DevImage,
            folder: String::new(),
        })
    }
}

/// `Dockerfile.dev`, `Dockerfile.debug`, `local.Dockerfile`, `Containerfile.test`: what a
/// developer builds to work on the service, never what is deployed; `android.Dockerfile` and
/// `Dockerfile.ios` build a mobile app's package, which ships to a store, not a cluster.
fn is_dev_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let variant = name
        .strip_prefix("dockerfile.")
        .or_else(|| name.strip_prefix("containerfile."))
        .or_else(|| name.strip_suffix(".dockerfile"));
    variant.is_some_and(|v| {
        matches!(
            v,
            "dev"
                | "develop"
                | "development"
                | "debug"
                | "local"
                | "test"
                | "tests"
                | "e2e"
                | "devcontainer"
                | "cypress"
                | "playwright"
                | "android"
                | "ios"
        )
    })
}

/// The path's folders from the top, then the path itself: `a`, `a/b`, `a/b/c.yaml`.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(|(i, _)| &path[..i])
        .chain(std::iter::once(path))
}

/// A JavaScript file that is a library copied in, not code the team writes: a `/*!` licence
/// banner (how bundlers and library builds keep their header) or a minified first 4 KiB.
pub fn is_vendored(path: &str, text: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if !(lower.ends_with(".js") || lower.ends_with(".mjs") || lower.ends_with(".cjs")) {
        return false;
    }
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("/*!") {
        return true;
    }
    let head = &text.as_bytes()[..text.len().min(4096)];
    head.len() == 4096 && !head.contains(&b'\n')
}

/// Kubernetes objects and compose services that drive load at the service: named or built as
/// a load generator wherever their manifest lives.
pub fn is_load_generator_name(name: &str) -> bool {
    let squashed: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // `rs-load`, `load`: a name part that is just "load" (not `load-balancer`, `download`).
    let parts: Vec<String> = name
        .split(['-', '_', '.', '/'])
        .map(str::to_ascii_lowercase)
        .collect();
    let load_part =
        parts.iter().any(|p| p == "load") && !parts.iter().any(|p| p.starts_with("balanc"));
    load_part
        || ["loadgenerator", "loadgen", "locust", "loadtest", "k6runner"]
            .iter()
            .any(|n| squashed.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::{Glob, GlobSetBuilder};

    fn set(globs: &[&str]) -> Option<GlobSet> {
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            builder.add(Glob::new(glob).expect("test glob"));
        }
        Some(builder.build().expect("test globs"))
    }

    #[test]
    fn folders_give_roles() {
        let scope = Scope::default();
        let cases = [
            (
                "src/loadgenerator/Dockerfile",
                Some((Role::LoadGenerator, "src/loadgenerator")),
            ),
            ("load-test/k6.js", Some((Role::LoadGenerator, "load-test"))),
            ("src/cart/Dockerfile.debug", Some((Role::DevImage, ""))),
            ("dev.Dockerfile", Some((Role::DevImage, ""))),
            (
                "src/react-native-app/android.Dockerfile",
                Some((Role::DevImage, "")),
            ),
            ("src/cart/Dockerfile.prod", None),
            ("src/test/java/AppTest.java", Some((Role::Test, "src/test"))),
            ("e2e/Dockerfile", Some((Role::Test, "e2e"))),
            ("docs/deploy.yaml", Some((Role::Docs, "docs"))),
            ("hack/kind.yaml", Some((Role::Tooling, "hack"))),
            ("deploy/k8s/deployment.yaml", None),
            ("Dockerfile", None),
            // Only folders: a file named like one is the service's own.
            ("src/tests.py", None),
            ("src/integration/main.go", None),
            ("src/latest/main.go", None),
        ];
        for (path, want) in cases {
            let got = scope.role_of(path);
            let got = got.as_ref().map(|p| (p.role, p.folder.as_str()));
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn golive_toml_moves_folders_either_way() {
        let scope = Scope {
            periphery: set(&["ops/chaos"]),
            service: set(&["tools"]),
        };
        assert_eq!(
            scope.role_of("ops/chaos/job.yaml").map(|p| p.role),
            Some(Role::Configured)
        );
        assert_eq!(scope.role_of("tools/Dockerfile"), None);
        assert_eq!(
            scope.role_of("tests/Dockerfile").map(|p| p.role),
            Some(Role::Test)
        );
    }

    #[test]
    fn vendored_libraries() {
        assert!(is_vendored(
            "static/js/jquery.js",
            "/*!\n * jQuery JavaScript Library v3.7.1\n */"
        ));
        assert!(is_vendored("static/app.js", &"a;".repeat(3000)));
        assert!(!is_vendored("src/app.js", "// our code\nconst a = 1;\n"));
        assert!(!is_vendored("src/app.py", "/*! not js */"));
    }

    #[test]
    fn load_generator_names() {
        assert!(is_load_generator_name("loadgenerator"));
        assert!(is_load_generator_name("prod-load-generator"));
        assert!(is_load_generator_name("locust-master"));
        assert!(!is_load_generator_name("frontend"));
        assert!(!is_load_generator_name("download-service"));
        assert!(is_load_generator_name("rs-load"));
        assert!(!is_load_generator_name("load-balancer"));
        assert!(!is_load_generator_name("payload-api"));
    }
}
