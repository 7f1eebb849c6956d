//! Which data may move the watermark of a run with a state (issue 21, SPEC §8).
//!
//! The watermark is the newest minute of data minus the delivery lag: minutes before it
//! are judged for good. One record dated days ahead (a skewed clock, a forged file) must
//! not carry it along, or every insight of the days it skips would be suppressed. So the
//! watermark follows the bulk of each scope's (account x region) data, as batch runs
//! keep the span holding most records ("eventTime out of range"):
//!
//! - a minute after the run's wall clock never counts;
//! - nor does a scope's newest data when it lies more than [`FAR_AHEAD`] after the rest
//!   of the scope's data and is little next to it (at most [`STRAY_MAX`] calls, or under
//!   a tenth of the scope's calls in the day before the gap), repeatedly, so several
//!   strays at different distances are all set aside.
//!
//! What is set aside is still counted and judged, once the watermark reaches it; the
//! summary names it.

use crate::aggregate::Aggregates;
use crate::intern::Sym;
use crate::time::{Minute, MINUTES_PER_DAY};
use std::collections::BTreeMap;

/// A gap after which a scope's newest data is "far ahead" of the rest (half a day: an
/// hour's skew is ordinary, a day's is not).
pub const FAR_AHEAD: Minute = 12 * 60;
/// Calls after such a gap that are never enough to move the watermark.
pub const STRAY_MAX: u64 = 3;

/// Data of one scope that did not move the watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ahead {
    pub account: String,
    pub region: String,
    /// Calls dated after the run's wall clock.
    pub after_clock: u64,
    /// Calls far ahead of the rest of the scope's data (before the wall clock).
    pub far_ahead: u64,
    /// The newest minute set aside.
    pub newest: Minute,
    /// The newest minute of the scope that counts (`None`: none does).
    pub counted_to: Option<Minute>,
}

/// The newest minute of data that may move the watermark (the latest over scopes), and
/// what was set aside, per scope. `now` is the run's wall clock (`None`: not checked).
pub fn bulk_newest(agg: &Aggregates, now: Option<Minute>) -> (Option<Minute>, Vec<Ahead>) {
    let mut scopes: BTreeMap<(Sym, Sym), BTreeMap<Minute, u64>> = BTreeMap::new();
    for (&(series, minute), &calls) in &agg.counts {
        let Some(key) = agg.series.get(series as usize) else { continue };
        *scopes.entry((key.account, key.region)).or_default().entry(minute).or_default() += u64::from(calls);
    }
    let mut newest: Option<Minute> = None;
    let mut ahead = Vec::new();
    for ((account, region), minutes) in scopes {
        let minutes: Vec<(Minute, u64)> = minutes.into_iter().collect();
        let end = counted_end(&minutes, now);
        if let Some(&(m, _)) = end.checked_sub(1).and_then(|i| minutes.get(i)) {
            newest = Some(newest.map_or(m, |n| n.max(m)));
        }
        if end == minutes.len() {
            continue;
        }
        let set_aside = &minutes[end..];
        let after_clock: u64 = set_aside.iter().filter(|(m, _)| now.is_some_and(|n| *m > n)).map(|(_, c)| c).sum();
        let all: u64 = set_aside.iter().map(|(_, c)| c).sum();
        ahead.push(Ahead {
            account: agg.strings.resolve(account).to_string(),
            region: agg.strings.resolve(region).to_string(),
            after_clock,
            far_ahead: all - after_clock,
            newest: set_aside.last().map_or(0, |(m, _)| *m),
            counted_to: end.checked_sub(1).map(|i| minutes[i].0),
        });
    }
    (newest, ahead)
}

/// How many of a scope's minutes (sorted, with their calls) count towards the
/// watermark: a prefix, the rest being after the wall clock or stray.
fn counted_end(minutes: &[(Minute, u64)], now: Option<Minute>) -> usize {
    let mut end = minutes.partition_point(|(m, _)| now.is_none_or(|n| *m <= n));
    loop {
        // The last gap of more than FAR_AHEAD before `end`: what follows it is the tail.
        let Some(tail) = (1..end).rev().find(|&i| minutes[i].0 - minutes[i - 1].0 > FAR_AHEAD) else {
            return end;
        };
        let tail_calls: u64 = minutes[tail..end].iter().map(|(_, c)| c).sum();
        let gap_at = minutes[tail - 1].0;
        let day_before: u64 = minutes[..tail].iter().rev().take_while(|(m, _)| *m > gap_at - MINUTES_PER_DAY).map(|(_, c)| c).sum();
        if tail_calls > STRAY_MAX && tail_calls * 10 >= day_before {
            return end;
        }
        end = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A busy scope: 20 calls a minute for two days.
    fn busy() -> Vec<(Minute, u64)> {
        (0..2 * MINUTES_PER_DAY).map(|m| (m, 20)).collect()
    }

    #[test]
    fn one_call_days_ahead_is_set_aside_and_an_hour_ahead_is_not() {
        let last = 2 * MINUTES_PER_DAY - 1;
        for (ahead, counted) in [(1, true), (60, true), (MINUTES_PER_DAY, false), (3 * MINUTES_PER_DAY, false), (6 * MINUTES_PER_DAY, false)] {
            let mut m = busy();
            m.push((last + ahead, 1));
            let end = counted_end(&m, None);
            assert_eq!(end == m.len(), counted, "{ahead} minutes ahead");
        }
    }

    #[test]
    fn several_strays_are_all_set_aside_and_a_resumed_scope_is_not() {
        let last = 2 * MINUTES_PER_DAY - 1;
        let mut m = busy();
        m.push((last + MINUTES_PER_DAY, 2));
        m.push((last + 3 * MINUTES_PER_DAY, 1));
        assert_eq!(counted_end(&m, None), busy().len());
        // A scope that stops for a weekend and resumes at its usual volume counts.
        let mut resumed = busy();
        resumed.extend((0..600).map(|i| (last + 2 * MINUTES_PER_DAY + i, 20)));
        assert_eq!(counted_end(&resumed, None), resumed.len());
    }

    #[test]
    fn a_minute_after_the_wall_clock_never_counts() {
        let m = busy();
        assert_eq!(counted_end(&m, Some(100)), 101);
        assert_eq!(counted_end(&m, Some(-1)), 0);
    }
}
