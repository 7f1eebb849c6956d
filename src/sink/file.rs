//! Destinations that write local files or standard output: one body per file (NDJSON,
//! `{"Records":[...]}`, EventBridge, OCSF or HEC lines), and the S3 layout folder.
//!
//! A file is staged when the destination is opened (so a folder that takes no file fails
//! before any input is read), filled on [`Destination::stage`] and renamed into place on
//! commit. Standard output cannot be staged: it is written on `stage`, as before.

use super::destination::{Delivered, DeliveryError, Destination};
use super::hec::HecFields;
use super::{stage, to_writer, Format, LayoutCommit, S3LayoutSink, Sink, Staged, StagedWriter};
use crate::insight::InsightRecord;
use std::io::{self, Write};
use std::path::Path;

/// The body of a file (or of standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    Ndjson,
    Records,
    EventBridge,
    Ocsf,
    Hec(HecFields),
}

/// A staged file or standard output.
pub struct FileDestination {
    encoding: Encoding,
    target: Target,
    staged: usize,
}

enum Target {
    Stdout,
    File { staged: Staged, writer: Option<StagedWriter> },
}

impl FileDestination {
    pub fn stdout(encoding: Encoding) -> Self {
        Self { encoding, target: Target::Stdout, staged: 0 }
    }

    /// Stages `path`; fails now when it cannot be created.
    pub fn file(encoding: Encoding, path: &Path) -> io::Result<Self> {
        let (staged, writer) = stage(path)?;
        Ok(Self { encoding, target: Target::File { staged, writer: Some(writer) }, staged: 0 })
    }
}

/// A sink writing one line per record, encoded by `encode`.
struct LineSink<W: Write, F: Fn(&InsightRecord) -> io::Result<Vec<u8>>> {
    out: W,
    encode: F,
}

impl<W: Write, F: Fn(&InsightRecord) -> io::Result<Vec<u8>>> Sink for LineSink<W, F> {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        self.out.write_all(&(self.encode)(record)?)?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

fn encoder<'a, W: Write + 'a>(encoding: &'a Encoding, out: W) -> Box<dyn Sink + 'a> {
    match encoding {
        Encoding::Ndjson => to_writer(Format::Ndjson, out),
        Encoding::Records => to_writer(Format::Records, out),
        Encoding::EventBridge => Box::new(LineSink { out, encode: super::eventbridge::event }),
        Encoding::Ocsf => Box::new(LineSink { out, encode: super::ocsf::finding }),
        Encoding::Hec(fields) => Box::new(LineSink { out, encode: move |r: &InsightRecord| super::hec::event(r, fields) }),
    }
}

fn write_all(mut sink: Box<dyn Sink + '_>, records: &[InsightRecord]) -> io::Result<()> {
    for r in records {
        sink.write(r)?;
    }
    sink.finish()
}

impl Destination for FileDestination {
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
        self.staged = records.len();
        match &mut self.target {
            Target::Stdout => write_all(encoder(&self.encoding, io::BufWriter::new(io::stdout().lock())), records),
            Target::File { writer, .. } => {
                let writer = writer.take().ok_or_else(|| io::Error::other("records already staged"))?;
                write_all(encoder(&self.encoding, writer), records)
            }
        }
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
        if let Target::File { staged, .. } = self.target {
            let target = staged.target().display().to_string();
            staged.commit().map_err(|e| io::Error::new(e.kind(), format!("cannot write {target}: {e}")))?;
        }
        Ok(Delivered { records: self.staged, refused: Vec::new() })
    }
}

/// `s3-layout:DIR`: gzip delivery files in the AWS CloudTrail-Insight layout.
pub struct LayoutDestination {
    sink: Option<S3LayoutSink>,
    commit: LayoutCommit,
    staged: usize,
}

impl LayoutDestination {
    /// Creates `dir` if needed; fails now when it takes no file. With `keep_earlier_runs`
    /// (nightly runs) a commit removes no earlier run's file.
    pub fn open(dir: &Path, keep_earlier_runs: bool) -> io::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display())))?;
        let (sink, commit) = S3LayoutSink::open(dir).map_err(|e| io::Error::new(e.kind(), format!("cannot write into {}: {e}", dir.display())))?;
        let commit = if keep_earlier_runs { commit.keeping_earlier_runs() } else { commit };
        Ok(Self { sink: Some(sink), commit, staged: 0 })
    }
}

impl Destination for LayoutDestination {
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
        let sink = self.sink.take().ok_or_else(|| io::Error::other("records already staged"))?;
        self.staged = records.len();
        write_all(Box::new(sink), records)
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
        let done = self.commit.commit()?;
        Ok(Delivered { records: self.staged - done.refused.len(), refused: done.refused })
    }
}
