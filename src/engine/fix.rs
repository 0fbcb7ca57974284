//! A rule's `fix:` block: compiled from the rule file, then turned, for one failing item, into
//! byte-range edits of the file the item was read from (`golive fix`). The engine only reads
//! the tree and the text here; merging the edits of a file and rendering new YAML lines is
//! `crate::fix`'s job.

use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::compile::{Condition, Template, TemplatePart};
use super::condition::{self, Context};
use crate::model::{NodeId, Tree, Value};
use crate::source::{FileId, SourceFile};

/// A compiled fix: what it does, to the items `when` admits.
#[derive(Clone, Debug)]
pub struct Fix {
    pub when: Option<Condition>,
    /// Why an item `when` leaves out is not fixed.
    pub otherwise: String,
    /// What it does, for the rule's docs.
    pub does: String,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub enum Action {
    Set(Vec<Field>),
    Replace { regex: FixRegex, with: String },
    ExecForm,
    Create { path: Template, text: Template },
}

impl Action {
    /// What the operation does, in a few words, when the rule does not say.
    pub fn describe(&self) -> String {
        match self {
            Action::Set(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let value = match &f.value {
                            FieldValue::Scalar(s) => s.yaml(),
                            FieldValue::List(items) => {
                                let items: Vec<String> = items.iter().map(Scalar::yaml).collect();
                                format!("[{}]", items.join(", "))
                            }
                        };
                        format!("`{}: {value}`", f.keys.join("."))
                    })
                    .collect();
                format!("sets {}", fields.join(", "))
            }
            Action::Replace { regex, with } => {
                format!("replaces `{}` with `{with}`", regex.source)
            }
            Action::ExecForm => {
                "rewrites a shell-form command as a JSON array when it splits safely".to_owned()
            }
            Action::Create { path, .. } => {
                let parts: Vec<String> = path
                    .parts
                    .iter()
                    .map(|part| match part {
                        TemplatePart::Text(text) => text.clone(),
                        TemplatePart::Value(p) | TemplatePart::Optional(p) => {
                            format!("<{}>", p.text)
                        }
                        TemplatePart::Dir => "<dir>".to_owned(),
                        TemplatePart::Object | TemplatePart::File | TemplatePart::Unmet => {
                            String::new()
                        }
                    })
                    .collect();
                format!("writes `{}`", parts.concat().trim_start_matches('/'))
            }
        }
    }
}

/// One field a `set` fix makes the item hold.
#[derive(Clone, Debug)]
pub struct Field {
    pub keys: Vec<String>,
    pub value: FieldValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Scalar(Scalar),
    /// Items the field's list must contain.
    List(Vec<Scalar>),
}

/// A YAML scalar a fix writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

impl Scalar {
    /// The scalar as YAML source: plain when YAML reads it back as this very string, else a
    /// double-quoted (JSON) string.
    pub fn yaml(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Str(s) => yaml_string(s),
        }
    }

    fn is(&self, tree: &Tree, node: NodeId) -> bool {
        match (self, tree.value(node)) {
            (Scalar::Bool(a), Value::Bool(b)) => a == b,
            (Scalar::Int(a), Value::Int(b)) => a == b,
            (Scalar::Str(a), Value::Str(b)) => **a == **b,
            _ => false,
        }
    }
}

/// A string as a YAML scalar that reads back as the same string.
pub fn yaml_string(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !text.starts_with(['-', '.'])
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        serde_json::Value::from(text).to_string()
    }
}

/// A `replace` regex: built on first use, like a built-in rule's condition regexes.
#[derive(Clone, Debug)]
pub struct FixRegex {
    source: Arc<str>,
    built: Arc<OnceLock<Option<Regex>>>,
}

impl FixRegex {
    pub fn new(source: &str) -> FixRegex {
        FixRegex {
            source: source.into(),
            built: Arc::default(),
        }
    }

    fn regex(&self) -> Option<&Regex> {
        self.built
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }
}

