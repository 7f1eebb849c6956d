//! Counts tables: the aggregation done elsewhere, as Parquet.
//!
//! Aggregation is a map-reduce over files, so a user with more logs than one machine
//! reads can run it on Spark (`jobs/spark/`), Athena or DuckDB and give trailsight the
//! result. `trailsight detect --write-counts FILE` writes version 2; version 1 tables
//! are still read.
//!
//! **Version 2** (key-value metadata `trailsight.counts_version` = `2`): one row per
//! cell of deduplicated records that agree on every field a model reads, so that
//! `detect` on the table gives the insights `detect` on the logs gives:
//!
//! | column                 | type                        | meaning                              |
//! |------------------------|-----------------------------|--------------------------------------|
//! | `minute`               | timestamp (UTC) or string   | start of the minute of `eventTime`   |
//! | `recipient_account_id` | string                      | account (`userIdentity.accountId` when absent) |
//! | `aws_region`           | string                      | region                               |
//! | `event_source`         | string                      | e.g. `ec2.amazonaws.com`             |
//! | `event_name`           | string                      | e.g. `RunInstances`                  |
//! | `event_category`       | string                      | `Management` or `Data`               |
//! | `read_only`            | boolean                     | `readOnly`, inferred from the API when absent |
//! | `error_code`           | string, null for successes  | `errorCode`                          |
//! | `user_identity_arn`    | string, nullable            | `userIdentity.arn`, else `invokedBy`, else `principalId` |
//! | `user_agent`           | string, nullable            | `userAgent`                          |
//! | `source_ip_address`    | string, nullable            | `sourceIPAddress`                    |
//! | `count`                | integer                     | records in the cell                  |
//!
//! Records are deduplicated before counting by (account, region, eventID, minute);
//! records older than eventVersion 1.07 (no `eventCategory`) are management events
//! unless `managementEvent` is false; data events are rows only when the table was made
//! with data events asked for (`--event-categories management,data`). The metadata
//! `trailsight.day_records` ([`DAYS_KEY`]) is a JSON list of `[day, records]` pairs
//! (days since 1970-01-01 of `eventTime`; every record of the logs that has the fields
//! above, any category, duplicates included), from which the span of days is found as
//! from the logs.
//!
//! **Version 1** (no version key; the Athena SQL of earlier releases): one row per
//! (minute, series, principal, user agent, error code) with an `insight_type` column
//! (`ApiCallRateInsight` or `ApiErrorRateInsight`) and an optional `event_category`;
//! a call-rate row feeds only its call-rate series and an error-rate row only its error
//! series. It holds no read-only successes and no source IPs, so the behaviour model
//! sees less from it than from the logs. The nightly state stores its counts in this
//! form. A table of any other version is refused, naming it.
//!
//! A table is input like any other, so each row is checked the way a record is: the
//! account and region as in records, `count` from 1 to [`MAX_ROW_CALLS`], and the minute
//! within years 1970 to 9999. A row that fails is skipped with its reason, the rest of the
//! table is kept.
//!
//! A table's size in memory is decided before any row is read, from its footer: each
//! row counts as [`ROW_BYTES`], plus the uncompressed size of its pages, against
//! `--max-file-bytes` ([`read_within`]). Parquet compresses repeated rows to almost
//! nothing (20 million identical rows fit in 1 MB), so the size as stored says nothing
//! of what decoding takes; a table over the limit is refused whole, with its row count.
//!
//! The file-level key-value metadata `trailsight.sources` ([`SOURCES_KEY`]) holds a JSON
//! list of the [`source_id`](super::source_id)s of the files the table was made from, so
//! a run given the table and one of those files can tell.

use super::record::{is_account_id, is_region, Category, Event, Feeds, NULL_VALUE};
use super::report::{FileProblem, FileReport, RecordSkip};
use super::FileBatch;
use crate::aggregate::Day;
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
    pub const EVENT_CATEGORY: &str = "event_category";
    pub const READ_ONLY: &str = "read_only";
    pub const SOURCE_IP: &str = "source_ip_address";
}

