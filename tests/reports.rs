//! Every output format, read back by a strict consumer: SARIF against the official 2.1.0
//! schema, JUnit and Checkstyle by an XML parser, GitLab as JSON with its required keys,
//! GitHub workflow commands against their grammar, Markdown tables by cell count — for a real
//! repository, for a report full of hostile strings, and for several reports at once. Snapshots
//! show what users of each format see.

use std::path::Path;

use golive::report::{self, FileError, Report, Suppressed};
use golive::settings::{self, Settings};
use golive::{Input, check};

const HOSTILE: &str = "a|b <script>x</script> & \"q\" 100% k:v, w\r\nnext\u{1b}[31m\u{7} `co|de`";

fn not_ready() -> Report {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/not-ready-service");
    check(
        Input::Dir(&root),
        "fixtures/repos/not-ready-service",
        &Settings::defaults(rules),
    )
}

/// The real report with hostile text in every field a scanned file can reach.
fn hostile() -> Report {
    let mut report = not_ready();
    report.target = "svc|<x>,y".to_owned();
    let path = "we|ird <&> \"%\" a:b,c\u{1b}.yaml";
    for finding in report.findings.iter_mut().take(3) {
        finding.message = HOSTILE.to_owned();
        finding.object = Some(HOSTILE.to_owned());
        finding.help = HOSTILE.into();
    }
    if let Some(finding) = report.findings.iter_mut().find(|f| f.path.is_some()) {
        finding.path = Some(path.to_owned());
    }
    report.suppressed.push(Suppressed {
        rule: "k8s-readiness-probe".to_owned(),
        path: Some(path.to_owned()),
        line: Some(3),
        object: Some(HOSTILE.to_owned()),
        reason: Some(HOSTILE.to_owned()),
        how: "inline comment",
        message: HOSTILE.to_owned(),
    });
    report.errors.push(FileError {
        path: path.to_owned(),
        line: Some(2),
        column: Some(5),
        message: HOSTILE.to_owned(),
    });
    report
}

fn every_format(reports: &[Report]) -> Vec<(&'static str, String)> {
    vec![
        ("sarif", report::sarif::render(reports)),
        ("junit", report::junit::render(reports)),
        ("github", report::github::render(reports)),
        ("markdown", report::markdown::render(reports, None)),
        ("gitlab", report::gitlab::render(reports)),
        ("checkstyle", report::checkstyle::render(reports)),
    ]
}

fn check_sarif(text: &str) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(include_str!("schemas/sarif-2.1.0.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::draft4::new(&schema).unwrap_or_else(|e| panic!("{e}"));
    let log: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let problems: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    for run in log["runs"].as_array().into_iter().flatten() {
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .map_or(0, Vec::len);
        for result in run["results"].as_array().into_iter().flatten() {
            let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            assert!(index < rules, "{result:#}");
            assert_eq!(
                run["tool"]["driver"]["rules"][index]["id"], result["ruleId"],
                "{result:#}"
            );
            // GitHub code scanning rejects results without a location.
            let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(uri.is_string(), "{result:#}");
        }
    }
    log
}

fn check_xml(text: &str, root: &str) -> usize {
    let document = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(document.root_element().tag_name().name(), root);
    document.descendants().count()
}

fn check_gitlab(text: &str) -> Vec<serde_json::Value> {
    let issues: Vec<serde_json::Value> =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    for issue in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key}: {issue:#}");
        }
        assert!(issue["location"]["path"].is_string(), "{issue:#}");
        assert!(issue["location"]["lines"]["begin"].is_u64(), "{issue:#}");
        let severity = issue["severity"].as_str().unwrap_or_default();
        assert!(
            ["info", "minor", "major", "critical", "blocker"].contains(&severity),
            "{severity}"
        );
    }
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    issues
}

/// What the Actions runner does to a command value.
fn unescape(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// A workflow command as the runner reads it.
#[derive(Debug)]
struct Command {
    properties: Vec<(String, String)>,
    message: String,
}

/// Parses each line as `::name key=value,…::message`.
fn check_github(text: &str) -> Vec<Command> {
    let grammar = regex::Regex::new(
        r"^::(error|warning|notice) ((file|line|col|endLine|endColumn|title)=[^,:\r\n]*)(,(file|line|col|endLine|endColumn|title)=[^,:\r\n]*)*::[^\r\n]*$",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .map(|line| {
            assert!(grammar.is_match(line), "not a workflow command: {line:?}");
            let rest = &line[2..];
            let (head, message) = rest.split_once("::").unwrap_or_default();
            let (_, properties) = head.split_once(' ').unwrap_or_default();
            let properties = properties
                .split(',')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_owned(), unescape(v)))
                .collect();
            Command {
                properties,
                message: unescape(message),
            }
        })
        .collect()
}

