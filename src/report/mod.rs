//! The `Report`: everything a scan found, in the JSON contract's shape (DESIGN §4). It is the
//! only input of every output format.

pub mod catalog;
pub mod human;
pub mod json;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::eval::Status;
use crate::engine::{Category, Severity};
use crate::score::{CategoryScore, Gate};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Tool {
        Tool {
            name: "golive",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: String,
    pub score: f64,
    pub grade: &'static str,
    pub gate: Gate,
    pub categories: Vec<CategoryScore>,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// `[[ignore]]` entries of golive.toml past their `until` day (they no longer suppress).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expired_ignores: Vec<ExpiredIgnore>,
    pub artifacts: Vec<Artifact>,
    pub errors: Vec<FileError>,
    /// Texts of the files findings point into, for snippets; not part of the JSON contract.
    #[serde(skip)]
    pub sources: BTreeMap<String, Arc<str>>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleResult {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub status: Status,
    pub checked: usize,
    pub failed: usize,
}

/// A location in a scanned file; lines and columns are 1-based, columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte range in the file, for snippets.
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub length: usize,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub object: Option<String>,
    pub help: String,
    #[serde(skip)]
    pub location: Option<Location>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Suppressed {
    pub rule: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub object: Option<String>,
    pub reason: Option<String>,
    /// `inline comment`, `file comment`, `annotation`, `config` or `baseline`.
    pub how: &'static str,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ExpiredIgnore {
    pub rule: String,
    /// `YYYY-MM-DD`.
    pub until: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Artifact {
    pub path: String,
    pub kind: &'static str,
    pub documents: usize,
    /// `parsed`, `skipped` or `error`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct FileError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Several PATHs: one report each.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FleetReport {
    pub schema_version: u32,
    pub reports: Vec<Report>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}