use columns::*;

/// The names AWS gives the two management Insight types: the `insight_type` values of a
/// counts table and the `insightType` of records (`aggregate::InsightType` speaks them).
pub const CALL_RATE: &str = "ApiCallRateInsight";
pub const ERROR_RATE: &str = "ApiErrorRateInsight";

/// The key of the Parquet key-value metadata that lists the tables' source files.
pub const SOURCES_KEY: &str = "trailsight.sources";

/// The key of the table's format version (absent in version 1 tables).
pub const VERSION_KEY: &str = "trailsight.counts_version";

/// The key of the records per day of the logs a version 2 table was made from.
pub const DAYS_KEY: &str = "trailsight.day_records";

/// The version `--write-counts` writes.
pub const VERSION: u32 = 2;

/// Most calls one row may claim: 100 million in one minute (1.6 million per second for
/// one principal, agent and API in one account and region) is far above any AWS API's
/// rate, and keeps sums of rows well inside the engine's counters.
pub const MAX_ROW_CALLS: u32 = 100_000_000;

/// Bytes one row of a table is counted as once decoded: its columns in polars (about
/// 150 bytes), the minute read from it and the event made of it. A 4 GiB limit (the
/// default `--max-file-bytes`) admits about 16 million rows.
pub const ROW_BYTES: u64 = 256;

/// Minutes from 1970-01-01T00:00Z to 9999-12-31T23:59Z: rows outside are refused.
const LAST_MINUTE: Minute = 4_223_371_679;

/// True when the bytes are a Parquet file.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Reads a counts table into a batch of weighted events. Rows that cannot be used are
/// skipped with their reason, like bad records.
pub fn read(bytes: Vec<u8>, report: FileReport) -> FileBatch {
    read_within(bytes, report, u64::MAX)
}

/// Reads a counts table as [`read`] does, unless its rows would take more than `limit`
/// bytes decoded (module doc): then it is refused before any row is read.
pub fn read_within(bytes: Vec<u8>, mut report: FileReport, limit: u64) -> FileBatch {
    let mut batch = FileBatch::default();
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let metadata = reader.get_metadata().map(|m| {
        let pairs: Vec<(String, Option<String>)> =
            m.key_value_metadata().iter().flatten().map(|kv| (kv.key.clone(), kv.value.clone())).collect();
        (pairs, decoded_size(m))
    });
    if let Ok((_, (rows, bytes))) = &metadata {
        if *bytes > limit {
            report.problems.push(FileProblem::TableOverSizeLimit { rows: *rows, bytes: *bytes, limit });
            batch.report = report;
            return batch;
        }
    }
    let metadata = metadata.map(|(pairs, _)| pairs);
    let pairs = match metadata {
        Ok(pairs) => pairs,
        Err(e) => {
            report.problems.push(FileProblem::BadCountsTable(e.to_string()));
            Vec::new()
        }
    };
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.as_deref());
    match sources_of(value(SOURCES_KEY)) {
        Ok(sources) => batch.made_from = sources,
        Err(e) => report.problems.push(FileProblem::BadCountsTable(e)),
    }
    let version = match value(VERSION_KEY) {
        None | Some("1") => Ok(1),
        Some("2") => days_of(value(DAYS_KEY)).map(|days| {
            batch.day_records = days;
            2
        }),
        Some(other) => Err(format!("it is counts table version {other}; this trailsight reads versions 1 and 2")),
    };
    match version.map(|v| (v, reader.finish())) {
        Ok((v, Ok(frame))) => {
            let (strings, events) = (&mut batch.strings, &mut batch.events);
            let read = if v == 1 {
                each_row(&frame, Columns::of, row, strings, events, &mut report)
            } else {
                each_row(&frame, CellColumns::of, cell, strings, events, &mut report)
            };
            if let Err(e) = read {
                report.problems.push(FileProblem::BadCountsTable(e.to_string()));
            }
        }
        Ok((_, Err(e))) => report.problems.push(FileProblem::BadCountsTable(e.to_string())),
        Err(why) => report.problems.push(FileProblem::BadCountsTable(why)),
    }
    report.records = batch.events.len();
    if batch.events.is_empty() && report.problems.is_empty() && report.skipped_records() == 0 {
        report.problems.push(FileProblem::NoRecords);
    }
    batch.report = report;
    batch
}

