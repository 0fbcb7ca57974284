//! golive: tells a team whether a service repository is ready to go live.
//!
//! The pipeline runs one way, each module importing only the layers below it:
//!
//! ```text
//! walk → classify → parse (helm: render) → link → engine (evaluate) → accept (ignores,
//! baseline), attest (sign-offs) → score → report
//! ```
//!
//! `pipeline` wires one scan; `settings` turns flags (`settings::Flags`, plain data) and
//! golive.toml into the `Settings` it reads; `fleet` turns the PATHs of a run into services.
//! The command line itself (clap) lives in the binary, not here.

pub mod accept;
pub mod attest;
pub mod baseline;
pub mod classify;
pub mod compare;
pub mod config;
pub mod engine;
pub mod fix;
pub mod fleet;
pub mod hash;
pub mod heap;
pub mod helm;
pub mod link;
pub mod model;
pub mod ordered;
pub mod parse;
pub mod periphery;
pub mod pipeline;
pub mod problems;
pub mod render;
pub mod report;
pub mod score;
pub mod settings;
pub mod source;
pub mod starter;
pub mod walk;

pub use pipeline::{Input, check};
