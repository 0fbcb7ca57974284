//! Baselines: a recorded set of accepted findings, so a scan reports only what is new.
//!
//! A finding matches an entry by rule, path, object and a hash of its source line's trimmed
//! text — never by line number, so lines inserted above a finding do not resurrect it. When the
//! line itself changed (the hash differs), an entry with the same rule, path, object and message
//! still matches. Matching is count-based: two identical findings need two entries, so a second
//! copy of an accepted problem is reported as new.
//!
//! Baselined findings are suppressed (`how: "baseline"`) exactly like a `[[ignore]]` entry: they
//! leave the severity gate *and* the score, so `min_score` judges the scan as if the accepted
//! debt were suppressed. The file is JSON, versioned, sorted and free of line numbers, so
//! rewriting it after unrelated edits gives the same bytes.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::source::escape_controls;

pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version of the file.
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub path: Option<String>,
    pub object: Option<String>,
    /// FNV-1a (64-bit, hex) of the trimmed text of the finding's line; empty without a line.
    pub line_hash: String,
    pub message: String,
}

impl Entry {
    pub fn new(
        rule: &str,
        path: Option<&str>,
        object: Option<&str>,
        message: &str,
        line_text: Option<&str>,
    ) -> Entry {
        Entry {
            rule: rule.to_owned(),
            path: path.map(str::to_owned),
            // Reports escape control characters in objects; do the same so both sides agree.
            object: object.map(|o| escape_controls(o).into_owned()),
            line_hash: line_text.map(|t| fnv1a(t.trim())).unwrap_or_default(),
            message: message.to_owned(),
        }
    }

    fn strict_key(&self) -> Key<'_> {
        (
            &self.rule,
            self.path.as_deref(),
            self.object.as_deref(),
            &self.line_hash,
        )
    }

    fn loose_key(&self) -> Key<'_> {
        (
            &self.rule,
            self.path.as_deref(),
            self.object.as_deref(),
            &self.message,
        )
    }
}

/// Rule, path, object, and the line hash or the message.
type Key<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str);

fn fnv1a(text: &str) -> String {
    format!("{:016x}", crate::hash::fnv1a_64(text.as_bytes()))
}

impl Baseline {
    /// A baseline of these entries, sorted (the file's order).
    pub fn new(mut findings: Vec<Entry>) -> Baseline {
        findings.sort();
        Baseline {
            version: VERSION,
            findings,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a baseline; a missing, unreadable or foreign file is an error naming the file.
    pub fn load(path: &Path) -> Result<Baseline, miette::Report> {
        let shown = path.display();
        let help = format!("write one with `golive check --write-baseline {shown}`");
        let text = std::fs::read_to_string(path).map_err(|e| {
            miette::miette!(help = help.clone(), "cannot read baseline {shown}: {e}")
        })?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            miette::miette!(help = help.clone(), "{shown} is not a golive baseline: {e}")
        })?;
        if baseline.version != VERSION {
            return Err(miette::miette!(
                help = help,
                "{shown} is a version {} baseline; this golive reads version {VERSION}",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Which candidates the baseline covers. Exact matches (same line text) are taken first, so
    /// a tolerant match never steals the entry of an unchanged finding.
    pub fn covers(&self, candidates: &[Entry]) -> Vec<bool> {
        self.cover(candidates, &[Entry::strict_key, Entry::loose_key])
    }

    /// Which candidates the baseline covers by rule, path, object and message alone: for
    /// findings read back from a JSON report, which keeps no file texts to hash.
    pub fn covers_by_message(&self, candidates: &[Entry]) -> Vec<bool> {
        self.cover(candidates, &[Entry::loose_key])
    }

    /// Count-based matching, one pass per key in order: an entry covers one candidate at most.
    fn cover(&self, candidates: &[Entry], keys: &[fn(&Entry) -> Key<'_>]) -> Vec<bool> {
        let mut used = vec![false; self.findings.len()];
        let mut covered = vec![false; candidates.len()];
        for key_of in keys {
            let mut pool: HashMap<_, Vec<usize>> = HashMap::new();
            for (i, entry) in self.findings.iter().enumerate().rev() {
                if !used[i] {
                    pool.entry(key_of(entry)).or_default().push(i);
                }
            }
            for (candidate, hit) in candidates.iter().zip(covered.iter_mut()) {
                if *hit {
                    continue;
                }
                if let Some(i) = pool.get_mut(&key_of(candidate)).and_then(Vec::pop) {
                    used[i] = true;
                    *hit = true;
                }
            }
        }
        covered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(message: &str, line: &str) -> Entry {
        Entry::new("r", Some("Dockerfile"), None, message, Some(line))
    }

    #[test]
    fn matches_by_line_text_then_by_message_counting_copies() {
        let baseline = Baseline {
            version: VERSION,
            findings: vec![entry("m", "FROM x"), entry("other", "USER root")],
        };
        // Same line text, different message: exact match.
        assert_eq!(baseline.covers(&[entry("changed", "  FROM x  ")]), [true]);
        // Line changed, message kept: tolerant match.
        assert_eq!(baseline.covers(&[entry("other", "USER 0")]), [true]);
        // Two copies, one entry: the second is new.
        assert_eq!(
            baseline.covers(&[entry("m", "FROM x"), entry("m", "FROM x")]),
            [true, false]
        );
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(fnv1a(""), "cbf29ce484222325");
    }
}
