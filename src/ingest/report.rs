//! What went wrong with a file, per file, in words a user can act on.

use super::discover::NonEventKind;
use std::collections::BTreeMap;
use std::fmt;

/// Why a single record was skipped while the rest of its file was kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordSkip {
    NotAnObject,
    MissingField(&'static str),
    /// No `eventTime`, but a Logstash/SIEM `@timestamp`: an export, not CloudTrail's form.
    OnlyAtTimestamp,
    BadEventTime(String),
    /// An account id that is not 12 digits (it would end up in output paths).
    BadAccount(String),
    /// A region that is not lowercase letters, digits and dashes.
    BadRegion(String),
    /// A counts-table value outside what the engine accepts: (column, example).
    OutOfRange(&'static str, String),
    BadField(String),
    /// The record's text is not valid JSON (the records around it are still read).
    InvalidJson(String),
    /// The record's eventTime lies far outside the days that hold the rest of the data.
    TimeOutOfRange(String),
    /// The record is larger than `--max-record-bytes` (the example: its size, at least).
    TooLarge(String),
}

impl RecordSkip {
    /// The reason without the offending value, used to group counts.
    fn kind(&self) -> String {
        match self {
            Self::NotAnObject => "not a JSON object".to_string(),
            Self::MissingField(f) => format!("missing {f}"),
            Self::OnlyAtTimestamp => {
                "missing eventTime (has @timestamp: a Logstash/SIEM export?)".to_string()
            }
            Self::BadEventTime(_) => "bad eventTime".to_string(),
            Self::BadAccount(_) => "bad recipientAccountId".to_string(),
            Self::BadRegion(_) => "bad awsRegion".to_string(),
            Self::OutOfRange(what, _) => format!("{what} out of range"),
            Self::BadField(_) => "bad field".to_string(),
            Self::InvalidJson(_) => "not valid JSON".to_string(),
            Self::TimeOutOfRange(_) => "eventTime out of range".to_string(),
            Self::TooLarge(_) => "over the record size limit (--max-record-bytes), not read".to_string(),
        }
    }

    fn example(&self) -> Option<&str> {
        match self {
            Self::BadEventTime(v)
            | Self::BadAccount(v)
            | Self::BadRegion(v)
            | Self::OutOfRange(_, v)
            | Self::TimeOutOfRange(v)
            | Self::BadField(v)
            | Self::TooLarge(v)
            | Self::InvalidJson(v) => Some(v),
            _ => None,
        }
    }
}

/// A problem with a file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Unreadable(String),
    BrokenGzip(String),
    Empty,
    NotJson(String),
    BadJson { records_before: usize, msg: String },
    TruncatedJson { records_before: usize },
    NoRecords,
    /// A Parquet file that is not a usable counts table (see `ingest::counts`).
    BadCountsTable(String),
    /// The file (compressed or not) goes on past the per-file limit: read up to there.
    OverSizeLimit { limit: u64 },
    /// A counts table made from log files that this run also reads: counting both would
    /// count those calls twice, so the table is not counted.
    CountsOfInput { overlap: usize },
    /// A counts table whose rows, decoded, would take more than the per-file limit (see
    /// `ingest::counts::ROW_BYTES`): refused before any row is read.
    TableOverSizeLimit { rows: u64, bytes: u64, limit: u64 },
    /// A Parquet file in a trail's log folder or named as a log: logs are JSON.
    ParquetAsLog,
    /// A value after a document's `Records` array larger than `--max-record-bytes`:
    /// the text is not read past it.
    ValueOverSizeLimit { limit: u64, records_before: usize },
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(e) => write!(f, "cannot read: {e}"),
            Self::BrokenGzip(e) => write!(f, "truncated or corrupt gzip ({e})"),
            Self::Empty => f.write_str("empty file"),
            Self::NotJson(e) => write!(f, "not JSON ({e})"),
            Self::BadJson { records_before, msg } => {
                write!(f, "invalid JSON after {records_before} records ({msg})")
            }
            Self::TruncatedJson { records_before } => {
                write!(f, "JSON ends early, after {records_before} records")
            }
            Self::NoRecords => f.write_str("no CloudTrail records in it"),
            Self::BadCountsTable(e) => write!(f, "not a usable counts table ({e})"),
            Self::OverSizeLimit { limit } => write!(f, "over the size limit ({limit} bytes)"),
            Self::CountsOfInput { overlap } => write!(
                f,
                "counts table made from {overlap} of the log files also read in this run: not counted (read either the logs or the table)"
            ),
            Self::TableOverSizeLimit { rows, bytes, limit } => write!(
                f,
                "counts table of {rows} rows takes {bytes} bytes decoded, over the size limit ({limit} bytes, --max-file-bytes): not read"
            ),
            Self::ParquetAsLog => f.write_str(
                "a Parquet file where a CloudTrail log is expected (in a trail's log folder or named as a log): not read as a counts table",
            ),
            Self::ValueOverSizeLimit { limit, records_before } => write!(
                f,
                "a value after the Records array is over the record size limit ({limit} bytes, --max-record-bytes): not read past it, after {records_before} records"
            ),
        }
    }
}

