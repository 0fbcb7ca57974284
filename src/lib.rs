//! golive: tells a team whether a service repository is ready to go live.
//!
//! The pipeline runs one way: walk → classify → parse → link → evaluate → score → report.

pub mod model;
pub mod parse;
pub mod source;
