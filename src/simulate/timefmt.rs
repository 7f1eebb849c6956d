//! UTC timestamps of the simulated history, from epoch seconds, in the few fixed layouts
//! CloudTrail uses.
//!
//! The calendar is chrono's. Record timestamps (millions per history) are written digit
//! by digit into a stack buffer instead of through chrono's general formatter, which
//! parses its format string on every call; file and folder names, a few per delivery,
//! go through `format`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

pub(super) const DAY: i64 = 86_400;
pub(super) const HOUR: i64 = 3_600;

/// The UTC time `t` seconds after the epoch (the epoch itself when out of chrono's
/// range, which no simulated time is).
fn utc(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// Day of week of an epoch time, 0 = Monday.
pub(super) fn weekday(t: i64) -> u8 {
    utc(t).weekday().num_days_from_monday() as u8
}

/// `YYYY-MM-DDTHH:MM:SSZ` kept on the stack so records can borrow nothing.
#[derive(Clone, Copy)]
pub(super) struct Stamp([u8; 20]);

impl Stamp {
    pub(super) fn new(t: i64) -> Self {
        let d = utc(t);
        let mut b = *b"0000-00-00T00:00:00Z";
        digits(&mut b[0..4], d.year().clamp(0, 9999) as u32);
        digits(&mut b[5..7], d.month());
        digits(&mut b[8..10], d.day());
        digits(&mut b[11..13], d.hour());
        digits(&mut b[14..16], d.minute());
        digits(&mut b[17..19], d.second());
        Self(b)
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

fn digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

pub(super) fn iso(t: i64) -> String {
    Stamp::new(t).as_str().to_owned()
}

/// `YYYY/MM/DD`, the date folder of the S3 layout.
pub(super) fn date_dir(t: i64) -> String {
    utc(t).format("%Y/%m/%d").to_string()
}

/// `YYYYMMDDTHHmmZ`, the timestamp in log file names.
pub(super) fn file_minute(t: i64) -> String {
    utc(t).format("%Y%m%dT%H%MZ").to_string()
}

/// `YYYYMMDDTHHMMSSZ`, the timestamp in digest file names.
pub(super) fn file_second(t: i64) -> String {
    utc(t).format("%Y%m%dT%H%M%SZ").to_string()
}

pub(super) fn floor_minute(t: i64) -> i64 {
    t - t.rem_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_of_one_time() {
        // 2026-01-05 (a Monday) 07:08:09 UTC.
        let t = 1_767_596_889;
        assert_eq!(iso(t), "2026-01-05T07:08:09Z");
        assert_eq!(date_dir(t), "2026/01/05");
        assert_eq!(file_minute(t), "20260105T0708Z");
        assert_eq!(file_second(t), "20260105T070809Z");
        assert_eq!(weekday(t), 0);
        assert_eq!(weekday(t + 6 * DAY), 6);
        assert_eq!(floor_minute(t), t - 9);
    }
}
