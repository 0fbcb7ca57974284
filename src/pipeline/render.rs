//! Rendering, between reading and linking: Helm charts and Kustomize overlays turned into the
//! objects they deploy, so what is linted is what runs. Rendered objects go on the file they
//! were rendered from (a template, a kustomization) and every node keeps the source location it
//! came from; the files an overlay builds on stop counting as deployments of their own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use crate::helm;
use crate::model::{DocKind, Document};
use crate::parse::{self, ParseError, Parsed};
use crate::render::helm::{ChartFile, Release, RenderError, Rendered};
use crate::render::kustomize::{self, BuildError, Built};
use crate::settings::ChartRelease;
use crate::source::{FileId, Loc, Span};

use super::read::Read;

/// How a file shows in `artifacts` when a renderer read it.
pub(super) const HELM_TEMPLATE: &str = "helm-template";
pub(super) const CHART_FILE: &str = "helm-chart-file";
const KUSTOMIZATION: &str = "kustomization";

/// A folder as messages show it (`.` for the scanned root).
fn shown(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

/// Renders every Helm chart (unless `--helm` rendered them already) and builds every Kustomize
/// overlay, in place.
pub(super) fn render(reads: &mut [Read], release: Option<&ChartRelease>) {
    if let Some(release) = release {
        render_charts(reads, release);
    }
    build_overlays(reads);
}

fn render_charts(reads: &mut [Read], release: &ChartRelease) {
    // A chart among the periphery (an example, a test) is not how the service is deployed.
    let charts = helm::chart_dirs(
        reads
            .iter()
            .filter(|r| r.periphery.is_none())
            .map(|r| r.source.path.as_str()),
    );
    if charts.is_empty() {
        return;
    }
    let top = helm::top_level(&charts);
    let outcomes: Vec<(&str, Result<Vec<Rendered>, RenderError>)> = top
        .par_iter()
        .map(|chart| {
            let files: Vec<ChartFile<'_>> = under(reads, chart)
                .filter(|&id| reads[id].skip.is_none())
                .map(|id| ChartFile {
                    path: &reads[id].source.path,
                    text: &reads[id].source.text,
                    file: id as FileId,
                })
                .collect();
            let release = Release {
                name: &release.name,
                namespace: &release.namespace,
                values_files: &release.values,
            };
            (
                *chart,
                crate::render::helm::render_chart(chart, &files, &release),
            )
        })
        .collect();
    // Values files (the charts' own and the release's): a value inserted from one is reported
    // there; text from anywhere else is reported where the template inserted it.
    let values: HashSet<FileId> = (0..reads.len())
        .filter(|&i| {
            let path = &reads[i].source.path;
            helm::chart_of(path, &charts).is_some_and(|chart| {
                let rest = path
                    .strip_prefix(chart)
                    .map_or(path.as_str(), |r| r.trim_start_matches('/'));
                rest == "values.yaml" || release.values.iter().any(|v| v == rest)
            })
        })
        .map(|i| i as FileId)
        .collect();
    for (chart, outcome) in outcomes {
        let shown = shown(chart);
        let templates: Vec<usize> = under(reads, chart)
            .filter(|&i| is_template(&reads[i], &charts))
            .collect();
        match outcome {
            Ok(rendered) => {
                let note = format!(
                    "Helm template: rendered with chart `{shown}` as release `{}` in namespace `{}`",
                    release.name, release.namespace
                );
                for &i in &templates {
                    reads[i].parsed = Parsed::default();
                    reads[i].note = Some(note.clone());
                    reads[i].role = Some(HELM_TEMPLATE);
                }
                for output in rendered {
                    let file = output.template_file as usize;
                    if let Some(read) = reads.get_mut(file) {
                        let parsed = parse_rendered(&output, &values);
                        read.parsed.documents.extend(parsed.documents);
                        read.parsed.errors.extend(parsed.errors);
                        read.parsed.duplicate_keys.extend(parsed.duplicate_keys);
                    }
                }
            }
            Err(error) => {
                let message = format!(
                    "Helm chart `{shown}` cannot be rendered: {}; its workloads are not checked",
                    error.message
                );
                let note = format!("Helm template: not rendered ({})", error.message);
                for &i in &templates {
                    reads[i].parsed = Parsed::default();
                    reads[i].note = Some(note.clone());
                    reads[i].role = Some(HELM_TEMPLATE);
                }
                let chart_yaml = if chart.is_empty() {
                    "Chart.yaml".to_owned()
                } else {
                    format!("{chart}/Chart.yaml")
                };
                let at = error
                    .loc
                    .filter(|l| reads.get(l.file as usize).is_some())
                    .map(|l| (l.file as usize, Some(l.span)))
                    .or_else(|| {
                        reads
                            .iter()
                            .position(|r| r.source.path == chart_yaml)
                            .map(|i| (i, None))
                    });
                if let Some((i, span)) = at {
                    reads[i].parsed.errors.push(ParseError::new(message, span));
                }
            }
        }
    }
    for read in reads.iter_mut() {
        if read.role.is_none() && helm::chart_of(&read.source.path, &charts).is_some() {
            // Read for the renderer only (helpers, files templates read).
            if read.kind == DocKind::Yaml && read.parsed.documents.is_empty() && read.note.is_none()
            {
                read.role = Some(CHART_FILE);
            }
        }
    }
}

/// A file under a chart's (or subchart's) `templates/` folder.
fn is_template(read: &Read, charts: &BTreeSet<String>) -> bool {
    let path = read.source.path.as_str();
    helm::chart_of(path, charts).is_some_and(|chart| {
        let rest = if chart.is_empty() {
            path
        } else {
            &path[chart.len() + 1..]
        };
        rest.starts_with("templates/")
    })
}

/// The reads (sorted by path) under folder `dir`: one contiguous run.
fn under<'r>(reads: &'r [Read], dir: &str) -> impl Iterator<Item = usize> + 'r {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let start = reads.partition_point(|r| r.source.path.as_str() < prefix.as_str());
    (start..reads.len()).take_while(move |&i| reads[i].source.path.starts_with(&prefix))
}

