//! A rule's regex: its syntax is checked when the rule is read, and its matchers are shared by
//! every pattern with the same source in the process.
//!
//! Building a regex is most of what a scan of a small repository would cost, so a built-in
//! regex starts with the DFAs `build.rs` compiled from it, loaded in constant time. Those search
//! a byte five times slower than a built regex's lazy DFA once that is warm, so a pattern uses
//! them only until the bytes searched would have paid for building its regex (`RENT`), and then
//! builds it: a small repository builds few regexes, a large one hardly searches without them.
//! Either way the matches are the same (`tests/catalog.rs` compares them on every fixture).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::dfa::{Automaton, regex::Regex as DfaRegex, sparse};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

use super::builtin;

/// A match: its byte range in the searched text.
pub type Match = regex_automata::Match;

/// Compiled-size limit of one rule regex: generous for real patterns, small enough that a
/// pathological one is refused instead of eating memory.
const SIZE_LIMIT: usize = 1 << 20;

/// What a pattern may search with its compiled DFAs before it builds its regex, in bytes (plus
/// `PER_SEARCH` for each search): about what building an average built-in regex costs, at the
/// DFAs' speed (~7 ns a byte, five times a warm lazy DFA's). A scan with more source code than
/// this builds its source regexes as it starts.
pub const RENT: usize = 32 << 10;

/// The fixed cost of a search with compiled DFAs, in bytes of `RENT`.
const PER_SEARCH: usize = 16;

type Compiled = DfaRegex<sparse::DFA<&'static [u8]>>;

/// The matchers of one source, shared by every pattern with that source in the process: each
/// scan of a fleet works on its own copy of the rules, and several built-in rules use the same
/// regex.
#[derive(Debug, Default)]
struct Matchers {
    /// The DFAs `build.rs` compiled (built-in regexes only).
    compiled: Option<Compiled>,
    /// What was searched with `compiled` so far, in `RENT` units.
    rented: AtomicUsize,
    /// The regex built from the source, on first need; `None` if it exceeds the size limit.
    built: OnceLock<Option<Regex>>,
}

#[derive(Clone, Debug)]
pub struct Pattern {
    source: Arc<str>,
    matchers: Arc<Matchers>,
}

impl Pattern {
    /// Builds the regex now: every error, including the size limit, is reported.
    pub fn eager(source: &str) -> Result<Pattern, String> {
        let regex = build(source)?;
        let pattern = Pattern::deferred(source);
        let _ = pattern.matchers.built.set(Some(regex));
        Ok(pattern)
    }

