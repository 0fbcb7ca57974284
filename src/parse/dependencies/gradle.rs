//! build.gradle / build.gradle.kts: string-notation dependencies (`implementation("g:a:v")`,
//! `testImplementation 'g:a:v'`, `implementation(platform("g:a:v"))`). Version-catalog
//! references (`libs.foo`) and map notation carry no coordinates in this file and are skipped.

use std::sync::LazyLock;

use regex::Regex;

use super::{Dep, Found};

/// One declaration per match; `[^"'\n]` keeps every match on one line, so scanning stays linear.
static DECLARATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^[ \t]*(implementation|api|runtimeOnly|compileOnly|kapt|ksp|annotationProcessor|testImplementation|testRuntimeOnly|testCompileOnly|androidTestImplementation|debugImplementation)[ \t]*\(?[ \t]*(?:(?:enforcedPlatform|platform)[ \t]*\(?[ \t]*)?["']([^"'\n]+)["']"#,
    )
    .ok()
});

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let Some(regex) = DECLARATION.as_ref() else {
        return found;
    };
    for caps in regex.captures_iter(text) {
        let (Some(whole), Some(config), Some(coords)) = (caps.get(0), caps.get(1), caps.get(2))
        else {
            continue;
        };
        if let Some(dep) = coordinates(coords.as_str(), is_dev(config.as_str())) {
            let start = whole.start() + (whole.len() - whole.as_str().trim_start().len());
            found.deps.push(Dep {
                span: start..whole.end(),
                ..dep
            });
        }
    }
    found
}

/// Test and debug-only configurations never reach the production artifact.
fn is_dev(config: &str) -> bool {
    config.starts_with("test") || config.starts_with("androidTest") || config.starts_with("debug")
}

/// `group:artifact[:version[:classifier]]`; a lone name (a project path, a file) is not one.
fn coordinates(coords: &str, dev: bool) -> Option<Dep> {
    let mut parts = coords.split(':');
    let group = parts.next().filter(|g| !g.is_empty())?;
    let artifact = parts.next().filter(|a| !a.is_empty())?;
    let version = parts.next().filter(|v| !v.is_empty());
    Some(Dep {
        name: format!("{group}:{artifact}"),
        version: version.map(str::to_string),
        dev,
        span: 0..0,
    })
}
