//! Ingest: find CloudTrail files, decompress them, parse their records and report what
//! was bad.
//!
//! This is the first room of the pipeline. It decides nothing about anomalies: it turns
//! each file into a [`FileBatch`] of compact [`Event`]s (strings interned per file) plus a
//! [`FileReport`] saying what was skipped and why. Files are independent, so the caller
//! maps them in parallel and merges the batches once (see [`crate::aggregate`]).

pub mod counts;
mod decode;
mod discover;
mod parse;
mod record;
mod report;

pub use discover::{discover, Discovery, InputFile, NonEventKind};
pub use record::{infer_read_only, Category, Event, Feeds, NULL_VALUE};
pub use report::{FileProblem, FileReport, RecordSkip};

use crate::intern::Interner;
use std::io::Read;

/// What one input file yielded: its good events and the report of what was not good.
#[derive(Debug)]
pub struct FileBatch {
    pub strings: Interner,
    pub events: Vec<Event>,
    pub report: FileReport,
}

/// Reads, decompresses and parses one input file. Never fails: every problem is recorded
/// in the batch's report, and every record that could be read is kept.
pub fn read_file(file: &InputFile) -> FileBatch {
    let mut report = FileReport::new(file.display_name());
    let bytes = match load(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            report.problems.push(FileProblem::Unreadable(e.to_string()));
            return FileBatch { strings: Interner::new(), events: Vec::new(), report };
        }
    };
    report.bytes_read = bytes.len() as u64;
    if counts::is_parquet(&bytes) {
        return counts::read(bytes, report);
    }
    let (text, decode_problem) = decode::decompress(bytes);
    report.problems.extend(decode_problem);
    let mut strings = Interner::new();
    let mut events = Vec::with_capacity(text.len() / 1200);
    let outcome = parse::for_each_record(&text, |raw| {
        match record::to_event(raw, &mut strings) {
            Ok(event) => events.push(event),
            Err(skip) => report.skip(skip),
        }
    });
    if let Err(problem) = outcome {
        report.problems.push(problem);
    }
    report.records = events.len();
    if events.is_empty() && report.problems.is_empty() && report.skipped_records() == 0 {
        report.problems.push(FileProblem::NoRecords);
    }
    FileBatch { strings, events, report }
}

/// Bytes of text in one input file after decompression, or 0 when it cannot be read:
/// the floor any reader of the file pays, measured by the scale benchmark.
pub fn decompressed_len(file: &InputFile) -> u64 {
    load(file).map_or(0, |bytes| decode::decompress(bytes).0.len() as u64)
}

fn load(file: &InputFile) -> std::io::Result<Vec<u8>> {
    match file {
        InputFile::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
            Ok(buf)
        }
        InputFile::Path(p) => std::fs::read(p),
    }
}
