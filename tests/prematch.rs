//! Large repositories search source-text regexes while reading and drop texts nothing can
//! report on (`engine::prematch`); small ones keep every text. Both ways must give the same
//! report, byte for byte, on every fixture repository and every rule fixture.

use std::path::{Path, PathBuf};

use golive::report::json;
use golive::settings::{self, Settings};
use golive::{Input, check};

fn repositories() -> Vec<PathBuf> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut roots: Vec<PathBuf> = std::fs::read_dir(fixtures.join("repos"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    for rule in std::fs::read_dir(fixtures.join("rules"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for side in ["pass", "fail"] {
            let cases = std::fs::read_dir(rule.path().join(side))
                .into_iter()
                .flatten();
            roots.extend(cases.flatten().map(|e| e.path()));
        }
    }
    roots.sort();
    roots
}

#[test]
fn dropping_texts_changes_no_report() {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let mut keeping = Settings::defaults(rules.clone());
    keeping.prematch_from_bytes = u64::MAX;
    let mut dropping = Settings::defaults(rules);
    dropping.prematch_from_bytes = 0;
    let roots = repositories();
    assert!(roots.len() > 200, "fixtures found: {}", roots.len());
    for root in roots {
        let name = root.display().to_string();
        let kept = check(Input::Dir(&root), &name, &keeping);
        let dropped = check(Input::Dir(&root), &name, &dropping);
        assert_eq!(
            json::render(std::slice::from_ref(&kept)),
            json::render(std::slice::from_ref(&dropped)),
            "{name}"
        );
        assert_eq!(kept.sources, dropped.sources, "{name}: snippet texts");
    }
}
