//! Variable expansion and word splitting the way BuildKit's shell lexer does them for `FROM`,
//! `ARG`, `ENV`, `USER` and `EXPOSE`, without ever running a shell.

use std::collections::BTreeMap;

/// Variable name → value, for one scope (global ARGs, a stage's ARGs, a stage's ENV).
pub type Vars = BTreeMap<String, String>;

/// Nested `${A:-${B:-…}}` defaults recurse; a hostile file must not be able to blow the stack.
const MAX_DEPTH: usize = 32;

/// The result of expanding one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    /// Some variable had no known value; its reference is kept as written in `text`.
    pub unresolved: bool,
}

/// Expands `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`
/// and removes quotes and escapes. `scopes` are searched in order (ENV before ARG, as BuildKit).
pub fn expand(word: &str, scopes: &[&Vars], escape: char) -> Expanded {
    let mut expander = Expander {
        scopes,
        escape,
        unresolved: false,
        depth: 0,
    };
    let text = expander.word(word);
    Expanded {
        text,
        unresolved: expander.unresolved,
    }
}

/// Splits on unquoted, unescaped whitespace; quotes and escapes stay in the words. Offsets are
/// byte offsets into `text`, so callers can point at each word.
pub fn split_words(text: &str, escape: char) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == escape && quote != Some('\'') {
            escaped = true;
            start.get_or_insert(i);
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            None if c.is_whitespace() => {
                if let Some(begin) = start.take() {
                    words.push((begin, &text[begin..i]));
                }
            }
            None => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(begin) = start {
        words.push((begin, &text[begin..]));
    }
    words
}

struct Expander<'v> {
    scopes: &'v [&'v Vars],
    escape: char,
    unresolved: bool,
    depth: usize,
}

impl Expander<'_> {
    fn word(&mut self, word: &str) -> String {
        let mut out = String::with_capacity(word.len());
        let mut quote: Option<char> = None;
        let mut rest = word;
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            match (quote, c) {
                (Some('\''), '\'') => quote = None,
                (Some('\''), _) => out.push(c),
                (_, c) if c == self.escape => rest = self.escaped(rest, quote, &mut out),
                (Some(_), '"') => quote = None,
                (None, '"' | '\'') => quote = Some(c),
                (_, '$') => rest = self.dollar(rest, &mut out),
                _ => out.push(c),
            }
        }
        out
    }

    /// Inside double quotes only `"`, `$` and the escape character itself can be escaped; the
    /// escape character before anything else is literal there.
    fn escaped<'s>(&self, rest: &'s str, quote: Option<char>, out: &mut String) -> &'s str {
        let Some(next) = rest.chars().next() else {
            out.push(self.escape);
            return rest;
        };
        if quote.is_some() && !matches!(next, '"' | '$') && next != self.escape {
            out.push(self.escape);
            return rest;
        }
        out.push(next);
        &rest[next.len_utf8()..]
    }

    fn dollar<'s>(&mut self, rest: &'s str, out: &mut String) -> &'s str {
        if let Some(inner) = rest.strip_prefix('{') {
            return self.braced(inner, out);
        }
        let len = name_len(rest);
        if len == 0 {
            out.push('$');
            return rest;
        }
        let name = &rest[..len];
        match self.lookup(name) {
            Some(value) => out.push_str(&value),
            None => {
                self.unresolved = true;
                out.push('$');
                out.push_str(name);
            }
        }
        &rest[len..]
    }

    fn braced<'s>(&mut self, inner: &'s str, out: &mut String) -> &'s str {
        let len = name_len(inner);
        let close = closing_brace(&inner[len..]);
        let (Some(close), false) = (close, len == 0 || self.depth >= MAX_DEPTH) else {
            self.unresolved = true;
            out.push_str("${");
            return inner;
        };
        let name = &inner[..len];
        let modifier = &inner[len..len + close];
        let raw = &inner[..len + close];
        self.depth += 1;
        let value = self.modify(name, modifier);
        self.depth -= 1;
        match value {
            Some(value) => out.push_str(&value),
            None => {
                self.unresolved = true;
                out.push_str("${");
                out.push_str(raw);
                out.push('}');
            }
        }
        &inner[len + close + 1..]
    }

    /// `None` when the value depends on something unknown (an unset variable without a
    /// default, or a modifier we do not evaluate such as `${VAR#prefix}`).
    fn modify(&mut self, name: &str, modifier: &str) -> Option<String> {
        let value = self.lookup(name);
        let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
        if let Some(default) = modifier.strip_prefix(":-") {
            return Some(if non_empty {
                value?
            } else {
                self.word(default)
            });
        }
        if let Some(alt) = modifier.strip_prefix(":+") {
            return Some(if non_empty {
                self.word(alt)
            } else {
                String::new()
            });
        }
        if let Some(default) = modifier.strip_prefix('-') {
            return Some(value.unwrap_or_else(|| self.word(default)));
        }
        if let Some(alt) = modifier.strip_prefix('+') {
            return Some(if value.is_some() {
                self.word(alt)
            } else {
                String::new()
            });
        }
        if modifier.is_empty() || modifier.starts_with(":?") || modifier.starts_with('?') {
            return value;
        }
        None
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.scopes.iter().find_map(|vars| vars.get(name)).cloned()
    }
}

