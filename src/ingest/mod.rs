//! Ingest: find CloudTrail files, decompress them, parse their records and report what
//! was bad.
//!
//! This is the first room of the pipeline. It decides nothing about anomalies: it turns
//! each file into a [`FileBatch`] of compact [`Event`]s (strings interned per file) plus a
//! [`FileReport`] saying what was skipped and why. Files are independent, so the caller
//! maps them in parallel and merges the batches once (see [`crate::aggregate`]).
//!
//! A file is read as a stream, never whole: its bytes are decompressed and cut into
//! records chunk by chunk, and [`ReadLimits`] bound how far one file is read, so neither
//! a gzip bomb nor `/dev/zero` decides how much memory or time a run takes.

pub mod counts;
mod decode;
mod discover;
mod hashing;
mod inflate;
mod parse;
mod read_only;
mod record;
mod report;
mod scope;

pub use discover::{discover, discover_in, is_cloudtrail_name, is_log_location, non_event_kind, walk_files, Discovery, InputFile, NonEventKind, IGNORED_EXAMPLES};
pub use read_only::{infer_read_only, infer_read_only_api};
pub use record::{is_account_id, is_region, Category, Event, Feeds, NULL_VALUE};
pub use report::{FileProblem, FileReport, RecordSkip};
pub use scope::{check_account, check_region, Scope};

use crate::intern::Interner;
use decode::{Capped, Format};
use flate2::read::MultiGzDecoder;
use record::Unused;
use std::io::{self, Cursor, Read};
use std::path::Path;

/// What one input file yielded: its good events and the report of what was not good.
#[derive(Debug, Default)]
pub struct FileBatch {
    pub strings: Interner,
    pub events: Vec<Event>,
    pub report: FileReport,
    /// The identity of a file read from a path ([`source_id`]); `None` for standard input.
    pub source_id: Option<String>,
    /// For a counts table, the source ids of the files it was made from (its
    /// `trailsight.sources` metadata, see [`counts`]); empty for log files.
    pub made_from: Vec<String>,
    /// For a counts table of version 2, the records each day (of eventTime) held in the
    /// logs it was made from, every category and duplicates included.
    pub day_records: Vec<(crate::aggregate::Day, u64)>,
    /// SHA-256 of the file's bytes as stored, hex, when it was read to its end and asked
    /// for ([`read_file_hashing`]).
    pub sha256: Option<String>,
}

impl FileBatch {
    /// Keeps only the events of the accounts and regions `scope` asks for (see
    /// [`Scope`]); the file's record count is then of those.
    pub fn keep_scope(&mut self, scope: &Scope) {
        if scope.is_all() {
            return;
        }
        let strings = &self.strings;
        self.events.retain(|e| scope.keeps(strings.resolve(e.account), strings.resolve(e.region)));
        self.report.records = self.events.len();
    }
}

/// Bounds on what reading one input file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most bytes read from one file, counted both as stored and after decompression.
    /// A file that goes on past it is reported "over the size limit", and its records up
    /// to there are kept. A counts table is also refused when its rows, decoded, would
    /// take more ([`counts::ROW_BYTES`] each, checked from its footer before any is read).
    pub max_file_bytes: u64,
    /// Largest record read, in bytes of its JSON text. A larger record is skipped as it
    /// streams by, never held whole, and reported; the records after it are read.
    pub max_record_bytes: u64,
}

impl ReadLimits {
    /// 4 GiB. A CloudTrail delivery file covers about five minutes of one account and
    /// region and is far smaller (megabytes, even for busy accounts), and an export of a
    /// whole day of a large organisation fits; yet a gzip bomb or an endless device is
    /// cut after seconds of reading. Memory does not grow with this limit (the text is
    /// streamed), only with the records kept: about 70 bytes per record.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 << 30;

    /// 16 MiB. A CloudTrail record is a few KB (CloudTrail truncates large request and
    /// response elements), so this is far above any real one, while a forged record (a
    /// userAgent of gigabytes) costs at most about three times this in memory per
    /// reading thread.
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 << 20;

    fn max_record(&self) -> usize {
        usize::try_from(self.max_record_bytes).unwrap_or(usize::MAX)
    }
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self { max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES, max_record_bytes: Self::DEFAULT_MAX_RECORD_BYTES }
    }
}

/// The identity of an input file, the same for every copy of it: its file name and size
/// (`<name>:<bytes>`). A counts table stores the ids of the files it was made from, so a
/// run can tell when it is given both the table and one of those files.
pub fn source_id(path: &Path, size: u64) -> String {
    let name = path.file_name().unwrap_or(path.as_os_str()).to_string_lossy();
    format!("{name}:{size}")
}

/// Reads, decompresses and parses one input file with the default [`ReadLimits`].
pub fn read_file(file: &InputFile) -> FileBatch {
    read_file_with(file, &ReadLimits::default())
}

/// Reads, decompresses and parses one input file. Never fails: every problem is recorded
/// in the batch's report, and every record that could be read is kept.
pub fn read_file_with(file: &InputFile, limits: &ReadLimits) -> FileBatch {
    read_file_hashing(file, limits, false)
}

