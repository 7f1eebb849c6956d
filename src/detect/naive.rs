//! The naive comparison detector: a minute is anomalous when its count exceeds the mean
//! plus three standard deviations of the same series' per-minute counts over the seven
//! days before. It is what a first attempt looks like, kept so the accuracy benchmark
//! can show what the seasonal model buys; `detect` never uses it by default.

use super::episode::{Detector, Episode};
use super::Timeline;
use crate::aggregate::SeriesId;
use crate::frame::CountsTable;
use crate::time::{Minute, MINUTES_PER_DAY};

const DAY: usize = MINUTES_PER_DAY as usize;
const HISTORY_DAYS: usize = 7;

/// Episodes of one series: runs of minutes above mean + 3 sigma of the last 7 days.
pub fn detect_series(table: &CountsTable, s: SeriesId, timeline: &Timeline) -> Vec<Episode> {
    let counts = table.dense(s, timeline.origin, timeline.minutes());
    let mut out: Vec<Episode> = Vec::new();
    for day in timeline.judged_days() {
        let history = &counts[day.saturating_sub(HISTORY_DAYS) * DAY..day * DAY];
        let n = history.len().max(1) as f64;
        let mean = history.iter().map(|&c| f64::from(c)).sum::<f64>() / n;
        let var = history.iter().map(|&c| (f64::from(c) - mean).powi(2)).sum::<f64>() / n;
        let threshold = mean + 3.0 * var.sqrt();
        for g in day * DAY..(day + 1) * DAY {
            let minute = timeline.origin + g as Minute;
            let c = f64::from(counts[g]);
            if c <= threshold || !timeline.is_judged(minute) {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.end == minute => {
                    last.end += 1;
                    last.trigger_end = last.end;
                    last.observed += c;
                    last.expected += mean;
                }
                _ => out.push(Episode {
                    series: s,
                    start: minute,
                    end: minute + 1,
                    detector: Detector::Naive,
                    score: 0.0,
                    observed: c,
                    expected: mean,
                    window: 1,
                    trigger_end: minute + 1,
                    reason: None,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const DAYS: usize = 9;

    fn timeline() -> Timeline {
        let end = DAYS as Minute * MINUTES_PER_DAY;
        Timeline { origin: 0, days: DAYS, judge_from: 7 * MINUTES_PER_DAY, judge_to: end, data_end: end }
    }

    fn table(count: impl Fn(usize) -> u32) -> CountsTable {
        let counts: HashMap<(SeriesId, Minute), u32> =
            (0..DAYS * DAY).filter(|&i| count(i) > 0).map(|i| ((0, i as Minute), count(i))).collect();
        CountsTable::new(&counts, 1).unwrap()
    }

    #[test]
    fn a_steady_series_is_quiet() {
        assert!(detect_series(&table(|_| 2), 0, &timeline()).is_empty());
    }

    #[test]
    fn each_run_of_minutes_above_three_sigma_is_one_episode() {
        let spike = |i: usize| (7 * DAY + 600..7 * DAY + 603).contains(&i) || i == 8 * DAY + 5;
        let found = detect_series(&table(|i| if spike(i) { 10 } else { 2 }), 0, &timeline());
        assert_eq!(found.len(), 2, "{found:?}");
        let first = &found[0];
        assert_eq!((first.start, first.end, first.trigger_end), (7 * 1440 + 600, 7 * 1440 + 603, 7 * 1440 + 603));
        assert_eq!((first.observed, first.expected, first.detector), (30.0, 6.0, Detector::Naive));
        assert_eq!((found[1].start, found[1].minutes()), (8 * 1440 + 5, 1));
    }

    #[test]
    fn minutes_before_the_judged_days_are_history_only() {
        let found = detect_series(&table(|i| if i == 3 * DAY + 100 { 50 } else { 1 }), 0, &timeline());
        assert!(found.is_empty(), "{found:?}");
    }
}
