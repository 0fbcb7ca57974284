//! Embeds every `rules/**/*.yaml` file (except the format reference) into the binary, so
//! built-in rules are data that ship with the tool. Each file that reads as a rule is embedded a
//! second time as JSON of the same spec types (`src/engine/spec.rs`): the binary reads that ten
//! times faster than YAML at every start. A file that does not read is embedded as YAML only,
//! so the binary reports its problem with a pointed error, as for a user's rule file.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/engine/spec.rs"]
mod spec;

/// The rule as JSON of its spec, or `None` when it does not read as a rule.
fn as_json(text: &str) -> Option<String> {
    let rule: spec::RuleSpec = serde_saphyr::from_str(text).ok()?;
    serde_json::to_string(&rule).ok()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    println!("cargo:rerun-if-changed=src/engine/spec.rs");
    let mut code = String::from("static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    let mut prepared = String::from("static BUILTIN_JSON: &[Option<&str>] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let relative = relative.to_string_lossy().replace('\\', "/");
        let json = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| as_json(&text));
        code.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
        prepared.push_str(&format!("    {json:?},\n"));
    }
    prepared.push_str("];\n");
    code.push_str("];\n");
    code.push_str(&prepared);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin_rules.rs");
    if let Err(error) = std::fs::write(&out, code) {
        panic!("cannot write {}: {error}", out.display());
    }
}
