//! A chart folder → its charts (root and unpacked subcharts), their merged values and the
//! objects templates see (`.Values`, `.Release`, `.Chart`, `.Capabilities`, `.Files`,
//! `.Template`); then every template rendered in Helm's order.

use std::rc::Rc;

use super::eval::{Ctx, Source, load};
use super::origins::Text;
use super::value::{ChartFileRef, MAX_NESTING, Map, V, Val};
use super::{ChartFile, Origin, Release, RenderError, Rendered};
use crate::parse::yaml;
use crate::source::Loc;

/// The Kubernetes version `.Capabilities` reports (Helm's offline default is a recent one).
const KUBE_VERSION: (&str, &str) = ("1", "30");
/// Subcharts nested deeper than this are not followed.
const MAX_CHART_DEPTH: usize = 10;

struct Chart<'f> {
    /// Folder relative to the scanned root (`""` for the root).
    dir: String,
    /// `parent/charts/sub` as Helm names templates.
    name_path: String,
    metadata: Val,
    /// The chart's own values.yaml (or `{}`).
    defaults: Val,
    templates: Vec<&'f ChartFile<'f>>,
    files: Rc<Vec<ChartFileRef>>,
    subcharts: Vec<Chart<'f>>,
    /// Chart.yaml's `dependencies` (for `condition` and `alias`).
    dependencies: Vec<Val>,
}

fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() {
        rest.to_owned()
    } else {
        format!("{dir}/{rest}")
    }
}

fn yaml_value(f: &ChartFile<'_>) -> Result<Val, RenderError> {
    let parsed = yaml::load(f.file, f.text);
    if let Some(e) = parsed.errors.first() {
        return Err(RenderError {
            message: format!("{}: {}", f.path, e.message),
            loc: e
                .span
                .map(|s| Loc::new(f.file, s.start as usize, s.end as usize)),
        });
    }
    Ok(match parsed.documents.first() {
        Some(doc) => Val::from_tree(&doc.tree, doc.root, &|l| l, 0),
        None => Val::map(Map::new()),
    })
}

fn get(v: &Val, key: &str) -> Val {
    v.as_map()
        .and_then(|m| m.get(key).cloned())
        .unwrap_or_else(Val::nil)
}

fn load_chart<'f>(
    dir: &str,
    name_path: &str,
    files: &'f [ChartFile<'f>],
    depth: usize,
) -> Result<Chart<'f>, RenderError> {
    let under = join(dir, "");
    let chart_yaml = files.iter().find(|f| f.path == join(dir, "Chart.yaml"));
    let Some(chart_yaml) = chart_yaml else {
        return Err(RenderError {
            message: format!(
                "{}: Chart.yaml not found",
                if dir.is_empty() { "." } else { dir }
            ),
            loc: None,
        });
    };
    let metadata = yaml_value(chart_yaml)?;
    let name = get(&metadata, "name").string();
    let name_path = if name_path.is_empty() {
        name
    } else {
        name_path.to_owned()
    };
    let defaults = match files.iter().find(|f| f.path == join(dir, "values.yaml")) {
        Some(f) => without_nulls(&yaml_value(f)?, 0),
        None => Val::map(Map::new()),
    };
    let mut templates = Vec::new();
    let mut own = Vec::new();
    let mut sub_dirs = std::collections::BTreeSet::new();
    for f in files {
        let Some(rel) = f.path.strip_prefix(under.as_str()) else {
            continue;
        };
        if let Some(rest) = rel.strip_prefix("charts/") {
            match rest.split_once('/') {
                Some((sub, "Chart.yaml")) => {
                    sub_dirs.insert(sub.to_owned());
                }
                None if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") => {
                    return Err(RenderError {
                        message: format!(
                            "{}: packaged subchart not rendered (unpack it into charts/)",
                            f.path
                        ),
                        loc: Some(Loc::new(f.file, 0, 0)),
                    });
                }
                _ => {}
            }
        } else if rel.starts_with("templates/") {
            templates.push(f);
        } else if !matches!(
            rel,
            "Chart.yaml"
                | "values.yaml"
                | "values.schema.json"
                | "Chart.lock"
                | "requirements.yaml"
                | "requirements.lock"
        ) {
            own.push(ChartFileRef {
                path: rel.to_owned(),
                text: Rc::from(f.text),
                file: f.file,
            });
        }
    }
    let dependencies: Vec<Val> = match &get(&metadata, "dependencies").v {
        V::List(l) => l.iter().cloned().collect(),
        _ => Vec::new(),
    };
    let mut subcharts = Vec::new();
    if depth < MAX_CHART_DEPTH {
        for sub in sub_dirs {
            let sub_dir = join(dir, &format!("charts/{sub}"));
            let sub_name_path = format!("{name_path}/charts/{sub}");
            let mut chart = load_chart(&sub_dir, &sub_name_path, files, depth + 1)?;
            // Helm renames an aliased dependency: its `.Chart.Name` and template names.
            let name = get(&chart.metadata, "name").string();
            let alias = dependencies
                .iter()
                .find(|d| get(d, "name").string() == name)
                .map(|d| get(d, "alias"))
                .filter(|a| !a.is_nil());
            if let Some(alias) = alias {
                let alias = alias.string();
                if let V::Map(m) = &chart.metadata.v {
                    m.borrow_mut()
                        .insert("name".to_owned(), Val::plain(alias.clone()));
                }
                rename(
                    &mut chart,
                    &sub_name_path,
                    &format!("{name_path}/charts/{alias}"),
                );
            }
            subcharts.push(chart);
        }
    }
    Ok(Chart {
        dir: dir.to_owned(),
        name_path,
        metadata,
        defaults,
        templates,
        files: Rc::new(own),
        subcharts,
        dependencies,
    })
}

