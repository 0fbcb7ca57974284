//! Parsers: text of one file → documents with spans, plus per-file errors. A parser never panics
//! and never fails the scan; what it cannot read becomes a `ParseError` for that file.

pub mod config;
pub mod dependencies;
pub mod dockerfile;
mod embedded;
pub mod kubernetes;
pub mod kustomize;
mod literals;
pub mod manifest;
pub mod markdown;
pub mod source;
pub mod yaml;

use crate::model::{DocKind, Document};
use crate::source::{FileId, Span};

/// What a parser made of one file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub errors: Vec<ParseError>,
    /// Keys given twice in one YAML/JSON mapping (the later value wins): not an error, but
    /// exposed to rules as `facts.duplicate_keys` on the repo document.
    pub duplicate_keys: Vec<(String, Span)>,
}

/// A problem reading one file; the rest of the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Option<Span>,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Option<Span>) -> ParseError {
        ParseError {
            message: message.into(),
            span,
        }
    }
}

impl Parsed {
    pub fn failed(error: ParseError) -> Parsed {
        Parsed {
            errors: vec![error],
            ..Parsed::default()
        }
    }
}

/// Parses one file as the given kind. `path` is relative to the scanned root.
pub fn parse(kind: DocKind, file: FileId, path: &str, text: &str) -> Parsed {
    let mut parsed = match kind {
        DocKind::Dockerfile => dockerfile::parse(file, text),
        DocKind::Readme | DocKind::Markdown => markdown::parse(kind, file, text),
        DocKind::Source => source::parse(file, path, text),
        DocKind::Dependencies => dependencies::parse(file, path, text),
        DocKind::Config => config::parse(file, path, text),
        DocKind::Yaml => manifest::parse(file, path, text, false),
        DocKind::Json => manifest::parse(file, path, text, true),
        _ => Parsed::default(),
    };
    // Trees are held until the whole repository is evaluated: give back what growing them
    // reserved while this thread's allocations can still reuse it.
    for document in &mut parsed.documents {
        document.tree.shrink_to_fit();
    }
    parsed
}
