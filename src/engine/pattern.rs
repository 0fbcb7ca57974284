//! A rule's regex: its syntax is checked when the rule is read, and its matchers are shared by
//! every pattern with the same source in the process.
//!
//! Building a regex is most of what a scan of a small repository would cost, so a built-in
//! regex comes with the DFAs `build.rs` compiled from it, loaded in constant time on first use.
//! A regex that searches whole texts (`text_matches`) has dense ones, as fast as a built regex's
//! warm lazy DFA, and is never built. One that searches single values has sparse ones, a tenth
//! of the size but five times slower per byte: it uses them until the bytes searched would have
//! paid for building it (`RENT`), then builds it. So a small repository builds few regexes and a
//! large one hardly searches without them; the matches are the same either way (`tests/catalog.rs`
//! compares the engines on every fixture).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::dfa::{Automaton, dense, regex::Regex as DfaRegex, sparse};
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchError, MatchKind};

use super::builtin::{self, DfaBytes};

/// A match: its byte range in the searched text.
pub type Match = regex_automata::Match;

/// Compiled-size limit of one rule regex: generous for real patterns, small enough that a
/// pathological one is refused instead of eating memory.
const SIZE_LIMIT: usize = 1 << 20;

/// What a pattern may search with sparse DFAs before it builds its regex, in bytes (plus
/// `PER_SEARCH` for each search): about what building an average built-in regex costs, at the
/// sparse DFAs' speed (~7 ns a byte).
const RENT: usize = 32 << 10;

/// The fixed cost of a search with sparse DFAs, in bytes of `RENT`.
const PER_SEARCH: usize = 16;

