//! `--format json`: the report contract, pretty-printed, byte-identical for the same input.

use std::io::Write;

use super::stream::{self, JsonArray, Shape};
use super::{Report, SCHEMA_VERSION};

pub fn render(reports: &[Report]) -> String {
    let shape = Shape {
        count: reports.len(),
        fleet: false,
    };
    stream::render(reports, Stream::new(shape))
}

/// A fleet run (`--discover`, `--shard`, `golive merge`): `{"reports": [...]}` even for one
/// service or none, so a consumer of shard files always reads one shape.
pub fn render_fleet(reports: &[Report]) -> String {
    let shape = Shape {
        count: reports.len(),
        fleet: true,
    };
    stream::render(reports, Stream::new(shape))
}

/// One report as itself, or the fleet's `{"schema_version": 1, "reports": [...]}` written
/// report by report (a monorepo's report runs to hundreds of megabytes).
pub struct Stream {
    reports: Option<JsonArray>,
}

impl Stream {
    pub fn new(shape: Shape) -> Stream {
        Stream {
            reports: shape.fleet_shape().then(|| JsonArray::new("  ")),
        }
    }
}

impl stream::Stream for Stream {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.reports.is_some() {
            write!(
                out,
                "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"reports\": ["
            )?;
        }
        Ok(())
    }

    fn report(&mut self, out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
        match &mut self.reports {
            Some(reports) => reports.element(out, report),
            None => serde_json::to_writer_pretty(out, report).map_err(std::io::Error::from),
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(reports) = &self.reports {
            reports.close(out)?;
            out.write_all(b"\n}")?;
        }
        out.write_all(b"\n")
    }
}
