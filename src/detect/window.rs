//! Sliding sums of calls over time-sorted (minute, calls) items, shared by the detectors
//! that judge a principal's own activity ([`super::iam_burst`], [`super::routine`]).

use crate::time::Minute;

/// For each item in time order, the index of the earliest item less than `window` minutes
/// before it and the calls from there to it (inclusive): the trailing window ending at
/// each item. `at` gives an item's minute and calls; items must be sorted by minute and
/// `window` must be at least 1.
pub fn trailing_sums<'a, T, F>(items: &'a [T], window: Minute, at: F) -> impl Iterator<Item = (usize, u64)> + 'a
where
    F: Fn(&T) -> (Minute, u64) + 'a,
{
    let (mut lo, mut sum) = (0, 0u64);
    items.iter().map(move |item| {
        let (end, calls) = at(item);
        sum += calls;
        // `lo` never passes the current item: its own minute is always in the window.
        while at(&items[lo]).0 <= end - window {
            sum -= at(&items[lo]).1;
            lo += 1;
        }
        (lo, sum)
    })
}

/// The most calls within any `window` consecutive minutes.
pub fn busiest<T>(items: &[T], window: Minute, at: impl Fn(&T) -> (Minute, u64)) -> u64 {
    trailing_sums(items, window, at).map(|(_, sum)| sum).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pair(c: &(Minute, u64)) -> (Minute, u64) {
        *c
    }

    #[test]
    fn the_busiest_window_slides() {
        let calls = [(0, 3), (1, 4), (5, 10), (6, 1), (20, 2)];
        assert_eq!(busiest(&calls, 2, pair), 11);
        assert_eq!(busiest(&calls, 10, pair), 18);
        assert_eq!(busiest(&calls, 1, pair), 10);
        assert_eq!(busiest(&[], 5, pair), 0);
    }

    #[test]
    fn a_window_counts_the_minutes_before_it_only() {
        let calls = [(0, 1), (1, 1), (5, 1), (20, 1), (21, 1)];
        let sums: Vec<(usize, u64)> = trailing_sums(&calls, 10, pair).collect();
        assert_eq!(sums, [(0, 1), (0, 2), (0, 3), (3, 1), (3, 2)]);
    }

    proptest! {
        #[test]
        fn trailing_sums_match_a_direct_count(
            mut calls in proptest::collection::vec((0i64..200, 0u64..50), 0..40),
            window in 1i64..30,
        ) {
            calls.sort_by_key(|c| c.0);
            for (i, (lo, sum)) in trailing_sums(&calls, window, pair).enumerate() {
                let end = calls[i].0;
                let direct: u64 = calls[..=i].iter().filter(|c| c.0 > end - window).map(|c| c.1).sum();
                prop_assert_eq!(sum, direct);
                prop_assert!(calls[lo].0 > end - window && (lo == 0 || calls[lo - 1].0 <= end - window));
            }
        }
    }
}
