//! Minute arithmetic on CloudTrail timestamps.
//!
//! Everything downstream of ingest counts in whole UTC minutes since the Unix epoch
//! ([`Minute`]); this module parses `eventTime` into that unit without allocating and
//! formats minutes back into the `YYYY-MM-DDTHH:MM:SSZ` form AWS records use.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// Whole minutes since 1970-01-01T00:00Z.
pub type Minute = i64;

pub const MINUTES_PER_DAY: Minute = 1440;
pub const MINUTES_PER_WEEK: Minute = 7 * MINUTES_PER_DAY;

/// Parses a CloudTrail `eventTime` into a minute, or `None` when it is not a valid time.
///
/// The common `YYYY-MM-DDTHH:MM:SSZ` form is parsed by hand (this runs once per record);
/// anything else (fractional seconds, offsets) falls back to RFC 3339 parsing.
pub fn parse_event_minute(s: &str) -> Option<Minute> {
    parse_fixed(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp().div_euclid(60))
    })
}

fn parse_fixed(b: &[u8]) -> Option<Minute> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let days = i64::from(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE);
    Some(days * MINUTES_PER_DAY + i64::from(hour) * 60 + i64::from(minute))
}

/// `NaiveDate::from_ymd(1970, 1, 1).num_days_from_ce()`.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The minute as a UTC date-time.
pub fn to_datetime(m: Minute) -> DateTime<Utc> {
    DateTime::from_timestamp(m * 60, 0).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:00Z`, the form of an Insight record's `eventTime`.
pub fn format_minute(m: Minute) -> String {
    to_datetime(m).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The first minute of the UTC day holding `m`.
pub fn day_start(m: Minute) -> Minute {
    m.div_euclid(MINUTES_PER_DAY) * MINUTES_PER_DAY
}

/// Minute of the UTC day, 0..1440.
pub fn minute_of_day(m: Minute) -> usize {
    m.rem_euclid(MINUTES_PER_DAY) as usize
}

/// True on Saturday and Sunday (UTC), when most human activity stops.
pub fn is_weekend(m: Minute) -> bool {
    let wd = to_datetime(m).weekday().num_days_from_monday();
    wd >= 5
}

/// Hour of the UTC day, 0..24.
pub fn hour_of_day(m: Minute) -> usize {
    to_datetime(m).hour() as usize
}

/// Parses a command-line time: `YYYY-MM-DD` or an RFC 3339 date-time.
pub fn parse_cli_time(s: &str) -> Option<Minute> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let days = i64::from(d.num_days_from_ce() - EPOCH_DAYS_FROM_CE);
        return Some(days * MINUTES_PER_DAY);
    }
    parse_event_minute(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloudtrail_times_to_minutes() {
        let m = parse_event_minute("2023-07-10T12:11:15Z").unwrap();
        assert_eq!(format_minute(m), "2023-07-10T12:11:00Z");
        assert_eq!(parse_event_minute("1970-01-01T00:01:59Z"), Some(1));
    }

    #[test]
    fn rejects_impossible_times() {
        for bad in ["2026-13-45T99:00:00Z", "", "yesterday", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z"] {
            assert_eq!(parse_event_minute(bad), None, "{bad}");
        }
    }

    #[test]
    fn falls_back_to_rfc3339_forms() {
        assert_eq!(
            parse_event_minute("2023-07-10T12:11:15.123Z"),
            parse_event_minute("2023-07-10T12:11:15Z")
        );
        assert_eq!(
            parse_event_minute("2023-07-10T14:11:15+02:00"),
            parse_event_minute("2023-07-10T12:11:15Z")
        );
    }

    #[test]
    fn calendar_helpers() {
        let sat = parse_event_minute("2026-01-10T02:03:00Z").unwrap();
        assert!(is_weekend(sat));
        assert!(!is_weekend(sat - 2 * MINUTES_PER_DAY));
        assert_eq!(minute_of_day(sat), 123);
        assert_eq!(hour_of_day(sat), 2);
        assert_eq!(day_start(sat) + 123, sat);
        assert_eq!(parse_cli_time("2026-01-10"), Some(day_start(sat)));
    }
}
