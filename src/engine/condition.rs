//! Evaluating conditions against an item. A path condition holds when *any* value the path
//! reaches satisfies it; `not` and `for_each` express "every". Each outcome carries a witness,
//! the location that decided it, so a finding about a forbidden value points at that value.

use std::borrow::Cow;

use super::compile::{Condition, Limit, Literal, Rounding};
use super::path::{Origin, Path};
use super::pattern::Pattern;
use crate::model::{Document, NodeId, Tree, Value};
use crate::source::Loc;

/// Where paths start: the item being checked, its document, and the repo document.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub doc: &'a Document,
    pub item: NodeId,
    pub repo: &'a Document,
}

impl<'a> Context<'a> {
    pub fn resolve(&self, path: &Path) -> (&'a Tree, Vec<NodeId>) {
        let (tree, from) = self.start(path);
        (tree, path.resolve(tree, from))
    }

    /// The tree a path reads and the node it starts from.
    fn start(&self, path: &Path) -> (&'a Tree, NodeId) {
        match path.origin {
            Origin::Item => (&self.doc.tree, self.item),
            Origin::Document => (&self.doc.tree, self.doc.root),
            Origin::Repo => (&self.repo.tree, self.repo.root),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub witness: Option<Loc>,
}

impl Outcome {
    fn no() -> Outcome {
        Outcome {
            ok: false,
            witness: None,
        }
    }
}

/// Decides once every part of `condition` that reads only `$repo`, so evaluating the result per
/// item costs only what depends on the item (a monorepo's `$repo.files` is read once, not once
/// per workload). A condition with nothing to decide is returned as it is, not copied: a fleet
/// specialises every rule once per service.
pub fn specialise<'c>(condition: &'c Condition, repo: Context<'_>) -> Cow<'c, Condition> {
    if condition.reads_only_repo() {
        let outcome = eval(condition, repo);
        return Cow::Owned(Condition::Known(outcome.ok, outcome.witness));
    }
    match condition {
        Condition::All(items) | Condition::Any(items) => {
            let parts: Vec<Cow<'c, Condition>> =
                items.iter().map(|c| specialise(c, repo)).collect();
            if parts.iter().all(|part| matches!(part, Cow::Borrowed(_))) {
                return Cow::Borrowed(condition);
            }
            let parts = parts.into_iter().map(Cow::into_owned).collect();
            Cow::Owned(match condition {
                Condition::All(_) => Condition::All(parts),
                _ => Condition::Any(parts),
            })
        }
        Condition::Not(inner) => match specialise(inner, repo) {
            Cow::Borrowed(_) => Cow::Borrowed(condition),
            Cow::Owned(inner) => Cow::Owned(Condition::Not(Box::new(inner))),
        },
        other => Cow::Borrowed(other),
    }
}

pub fn eval(condition: &Condition, cx: Context<'_>) -> Outcome {
    match condition {
        Condition::Known(ok, witness) => Outcome {
            ok: *ok,
            witness: *witness,
        },
        Condition::All(items) => {
            // When every part holds, the last located part is the most specific evidence, so
            // `not: {all: [...]}` findings point at it.
            let mut witness = None;
            for item in items {
                let outcome = eval(item, cx);
                if !outcome.ok {
                    return outcome;
                }
                witness = outcome.witness.or(witness);
            }
            Outcome { ok: true, witness }
        }
        Condition::Any(items) => {
            // When no part holds, the first located failure is the evidence, so a rule that
            // adds an exemption (`any: [{not: …}, {equals: …exempt}]`) still points where the
            // requirement fails.
            let mut witness = None;
            for item in items {
                let outcome = eval(item, cx);
                if outcome.ok {
                    return outcome;
                }
                witness = witness.or(outcome.witness);
            }
            Outcome { ok: false, witness }
        }
        Condition::Not(inner) => {
            let outcome = eval(inner, cx);
            Outcome {
                ok: !outcome.ok,
                witness: outcome.witness,
            }
        }
        Condition::Exists(path) => {
            first(cx, path, |tree, id| !matches!(tree.value(id), Value::Null))
        }
        Condition::Absent(path) => {
            let exists = first(cx, path, |tree, id| !matches!(tree.value(id), Value::Null));
            Outcome {
                ok: !exists.ok,
                witness: exists.witness,
            }
        }
        Condition::Equals(path, literal) => first(cx, path, |tree, id| equal(tree, id, literal)),
        Condition::OneOf(path, literals) => first(cx, path, |tree, id| {
            literals.iter().any(|l| equal(tree, id, l))
        }),
        Condition::Matches(path, regex) => first(cx, path, |tree, id| {
            tree.scalar_text(id).is_some_and(|t| regex.is_match(&t))
        }),
        Condition::AtLeast(path, limit) => compare(cx, path, limit, |n, bound| n >= bound),
        Condition::AtMost(path, limit) => compare(cx, path, limit, |n, bound| n <= bound),
        Condition::TextMatches(path, regex) => text_matches(cx, path, regex),
        Condition::In(path, among) => membership(cx, path, among, true),
        Condition::NotIn(path, among) => membership(cx, path, among, false),
        Condition::Entropy(path, bits) => first(cx, path, |tree, id| {
            tree.scalar_text(id).is_some_and(|t| entropy(&t) >= *bits)
        }),
    }
}

/// Shannon entropy of a text's characters, in bits per character: how unpredictable the next
/// character is from the text's own character frequencies (0 for `aaaa`, 2 for `abcd`).
fn entropy(text: &str) -> f64 {
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let total = counts.values().sum::<usize>() as f64;
    counts
        .values()
        .map(|&n| {
            let share = n as f64 / total;
            -share * share.log2()
        })
        .sum()
}

/// The `exists` paths of `condition` (under `all` / `any`, not under `not`) that do not hold for
/// the item, so a message can name what is missing rather than all that is required.
pub fn unmet<'c>(condition: &'c Condition, cx: Context<'_>, out: &mut Vec<&'c str>) {
    match condition {
        Condition::All(items) | Condition::Any(items) => {
            items.iter().for_each(|c| unmet(c, cx, out));
        }
        Condition::Exists(path) if !eval(condition, cx).ok => out.push(&path.text),
        _ => {}
    }
}

/// Whether a scalar at `path` is (`wanted`) or is not among the values at `among`.
fn membership(cx: Context<'_>, path: &Path, among: &Path, wanted: bool) -> Outcome {
    let (among_tree, pool) = cx.resolve(among);
    let pool: Vec<String> = pool
        .into_iter()
        .filter_map(|id| among_tree.scalar_text(id).map(|t| t.into_owned()))
        .collect();
    first(cx, path, |tree, id| {
        tree.scalar_text(id)
            .is_some_and(|t| pool.iter().any(|p| *p == t) == wanted)
    })
}

/// Whether a number at `path` compares so with the limit (with any of the numbers at its path).
fn compare(cx: Context<'_>, path: &Path, limit: &Limit, holds: fn(f64, f64) -> bool) -> Outcome {
    match limit {
        Limit::Fixed(bound) => first(cx, path, |tree, id| {
            number(tree, id).is_some_and(|n| holds(n, *bound))
        }),
        Limit::At { path: at, percent } => {
            let (bound_tree, bounds) = cx.resolve(at);
            let bounds: Vec<f64> = bounds
                .into_iter()
                .filter_map(|id| number(bound_tree, id))
                .collect();
            first(cx, path, |tree, id| {
                bounds.iter().any(|bound| {
                    count(tree, id, *bound, *percent).is_some_and(|n| holds(n, *bound))
                })
            })
        }
    }
}

/// A number, or with `percent` a percentage (`50%`) as that share of `of`, rounded as asked.
fn count(tree: &Tree, id: NodeId, of: f64, percent: Option<Rounding>) -> Option<f64> {
    let share = percent.and_then(|rounding| {
        let text = tree.as_str(id)?.trim().strip_suffix('%')?;
        // Multiplied before dividing, so whole percentages of whole counts stay exact.
        let exact = text.trim().parse::<f64>().ok()? * of / 100.0;
        Some(match rounding {
            Rounding::Up => exact.ceil(),
            Rounding::Down => exact.floor(),
        })
    });
    share.or_else(|| number(tree, id))
}

fn first(cx: Context<'_>, path: &Path, test: impl Fn(&Tree, NodeId) -> bool) -> Outcome {
    let (tree, from) = cx.start(path);
    path.find(tree, from, test)
        .map_or_else(Outcome::no, |id| Outcome {
            ok: true,
            witness: tree.loc(id),
        })
}

fn text_matches(cx: Context<'_>, path: &Path, regex: &Pattern) -> Outcome {
    let (tree, hits) = cx.resolve(path);
    for id in hits {
        // Searched while the file was read (`prematch`); its text may be gone since.
        if path.origin != Origin::Repo
            && let Some(find) = cx
                .doc
                .text_finds
                .as_ref()
                .and_then(|f| f.get(id, regex.as_str()))
        {
            if find.matched {
                return Outcome {
                    ok: true,
                    witness: find.at,
                };
            }
            continue;
        }
        let Some(text) = tree.as_str(id) else {
            continue;
        };
        if let Some(found) = regex.find(text) {
            return Outcome {
                ok: true,
                witness: tree.loc(id).map(|loc| narrow(loc, text, found)),
            };
        }
    }
    Outcome::no()
}

/// Points at the match itself when the node's text is a byte-exact copy of its source span
/// (source files, Dockerfile arguments); otherwise at the whole node.
pub(super) fn narrow(loc: Loc, text: &str, found: super::pattern::Match) -> Loc {
    let span = loc.span;
    if (span.end - span.start) as usize == text.len() {
        let start = span.start as usize + found.start();
        Loc::new(loc.file, start, start + found.len())
    } else {
        loc
    }
}

/// Equality as a YAML reader means it: `8080` equals `"8080"`, `true` equals `"true"`.
fn equal(tree: &Tree, id: NodeId, literal: &Literal) -> bool {
    match (literal, tree.value(id)) {
        (Literal::Null, value) => matches!(value, Value::Null),
        (Literal::Bool(b), Value::Bool(v)) => b == v,
        (Literal::Bool(b), Value::Str(s)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Literal::Number(n), _) => number(tree, id).is_some_and(|v| (v - n).abs() < f64::EPSILON),
        (Literal::Text(t), _) => tree.scalar_text(id).is_some_and(|v| v == t.as_str()),
        _ => false,
    }
}

/// A number, a numeric string, or a list's length.
fn number(tree: &Tree, id: NodeId) -> Option<f64> {
    match tree.value(id) {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse().ok(),
        Value::Seq(items) => Some(items.len() as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile;
    use crate::model::DocKind;
    use crate::parse;

    /// Whether `check` holds on the one YAML document `doc`.
    fn holds(check: &str, doc: &str) -> bool {
        let text = format!(
            "id: r\ntitle: t\ncategory: availability\nseverity: low\ntarget: yaml\ncheck:\n  {check}\nmessage: m\nsummary: s\nrationale: r\nremediation: x\nexamples: {{fail: a, pass: b}}\n"
        );
        let rule = compile("r.yaml", &text, Some("r"))
            .map_err(|e| format!("{e:?}"))
            .expect("rule compiles");
        let parsed = parse::parse(DocKind::Yaml, 0, "x.yaml", doc);
        let document = &parsed.documents[0];
        let cx = Context {
            doc: document,
            item: document.root,
            repo: document,
        };
        eval(&rule.check, cx).ok
    }

    #[test]
    fn compares_with_the_numbers_at_another_path() {
        let check = "at_least: {path: min, value_at: 'targets[*].replicas', percent: up}";
        assert!(holds(check, "min: 3\ntargets: [{replicas: 3}]\n"));
        assert!(!holds(check, "min: 2\ntargets: [{replicas: 3}]\n"));
        assert!(
            holds(check, "min: 2\ntargets: [{replicas: 5}, {replicas: 2}]\n"),
            "any number at value_at"
        );
        assert!(
            !holds(check, "min: 2\ntargets: []\n"),
            "nothing to compare with"
        );
    }

    #[test]
    fn a_percentage_is_a_share_of_the_compared_count() {
        let up = "at_least: {path: min, value_at: replicas, percent: up}";
        assert!(
            holds(up, "min: 50%\nreplicas: 1\n"),
            "50 % of 1 rounds up to 1"
        );
        assert!(!holds(up, "min: 50%\nreplicas: 3\n"), "50 % of 3 is 2");
        assert!(holds(up, "min: '100%'\nreplicas: 7\n"));
        let down = "at_least: {path: min, value_at: replicas, percent: down}";
        assert!(
            !holds(down, "min: 99%\nreplicas: 1\n"),
            "99 % of 1 rounds down to 0"
        );
        assert!(holds(up, "min: 99%\nreplicas: 1\n"));
        let plain = "at_least: {path: min, value_at: replicas}";
        assert!(
            !holds(plain, "min: 100%\nreplicas: 1\n"),
            "without percent, not a number"
        );
    }

    #[test]
    fn not_in_finds_a_value_missing_from_the_pool() {
        let check = "not_in: {path: 'wanted[*]', among: 'have[*]'}";
        assert!(holds(check, "wanted: [a, b]\nhave: [a]\n"));
        assert!(!holds(check, "wanted: [a, b]\nhave: [b, a]\n"));
        assert!(
            !holds(check, "wanted: []\nhave: [a]\n"),
            "nothing to look up"
        );
    }

    #[test]
    fn entropy_separates_generated_keys_from_words() {
        let check = "entropy: {path: v, at_least: 3.5}";
        assert!(holds(check, "v: 'k8Qz1vXw9Lp2Rt7Y'\n"), "a random token");
        assert!(!holds(check, "v: password\n"));
        assert!(!holds(check, "v: aaaaaaaaaaaaaaaa\n"));
        assert!(!holds(check, "v: ''\n"), "nothing is not random");
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_bound_needs_exactly_one_of_value_and_value_at() {
        let rule = |check: &str| {
            let text = format!(
                "id: r\ntitle: t\ncategory: availability\nseverity: low\ntarget: yaml\ncheck:\n  {check}\nmessage: m\nsummary: s\nrationale: r\nremediation: x\nexamples: {{fail: a, pass: b}}\n"
            );
            compile("r.yaml", &text, Some("r")).is_ok()
        };
        assert!(rule("at_least: {path: a, value: 1}"));
        assert!(!rule("at_least: {path: a}"));
        assert!(!rule("at_least: {path: a, value: 1, value_at: b}"));
        assert!(!rule("at_least: {path: a, value: 1, percent: up}"));
        assert!(!rule("at_least: {path: a, value_at: b, percent: sideways}"));
    }
}
