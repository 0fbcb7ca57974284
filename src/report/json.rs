//! `--format json`: the report contract, pretty-printed, byte-identical for the same input.

use super::{Report, SCHEMA_VERSION};

pub fn render(reports: &[Report]) -> String {
    match reports {
        [single] => finish(serde_json::to_string_pretty(single)),
        many => render_fleet(many),
    }
}

/// A fleet run (`--discover`, `--shard`, `golive merge`): `{"reports": [...]}` even for one
/// service or none, so a consumer of shard files always reads one shape.
pub fn render_fleet(reports: &[Report]) -> String {
    finish(serde_json::to_string_pretty(&Fleet {
        schema_version: SCHEMA_VERSION,
        reports,
    }))
}

/// [`super::FleetReport`]'s shape, borrowing the reports instead of copying them.
#[derive(serde::Serialize)]
struct Fleet<'a> {
    schema_version: u32,
    reports: &'a [Report],
}

fn finish(text: serde_json::Result<String>) -> String {
    // Serialising plain data cannot fail; an empty object keeps the output valid JSON if it did.
    let mut text = text.unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
