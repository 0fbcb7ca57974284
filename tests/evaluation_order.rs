//! A scan evaluates rules in parts as linking goes and frees the trees no later step reads
//! (`pipeline::assemble`); `golive fix` keeps every tree. Both must score the same: a rule that
//! ran after its documents were freed, or a link step that read a freed tree, would show here
//! as a different report.

use std::path::Path;

use golive::settings::{self, Settings};
use golive::{Input, check, pipeline};

fn json(report: &golive::report::Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn freeing_trees_between_parts_changes_no_report() {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let settings = Settings::defaults(rules);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut roots: Vec<_> = std::fs::read_dir(fixtures.join("repos"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    roots.sort();
    // Every rule's fixtures at once: each kind of document, many of each, linked together.
    roots.push(fixtures.clone());
    for root in &roots {
        let freed = check(Input::Dir(root), ".", &settings);
        let (kept, _) = pipeline::fix(root, ".", &settings);
        assert!(
            !freed.findings.is_empty(),
            "{}: no findings",
            root.display()
        );
        assert_eq!(json(&freed), json(&kept), "{}", root.display());
    }
}