/// Everything a run learned about one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: String,
    /// Bytes read from the file as stored (compressed or not).
    pub bytes_read: u64,
    /// Bytes of text after decompression (equal to `bytes_read` for plain files).
    pub text_bytes: u64,
    /// Set when the file's content shows it is not an event log (a digest found among
    /// the logs, or a file of Insight records): not a problem, nothing is skipped.
    pub non_event: Option<NonEventKind>,
    /// Records kept.
    pub records: usize,
    pub problems: Vec<FileProblem>,
    skipped: BTreeMap<String, (usize, Option<String>)>,
}

impl FileReport {
    pub fn new(path: String) -> Self {
        Self { path, ..Self::default() }
    }

    pub fn skip(&mut self, why: RecordSkip) {
        self.skip_many(why, 1);
    }

    /// Records `n` records skipped for the same reason.
    pub fn skip_many(&mut self, why: RecordSkip, n: usize) {
        let slot = self.skipped.entry(why.kind()).or_insert((0, None));
        slot.0 += n;
        if slot.1.is_none() {
            slot.1 = why.example().map(printable);
        }
    }

    pub fn skipped_records(&self) -> usize {
        self.skipped.values().map(|(n, _)| n).sum()
    }

    /// True when something in the file was not read.
    pub fn has_issues(&self) -> bool {
        !self.problems.is_empty() || !self.skipped.is_empty()
    }

    /// True when nothing at all could be used from the file.
    pub fn is_unusable(&self) -> bool {
        self.records == 0 && self.has_issues()
    }

    /// One line per problem: `path: reason`.
    pub fn describe(&self) -> Vec<String> {
        let path = crate::text::printable(&self.path);
        let mut lines: Vec<String> = self.problems.iter().map(|p| format!("{path}: {}", crate::text::printable(&p.to_string()))).collect();
        for (kind, (n, example)) in &self.skipped {
            let example = example.as_deref().map(|e| format!(" (e.g. {e})")).unwrap_or_default();
            lines.push(format!("{path}: skipped {n} record(s): {kind}{example}"));
        }
        if self.has_issues() && self.records > 0 {
            lines.push(format!("{path}: kept {} good record(s)", self.records));
        }
        lines
    }
}

/// Longest example value kept for a skip reason.
const EXAMPLE_CHARS: usize = 80;

/// An example value as it may be shown on a terminal: input is untrusted, so control
/// and bidi characters are escapes ([`crate::text::printable`]) and long values cut.
fn printable(value: &str) -> String {
    let cut: String = value.chars().take(EXAMPLE_CHARS).collect();
    let more = if cut.len() < value.len() { "..." } else { "" };
    format!("{}{more}", crate::text::printable(&cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_skips_by_reason_and_keeps_an_example() {
        let mut r = FileReport::new("f.json".into());
        r.skip(RecordSkip::BadEventTime("2026-13-45T99:00:00Z".into()));
        r.skip(RecordSkip::BadEventTime("later".into()));
        r.skip(RecordSkip::MissingField("eventName"));
        r.records = 3;
        assert_eq!(r.skipped_records(), 3);
        let lines = r.describe();
        assert!(lines.iter().any(|l| l.contains("skipped 2 record(s): bad eventTime (e.g. 2026-13-45T99:00:00Z)")));
        assert!(lines.iter().any(|l| l.contains("missing eventName")));
        assert!(lines.iter().any(|l| l.contains("kept 3 good record(s)")));
        assert!(!r.is_unusable());
    }

    #[test]
    fn examples_are_safe_to_print() {
        let mut r = FileReport::new("f.json".into());
        r.skip(RecordSkip::BadRegion(format!("\u{1b}[31mred{}", "x".repeat(200))));
        let line = r.describe().join("\n");
        assert!(line.contains("bad awsRegion (e.g. \\x1b[31mredxxx"), "{line}");
        assert!(line.contains("x...)") && line.len() < 200, "{line}");
    }
}
