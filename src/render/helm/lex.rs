//! Go text/template lexer: splits a template into text and actions (applying `{{-`/`-}}` trim
//! markers and dropping comments), and an action into tokens.

use std::ops::Range;

/// A piece of template source: literal text, or an action's tokens and its whole span.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text(Range<usize>),
    Action {
        tokens: Vec<Token>,
        span: Range<usize>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// `.Name` in a chain; `Dot` is a lone `.`.
    Field(String),
    Dot,
    /// `$` or `$name` (the name includes the `$`).
    Var(String),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
    /// Whitespace came right before it: `$x .a` is two arguments, `$x.a` one.
    pub spaced: bool,
}

#[derive(Debug)]
pub struct LexError {
    pub message: String,
    pub at: usize,
}

fn err<T>(message: impl Into<String>, at: usize) -> Result<T, LexError> {
    Err(LexError {
        message: message.into(),
        at,
    })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits `src` into items. A `{{- ` trims the whitespace before it, ` -}}` the whitespace after.
pub fn split(src: &str) -> Result<Vec<Item>, LexError> {
    let b = src.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    // Start of text not yet emitted, after any trimming by the previous action.
    let mut text_start = 0;
    while let Some(found) = src.get(pos..).and_then(|rest| rest.find("{{")) {
        let open = pos + found;
        let mut inner = open + 2;
        let mut text_end = open;
        if b.get(inner) == Some(&b'-') && b.get(inner + 1).is_some_and(|c| is_space(*c)) {
            inner += 2;
            while text_end > text_start && is_space(b[text_end - 1]) {
                text_end -= 1;
            }
        }
        if text_end > text_start {
            items.push(Item::Text(text_start..text_end));
        }
        while b.get(inner).is_some_and(|c| is_space(*c)) {
            inner += 1;
        }
        let (close, trim_after) = if src.get(inner..).is_some_and(|r| r.starts_with("/*")) {
            let Some(end) = src.get(inner + 2..).and_then(|r| r.find("*/")) else {
                return err("unclosed comment", open);
            };
            let after = inner + 2 + end + 2;
            let rest = src.get(after..).unwrap_or_default();
            if rest.starts_with(" -}}") {
                (after + 4, true)
            } else if rest.starts_with("}}") {
                (after + 2, false)
            } else {
                return err("comment ends before closing delimiter", open);
            }
        } else {
            let (tokens, close, trim) = tokens(src, inner)?;
            items.push(Item::Action {
                tokens,
                span: open..close,
            });
            (close, trim)
        };
        pos = close;
        text_start = close;
        if trim_after {
            while b.get(text_start).is_some_and(|c| is_space(*c)) {
                text_start += 1;
            }
            pos = text_start;
        }
    }
    if text_start < src.len() {
        items.push(Item::Text(text_start..src.len()));
    }
    Ok(items)
}

/// Tokens of one action from `start` to its `}}`; returns them, the end of the delimiter and
/// whether it was ` -}}`.
fn tokens(src: &str, start: usize) -> Result<(Vec<Token>, usize, bool), LexError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = start;
    let mut spaced = true;
    loop {
        let Some(&c) = b.get(i) else {
            return err("unclosed action", start);
        };
        if is_space(c) {
            // ` -}}` closes with a trim marker.
            if src.get(i..).is_some_and(|r| {
                r.trim_start_matches([' ', '\t', '\r', '\n'])
                    .starts_with("-}}")
            }) {
                let r = src
                    .get(i..)
                    .unwrap_or_default()
                    .trim_start_matches([' ', '\t', '\r', '\n']);
                return Ok((out, src.len() - r.len() + 3, true));
            }
            i += 1;
            spaced = true;
            continue;
        }
        if src.get(i..).is_some_and(|r| r.starts_with("}}")) {
            return Ok((out, i + 2, false));
        }
        let tok_start = i;
        let tok = match c {
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            b'"' => {
                let (s, end) = quoted(src, i)?;
                i = end;
                Tok::Str(s)
            }
            b'`' => {
                let Some(end) = src.get(i + 1..).and_then(|r| r.find('`')) else {
                    return err("unterminated raw quoted string", i);
                };
                let s = src.get(i + 1..i + 1 + end).unwrap_or_default().to_owned();
                i += end + 2;
                Tok::Str(s)
            }
            b'\'' => {
                let rest = src.get(i + 1..).unwrap_or_default();
                let mut chars = rest.chars();
                let ch = chars.next().unwrap_or('\0');
                let (ch, len) = if ch == '\\' {
                    let e = chars.next().unwrap_or('\0');
                    (escape(e).unwrap_or(e), 1 + e.len_utf8())
                } else {
                    (ch, ch.len_utf8())
                };
                if rest.get(len..).is_none_or(|r| !r.starts_with('\'')) {
                    return err("malformed character constant", i);
                }
                i += len + 2;
                Tok::Int(i64::from(u32::from(ch)))
            }
            b'$' => {
                i += 1;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                Tok::Var(src.get(tok_start..i).unwrap_or("$").to_owned())
            }
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                let s = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                if i == s {
                    Tok::Dot
                } else {
                    Tok::Field(src.get(s..i).unwrap_or_default().to_owned())
                }
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'+' || c == b'.' => {
                while b.get(i).is_some_and(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-')
                }) {
                    // A sign only starts the number or follows an exponent.
                    if matches!(b[i], b'+' | b'-')
                        && i > tok_start
                        && !matches!(b[i - 1], b'e' | b'E')
                    {
                        break;
                    }
                    i += 1;
                }
                number(src.get(tok_start..i).unwrap_or_default(), tok_start)?
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                Tok::Ident(src.get(tok_start..i).unwrap_or_default().to_owned())
            }
            _ => {
                let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
                return err(format!("unexpected {ch:?} in action"), i);
            }
        };
        out.push(Token {
            tok,
            span: tok_start..i,
            spaced,
        });
        spaced = false;
    }
}

