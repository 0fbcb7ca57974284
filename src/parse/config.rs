//! Configuration files an application reads its settings from → one document with every
//! setting as a name and a value: `.env` files (`KEY=value`, `export KEY="value"`), Java
//! `.properties` (`key=value`, `key: value`, `key value`) and Spring `application*.yml` /
//! `bootstrap*.yml` (nested keys joined with `.`, as Spring names them:
//! `spring.datasource.password`).
//!
//! Exposed as `format` (`dotenv`, `properties`, `yaml`), `path` and `settings[*]` (`name`,
//! `value`), each value at its own location (between its quotes when quoted), so a rule can
//! judge a committed setting the way it judges a compose `environment` entry.

use super::{Parsed, kubernetes, manifest, yaml};
use crate::model::{DocKind, Document, NodeId, Tree, Value};
use crate::source::{FileId, Loc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dotenv,
    Properties,
    Yaml,
}

impl Format {
    /// The format of a configuration file, by its name.
    pub fn of(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let stem = lower
            .strip_suffix(".yml")
            .or_else(|| lower.strip_suffix(".yaml"));
        let spring = stem.is_some_and(|stem| {
            ["application", "bootstrap"].iter().any(|base| {
                stem.strip_prefix(base)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_']))
            })
        });
        if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
            Some(Format::Dotenv)
        } else if lower.ends_with(".properties") {
            Some(Format::Properties)
        } else if spring {
            Some(Format::Yaml)
        } else {
            None
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Dotenv => "dotenv",
            Format::Properties => "properties",
            Format::Yaml => "yaml",
        }
    }
}

/// A setting read from a line: its name and the byte range of its value.
struct Setting<'t> {
    name: &'t str,
    name_at: usize,
    value: (usize, usize),
}

pub fn parse(file: FileId, path: &str, text: &str) -> Parsed {
    let name = path.rsplit('/').next().unwrap_or(path);
    let format = Format::of(name).unwrap_or(Format::Properties);
    if format != Format::Yaml {
        let mut tree = Tree::new();
        let settings = tree.seq(None);
        for setting in lines(text, format) {
            let (start, end) = setting.value;
            let name_loc = Loc::new(file, setting.name_at, setting.name_at + setting.name.len());
            let value = tree.str(&text[start..end], Some(Loc::new(file, start, end)));
            push(&mut tree, settings, setting.name, Some(name_loc), value);
        }
        let document = document(file, path, format, tree, settings);
        return Parsed {
            documents: vec![document],
            ..Parsed::default()
        };
    }
    // Each YAML document's own tree gains the settings, which share its value nodes.
    let loaded = yaml::load(file, text);
    // An Argo CD `application.yaml` is a manifest, not Spring settings.
    if loaded
        .documents
        .iter()
        .any(|doc| kubernetes::is_object(&doc.tree, doc.root))
    {
        return manifest::parse(file, path, text, false);
    }
    let documents = loaded
        .documents
        .into_iter()
        .map(|doc| {
            let mut tree = doc.tree;
            let settings = tree.seq(None);
            flatten(&mut tree, doc.root, settings);
            let mut document = document(file, path, format, tree, settings);
            document.index = doc.index;
            document
        })
        .collect();
    Parsed {
        documents,
        errors: loaded.errors,
        duplicate_keys: loaded.duplicate_keys,
    }
}

fn document(
    file: FileId,
    path: &str,
    format: Format,
    mut tree: Tree,
    settings: NodeId,
) -> Document {
    let root = tree.map(None);
    let format_id = tree.str(format.as_str(), None);
    tree.insert(root, "format", format_id);
    let path_id = tree.str(path, None);
    tree.insert(root, "path", path_id);
    tree.insert(root, "settings", settings);
    Document::new(DocKind::Config, file, tree, root)
}

fn push(tree: &mut Tree, settings: NodeId, name: &str, name_loc: Option<Loc>, value: NodeId) {
    let loc = tree.loc(value);
    let item = tree.map(loc);
    let name = tree.str(name, name_loc);
    tree.insert(item, "name", name);
    tree.insert(item, "value", value);
    tree.push(settings, item);
}

/// Every scalar below `root` as a setting named by its dotted key path (`a.b[0].c`), sharing
/// the scalar's node. Walked with a stack: the loader bounds nesting and alias expansion.
fn flatten(tree: &mut Tree, root: NodeId, settings: NodeId) {
    let mut stack: Vec<(String, Option<Loc>, NodeId)> = vec![(String::new(), None, root)];
    let mut leaves = Vec::new();
    while let Some((name, name_loc, id)) = stack.pop() {
        match tree.value(id) {
            Value::Map(entries) => {
                for entry in entries.iter().rev() {
                    let key = entry.key.as_str();
                    let full = if name.is_empty() {
                        key.to_owned()
                    } else {
                        format!("{name}.{key}")
                    };
                    stack.push((full, entry.key_loc, entry.value));
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{name}[{i}]"), name_loc, *item));
                }
            }
            Value::Str(_) | Value::Int(_) | Value::Float(_) if !name.is_empty() => {
                leaves.push((name, name_loc, id));
            }
            _ => {}
        }
    }
    for (name, name_loc, value) in leaves {
        push(tree, settings, &name, name_loc, value);
    }
}