fn name_len(text: &str) -> usize {
    let mut len = 0;
    for (i, c) in text.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = i + 1;
    }
    len
}

/// Byte index of the `}` closing a `${`, counting nested braces.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(word: &str, pairs: &[(&str, &str)]) -> (String, bool) {
        let v = vars(pairs);
        let e = expand(word, &[&v], '\\');
        (e.text, e.unresolved)
    }

    #[test]
    fn plain_and_braced_references() {
        let set = [("V", "20"), ("E", "")];
        assert_eq!(run("node:$V", &set), ("node:20".into(), false));
        assert_eq!(
            run("node:${V}-alpine", &set),
            ("node:20-alpine".into(), false)
        );
        assert_eq!(
            run("node:${MISSING}", &set),
            ("node:${MISSING}".into(), true)
        );
        assert_eq!(run("node:$MISSING", &set), ("node:$MISSING".into(), true));
    }

    #[test]
    fn defaults_and_alternatives() {
        let set = [("V", "20"), ("E", "")];
        assert_eq!(run("${MISSING:-18}", &set).0, "18");
        assert_eq!(run("${E:-18}", &set).0, "18");
        assert_eq!(run("${E-18}", &set).0, "");
        assert_eq!(run("${V:-18}", &set).0, "20");
        assert_eq!(run("${V:+set}", &set).0, "set");
        assert_eq!(run("${E:+set}", &set).0, "");
        assert_eq!(run("${E+set}", &set).0, "set");
        assert_eq!(run("${MISSING:-${V}}", &set), ("20".into(), false));
        assert_eq!(run("${V#2}", &set), ("${V#2}".into(), true));
    }

    #[test]
    fn quotes_and_escapes() {
        let set = [("V", "20")];
        assert_eq!(run("\"two words\"", &set).0, "two words");
        assert_eq!(run("'$V'", &set).0, "$V");
        assert_eq!(run("\"$V\"", &set).0, "20");
        assert_eq!(run("\\$V", &set).0, "$V");
        assert_eq!(run("a\\ b", &set).0, "a b");
    }

    #[test]
    fn broken_references_do_not_panic() {
        assert_eq!(run("${", &[]), ("${".into(), true));
        assert_eq!(run("${}", &[]), ("${}".into(), true));
        assert_eq!(run("$", &[]), ("$".into(), false));
        let deep = "${A:-".repeat(500) + &"}".repeat(500);
        assert!(run(&deep, &[]).1);
    }

    #[test]
    fn words_split_outside_quotes() {
        let words = split_words("A=1 B=\"two words\"  C=a\\ b", '\\');
        let texts: Vec<&str> = words.iter().map(|w| w.1).collect();
        assert_eq!(texts, ["A=1", "B=\"two words\"", "C=a\\ b"]);
        assert_eq!(words[1].0, 4);
    }
}
