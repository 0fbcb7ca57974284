//! .csproj and Directory.Packages.props: `<PackageReference Include="X" Version="Y"/>` and
//! central `<PackageVersion …/>`, with the version either as an attribute or a child element.

use super::{Dep, Found, xml_scan};

const TAGS: [&str; 2] = ["<PackageReference", "<PackageVersion"];

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let text = xml_scan::blank_comments(text);
    let mut cursor = 0;
    for (start, tag) in tag_starts(&text) {
        if start < cursor {
            continue;
        }
        let Some(tag_len) = text.get(start..).and_then(|rest| rest.find('>')) else {
            found.error(format!("`{tag}` is never closed"), start..start + tag.len());
            break;
        };
        let tag_end = start + tag_len + 1;
        let head = text.get(start..tag_end).unwrap_or("");
        let (end, body) = element_body(&text, tag, head, tag_end);
        if let Some(dep) = package(head, body) {
            found.deps.push(Dep {
                span: start..end,
                ..dep
            });
        }
        cursor = end.max(tag_end);
    }
    found
}

/// Every package tag start in file order (not longer names such as `<PackageReferences`).
fn tag_starts(text: &str) -> Vec<(usize, &'static str)> {
    let mut starts: Vec<(usize, &'static str)> = TAGS
        .iter()
        .flat_map(|tag| {
            text.match_indices(tag)
                .map(move |(pos, _)| (pos, *tag))
                .filter(|(pos, tag)| {
                    let next = text.get(pos + tag.len()..).and_then(|r| r.chars().next());
                    next.is_some_and(|c| c.is_whitespace() || c == '/' || c == '>')
                })
        })
        .collect();
    starts.sort_unstable();
    starts
}

/// For a non-self-closing element, the end of its closing tag and the text between; the closing
/// tag is looked for only within a short window so a missing one cannot make the scan quadratic.
fn element_body<'a>(text: &'a str, tag: &str, head: &str, tag_end: usize) -> (usize, &'a str) {
    const WINDOW: usize = 1024;
    if head.ends_with("/>") {
        return (tag_end, "");
    }
    let close = format!("</{}>", tag.trim_start_matches('<'));
    let mut window_end = (tag_end + WINDOW).min(text.len());
    while !text.is_char_boundary(window_end) {
        window_end -= 1;
    }
    let window = text.get(tag_end..window_end).unwrap_or("");
    match window.find(&close) {
        Some(at) => (tag_end + at + close.len(), window.get(..at).unwrap_or("")),
        None => (tag_end, ""),
    }
}

fn package(head: &str, body: &str) -> Option<Dep> {
    // `Update=` edits an item declared elsewhere; it still pins a version, so it counts.
    let name =
        xml_scan::attribute(head, "Include").or_else(|| xml_scan::attribute(head, "Update"))?;
    let version = xml_scan::attribute(head, "Version")
        .or_else(|| xml_scan::attribute(head, "VersionOverride"))
        .or_else(|| xml_scan::child_text(body, "Version"));
    Some(Dep {
        name: name.to_string(),
        version: version.map(str::to_string),
        dev: false,
        span: 0..0,
    })
}
