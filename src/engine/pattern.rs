//! A rule's regex: its syntax is checked when the rule is read, and the matcher is built once
//! per process and source text, on first use or as a scan starts (`Pattern::prepare`, on every
//! core): building is most of what a scan of a small repository costs.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;

/// A match: its byte range in the searched text.
pub type Match = regex_automata::Match;

/// Compiled-size limit of one rule regex: generous for real patterns, small enough that a
/// pathological one is refused instead of eating memory.
const SIZE_LIMIT: usize = 1 << 20;

type Built = Arc<OnceLock<Option<Regex>>>;

#[derive(Clone, Debug)]
pub struct Pattern {
    source: Arc<str>,
    /// Shared by every pattern with the same source in the process: each scan of a fleet works
    /// on its own copy of the rules, and several built-in rules use the same regex.
    regex: Built,
}

impl Pattern {
    /// Builds the matcher now: every error, including the size limit, is reported.
    pub fn eager(source: &str) -> Result<Pattern, String> {
        let regex = build(source)?;
        let pattern = Pattern::deferred(source);
        let _ = pattern.regex.set(Some(regex));
        Ok(pattern)
    }

    /// Builds on first use, unchecked: only for the built-in rules, whose every regex the
    /// catalogue test builds eagerly (`tests/catalog.rs`).
    pub fn deferred(source: &str) -> Pattern {
        type Shared = Mutex<HashMap<Arc<str>, Built>>;
        static SHARED: LazyLock<Shared> = LazyLock::new(Shared::default);
        // A poisoned lock (a panic elsewhere) only costs building this regex on its own.
        let Ok(mut shared) = SHARED.lock() else {
            return Pattern {
                source: source.into(),
                regex: Built::default(),
            };
        };
        if let Some((source, regex)) = shared.get_key_value(source) {
            return Pattern {
                source: source.clone(),
                regex: regex.clone(),
            };
        }
        let pattern = Pattern {
            source: source.into(),
            regex: Built::default(),
        };
        shared.insert(pattern.source.clone(), pattern.regex.clone());
        pattern
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

    /// Builds the matcher now if it is not built yet, so a later search need not wait for it.
    pub fn prepare(&self) {
        self.regex();
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(text))
    }

    pub fn find(&self, text: &str) -> Option<Match> {
        self.regex()?.find(text)
    }
}

/// The `regex` crate's semantics for `&str` (Unicode, UTF-8, leftmost-first), without a literal
/// prefilter (about 40 % of what building a regex costs) and without the fully compiled DFA
/// the meta engine makes for small patterns (another 20 %): every run builds the regexes it
/// uses, both pay off only on long texts, and a scan with much source code searches those with
/// one multi-pattern pass instead (`prematch`). The lazy DFA still runs every search.
fn build(source: &str) -> Result<Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(true)
                .nfa_size_limit(Some(SIZE_LIMIT))
                .hybrid_cache_capacity(2 * (1 << 20))
                .auto_prefilter(false)
                .dfa(false),
        )
        .syntax(syntax::Config::new().utf8(true))
        .build(source)
        .map_err(|error| match (error.size_limit(), error.syntax_error()) {
            (Some(limit), _) => format!("compiled regex exceeds the size limit of {limit} bytes"),
            (None, Some(syntax)) => last_line(&syntax.to_string()),
            (None, None) => last_line(&error.to_string()),
        })
}

fn last_line(detail: &str) -> String {
    detail.lines().last().unwrap_or("").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_is_wrong_in_one_line() {
        let unclosed = Pattern::eager("(unclosed").err();
        assert_eq!(unclosed.as_deref(), Some("error: unclosed group"));
        let huge = Pattern::eager("[A-Za-z]{1000}{1000}")
            .err()
            .unwrap_or_default();
        assert!(huge.contains("exceeds the size limit"), "{huge}");
    }

    #[test]
    fn matches_are_byte_ranges_of_the_text() {
        let pattern = Pattern::deferred("(?i)wörld");
        let found = pattern.find("hello WÖRLD!").map(|m| m.range());
        assert_eq!(found, Some(6..12));
        assert!(pattern.is_match("wörld"));
        assert!(!pattern.is_match("world"));
    }
}
