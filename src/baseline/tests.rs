use super::*;

const ORIGIN: i64 = 20_458; // 2026-01-05, a Monday

fn days_of(n: usize, f: impl Fn(usize, usize) -> u32) -> Vec<u32> {
    (0..n * DAY).map(|i| f(i / DAY, i % DAY)).collect()
}

fn fit(counts: Vec<u32>, day: usize) -> DayBaseline {
    let params = BaselineParams::default();
    SeriesProfile::new(ORIGIN, counts, &params).fit_day(day, &params)
}

#[test]
fn a_daily_job_with_jitter_is_expected_at_its_time() {
    // 50 calls a minute for 5 minutes from 02:00, shifted by up to two minutes a day.
    let counts = days_of(9, |d, m| {
        let start = 120 + d % 3;
        u32::from((start..start + 5).contains(&m)) * 50
    });
    let b = fit(counts, 8);
    assert!(b.expected[121] >= 50.0, "{}", b.expected[121]);
    assert!(b.expected[600] < 1.0);
}

#[test]
fn hour_of_day_and_weekend_rhythm_are_learned() {
    // Busy office hours on weekdays only.
    let counts = days_of(14, |d, m| {
        let weekend = is_weekend_day(ORIGIN + d as i64);
        u32::from(!weekend && (9 * 60..17 * 60).contains(&m)) * 6
    });
    let monday = fit(counts.clone(), 7);
    let saturday = fit(counts, 12);
    assert!((monday.expected[10 * 60] - 6.0).abs() < 0.5);
    assert!(monday.expected[3 * 60] < 0.5);
    assert!(saturday.expected[10 * 60] < 0.5);
}

#[test]
fn slow_growth_lifts_the_expectation() {
    // Each day 5% busier than the day before.
    let counts = days_of(20, |d, m| ((10.0 * 1.05f64.powi(d as i32)) as u32) * u32::from(m % 2 == 0));
    let b = fit(counts, 19);
    let today_rate = 10.0 * 1.05f64.powi(19) / 2.0;
    assert!(b.expected[600] > 0.85 * today_rate, "{} vs {today_rate}", b.expected[600]);
}

#[test]
fn one_past_incident_does_not_become_normal() {
    let counts = days_of(10, |d, m| if d == 3 && (600..620).contains(&m) { 200 } else { u32::from(m % 10 == 0) });
    let b = fit(counts, 9);
    assert!(b.expected[605] < 5.0, "{}", b.expected[605]);
}

#[test]
fn dispersion_is_fitted_from_burstiness() {
    let steady = days_of(8, |_, _| 5);
    let bursty = days_of(8, |_, m| if m % 10 == 0 { 50 } else { 0 });
    assert!(fit(steady, 7).dispersion <= BaselineParams::default().min_dispersion);
    assert!(fit(bursty, 7).dispersion > 1.0);
}

#[test]
fn sliding_max_covers_both_sides() {
    assert_eq!(sliding_max(&[0, 0, 5, 0, 0, 0, 1], 1), vec![0, 5, 5, 5, 0, 1, 1]);
}

#[test]
fn params_are_checked() {
    assert!(BaselineParams { history_days: 0, ..Default::default() }.check().is_err());
    assert!(BaselineParams { max_growth: 0.5, ..Default::default() }.check().is_err());
    assert!(BaselineParams::default().check().is_ok());
}