/// A template's output parsed as YAML, every location moved to where the text came from: the
/// template line, or the values file node a value was inserted from.
fn parse_rendered(output: &Rendered, values: &HashSet<FileId>) -> Parsed {
    let file = output.template_file;
    let mut parsed = parse::parse(DocKind::Yaml, file, &output.template, &output.text);
    // `helm template --skip-tests`: test pods are not part of the release.
    parsed.documents.retain(|d| !is_test_hook(d));
    let source_of = |span: Span| source_of(output, span, values);
    for document in &mut parsed.documents {
        // Findings about a whole object point at its name: the template line that names it,
        // even when the name itself is a value.
        let name = document.tree.lookup(document.root, "metadata.name");
        let named_at = name
            .and_then(|n| document.tree.loc(n))
            .and_then(|loc| in_template(output, loc.span, &HashSet::new()));
        document.tree.remap_locs(|loc| source_of(loc.span));
        if let (Some(name), Some(loc)) = (name, named_at) {
            document.tree.set_loc(name, Some(loc));
        }
    }
    parsed.duplicate_keys = std::mem::take(&mut parsed.duplicate_keys)
        .into_iter()
        .filter_map(|(key, span)| {
            let loc = source_of(span)?;
            (loc.file == file).then_some((key, loc.span))
        })
        .collect();
    for error in &mut parsed.errors {
        error.message = format!("rendered output: {}", error.message);
        error.span = error
            .span
            .and_then(source_of)
            .filter(|loc| loc.file == file)
            .map(|loc| loc.span);
    }
    parsed
}

/// Where the rendered bytes `span` came from. A value inserted whole (quotes aside) maps to its
/// node in the values file; anything else maps by its first byte: text copied from the template
/// byte for byte (up to the end of the copied run), or the action that produced it. Text from
/// anywhere else (a helper in `_helpers.tpl`, `.Chart` fields) maps to the template line that
/// inserted it.
fn source_of(output: &Rendered, span: Span, values: &HashSet<FileId>) -> Option<Loc> {
    let first = output.origins.partition_point(|o| o.out.end <= span.start);
    if let Some(value) = sole_value(output, first, span)
        && values.contains(&value.file)
    {
        return Some(value);
    }
    in_template(output, span, values)
}