/// Rows of a table by its footer (the larger of the file's count and its row groups'),
/// and the bytes they are counted as once decoded (module doc).
fn decoded_size(m: &polars::io::parquet::read::FileMetadata) -> (u64, u64) {
    let in_groups: u64 = m.row_groups.iter().map(|g| g.num_rows() as u64).sum();
    let rows = (m.num_rows as u64).max(in_groups);
    let pages: u64 = m.row_groups.iter().map(|g| g.total_byte_size() as u64).sum();
    (rows, rows.saturating_mul(ROW_BYTES).saturating_add(pages))
}

/// The source ids stored under [`SOURCES_KEY`]; none when the key is absent.
fn sources_of(value: Option<&str>) -> Result<Vec<String>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("{SOURCES_KEY} is not a JSON list of strings ({e})")),
    }
}

/// The `[day, records]` pairs stored under [`DAYS_KEY`]; none when the key is absent.
fn days_of(value: Option<&str>) -> Result<Vec<(Day, u64)>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("{DAYS_KEY} is not a JSON list of [day, records] pairs ({e})")),
    }
}

/// The columns of a counts table, as strings where they are names.
struct Columns {
    minutes: Vec<Option<Minute>>,
    account: StringChunked,
    region: StringChunked,
    source: StringChunked,
    name: StringChunked,
    kind: StringChunked,
    error: Option<StringChunked>,
    arn: Option<StringChunked>,
    agent: Option<StringChunked>,
    category: Option<StringChunked>,
    count: Int64Chunked,
}

impl Columns {
    fn of(frame: &DataFrame) -> PolarsResult<Self> {
        let text = |name: &str| -> PolarsResult<StringChunked> {
            Ok(frame.column(name)?.cast(&DataType::String)?.str()?.clone())
        };
        let optional = |name: &str| frame.column(name).is_ok().then(|| text(name)).transpose();
        Ok(Self {
            minutes: minute_column(frame.column(MINUTE)?)?,
            account: text(ACCOUNT)?,
            region: text(REGION)?,
            source: text(EVENT_SOURCE)?,
            name: text(EVENT_NAME)?,
            kind: text(INSIGHT_TYPE)?,
            error: optional(ERROR_CODE)?,
            arn: optional(USER_IDENTITY_ARN)?,
            agent: optional(USER_AGENT)?,
            category: optional(EVENT_CATEGORY)?,
            count: frame.column(COUNT)?.cast(&DataType::Int64)?.i64()?.clone(),
        })
    }
}

/// Every row of `frame` as an event (by `row`, over the columns `of` reads), the rows
/// that cannot be used skipped with their reason.
fn each_row<C>(
    frame: &DataFrame,
    of: fn(&DataFrame) -> PolarsResult<C>,
    row: fn(&C, usize, &mut Interner) -> Result<Event, RecordSkip>,
    strings: &mut Interner,
    events: &mut Vec<Event>,
    report: &mut FileReport,
) -> PolarsResult<()> {
    let c = of(frame)?;
    for i in 0..frame.height() {
        match row(&c, i, strings) {
            Ok(event) => events.push(event),
            Err(skip) => report.skip(skip),
        }
    }
    Ok(())
}

