//! Agreement with kube-score and kube-linter on the relation checks golive shares with them.
//!
//! `docs/agreement.md` is the specification: each row of its table names a case folder under
//! `fixtures/agreement/<peer>/<check>/<case>/` (our own manifests reproducing the situation of
//! one peer fixture), the golive rule the peer check maps to, the peer's verdict, golive's
//! verdict and whether they agree. This test runs golive on every case and holds it to the
//! golive verdict of its row, so the table cannot drift from what golive does, and every case
//! folder must have exactly one row.

use std::collections::BTreeSet;
use std::path::Path;

use golive::settings::{self, Settings};
use golive::{Input, check};

/// One row of the agreement table.
struct Row {
    case: String,
    rule: String,
    peer_fires: bool,
    golive_fires: bool,
    agrees: bool,
}

fn verdict(cell: &str, line: &str) -> bool {
    match cell {
        "fires" => true,
        "passes" => false,
        other => panic!("verdict `{other}` is neither `fires` nor `passes` in: {line}"),
    }
}

/// The rows of the table: lines whose first cell is a peer's name.
fn rows(doc: &str) -> Vec<Row> {
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            if !matches!(cells.first(), Some(&"kube-score" | &"kube-linter")) {
                return None;
            }
            assert!(cells.len() >= 8, "row with too few cells: {line}");
            Some(Row {
                case: format!("{}/{}/{}", cells[0], cells[1], cells[2]),
                rule: cells[4].to_owned(),
                peer_fires: verdict(cells[5], line),
                golive_fires: verdict(cells[6], line),
                agrees: cells[7].starts_with("yes"),
            })
        })
        .collect()
}

/// Every `<peer>/<check>/<case>` folder under `fixtures/agreement`.
fn case_folders(root: &Path) -> BTreeSet<String> {
    let children = |dir: &Path| -> Vec<std::path::PathBuf> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        out.sort();
        out
    };
    let mut out = BTreeSet::new();
    for peer in children(root) {
        for peer_check in children(&peer) {
            for case in children(&peer_check) {
                let relative = case.strip_prefix(root).unwrap_or(&case);
                out.insert(relative.display().to_string().replace('\\', "/"));
            }
        }
    }
    out
}

#[test]
fn golive_gives_the_verdict_the_agreement_table_states() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/agreement.md"))
        .unwrap_or_else(|e| panic!("docs/agreement.md: {e}"));
    let rows = rows(&doc);
    let fixtures = root.join("fixtures/agreement");

    let listed: Vec<&str> = rows.iter().map(|r| r.case.as_str()).collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "a case is listed twice");
    let folders = case_folders(&fixtures);
    let folders: BTreeSet<&str> = folders.iter().map(String::as_str).collect();
    assert_eq!(
        unique, folders,
        "the table and fixtures/agreement/ list different cases"
    );

    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("built-in rules: {e:?}"));
    let known: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let settings = Settings::defaults(rules.clone());
    let mut failures = Vec::new();
    for row in &rows {
        assert!(
            known.contains(row.rule.as_str()),
            "unknown rule `{}`",
            row.rule
        );
        assert_eq!(
            row.agrees,
            row.peer_fires == row.golive_fires,
            "{}: the agree column contradicts the two verdicts",
            row.case
        );
        let report = check(Input::Dir(&fixtures.join(&row.case)), &row.case, &settings);
        let found: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == row.rule)
            .collect();
        if found.iter().any(|f| f.line.is_none()) {
            failures.push(format!(
                "{}: `{}` finding without a location",
                row.case, row.rule
            ));
        }
        if found.is_empty() == row.golive_fires {
            let got = found
                .iter()
                .map(|f| {
                    format!(
                        "{}:{:?} {}",
                        f.path.as_deref().unwrap_or("-"),
                        f.line,
                        f.message
                    )
                })
                .collect::<Vec<_>>();
            failures.push(format!(
                "{}: expected `{}` to {}, got {got:?}",
                row.case,
                row.rule,
                if row.golive_fires { "fire" } else { "pass" }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
