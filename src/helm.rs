//! Helm charts: finding them among the walked files, telling their templates apart from
//! manifests, and — only with `--helm` — rendering them with the `helm` binary (natively, they
//! are rendered by `render::helm`).
//!
//! `--helm` is opt-in because it runs a program: `helm template` evaluates the chart's Go
//! templates and nothing else (no hooks, no plugins, no cluster, no network: `--skip-tests`, and
//! no `--dependency-update`), but it is still the one place golive starts a process.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The release name `helm template .` uses when none is given.
const RELEASE: &str = "release-name";
/// A chart that takes longer than this to render is reported, not waited for.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Folders (relative to the root, `""` for the root itself) that hold a `Chart.yaml`, among
/// the given file paths.
pub fn chart_dirs<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    paths
        .into_iter()
        .filter_map(|path| match path.rsplit_once('/') {
            Some((dir, "Chart.yaml")) => Some(dir.to_owned()),
            None if path == "Chart.yaml" => Some(String::new()),
            _ => None,
        })
        .collect()
}

/// The innermost chart folder `path` lies in, if any: its folders looked up from the nearest,
/// so a monorepo of charts costs a few lookups per file.
pub fn chart_of<'a>(path: &str, charts: &'a BTreeSet<String>) -> Option<&'a str> {
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if let Some(chart) = charts.get(parent) {
            return Some(chart);
        }
        dir = parent;
    }
    charts.get("").map(String::as_str)
}

/// The charts that are not a subchart (under another chart's `charts/` folder): the ones
/// released, each with its subcharts.
pub fn top_level(charts: &BTreeSet<String>) -> Vec<&str> {
    charts
        .iter()
        .filter(|chart| {
            !charts.iter().any(|parent| {
                let sub = if parent.is_empty() {
                    chart.strip_prefix("charts/")
                } else {
                    chart
                        .strip_prefix(parent.as_str())
                        .and_then(|rest| rest.strip_prefix("/charts/"))
                };
                sub.is_some()
            })
        })
        .map(String::as_str)
        .collect()
}

/// A file under a chart's `templates/` folder (next to its `Chart.yaml`) that uses template
/// syntax: Go template text, not YAML, until rendered. Plain YAML there is read as is, the way
/// Helm would emit it.
pub fn is_template(path: &str, text: &str, charts: &BTreeSet<String>) -> bool {
    // The path first: every file is asked, and few are under a chart.
    path.match_indices("templates/").any(|(at, _)| {
        let chart = &path[..at];
        (chart.is_empty() || chart.ends_with('/')) && charts.contains(chart.trim_end_matches('/'))
    }) && text.contains("{{")
}

/// Where the rendered stream of a chart is shown: `<chart>/(rendered)`.
pub fn rendered_path(chart: &str) -> String {
    if chart.is_empty() {
        "(rendered)".to_owned()
    } else {
        format!("{chart}/(rendered)")
    }
}

/// `helm template release-name <chart> --skip-tests`, run from the root; its standard output
/// (at most `max_bytes`) or a message saying why there is none.
pub fn render(root: &Path, chart: &str, max_bytes: u64) -> Result<String, String> {
    let dir = if chart.is_empty() {
        root.to_path_buf()
    } else {
        root.join(chart)
    };
    let mut child = Command::new("helm")
        .args(["template", RELEASE])
        .arg(&dir)
        .arg("--skip-tests")
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => {
                "--helm: `helm` is not on PATH; install Helm to render this chart, or drop --helm"
                    .to_owned()
            }
            _ => format!("--helm: cannot run `helm`: {error}"),
        })?;
    let stdout = drain(child.stdout.take(), max_bytes);
    let stderr = drain(child.stderr.take(), 64 * 1024);
    let status = wait(&mut child)?;
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let why = String::from_utf8_lossy(&err);
        let why = why.trim();
        return Err(format!(
            "`helm template` failed ({status}){}{why}",
            if why.is_empty() { "" } else { ": " }
        ));
    }
    if out.len() as u64 > max_bytes {
        return Err("`helm template` output is larger than the size cap; not read".to_owned());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads a pipe to its end on a thread (so neither pipe can fill up and block helm), keeping at
/// most `limit` + 1 bytes.
fn drain<R: Read + Send + 'static>(
    pipe: Option<R>,
    limit: u64,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = pipe {
            let mut pipe = pipe.take(limit.saturating_add(1));
            let _ = pipe.read_to_end(&mut bytes);
            // Keep reading (and dropping) so helm never blocks on a full pipe.
            let _ = std::io::copy(&mut pipe.into_inner(), &mut std::io::sink());
        }
        bytes
    })
}

fn wait(child: &mut std::process::Child) -> Result<std::process::ExitStatus, String> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`helm template` did not finish within {} s; stopped",
                    TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(error) => return Err(format!("waiting for `helm`: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_belong_to_a_chart() {
        let charts: BTreeSet<String> = ["charts/api".to_owned(), String::new()].into();
        let tpl = "kind: {{ .Values.kind }}";
        assert!(is_template("charts/api/templates/d.yaml", tpl, &charts));
        assert!(is_template("charts/api/templates/sub/d.yaml", tpl, &charts));
        assert!(is_template("templates/d.yaml", tpl, &charts));
        assert!(!is_template("other/templates/d.yaml", tpl, &charts));
        assert!(!is_template(
            "charts/api/templates/d.yaml",
            "kind: Pod",
            &charts
        ));
        assert!(!is_template(
            "charts/api/mytemplates/d.yaml",
            tpl,
            &BTreeSet::from(["charts/api/my".to_owned()])
        ));
    }
}
