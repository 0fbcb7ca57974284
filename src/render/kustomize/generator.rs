//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets made from literals, files
//! and env files, shaped as kustomize makes them, with `generatorOptions` and per-generator
//! options. Data values point at the line that supplied them (the literal, the env file line,
//! the file); the content hash is appended to the name at the end of the build.

use super::build::{Builder, Kustomization};
use super::{BuildError, Resource, paths};
use crate::model::{NodeId, Tree, Value};
use crate::source::{Loc, Span};

/// One key of generated data.
struct Datum {
    key: String,
    value: String,
    loc: Option<Loc>,
}

/// Labels, annotations and flags from `generatorOptions` or a generator's `options`.
#[derive(Default)]
struct Options {
    labels: Vec<(String, String, Option<Loc>)>,
    annotations: Vec<(String, String, Option<Loc>)>,
    disable_hash: Option<bool>,
    immutable: Option<bool>,
}

impl Options {
    fn read(tree: &Tree, node: Option<NodeId>) -> Options {
        let Some(node) = node else {
            return Options::default();
        };
        let pairs = |key: &str| {
            tree.get(node, key)
                .map(|m| {
                    tree.entries(m)
                        .iter()
                        .filter_map(|e| {
                            let value = tree.scalar_text(e.value)?.into_owned();
                            Some((e.key.to_string(), value, tree.loc(e.value)))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let flag = |key: &str| tree.get(node, key).and_then(|f| tree.as_bool(f));
        Options {
            labels: pairs("labels"),
            annotations: pairs("annotations"),
            disable_hash: flag("disableNameSuffixHash"),
            immutable: flag("immutable"),
        }
    }

    /// A generator's own options over the kustomization's.
    fn over(mut self, global: &Options) -> Options {
        for (key, value, loc) in &global.labels {
            if !self.labels.iter().any(|l| &l.0 == key) {
                self.labels.push((key.clone(), value.clone(), *loc));
            }
        }
        for (key, value, loc) in &global.annotations {
            if !self.annotations.iter().any(|l| &l.0 == key) {
                self.annotations.push((key.clone(), value.clone(), *loc));
            }
        }
        self.disable_hash = self.disable_hash.or(global.disable_hash);
        self.immutable = self.immutable.or(global.immutable);
        self
    }
}

pub(super) fn generate(
    builder: &mut Builder,
    kustomization: &Kustomization,
    out: &mut Vec<Resource>,
) -> Result<(), BuildError> {
    let tree = &kustomization.tree;
    let global = Options::read(tree, kustomization.get("generatorOptions"));
    for (key, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for item in kustomization.items(key) {
            let options = Options::read(tree, tree.get(item, "options")).over(&global);
            let data = gather(builder, kustomization, item)?;
            let resource = make(tree, item, kind, &data, &options)?;
            let behavior = tree
                .get(item, "behavior")
                .and_then(|b| tree.as_str(b))
                .unwrap_or("create");
            place(out, resource, behavior, tree.loc(item))?;
        }
    }
    Ok(())
}

/// Adds a generated object (`create`), or merges it into / replaces the one of the same name a
/// base generated.
fn place(
    out: &mut Vec<Resource>,
    resource: Resource,
    behavior: &str,
    loc: Option<Loc>,
) -> Result<(), BuildError> {
    // A generator without a namespace acts on the base's object whatever namespace the base
    // gave it.
    let existing = out.iter().position(|r| {
        r.kind() == resource.kind()
            && r.original_name == resource.original_name
            && (resource.namespace().is_empty() || r.namespace() == resource.namespace())
    });
    match (behavior, existing) {
        ("create", None) => out.push(resource),
        ("create", Some(_)) => {
            return Err(BuildError::new(
                format!(
                    "{} is generated twice; use behavior: merge",
                    resource.name()
                ),
                loc,
            ));
        }
        ("replace", Some(index)) => {
            if let Some(slot) = out.get_mut(index) {
                let name = slot.name().to_owned();
                let namespace = slot.namespace().to_owned();
                *slot = resource;
                rename(slot, &name, &namespace);
            }
        }
        ("merge", Some(index)) => {
            if let Some(slot) = out.get_mut(index) {
                merge_into(slot, &resource);
            }
        }
        (other, _) => {
            return Err(BuildError::new(
                format!(
                    "behavior `{other}` of {} needs an existing object to act on",
                    resource.name()
                ),
                loc,
            ));
        }
    }
    Ok(())
}

/// Keeps the name and namespace an existing (possibly prefixed) object already has.
fn rename(resource: &mut Resource, name: &str, namespace: &str) {
    if let Some(node) = resource.tree.lookup(resource.root, "metadata.name") {
        resource.tree.set_value(node, Value::Str(name.into()));
    }
    if !namespace.is_empty() && resource.namespace().is_empty() {
        let metadata = super::ensure_map(&mut resource.tree, resource.root, "metadata", None);
        let value = resource.tree.str(namespace, None);
        resource.tree.insert(metadata, "namespace", value);
    }
}

/// `behavior: merge`: the new data, labels, annotations and `immutable` win over the base's;
/// whether the name gets a hash stays as the base decided.
fn merge_into(existing: &mut Resource, new: &Resource) {
    if let Some(immutable) = new.tree.get(new.root, "immutable") {
        let value = existing.tree.import(&new.tree, immutable);
        existing.tree.insert(existing.root, "immutable", value);
    }
    for path in ["data", "metadata.labels", "metadata.annotations"] {
        let Some(source) = new.tree.lookup(new.root, path) else {
            continue;
        };
        let (parent, key) = match path.split_once('.') {
            Some((first, key)) => {
                let parent = super::ensure_map(&mut existing.tree, existing.root, first, None);
                (parent, key)
            }
            None => (existing.root, path),
        };
        let target = super::ensure_map(&mut existing.tree, parent, key, new.tree.loc(source));
        for entry in new.tree.entries(source).to_vec() {
            let value = existing.tree.import(&new.tree, entry.value);
            existing
                .tree
                .insert_key(target, entry.key, entry.key_loc, value);
        }
    }
}

/// The generated object, located at its generator entry.
fn make(
    tree: &Tree,
    item: NodeId,
    kind: &str,
    data: &[Datum],
    options: &Options,
) -> Result<Resource, BuildError> {
    let loc = tree.loc(item);
    let name_node = tree.get(item, "name");
    let name = name_node
        .and_then(|n| tree.as_str(n))
        .ok_or_else(|| BuildError::new(format!("a {kind} generator needs `name`"), loc))?;
    let mut out = Tree::new();
    let root = out.map(loc);
    let api = out.str("v1", loc);
    out.insert(root, "apiVersion", api);
    let kind_node = out.str(kind, loc);
    out.insert(root, "kind", kind_node);
    let metadata = out.map(loc);
    let name_loc = name_node.and_then(|n| tree.loc(n));
    let name_value = out.str(name, name_loc);
    out.insert_at(metadata, "name", name_loc, name_value);
    if let Some(namespace) = tree.get(item, "namespace")
        && let Some(text) = tree.as_str(namespace)
    {
        let value = out.str(text, tree.loc(namespace));
        out.insert(metadata, "namespace", value);
    }
    for (field, pairs) in [
        ("labels", &options.labels),
        ("annotations", &options.annotations),
    ] {
        if pairs.is_empty() {
            continue;
        }
        let map = out.map(loc);
        for (key, value, at) in pairs {
            let value = out.str(value.as_str(), *at);
            out.insert_at(map, key, *at, value);
        }
        out.insert(metadata, field, map);
    }
    out.insert(root, "metadata", metadata);
    if kind == "Secret" {
        let text = tree
            .get(item, "type")
            .and_then(|t| tree.as_str(t))
            .unwrap_or("Opaque");
        let value = out.str(text, loc);
        out.insert(root, "type", value);
    }
    if !data.is_empty() {
        let map = out.map(loc);
        for datum in data {
            let text = if kind == "Secret" {
                wrapped_base64(datum.value.as_bytes())
            } else {
                datum.value.clone()
            };
            let value = out.str(text, datum.loc);
            out.insert_at(map, &datum.key, datum.loc, value);
        }
        out.insert(root, "data", map);
    }
    if options.immutable == Some(true) {
        let value = out.bool(true, loc);
        out.insert(root, "immutable", value);
    }
    let mut resource = Resource::new(out, root);
    resource.hash_suffix = options.disable_hash != Some(true);
    Ok(resource)
}

/// The data of one generator: `literals`, then `files`, then `envs` (and legacy `env`).
fn gather(
    builder: &mut Builder,
    kustomization: &Kustomization,
    item: NodeId,
) -> Result<Vec<Datum>, BuildError> {
    let tree = &kustomization.tree;
    let list = |key: &str| -> Vec<(String, Option<Loc>)> {
        let items: Vec<NodeId> = match tree.get(item, key) {
            Some(node) if matches!(tree.value(node), Value::Seq(_)) => tree.items(node).to_vec(),
            Some(node) => vec![node],
            None => Vec::new(),
        };
        items
            .into_iter()
            .filter_map(|n| Some((tree.scalar_text(n)?.into_owned(), tree.loc(n))))
            .collect()
    };
    let mut data: Vec<Datum> = Vec::new();
    let mut add = |datum: Datum| {
        data.retain(|d| d.key != datum.key);
        data.push(datum);
    };
    for (literal, loc) in list("literals") {
        let (key, value) = literal
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| BuildError::new(format!("literal `{literal}` is not KEY=VALUE"), loc))?;
        add(Datum {
            key: key.to_owned(),
            value: unquote(value).to_owned(),
            loc,
        });
    }
    for (source, loc) in list("files") {
        let (key, reference) = match source.split_once('=') {
            Some((key, reference)) => (key.to_owned(), reference.to_owned()),
            None => (paths::base_name(&source).to_owned(), source.clone()),
        };
        let path = builder.local_file(kustomization, &reference, loc)?;
        let (text, file) = builder.read_text(&path, loc)?;
        let at = file.map(|file| Loc {
            file,
            span: Span::new(0, text.len()),
        });
        add(Datum {
            key,
            value: text,
            loc: at.or(loc),
        });
    }
    let mut envs = list("envs");
    envs.extend(list("env"));
    for (reference, loc) in envs {
        let path = builder.local_file(kustomization, &reference, loc)?;
        let (text, file) = builder.read_text(&path, loc)?;
        for datum in env_lines(&text, file) {
            add(datum);
        }
    }
    Ok(data)
}

/// `KEY=VALUE` lines of an env file; blank lines and `#` comments are skipped. A bare `KEY`
/// would take its value from the environment of whoever runs kustomize: golive, building the
/// same output everywhere, gives it the empty string.
fn env_lines(text: &str, file: Option<u32>) -> Vec<Datum> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let mut line = raw.trim_end_matches(['\n', '\r']);
        if index == 0 {
            line = line.trim_start_matches('\u{feff}');
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let loc = file.map(|file| Loc {
            file,
            span: Span::new(start, start + raw.trim_end().len()),
        });
        out.push(Datum {
            key: key.to_owned(),
            value: value.to_owned(),
            loc,
        });
    }
    out
}

/// A literal's value without one pair of matching surrounding quotes, as kustomize reads it.
fn unquote(value: &str) -> &str {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(b'"'), Some(b'"')) | (Some(b'\''), Some(b'\'')) if value.len() >= 2 => {
            &value[1..value.len() - 1]
        }
        _ => value,
    }
}

/// Base64 as kustomize writes Secret data: lines of 70 characters, each ending in a newline
/// once the text needs more than one.
fn wrapped_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for line in encoded.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push('\n');
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"hunter2"), "aHVudGVyMg==");
        let long = wrapped_base64(&[b'x'; 60]);
        assert_eq!(long.lines().map(str::len).collect::<Vec<_>>(), [70, 10]);
        assert!(long.ends_with('\n'));
    }

    #[test]
    fn env_files_and_literals() {
        let data = env_lines("# c\n\nA=1\n  B=x=y\nC\n", Some(3));
        let pairs: Vec<(&str, &str)> = data
            .iter()
            .map(|d| (d.key.as_str(), d.value.as_str()))
            .collect();
        assert_eq!(pairs, [("A", "1"), ("B", "x=y"), ("C", "")]);
        assert_eq!(data[0].loc.map(|l| l.span), Some(Span::new(5, 8)));
        assert_eq!(unquote("\"quoted\""), "quoted");
        assert_eq!(unquote("'a'"), "a");
        assert_eq!(unquote("\"a'"), "\"a'");
    }
}
