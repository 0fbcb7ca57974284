//! mix.exs: the `{:name, "~> 1.7"}` tuples of the project's dependency list (one per line, as
//! `mix format` writes them). A dependency with `only:` that leaves out `:prod` is a dev
//! dependency. Elixir is not evaluated: dependencies built by code are not seen.

use super::{Dep, Found};

pub(super) fn read(text: &str) -> Found {
    let mut found = Found::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let code = line.split('#').next().unwrap_or("");
        let Some(open) = code.find("{:") else {
            continue;
        };
        let tuple = &code[open + 2..];
        let name: String = tuple
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let version = tuple.split_once('"').and_then(|(before, after)| {
            // Only a requirement right after the name (`{:dep, "~> 1.0"}`), not a `git:` URL.
            let right_after_name = before.trim_start_matches(name.as_str()).trim() == ",";
            right_after_name
                .then(|| after.split_once('"').map(|(v, _)| v.to_owned()))
                .flatten()
        });
        let dev = tuple
            .split_once("only:")
            .is_some_and(|(_, only)| !only.split('}').next().unwrap_or("").contains(":prod"));
        found.deps.push(Dep {
            name,
            version,
            dev,
            span: start + open..start + code.trim_end().len(),
        });
    }
    found
}
