//! Native Helm chart rendering: Chart.yaml, values and templates in, manifests out, with the
//! origin of every output byte (template text, or the values.yaml node a value came from), and no
//! `helm` binary, process or network.
//!
//! The engine is written here rather than taken from a crate: `gtmpl` (the Go text/template port)
//! renders to plain strings, so nothing could say which values.yaml line a rendered line came
//! from, and it has no Sprig/Helm functions. Here strings carry origin segments (`origins`), the
//! lexer/parser/executor follow Go text/template (`lex`, `parse`, `eval`), and `funcs` holds the
//! Go, Helm and Sprig functions charts use. Randomness and time are fixed (`now` is the Unix
//! epoch, `randAlphaNum` a fixed sequence) so a scan is reproducible; `lookup` finds nothing, as
//! in `helm template`.
//!
//! Packaged subcharts (`charts/*.tgz`) are not unpacked: rendering fails with an error naming
//! the archive rather than silently rendering the chart without them.

mod chart;
mod eval;
mod funcs;
mod lex;
mod origins;
mod parse;
mod value;

use crate::source::{FileId, Loc};

/// One file of the chart folder (and its subcharts), as the scan read it.
#[derive(Clone, Copy, Debug)]
pub struct ChartFile<'a> {
    /// Relative to the scanned root, `/`-separated.
    pub path: &'a str,
    pub text: &'a str,
    pub file: FileId,
}

/// The release a chart is rendered for, as `helm template` takes it.
#[derive(Clone, Copy, Debug)]
pub struct Release<'a> {
    /// `release-name` by default.
    pub name: &'a str,
    /// `default` by default.
    pub namespace: &'a str,
    /// Extra values files, relative to the chart folder, merged in order over values.yaml.
    pub values_files: &'a [String],
}

impl Default for Release<'_> {
    fn default() -> Self {
        Release {
            name: "release-name",
            namespace: "default",
            values_files: &[],
        }
    }
}

/// Output of one template file.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// Path relative to the scanned root.
    pub template: String,
    /// The name Helm gives the template (`.Template.Name`): `web/templates/x.yaml`,
    /// `web/charts/<name or alias>/templates/y.yaml`.
    pub name: String,
    pub template_file: FileId,
    pub text: String,
    pub origins: Vec<Origin>,
}

/// Where a byte range of `Rendered::text` came from. The list is sorted by `out.start`,
/// non-overlapping, and covers every non-whitespace output byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub out: std::ops::Range<u32>,
    pub loc: Loc,
    /// True: template text copied 1:1, so output offset k maps to
    /// `loc.span.start + (k - out.start)`. False: the whole range maps to `loc` (a value's node
    /// in a values file, or the `{{ }}` action that produced it).
    pub exact: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    /// Like Helm's: `template "web.fullname" not defined`, `execution error: ...`.
    pub message: String,
    pub loc: Option<Loc>,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

impl Rendered {
    /// The origin of output byte `offset`: the location it maps to, narrowed to the byte when
    /// the origin is exact.
    pub fn origin_at(&self, offset: u32) -> Option<(Loc, bool)> {
        let i = self.origins.partition_point(|o| o.out.end <= offset);
        let o = self.origins.get(i).filter(|o| o.out.start <= offset)?;
        if !o.exact {
            return Some((o.loc, false));
        }
        let start = o.loc.span.start + (offset - o.out.start);
        Some((
            Loc::new(o.loc.file, start as usize, start as usize + 1),
            true,
        ))
    }
}

/// Renders the chart at `chart_dir` (`""` for the root) and its unpacked subcharts: one
/// `Rendered` per template file that produced more than whitespace and comments, sorted by
/// path. Partials (`_*`) and NOTES.txt render nothing of their own.
pub fn render_chart(
    chart_dir: &str,
    files: &[ChartFile<'_>],
    release: &Release<'_>,
) -> Result<Vec<Rendered>, RenderError> {
    chart::render(chart_dir, files, release)
}
