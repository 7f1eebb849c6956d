//! Counts tables: the aggregation done elsewhere, as Parquet.
//!
//! Aggregation is a map-reduce over files, so a user with more logs than one machine
//! reads can run it on Athena, Spark or DuckDB and give trailsight the result. One row
//! holds the calls of one (minute, series, principal, user agent, error code) cell:
//!
//! | column                 | type                        | meaning                              |
//! |------------------------|-----------------------------|--------------------------------------|
//! | `minute`               | timestamp (UTC) or string   | start of the minute                  |
//! | `recipient_account_id` | string                      | account                              |
//! | `aws_region`           | string                      | region                               |
//! | `event_source`         | string                      | e.g. `ec2.amazonaws.com`             |
//! | `event_name`           | string                      | e.g. `RunInstances`                  |
//! | `insight_type`         | string                      | `ApiCallRateInsight` or `ApiErrorRateInsight` |
//! | `error_code`           | string, null for successes  | the error (the series' code on error rows) |
//! | `user_identity_arn`    | string, nullable            | principal                            |
//! | `user_agent`           | string, nullable            | user agent                           |
//! | `count`                | integer                     | calls in the cell                    |
//!
//! `trailsight detect --write-counts FILE` writes exactly this table, and README.md has
//! the Athena SQL that makes it. A call-rate row feeds only its call-rate series and an
//! error-rate row only its error series, so a write that failed (present in both) is not
//! counted twice. Read-only successes and source IPs are not in the table: the
//! behaviour model sees writes and errors only.

use super::record::{Category, Event, Feeds, NULL_VALUE};
use super::report::{FileProblem, FileReport, RecordSkip};
use super::FileBatch;
use crate::intern::Interner;
use crate::time::{parse_event_minute, Minute};
use polars::prelude::*;

/// Column names of the counts table.
pub mod columns {
    pub const MINUTE: &str = "minute";
    pub const ACCOUNT: &str = "recipient_account_id";
    pub const REGION: &str = "aws_region";
    pub const EVENT_SOURCE: &str = "event_source";
    pub const EVENT_NAME: &str = "event_name";
    pub const INSIGHT_TYPE: &str = "insight_type";
    pub const ERROR_CODE: &str = "error_code";
    pub const USER_IDENTITY_ARN: &str = "user_identity_arn";
    pub const USER_AGENT: &str = "user_agent";
    pub const COUNT: &str = "count";
}

use columns::*;

/// The `insight_type` values.
pub const CALL_RATE: &str = "ApiCallRateInsight";
pub const ERROR_RATE: &str = "ApiErrorRateInsight";

/// True when the bytes are a Parquet file.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Reads a counts table into a batch of weighted events. Rows that cannot be used are
/// skipped with their reason, like bad records.
pub fn read(bytes: Vec<u8>, mut report: FileReport) -> FileBatch {
    let mut strings = Interner::new();
    let mut events = Vec::new();
    match ParquetReader::new(std::io::Cursor::new(bytes)).finish() {
        Ok(frame) => {
            if let Err(e) = rows(&frame, &mut strings, &mut events, &mut report) {
                report.problems.push(FileProblem::BadCountsTable(e.to_string()));
            }
        }
        Err(e) => report.problems.push(FileProblem::BadCountsTable(e.to_string())),
    }
    report.records = events.len();
    if events.is_empty() && report.problems.is_empty() && report.skipped_records() == 0 {
        report.problems.push(FileProblem::NoRecords);
    }
    FileBatch { strings, events, report }
}