    /// Builds on first need, unchecked: only for the built-in rules, whose every regex the
    /// catalogue test builds eagerly (`tests/catalog.rs`).
    pub fn deferred(source: &str) -> Pattern {
        type Shared = Mutex<HashMap<Arc<str>, Arc<Matchers>>>;
        static SHARED: LazyLock<Shared> = LazyLock::new(Shared::default);
        // A poisoned lock (a panic elsewhere) only costs loading this pattern's matchers again.
        let Ok(mut shared) = SHARED.lock() else {
            return Pattern {
                source: source.into(),
                matchers: Arc::new(Matchers::of(source)),
            };
        };
        if let Some((source, matchers)) = shared.get_key_value(source) {
            return Pattern {
                source: source.clone(),
                matchers: matchers.clone(),
            };
        }
        let pattern = Pattern {
            source: source.into(),
            matchers: Arc::new(Matchers::of(source)),
        };
        shared.insert(pattern.source.clone(), pattern.matchers.clone());
        pattern
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn source(&self) -> Arc<str> {
        self.source.clone()
    }

    /// The built regex; `None` only if a deferred pattern exceeds the size limit, which then
    /// matches nothing.
    fn built(&self) -> Option<&Regex> {
        self.matchers
            .built
            .get_or_init(|| build(&self.source).ok())
            .as_ref()
    }

    /// Builds the regex now if no compiled DFAs stand in for it, so a later search need not
    /// wait for it.
    pub fn prepare(&self) {
        if self.matchers.compiled.is_none() {
            self.built();
        }
    }

    /// Builds the regex now even if compiled DFAs stand in for it: for a pattern about to
    /// search many long texts (source files).
    pub fn prepare_for_long_texts(&self) {
        self.built();
    }

    /// The compiled DFAs, if this search should use them.
    fn compiled_for(&self, text: &str) -> Option<&Compiled> {
        let matchers = &*self.matchers;
        if matches!(matchers.built.get(), Some(Some(_))) {
            return None;
        }
        let compiled = matchers.compiled.as_ref()?;
        let cost = text.len() + PER_SEARCH;
        (matchers.rented.fetch_add(cost, Ordering::Relaxed) + cost <= RENT).then_some(compiled)
    }

    pub fn is_match(&self, text: &str) -> bool {
        if let Some(compiled) = self.compiled_for(text) {
            let input = Input::new(text).earliest(true);
            if let Ok(found) = compiled.forward().try_search_fwd(&input) {
                return found.is_some();
            }
        }
        self.built().is_some_and(|r| r.is_match(text))
    }

    pub fn find(&self, text: &str) -> Option<Match> {
        if let Some(compiled) = self.compiled_for(text)
            && let Ok(found) = compiled.try_search(&Input::new(text))
        {
            return found;
        }
        self.built()?.find(text)
    }
}

impl Matchers {
    fn of(source: &str) -> Matchers {
        Matchers {
            compiled: builtin::dfa_bytes(source).and_then(|(f, r)| load(f, r)),
            ..Matchers::default()
        }
    }
}

/// The DFAs `build.rs` serialized for a built-in regex.
fn load(forward: &'static [u8], reverse: &'static [u8]) -> Option<Compiled> {
    // SAFETY: the bytes were written by `build.rs` with `to_bytes_*_endian` of the same
    // regex-automata version (one version per semver range in Cargo.lock, and the format's
    // version is still checked here); `tests/catalog.rs` loads each with the validating
    // `from_bytes`. Validating at every start would cost as much as building the regexes.
    let forward = unsafe { sparse::DFA::from_bytes_unchecked(forward) }
        .ok()?
        .0;
    let reverse = unsafe { sparse::DFA::from_bytes_unchecked(reverse) }
        .ok()?
        .0;
    Some(DfaRegex::builder().build_from_dfas(forward, reverse))
}

/// The built-in regexes whose compiled DFAs do not load with full validation, which `load`
/// cannot afford at every start (the catalogue test expects none).
pub fn invalid_compiled() -> Vec<&'static str> {
    builtin::dfa_sources()
        .filter(|source| {
            builtin::dfa_bytes(source).is_none_or(|(forward, reverse)| {
                sparse::DFA::from_bytes(forward).is_err()
                    || sparse::DFA::from_bytes(reverse).is_err()
            })
        })
        .collect()
}

/// A built-in regex's compiled DFAs and its built regex side by side, for the catalogue test
/// that they agree.
pub struct BothEngines {
    compiled: Compiled,
    built: Regex,
}

impl BothEngines {
    /// `None` if `source` has no compiled DFAs or does not build.
    pub fn of(source: &str) -> Option<BothEngines> {
        let (forward, reverse) = builtin::dfa_bytes(source)?;
        Some(BothEngines {
            compiled: load(forward, reverse)?,
            built: build(source).ok()?,
        })
    }

    /// Each engine's first match in `text` (`Err` if the DFAs fail to search), and whether each
    /// says there is one.
    pub fn find(&self, text: &str) -> [(Result<Option<Match>, String>, bool); 2] {
        let compiled = self.compiled.try_search(&Input::new(text));
        let compiled_any = self
            .compiled
            .forward()
            .try_search_fwd(&Input::new(text).earliest(true))
            .is_ok_and(|found| found.is_some());
        [
            (compiled.map_err(|e| e.to_string()), compiled_any),
            (Ok(self.built.find(text)), self.built.is_match(text)),
        ]
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
                .match_kind(MatchKind::LeftmostFirst)
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