/// Where `span` came from, by its first byte, in the template or a values file.
fn in_template(output: &Rendered, span: Span, values: &HashSet<FileId>) -> Option<Loc> {
    let first = output.origins.partition_point(|o| o.out.end <= span.start);
    let (loc, exact) = output
        .origin_at(span.start)
        .or_else(|| next_origin(output, span.start))?;
    if loc.file != output.template_file && !values.contains(&loc.file) {
        return including_line(output, first);
    }
    if !exact {
        return Some(loc);
    }
    let run_end = output.origins.get(first).map_or(span.end, |o| o.out.end);
    let len = span.end.min(run_end).saturating_sub(span.start).max(1);
    Some(Loc {
        file: loc.file,
        span: Span {
            start: loc.span.start,
            end: loc.span.start + len,
        },
    })
}

/// A Helm test (`helm.sh/hook: test`), which `helm template --skip-tests` leaves out.
fn is_test_hook(document: &Document) -> bool {
    let tree = &document.tree;
    tree.lookup(document.root, "metadata.annotations")
        .and_then(|a| tree.get(a, "helm.sh/hook"))
        .and_then(|h| tree.as_str(h))
        .is_some_and(|hooks| {
            hooks
                .split(',')
                .any(|h| matches!(h.trim(), "test" | "test-success" | "test-failure"))
        })
}

/// The one value `span` holds, when it holds nothing else but quotes and blanks.
fn sole_value(output: &Rendered, first: usize, span: Span) -> Option<Loc> {
    // A mapping spans many origins: only a scalar's few are worth looking through.
    const MAX_LOOKED_AT: usize = 4;
    let mut found = None;
    for origin in output.origins[first.min(output.origins.len())..]
        .iter()
        .take_while(|o| o.out.start < span.end)
        .take(MAX_LOOKED_AT + 1)
        .enumerate()
        .map(|(n, o)| (n < MAX_LOOKED_AT).then_some(o))
    {
        let origin = origin?;
        let text = output
            .text
            .get(origin.out.start as usize..origin.out.end as usize)
            .unwrap_or("");
        if text.trim_matches(['"', '\'', ' ']).is_empty() {
            continue;
        }
        if origin.exact || found.is_some() {
            return None;
        }
        found = Some(origin.loc);
    }
    found
}

/// The template text just before origin `at` (`name: ` of `name: {{ include ... }}`), pointed
/// at where the action begins.
fn including_line(output: &Rendered, at: usize) -> Option<Loc> {
    let origin = output.origins[..at.min(output.origins.len())]
        .iter()
        .rev()
        .find(|o| o.exact && o.loc.file == output.template_file)?;
    let end = origin.loc.span.end;
    Some(Loc {
        file: origin.loc.file,
        span: Span {
            start: end,
            end: end + 1,
        },
    })
}

/// The first origin after `offset`, for a location starting on uncovered whitespace.
fn next_origin(output: &Rendered, offset: u32) -> Option<(Loc, bool)> {
    let i = output.origins.partition_point(|o| o.out.end <= offset);
    let o = output.origins.get(i)?;
    output.origin_at(o.out.start)
}

/// The scan's files as the Kustomize builder sees them.
struct ReadFiles<'a> {
    reads: &'a [Read],
    by_path: HashMap<&'a str, usize>,
    dirs: BTreeSet<&'a str>,
}

impl<'a> ReadFiles<'a> {
    fn new(reads: &'a [Read]) -> ReadFiles<'a> {
        let mut dirs = BTreeSet::new();
        for read in reads {
            let mut path = read.source.path.as_str();
            while let Some((dir, _)) = path.rsplit_once('/') {
                if !dirs.insert(dir) {
                    break;
                }
                path = dir;
            }
        }
        dirs.insert("");
        ReadFiles {
            reads,
            by_path: reads
                .iter()
                .enumerate()
                .filter(|(_, r)| r.skip.is_none())
                .map(|(i, r)| (r.source.path.as_str(), i))
                .collect(),
            dirs,
        }
    }

    fn read(&self, path: &str) -> Option<&'a Read> {
        self.by_path.get(path).map(|&i| &self.reads[i])
    }
}

impl kustomize::Files for ReadFiles<'_> {
    fn documents(&self, path: &str) -> Option<&[Document]> {
        let read = self.read(path)?;
        (!read.parsed.documents.is_empty() || read.parsed.errors.is_empty())
            .then_some(read.parsed.documents.as_slice())
    }

    fn text(&self, path: &str) -> Option<&str> {
        self.read(path).map(|r| &*r.source.text)
    }

    fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).map(|&i| i as FileId)
    }

    fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }
}

