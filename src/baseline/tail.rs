//! Tail probabilities of counts under the baseline's count model.
//!
//! Counts are negative binomial with mean `mu` and dispersion `phi` (variance
//! `mu + phi * mu^2`); `phi == 0` is Poisson. A sum of `w` independent minutes with a
//! common dispersion is again negative binomial with `phi / w`, which is how windows of
//! several minutes are scored.

use statrs::function::beta::beta_reg;
use statrs::function::gamma::gamma_lr;

/// Smallest probability reported, so that scores stay finite.
pub const MIN_P: f64 = 1e-300;

/// P(X >= k) for X ~ NB(mean `mu`, dispersion `phi`).
pub fn upper_tail(k: f64, mu: f64, phi: f64) -> f64 {
    if k <= 0.0 {
        return 1.0;
    }
    let mu = mu.max(1e-9);
    let p = if phi <= 1e-9 {
        // Poisson: P(X >= k) = P(k, mu), the regularised lower incomplete gamma.
        gamma_lr(k, mu)
    } else {
        // NB with size r = 1/phi: P(X >= k) = I_{mu/(r+mu)}(k, r).
        let r = 1.0 / phi;
        beta_reg(k, r, mu / (r + mu))
    };
    p.clamp(MIN_P, 1.0)
}

/// `-log10(p)`: the score reported with every finding.
pub fn score(p: f64) -> f64 {
    -p.max(MIN_P).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_closed_form() {
        // P(X >= 1) = 1 - e^-mu
        let mu: f64 = 0.7;
        assert!((upper_tail(1.0, mu, 0.0) - (1.0 - (-mu).exp())).abs() < 1e-12);
        // P(X >= 2) = 1 - e^-mu (1 + mu)
        assert!((upper_tail(2.0, mu, 0.0) - (1.0 - (-mu).exp() * (1.0 + mu))).abs() < 1e-12);
    }

    #[test]
    fn negative_binomial_tail_matches_closed_form() {
        // phi = 1 is geometric with p = 1/(1+mu): P(X >= k) = (mu/(1+mu))^k.
        let mu: f64 = 3.0;
        for k in 1..6 {
            let exact = (mu / (1.0 + mu)).powi(k);
            assert!((upper_tail(f64::from(k), mu, 1.0) - exact).abs() < 1e-10, "k={k}");
        }
    }

    #[test]
    fn overdispersion_makes_spikes_less_surprising() {
        let poisson = upper_tail(30.0, 5.0, 0.0);
        let bursty = upper_tail(30.0, 5.0, 0.5);
        assert!(bursty > poisson * 1e3);
    }

    #[test]
    fn a_jump_from_nothing_is_extreme_and_zero_is_never_surprising() {
        assert!(score(upper_tail(40.0, 0.001, 1.0)) > 20.0);
        assert_eq!(upper_tail(0.0, 10.0, 1.0), 1.0);
    }
}
