//! Minute arithmetic on CloudTrail timestamps.
//!
//! Everything downstream of ingest counts in whole UTC minutes since the Unix epoch
//! ([`Minute`]); this module parses `eventTime` into that unit without allocating and
//! formats minutes back into the `YYYY-MM-DDTHH:MM:SSZ` form AWS records use.
//!
//! Accepted `eventTime` forms. CloudTrail itself writes `2023-07-10T12:11:15Z`; exports
//! (Athena, SIEMs, Logstash, CSV round trips) rewrite it, so every form whose instant is
//! unambiguous is read:
//!
//! - a date `YYYY-MM-DD` and a time `HH:MM:SS` (seconds required, `60` allowed for a
//!   leap second), separated by `T`, `t` or one space;
//! - optionally a fraction of a second, `.` and 1 to 9 digits (dropped: we count
//!   minutes);
//! - then `Z`/`z`, an offset `+HH:MM`, `-HH:MM`, `+HHMM` or `-HHMM`, or nothing. No zone
//!   means UTC: CloudTrail times are UTC, and the exporters that drop the `Z` (SQL
//!   `timestamp` columns, `2026-01-11 22:54:56.000000000`) keep UTC values.
//!
//! Anything else (a date alone, epoch numbers, zone names, day-first dates) is refused,
//! and the record is reported as having a bad `eventTime` rather than guessed at.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Whole minutes since 1970-01-01T00:00Z.
pub type Minute = i64;

pub const MINUTES_PER_DAY: Minute = 1440;
pub const MINUTES_PER_WEEK: Minute = 7 * MINUTES_PER_DAY;

/// Parses a CloudTrail `eventTime` into a minute, or `None` when it is not one of the
/// accepted forms (see the module documentation).
///
/// The form CloudTrail writes, `YYYY-MM-DDTHH:MM:SSZ`, is tried first with no more than
/// a length check and a few byte compares, as this runs once per record.
pub fn parse_event_minute(s: &str) -> Option<Minute> {
    let b = s.as_bytes();
    if b.len() == 20 && b[10] == b'T' && b[19] == b'Z' {
        return civil_minute(&b[..19]);
    }
    parse_exported(b)
}

/// The exported forms: other separators, fractions, offsets, or no zone.
fn parse_exported(b: &[u8]) -> Option<Minute> {
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let local = civil_minute(&b[..19])?;
    let zone = skip_fraction(&b[19..])?;
    Some(local - offset_minutes(zone)?)
}

/// The text after an optional `.` and 1 to 9 digits.
fn skip_fraction(b: &[u8]) -> Option<&[u8]> {
    let Some(rest) = b.strip_prefix(b".") else { return Some(b) };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=9).contains(&digits).then(|| &rest[digits..])
}

/// Minutes east of UTC of a zone suffix: empty (UTC), `Z`, `+HH:MM` or `+HHMM`.
fn offset_minutes(zone: &[u8]) -> Option<Minute> {
    let (sign, hhmm) = match zone {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match hhmm {
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then(|| sign * Minute::from(h * 60 + m))
}

/// `YYYY-MM-DD?HH:MM:SS` (19 bytes, separator already checked) as a UTC minute.
fn civil_minute(b: &[u8]) -> Option<Minute> {
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let days = i64::from(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE);
    Some(days * MINUTES_PER_DAY + i64::from(hour) * 60 + i64::from(minute))
}

/// The decimal value of a short run of ASCII digits, `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
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

/// True on Saturday and Sunday (UTC) of the day `days_since_epoch`, when most human
/// activity stops.
pub fn is_weekend_day(days_since_epoch: i64) -> bool {
    // 1970-01-01 was a Thursday: day 2 is Saturday, day 3 Sunday.
    matches!(days_since_epoch.rem_euclid(7), 2 | 3)
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
    fn reads_exported_forms_as_the_same_instant() {
        let want = parse_event_minute("2026-01-11T22:54:56Z");
        for form in [
            "2026-01-11 22:54:56.000000000",
            "2026-01-11 22:54:56",
            "2026-01-11T22:54:56.5Z",
            "2026-01-11t22:54:56z",
            "2026-01-12T00:54:56+02:00",
            "2026-01-11T20:24:56-0230",
            "2026-01-11 22:54:56.123+00:00",
        ] {
            assert_eq!(parse_event_minute(form), want, "{form}");
        }
    }

    #[test]
    fn refuses_ambiguous_or_partial_forms() {
        for bad in [
            "2026-01-11",
            "2026-01-11 22:54",
            "2026-01-11  22:54:56",
            "2026-01-11 22:54:56.",
            "2026-01-11 22:54:56.1234567890",
            "2026-01-11 22:54:56 UTC",
            "2026-01-11T22:54:56+2",
            "2026-01-11T22:54:56+24:00",
            "11/01/2026 22:54:56",
            "1768172096",
            "2026-01-11X22:54:56Z",
        ] {
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
        let day = sat.div_euclid(MINUTES_PER_DAY);
        let weekend: Vec<bool> = (day - 5..day + 2).map(is_weekend_day).collect();
        assert_eq!(weekend, [false, false, false, false, false, true, true], "Monday to Sunday");
        assert!(is_weekend_day(2) && is_weekend_day(-4) && !is_weekend_day(0), "around the epoch");
        assert_eq!(day_start(sat) + 123, sat);
        assert_eq!(parse_cli_time("2026-01-10"), Some(day_start(sat)));
    }
}
