//! Gemfile: `gem "name", "~> 1.2"` lines. A gem inside a `group :development, :test do … end`
//! block, or with `group: :test` on its line, is a dev dependency (unless the group includes
//! `:default` or `:production`). Ruby is not evaluated: a gem added by code is not seen.

use super::{Dep, Found};

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    // One entry per open `do` block: whether gems in it are dev dependencies.
    let mut blocks: Vec<bool> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let code = line.split(" #").next().unwrap_or("").trim();
        if code.starts_with('#') || code.is_empty() {
            continue;
        }
        let inherited = blocks.last().copied().unwrap_or(false);
        if code == "end" {
            blocks.pop();
        } else if let Some(groups) = code.strip_prefix("group ").or(code.strip_prefix("group(")) {
            blocks.push(dev_groups(groups));
        } else if code.ends_with(" do") || code.contains(" do |") {
            blocks.push(inherited);
        } else if let Some(args) = code.strip_prefix("gem ").or(code.strip_prefix("gem(")) {
            let mut quoted = quoted_strings(args);
            let Some(name) = quoted.next() else { continue };
            let version = quoted
                .next()
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit() || "~><=!".contains(c)));
            let own_group = args.split_once("group").map(|(_, g)| dev_groups(g));
            let indent = line.len() - line.trim_start().len();
            found.deps.push(Dep {
                name,
                version,
                dev: own_group.unwrap_or(inherited),
                span: start + indent..start + line.trim_end().len(),
            });
        }
    }
    found
}

fn dev_groups(groups: &str) -> bool {
    let dev = groups.contains(":development") || groups.contains(":test");
    dev && !groups.contains(":default") && !groups.contains(":production")
}

/// The contents of each `"…"` or `'…'` literal, in order.
fn quoted_strings(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = rest.find(['"', '\''])?;
        let quote = rest[open..].chars().next()?;
        let body = &rest[open + 1..];
        let close = body.find(quote)?;
        rest = &body[close + 1..];
        Some(body[..close].to_owned())
    })
}