/// As [`read_file_with`]; with `hash`, also the SHA-256 of the file's bytes as they are
/// read ([`FileBatch::sha256`]), which only a run that keeps a manifest needs.
pub fn read_file_hashing(file: &InputFile, limits: &ReadLimits, hash: bool) -> FileBatch {
    let mut batch = FileBatch { report: FileReport::new(file.display_name()), ..FileBatch::default() };
    match open(file) {
        Ok((reader, size)) => {
            batch.source_id = size.and_then(|size| path_of(file).map(|p| source_id(p, size)));
            let is_log = path_of(file).is_some_and(discover::is_log_location);
            let mut hashing = hashing::Hashing::new(reader, hash);
            read_source(&mut hashing, limits, is_log, &mut batch);
            batch.sha256 = hashing.sha256_of_whole(size);
        }
        Err(e) => batch.report.problems.push(FileProblem::Unreadable(e.to_string())),
    }
    finish(&mut batch);
    log_file(&batch.report);
    batch
}

/// Calls `visit` with the JSON text and the typed [`Event`] of every usable record of a
/// log file, in file order (its strings in `strings`), within `limits`: what the
/// investigation commands read to show raw records and source IPs, which the aggregates
/// do not keep. A counts table holds no records and visits nothing; problems are not
/// reported here (a run over the same files reports them).
pub fn visit_records(file: &InputFile, limits: &ReadLimits, strings: &mut Interner, visit: &mut dyn FnMut(&[u8], &Event, &Interner)) {
    let Ok((reader, _)) = open(file) else { return };
    let mut stored = Capped::new(reader, limits.max_file_bytes);
    let Ok(head) = decode::read_head(&mut stored) else { return };
    let format = decode::sniff(&head);
    if format == Format::Parquet {
        return;
    }
    let mut records = Typed {
        strings,
        on: |raw: &[u8], event: Result<Event, Unused>, strings: &Interner| {
            if let Ok(event) = event {
                visit(raw, &event, strings);
            }
        },
    };
    match text_of(format, head, &mut stored, limits.max_file_bytes) {
        Text::Whole(text) => drop(parse::scan_whole(&text, limits.max_record(), &mut records)),
        Text::Stream(text) => drop(parse::scan(&mut Capped::new(text, limits.max_file_bytes), limits.max_record(), &mut records)),
    };
}

/// Each record the scanner finds, typed with its strings in `strings`, handed to `on`
/// with its text: a plain record is typed as it is found, any other is cut out first.
struct Typed<'s, F> {
    strings: &'s mut Interner,
    on: F,
}

impl<F: FnMut(&[u8], Result<Event, Unused>, &Interner)> parse::Records for Typed<'_, F> {
    fn object(&mut self, rest: &[u8]) -> Option<usize> {
        let (event, len) = record::plain_event_at_start(rest, self.strings)?;
        (self.on)(&rest[..len], event, self.strings);
        Some(len)
    }

    fn record(&mut self, raw: &[u8]) {
        let event = record::to_event(raw, self.strings);
        (self.on)(raw, event, self.strings);
    }

    fn too_large(&mut self, bytes: usize) {
        let skip = RecordSkip::TooLarge(format!("{bytes} bytes or more"));
        (self.on)(b"", Err(Unused::Skip(skip)), self.strings);
    }
}

/// The file's reader, and its size on disk when it has one.
fn open(file: &InputFile) -> io::Result<(Box<dyn Read>, Option<u64>)> {
    match file {
        InputFile::Stdin => Ok((Box::new(io::stdin().lock()), None)),
        InputFile::Path(p) => {
            let f = std::fs::File::open(p)?;
            let size = f.metadata().ok().map(|m| m.len());
            Ok((Box::new(f), size))
        }
        InputFile::S3(object) => Ok((object.open(), Some(object.size))),
    }
}

fn path_of(file: &InputFile) -> Option<&Path> {
    match file {
        InputFile::Path(p) => Some(p),
        InputFile::Stdin => None,
        InputFile::S3(object) => Some(Path::new(&object.key)),
    }
}

