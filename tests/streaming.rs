//! Formats written report by report: what a format can only know at the end (Checkstyle's
//! files sorted across reports, JUnit's totals, the fleet tables) is still right when reports
//! arrive in any order of targets.

use std::path::Path;

use golive::report::{self, Report};
use golive::settings::{self, Settings};
use golive::{Input, check};

fn scanned_as(targets: &[&str]) -> Vec<Report> {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let settings = Settings::defaults(rules);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/not-ready-service");
    targets
        .iter()
        .map(|target| check(Input::Dir(&root), target, &settings))
        .collect()
}

/// Paths under `svc/a-b` sort before those under `svc/a/`, an absolute target's paths are
/// bare (`k8s/…`), and the targets come unsorted: each `<file>` must still appear once, sorted.
#[test]
fn checkstyle_files_stay_sorted_and_whole_across_reports() {
    let reports = scanned_as(&[
        "svc/a", "svc/a-b", "/abs/one", "svc/a.b", "svc/a/b", "svc", ".",
    ]);
    let text = report::checkstyle::render(&reports);
    let document = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<(&str, usize)> = document
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("file"))
        .map(|file| {
            let name = file.attribute("name").unwrap_or_default();
            (
                name,
                file.children().filter(|n| n.has_tag_name("error")).count(),
            )
        })
        .collect();
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "files out of order or split");
    assert!(names.iter().any(|n| n.starts_with("svc/a-b/")));
    let entries: usize = files.iter().map(|(_, n)| n).sum();
    let expected: usize = reports
        .iter()
        .map(|r| r.findings.len() + r.errors.len())
        .sum();
    assert_eq!(entries, expected, "an entry was lost or written twice");
}

/// JUnit's totals open the document: they count every report's suites.
#[test]
fn junit_totals_count_every_report() {
    let reports = scanned_as(&["svc/b", "svc/a"]);
    let text = report::junit::render(&reports);
    let document = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let suites = document.root_element();
    let sum = |attribute: &str| -> usize {
        suites
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|s| {
                s.attribute(attribute)
                    .unwrap_or("0")
                    .parse::<usize>()
                    .unwrap_or(0)
            })
            .sum()
    };
    for attribute in ["tests", "failures", "errors", "skipped"] {
        let total: usize = suites
            .attribute(attribute)
            .unwrap_or_default()
            .parse()
            .unwrap_or_else(|e| panic!("{attribute}: {e}"));
        assert_eq!(total, sum(attribute), "{attribute}");
    }
    assert!(sum("tests") > 0);
}
