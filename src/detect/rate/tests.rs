use super::*;
use crate::time::MINUTES_PER_DAY;
use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};
use std::collections::HashMap;

const ORIGIN: Minute = 20_458 * MINUTES_PER_DAY; // 2026-01-05, a Monday
const DAYS: usize = 10;

fn timeline() -> Timeline {
    Timeline { origin: ORIGIN, days: DAYS, judge_from: ORIGIN + 7 * MINUTES_PER_DAY, judge_to: ORIGIN + DAYS as Minute * MINUTES_PER_DAY, data_end: ORIGIN + DAYS as Minute * MINUTES_PER_DAY }
}

/// Dense counts from a per-minute rate, Poisson noise with a fixed seed, plus extras.
fn series(rate: impl Fn(usize) -> f64, extra: impl Fn(usize) -> u32) -> CountsTable {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let mut counts = HashMap::new();
    for i in 0..DAYS * DAY {
        let lambda = rate(i);
        let base = if lambda > 0.0 { Poisson::new(lambda).unwrap().sample(&mut rng) as u32 } else { 0 };
        let n = base + extra(i);
        if n > 0 {
            counts.insert((0, ORIGIN + i as Minute), n);
        }
    }
    CountsTable::new(&counts, 1).unwrap()
}

fn office_hours(i: usize) -> f64 {
    let (day, m) = (i / DAY, i % DAY);
    let weekend = matches!(day % 7, 5 | 6);
    if !weekend && (8 * 60..18 * 60).contains(&m) { 3.0 } else { 0.2 }
}

fn run(table: &CountsTable) -> Vec<Episode> {
    detect_series(table, &AttributionTable::default(), 0, &timeline(), &DetectParams::default())
}

#[test]
fn ordinary_activity_is_quiet() {
    assert!(run(&series(office_hours, |_| 0)).is_empty());
}

#[test]
fn a_write_spike_is_one_episode_starting_when_it_starts() {
    let attack = 8 * DAY + 14 * 60 + 7;
    let table = series(office_hours, |i| if (attack..attack + 20).contains(&i) { 25 } else { 0 });
    let found = run(&table);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].start, ORIGIN + attack as Minute);
    assert!((found[0].end - found[0].start - 20).abs() <= 2, "{found:?}");
    assert!(found[0].score > 7.0);
}

#[test]
fn a_nightly_job_is_normal() {
    let job = |i: usize| {
        let (d, m) = (i / DAY, i % DAY);
        let start = 120 + d % 2;
        if (start..start + 6).contains(&m) { 80 } else { 0 }
    };
    assert!(run(&series(office_hours, job)).is_empty());
}

#[test]
fn a_rarely_used_api_jumping_to_forty_calls_fires_and_ten_calls_of_noise_do_not() {
    let rare = |_| 0.0005;
    let attack = 9 * DAY + 3 * 60;
    let table = series(rare, |i| if (attack..attack + 4).contains(&i) { 10 } else { 0 });
    assert_eq!(run(&table).len(), 1);
    let small = series(rare, |i| u32::from(i == attack) * 3);
    assert!(run(&small).is_empty());
}

#[test]
fn slow_growth_is_normal() {
    let growing = |i: usize| 2.0 * 1.05f64.powi((i / DAY) as i32);
    assert!(run(&series(growing, |_| 0)).is_empty());
}

/// Minute counts ~ NB(mean `mu`, dispersion `phi`), as a gamma mixture of Poissons.
fn negative_binomial(mu: f64, phi: f64, minutes: usize, seed: u64) -> Vec<u32> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let rate = rand_distr::Gamma::new(1.0 / phi, mu * phi).unwrap();
    (0..minutes)
        .map(|_| {
            let lambda: f64 = rate.sample(&mut rng);
            if lambda > 0.0 { Poisson::new(lambda).unwrap().sample(&mut rng) as u32 } else { 0 }
        })
        .collect()
}

/// Share of each window length's windows, over days 1.. of `counts`, whose tail
/// probability under the true model is below `alpha` (no volume floor).
fn flagged_share(counts: &[u32], mu: f64, phi: f64, alpha: f64) -> Vec<(usize, f64)> {
    let params = RateParams::default();
    let baseline = DayBaseline { expected: vec![mu; DAY], dispersion: phi, history_days: 1 };
    let days = counts.len() / DAY;
    params
        .windows
        .iter()
        .map(|&w| {
            let flagged: usize = (1..days)
                .map(|day| {
                    let view = DayView::new(counts, day, &baseline, &params);
                    (day * DAY..(day + 1) * DAY)
                        .filter(|&g| view.window_p(g, w, f64::NEG_INFINITY, 0.0).is_some_and(|p| p < alpha))
                        .count()
                })
                .sum();
            (w, flagged as f64 / ((days - 1) * DAY) as f64)
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// The sensitivity knob means what README says: on noise of the baseline's own model,
    /// windows fall below alpha = 1e-7 x sensitivity at most an alpha share of the time,
    /// for every window length (with room for the sampling error of overlapping windows).
    #[test]
    fn the_tail_test_flags_at_most_alpha_of_ordinary_windows(
        mu in 0.2f64..20.0,
        phi in 0.02f64..2.0,
        sensitivity in 1e4f64..1e6,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let params = DetectParams { sensitivity, ..DetectParams::default() }.check().unwrap();
        let alpha = params.alpha();
        let counts = negative_binomial(mu, phi, 8 * DAY, seed);
        for (w, share) in flagged_share(&counts, mu, phi, alpha) {
            let n = (7 * DAY) as f64;
            let slack = 4.0 * (alpha * 2.0 * w as f64 / n).sqrt();
            proptest::prop_assert!(share <= alpha + slack, "w={w}: {share} of windows below alpha={alpha}");
        }
    }
}

#[test]
fn calibration_fails_when_the_dispersion_is_ignored() {
    // The same check is not vacuous: scored as Poisson, bursty noise is "anomalous" far
    // more often than alpha.
    let counts = negative_binomial(5.0, 1.0, 8 * DAY, 11);
    let alpha = 0.01;
    let poisson = flagged_share(&counts, 5.0, 0.0, alpha);
    assert!(poisson.iter().all(|&(_, share)| share > 5.0 * alpha), "{poisson:?}");
    let fitted = flagged_share(&counts, 5.0, 1.0, alpha);
    assert!(fitted.iter().all(|&(_, share)| share <= 2.0 * alpha), "{fitted:?}");
}
