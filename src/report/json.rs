//! `--format json`: the report contract, pretty-printed, byte-identical for the same input.

use std::io::Write as _;

use super::{Report, SCHEMA_VERSION};

pub fn render(reports: &[Report]) -> String {
    into_string(|out| write(reports, false, out))
}

/// A fleet run (`--discover`, `--shard`, `golive merge`): `{"reports": [...]}` even for one
/// service or none, so a consumer of shard files always reads one shape.
pub fn render_fleet(reports: &[Report]) -> String {
    into_string(|out| write(reports, true, out))
}

/// Writes what `render` (or, for a fleet, `render_fleet`) returns, without holding the text: a
/// monorepo's report runs to tens of megabytes.
pub fn write(reports: &[Report], fleet: bool, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let written = match reports {
        [single] if !fleet => serde_json::to_writer_pretty(&mut out, single),
        reports => serde_json::to_writer_pretty(
            &mut out,
            &Fleet {
                schema_version: SCHEMA_VERSION,
                reports,
            },
        ),
    };
    written.map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn into_string(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut bytes = Vec::new();
    // Serialising plain data into memory cannot fail; an empty object keeps the output valid
    // JSON if it did.
    match write(&mut bytes).map(|()| String::from_utf8(bytes)) {
        Ok(Ok(text)) => text,
        _ => "{}\n".to_owned(),
    }
}

/// [`super::FleetReport`]'s shape, borrowing the reports instead of copying them.
#[derive(serde::Serialize)]
struct Fleet<'a> {
    schema_version: u32,
    reports: &'a [Report],
}
