//! Source-text regexes searched while a file is read, not after the whole repository is.
//!
//! Source files are most of a repository's bytes, and the rules that read them only ask whether
//! their `text` matches a regex. Searching each file as it is read spreads that work over the
//! read workers, file by file, and lets golive drop the text of every file nothing matched in:
//! memory then holds the texts findings point into, not the whole codebase. Evaluation reads the
//! recorded outcome (`Document::text_finds`) exactly as it would have searched the text.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::meta::{self, Regex};
use regex_automata::{Input, MatchKind, PatternID, PatternSet};

use super::compile::{Condition, Rule, TemplatePart};
use super::condition::narrow;
use super::path::{Origin, Path, Segment};
use super::pattern::Pattern;
use crate::model::{DocKind, Finds};
use crate::source::Loc;

/// Compiled-size limit of the set of every source pattern (each alone has `pattern`'s limit).
const SET_SIZE_LIMIT: usize = 1 << 24;

/// The regexes the active rules search in a source file's `text`.
#[derive(Debug, Default)]
pub struct TextPatterns {
    /// Each regex, and whether a match of it can be where a finding points: it sits under an
    /// odd number of `not`s in a check (`not: {text_matches: …}`). A match that only makes a
    /// check pass ("some file uses a structured logger") points nowhere.
    patterns: Vec<(Pattern, bool)>,
    /// Whether every way the rules read a source file's `text` is one of `patterns`, so a text
    /// none of them matched may be dropped.
    complete: bool,
    /// Each pattern's source text, shared by the outcomes of every search.
    sources: Arc<[Arc<str>]>,
    /// All patterns in one automaton, built on first use.
    set: OnceLock<Option<Arc<Regex>>>,
}

impl TextPatterns {
    pub fn of(rules: &[Rule]) -> TextPatterns {
        let mut collected = TextPatterns {
            patterns: Vec::new(),
            complete: true,
            sources: Arc::new([]),
            set: OnceLock::new(),
        };
        for rule in rules.iter().filter(|r| r.target.reads(DocKind::Source)) {
            // Items that could be the text itself (`for_each: text`, `[*]`): keep texts then.
            if rule.for_each.as_ref().is_some_and(may_read_text) {
                collected.complete = false;
            }
            if let Some(select) = &rule.select {
                collected.collect(select, None);
            }
            collected.collect(&rule.check, Some(false));
            let mut other_paths = rule
                .anchor
                .iter()
                .chain(rule.message.parts.iter().filter_map(|part| match part {
                    TemplatePart::Value(path) | TemplatePart::Optional(path) => Some(path),
                    _ => None,
                }));
            if other_paths.any(may_read_text) {
                collected.complete = false;
            }
        }
        collected.sources = collected.patterns.iter().map(|(p, _)| p.source()).collect();
        collected
    }

    /// `negated`: whether the condition sits under an odd number of `not`s of a check; `None`
    /// in a `select`, whose matches never locate a finding.
    fn collect(&mut self, condition: &Condition, negated: Option<bool>) {
        match condition {
            Condition::All(items) | Condition::Any(items) => {
                items.iter().for_each(|c| self.collect(c, negated));
            }
            Condition::Not(inner) => self.collect(inner, negated.map(|n| !n)),
            Condition::TextMatches(path, pattern) if is_text(path) => {
                let reportable = negated == Some(true);
                match self
                    .patterns
                    .iter_mut()
                    .find(|(p, _)| p.as_str() == pattern.as_str())
                {
                    Some((_, known)) => *known |= reportable,
                    None => self.patterns.push((pattern.clone(), reportable)),
                }
            }
            Condition::AtLeast(path, limit) | Condition::AtMost(path, limit) => {
                if may_read_text(path) || limit.path().is_some_and(may_read_text) {
                    self.complete = false;
                }
            }
            Condition::In(path, among) | Condition::NotIn(path, among) => {
                if may_read_text(path) || may_read_text(among) {
                    self.complete = false;
                }
            }
            Condition::Exists(path)
            | Condition::Absent(path)
            | Condition::Equals(path, _)
            | Condition::OneOf(path, _)
            | Condition::Matches(path, _)
            | Condition::TextMatches(path, _)
            | Condition::Entropy(path, _) => {
                if may_read_text(path) {
                    self.complete = false;
                }
            }
            Condition::Known(..) => {}
        }
    }

    /// One pass over a text says which patterns match at all (in most files, none); only
    /// those are searched again for where. `None` if the set is over the size limit.
    fn set(&self) -> Option<&Regex> {
        self.set
            .get_or_init(|| shared_set(self.sources.to_vec()))
            .as_deref()
    }

