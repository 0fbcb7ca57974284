//! Renderers: turn what a repository deploys from (Helm charts, Kustomize overlays) into the
//! objects that get deployed, each node still pointing at the file and line it came from.

pub mod helm;
pub mod kustomize;