/// The `name=value` lines of a dotenv or properties text, comments and blank lines left out.
fn lines(text: &str, format: Format) -> Vec<Setting<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let mut code = &body[indent..];
        let mut at = start + indent;
        if code.starts_with('#') || (format == Format::Properties && code.starts_with('!')) {
            continue;
        }
        if format == Format::Dotenv
            && let Some(rest) = code.strip_prefix("export ")
        {
            at += code.len() - rest.trim_start().len();
            code = rest.trim_start();
        }
        let separators: &[char] = match format {
            Format::Dotenv => &['='],
            _ => &['=', ':', ' ', '\t'],
        };
        let Some(split) = code.find(separators) else {
            continue;
        };
        let name = code[..split].trim_end();
        if name.is_empty() {
            continue;
        }
        // `key = value`, `key: value`, `key value`: the separator and blanks around it.
        let rest = &code[split..];
        let after = rest
            .trim_start_matches([' ', '\t'])
            .strip_prefix(separators)
            .unwrap_or(rest.trim_start_matches([' ', '\t']))
            .trim_start_matches([' ', '\t']);
        let value_start = at + split + (rest.len() - after.len());
        let (from, to) = value_range(after, format);
        out.push(Setting {
            name,
            name_at: at,
            value: (value_start + from, value_start + to),
        });
    }
    out
}

/// The value's byte range within `raw`: between its quotes when quoted, else up to a dotenv
/// ` #` comment, trailing blanks left out.
fn value_range(raw: &str, format: Format) -> (usize, usize) {
    if format == Format::Dotenv
        && let Some(quote) = raw.chars().next().filter(|c| matches!(c, '"' | '\''))
        && let Some(close) = raw[1..].find(quote)
    {
        return (1, 1 + close);
    }
    let end = match format {
        Format::Dotenv => raw.find(" #").unwrap_or(raw.len()),
        _ => raw.len(),
    };
    (0, raw[..end].trim_end().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(path: &str, text: &str) -> Vec<(String, String)> {
        let parsed = parse(0, path, text);
        let doc = &parsed.documents[0];
        let t = &doc.tree;
        let list = t.get(doc.root, "settings").map(|s| t.items(s).to_vec());
        list.unwrap_or_default()
            .into_iter()
            .map(|item| {
                let text = |key| {
                    t.get(item, key)
                        .and_then(|v| t.scalar_text(v))
                        .unwrap_or_default()
                        .into_owned()
                };
                (text("name"), text("value"))
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn dotenv_lines() {
        let text = "# local\nexport API_KEY=\"abc def\"\nDB_PASSWORD=s3cr3t # dev only\nEMPTY=\n\nTOKEN='x#y'\n";
        assert_eq!(
            settings(".env", text),
            pairs(&[
                ("API_KEY", "abc def"),
                ("DB_PASSWORD", "s3cr3t"),
                ("EMPTY", ""),
                ("TOKEN", "x#y")
            ])
        );
    }

    #[test]
    fn properties_lines() {
        let text = "! comment\nspring.datasource.password = hunter2\nkey: value\nplain word\n";
        assert_eq!(
            settings("src/main/resources/application.properties", text),
            pairs(&[
                ("spring.datasource.password", "hunter2"),
                ("key", "value"),
                ("plain", "word")
            ])
        );
    }

    #[test]
    fn spring_yaml_is_flattened() {
        let text =
            "spring:\n  datasource:\n    password: hunter2\n    pool: [1, two]\n  enabled: true\n";
        assert_eq!(
            settings("application-prod.yml", text),
            pairs(&[
                ("spring.datasource.password", "hunter2"),
                ("spring.datasource.pool[0]", "1"),
                ("spring.datasource.pool[1]", "two"),
            ])
        );
    }

    #[test]
    fn an_argo_application_stays_a_manifest() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n";
        let parsed = parse(0, "deploy/application.yaml", text);
        assert_eq!(parsed.documents[0].kind, DocKind::Kubernetes);
        assert_eq!(Format::of("applicationset.yaml"), None);
        assert_eq!(Format::of("application-prod.yaml"), Some(Format::Yaml));
    }

    #[test]
    fn a_value_points_at_its_text() {
        let text = "A=1\nexport SECRET=\"abc\"\n";
        let parsed = parse(0, ".env", text);
        let doc = &parsed.documents[0];
        let t = &doc.tree;
        let value = t.lookup(doc.root, "settings").map(|s| t.items(s)[1]);
        let loc = value.and_then(|v| t.get(v, "value")).and_then(|v| t.loc(v));
        let span = loc.map(|l| l.span.range());
        assert_eq!(span.map(|r| &text[r]), Some("abc"));
    }
}
