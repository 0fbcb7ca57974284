//! Patch targets: which objects a `target:` selects, by group, version, kind, name and
//! namespace (each an anchored regular expression, as kustomize reads them: `kind:
//! (Deployment|StatefulSet)` selects both), label and annotation selectors. Names and namespaces match what an object is called now or was first called.

use regex::Regex;

use super::Resource;
use crate::model::{NodeId, Tree};

#[derive(Debug, Default)]
pub(super) struct Selector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

/// One clause of a label selector.
#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Missing(String),
}

impl Selector {
    /// Reads a `target:` mapping.
    pub fn parse(tree: &Tree, node: NodeId) -> Result<Selector, String> {
        let text = |key: &str| {
            tree.get(node, key)
                .and_then(|n| tree.scalar_text(n))
                .map(|t| t.into_owned())
        };
        let anchored = |key: &str| -> Result<Option<Regex>, String> {
            text(key)
                .filter(|pattern| !pattern.is_empty())
                .map(|pattern| {
                    Regex::new(&format!("^(?:{pattern})$"))
                        .map_err(|e| format!("target {key} `{pattern}`: {e}"))
                })
                .transpose()
        };
        Ok(Selector {
            group: anchored("group")?,
            version: anchored("version")?,
            kind: anchored("kind")?,
            name: anchored("name")?,
            namespace: anchored("namespace")?,
            labels: text("labelSelector")
                .map(|s| parse_requirements(&s))
                .transpose()?
                .unwrap_or_default(),
            annotations: text("annotationSelector")
                .map(|s| parse_requirements(&s))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// A selector for exactly this kind and name (a patch without `target:` names its object).
    pub fn exact(group: Option<&str>, kind: &str, name: &str, namespace: Option<&str>) -> Selector {
        let exact = |text: &str| Regex::new(&format!("^{}$", regex::escape(text))).ok();
        Selector {
            group: group.and_then(exact),
            kind: exact(kind),
            name: exact(name),
            namespace: namespace.and_then(exact),
            ..Selector::default()
        }
    }

    pub fn matches(&self, resource: &Resource) -> bool {
        let (group, version) = resource.group_version();
        let same = |wanted: &Option<Regex>, actual: &str| {
            wanted.as_ref().is_none_or(|r| r.is_match(actual))
        };
        let regex = |wanted: &Option<Regex>, now: &str, first: &str| {
            wanted
                .as_ref()
                .is_none_or(|r| r.is_match(now) || r.is_match(first))
        };
        same(&self.group, group)
            && same(&self.version, version)
            && same(&self.kind, resource.kind())
            && regex(&self.name, resource.name(), &resource.original_name)
            && regex(
                &self.namespace,
                resource.namespace(),
                &resource.original_namespace,
            )
            && satisfied(&self.labels, resource, "labels")
            && satisfied(&self.annotations, resource, "annotations")
    }
}

fn satisfied(requirements: &[Requirement], resource: &Resource, field: &str) -> bool {
    let tree = &resource.tree;
    let map = tree
        .get(resource.root, "metadata")
        .and_then(|m| tree.get(m, field));
    let value = |key: &str| {
        map.and_then(|m| tree.get(m, key))
            .and_then(|v| tree.scalar_text(v))
            .map(|v| v.into_owned())
    };
    requirements.iter().all(|r| match r {
        Requirement::Equals(k, v) => value(k).as_deref() == Some(v.as_str()),
        Requirement::NotEquals(k, v) => value(k).as_deref() != Some(v.as_str()),
        Requirement::In(k, vs) => value(k).is_some_and(|v| vs.contains(&v)),
        Requirement::NotIn(k, vs) => value(k).is_none_or(|v| !vs.contains(&v)),
        Requirement::Exists(k) => value(k).is_some(),
        Requirement::Missing(k) => value(k).is_none(),
    })
}

/// `app=web,tier!=db,env in (a, b),!legacy`: Kubernetes label selector syntax.
fn parse_requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for clause in split_clauses(text) {
        let clause = clause.trim();
        if clause.is_empty() {
            continue;
        }
        let set = |rest: &str| -> Result<Vec<String>, String> {
            let inner = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("selector `{clause}`: expected (values)"))?;
            Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
        };
        let requirement = if let Some((k, v)) = clause.split_once("!=") {
            Requirement::NotEquals(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = clause.split_once("==").or_else(|| clause.split_once('=')) {
            Requirement::Equals(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, rest)) = clause.split_once(" notin ") {
            Requirement::NotIn(k.trim().to_owned(), set(rest)?)
        } else if let Some((k, rest)) = clause.split_once(" in ") {
            Requirement::In(k.trim().to_owned(), set(rest)?)
        } else if let Some(k) = clause.strip_prefix('!') {
            Requirement::Missing(k.trim().to_owned())
        } else {
            Requirement::Exists(clause.to_owned())
        };
        out.push(requirement);
    }
    Ok(out)
}

/// Splits on commas outside parentheses.
fn split_clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn resource(text: &str) -> Resource {
        let mut loaded = yaml::load(0, text);
        let doc = loaded.documents.swap_remove(0);
        Resource::new(doc.tree, doc.root)
    }

    fn selector(text: &str) -> Selector {
        let mut loaded = yaml::load(0, text);
        let doc = loaded.documents.swap_remove(0);
        Selector::parse(&doc.tree, doc.root).unwrap_or_default()
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-api\n  namespace: shop\n  labels: {app: web, tier: front}\n";

    #[test]
    fn kinds_groups_and_regex_names() {
        let web = resource(WEB);
        assert!(selector("kind: Deployment\nname: web-.*\n").matches(&web));
        assert!(selector("group: apps\nversion: v1\n").matches(&web));
        assert!(!selector("group: batch\n").matches(&web));
        // Anchored: `web` alone does not match `web-api`.
        assert!(!selector("name: web\n").matches(&web));
        assert!(selector("namespace: sh.p\n").matches(&web));
        assert!(!selector("kind: Service\n").matches(&web));
        assert!(selector("kind: (Deployment|StatefulSet)\n").matches(&web));
        assert!(!selector("kind: Deploy\n").matches(&web));
    }

    #[test]
    fn label_selectors() {
        let web = resource(WEB);
        assert!(selector("labelSelector: app=web,tier in (front, back)\n").matches(&web));
        assert!(selector("labelSelector: \"!legacy,app!=db\"\n").matches(&web));
        assert!(!selector("labelSelector: app notin (web)\n").matches(&web));
        assert!(!selector("labelSelector: missing\n").matches(&web));
    }

    #[test]
    fn original_names_still_match() {
        let mut web = resource(WEB);
        web.original_name = "api".to_owned();
        assert!(selector("name: api\n").matches(&web));
        assert!(Selector::exact(Some("apps"), "Deployment", "api", None).matches(&web));
    }
}
