//! pom.xml: every `<dependency>` element as `groupId:artifactId` with its version; scope `test`
//! is dev. Managed (`<dependencyManagement>`) and plugin dependencies are listed too: they are
//! declarations a reviewer checks for pinned versions all the same.

use super::{Dep, Found, xml_scan};

const OPEN: &str = "<dependency>";
const CLOSE: &str = "</dependency>";

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let text = xml_scan::blank_comments(text);
    let mut cursor = 0;
    while let Some(open) = text.get(cursor..).and_then(|rest| rest.find(OPEN)) {
        let start = cursor + open;
        let body_start = start + OPEN.len();
        let Some(close) = text.get(body_start..).and_then(|rest| rest.find(CLOSE)) else {
            found.error("`<dependency>` is never closed", start..body_start);
            break;
        };
        let end = body_start + close + CLOSE.len();
        if let Some(dep) = text
            .get(body_start..body_start + close)
            .and_then(dependency)
        {
            found.deps.push(Dep {
                span: start..end,
                ..dep
            });
        }
        cursor = end;
    }
    found
}

fn dependency(body: &str) -> Option<Dep> {
    let group = xml_scan::child_text(body, "groupId")?;
    let artifact = xml_scan::child_text(body, "artifactId")?;
    Some(Dep {
        name: format!("{group}:{artifact}"),
        version: xml_scan::child_text(body, "version").map(str::to_string),
        dev: xml_scan::child_text(body, "scope") == Some("test"),
        span: 0..0,
    })
}
