//! The span of days that holds the data, and what lies far outside it.
//!
//! CloudTrail delivers records within minutes of the call, so a history is a run of
//! consecutive days. A record dated decades away (clock skew, a forged record, a
//! placeholder such as 1970-01-01 or 9999-12-31) is not part of it, and must not size
//! any structure or move any scope's warm-up: the days with data are split into runs
//! wherever more than [`MAX_GAP_DAYS`] empty days separate them, and the run holding
//! the most records is kept. Everything else is skipped and reported per file as
//! "eventTime out of range".

use super::Day;
use crate::time::{format_minute, MINUTES_PER_DAY};
use std::fmt;

/// Empty days a history may contain and still be one span: up to six, so a quiet account
/// that acts once a week, a long weekend, or logging switched off for a few days stays
/// one history, while a record a week or more away from the rest does not.
pub const MAX_GAP_DAYS: Day = 6;

/// The first and last day (inclusive) kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: Day,
    pub last: Day,
}

impl DayRange {
    pub fn contains(&self, day: Day) -> bool {
        (self.first..=self.last).contains(&day)
    }

    pub fn days(&self) -> usize {
        (self.last - self.first + 1) as usize
    }
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |d: Day| format_minute(d * MINUTES_PER_DAY)[..10].to_string();
        write!(f, "{} .. {}", day(self.first), day(self.last))
    }
}

/// The run of days with the most records, from (day, records) pairs in any order;
/// ties go to the later run. `None` when there are no records.
pub fn kept_days(days: &[(Day, u64)]) -> Option<DayRange> {
    let mut days: Vec<(Day, u64)> = days.iter().copied().filter(|&(_, n)| n > 0).collect();
    days.sort_unstable();
    let mut best: Option<(u64, DayRange)> = None;
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        let mut records = days[i].1;
        while j + 1 < days.len() && days[j + 1].0 - days[j].0 <= MAX_GAP_DAYS + 1 {
            j += 1;
            records += days[j].1;
        }
        let run = DayRange { first: days[i].0, last: days[j].0 };
        if best.is_none_or(|(n, _)| records >= n) {
            best = Some((records, run));
        }
        i = j + 1;
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_day_far_away_is_not_kept() {
        let mut days: Vec<(Day, u64)> = (20_000..20_010).map(|d| (d, 5_000)).collect();
        for stray in [0, 7_300, 19_992, 47_482, 2_932_896, -719_528] {
            days.push((stray, 1));
            assert_eq!(kept_days(&days), Some(DayRange { first: 20_000, last: 20_009 }), "{stray}");
            days.pop();
        }
    }

    #[test]
    fn short_gaps_stay_in_one_span() {
        let days = [(10, 100), (11, 100), (15, 1), (22, 100)];
        assert_eq!(kept_days(&days), Some(DayRange { first: 10, last: 22 }));
        let split = [(10, 100), (11, 100), (19, 300)];
        assert_eq!(kept_days(&split), Some(DayRange { first: 19, last: 19 }));
        assert_eq!(kept_days(&[]), None);
    }
}