/// The checks every row gets, as a record would: the count in range (returned), the
/// minute within years 1970 to 9999, the account and region as in records.
fn checked(i: usize, minute: Minute, n: i64, account: &str, region: &str) -> Result<u32, RecordSkip> {
    let calls = u32::try_from(n).ok().filter(|n| (1..=MAX_ROW_CALLS).contains(n));
    let calls = calls.ok_or_else(|| RecordSkip::OutOfRange("count", format!("row {i}: {n}")))?;
    if !(0..=LAST_MINUTE).contains(&minute) {
        return Err(RecordSkip::OutOfRange("minute", format!("row {i}: minute {minute}")));
    }
    if !is_account_id(account) {
        return Err(RecordSkip::BadAccount(account.to_string()));
    }
    if !is_region(region) {
        return Err(RecordSkip::BadRegion(region.to_string()));
    }
    Ok(calls)
}

/// Row `i` as an event, or why it cannot be used.
fn row(c: &Columns, i: usize, strings: &mut Interner) -> Result<Event, RecordSkip> {
    let fields = (c.minutes.get(i).copied().flatten(), c.account.get(i), c.region.get(i), c.source.get(i), c.name.get(i), c.kind.get(i), c.count.get(i));
    let (Some(minute), Some(account), Some(region), Some(source), Some(name), Some(kind), Some(n)) = fields else {
        return Err(RecordSkip::BadField(format!("row {i}: a required column is null or unreadable")));
    };
    let feeds = match kind {
        CALL_RATE => Feeds::CallRate,
        ERROR_RATE => Feeds::ErrorRate,
        other => return Err(RecordSkip::BadField(format!("row {i}: insight_type {other:?}"))),
    };
    fn get(col: &Option<StringChunked>, i: usize) -> Option<&str> {
        col.as_ref().and_then(|col| col.get(i))
    }
    let error = get(&c.error, i);
    let category = match get(&c.category, i) {
        None | Some("Management") => Category::Management,
        Some("Data") => Category::Data,
        Some(other) => return Err(RecordSkip::BadField(format!("row {i}: event_category {other:?}"))),
    };
    if feeds == Feeds::ErrorRate && error.is_none() {
        return Err(RecordSkip::MissingField("error_code"));
    }
    let calls = checked(i, minute, n, account, region)?;
    Ok(Event {
        minute,
        dedup_key: None,
        account: strings.intern(account),
        region: strings.intern(region),
        source: strings.intern(source),
        name: strings.intern(name),
        error: error.map(|e| strings.intern(e)),
        principal: strings.intern(get(&c.arn, i).unwrap_or(NULL_VALUE)),
        agent: strings.intern(get(&c.agent, i).unwrap_or(NULL_VALUE)),
        ip: strings.intern(NULL_VALUE),
        category,
        read_only: feeds == Feeds::ErrorRate,
        read_only_inferred: false,
        calls,
        feeds: Some(feeds),
    })
}

/// The columns of a version 2 table.
struct CellColumns {
    minutes: Vec<Option<Minute>>,
    account: StringChunked,
    region: StringChunked,
    source: StringChunked,
    name: StringChunked,
    category: StringChunked,
    read_only: BooleanChunked,
    error: StringChunked,
    arn: StringChunked,
    agent: StringChunked,
    ip: StringChunked,
    count: Int64Chunked,
}

impl CellColumns {
    fn of(frame: &DataFrame) -> PolarsResult<Self> {
        let text = |name: &str| -> PolarsResult<StringChunked> {
            Ok(frame.column(name)?.cast(&DataType::String)?.str()?.clone())
        };
        Ok(Self {
            minutes: minute_column(frame.column(MINUTE)?)?,
            account: text(ACCOUNT)?,
            region: text(REGION)?,
            source: text(EVENT_SOURCE)?,
            name: text(EVENT_NAME)?,
            category: text(EVENT_CATEGORY)?,
            read_only: frame.column(READ_ONLY)?.cast(&DataType::Boolean)?.bool()?.clone(),
            error: text(ERROR_CODE)?,
            arn: text(USER_IDENTITY_ARN)?,
            agent: text(USER_AGENT)?,
            ip: text(SOURCE_IP)?,
            count: frame.column(COUNT)?.cast(&DataType::Int64)?.i64()?.clone(),
        })
    }
}

