//! Compose's variable substitution, for what ties a service to its image and its build:
//! `image`, `build` and `build.context` / `build.dockerfile` written as `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}` or `$VAR` are resolved from the `.env` file beside the
//! compose file, as `docker compose` does when run from that folder. Other values (`environment`
//! above all) are left as written: what a committed `.env` holds is not what the compose file
//! says, and a finding about it would point at the wrong file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::model::{DocKind, NodeId, Tree, Value};
use crate::walk;

use super::read::{Read, with_file_text};

pub(super) fn apply(root: &Path, reads: &mut [Read], other_files: &[String], max_file_size: u64) {
    // A `.env` file is read as configuration (its settings are checked for secrets) or, when
    // the walk left it unread, only listed.
    let read_paths: Vec<String> = reads.iter().map(|r| r.source.path.clone()).collect();
    let env_files: HashSet<&str> = other_files
        .iter()
        .chain(&read_paths)
        .map(String::as_str)
        .filter(|p| p.rsplit('/').next() == Some(".env"))
        .collect();
    if env_files.is_empty() {
        return;
    }
    let mut by_folder: HashMap<String, Option<HashMap<String, String>>> = HashMap::new();
    for read in reads.iter_mut() {
        if !read
            .parsed
            .documents
            .iter()
            .any(|d| d.kind == DocKind::Compose)
        {
            continue;
        }
        let folder = read
            .source
            .path
            .rsplit_once('/')
            .map_or("", |(dir, _)| dir)
            .to_owned();
        let env_path = if folder.is_empty() {
            ".env".to_owned()
        } else {
            format!("{folder}/.env")
        };
        let variables = by_folder
            .entry(folder)
            .or_insert_with(|| {
                env_files
                    .contains(env_path.as_str())
                    .then(|| read_env(root, &env_path, max_file_size))
                    .flatten()
            })
            .as_ref();
        let Some(variables) = variables else {
            continue;
        };
        for doc in read
            .parsed
            .documents
            .iter_mut()
            .filter(|d| d.kind == DocKind::Compose)
        {
            let tree = &mut doc.tree;
            let mut services: Vec<NodeId> = tree
                .get(doc.root, "services")
                .map(|s| tree.entries(s).iter().map(|e| e.value).collect())
                .unwrap_or_default();
            services.extend(
                tree.get(doc.root, "service_list")
                    .map(|s| tree.items(s).to_vec())
                    .unwrap_or_default(),
            );
            for service in services {
                let build = tree.get(service, "build");
                let nodes = [
                    tree.get(service, "image"),
                    build,
                    build.and_then(|b| tree.get(b, "context")),
                    build.and_then(|b| tree.get(b, "dockerfile")),
                ];
                for node in nodes.into_iter().flatten() {
                    substitute_node(tree, node, variables);
                }
            }
        }
    }
}

fn substitute_node(tree: &mut Tree, node: NodeId, variables: &HashMap<String, String>) {
    let Some(text) = tree.as_str(node) else {
        return;
    };
    if !text.contains('$') {
        return;
    }
    let resolved = substitute(text, variables);
    if resolved != text {
        tree.set_value(node, Value::Str(resolved.into()));
    }
}

/// The `.env` file's variables, or `None` when it cannot be read (it is not evidence of
/// anything by itself: an unreadable one is not an error of the scan).
fn read_env(root: &Path, relative: &str, max_file_size: u64) -> Option<HashMap<String, String>> {
    let entry = walk::unclassified(root, relative, DocKind::Yaml, max_file_size);
    if entry.skip.is_some() {
        return None;
    }
    with_file_text(&entry.absolute, entry.size, |text| text.ok().map(parse_env))
}

/// `KEY=value` lines (`export KEY=value`, quoted values, `#` comments), as compose reads them.
fn parse_env(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim();
        let value = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..]
                .split_once(quote)
                .map_or(&value[1..], |(inner, _)| inner),
            _ => value.split(" #").next().unwrap_or(value).trim_end(),
        };
        out.insert(key.to_owned(), value.to_owned());
    }
    out
}

/// Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` and `$$`; a variable that is
/// not defined and has no default stays as written.
fn substitute(text: &str, variables: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let inner = &braced[..end];
            let (name, default) = match inner.find([':', '-', '?']) {
                Some(i) => {
                    let operator = inner[i..].trim_start_matches(':');
                    let default = operator.strip_prefix('-');
                    (&inner[..i], default)
                }
                None => (inner, None),
            };
            let empty_counts = inner[name.len()..].starts_with(':');
            let value = variables
                .get(name)
                .filter(|v| !(empty_counts && v.is_empty()))
                .map(String::as_str)
                .or(default);
            match value {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[at..at + 2 + end + 1]),
            }
            rest = &braced[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..len];
            match variables.get(name).filter(|_| !name.is_empty()) {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[at..at + 1 + len]),
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_as_compose_does() {
        let env = parse_env(
            "# images\nREGISTRY=ghcr.io/acme\nexport TAG=\"2.0.1\"\nEMPTY=\nAD_DOCKERFILE=./src/ad/Dockerfile # ad\n",
        );
        assert_eq!(
            substitute("${REGISTRY}/ad:${TAG}", &env),
            "ghcr.io/acme/ad:2.0.1"
        );
        assert_eq!(substitute("$REGISTRY/ad", &env), "ghcr.io/acme/ad");
        assert_eq!(substitute("${AD_DOCKERFILE}", &env), "./src/ad/Dockerfile");
        assert_eq!(substitute("${MISSING:-latest}", &env), "latest");
        assert_eq!(substitute("${EMPTY:-x}", &env), "x");
        assert_eq!(substitute("${EMPTY-x}", &env), "");
        assert_eq!(substitute("${MISSING}", &env), "${MISSING}");
        assert_eq!(substitute("$$HOME ${UNCLOSED", &env), "$HOME ${UNCLOSED");
    }
}