fn rename(chart: &mut Chart<'_>, old: &str, new: &str) {
    if let Some(rest) = chart.name_path.strip_prefix(old) {
        chart.name_path = format!("{new}{rest}");
    }
    for sub in &mut chart.subcharts {
        rename(sub, old, new);
    }
}

/// Helm's values coalescing: `over` wins and maps merge key by key. A null in `over` deletes
/// the key; it stays as a null until every chart's values are merged (so a parent's null also
/// deletes a subchart's default), and `without_nulls` drops it then.
fn coalesce(base: &Val, over: &Val, depth: usize) -> Val {
    match (base.as_map(), over.as_map()) {
        (Some(b), Some(o)) if depth < MAX_NESTING => {
            let mut out = b.clone();
            for (k, v) in o.iter() {
                let merged = match out.get(k) {
                    Some(existing) => coalesce(existing, v, depth + 1),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            let mut val = over.clone();
            val.v = V::Map(Rc::new(std::cell::RefCell::new(out)));
            val
        }
        _ => over.clone(),
    }
}

/// The name a subchart's values go under in its parent: its dependency alias, else its name.
fn dependency<'v>(parent: &'v Chart<'_>, sub: &Chart<'_>) -> Option<&'v Val> {
    let name = get(&sub.metadata, "name").string();
    parent
        .dependencies
        .iter()
        .find(|d| get(d, "name").string() == name)
}

/// A dotted condition path (`sub.enabled`) in `values`; a non-bool is no decision.
fn condition(values: &Val, path: &str) -> Option<bool> {
    path.split(',').map(str::trim).find_map(|p| {
        let v = p.split('.').try_fold(values.clone(), |v, k| {
            v.as_map().and_then(|m| m.get(k).cloned())
        })?;
        match v.v {
            V::Bool(b) => Some(b),
            _ => None,
        }
    })
}

/// Release, chart and cluster facts have no source line: an action printing them is their
/// origin.
fn s(text: &str) -> Val {
    Val::plain(text)
}

/// `.Chart`: Chart.yaml with Helm's Go field names (`appVersion` → `AppVersion`).
fn chart_object(metadata: &Val) -> Val {
    let mut m = Map::new();
    if let Some(meta) = metadata.as_map() {
        for (k, v) in meta.iter() {
            let key = match k.as_str() {
                "apiVersion" => "APIVersion".to_owned(),
                other => {
                    let mut c = other.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default()
                }
            };
            m.insert(key, v.clone());
        }
    }
    for key in ["Name", "Version", "AppVersion", "Description", "Type"] {
        m.entry(key.to_owned()).or_insert_with(|| s(""));
    }
    Val::map(m)
}

fn capabilities() -> Val {
    let (major, minor) = KUBE_VERSION;
    let version = format!("v{major}.{minor}.0");
    let kube = Map::from([
        ("Version".to_owned(), s(&version)),
        ("GitVersion".to_owned(), s(&version)),
        ("Major".to_owned(), s(major)),
        ("Minor".to_owned(), s(minor)),
    ]);
    Val::map(Map::from([
        ("KubeVersion".to_owned(), Val::map(kube)),
        ("APIVersions".to_owned(), Val::new(V::ApiVersions)),
        (
            "HelmVersion".to_owned(),
            Val::map(Map::from([("Version".to_owned(), s("v4.0.0"))])),
        ),
    ]))
}

/// A chart ready to render: its values and the templates of it and its enabled subcharts.
struct Prepared<'f> {
    chart: &'f Chart<'f>,
    values: Val,
}

