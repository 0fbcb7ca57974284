//! `cargo bench`: parse and evaluate throughput per artifact kind (bytes and documents per
//! second) and whole-scan time on generated monorepos (1, 200 and 2,000 services). Targets and
//! recorded numbers live in benches/README.md.

#[path = "../examples/monorepo/generator.rs"]
mod generator;

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::counter::{BytesCount, ItemsCount};
use golive::model::DocKind;
use golive::settings::{self, Settings};
use golive::{Input, check};

fn main() {
    divan::main();
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let rules = settings::load_rules(&[]).unwrap_or_default();
        Settings::defaults(rules)
    })
}

/// A generated tree per size, written once per bench run under the target directory.
fn tree(services: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("golive-bench-{services}"));
    if !dir.join("services").is_dir() {
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(error) = generator::generate(&dir, services, 42) {
            panic!("cannot generate {}: {error}", dir.display());
        }
    }
    dir
}

/// One artifact kind, many copies concatenated from the generator, as (path, text).
fn sample(kind: DocKind) -> (String, String) {
    let mut rng = generator::Rng::new(7);
    let mut text = String::new();
    let mut name = String::new();
    for i in 0..200 {
        for (path, body) in generator::service(&format!("svc-{i}"), None, &mut rng) {
            let matches = match kind {
                DocKind::Dockerfile => path == "Dockerfile",
                DocKind::Markdown => path.ends_with(".md"),
                _ => path.ends_with(".yaml"),
            };
            if matches {
                if kind == DocKind::Yaml && !text.is_empty() {
                    text.push_str("---\n");
                }
                if kind != DocKind::Dockerfile || text.is_empty() {
                    text.push_str(&body);
                }
                name = path;
            }
        }
    }
    (name, text)
}

#[divan::bench(args = [DocKind::Dockerfile, DocKind::Yaml, DocKind::Markdown])]
fn parse(bencher: divan::Bencher, kind: DocKind) {
    let (path, text) = sample(kind);
    let documents = golive::parse::parse(kind, 0, &path, &text).documents.len();
    bencher
        .counter(BytesCount::new(text.len()))
        .counter(ItemsCount::new(documents))
        .bench(|| golive::parse::parse(kind, 0, &path, divan::black_box(&text)));
}

/// Every built-in rule on one kind's sample, parsed and linked beforehand as a repository of
/// that one file.
#[divan::bench(args = [DocKind::Dockerfile, DocKind::Yaml, DocKind::Markdown])]
fn evaluate(bencher: divan::Bencher, kind: DocKind) {
    use golive::engine::{eval, suppress};
    let (path, text) = sample(kind);
    let mut documents = golive::parse::parse(kind, 0, &path, &text).documents;
    let paths = std::slice::from_ref(&path);
    let repo = golive::link::repo(&documents, paths, &[], &[]);
    golive::link::link(&mut documents, paths);
    let files = [golive::source::SourceFile::new(path, text.as_str())];
    let suppressions = suppress::Index::build(&files);
    let scan = eval::Scan {
        files: &files,
        documents: &documents,
        repo: &repo,
        suppressions: &suppressions,
    };
    bencher
        .counter(BytesCount::new(text.len()))
        .counter(ItemsCount::new(documents.len()))
        .bench(|| eval::evaluate(&settings().rules, &scan));
}

#[divan::bench(args = [1, 200, 2000], sample_count = 5, sample_size = 1)]
fn scan(bencher: divan::Bencher, services: usize) {
    let dir = tree(services);
    let settings = settings();
    bencher.bench(|| check(Input::Dir(&dir), "bench", settings));
}
