//! Renderers: turn source formats that are templates into the documents they deploy, keeping
//! where every output byte came from so findings point at the source.

pub mod helm;
