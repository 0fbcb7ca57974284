//! `--format html`: a self-contained page (nothing it could load from outside), text from scanned
//! files escaped, the same bytes for the same scan, a snapshot of what a reviewer opens — and,
//! rendered by headless Chromium, a page whose DOM shows the score and every finding of the JSON
//! report of the same scan, whose rule docs open on click and whose fleet table sorts.
//!
//! Without Chromium the browser tests are skipped and say so, except where
//! `GOLIVE_REQUIRE_CHROMIUM` is set (.ci/run installs Chromium and sets it, so CI cannot pass by
//! skipping).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use golive::report::{self, Report};
use golive::settings::{self, Settings};
use golive::{Input, check};

const HOSTILE: &str = "<script>alert(1)</script> & \"q\" 'a' \u{1b}[31m\u{7}\r\n`x`";

fn repo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/repos")
        .join(name)
}

fn scan(name: &str) -> Report {
    let rules = settings::load_rules(&[]).unwrap_or_else(|e| panic!("{e:?}"));
    check(
        Input::Dir(&repo(name)),
        &format!("fixtures/repos/{name}"),
        &Settings::defaults(rules),
    )
}

/// Every `attr="value"` and `url(...)` of the page that could name a resource.
fn references(html: &str) -> Vec<String> {
    let attributes = regex::Regex::new(
        r#"(?i)\b(src|href|action|formaction|srcset|poster|data|xlink:href|background)\s*=\s*"([^"]*)""#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut found: Vec<String> = attributes
        .captures_iter(html)
        .map(|c| c[2].to_owned())
        .collect();
    found.extend(
        html.match_indices("url(")
            .chain(html.match_indices("@import"))
            .map(|(i, _)| html[i..].chars().take(40).collect()),
    );
    found
}

#[test]
fn the_page_references_nothing_outside_itself() {
    let mut attested = scan("not-ready-service");
    attested.attestations.push(report::Attestation {
        rule: "readme-present".to_owned(),
        by: "Ana".to_owned(),
        date: "2026-01-01".to_owned(),
        expires: "2027-01-01".to_owned(),
        evidence: "https://wiki.example/launch".to_owned(),
        expired: false,
    });
    for reports in [
        vec![scan("not-ready-service")],
        vec![attested],
        vec![scan("ready-service"), scan("stateful-no-backup")],
    ] {
        let html = report::html::render(&reports, reports.len() > 1);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains("Content-Security-Policy\" content=\"default-src 'none';"),
            "the page forbids every source it does not inline"
        );
        let external: Vec<String> = references(&html)
            .into_iter()
            .filter(|r| !r.starts_with('#'))
            .collect();
        assert!(external.is_empty(), "{external:?}");
        assert!(!html.contains("<script src") && !html.contains("<link"));
    }
    // The references check is not vacuous: a page with a stylesheet link would fail it.
    assert_eq!(
        references(r#"<link href="https://cdn.example/x.css"><img src="a.png">"#),
        ["https://cdn.example/x.css", "a.png"]
    );
}

#[test]
fn the_fixture_page_mentions_no_url_at_all() {
    let html = report::html::render(&[scan("ready-service")], false);
    assert!(
        !html.contains("https://"),
        "ready-service: a URL in the page"
    );
}

#[test]
fn text_from_scanned_files_is_escaped() {
    let mut report = scan("not-ready-service");
    report.target = HOSTILE.to_owned();
    for finding in report.findings.iter_mut().take(2) {
        finding.message = HOSTILE.to_owned();
        finding.object = Some(HOSTILE.to_owned());
        finding.path = Some(format!("{HOSTILE}.yaml"));
    }
    report.attestations.push(report::Attestation {
        rule: "readme-present".to_owned(),
        by: HOSTILE.to_owned(),
        date: "2026-01-01".to_owned(),
        expires: "2027-01-01".to_owned(),
        evidence: HOSTILE.to_owned(),
        expired: true,
    });
    let html = report::html::render(&[report], false);
    assert!(
        !html.contains("<script>alert"),
        "markup from a file is text"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &apos;a&apos;")
    );
    assert!(
        html.contains("\\u{1b}[31m\\u{7}"),
        "controls shown as escapes"
    );
    let raw: Vec<char> = html
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw control characters: {raw:?}");
    // Only the page's own script element exists.
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn the_same_scan_gives_the_same_bytes() {
    let once = report::html::render(&[scan("not-ready-service")], false);
    let again = report::html::render(&[scan("not-ready-service")], false);
    assert_eq!(once, again);
    let threaded = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_golive"))
            .args(["check", "--format", "html", "--threads", threads])
            .arg(repo("not-ready-service"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        out.stdout
    };
    assert_eq!(threaded("1"), threaded("4"));
}

#[test]
fn fleet_pages_start_with_a_sortable_table_of_services() {
    let reports = [scan("not-ready-service"), scan("ready-service")];
    let html = report::html::render(&reports, true);
    let table = &html[html.find("<table id=\"fleet\"").unwrap_or(0)..];
    let table = &table[..table.find("</table>").unwrap_or(0)];
    assert_eq!(table.matches("<th data-sort=").count(), 5);
    assert!(table.contains("<a href=\"#report-0\">fixtures/repos/not-ready-service</a>"));
    assert!(table.contains("<a href=\"#report-1\">fixtures/repos/ready-service</a>"));
    assert!(html.contains("<section class=\"report\" id=\"report-1\">"));
    // A single report has no fleet table.
    let single = report::html::render(&reports[..1], false);
    assert!(!single.contains("id=\"fleet\""));
}

#[test]
fn snapshot_of_the_not_ready_service_page() {
    let html = report::html::render(&[scan("not-ready-service")], false);
    insta::assert_snapshot!("html_not_ready_service", html);
}

// ---- in the browser ----------------------------------------------------------------------

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome", "chrome"]
        .into_iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var_os("GOLIVE_REQUIRE_CHROMIUM").is_none(),
            "GOLIVE_REQUIRE_CHROMIUM is set but no chromium is on PATH"
        );
        eprintln!("skipping the browser test: no chromium on PATH");
    }
    found
}

