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
//! | `event_category`       | string, optional            | `Management` (when absent) or `Data` |
//!
//! `trailsight detect --write-counts FILE` writes exactly this table, and README.md has
//! the Athena SQL that makes it. A call-rate row feeds only its call-rate series and an
//! error-rate row only its error series, so a write that failed (present in both) is not
//! counted twice. Read-only successes and source IPs are not in the table: the
//! behaviour model sees writes and errors only.
//!
//! A table is input like any other, so each row is checked the way a record is: the
//! account and region as in records, `count` from 1 to [`MAX_ROW_CALLS`], and the minute
//! within years 1970 to 9999. A row that fails is skipped with its reason, the rest of the
//! table is kept.
//!
//! The file-level key-value metadata `trailsight.sources` ([`SOURCES_KEY`]) holds a JSON
//! list of the [`source_id`](super::source_id)s of the files the table was made from, so
//! a run given the table and one of those files can tell.

use super::record::{is_account_id, is_region, Category, Event, Feeds, NULL_VALUE};
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
    pub const EVENT_CATEGORY: &str = "event_category";
}

use columns::*;

/// The names AWS gives the two management Insight types: the `insight_type` values of a
/// counts table and the `insightType` of records (`aggregate::InsightType` speaks them).
pub const CALL_RATE: &str = "ApiCallRateInsight";
pub const ERROR_RATE: &str = "ApiErrorRateInsight";

/// The key of the Parquet key-value metadata that lists the tables' source files.
pub const SOURCES_KEY: &str = "trailsight.sources";

/// Most calls one row may claim: 100 million in one minute (1.6 million per second for
/// one principal, agent and API in one account and region) is far above any AWS API's
/// rate, and keeps sums of rows well inside the engine's counters.
pub const MAX_ROW_CALLS: u32 = 100_000_000;

/// Minutes from 1970-01-01T00:00Z to 9999-12-31T23:59Z: rows outside are refused.
const LAST_MINUTE: Minute = 4_223_371_679;

/// True when the bytes are a Parquet file.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Reads a counts table into a batch of weighted events. Rows that cannot be used are
/// skipped with their reason, like bad records.
pub fn read(bytes: Vec<u8>, mut report: FileReport) -> FileBatch {
    let mut batch = FileBatch::default();
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let metadata = reader.get_metadata().map(|m| {
        let pairs = m.key_value_metadata().iter().flatten();
        sources_of(pairs.map(|kv| (kv.key.as_str(), kv.value.as_deref())))
    });
    match metadata {
        Ok(Ok(sources)) => batch.made_from = sources,
        Ok(Err(e)) => report.problems.push(FileProblem::BadCountsTable(e)),
        Err(e) => report.problems.push(FileProblem::BadCountsTable(e.to_string())),
    }
    match reader.finish() {
        Ok(frame) => {
            if let Err(e) = rows(&frame, &mut batch.strings, &mut batch.events, &mut report) {
                report.problems.push(FileProblem::BadCountsTable(e.to_string()));
            }
        }
        Err(e) => report.problems.push(FileProblem::BadCountsTable(e.to_string())),
    }
    report.records = batch.events.len();
    if batch.events.is_empty() && report.problems.is_empty() && report.skipped_records() == 0 {
        report.problems.push(FileProblem::NoRecords);
    }
    batch.report = report;
    batch
}

/// The source ids stored under [`SOURCES_KEY`]; none when the key is absent.
fn sources_of<'a>(mut pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Result<Vec<String>, String> {
    match pairs.find(|(key, _)| *key == SOURCES_KEY).and_then(|(_, value)| value) {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("{SOURCES_KEY} is not a JSON list of strings ({e})")),
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

fn rows(frame: &DataFrame, strings: &mut Interner, events: &mut Vec<Event>, report: &mut FileReport) -> PolarsResult<()> {
    let c = Columns::of(frame)?;
    for i in 0..frame.height() {
        match row(&c, i, strings) {
            Ok(event) => events.push(event),
            Err(skip) => report.skip(skip),
        }
    }
    Ok(())
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
        Column::new(EVENT_CATEGORY.into(), category),
    ])?;
    let sources = serde_json::to_string(sources).map_err(|e| polars_err!(ComputeError: "{e}"))?;
    let metadata = KeyValueMetadata::from_static(vec![(SOURCES_KEY.to_string(), sources)]);
    ParquetWriter::new(out).with_key_value_metadata(Some(metadata)).finish(&mut frame)?;
    Ok(())
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
}
