//! Source files as golive holds them: text, a line index, and byte-offset ↔ line/column mapping.

use std::sync::{Arc, OnceLock};

/// Index of a file in the scan's file table; stable for one scan, sorted by path.
pub type FileId = u32;

/// A byte range into a file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A place in the scan: which file, which bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

impl Loc {
    pub fn new(file: FileId, start: usize, end: usize) -> Loc {
        Loc {
            file,
            span: Span::new(start, end),
        }
    }
}

/// 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One file's text with its line index. Text that was not valid UTF-8 is decoded lossily so every
/// span stays inside the text golive shows.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the scanned root, with `/` separators (`-` for stdin).
    pub path: String,
    pub text: Arc<str>,
    /// Built on first use: most files of a large repository are never asked for a position.
    line_starts: OnceLock<Vec<usize>>,
    /// Set when the text was let go after reading because no finding was expected to point
    /// into it (see `engine::prematch`); `restore_text` reads it back if one does.
    dropped: Option<Dropped>,
}

#[derive(Debug, Clone)]
struct Dropped {
    absolute: std::path::PathBuf,
    len: usize,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
            dropped: None,
        }
    }

    /// A file of `len` bytes whose text is not kept; `absolute` is where `restore_text` finds
    /// it again.
    pub fn dropped(path: impl Into<String>, absolute: &std::path::Path, len: usize) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: Arc::from(""),
            line_starts: OnceLock::new(),
            dropped: Some(Dropped {
                absolute: absolute.to_owned(),
                len,
            }),
        }
    }

    pub fn is_dropped(&self) -> bool {
        self.dropped.is_some()
    }

    /// Reads a dropped text back (a finding points into it after all). A file that changed
    /// since the scan read it stays dropped: its positions are line 1, column 1 and it has no
    /// snippet, rather than wrong ones.
    pub fn restore_text(&mut self) {
        let Some(dropped) = &self.dropped else {
            return;
        };
        let Ok(bytes) = std::fs::read(&dropped.absolute) else {
            return;
        };
        if bytes.len() != dropped.len {
            return;
        }
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
        self.text = text.into();
        self.line_starts = OnceLock::new();
        self.dropped = None;
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr_newlines(&self.text));
            starts
        })
    }

    /// Line/column of a byte offset; offsets past the end clamp to the end.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s <= offset) - 1;
        let start = line_starts[line];
        // A byte-order mark is not a column: editors show the first character at column 1.
        let column = self.text.get(start..offset).map_or(offset - start, |s| {
            let s = if line == 0 {
                s.trim_start_matches('\u{feff}')
            } else {
                s
            };
            s.chars().count()
        });
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts().get(line.checked_sub(1)?).copied()
    }

    /// The text of a 1-based line without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = self.line_start(line)?;
        let end = self
            .line_starts()
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text.get(start..end)?.trim_end_matches(['\n', '\r']))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices('\n').map(|(i, _)| i + 1)
}

/// Makes text from a scanned file safe to print: control characters (ESC, BEL, CR, C1 controls…)
/// become visible `\u{..}` escapes so a hostile file cannot drive the reader's terminal.
/// A scanned path as the repository it belongs to sees it: a file a fleet service inherits from
/// its monorepo's root (`../../.github/workflows/ci.yml`, see `pipeline::inherit`) without the
/// steps up, so globs written for a repository (`.github/workflows/*.yml`) match it.
pub fn root_relative(path: &str) -> &str {
    let mut rest = path;
    while let Some(after) = rest.strip_prefix("../") {
        rest = after;
    }
    rest
}

pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hostile(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Replaces control characters with `?` of the same byte length, so spans into the text stay
/// valid while the text is rendered as a snippet.
pub fn mask_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let hostile = |c: char| c != '\n' && is_hostile(c);
    if !text.chars().any(hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hostile(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let file = SourceFile::new("a", "ab\nçd\n");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(3), Position { line: 2, column: 1 });
        assert_eq!(file.position(5), Position { line: 2, column: 2 });
        assert_eq!(file.line_text(2), Some("çd"));
    }

    #[test]
    fn a_dropped_text_comes_back_only_as_it_was_read() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("main.go");
        std::fs::write(&path, "package main\n")?;
        let mut file = SourceFile::dropped("main.go", &path, "package main\n".len());
        assert!(file.is_dropped());
        assert_eq!(file.position(5), Position { line: 1, column: 1 });
        file.restore_text();
        assert!(!file.is_dropped());
        assert_eq!(file.line_text(1), Some("package main"));

        // Changed since the scan read it: positions into it would be wrong, so it stays dropped.
        let mut changed = SourceFile::dropped("main.go", &path, 3);
        changed.restore_text();
        assert!(changed.is_dropped());
        assert_eq!(&*changed.text, "");
        Ok(())
    }

    #[test]
    fn controls_are_escaped_or_masked() {
        assert_eq!(escape_controls("a\u{1b}[31m"), "a\\u{1b}[31m");
        assert_eq!(mask_controls("a\u{1b}b\r\n"), "a?b?\n");
    }
}
