//! go.mod: `require` lines and `require ( … )` blocks. Go has no dev dependencies.

use super::{Dep, Found, lines_with_offsets, subslice_range};

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let mut block: Option<usize> = None;
    for (offset, line) in lines_with_offsets(text) {
        let code = strip_comment(line).trim();
        if block.is_some() {
            if code.starts_with(')') {
                block = None;
            } else if let Some(dep) = requirement(line, code, offset) {
                found.deps.push(dep);
            }
            continue;
        }
        let Some(rest) = code.strip_prefix("require") else {
            continue;
        };
        if !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        let rest = rest.trim_start();
        if let Some(opened) = rest.strip_prefix('(') {
            block = Some(offset);
            // `require ( a v1 )` on one line is legal too.
            if let Some(inner) = opened.trim().strip_suffix(')') {
                block = None;
                if let Some(dep) = requirement(line, inner.trim(), offset) {
                    found.deps.push(dep);
                }
            }
        } else if let Some(dep) = requirement(line, rest, offset) {
            found.deps.push(dep);
        }
    }
    if let Some(start) = block {
        found.error("`require (` block is never closed", start..start + 7);
    }
    found
}

/// `module/path v1.2.3` → a dependency spanning the two tokens.
fn requirement(line: &str, code: &str, line_start: usize) -> Option<Dep> {
    let mut tokens = code.split_whitespace();
    let name = tokens.next()?;
    let version = tokens.next();
    let first = subslice_range(line, name);
    let last = version.map_or(first.clone(), |v| subslice_range(line, v));
    Some(Dep {
        name: unquote(name).to_string(),
        version: version.map(|v| unquote(v).to_string()),
        dev: false,
        span: line_start + first.start..line_start + last.end,
    })
}

fn strip_comment(line: &str) -> &str {
    line.split_once("//").map_or(line, |(code, _)| code)
}

/// Module paths may be quoted (`"example.com/m" v1.0.0`).
fn unquote(token: &str) -> &str {
    token.trim_matches(|c| c == '"' || c == '`')
}
