//! The rule engine: rule files (spec) → compiled rules → evaluation over documents.

pub mod builtin;
pub mod compile;
pub mod condition;
pub mod eval;
pub mod fix;
pub mod path;
pub mod pattern;
pub mod prematch;
pub mod spec;
pub mod suppress;

pub use compile::{Category, Rule, Severity};