fn escape(c: char) -> Option<char> {
    Some(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '\\' => '\\',
        '"' => '"',
        '\'' => '\'',
        '0' => '\0',
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'v' => '\x0b',
        _ => return None,
    })
}

/// A Go interpreted string literal starting at `at`; returns its value and end offset.
fn quoted(src: &str, at: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut chars = src.get(at + 1..).unwrap_or_default().char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, at + 1 + i + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
                        let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        let Some(code) = code else {
                            return err("invalid escape in string", at);
                        };
                        out.push(code);
                    }
                    e => match escape(e) {
                        Some(c) => out.push(c),
                        None => return err(format!("unknown escape sequence \\{e}"), at),
                    },
                }
            }
            c => out.push(c),
        }
    }
    err("unterminated quoted string", at)
}

fn number(s: &str, at: usize) -> Result<Tok, LexError> {
    let clean = s.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let radix = |p: &str, r: u32| {
        digits
            .strip_prefix(p)
            .or_else(|| digits.strip_prefix(&p.to_uppercase()))
            .and_then(|d| i64::from_str_radix(d, r).ok())
    };
    let int = radix("0x", 16)
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0b", 2))
        .or_else(|| digits.parse::<i64>().ok());
    if let Some(i) = int {
        return Ok(Tok::Int(if neg { -i } else { i }));
    }
    match clean.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
        _ => err(format!("bad number syntax: {s:?}"), at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        split(src)
            .unwrap_or_default()
            .into_iter()
            .map(|i| match i {
                Item::Text(r) => src[r].to_owned(),
                Item::Action { span, .. } => format!("<{}>", &src[span]),
            })
            .collect()
    }

    #[test]
    fn trim_markers_eat_whitespace_on_their_side() {
        assert_eq!(texts("a  {{- 1 -}}  b"), ["a", "<{{- 1 -}}>", "b"]);
        assert_eq!(texts("a {{1}} b"), ["a ", "<{{1}}>", " b"]);
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(texts("a {{-3}}"), ["a ", "<{{-3}}>"]);
    }

    #[test]
    fn comments_vanish_and_may_trim() {
        assert_eq!(texts("a {{/* x }} */}} b"), ["a ", " b"]);
        assert_eq!(texts("a\n{{- /* x */ -}}\nb"), ["a", "b"]);
    }

    #[test]
    fn tokens_of_an_action() {
        let Ok(items) = split(r#"{{ $x := .a.b | printf "%s\n" 'c' 1.5 0x10 }}"#) else {
            panic!("lex failed");
        };
        let Some(Item::Action { tokens, .. }) = items.first() else {
            panic!("no action");
        };
        let toks: Vec<Tok> = tokens.iter().map(|t| t.tok.clone()).collect();
        assert_eq!(
            toks,
            [
                Tok::Var("$x".into()),
                Tok::Declare,
                Tok::Field("a".into()),
                Tok::Field("b".into()),
                Tok::Pipe,
                Tok::Ident("printf".into()),
                Tok::Str("%s\n".into()),
                Tok::Int(99),
                Tok::Float(1.5),
                Tok::Int(16),
            ]
        );
        assert!(!tokens[3].spaced);
    }

    #[test]
    fn errors_do_not_panic() {
        for bad in [
            "{{",
            "{{ \"x",
            "{{ /* x",
            "{{ 'ab' }}",
            "{{ ` }}",
            "{{ # }}",
            "{{ 1e }}",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }
}