    /// Searches a source file's text (at `whole`) for every pattern and records where each
    /// first matches. `droppable`: no finding can point into the text and no rule reads it
    /// any other way.
    pub fn search(&self, text: &str, whole: Loc) -> Searched {
        let hits = self.set().map(|set| {
            let mut hits = PatternSet::new(set.pattern_len());
            set.which_overlapping_matches(&Input::new(text), &mut hits);
            hits
        });
        let mut matched = Vec::new();
        let mut reported = false;
        for (i, (pattern, reportable)) in self.patterns.iter().enumerate() {
            let candidate = hits
                .as_ref()
                .is_none_or(|hits| PatternID::new(i).is_ok_and(|id| hits.contains(id)));
            if let Some(found) = candidate.then(|| pattern.find(text)).flatten() {
                reported |= *reportable;
                let index = u32::try_from(i).unwrap_or(u32::MAX);
                matched.push((index, narrow(whole, text, found)));
            }
        }
        Searched {
            finds: Finds {
                searched: self.sources.clone(),
                matched,
            },
            droppable: self.complete && !reported,
        }
    }
}

pub struct Searched {
    pub finds: Finds,
    pub droppable: bool,
}

/// The set of these regexes, built once per process: a fleet scans thousands of services with
/// the same rules, each with its own `TextPatterns`.
fn shared_set(sources: Vec<Arc<str>>) -> Option<Arc<Regex>> {
    type Sets = Mutex<HashMap<Vec<Arc<str>>, Option<Arc<Regex>>>>;
    static SETS: LazyLock<Sets> = LazyLock::new(Sets::default);
    // As `RegexSet` would, without the literal prefilters and fully compiled DFAs that take
    // most of its build time (the rule regexes are built the same way, `pattern::build`).
    let build = |sources: &[Arc<str>]| {
        meta::Builder::new()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .nfa_size_limit(Some(SET_SIZE_LIMIT))
                    .auto_prefilter(false)
                    .dfa(false),
            )
            .build_many(sources)
            .ok()
            .map(Arc::new)
    };
    // A poisoned lock (a panic elsewhere) only costs building the set here.
    let Ok(mut sets) = SETS.lock() else {
        return build(&sources);
    };
    sets.entry(sources)
        .or_insert_with_key(|sources| build(sources))
        .clone()
}

/// `text` (or `$.text`): the path `text_matches` searches by default.
fn is_text(path: &Path) -> bool {
    path.origin != Origin::Repo
        && matches!(path.segments.as_slice(), [Segment::Key(k)] if k.as_str() == "text")
}

/// Whether a path of a source rule could reach the document's text.
fn may_read_text(path: &Path) -> bool {
    path.origin != Origin::Repo
        && match path.segments.first() {
            Some(Segment::Key(key)) => key.as_str() == "text",
            Some(Segment::All) => true,
            Some(Segment::Index(_)) | None => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile;

    fn patterns(rules: &[&str]) -> TextPatterns {
        let rules: Vec<Rule> = rules
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let id = format!("r{i}");
                let text = format!(
                    "id: {id}\ntitle: t\ncategory: logging\nseverity: low\ntarget: source\n{body}\nmessage: m\nhelp: h\nsummary: s\nrationale: r\nremediation: x\nexamples: {{fail: a, pass: b}}\n"
                );
                compile("r.yaml", &text, Some(&id)).map_err(|e| format!("{e:?}")).expect("rule compiles")
            })
            .collect();
        TextPatterns::of(&rules)
    }

    fn search(set: &TextPatterns, text: &str) -> Searched {
        set.search(text, Loc::new(0, 0, text.len()))
    }

    #[test]
    fn only_matches_a_finding_can_point_at_keep_the_text() {
        let set = patterns(&[
            "check:\n  not:\n    text_matches: {regex: 'fmt\\.Println'}",
            "scope: repo\ncheck:\n  any:\n    - text_matches: {regex: 'slog'}",
        ]);
        assert!(
            search(&set, "slog.Info(\"hi\")\n").droppable,
            "a positive match alone lets the text go"
        );
        let loud = search(&set, "x := 1\nfmt.Println(x)\n");
        assert!(
            !loud.droppable,
            "a forbidden match is where a finding points"
        );
        let println = loud.finds.get("fmt\\.Println");
        assert!(println.is_some_and(|f| f.matched));
        assert_eq!(loud.finds.get("slog").map(|f| f.matched), Some(false));
        assert_eq!(loud.finds.get("log"), None, "not searched");
        let at = println
            .and_then(|f| f.at)
            .map(|l| (l.span.start, l.span.end));
        assert_eq!(at, Some((7, 18)));
    }

    #[test]
    fn items_beside_the_text_let_it_go() {
        let set = patterns(&[
            "check:\n  not:\n    text_matches: {regex: 'x'}",
            "for_each: 'literals[*]'\ncheck:\n  not:\n    matches: {path: value, regex: 'y'}",
        ]);
        assert!(search(&set, "nothing here\n").droppable);
    }

    #[test]
    fn any_other_read_of_the_text_keeps_every_text() {
        let set = patterns(&["check:\n  not:\n    matches: {path: text, regex: 'x'}"]);
        assert!(!search(&set, "nothing here\n").droppable);
        let set = patterns(&[
            "check:\n  not:\n    text_matches: {regex: 'x'}",
            "for_each: text\ncheck:\n  exists: '.'",
        ]);
        assert!(!search(&set, "nothing here\n").droppable);
    }
}