fn rows(frame: &DataFrame, strings: &mut Interner, events: &mut Vec<Event>, report: &mut FileReport) -> PolarsResult<()> {
    let minutes = minute_column(frame.column(MINUTE)?)?;
    let text = |name: &str| -> PolarsResult<StringChunked> { Ok(frame.column(name)?.cast(&DataType::String)?.str()?.clone()) };
    let optional = |name: &str| -> PolarsResult<Option<StringChunked>> {
        match frame.column(name) {
            Ok(c) => Ok(Some(c.cast(&DataType::String)?.str()?.clone())),
            Err(_) => Ok(None),
        }
    };
    let (account, region, source, name, kind) =
        (text(ACCOUNT)?, text(REGION)?, text(EVENT_SOURCE)?, text(EVENT_NAME)?, text(INSIGHT_TYPE)?);
    let (error, arn, agent) = (optional(ERROR_CODE)?, optional(USER_IDENTITY_ARN)?, optional(USER_AGENT)?);
    let count = frame.column(COUNT)?.cast(&DataType::Int64)?;
    let count = count.i64()?;
    let get = |c: &Option<StringChunked>, i: usize| c.as_ref().and_then(|c| c.get(i)).map(str::to_owned);
    for i in 0..frame.height() {
        let fields = (minutes[i], account.get(i), region.get(i), source.get(i), name.get(i), kind.get(i), count.get(i));
        let (Some(minute), Some(account), Some(region), Some(source), Some(name), Some(kind), Some(n)) = fields else {
            report.skip(RecordSkip::BadField(format!("row {i}: a required column is null or unreadable")));
            continue;
        };
        let feeds = match kind {
            CALL_RATE => Feeds::CallRate,
            ERROR_RATE => Feeds::ErrorRate,
            other => {
                report.skip(RecordSkip::BadField(format!("row {i}: insight_type {other:?}")));
                continue;
            }
        };
        let error = get(&error, i);
        if feeds == Feeds::ErrorRate && error.is_none() {
            report.skip(RecordSkip::MissingField("error_code"));
            continue;
        }
        let Ok(calls) = u32::try_from(n) else {
            report.skip(RecordSkip::BadField(format!("row {i}: count {n}")));
            continue;
        };
        if calls == 0 {
            continue;
        }
        events.push(Event {
            minute,
            dedup_key: None,
            account: strings.intern(account),
            region: strings.intern(region),
            source: strings.intern(source),
            name: strings.intern(name),
            error: error.as_deref().map(|e| strings.intern(e)),
            principal: strings.intern(get(&arn, i).as_deref().unwrap_or(NULL_VALUE)),
            agent: strings.intern(get(&agent, i).as_deref().unwrap_or(NULL_VALUE)),
            ip: strings.intern(NULL_VALUE),
            category: Category::Management,
            read_only: feeds == Feeds::ErrorRate,
            read_only_inferred: false,
            calls,
            feeds: Some(feeds),
        });
    }
    Ok(())
}

/// The minute of every row: timestamps of any unit, or ISO 8601 strings.
fn minute_column(c: &Column) -> PolarsResult<Vec<Option<Minute>>> {
    match c.dtype() {
        DataType::Datetime(unit, _) => {
            let per_minute: i64 = match unit {
                TimeUnit::Milliseconds => 60_000,
                TimeUnit::Microseconds => 60_000_000,
                TimeUnit::Nanoseconds => 60_000_000_000,
            };
            let raw = c.cast(&DataType::Int64)?;
            let raw = raw.i64()?;
            Ok((0..raw.len()).map(|i| raw.get(i).map(|v| v.div_euclid(per_minute))).collect())
        }
        _ => {
            let s = c.cast(&DataType::String)?;
            let s = s.str()?;
            Ok((0..s.len()).map(|i| s.get(i).and_then(|t| parse_event_minute(&t.replacen(' ', "T", 1)))).collect())
        }
    }
}

/// One row of the table, as [`write`] takes it.
pub struct Row<'a> {
    pub minute: Minute,
    pub account: &'a str,
    pub region: &'a str,
    pub source: &'a str,
    pub name: &'a str,
    /// [`CALL_RATE`] or [`ERROR_RATE`].
    pub insight_type: &'static str,
    pub error: Option<&'a str>,
    pub principal: &'a str,
    pub agent: &'a str,
    pub calls: u32,
}

/// Writes rows as a counts table (Parquet, zstd).
pub fn write<'a>(rows: impl Iterator<Item = Row<'a>>, out: &mut dyn std::io::Write) -> PolarsResult<()> {
    let (mut minute, mut account, mut region, mut source, mut name, mut kind, mut error, mut arn, mut agent, mut count) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let nullable = |s: &'a str| (s != NULL_VALUE).then_some(s);
    for r in rows {
        minute.push(r.minute * 60_000);
        account.push(r.account);
        region.push(r.region);
        source.push(r.source);
        name.push(r.name);
        kind.push(r.insight_type);
        error.push(r.error);
        arn.push(nullable(r.principal));
        agent.push(nullable(r.agent));
        count.push(r.calls);
    }
    let minute = Column::new(MINUTE.into(), minute).cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))?;
    let mut frame = DataFrame::new_infer_height(vec![
        minute,
        Column::new(ACCOUNT.into(), account),
        Column::new(REGION.into(), region),
        Column::new(EVENT_SOURCE.into(), source),
        Column::new(EVENT_NAME.into(), name),
        Column::new(INSIGHT_TYPE.into(), kind),
        Column::new(ERROR_CODE.into(), error),
        Column::new(USER_IDENTITY_ARN.into(), arn),
        Column::new(USER_AGENT.into(), agent),
        Column::new(COUNT.into(), count),
    ])?;
    ParquetWriter::new(out).finish(&mut frame)?;
    Ok(())
}