/// Row `i` of a version 2 table as an event standing for `count` records.
fn cell(c: &CellColumns, i: usize, strings: &mut Interner) -> Result<Event, RecordSkip> {
    let fields = (c.minutes.get(i).copied().flatten(), c.account.get(i), c.region.get(i), c.source.get(i), c.name.get(i), c.category.get(i), c.read_only.get(i), c.count.get(i));
    let (Some(minute), Some(account), Some(region), Some(source), Some(name), Some(category), Some(read_only), Some(n)) = fields else {
        return Err(RecordSkip::BadField(format!("row {i}: a required column is null or unreadable")));
    };
    let category = match category {
        "Management" => Category::Management,
        "Data" => Category::Data,
        other => return Err(RecordSkip::BadField(format!("row {i}: event_category {other:?}"))),
    };
    let calls = checked(i, minute, n, account, region)?;
    Ok(Event {
        minute,
        dedup_key: None,
        account: strings.intern(account),
        region: strings.intern(region),
        source: strings.intern(source),
        name: strings.intern(name),
        error: c.error.get(i).map(|e| strings.intern(e)),
        principal: strings.intern(c.arn.get(i).unwrap_or(NULL_VALUE)),
        agent: strings.intern(c.agent.get(i).unwrap_or(NULL_VALUE)),
        ip: strings.intern(c.ip.get(i).unwrap_or(NULL_VALUE)),
        category,
        read_only,
        read_only_inferred: false,
        calls,
        feeds: None,
    })
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
            // parse_event_minute reads SQL's `2026-01-10 12:00:00` form as well.
            Ok((0..s.len()).map(|i| s.get(i).and_then(parse_event_minute)).collect())
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
    /// `Management` or `Data` (the series' `sourceEventCategory`).
    pub category: &'static str,
    pub calls: u32,
}

/// Writes rows as a counts table made from unnamed sources; see [`write_with_sources`].
pub fn write<'a>(rows: impl Iterator<Item = Row<'a>>, out: &mut dyn std::io::Write) -> PolarsResult<()> {
    write_with_sources(rows, &[], out)
}

/// Writes rows as a counts table (Parquet), recording under [`SOURCES_KEY`] the
/// [`source_id`](super::source_id)s of the files it was made from.
pub fn write_with_sources<'a>(
    rows: impl Iterator<Item = Row<'a>>,
    sources: &[String],
    out: &mut dyn std::io::Write,
) -> PolarsResult<()> {
    let (mut minute, mut account, mut region, mut source, mut name, mut kind, mut error, mut arn, mut agent, mut count) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut category = vec![];
    let nullable = |s: &'a str| (s != NULL_VALUE).then_some(s);
    for r in rows {
        minute.push(r.minute.saturating_mul(60_000));
        account.push(r.account);
        region.push(r.region);
        source.push(r.source);
        name.push(r.name);
        kind.push(r.insight_type);
        error.push(r.error);
        arn.push(nullable(r.principal));
        agent.push(nullable(r.agent));
        category.push(r.category);
        count.push(r.calls);
    }
    let mut frame = DataFrame::new_infer_height(vec![
        minute_column_of(minute)?,
        Column::new(ACCOUNT.into(), account),
        Column::new(REGION.into(), region),
        Column::new(EVENT_SOURCE.into(), source),
        Column::new(EVENT_NAME.into(), name),
        Column::new(INSIGHT_TYPE.into(), kind),
        Column::new(ERROR_CODE.into(), error),
        Column::new(USER_IDENTITY_ARN.into(), arn),
        Column::new(USER_AGENT.into(), agent),
        Column::new(COUNT.into(), count),
        Column::new(EVENT_CATEGORY.into(), category),
    ])?;
    finish(&mut frame, vec![(SOURCES_KEY, json(sources)?)], out)
}

