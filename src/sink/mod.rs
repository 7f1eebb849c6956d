//! Sinks: where Insight records go. One small trait, the seam between rendering and
//! writing (ripgrep's `Sink`): a sink receives finished records and never computes them.
//!
//! - [`NdjsonSink`]: one record per line, for pipes, jq and SIEM shippers.
//! - [`RecordsSink`]: one `{"Records":[...]}` document, the body of an AWS delivery file.
//! - [`S3LayoutSink`]: gzip delivery files in the AWS `CloudTrail-Insight` S3 layout.
//! - [`CollectSink`]: records kept in memory, for in-process callers.
//!
//! `--sink SPEC` destinations ([`SinkSpec`], [`Destination`]) are handed the run's final
//! records once, through [`fan_out`]: the files above, EventBridge events ([`eventbridge`]),
//! OCSF Detection Findings ([`ocsf`]) and Splunk HEC events ([`hec`]), in files or posted.
//!
//! Every file written here is atomic ([`atomic`]): staged under a temporary name and
//! renamed into place only when the caller commits it after a successful run, so a
//! failed or killed run leaves earlier output untouched. What a re-run into an
//! `--out DIR` folder replaces is decided in one place, [`LayoutCommit`].

pub mod atomic;
mod bucket;
mod destination;
pub mod eventbridge;
mod file;
pub mod hec;
pub mod ocsf;
mod outdir;
pub mod putevents;
mod s3;
mod spec;

pub use atomic::{stage, AtomicFile, Staged, StagedWriter};
pub use destination::{fan_out, Delivered, Deliveries, DeliveryError, Destination, Named, Outcome};
pub use file::{Encoding, FileDestination, LayoutDestination};
pub use spec::{FileKind, SinkOptions, SinkSpec, SpecError};
pub use outdir::{Committed, LayoutCommit, MANIFEST};
pub use s3::{is_account_id, is_layout_path, is_region_name, relative_path, Refused, S3LayoutSink};

use crate::insight::InsightRecord;
use std::io::{self, Write};

/// A destination for Insight records.
pub trait Sink {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()>;
    /// Flushes and closes the destination; no record may follow.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// The body format of a file or stream of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `{"Records":[...]}`, as AWS delivers files.
    Records,
    /// One record per line.
    #[default]
    Ndjson,
}

fn to_json(record: &InsightRecord) -> io::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(io::Error::other)
}

/// One JSON record per line.
pub struct NdjsonSink<W: Write> {
    out: W,
}

impl<W: Write> NdjsonSink<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> Sink for NdjsonSink<W> {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        self.out.write_all(&to_json(record)?)?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

/// A single `{"Records":[...]}` document, written as records arrive.
pub struct RecordsSink<W: Write> {
    out: W,
    written: usize,
}

impl<W: Write> RecordsSink<W> {
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }
}

impl<W: Write> Sink for RecordsSink<W> {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        let lead: &[u8] = if self.written == 0 { b"{\"Records\":[" } else { b"," };
        self.out.write_all(lead)?;
        self.out.write_all(&to_json(record)?)?;
        self.written += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        let tail: &[u8] = if self.written == 0 { b"{\"Records\":[]}\n" } else { b"]}\n" };
        self.out.write_all(tail)?;
        self.out.flush()
    }
}

/// Keeps records in memory, for callers that use the library in-process.
pub struct CollectSink<'a> {
    records: &'a mut Vec<InsightRecord>,
}

impl<'a> CollectSink<'a> {
    pub fn new(records: &'a mut Vec<InsightRecord>) -> Self {
        Self { records }
    }
}

impl Sink for CollectSink<'_> {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        self.records.push(record.clone());
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

/// A sink writing `format` to `out`.
pub fn to_writer<'a, W: Write + 'a>(format: Format, out: W) -> Box<dyn Sink + 'a> {
    match format {
        Format::Records => Box::new(RecordsSink::new(out)),
        Format::Ndjson => Box::new(NdjsonSink::new(out)),
    }
}

/// A sink writing `format` to the file `path`, staged: the file appears (or replaces
/// the earlier one) only when the returned handle is committed.
pub fn to_file(format: Format, path: &std::path::Path) -> io::Result<(Box<dyn Sink>, Staged)> {
    let (staged, writer) = stage(path)?;
    Ok((to_writer(format, writer), staged))
}

#[cfg(test)]
mod tests;