/// What a fix does to one failing item.
#[derive(Clone, Debug, PartialEq)]
pub enum Planned {
    /// Bytes `start..end` of `file` become `text`.
    Edit {
        file: FileId,
        start: usize,
        end: usize,
        text: String,
    },
    /// `keys` (the first one missing) set to `value` inside the block mapping whose first key
    /// starts at byte `map` of `file`.
    Insert {
        file: FileId,
        map: usize,
        keys: Vec<String>,
        value: FieldValue,
    },
    /// A new file, relative to the scanned root.
    Create { path: String, text: String },
    /// Why this item cannot be fixed mechanically.
    Skip(String),
}

/// The edits that fix the item of `cx`, read from `files` (the scan's, by `FileId`).
pub fn plan(fix: &Fix, cx: Context<'_>, files: &[SourceFile]) -> Vec<Planned> {
    if let Some(when) = &fix.when
        && !condition::eval(when, cx).ok
    {
        return vec![Planned::Skip(fix.otherwise.clone())];
    }
    let planned = match &fix.action {
        Action::Set(fields) => fields.iter().map(|field| set(field, cx, files)).collect(),
        Action::Replace { regex, with } => replace(regex, with, cx, files),
        Action::ExecForm => vec![exec_form(cx, files)],
        Action::Create { path, text } => vec![create(path, text, cx, files)],
    };
    // An edit into another file than the item's (a value inherited from a base) is not made.
    let own = cx.doc.file;
    planned
        .into_iter()
        .map(|p| match p {
            Planned::Edit { file, .. } | Planned::Insert { file, .. } if file != own => {
                Planned::Skip("the value is written in another file".to_owned())
            }
            p => p,
        })
        .collect()
}

fn text_at(files: &[SourceFile], file: FileId, start: usize) -> &str {
    files
        .get(file as usize)
        .and_then(|f| f.text.get(start..))
        .unwrap_or("")
}

/// Walks the field's keys from the item: the first missing one is inserted, an existing
/// value is replaced or completed.
fn set(field: &Field, cx: Context<'_>, files: &[SourceFile]) -> Planned {
    let tree = &cx.doc.tree;
    let mut node = cx.item;
    for (depth, key) in field.keys.iter().enumerate() {
        let found = tree
            .entry(node, key)
            .map(|e| e.value)
            .filter(|v| tree.loc(*v).is_some());
        let Some(next) = found else {
            return insert(tree, node, &field.keys[depth..], &field.value, files);
        };
        node = next;
    }
    let Some(loc) = tree.loc(node) else {
        return Planned::Skip("the field has no place in the file".to_owned());
    };
    let (file, start, end) = (loc.file, loc.span.start as usize, loc.span.end as usize);
    let written = text_at(files, file, start);
    let edit = |at: usize, to: usize, text: String| Planned::Edit {
        file,
        start: at,
        end: to,
        text,
    };
    match (&field.value, tree.value(node)) {
        (FieldValue::Scalar(want), _) if want.is(tree, node) => {
            Planned::Skip("the field already holds the value".to_owned())
        }
        (FieldValue::Scalar(want), value) if !matches!(value, Value::Map(_) | Value::Seq(_)) => {
            if written.starts_with(['|', '>', '&', '!', '*']) {
                return Planned::Skip("the value is a block scalar, anchor or tag".to_owned());
            }
            edit(start, end, want.yaml())
        }
        (FieldValue::List(want), Value::Seq(items)) => {
            let missing: Vec<String> = want
                .iter()
                .filter(|w| !items.iter().any(|i| w.is(tree, *i)))
                .map(Scalar::yaml)
                .collect();
            if missing.is_empty() {
                return Planned::Skip("the list already holds the items".to_owned());
            }
            let whole = files.get(file as usize).map_or("", |f| &*f.text);
            if let Some(inside) = written.strip_prefix('[') {
                let empty = inside.trim_start().starts_with(']');
                let separator = if empty { "" } else { ", " };
                edit(start + 1, start + 1, missing.join(", ") + separator)
            } else if written.starts_with('-') {
                // The new items line up with the first: what precedes it on its line (spaces,
                // an outer `- `) becomes spaces.
                let before = whole
                    .get(..start)
                    .unwrap_or("")
                    .rsplit('\n')
                    .next()
                    .unwrap_or("");
                let indent = " ".repeat(before.chars().count());
                let newline = line_end(whole);
                let items: String = missing
                    .iter()
                    .map(|m| format!("- {m}{newline}{indent}"))
                    .collect();
                edit(start, start, items)
            } else {
                Planned::Skip("the list is written in an unexpected form".to_owned())
            }
        }
        _ => Planned::Skip(format!(
            "`{}` holds another kind of value",
            field.keys.join(".")
        )),
    }
}