/// Builds every overlay (a kustomization no other one uses). The files a successful build used
/// become plain YAML (the built objects stand for them) and the built objects go on the
/// overlay's kustomization; a build that fails is an error of that kustomization, and its patch
/// files are still kept from being linted as workloads.
fn build_overlays(reads: &mut [Read]) {
    // Each kustomization folder, with its file's read.
    let kustomizations: BTreeMap<String, usize> = reads
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            parse::kustomize::is_kustomization(&r.source.path) && r.periphery.is_none()
        })
        .map(|(i, r)| {
            let dir = r.source.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            (dir.to_owned(), i)
        })
        .collect();
    if kustomizations.is_empty() {
        return;
    }
    let dirs: Vec<String> = kustomizations.keys().cloned().collect();
    let outcomes: Vec<(String, Result<Built, BuildError>)> = {
        let files = ReadFiles::new(reads);
        let variants = kustomize::variants(&dirs, &files);
        variants
            .into_par_iter()
            // A Component is only ever built into an overlay that names it.
            .filter(|dir| {
                !kustomizations
                    .get(dir)
                    .is_some_and(|&i| is_component(&reads[i]))
            })
            .map(|dir| {
                let outcome = kustomize::build(&dir, &files);
                (dir, outcome)
            })
            .collect()
    };
    // Each input file, with the first overlay built from it.
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    for (dir, outcome) in outcomes {
        let kustomization = kustomizations.get(&dir).copied();
        let Some(at) = kustomization else { continue };
        match outcome {
            Ok(built) => {
                let count = built.documents.len();
                let first = reads[at].parsed.documents.len();
                for (n, mut document) in built.documents.into_iter().enumerate() {
                    document.file = at as FileId;
                    document.index = first + n;
                    reads[at].parsed.documents.push(document);
                }
                reads[at].note = Some(format!(
                    "Kustomize overlay: built natively, {count} object{} linted as deployed",
                    if count == 1 { "" } else { "s" }
                ));
                reads[at].role = Some(KUSTOMIZATION);
                for path in built.used {
                    if path != reads[at].source.path {
                        used.entry(path).or_insert_with(|| shown(&dir).to_owned());
                    }
                }
            }
            Err(error) => {
                let message = format!(
                    "Kustomize overlay `{}` cannot be built: {}; its objects are linted file by file",
                    shown(&dir),
                    error.message
                );
                let (i, span) = error
                    .loc
                    .filter(|l| (l.file as usize) < reads.len())
                    .map_or((at, None), |l| (l.file as usize, Some(l.span)));
                reads[i].parsed.errors.push(ParseError::new(message, span));
            }
        }
    }
    for read in reads.iter_mut() {
        let Some(overlay) = used.get(&read.source.path) else {
            continue;
        };
        if parse::kustomize::is_kustomization(&read.source.path) {
            let what = if is_component(read) {
                "component"
            } else {
                "base"
            };
            read.note = Some(format!(
                "Kustomize {what}: built as part of overlay `{overlay}` (and any other built from it)"
            ));
            read.role = Some(KUSTOMIZATION);
            continue;
        }
        demote_objects(&mut read.parsed.documents, read.kind);
        if read.note.is_none() {
            read.note = Some(format!(
                "Kustomize input: linted as part of overlay `{overlay}` (and any other built from it)"
            ));
        }
    }
    // Patches no successful build used (a failed build's, a Component's) are still partial.
    super::demote_kustomize_patches(reads);
}

/// Whether a kustomization file is a `kind: Component`.
fn is_component(read: &Read) -> bool {
    read.parsed.documents.first().is_some_and(|d| {
        d.tree.get(d.root, "kind").and_then(|k| d.tree.as_str(k)) == Some("Component")
    })
}

/// Objects a build used become plain YAML: the built objects are the deployment. The rules or
/// dashboard views of a file stay, as evidence that exists either way.
fn demote_objects(documents: &mut [Document], fallback: DocKind) {
    for doc in documents
        .iter_mut()
        .filter(|d| d.kind == DocKind::Kubernetes)
    {
        doc.kind = fallback;
        doc.label = None;
    }
}
