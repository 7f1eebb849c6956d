//! Fast UTC timestamp formatting for the record-rendering hot path.
//!
//! chrono's formatter is general but slow for millions of records; CloudTrail needs
//! only a few fixed layouts, produced here from epoch seconds with Howard Hinnant's
//! civil-from-days algorithm.

use serde::{Serialize, Serializer};

pub(super) const DAY: i64 = 86_400;
pub(super) const HOUR: i64 = 3_600;

pub(super) struct Parts {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

pub(super) fn parts(t: i64) -> Parts {
    let secs = t.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(t.div_euclid(DAY));
    Parts {
        year,
        month,
        day,
        hour: (secs / HOUR) as u32,
        minute: (secs % HOUR / 60) as u32,
        second: (secs % 60) as u32,
    }
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day of week of an epoch time, 0 = Monday (1970-01-01 was a Thursday).
pub(super) fn weekday(t: i64) -> u8 {
    (t.div_euclid(DAY) + 3).rem_euclid(7) as u8
}

/// `YYYY-MM-DDTHH:MM:SSZ` kept on the stack so records can borrow nothing.
#[derive(Clone, Copy)]
pub(super) struct Stamp([u8; 20]);

impl Stamp {
    pub(super) fn new(t: i64) -> Self {
        let p = parts(t);
        let mut b = *b"0000-00-00T00:00:00Z";
        digits(&mut b[0..4], p.year.clamp(0, 9999) as u32);
        digits(&mut b[5..7], p.month);
        digits(&mut b[8..10], p.day);
        digits(&mut b[11..13], p.hour);
        digits(&mut b[14..16], p.minute);
        digits(&mut b[17..19], p.second);
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
    let p = parts(t);
    format!("{:04}/{:02}/{:02}", p.year, p.month, p.day)
}

/// `YYYYMMDDTHHmmZ`, the timestamp in log file names.
pub(super) fn file_minute(t: i64) -> String {
    let p = parts(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute
    )
}

/// `YYYYMMDDTHHMMSSZ`, the timestamp in digest file names.
pub(super) fn file_second(t: i64) -> String {
    let p = parts(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

pub(super) fn floor_minute(t: i64) -> i64 {
    t - t.rem_euclid(60)
}
