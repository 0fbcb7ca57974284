//! Reports written as they come. A fleet's services are scanned, written and dropped one after
//! another, so every format is a [`Stream`]: what it writes before the first report, for each
//! report, and once all are in (a fleet table, the totals a header needs). A format whose
//! beginning depends on the whole run (JUnit's totals, the Markdown and HTML fleet tables)
//! keeps the text of each report in a [`Spool`] and only small summary rows in memory. `render`
//! over a slice of reports gives the same bytes, so the streamed output is the one the tests
//! snapshot.

use std::io::{self, Seek, Write};

use super::Report;

/// What a run looks like before its reports exist: how many, and whether it is a fleet run
/// (`--discover`, `--shard`, `golive merge`).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub count: usize,
    pub fleet: bool,
}

impl Shape {
    /// More than one report: outputs name each one.
    pub fn several(self) -> bool {
        self.count > 1
    }

    /// The fleet's shape (JSON `reports`, the human fleet table): a fleet run, or several
    /// reports.
    pub fn fleet_shape(self) -> bool {
        self.fleet || self.several()
    }
}

/// One output format, written report by report.
pub trait Stream {
    /// Before the first report.
    fn start(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn report(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()>;

    /// After the last report.
    fn finish(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

/// The whole output of `stream` over `reports`, as text.
pub fn render(reports: &[Report], mut stream: impl Stream) -> String {
    let mut bytes = Vec::new();
    let written = stream
        .start(&mut bytes)
        .and_then(|()| {
            reports
                .iter()
                .try_for_each(|r| stream.report(&mut bytes, r))
        })
        .and_then(|()| stream.finish(&mut bytes));
    // Writing into memory cannot fail, and every format writes UTF-8.
    match written.map(|()| String::from_utf8(bytes)) {
        Ok(Ok(text)) => text,
        _ => String::new(),
    }
}

/// Text written now and copied out at the end: in memory up to a few megabytes, then in a
/// temporary file, so a 20,000-service report does not sit in memory.
pub struct Spool(tempfile::SpooledTempFile);

impl Default for Spool {
    fn default() -> Spool {
        Spool(tempfile::SpooledTempFile::new(4 << 20))
    }
}

impl Spool {
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    /// Copies everything spooled so far to `out`.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.0.rewind()?;
        io::copy(&mut self.0, out)?;
        Ok(())
    }
}

/// Elements of a pretty-printed JSON array, written one by one as `serde_json` would have
/// written the whole array at that depth (`indent`: the array's own indentation).
pub struct JsonArray {
    indent: &'static str,
    written: usize,
}

impl JsonArray {
    pub fn new(indent: &'static str) -> JsonArray {
        JsonArray { indent, written: 0 }
    }

    pub fn element(
        &mut self,
        out: &mut dyn Write,
        value: &impl serde::Serialize,
    ) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(value).map_err(io::Error::from)?;
        let separator: &[u8] = if self.written == 0 { b"\n" } else { b",\n" };
        out.write_all(separator)?;
        self.written += 1;
        // Pretty JSON has newlines only between tokens (a newline in a string is `\n`), so
        // indenting every line places the element at its depth.
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(self.indent.as_bytes())?;
            out.write_all(b"  ")?;
            out.write_all(line)?;
        }
        Ok(())
    }

    /// The closing bracket, on its own line unless the array is empty.
    pub fn close(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.written > 0 {
            write!(out, "\n{}", self.indent)?;
        }
        out.write_all(b"]")
    }
}
