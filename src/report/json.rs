//! `--format json`: the report contract, pretty-printed, byte-identical for the same input.

use super::{FleetReport, Report, SCHEMA_VERSION};

pub fn render(reports: &[Report]) -> String {
    let text = match reports {
        [single] => serde_json::to_string_pretty(single),
        many => serde_json::to_string_pretty(&FleetReport {
            schema_version: SCHEMA_VERSION,
            reports: many.to_vec(),
        }),
    };
    // Serialising plain data cannot fail; an empty object keeps the output valid JSON if it did.
    let mut text = text.unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
