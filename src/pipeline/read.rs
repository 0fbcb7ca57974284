//! Reading: every walked file read (each reader reusing one buffer), classified text parsed,
//! source texts searched as they are read, Helm chart files kept as text for the renderer, and
//! charts rendered by the helm binary (`--helm`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::prematch::TextPatterns;
use crate::engine::suppress;
use crate::helm;
use crate::model::{self, DocKind};
use crate::parse::{self, ParseError, Parsed};
use crate::periphery::{self, Placed, Role};
use crate::settings::Settings;
use crate::source::{Loc, SourceFile};
use crate::walk;

use super::inherit::InheritedRead;

/// One file after reading and parsing.
pub(super) struct Read {
    pub(super) source: SourceFile,
    pub(super) kind: DocKind,
    pub(super) parsed: Parsed,
    pub(super) skip: Option<String>,
    /// Why a file that was read is not linted as what it looks like (a Kustomize patch).
    pub(super) note: Option<String>,
    /// What the file is to a renderer (`helm-template`), shown as its artifact kind.
    pub(super) role: Option<&'static str>,
    /// Not the service (a load generator, tests, …): listed, not scored.
    pub(super) periphery: Option<Placed>,
}

impl Read {
    /// A file read as it looks: not skipped, no note, no role.
    pub(super) fn new(source: SourceFile, kind: DocKind, parsed: Parsed) -> Read {
        Read {
            source,
            kind,
            parsed,
            skip: None,
            note: None,
            role: None,
            periphery: None,
        }
    }
}

/// What the walk hands to the readers: a file; a file of a Helm chart kept as text only (a
/// helper, a file templates read); or a Helm chart to render with the helm binary (`--helm`).
/// In fleet mode, also a file the service inherits from the monorepo root, already parsed.
enum Job {
    File(walk::Entry),
    ChartText(walk::Entry),
    Chart(String),
    Inherited(InheritedRead),
}

impl Job {
    fn path(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Job::File(entry) | Job::ChartText(entry) => entry.path.as_str().into(),
            Job::Chart(chart) => helm::rendered_path(chart).into(),
            Job::Inherited(read) => read.path().into(),
        }
    }
}

/// Reads and parses every classified file in parallel, with the root files a fleet service
/// inherits (`inherited`); returns them (in path order) and the paths of the files not read.
pub(super) fn read_dir(
    root: &Path,
    settings: &Settings,
    patterns: &TextPatterns,
    inherited: Vec<InheritedRead>,
) -> (Vec<Read>, Vec<String>) {
    let options = walk::WalkOptions {
        exclude: settings.exclude.as_ref(),
        max_file_size: settings.max_file_size,
        parallel: !settings.fleet,
    };
    let walked = walk::walk(root, &options);
    let source_bytes: u64 = walked
        .entries
        .iter()
        .filter(|e| e.kind == DocKind::Source)
        .map(|e| e.size)
        .sum();
    // A fleet shares one set of source regexes, built once, so every service searches its
    // source files as it reads them however small it is.
    let prematch = settings.fleet || source_bytes >= settings.prematch_from_bytes;
    let patterns = prematch.then_some(patterns);
    let charts = helm::chart_dirs(walked.entries.iter().map(|e| e.path.as_str()));
    let mut other_files = walked.other_files;
    let mut jobs: Vec<Job> = walked.entries.into_iter().map(Job::File).collect();
    if settings.helm {
        jobs.extend(
            charts
                .iter()
                .filter(|chart| {
                    let chart_file = format!("{chart}/Chart.yaml");
                    settings.scope.role_of(&chart_file).is_none()
                })
                .cloned()
                .map(Job::Chart),
        );
    } else if !charts.is_empty() {
        // Helpers (`_helpers.tpl`) and files templates read are not classified, but the
        // renderer needs their text.
        let (chart_texts, rest) = std::mem::take(&mut other_files)
            .into_iter()
            .partition::<Vec<_>, _>(|path| helm::chart_of(path, &charts).is_some());
        other_files = rest;
        jobs.extend(chart_texts.iter().map(|path| {
            Job::ChartText(walk::unclassified(
                root,
                path,
                DocKind::Yaml,
                settings.max_file_size,
            ))
        }));
    }
    jobs.extend(inherited.into_iter().map(Job::Inherited));
    jobs.sort_by(|a, b| a.path().cmp(&b.path()));
    let read_templates = !settings.helm;
    let reads = jobs
        .into_par_iter()
        .enumerate()
        .map(|(id, job)| match job {
            Job::File(entry) => match settings.scope.role_of(&entry.path) {
                Some(placed) => read_periphery(id as u32, &entry, placed, &charts),
                None => read_one(id as u32, &entry, &charts, read_templates, patterns),
            },
            Job::ChartText(entry) => read_chart_text(&entry),
            Job::Chart(chart) => read_chart(id as u32, root, &chart, settings.max_file_size),
            Job::Inherited(read) => read.into_read(id as u32),
        })
        .collect();
    (reads, other_files)
}

