//! Episodes: contiguous anomalous stretches of one series, and how they are merged.

use crate::aggregate::SeriesId;
use crate::time::Minute;

/// Which model found an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    /// The series' own call or error rate against its seasonal baseline.
    Rate,
    /// A burst of IAM writes by one principal, across IAM APIs.
    IamBurst,
    /// A principal's five minutes far from every k-means cluster of the history.
    Behaviour,
    /// A steady series gone silent: activity far below its baseline.
    Drop,
    /// Three sigma over the last seven days: the benchmark's point of comparison.
    Naive,
    /// A principal's first IAM writes, unusual for it and for its account.
    FirstSeenIam,
}

impl Detector {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rate => "seasonal-negative-binomial",
            Self::IamBurst => "iam-burst",
            Self::Behaviour => "principal-kmeans",
            Self::Drop => "seasonal-negative-binomial-drop",
            Self::Naive => "naive-3-sigma",
            Self::FirstSeenIam => "first-seen-iam",
        }
    }
}

/// An anomalous stretch `[start, end)` of one series, with the evidence behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub series: SeriesId,
    pub start: Minute,
    pub end: Minute,
    pub detector: Detector,
    /// `-log10` of the smallest tail probability seen in the episode.
    pub score: f64,
    /// Calls observed and expected by the baseline over the episode.
    pub observed: f64,
    pub expected: f64,
    /// Length in minutes of the window whose score triggered the episode.
    pub window: usize,
    /// End (exclusive) of that triggering window.
    pub trigger_end: Minute,
    /// The model's own account of why, where it has more to say than its score (the
    /// first-seen IAM model), for `--explain`.
    pub reason: Option<String>,
}

impl Episode {
    pub fn minutes(&self) -> Minute {
        self.end - self.start
    }

    /// True for activity below the baseline, false for activity above it.
    pub fn is_drop(&self) -> bool {
        self.detector == Detector::Drop
    }
}

/// Unions episodes of the same series and direction (rise or drop) that overlap or
/// touch, keeping the strongest evidence; the result is sorted by (series, direction,
/// start) and episodes of one direction never overlap.
pub fn merge(mut episodes: Vec<Episode>) -> Vec<Episode> {
    episodes.sort_by(|a, b| (a.series, a.is_drop(), a.start, a.end).cmp(&(b.series, b.is_drop(), b.start, b.end)));
    let mut out: Vec<Episode> = Vec::with_capacity(episodes.len());
    for e in episodes {
        match out.last_mut() {
            Some(last) if last.series == e.series && last.is_drop() == e.is_drop() && e.start <= last.end => absorb(last, e),
            _ => out.push(e),
        }
    }
    out
}

fn absorb(into: &mut Episode, other: Episode) {
    let overlap_free = other.start >= into.end;
    into.end = into.end.max(other.end);
    if overlap_free {
        into.observed += other.observed;
        into.expected += other.expected;
    } else {
        into.observed = into.observed.max(other.observed);
        into.expected = into.expected.max(other.expected);
    }
    if other.score > into.score {
        into.score = other.score;
        into.detector = other.detector;
        into.window = other.window;
        into.trigger_end = other.trigger_end;
        into.reason = other.reason;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ep(series: SeriesId, start: Minute, end: Minute, score: f64) -> Episode {
        Episode { series, start, end, detector: Detector::Rate, score, observed: 1.0, expected: 0.0, window: 5, trigger_end: end, reason: None }
    }

    #[test]
    fn overlapping_episodes_of_a_series_become_one() {
        let mut iam = ep(0, 12, 20, 9.0);
        iam.detector = Detector::IamBurst;
        let merged = merge(vec![ep(0, 10, 15, 3.0), iam, ep(1, 10, 15, 1.0), ep(0, 30, 31, 2.0)]);
        assert_eq!(merged.len(), 3);
        assert_eq!((merged[0].start, merged[0].end, merged[0].detector), (10, 20, Detector::IamBurst));
        assert_eq!(merged[1].start, 30);
        assert_eq!(merged[2].series, 1);
    }

    proptest! {
        #[test]
        fn merged_episodes_never_overlap(spans in proptest::collection::vec((0u32..3, 0i64..500, 1i64..30), 0..60)) {
            let input: Vec<Episode> = spans.iter().map(|&(s, a, len)| ep(s, a, a + len, 1.0)).collect();
            let merged = merge(input.clone());
            for pair in merged.windows(2) {
                prop_assert!(pair[0].series < pair[1].series || pair[0].end < pair[1].start);
            }
            // Every input minute is still covered.
            for e in &input {
                prop_assert!(merged.iter().any(|m| m.series == e.series && m.start <= e.start && e.end <= m.end));
            }
        }
    }
}
