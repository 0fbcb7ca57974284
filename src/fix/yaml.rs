//! New YAML lines for a block mapping: where they go (after the mapping's last line, before
//! whatever follows at a lower indentation) and how they are indented (like the file is).

use crate::engine::fix::{FieldValue, line_end, yaml_string};

/// Keys below one mapping, in the order the fixes asked for them; a key holds a value or
/// more keys.
#[derive(Default)]
pub struct Fields {
    entries: Vec<(String, Entry)>,
}

enum Entry {
    Value(FieldValue),
    Keys(Fields),
}

impl Fields {
    /// Adds `keys: value`; a key already added with a value keeps it.
    pub fn add(&mut self, keys: &[String], value: &FieldValue) {
        let Some((first, rest)) = keys.split_first() else {
            return;
        };
        let at = match self.entries.iter().position(|(k, _)| k == first) {
            Some(at) => at,
            None => {
                let entry = if rest.is_empty() {
                    Entry::Value(value.clone())
                } else {
                    Entry::Keys(Fields::default())
                };
                self.entries.push((first.clone(), entry));
                self.entries.len() - 1
            }
        };
        if let Entry::Keys(nested) = &mut self.entries[at].1 {
            nested.add(rest, value);
        }
    }

    fn render(&self, indent: usize, step: usize, newline: &str, out: &mut String) {
        for (key, entry) in &self.entries {
            out.push_str(&" ".repeat(indent));
            out.push_str(&yaml_string(key));
            out.push(':');
            match entry {
                Entry::Value(value) => {
                    out.push(' ');
                    out.push_str(&value_text(value));
                    out.push_str(newline);
                }
                Entry::Keys(nested) => {
                    out.push_str(newline);
                    nested.render(indent + step, step, newline, out);
                }
            }
        }
    }
}

fn value_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Scalar(scalar) => scalar.yaml(),
        FieldValue::List(items) => {
            let items: Vec<String> = items.iter().map(|i| i.yaml()).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// The offset to insert at and the lines that give the block mapping whose first key starts
/// at byte `map` of `text` these fields.
pub fn insertion(text: &str, map: usize, fields: &Fields) -> Option<(usize, String)> {
    let before = text.get(..map)?;
    // The key's column: everything before it on its line is indentation or a `- ` marker.
    let indent = before.rsplit('\n').next().unwrap_or("").chars().count();
    let newline = line_end(text);
    let mut end = text[map..].find('\n').map_or(text.len(), |i| map + i + 1);
    let mut at = end;
    // Inside a block scalar (`key: |`) every more-indented line is text, even one with a `#`.
    let mut scalar_above = opens_block_scalar(&text[line_start(text, map)..end]).then_some(indent);
    while at < text.len() {
        let next = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let line = text[at..next].trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        let depth = line.len() - content.len();
        if scalar_above.is_some_and(|above| depth > above) && !content.is_empty() {
            end = next;
        } else if !(content.is_empty() || content.starts_with('#')) {
            let marker = depth == 0 && (content.starts_with("---") || content.starts_with("..."));
            if depth < indent || marker {
                break;
            }
            end = next;
            scalar_above = opens_block_scalar(content).then_some(depth);
        }
        at = next;
    }
    let mut lines = String::new();
    if !text[..end].ends_with('\n') {
        lines.push_str(newline);
    }
    fields.render(indent, indent_step(text), newline, &mut lines);
    Some((end, lines))
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether a line ends in a block scalar indicator (`key: |`, `- >-`, `key: |2 # note`).
fn opens_block_scalar(line: &str) -> bool {
    let line = line.trim_end();
    let code = match line.find(" #") {
        Some(at) => &line[..at],
        None => line,
    };
    let last = code.trim_end().rsplit([' ', '\t']).next().unwrap_or("");
    let indicator = last.strip_prefix(['|', '>']).is_some_and(|rest| {
        rest.chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
    });
    indicator && (code.trim_end().len() > last.len() || code.trim_start() == last)
}

/// How many spaces the file indents a nested mapping by (the first `key:` followed by a more
/// indented key); 2 when it shows none.
fn indent_step(text: &str) -> usize {
    let mut parent: Option<usize> = None;
    for line in text.lines() {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let depth = line.len() - content.len();
        if let Some(parent) = parent.filter(|p| depth > *p && !content.starts_with('-')) {
            return depth - parent;
        }
        let opens_block = content.trim_end().ends_with(':') && !content.starts_with('-');
        parent = opens_block.then_some(depth);
    }
    2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fix::Scalar;

    fn fields(pairs: &[(&str, FieldValue)]) -> Fields {
        let mut fields = Fields::default();
        for (path, value) in pairs {
            let keys: Vec<String> = path.split('.').map(str::to_owned).collect();
            fields.add(&keys, value);
        }
        fields
    }

    #[test]
    fn lines_go_after_the_mapping_at_its_indentation_merged_under_one_new_key() {
        let text = "items:\n    - name: a\n      image: x\n      # note\n\n    - name: b\n";
        let map = text.find("name: a").unwrap_or_default();
        let wanted = fields(&[
            ("securityContext.a", FieldValue::Scalar(Scalar::Bool(false))),
            (
                "securityContext.b",
                FieldValue::List(vec![Scalar::Str("ALL".into())]),
            ),
        ]);
        let (at, lines) = insertion(text, map, &wanted).unwrap_or_default();
        assert_eq!(&text[..at], "items:\n    - name: a\n      image: x\n");
        assert_eq!(
            lines,
            "      securityContext:\n        a: false\n        b: [ALL]\n"
        );
    }

    #[test]
    fn a_last_line_without_newline_and_crlf_files_keep_their_line_ends() {
        let text = "a: 1\r\nb: 2";
        let one = fields(&[("c", FieldValue::Scalar(Scalar::Int(3)))]);
        assert_eq!(
            insertion(text, 0, &one),
            Some((text.len(), "\r\nc: 3\r\n".to_owned()))
        );
    }

    #[test]
    fn a_block_scalar_is_not_cut_even_where_its_text_looks_like_a_comment() {
        let text = "- name: a\n  args: |\n    run\n    # not a comment\n- name: b\n";
        let one = fields(&[("c", FieldValue::Scalar(Scalar::Int(3)))]);
        let end = text.find("- name: b").unwrap_or_default();
        assert_eq!(insertion(text, 2, &one), Some((end, "  c: 3\n".to_owned())));
        assert!(opens_block_scalar("key: |-  # note"));
        assert!(!opens_block_scalar("key: a|b"));
    }

    #[test]
    fn a_document_marker_ends_a_root_mapping() {
        let text = "a: 1\n---\nb: 2\n";
        let one = fields(&[("c", FieldValue::Scalar(Scalar::Int(3)))]);
        assert_eq!(insertion(text, 0, &one), Some((5, "c: 3\n".to_owned())));
    }
}