fn insert(
    tree: &Tree,
    map: NodeId,
    keys: &[String],
    value: &FieldValue,
    files: &[SourceFile],
) -> Planned {
    let Some(loc) = tree
        .loc(map)
        .filter(|_| matches!(tree.value(map), Value::Map(_)))
    else {
        return Planned::Skip(format!("no mapping to add `{}` to", keys.join(".")));
    };
    if text_at(files, loc.file, loc.span.start as usize).starts_with('{') {
        return Planned::Skip("the mapping is written in flow style (`{…}`)".to_owned());
    }
    Planned::Insert {
        file: loc.file,
        map: loc.span.start as usize,
        keys: keys.to_vec(),
        value: value.clone(),
    }
}

/// The line ending a file uses (CRLF when any line has one).
pub fn line_end(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

fn item_text<'a>(cx: Context<'_>, files: &'a [SourceFile]) -> Option<(FileId, usize, &'a str)> {
    let loc = cx.doc.tree.loc(cx.item)?;
    let text = files
        .get(loc.file as usize)?
        .text
        .get(loc.span.start as usize..loc.span.end as usize)?;
    Some((loc.file, loc.span.start as usize, text))
}

fn replace(regex: &FixRegex, with: &str, cx: Context<'_>, files: &[SourceFile]) -> Vec<Planned> {
    let (Some((file, start, text)), Some(regex)) = (item_text(cx, files), regex.regex()) else {
        return vec![Planned::Skip("the item has no source text".to_owned())];
    };
    regex
        .captures_iter(text)
        .filter_map(|captures| {
            let whole = captures.get(0)?;
            let mut replaced = String::new();
            captures.expand(with, &mut replaced);
            Some(Planned::Edit {
                file,
                start: start + whole.start(),
                end: start + whole.end(),
                text: replaced,
            })
        })
        .collect()
}

/// Shell builtins and words that only mean something to a shell: such a command needs one.
const SHELL_WORDS: [&str; 14] = [
    "cd", "export", "source", ".", "set", "unset", "ulimit", "umask", "alias", "eval", "exec",
    "trap", "wait", "shift",
];

/// `CMD npm start` → `CMD ["npm", "start"]`, when splitting at blanks is all the shell would
/// do: a single line of words made of characters no shell treats specially.
fn exec_form(cx: Context<'_>, files: &[SourceFile]) -> Planned {
    let skip = |why: &str| Planned::Skip(why.to_owned());
    let Some((file, start, text)) = item_text(cx, files) else {
        return skip("the instruction has no source text");
    };
    let Some((keyword, command)) = text.split_once([' ', '\t']) else {
        return skip("the instruction has no command");
    };
    if !["CMD", "ENTRYPOINT"].contains(&keyword.to_ascii_uppercase().as_str()) {
        return skip("not a CMD or ENTRYPOINT");
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    let words: Vec<&str> = command
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect();
    let splittable = words.iter().all(|w| w.chars().all(safe))
        && words
            .first()
            .is_some_and(|w| !w.contains('=') && !SHELL_WORDS.contains(w));
    if !splittable {
        return skip("the command needs a shell (quotes, variables, operators or a builtin)");
    }
    let array: Vec<String> = words
        .iter()
        .map(|w| serde_json::Value::from(*w).to_string())
        .collect();
    let at = start + keyword.len() + (command.len() - command.trim_start().len()) + 1;
    Planned::Edit {
        file,
        start: at,
        end: start + text.len(),
        text: format!("[{}]", array.join(", ")),
    }
}

fn create(path: &Template, text: &Template, cx: Context<'_>, files: &[SourceFile]) -> Planned {
    let file = files
        .get(cx.doc.file as usize)
        .map_or("", |f| f.path.as_str());
    let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir);
    let path = match fill(path, cx, dir) {
        Ok(path) => path.trim_start_matches('/').to_owned(),
        Err(Missing::Required(why)) => return Planned::Skip(why),
        Err(Missing::Optional) => return Planned::Skip("the file name has no value".to_owned()),
    };
    let unsafe_path = path.split('/').any(|part| {
        part.is_empty() || part == ".." || part == "." || part.chars().any(char::is_control)
    });
    if unsafe_path {
        return Planned::Skip(format!("`{path}` is not a plain path inside the root"));
    }
    let mut out = String::new();
    for line in text_lines(text) {
        match fill(&line, cx, dir) {
            Ok(line) => out.push_str(&line),
            Err(Missing::Optional) => {}
            Err(Missing::Required(why)) => return Planned::Skip(why),
        }
    }
    Planned::Create { path, text: out }
}