/// The DOM of `page` once Chromium has loaded it and run its scripts.
fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // To a file, not a pipe: a page larger than the pipe's buffer would block the browser.
    let dumped = profile.path().join("dom.html");
    let out = std::fs::File::create(&dumped).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // A guard against a browser that never exits, not a speed requirement.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish rendering {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read_to_string(&dumped).unwrap_or_else(|e| panic!("{e}"))
}

fn text_of(html: &str) -> String {
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap_or_else(|e| panic!("{e}"));
    tags.replace_all(html, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// (rule, where) of each finding row in a rendered DOM.
fn finding_rows(dom: &str) -> Vec<(String, String)> {
    let row = regex::Regex::new(r#"(?s)<tr class="finding">(.*?)</tr>"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let cell = regex::Regex::new(r"(?s)<td[^>]*>(.*?)</td>").unwrap_or_else(|e| panic!("{e}"));
    let mut rows: Vec<(String, String)> = row
        .captures_iter(dom)
        .map(|r| {
            let cells: Vec<String> = cell
                .captures_iter(&r[1])
                .map(|c| text_of(&c[1]).trim().to_owned())
                .collect();
            (cells[1].clone(), cells[2].clone())
        })
        .collect();
    rows.sort();
    rows
}

/// Scans `repo` once into an HTML and a JSON report (written to `dir`).
fn scan_to_files(repos: &[PathBuf], dir: &Path) -> (PathBuf, serde_json::Value) {
    let (html, json) = (dir.join("report.html"), dir.join("report.json"));
    let status = Command::new(env!("CARGO_BIN_EXE_golive"))
        .arg("check")
        .args(repos)
        .arg("--format")
        .arg(format!("html={}", html.display()))
        .arg("--format")
        .arg(format!("json={}", json.display()))
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        status.code().is_some_and(|c| c < 2),
        "golive failed: {status}"
    );
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}"));
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    (html, value)
}

fn expected_rows(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let at = match f["path"].as_str() {
                Some(path) => format!("{path}:{}:{}", f["line"], f["column"]),
                None => "(repository)".to_owned(),
            };
            (f["rule"].as_str().unwrap_or_default().to_owned(), at)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn chromium_shows_the_score_and_every_finding_of_the_json_report() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (page, json) = scan_to_files(&[repo("not-ready-service")], dir.path());
    let dom = dump_dom(&browser, &page);
    let text = text_of(&dom);
    let score = format!("score {:.1}/100", json["score"].as_f64().unwrap_or(-1.0));
    assert!(text.contains(&score), "{score} not shown");
    assert!(text.contains(&format!("grade {}", json["grade"].as_str().unwrap_or("?"))));
    let expected = expected_rows(&json);
    assert!(expected.len() > 10, "the fixture has findings to show");
    assert_eq!(finding_rows(&dom), expected);
}

/// Appends a script to `page` that runs after the page's own, and returns the text it leaves
/// in `<pre id="probe">`.
fn probe(browser: &Path, page: &Path, script: &str) -> String {
    let html = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{e}"));
    let probed = html.replace(
        "</body>",
        &format!(
            "<script>(function(){{var out=[];{script};var pre=document.createElement('pre');\
             pre.id='probe';pre.textContent=out.join('\\n');document.body.appendChild(pre);}})();\
             </script></body>"
        ),
    );
    let path = page.with_file_name("probed.html");
    std::fs::write(&path, probed).unwrap_or_else(|e| panic!("{e}"));
    let dom = dump_dom(browser, &path);
    let start = dom.find("<pre id=\"probe\">").map(|i| i + 16);
    let text = start.map(|s| &dom[s..s + dom[s..].find("</pre>").unwrap_or(0)]);
    text_of(text.unwrap_or_else(|| panic!("the probe did not run:\n{dom}")))
}

#[test]
fn chromium_reveals_a_rules_docs_on_click() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (page, _) = scan_to_files(&[repo("not-ready-service")], dir.path());
    // Before any click every doc is hidden (nothing rendered); after clicking a finding's rule
    // it is shown with its headings, and a second click hides it again.
    let seen = probe(
        &browser,
        &page,
        "var shown=function(){return Array.prototype.filter.call(\
           document.querySelectorAll('tr.doc'),function(d){return d.offsetHeight>0;}).length;};\
         out.push('before '+shown());\
         var b=document.querySelector('tr.finding button[data-doc]');\
         var doc=document.getElementById(b.getAttribute('data-doc'));\
         b.click();\
         out.push('rule '+b.textContent);\
         out.push('after '+shown()+' '+(doc.offsetHeight>0)+' '+b.getAttribute('aria-expanded'));\
         out.push('doc '+doc.textContent.replace(/\\s+/g,' '));\
         b.click();\
         out.push('again '+shown())",
    );
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines[0], "before 0", "{seen}");
    assert_eq!(lines[1], "rule k8s-privileged-container", "{seen}");
    assert_eq!(lines[2], "after 1 true true", "{seen}");
    assert!(
        lines[3].contains("What it checks")
            && lines[3].contains("Why it matters")
            && lines[3].contains("How to fix it"),
        "{seen}"
    );
    assert_eq!(lines[4], "again 0", "{seen}");
}

#[test]
fn chromium_sorts_the_fleet_table_by_score() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = [
        repo("ready-service"),
        repo("not-ready-service"),
        repo("stateful-no-backup"),
    ];
    let (page, json) = scan_to_files(&repos, dir.path());
    let mut scores: Vec<f64> = json["reports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["score"].as_f64())
        .collect();
    assert_eq!(scores.len(), 3);
    let seen = probe(
        &browser,
        &page,
        "var th=document.querySelectorAll('#fleet th')[1];\
         var col=function(){return Array.prototype.map.call(\
           document.querySelectorAll('#fleet tbody tr'),function(r){return r.cells[1].textContent;}).join(' ');};\
         th.click();out.push(col());th.click();out.push(col())",
    );
    scores.sort_by(f64::total_cmp);
    let ascending: Vec<String> = scores.iter().map(|s| format!("{s:.1}")).collect();
    let descending: Vec<String> = ascending.iter().rev().cloned().collect();
    assert_eq!(
        seen.lines().collect::<Vec<_>>(),
        [ascending.join(" "), descending.join(" ")],
        "{seen}"
    );
}