/// Reads and parses one classified file. A Helm template is kept as text for the renderer
/// (`read_templates`) or left to `--helm`'s rendered stream.
fn read_one(
    id: u32,
    entry: &walk::Entry,
    charts: &BTreeSet<String>,
    read_templates: bool,
    patterns: Option<&TextPatterns>,
) -> Read {
    let unread = |skip: Option<String>, parsed: Parsed| Read {
        source: SourceFile::new(entry.path.clone(), ""),
        kind: entry.kind,
        parsed,
        skip,
        note: None,
        role: None,
        periphery: None,
    };
    let failed = |message: String| unread(None, Parsed::failed(ParseError::new(message, None)));
    if let Some(reason) = &entry.skip {
        return unread(Some(reason.clone()), Parsed::default());
    }
    with_file_text(&entry.absolute, entry.size, |text| {
        let text = match text {
            Ok(text) => text,
            Err(message) => return failed(message),
        };
        if helm::is_template(&entry.path, text, charts) {
            if read_templates {
                return text_only(entry, text);
            }
            let note = "Helm template: linted through its chart's `(rendered)` output";
            return unread(Some(note.to_owned()), Parsed::default());
        }
        if entry.kind == DocKind::Yaml && parse::yaml::is_template(text) {
            let note = "Templated YAML (`{{ … }}` or `{% … %}`): not YAML until rendered; not read";
            return unread(Some(note.to_owned()), Parsed::default());
        }
        if entry.kind == DocKind::Source {
            if periphery::is_vendored(&entry.path, text) {
                let placed = Placed {
                    role: Role::Vendored,
                    folder: String::new(),
                };
                let mut read = unread(None, Parsed::default());
                read.note = Some(placed.role.note(""));
                read.role = Some(placed.role.as_str());
                read.periphery = Some(placed);
                return read;
            }
            return read_source(id, entry, text, patterns);
        }
        let source = SourceFile::new(entry.path.clone(), text);
        let parsed = parse::parse(entry.kind, id, &entry.path, &source.text);
        Read {
            source,
            kind: entry.kind,
            parsed,
            skip: None,
            note: None,
            role: None,
            periphery: None,
        }
    })
}

/// A periphery file. Its manifests are read, since an overlay of the service may build on one
/// (they stop counting once rendering is done), and so is Markdown (docs are evidence); its
/// Dockerfiles, source and dependency manifests are not: nothing reads them.
fn read_periphery(id: u32, entry: &walk::Entry, placed: Placed, charts: &BTreeSet<String>) -> Read {
    let note = placed.role.note(&placed.folder);
    let mut read = match entry.kind {
        DocKind::Yaml | DocKind::Json | DocKind::Markdown | DocKind::Readme => {
            read_one(id, entry, charts, true, None)
        }
        _ => Read {
            source: SourceFile::new(entry.path.clone(), ""),
            kind: entry.kind,
            parsed: Parsed::default(),
            skip: entry.skip.clone(),
            note: None,
            role: None,
            periphery: None,
        },
    };
    if !matches!(entry.kind, DocKind::Markdown | DocKind::Readme) {
        read.note = Some(note);
        read.role = Some(placed.role.as_str());
        read.periphery = Some(placed);
    }
    read
}

/// A chart file the renderer reads, kept as text and not parsed.
fn read_chart_text(entry: &walk::Entry) -> Read {
    if let Some(reason) = &entry.skip {
        return Read {
            source: SourceFile::new(entry.path.clone(), ""),
            kind: entry.kind,
            parsed: Parsed::default(),
            skip: Some(reason.clone()),
            note: None,
            role: None,
            periphery: None,
        };
    }
    with_file_text(&entry.absolute, entry.size, |text| match text {
        Ok(text) => text_only(entry, text),
        // Not evidence golive judges (an icon, a packaged subchart): listed, not an error.
        Err(message) => Read {
            source: SourceFile::new(entry.path.clone(), ""),
            kind: entry.kind,
            parsed: Parsed::default(),
            skip: Some(message),
            note: None,
            role: None,
            periphery: None,
        },
    })
}

fn text_only(entry: &walk::Entry, text: &str) -> Read {
    Read::new(
        SourceFile::new(entry.path.clone(), text),
        entry.kind,
        Parsed::default(),
    )
}

