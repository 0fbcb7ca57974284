//! package.json: the root object's `dependencies`, `devDependencies`, `peerDependencies` and
//! `optionalDependencies`; composer.json (the same shape): `require` and `require-dev`, without
//! the platform entries (`php`, `ext-*`), which are not packages.
//!
//! serde_json decides whether the file is valid; a small token scanner finds the entries and
//! their spans, so a broken file still yields the entries before (and often after) the damage.
//! The scanner keeps an explicit stack, so deep nesting cannot overflow the call stack.

use std::ops::Range;

use super::{Dep, Found};

pub(super) fn read(text: &str) -> Found {
    scan(text, section_dev)
}

pub(super) fn read_composer(text: &str) -> Found {
    let mut found = scan(text, |key| match key {
        "require" => Some(false),
        "require-dev" => Some(true),
        _ => None,
    });
    // Composer names packages `vendor/name`; anything else is the platform.
    found.deps.retain(|d| d.name.contains('/'));
    found
}

/// The entries of the root object's sections that `sections` marks (`Some(dev)`).
fn scan(text: &str, sections: fn(&str) -> Option<bool>) -> Found {
    let mut found = Found::default();
    if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let at = offset_of(text, err.line(), err.column());
        found.error(format!("invalid JSON: {err}"), at..at);
    }
    found.deps = Scanner {
        stack: Vec::new(),
        deps: Vec::new(),
        sections,
    }
    .run(text);
    found
}

/// Byte offset of serde_json's 1-based line and (byte) column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn section_dev(key: &str) -> Option<bool> {
    match key {
        "dependencies" | "peerDependencies" | "optionalDependencies" => Some(false),
        "devDependencies" => Some(true),
        _ => None,
    }
}

struct Frame {
    object: bool,
    expect_key: bool,
    key: Option<(String, Range<usize>)>,
    /// `Some(dev)` when this object is a dependency section of the root object.
    section: Option<bool>,
}

struct Scanner {
    stack: Vec<Frame>,
    deps: Vec<Dep>,
    sections: fn(&str) -> Option<bool>,
}

enum Token {
    Open(bool),
    Close,
    Comma,
    Colon,
    Str(String, Range<usize>),
    Scalar(Range<usize>),
}

impl Scanner {
    fn run(mut self, text: &str) -> Vec<Dep> {
        let mut pos = 0;
        while let Some((token, next)) = next_token(text, pos) {
            self.token(token);
            pos = next;
        }
        self.deps
    }

    fn token(&mut self, token: Token) {
        match token {
            Token::Open(object) => self.open(object),
            Token::Close => {
                self.stack.pop();
                // The closed container was a value; what follows in an object is a key.
                self.value_done();
            }
            Token::Comma => {
                if let Some(top) = self.stack.last_mut() {
                    top.expect_key = top.object;
                    top.key = None;
                }
            }
            Token::Colon => {}
            Token::Str(value, range) => self.string(value, range),
            Token::Scalar(range) => self.value(None, range),
        }
    }

    fn open(&mut self, object: bool) {
        let section = match self.stack.as_slice() {
            [root] if object => root.key.as_ref().and_then(|(k, _)| (self.sections)(k)),
            _ => None,
        };
        self.stack.push(Frame {
            object,
            expect_key: object,
            key: None,
            section,
        });
    }

    fn string(&mut self, value: String, range: Range<usize>) {
        match self.stack.last_mut() {
            Some(top) if top.expect_key => {
                top.key = Some((value, range));
                top.expect_key = false;
            }
            _ => self.value(Some(value), range),
        }
    }

    fn value(&mut self, version: Option<String>, range: Range<usize>) {
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        if let (Some(dev), Some((name, key_range))) = (top.section, top.key.take()) {
            self.deps.push(Dep {
                name,
                version,
                dev,
                span: key_range.start..range.end,
            });
        }
        self.value_done();
    }

    /// After a value an object expects a key even without a comma, so a missing comma loses
    /// one entry at most.
    fn value_done(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.expect_key = top.object;
            top.key = None;
        }
    }
}

/// The token at or after `pos`, and where the next one may start. Unknown bytes are skipped.
fn next_token(text: &str, pos: usize) -> Option<(Token, usize)> {
    let bytes = text.as_bytes();
    let mut i = pos;
    while let Some(&b) = bytes.get(i) {
        let token = match b {
            b'{' => Token::Open(true),
            b'[' => Token::Open(false),
            b'}' | b']' => Token::Close,
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => return Some(string_token(text, i)),
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => return Some(scalar_token(text, i)),
            _ => {
                i += 1;
                continue;
            }
        };
        return Some((token, i + 1));
    }
    None
}

fn string_token(text: &str, start: usize) -> (Token, usize) {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => break,
            // A raw line break means the string was never closed; stop at the line.
            b'\n' => break,
            _ => i += 1,
        }
    }
    let end = (i + 1).min(text.len());
    let raw = text.get(start..end).unwrap_or("");
    let value = serde_json::from_str::<String>(raw)
        .unwrap_or_else(|_| raw.trim_matches('"').trim_end().to_string());
    (Token::Str(value, start..end), end)
}

fn scalar_token(text: &str, start: usize) -> (Token, usize) {
    let bytes = text.as_bytes();
    let mut end = start;
    while bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
    {
        end += 1;
    }
    (Token::Scalar(start..end), end)
}