/// A template cut into lines (each keeping its `\n`), so a line with an optional placeholder
/// that has no value can be left out.
fn text_lines(template: &Template) -> Vec<Template> {
    let mut lines = vec![Template { parts: Vec::new() }];
    for part in &template.parts {
        let TemplatePart::Text(text) = part else {
            if let Some(line) = lines.last_mut() {
                line.parts.push(part.clone());
            }
            continue;
        };
        for (i, piece) in text.split_inclusive('\n').enumerate() {
            if i > 0 {
                lines.push(Template { parts: Vec::new() });
            }
            if let Some(line) = lines.last_mut() {
                line.parts.push(TemplatePart::Text(piece.to_owned()));
            }
        }
        if text.ends_with('\n') {
            lines.push(Template { parts: Vec::new() });
        }
    }
    lines
}

/// A placeholder without a value: `{path?}` leaves its line out, `{path}` the whole fix.
enum Missing {
    Optional,
    Required(String),
}

fn fill(template: &Template, cx: Context<'_>, dir: &str) -> Result<String, Missing> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Dir => out.push_str(dir),
            TemplatePart::Object => out.push_str(cx.doc.label.as_deref().unwrap_or("")),
            // A fix has no failed check to name.
            TemplatePart::File | TemplatePart::Unmet => {}
            TemplatePart::Value(path) | TemplatePart::Optional(path) => {
                let (tree, hits) = cx.resolve(path);
                match hits.first().and_then(|id| flow(tree, *id)) {
                    Some(text) => out.push_str(&text),
                    None if matches!(part, TemplatePart::Optional(_)) => {
                        return Err(Missing::Optional);
                    }
                    None => return Err(Missing::Required(format!("no value at `{}`", path.text))),
                }
            }
        }
    }
    Ok(out)
}

/// A value as one line of YAML: a scalar, or a flow mapping or sequence of scalars.
fn flow(tree: &Tree, id: NodeId) -> Option<String> {
    match tree.value(id) {
        Value::Null => None,
        Value::Str(s) => Some(yaml_string(s)),
        Value::Map(entries) => {
            let pairs: Option<Vec<String>> = entries
                .iter()
                .map(|e| {
                    let value = tree.scalar_text(e.value).filter(|_| {
                        !matches!(tree.value(e.value), Value::Map(_) | Value::Seq(_))
                    })?;
                    Some(format!(
                        "{}: {}",
                        yaml_string(e.key.as_str()),
                        yaml_string(&value)
                    ))
                })
                .collect();
            pairs
                .filter(|p| !p.is_empty())
                .map(|p| format!("{{{}}}", p.join(", ")))
        }
        Value::Seq(items) => {
            let values: Option<Vec<String>> = items
                .iter()
                .map(|i| tree.as_str(*i).map(yaml_string))
                .collect();
            values.map(|v| format!("[{}]", v.join(", ")))
        }
        _ => tree.scalar_text(id).map(|t| t.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_plain_only_when_yaml_reads_them_back_as_strings() {
        assert_eq!(yaml_string("RuntimeDefault"), "RuntimeDefault");
        assert_eq!(yaml_string("true"), "\"true\"");
        assert_eq!(yaml_string("1.0"), "\"1.0\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
        assert_eq!(yaml_string(""), "\"\"");
    }
}
