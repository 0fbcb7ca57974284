//! Source code → one document: language and searchable text.

use super::Parsed;
use crate::source::FileId;

pub fn parse(_file: FileId, _path: &str, _text: &str) -> Parsed {
    Parsed::default()
}
