//! A rule's regex: its syntax is checked when the rule is read, and the matcher is built the
//! first time a rule needs it. Building every regex of a large catalogue up front costs more than
//! scanning a small repository, and most rules of a given repo never reach their regexes.

use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexBuilder};

/// Compiled-size limit of one rule regex: generous for real patterns, small enough that a
/// pathological one is refused instead of eating memory.
const SIZE_LIMIT: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct Pattern {
    source: Arc<str>,
    /// Shared by every clone: each scan of a fleet works on its own copy of the rules, and
    /// must not build the same regex again.
    regex: Arc<OnceLock<Option<Regex>>>,
}

impl Pattern {
    /// Builds the matcher now: every error, including the size limit, is reported.
    pub fn eager(source: &str) -> Result<Pattern, String> {
        let regex = build(source)?;
        let pattern = Pattern::deferred_unchecked(source);
        let _ = pattern.regex.set(Some(regex));
        Ok(pattern)
    }

    /// Builds on first use, unchecked: only for the built-in rules, whose every regex the
    /// catalogue test builds eagerly (`tests/catalog.rs`).
    pub fn deferred(source: &str) -> Pattern {
        Pattern::deferred_unchecked(source)
    }

    fn deferred_unchecked(source: &str) -> Pattern {
        Pattern {
            source: source.into(),
            regex: Arc::new(OnceLock::new()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn source(&self) -> Arc<str> {
        self.source.clone()
    }

    /// The matcher; `None` only if a deferred pattern exceeds the size limit, which then
    /// matches nothing.
    fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| build(&self.source).ok()).as_ref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(text))
    }

    pub fn find<'t>(&self, text: &'t str) -> Option<regex::Match<'t>> {
        self.regex()?.find(text)
    }
}

fn build(source: &str) -> Result<Regex, String> {
    RegexBuilder::new(source)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| last_line(&e.to_string()))
}

fn last_line(detail: &str) -> String {
    detail.lines().last().unwrap_or("").trim().to_owned()
}