/// Every table row has as many cells as its header (unescaped `|` separate cells).
fn check_markdown(text: &str) {
    let cells = |line: &str| {
        let mut count = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => count += 1,
                _ => escaped = false,
            }
            if c != '\\' {
                escaped = false;
            }
        }
        count
    };
    let mut header: Option<usize> = None;
    for line in text.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            let expected = *header.get_or_insert(n);
            assert_eq!(n, expected, "row with a wrong number of cells: {line:?}");
        } else {
            header = None;
        }
    }
}

fn check_all(reports: &[Report]) {
    for (format, text) in every_format(reports) {
        for c in ['\u{1b}', '\u{7}', '\r'] {
            assert!(!text.contains(c), "{format} contains {c:?}");
        }
        match format {
            "sarif" => {
                check_sarif(&text);
            }
            "junit" => {
                check_xml(&text, "testsuites");
            }
            "checkstyle" => {
                check_xml(&text, "checkstyle");
            }
            "gitlab" => {
                check_gitlab(&text);
            }
            "github" => {
                check_github(&text);
            }
            "markdown" => check_markdown(&text),
            _ => unreachable!(),
        }
    }
}

#[test]
fn every_format_is_read_back_by_a_strict_consumer() {
    check_all(&[not_ready()]);
}

#[test]
fn hostile_strings_stay_inside_their_fields() {
    let report = hostile();
    check_all(std::slice::from_ref(&report));
    let formats = every_format(std::slice::from_ref(&report));
    let text = |name: &str| {
        formats
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    // The GitHub message round-trips: only control characters are changed (made visible).
    let commands = check_github(&text("github"));
    let expected = "a|b <script>x</script> & \"q\" 100% k:v, w\nnext\\u{1b}[31m\\u{7} `co|de`";
    assert!(
        commands.iter().any(|c| c.message.starts_with(expected)),
        "{commands:#?}"
    );
    let file = "we|ird <&> \"%\" a:b,c\\u{1b}.yaml";
    assert!(
        commands.iter().any(|c| c
            .properties
            .contains(&("file".to_owned(), format!("svc|<x>,y/{file}")))),
        "{commands:#?}"
    );
    // XML text comes back exactly (with controls made visible).
    let junit = text("junit");
    let document = roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("{e}"));
    let failures: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.attribute("message"))
        .collect();
    assert!(
        failures.iter().any(|m| m.ends_with(expected)),
        "{failures:#?}"
    );
    let checkstyle = text("checkstyle");
    let document = roxmltree::Document::parse(&checkstyle).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        document
            .descendants()
            .any(|n| n.attribute("name") == Some(&format!("svc|<x>,y/{file}"))),
        "{checkstyle}"
    );
    // Markdown: no raw HTML, the path's link target is percent-encoded.
    let markdown = text("markdown");
    assert!(!markdown.contains("<script>"), "{markdown}");
    assert!(markdown.contains("&lt;script&gt;"), "{markdown}");
    assert!(
        markdown.contains("(svc%7C%3Cx%3E%2Cy/we%7Cird"),
        "{markdown}"
    );
    // SARIF carries the suppression with its justification.
    let sarif = check_sarif(&text("sarif"));
    let suppressed = sarif["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["suppressions"].is_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");
}

#[test]
fn several_reports_render_in_every_format() {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/ready-service");
    let ready = check(
        Input::Dir(&root),
        "fixtures/repos/ready-service",
        &Settings::defaults(rules),
    );
    let reports = [ready, not_ready(), hostile()];
    check_all(&reports);
    let sarif = check_sarif(&report::sarif::render(&reports));
    let ids: Vec<&str> = sarif["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["automationDetails"]["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 3, "one run per report, each its own category");
    let junit = report::junit::render(&reports);
    assert!(junit.contains(r#"<testsuite name="fixtures/repos/ready-service health""#));
}

#[test]
fn fingerprints_ignore_lines_and_tell_twins_apart() {
    let report = not_ready();
    let before = report.fingerprints();
    let mut moved = report.clone();
    for finding in &mut moved.findings {
        finding.line = finding.line.map(|l| l + 10);
    }
    assert_eq!(before, moved.fingerprints());
    let mut unique = before.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), before.len());
}

#[test]
fn formats_are_deterministic() {
    assert_eq!(every_format(&[not_ready()]), every_format(&[not_ready()]));
}

#[test]
fn snapshots_of_every_format() {
    for (format, text) in every_format(&[not_ready()]) {
        insta::assert_snapshot!(format, text);
    }
}