thread_local! {
    /// Each reader's buffer, reused from file to file: most source texts are searched and let
    /// go, so reading them costs no allocation.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a file the walk found to be `size` bytes into this thread's buffer and hands `use_text`
/// its text (invalid UTF-8 decoded lossily), or why it cannot be read.
pub(super) fn with_file_text<T>(
    path: &Path,
    size: u64,
    use_text: impl FnOnce(Result<&str, String>) -> T,
) -> T {
    BUFFER.with_borrow_mut(|buffer| {
        let result = match read_whole(path, size, buffer) {
            Err(error) => use_text(Err(format!("cannot read: {error}"))),
            Ok(_) if buffer[..buffer.len().min(8192)].contains(&0) => {
                use_text(Err("binary file (contains NUL bytes); not read".to_owned()))
            }
            // Checking valid UTF-8 (nearly every file) is much faster than decoding lossily.
            Ok(_) => match std::str::from_utf8(buffer) {
                Ok(text) => use_text(Ok(text)),
                Err(_) => use_text(Ok(&String::from_utf8_lossy(buffer))),
            },
        };
        // One huge file should not pin its size in every reader for the rest of the scan.
        if buffer.capacity() > 1 << 20 {
            *buffer = Vec::new();
        }
        result
    })
}

/// Reads a whole file into `buffer`, sized from what the walk saw: `read_to_end` would ask the
/// file system for the size again and for the position (two system calls more per file, a
/// fifth of all a monorepo scan makes). A file that changed size since is still read whole.
fn read_whole(path: &Path, size: u64, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    buffer.clear();
    // One byte more than expected, so the end shows as a short read and then an empty one.
    buffer.resize(usize::try_from(size).unwrap_or(0).saturating_add(1), 0);
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len().saturating_mul(2), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                buffer.clear();
                return Err(error);
            }
        }
    }
    buffer.truncate(filled);
    Ok(())
}

/// A source file's document shares the file's text instead of holding a copy (source files
/// are most of a monorepo's bytes). In a large scan the rules' regexes are searched here, and
/// a text no finding can point into is never kept (`engine::prematch`).
fn read_source(id: u32, entry: &walk::Entry, text: &str, patterns: Option<&TextPatterns>) -> Read {
    let whole = Loc::new(id, 0, text.len());
    let searched = patterns.map(|patterns| patterns.search(text, whole));
    let droppable =
        searched.as_ref().is_some_and(|s| s.droppable) && !text.contains(suppress::MARKER);
    let (source, shared) = if droppable {
        let source = SourceFile::dropped(entry.path.clone(), &entry.absolute, text.len());
        (source, Arc::from(""))
    } else {
        let shared: Arc<str> = text.into();
        (SourceFile::new(entry.path.clone(), shared.clone()), shared)
    };
    let mut document = parse::source::document(id, &entry.path, shared, text);
    document.tree.shrink_to_fit();
    if let Some(searched) = searched
        && let Some(node) = document.tree.get(document.root, "text")
    {
        document.text_finds = Some(model::TextFinds {
            node,
            finds: searched.finds,
        });
    }
    Read {
        source,
        kind: entry.kind,
        parsed: Parsed {
            documents: vec![document],
            ..Parsed::default()
        },
        skip: None,
        note: None,
        role: None,
        periphery: None,
    }
}

/// A chart rendered by `helm template`, read as one manifest stream; findings point at lines of
/// the rendered text. A chart that cannot be rendered is an error of that chart only.
fn read_chart(id: u32, root: &Path, chart: &str, max_file_size: u64) -> Read {
    let path = helm::rendered_path(chart);
    let (text, parsed) = match helm::render(root, chart, max_file_size) {
        Ok(text) => {
            let parsed = parse::parse(DocKind::Yaml, id, &path, &text);
            (text, parsed)
        }
        Err(message) => (
            String::new(),
            Parsed::failed(ParseError::new(message, None)),
        ),
    };
    Read::new(SourceFile::new(path, text), DocKind::Yaml, parsed)
}

#[cfg(test)]
mod tests {
    use super::read_whole;

    #[test]
    fn a_file_is_read_whole_whatever_size_the_walk_saw() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        let text = "0123456789".repeat(1000);
        std::fs::write(&path, &text)?;
        let mut buffer = b"left over".to_vec();
        // Grown, shrunk and unchanged since the walk.
        for seen in [0, 3, 10_000, 10_001, 1 << 20] {
            read_whole(&path, seen, &mut buffer)?;
            assert_eq!(buffer, text.as_bytes(), "walk saw {seen} bytes");
        }
        std::fs::write(&path, "")?;
        read_whole(&path, 5, &mut buffer)?;
        assert!(buffer.is_empty());
        assert!(read_whole(&dir.path().join("missing"), 0, &mut buffer).is_err());
        Ok(())
    }
}