/// Computes every chart's values, parent first, and lists the charts to render deepest first
/// (Helm parses subcharts before parents, so a parent's `define` wins).
fn prepare<'f>(chart: &'f Chart<'f>, values: Val, out: &mut Vec<Prepared<'f>>) -> Val {
    let mut values = values;
    let global = get(&values, "global");
    for sub in &chart.subcharts {
        let dep = dependency(chart, sub);
        let key = get(&sub.metadata, "name").string();
        if let Some(cond) = dep.map(|d| get(d, "condition")).filter(|c| !c.is_nil())
            && condition(&values, &cond.string()) == Some(false)
        {
            continue;
        }
        // A subchart the parent's values do not mention keeps its own defaults (a fresh map:
        // globals are added to it below).
        let given = get(&values, &key);
        let given = if given.is_nil() {
            Val::map(Map::new())
        } else {
            given
        };
        let mut sub_values = coalesce(&sub.defaults, &given, 0);
        if sub_values.is_nil() {
            sub_values = Val::map(Map::new());
        }
        // Globals flow down: the parent's win over the subchart's own.
        let sub_global = coalesce(&get(&sub_values, "global"), &global, 0);
        if !sub_global.is_nil()
            && let V::Map(m) = &sub_values.v
        {
            m.borrow_mut().insert("global".to_owned(), sub_global);
        }
        let sub_values = prepare(sub, sub_values, out);
        if let V::Map(m) = &values.v {
            m.borrow_mut().insert(key, sub_values);
        } else {
            values = Val::map(Map::from([(key, sub_values)]));
        }
    }
    out.push(Prepared {
        chart,
        values: without_nulls(&values, 0),
    });
    values
}

pub fn render(
    chart_dir: &str,
    files: &[ChartFile<'_>],
    release: &Release<'_>,
) -> Result<Vec<Rendered>, RenderError> {
    let root = load_chart(chart_dir, "", files, 0)?;
    let mut values = root.defaults.clone();
    for extra in release.values_files {
        let path = join(chart_dir, extra);
        let Some(f) = files.iter().find(|f| f.path == path) else {
            return Err(RenderError {
                message: format!("values file {path} not found"),
                loc: None,
            });
        };
        values = coalesce(&values, &yaml_value(f)?, 0);
    }
    if values.is_nil() {
        values = Val::map(Map::new());
    }
    let mut charts = Vec::new();
    prepare(&root, values, &mut charts);
    let mut ctx = Ctx::default();
    let mut bodies = Vec::new();
    for p in &charts {
        for f in &p.chart.templates {
            let rel = f
                .path
                .strip_prefix(join(&p.chart.dir, "").as_str())
                .unwrap_or(f.path);
            let src = Rc::new(Source {
                name: format!("{}/{rel}", p.chart.name_path),
                text: Text::exact(f.text, Loc::new(f.file, 0, f.text.len())),
                fallback: Loc::new(f.file, 0, 0),
            });
            let body = load(&mut ctx, src.clone())?;
            bodies.push((p, *f, src, body));
        }
    }
    let mut out = Vec::new();
    for (p, f, src, body) in bodies {
        let base = f.path.rsplit('/').next().unwrap_or(f.path);
        if base.starts_with('_') || base == "NOTES.txt" {
            continue;
        }
        let at = Loc::new(f.file, 0, 0);
        let template = Map::from([
            ("Name".to_owned(), s(&src.name)),
            (
                "BasePath".to_owned(),
                s(&format!("{}/templates", p.chart.name_path)),
            ),
        ]);
        let release_obj = Map::from([
            ("Name".to_owned(), s(release.name)),
            ("Namespace".to_owned(), s(release.namespace)),
            ("Service".to_owned(), s("Helm")),
            ("IsInstall".to_owned(), Val::bool(true)),
            ("IsUpgrade".to_owned(), Val::bool(false)),
            ("Revision".to_owned(), Val::int(1)),
        ]);
        let dot = Val::map(Map::from([
            ("Values".to_owned(), p.values.clone()),
            ("Release".to_owned(), Val::map(release_obj)),
            ("Chart".to_owned(), chart_object(&p.chart.metadata)),
            ("Capabilities".to_owned(), capabilities()),
            (
                "Files".to_owned(),
                Val::new(V::Files(p.chart.files.clone())),
            ),
            ("Template".to_owned(), Val::map(template)),
        ]));
        let text = ctx.run(&body, &src, &dot, at)?;
        if only_comments(text.as_str()) {
            continue;
        }
        out.push(Rendered {
            template: f.path.to_owned(),
            name: src.name.clone(),
            template_file: f.file,
            origins: origins(&text),
            text: text.s,
        });
    }
    out.sort_by(|a, b| a.template.cmp(&b.template));
    Ok(out)
}

fn without_nulls(v: &Val, depth: usize) -> Val {
    let mut out = v.clone();
    match &v.v {
        V::Map(m) if depth < MAX_NESTING => {
            let kept: Map = m
                .borrow()
                .iter()
                .filter(|(_, x)| !x.is_nil())
                .map(|(k, x)| (k.clone(), without_nulls(x, depth + 1)))
                .collect();
            out.v = V::Map(Rc::new(std::cell::RefCell::new(kept)));
        }
        V::List(l) if depth < MAX_NESTING => {
            out.v = V::List(Rc::new(
                l.iter().map(|x| without_nulls(x, depth + 1)).collect(),
            ));
        }
        _ => {}
    }
    out
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    })
}

fn origins(text: &Text) -> Vec<Origin> {
    text.segs
        .iter()
        .filter(|s| {
            text.s
                .get(s.start as usize..s.end as usize)
                .is_some_and(|t| !t.trim().is_empty())
        })
        .map(|s| Origin {
            out: s.start..s.end,
            loc: s.loc,
            exact: s.exact,
        })
        .collect()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
