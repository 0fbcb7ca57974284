//! Just enough XML for build files: comments blanked out, child element text, attribute values.
//! Not a parser; it reads well-formed manifests precisely and skips what it cannot read.

use std::borrow::Cow;

/// The text with every `<!-- … -->` replaced by spaces of the same byte length, so commented-out
/// dependencies are not read and offsets still match the file.
pub(super) fn blank_comments(text: &str) -> Cow<'_, str> {
    if !text.contains("<!--") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("<!--") {
        let (before, comment) = rest.split_at(open);
        out.push_str(before);
        let close = comment.find("-->").map_or(comment.len(), |i| i + 3);
        let (comment, after) = comment.split_at(close);
        for c in comment.chars() {
            if c == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        rest = after;
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The trimmed text of the first `<tag>…</tag>` in `element`.
pub(super) fn child_text<'a>(element: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = element.find(&open)? + open.len();
    let rest = element.get(start..)?;
    let end = rest.find(&close)?;
    Some(rest.get(..end)?.trim())
}

/// The value of `name="…"` (or `'…'`) in a start tag.
pub(super) fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before_ok = rest
            .get(..at)
            .and_then(|b| b.chars().next_back())
            .is_some_and(char::is_whitespace);
        let after = rest.get(at + name.len()..)?;
        let value = after.trim_start().strip_prefix('=').map(str::trim_start);
        if let (true, Some(value)) = (before_ok, value) {
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let inner = value.get(1..)?;
            return inner.split(quote).next();
        }
        rest = after;
    }
    None
}