/// The DFAs `build.rs` compiled from a built-in regex, loaded.
enum Compiled {
    Sparse(DfaRegex<sparse::DFA<&'static [u8]>>),
    Dense(DfaRegex<dense::DFA<&'static [u32]>>),
}

impl Compiled {
    /// `build.rs` wrote the bytes with `to_bytes_*_endian` of the same regex-automata version
    /// (one version per semver range in Cargo.lock; the format's version is still checked);
    /// `tests/catalog.rs` loads each with the validating `from_bytes`. Validating at every start
    /// would cost as much as building the regexes.
    fn load(bytes: DfaBytes) -> Option<Compiled> {
        Some(if bytes.dense {
            // SAFETY: as above; the bytes of a dense DFA start 8-aligned (`builtin::Aligned`).
            let forward = unsafe { dense::DFA::from_bytes_unchecked(bytes.forward) }.ok()?;
            let reverse = unsafe { dense::DFA::from_bytes_unchecked(bytes.reverse) }.ok()?;
            Compiled::Dense(DfaRegex::builder().build_from_dfas(forward.0, reverse.0))
        } else {
            // SAFETY: as above.
            let forward = unsafe { sparse::DFA::from_bytes_unchecked(bytes.forward) }.ok()?;
            let reverse = unsafe { sparse::DFA::from_bytes_unchecked(bytes.reverse) }.ok()?;
            Compiled::Sparse(DfaRegex::builder().build_from_dfas(forward.0, reverse.0))
        })
    }

    /// Errors only if the DFAs quit, which these never do (they are built without quit bytes).
    fn is_match(&self, text: &str) -> Result<bool, MatchError> {
        fn any<A: Automaton>(regex: &DfaRegex<A>, text: &str) -> Result<bool, MatchError> {
            let input = Input::new(text).earliest(true);
            Ok(regex.forward().try_search_fwd(&input)?.is_some())
        }
        match self {
            Compiled::Sparse(regex) => any(regex, text),
            Compiled::Dense(regex) => any(regex, text),
        }
    }

    fn find(&self, text: &str) -> Result<Option<Match>, MatchError> {
        match self {
            Compiled::Sparse(regex) => regex.try_search(&Input::new(text)),
            Compiled::Dense(regex) => regex.try_search(&Input::new(text)),
        }
    }
}

/// The matchers of one source, shared by every pattern with that source in the process: each
/// scan of a fleet works on its own copy of the rules, and several built-in rules use the same
/// regex.
#[derive(Default)]
struct Matchers {
    /// The DFAs `build.rs` compiled (built-in regexes only), loaded on first use.
    compiled: Option<DfaBytes>,
    loaded: OnceLock<Option<Compiled>>,
    /// What was searched with sparse DFAs so far, in `RENT` units.
    rented: AtomicUsize,
    /// The regex built from the source, on first need; `None` if it exceeds the size limit.
    built: OnceLock<Option<Regex>>,
}

impl std::fmt::Debug for Matchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matchers")
            .field("compiled", &self.compiled.map(|c| c.dense))
            .field("built", &self.built.get().map(Option::is_some))
            .finish_non_exhaustive()
    }
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
        let matchers = || {
            Arc::new(Matchers {
                compiled: builtin::dfa_bytes(source),
                ..Matchers::default()
            })
        };
        // A poisoned lock (a panic elsewhere) only costs loading this pattern's matchers again.
        let Ok(mut shared) = SHARED.lock() else {
            return Pattern {
                source: source.into(),
                matchers: matchers(),
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
            matchers: matchers(),
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

    /// The compiled DFAs, if this search should use them.
    fn compiled_for(&self, text: &str) -> Option<&Compiled> {
        let matchers = &*self.matchers;
        let built = matchers.built.get();
        if matches!(built, Some(Some(_))) {
            return None;
        }
        let bytes = matchers.compiled?;
        let compiled = matchers
            .loaded
            .get_or_init(|| Compiled::load(bytes))
            .as_ref()?;
        // Dense DFAs are as fast as a built regex; and a regex over the size limit has nothing
        // better than its DFAs.
        if matches!(compiled, Compiled::Dense(_)) || built.is_some() {
            return Some(compiled);
        }
        let cost = text.len().saturating_add(PER_SEARCH);
        let rented = matchers.rented.load(Ordering::Relaxed);
        if rented > RENT {
            return None;
        }
        let rented = matchers.rented.fetch_add(cost, Ordering::Relaxed);
        (rented.saturating_add(cost) <= RENT).then_some(compiled)
    }

    pub fn is_match(&self, text: &str) -> bool {
        if let Some(Ok(found)) = self.compiled_for(text).map(|c| c.is_match(text)) {
            return found;
        }
        self.built().is_some_and(|r| r.is_match(text))
    }

    pub fn find(&self, text: &str) -> Option<Match> {
        if let Some(Ok(found)) = self.compiled_for(text).map(|c| c.find(text)) {
            return found;
        }
        self.built()?.find(text)
    }
}

/// The built-in regexes whose compiled DFAs do not load with full validation, which
/// `Compiled::load` cannot afford at every start (the catalogue test expects none).
pub fn invalid_compiled() -> Vec<&'static str> {
    let valid = |bytes: DfaBytes| {
        if bytes.dense {
            dense::DFA::from_bytes(bytes.forward).is_ok()
                && dense::DFA::from_bytes(bytes.reverse).is_ok()
        } else {
            sparse::DFA::from_bytes(bytes.forward).is_ok()
                && sparse::DFA::from_bytes(bytes.reverse).is_ok()
        }
    };
    builtin::dfa_sources()
        .filter(|source| !builtin::dfa_bytes(source).is_some_and(valid))
        .collect()
}

/// An engine's first match in a text and whether it says there is one (`Err` if it failed).
pub type SearchResult = (Result<Option<Match>, String>, Result<bool, String>);

/// A built-in regex's compiled DFAs and its built regex side by side, for the catalogue test
/// that they agree.
pub struct BothEngines {
    compiled: Compiled,
    built: Regex,
}

impl BothEngines {
    /// `None` if `source` has no compiled DFAs or does not build.
    pub fn of(source: &str) -> Option<BothEngines> {
        Some(BothEngines {
            compiled: Compiled::load(builtin::dfa_bytes(source)?)?,
            built: build(source).ok()?,
        })
    }

    /// Each engine's first match in `text` (`Err` if the DFAs fail to search), and whether each
    /// says there is one.
    pub fn find(&self, text: &str) -> [SearchResult; 2] {
        let compiled = self.compiled.find(text).map_err(|e| e.to_string());
        let compiled_any = self.compiled.is_match(text).map_err(|e| e.to_string());
        [
            (compiled, compiled_any),
            (Ok(self.built.find(text)), Ok(self.built.is_match(text))),
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
