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
                }),
            }
        }
    }
    out
}