/// The minute column of a table being written, from epoch milliseconds.
fn minute_column_of(millis: Vec<i64>) -> PolarsResult<Column> {
    Column::new(MINUTE.into(), millis).cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> PolarsResult<String> {
    serde_json::to_string(value).map_err(|e| polars_err!(ComputeError: "{e}"))
}

/// Writes `frame` as Parquet with the given footer metadata.
fn finish(frame: &mut DataFrame, metadata: Vec<(&str, String)>, out: &mut dyn std::io::Write) -> PolarsResult<()> {
    let pairs = metadata.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    ParquetWriter::new(out).with_key_value_metadata(Some(KeyValueMetadata::from_static(pairs))).finish(frame)?;
    Ok(())
}

/// One cell of a version 2 table, as [`write_cells`] takes it.
pub struct Cell<'a> {
    pub minute: Minute,
    pub account: &'a str,
    pub region: &'a str,
    pub source: &'a str,
    pub name: &'a str,
    /// `Management` or `Data`.
    pub category: &'static str,
    pub read_only: bool,
    pub error: Option<&'a str>,
    pub principal: &'a str,
    pub agent: &'a str,
    pub ip: &'a str,
    pub calls: u32,
}

/// Writes cells as a version 2 counts table, with the records per day of the logs
/// (`days`, see [`DAYS_KEY`]) and the source ids of the files it was made from.
pub fn write_cells<'a>(
    cells: impl Iterator<Item = Cell<'a>>,
    days: &[(Day, u64)],
    sources: &[String],
    out: &mut dyn std::io::Write,
) -> PolarsResult<()> {
    let (mut minute, mut account, mut region, mut source, mut name, mut category) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut read_only, mut error, mut arn, mut agent, mut ip, mut count) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let nullable = |s: &'a str| (s != NULL_VALUE).then_some(s);
    for c in cells {
        minute.push(c.minute.saturating_mul(60_000));
        account.push(c.account);
        region.push(c.region);
        source.push(c.source);
        name.push(c.name);
        category.push(c.category);
        read_only.push(c.read_only);
        error.push(c.error);
        arn.push(nullable(c.principal));
        agent.push(nullable(c.agent));
        ip.push(nullable(c.ip));
        count.push(i64::from(c.calls));
    }
    let mut frame = DataFrame::new_infer_height(vec![
        minute_column_of(minute)?,
        Column::new(ACCOUNT.into(), account),
        Column::new(REGION.into(), region),
        Column::new(EVENT_SOURCE.into(), source),
        Column::new(EVENT_NAME.into(), name),
        Column::new(EVENT_CATEGORY.into(), category),
        Column::new(READ_ONLY.into(), read_only),
        Column::new(ERROR_CODE.into(), error),
        Column::new(USER_IDENTITY_ARN.into(), arn),
        Column::new(USER_AGENT.into(), agent),
        Column::new(SOURCE_IP.into(), ip),
        Column::new(COUNT.into(), count),
    ])?;
    let metadata = vec![(VERSION_KEY, VERSION.to_string()), (SOURCES_KEY, json(sources)?), (DAYS_KEY, json(days)?)];
    finish(&mut frame, metadata, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(minute: Minute, calls: u32) -> Row<'a> {
        Row {
            minute,
            account: "111122223333",
            region: "us-east-1",
            source: "iam.amazonaws.com",
            name: "CreateUser",
            insight_type: CALL_RATE,
            error: None,
            principal: "arn:aws:iam::111122223333:user/a",
            agent: NULL_VALUE,
            category: "Management",
            calls,
        }
    }

    #[test]
    fn last_minute_is_the_end_of_year_9999() {
        assert_eq!(parse_event_minute("9999-12-31T23:59:59Z"), Some(LAST_MINUTE));
    }

    #[test]
    fn a_table_remembers_its_sources() {
        let sources = vec!["a_CloudTrail_x.json.gz:1234".to_string(), "b.json:7".to_string()];
        let mut out = Vec::new();
        write_with_sources([row(100, 3)].into_iter(), &sources, &mut out).unwrap();
        let batch = read(out, FileReport::new("t.parquet".into()));
        assert_eq!(batch.made_from, sources);
        assert_eq!(batch.events.len(), 1);
        let mut plain = Vec::new();
        write([row(100, 3)].into_iter(), &mut plain).unwrap();
        assert!(read(plain, FileReport::new("t".into())).made_from.is_empty());
    }

    #[test]
    fn refuses_rows_out_of_range_and_keeps_the_rest() {
        let mut out = Vec::new();
        let rows = [row(100, 3), row(101, 0), row(102, MAX_ROW_CALLS + 1), row(-5, 1), row(LAST_MINUTE + 1, 1)];
        write(rows.into_iter(), &mut out).unwrap();
        let batch = read(out, FileReport::new("t.parquet".into()));
        assert_eq!(batch.events.len(), 1);
        let lines = batch.report.describe().join("\n");
        assert!(lines.contains("skipped 2 record(s): count out of range"), "{lines}");
        assert!(lines.contains("skipped 2 record(s): minute out of range"), "{lines}");
    }

    fn cell<'a>(minute: Minute, read_only: bool, ip: &'a str) -> Cell<'a> {
        Cell {
            minute,
            account: "111122223333",
            region: "us-east-1",
            source: "iam.amazonaws.com",
            name: "ListUsers",
            category: "Management",
            read_only,
            error: None,
            principal: "arn:aws:iam::111122223333:user/a",
            agent: NULL_VALUE,
            ip,
            calls: 4,
        }
    }

    #[test]
    fn version_2_rows_are_records_and_version_1_rows_feed_one_series() {
        let mut v2 = Vec::new();
        write_cells([cell(100, true, "198.51.100.7"), cell(101, false, NULL_VALUE)].into_iter(), &[(0, 12)], &[], &mut v2).unwrap();
        let batch = read(v2, FileReport::new("v2.parquet".into()));
        assert!(batch.report.problems.is_empty(), "{:?}", batch.report.describe());
        assert_eq!(batch.day_records, vec![(0, 12)]);
        let e = &batch.events;
        assert_eq!((e.len(), e[0].feeds, e[0].read_only, e[0].calls), (2, None, true, 4));
        assert_eq!(batch.strings.resolve(e[0].ip), "198.51.100.7");
        assert_eq!(batch.strings.resolve(e[1].ip), NULL_VALUE);
        let mut v1 = Vec::new();
        write([row(100, 3)].into_iter(), &mut v1).unwrap();
        let batch = read(v1, FileReport::new("v1.parquet".into()));
        assert_eq!(batch.events[0].feeds, Some(Feeds::CallRate));
        assert!(batch.day_records.is_empty());
    }

    #[test]
    fn a_table_of_another_version_is_refused_by_name() {
        let mut frame = df!("minute" => [1i64]).unwrap();
        let mut out = Vec::new();
        let meta = KeyValueMetadata::from_static(vec![(VERSION_KEY.to_string(), "3".to_string())]);
        ParquetWriter::new(&mut out).with_key_value_metadata(Some(meta)).finish(&mut frame).unwrap();
        let batch = read(out, FileReport::new("v3.parquet".into()));
        let lines = batch.report.describe().join("\n");
        assert!(lines.contains("counts table version 3; this trailsight reads versions 1 and 2"), "{lines}");
        assert!(batch.events.is_empty());
    }
}
