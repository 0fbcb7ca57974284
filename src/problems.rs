//! Pointed, multi-problem diagnostics for files golive reads as instructions (rule files,
//! `golive.toml`): every problem at once, each labelled at its place in the file (exit 2).

use std::fmt;

use miette::{LabeledSpan, NamedSource};

#[derive(Debug, miette::Diagnostic)]
pub struct FileProblems {
    pub path: String,
    /// What kind of file this is, for the headline: `rule file`, `settings file`.
    pub what: &'static str,
    #[source_code]
    pub source: NamedSource<String>,
    #[label(collection)]
    pub labels: Vec<LabeledSpan>,
    pub problems: Vec<String>,
    #[help]
    pub help: Option<&'static str>,
}

impl FileProblems {
    /// `problems` are (message, byte offset) pairs; a problem without an offset is listed only.
    pub fn new(
        what: &'static str,
        path: &str,
        text: &str,
        problems: Vec<(String, Option<usize>)>,
    ) -> FileProblems {
        let labels = problems
            .iter()
            .filter_map(|(message, offset)| {
                let offset = (*offset)?.min(text.len());
                Some(LabeledSpan::new(
                    Some(message.clone()),
                    offset,
                    token_len(text, offset),
                ))
            })
            .collect();
        FileProblems {
            path: path.to_owned(),
            what,
            source: NamedSource::new(path, text.to_owned()),
            labels,
            problems: problems.into_iter().map(|(m, _)| m).collect(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: &'static str) -> FileProblems {
        self.help = Some(help);
        self
    }
}

impl fmt::Display for FileProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} {} has {n} problem{}",
            self.what,
            self.path,
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileProblems {}

/// Length of the token at `offset`, so a label underlines the offending value.
fn token_len(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .map(|rest| {
            let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
            line.trim_end().len()
        })
        .unwrap_or(0)
}
