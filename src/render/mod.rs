//! Renderers: turn build inputs (Kustomize overlays) into the objects that actually get
//! deployed, with every node still pointing at the file and line it came from.

pub mod kustomize;