/// Reads one opened file into `batch`, by the format its first bytes show; a file that
/// `is_log` by its place or name is never read as a counts table.
fn read_source(reader: impl Read, limits: &ReadLimits, is_log: bool, batch: &mut FileBatch) {
    let limit = limits.max_file_bytes;
    let mut stored = Capped::new(reader, limit);
    let head = match decode::read_head(&mut stored) {
        Ok(head) => head,
        Err(e) => return batch.report.problems.push(FileProblem::Unreadable(e.to_string())),
    };
    let format = decode::sniff(&head);
    if format == Format::Parquet && is_log {
        return batch.report.problems.push(FileProblem::ParquetAsLog);
    }
    if format == Format::Parquet {
        return read_counts(head, &mut stored, limit, batch);
    }
    let max_record = limits.max_record();
    let (end, text_bytes, text_over) = match text_of(format, head, &mut stored, limit) {
        Text::Whole(text) => (parse::scan_whole(&text, max_record, &mut records_into(batch)), text.len() as u64, false),
        Text::Stream(text) => {
            let mut text = Capped::new(text, limit);
            let end = parse::scan(&mut text, max_record, &mut records_into(batch));
            (end, text.yielded(), text.is_over())
        }
    };
    let report = &mut batch.report;
    (report.bytes_read, report.text_bytes) = (stored.yielded(), text_bytes);
    let over = text_over || stored.is_over();
    // A stream that broke only because the stored bytes were cut is not broken.
    if let Some(e) = end.read_error.filter(|_| !stored.is_over()) {
        report.problems.push(match format {
            Format::Gzip => FileProblem::BrokenGzip(e.to_string()),
            _ => FileProblem::Unreadable(e.to_string()),
        });
    }
    if over {
        report.problems.push(FileProblem::OverSizeLimit { limit });
    }
    match end.problem {
        // The text ends early (or blank) because the limit cut it, which is already said.
        Some(FileProblem::TruncatedJson { .. } | FileProblem::Empty) if over => {}
        Some(problem) => report.problems.push(problem),
        None => {}
    }
}

/// A file's text: whole in memory, or a stream.
enum Text<'a> {
    Whole(Vec<u8>),
    Stream(Box<dyn Read + 'a>),
}

/// The decompressed text of a stored stream whose first bytes were `head`. A gzip file
/// of at most [`inflate::MAX_STORED`] bytes is read whole and inflated by libdeflate when
/// it is well formed and its text within `limit`, and scanned where it lies; anything
/// else (a larger file, a damaged stream, a text over the limit, a read error, a file
/// that is not gzip) is streamed, through flate2 for gzip, from the same bytes, which
/// keeps the records before a break and reports it.
fn text_of<'a>(format: Format, head: Vec<u8>, stored: &'a mut impl Read, limit: u64) -> Text<'a> {
    if format != Format::Gzip {
        return Text::Stream(Box::new(Cursor::new(head).chain(stored)));
    }
    let mut whole = head;
    let read = stored.take(inflate::MAX_STORED as u64 + 1).read_to_end(&mut whole);
    let fits = whole.len() <= inflate::MAX_STORED;
    Text::Stream(match read {
        Ok(_) if fits => match inflate::whole(&whole, limit) {
            Some(text) => return Text::Whole(text),
            None => Box::new(MultiGzDecoder::new(Cursor::new(whole))),
        },
        Ok(_) => Box::new(MultiGzDecoder::new(Cursor::new(whole).chain(stored))),
        // What was read before the error, then the error itself, as a stream would.
        Err(e) => Box::new(MultiGzDecoder::new(Cursor::new(whole).chain(Failing(Some(e))))),
    })
}

/// A reader that fails once with the error it holds, then ends.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// What the scanner does with each record of a text: typed into the batch.
fn records_into(batch: &mut FileBatch) -> impl parse::Records + '_ {
    let FileBatch { strings, events, report, .. } = batch;
    Typed {
        strings,
        on: move |_: &[u8], event: Result<Event, Unused>, _: &Interner| match event {
            Ok(event) => events.push(event),
            Err(Unused::Skip(skip)) => report.skip(skip),
            Err(Unused::NonEvent(kind)) => report.non_event = Some(kind),
        },
    }
}

/// A counts table is read whole (Parquet needs its footer), within the same limit.
fn read_counts(head: Vec<u8>, stored: &mut Capped<impl Read>, limit: u64, batch: &mut FileBatch) {
    let mut bytes = head;
    let read = stored.read_to_end(&mut bytes);
    let mut report = std::mem::take(&mut batch.report);
    (report.bytes_read, report.text_bytes) = (stored.yielded(), stored.yielded());
    if let Err(e) = read {
        report.problems.push(FileProblem::Unreadable(e.to_string()));
    } else if stored.is_over() {
        report.problems.push(FileProblem::OverSizeLimit { limit });
    } else {
        let table = counts::read_within(bytes, report, limit);
        (batch.strings, batch.events, batch.made_from) = (table.strings, table.events, table.made_from);
        report = table.report;
    }
    batch.report = report;
}

/// Counts what was kept, and says so when a file held nothing at all.
fn finish(batch: &mut FileBatch) {
    let report = &mut batch.report;
    report.records = batch.events.len();
    // A file of Insight records (e.g. a CloudTrail-Insight file outside its folder): its
    // records are still counted as insight records, and the file is marked.
    if !batch.events.is_empty() && batch.events.iter().all(|e| e.category == Category::Insight) {
        report.non_event.get_or_insert(NonEventKind::Insight);
    }
    let nothing = batch.events.is_empty() && report.problems.is_empty() && report.skipped_records() == 0;
    if nothing && report.non_event.is_none() {
        report.problems.push(FileProblem::NoRecords);
    }
}

fn log_file(report: &FileReport) {
    tracing::debug!(
        path = %report.path,
        bytes = report.bytes_read,
        text_bytes = report.text_bytes,
        records = report.records,
        skipped = report.skipped_records(),
        problems = report.problems.len(),
        non_event = ?report.non_event,
        "file read"
    );
}
