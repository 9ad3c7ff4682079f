//! Win rates with deals clustered in accounts: a cluster-robust variance,
//! the design effect it implies, and Wilson and Newcombe intervals on the
//! effective sample size.
//!
//! Deals of one account share its budget, people and fit, so an account with
//! twelve deals is not twelve independent trials. The win rate
//! `p = Σ won_g / Σ closed_g` over accounts `g` is a ratio estimator; its
//! linearised cluster-robust (sandwich) variance, with the usual small-sample
//! factor `G/(G−1)` for `G` accounts, is
//!
//! `V_cl = G/(G−1) · Σ_g (won_g − p·closed_g)² / N²`, `N = Σ closed_g`.
//!
//! The same estimator with every deal its own cluster is the robust binomial
//! variance `V_1 = N/(N−1) · p(1−p)/N`. With few accounts `V_cl` runs low,
//! so the design effect uses the delete-one-account jackknife (CR3-type,
//! centred at `p`): deleting account `g` moves the rate by
//! `−(won_g − p·closed_g)/(N − closed_g)`, so
//!
//! `V_J = (G−1)/G · Σ_g (won_g − p·closed_g)² / (N − closed_g)²`.
//!
//! The design effect is `deff = V_J / V_1`, floored at 1, and `N / deff` is
//! the effective number of closed deals. Intervals are Wilson's (and
//! Newcombe's for a difference) with `N / deff` in place of `N`, and with
//! few accounts the normal quantile becomes Student's t on Satterthwaite's
//! degrees of freedom `(G − 1)·deff²/(deff − 1)²`: the binomial part of the
//! variance is known, the clustering part is estimated from `G` accounts.
//! With one deal per account `G = N` and `V_J = (N−1)/N · Σ (y − p)²/(N−1)²
//! = p(1−p)/(N−1) = V_1`; the design effect is then set to exactly 1, the
//! degrees of freedom are infinite, and the intervals are the plain Wilson
//! and Newcombe intervals.
//!
//! # Remarks
//! `V_cl` is statsmodels' `GLM(y, 1, family=Binomial()).fit(cov_type="cluster",
//! cov_kwds={"groups": account})` variance of the intercept carried to the
//! rate scale by the delta method (`× (p(1−p))²`); the fixture
//! `tests/fixtures/clustered/make_clustered.py` checks it, and `V_J`
//! against a jackknife that deletes each account and recomputes the rate.
//! `V_J` rather than `V_cl` sets the design effect because `V_cl` is biased
//! low with 15–25 accounts (tests/verdict_sim.rs: Tier 1 of 25 accounts
//! covered in 95.0% of 200 simulated books with `V_J`; of 20 accounts with
//! 1–10 deals, 92.0%).
//! Deviations: the design effect is floored at 1 (an account mix that looks
//! more even than chance is not taken as extra evidence), a single account
//! with several closed deals counts as one effective deal, and a rate of 0
//! or 1 has design effect 1 (both variances are 0).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::conversion::{newcombe_from, two_sided_z, wilson_from, Interval};

/// Won and closed deals of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountCounts {
    /// Won deals.
    pub won: u64,
    /// Won plus lost deals.
    pub closed: u64,
}

/// A win rate over accounts' closed deals, with its cluster-robust variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusteredRate {
    /// Won deals.
    pub won: u64,
    /// Closed deals.
    pub closed: u64,
    /// Accounts with at least one closed deal.
    pub accounts: u64,
    /// `won / closed`.
    pub rate: f64,
    /// `V_cl`, the cluster-robust variance of `rate` (see the module docs);
    /// `None` with a single account.
    pub variance: Option<f64>,
    /// `V_J`, the delete-one-account jackknife variance of `rate`; `None`
    /// with a single account.
    pub jackknife_variance: Option<f64>,
    /// `V_J / V_1`, floored at 1; exactly 1 with one deal per account.
    pub design_effect: f64,
}

impl ClusteredRate {
    /// From per-account counts; accounts without closed deals are ignored.
    /// `None` without any closed deal or when a count has more won than
    /// closed deals.
    pub fn new(accounts: &[AccountCounts]) -> Option<Self> {
        if accounts.iter().any(|a| a.won > a.closed) {
            return None;
        }
        let closed: u64 = accounts.iter().map(|a| a.closed).sum();
        let won: u64 = accounts.iter().map(|a| a.won).sum();
        if closed == 0 {
            return None;
        }
        let g = accounts.iter().filter(|a| a.closed > 0).count() as u64;
        let n = closed as f64;
        let rate = won as f64 / n;
        let residual = |a: &AccountCounts| a.won as f64 - rate * a.closed as f64;
        let closed_accounts = || accounts.iter().filter(|a| a.closed > 0);
        let variance = (g > 1).then(|| {
            let ss: f64 = closed_accounts().map(|a| residual(a).powi(2)).sum();
            g as f64 / (g - 1) as f64 * ss / (n * n)
        });
        let jackknife_variance = (g > 1).then(|| {
            let ss: f64 = closed_accounts()
                .map(|a| (residual(a) / (n - a.closed as f64)).powi(2))
                .sum();
            (g - 1) as f64 / g as f64 * ss
        });
        let binomial = rate * (1.0 - rate) / (n - 1.0);
        let design_effect = match jackknife_variance {
            // V_J = V_1 in exact arithmetic: keep the reduction exact.
            _ if rate == 0.0 || rate == 1.0 || g == closed => 1.0,
            None => n,
            Some(v) => (v / binomial).max(1.0),
        };
        Some(ClusteredRate {
            won,
            closed,
            accounts: g,
            rate,
            variance,
            jackknife_variance,
            design_effect,
        })
    }

    /// From a summary kept without the per-account counts: `won` of
    /// `closed` deals over `accounts` accounts with a known design effect.
    /// `None` without closed deals or with more won than closed.
    pub fn from_summary(won: u64, closed: u64, accounts: u64, design_effect: f64) -> Option<Self> {
        (closed > 0 && won <= closed).then(|| ClusteredRate {
            won,
            closed,
            accounts,
            rate: won as f64 / closed as f64,
            variance: None,
            jackknife_variance: None,
            design_effect: design_effect.max(1.0),
        })
    }

    /// Closed deals divided by the design effect.
    pub fn effective_closed(&self) -> f64 {
        self.closed as f64 / self.design_effect
    }

    /// Degrees of freedom of the variance: Satterthwaite's for the binomial
    /// part (known, infinite degrees of freedom) plus the clustering part
    /// `(deff − 1)·V_1`, estimated from `G − 1` accounts:
    /// `(G − 1)·deff² / (deff − 1)²`. Infinite with design effect 1.
    pub fn degrees_of_freedom(&self) -> f64 {
        if self.design_effect <= 1.0 || self.accounts < 2 {
            return f64::INFINITY;
        }
        let d = self.design_effect;
        (self.accounts - 1) as f64 * d * d / ((d - 1.0) * (d - 1.0))
    }

    /// Two-sided quantile for tail `alpha`: Student's t on
    /// [`Self::degrees_of_freedom`], the normal one when they are infinite.
    fn quantile(&self, alpha: f64) -> f64 {
        let df = self.degrees_of_freedom();
        if !df.is_finite() || df > 1e7 {
            return super::conversion::norm_isf(alpha / 2.0);
        }
        StudentsT::new(0.0, 1.0, df).map_or(f64::INFINITY, |t| t.inverse_cdf(1.0 - alpha / 2.0))
    }

    /// Wilson score interval on the effective number of closed deals, with
    /// the Student t quantile of [`Self::degrees_of_freedom`]. With design
    /// effect 1 it is [`super::wilson_interval`] to rounding.
    pub fn wilson(&self, confidence: f64) -> Option<Interval> {
        two_sided_z(confidence)?;
        let z = self.quantile(1.0 - confidence);
        Some(wilson_from(self.rate, self.effective_closed(), z))
    }
}

/// Newcombe's hybrid score interval for `a.rate − b.rate` from the two
/// effective-size Wilson intervals of [`ClusteredRate::wilson`]. With design
/// effects of 1 it is [`super::newcombe_diff_interval`] to rounding.
pub fn clustered_diff_interval(
    a: &ClusteredRate,
    b: &ClusteredRate,
    confidence: f64,
) -> Option<Interval> {
    two_sided_z(confidence)?;
    Some(diff_interval_alpha(a, b, 1.0 - confidence))
}

fn diff_interval_alpha(a: &ClusteredRate, b: &ClusteredRate, alpha: f64) -> Interval {
    newcombe_from(
        a.rate,
        a.effective_closed(),
        a.quantile(alpha),
        b.rate,
        b.effective_closed(),
        b.quantile(alpha),
    )
}

/// Two-sided p-value of `a.rate = b.rate` that agrees with
/// [`clustered_diff_interval`]: the smallest `1 − confidence` at which the
/// interval excludes 0. So the interval at confidence `1 − α` excludes 0
/// exactly when this p-value is below `α`.
///
/// Found by bisection on `ln α` (the interval widens as `α` falls).
pub fn clustered_diff_p_value(a: &ClusteredRate, b: &ClusteredRate) -> f64 {
    let diff = a.rate - b.rate;
    if diff == 0.0 {
        return 1.0;
    }
    let excludes_zero = |ln_alpha: f64| {
        let iv = diff_interval_alpha(a, b, ln_alpha.exp());
        iv.lo > 0.0 || iv.hi < 0.0
    };
    // excludes_zero(lo) is false and excludes_zero(hi) true, if at all.
    let (mut lo, mut hi) = (-700.0_f64, 0.0_f64);
    if !excludes_zero(hi) {
        return 1.0;
    }
    if excludes_zero(lo) {
        return 0.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if excludes_zero(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The smallest difference between two win rates that a two-sided test at
/// `alpha` detects with probability `power`, for samples the size of `a`
/// and `b` with their design effects:
///
/// `(z_{1−α/2} + z_{power}) · sqrt(p̄(1−p̄) · (deff_a/N_a + deff_b/N_b))`,
///
/// with `p̄` the pooled win rate (0.5 when it is 0 or 1, the widest case).
/// Unequal sizes enter through `N_a` and `N_b`; clustering through the
/// design effects.
///
/// # Remarks
/// The normal approximation of Fleiss (1981, §3.2) for unequal groups, with
/// the null variance in both terms; `None` unless `alpha` and `power` are in
/// (0, 1).
pub fn minimum_detectable_difference(
    a: &ClusteredRate,
    b: &ClusteredRate,
    alpha: f64,
    power: f64,
) -> Option<f64> {
    let unit = |v: f64| v > 0.0 && v < 1.0;
    if !unit(alpha) || !unit(power) {
        return None;
    }
    let pooled = (a.won + b.won) as f64 / (a.closed + b.closed) as f64;
    let pq = if pooled == 0.0 || pooled == 1.0 {
        0.25
    } else {
        pooled * (1.0 - pooled)
    };
    let z = super::conversion::norm_isf(alpha / 2.0) + super::conversion::norm_isf(1.0 - power);
    Some(z * (pq * (1.0 / a.effective_closed() + 1.0 / b.effective_closed())).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::conversion::{newcombe_diff_interval, wilson_interval};
    use crate::stats::prec::fixture::{num, nums, parse, uint, uints};
    use crate::stats::prec::{close, rel_close, EXACT_EPS, REL_EPS};

    fn ones(won: u64, closed: u64) -> Vec<AccountCounts> {
        (0..closed)
            .map(|i| AccountCounts {
                won: u64::from(i < won),
                closed: 1,
            })
            .collect()
    }

    #[test]
    fn one_deal_per_account_is_the_plain_wilson_and_newcombe_interval() {
        for (w1, n1, w2, n2) in [(3, 10, 7, 12), (0, 5, 5, 5), (40, 97, 1, 30), (1, 2, 1, 3)] {
            let a = ClusteredRate::new(&ones(w1, n1)).unwrap();
            let b = ClusteredRate::new(&ones(w2, n2)).unwrap();
            assert_eq!(a.design_effect, 1.0);
            let (x, y) = (
                a.wilson(0.95).unwrap(),
                wilson_interval(w1, n1, 0.95).unwrap(),
            );
            assert!(close(x.lo, y.lo, 0.0, 1e-12) && close(x.hi, y.hi, 0.0, 1e-12));
            let x = clustered_diff_interval(&a, &b, 0.9).unwrap();
            let y = newcombe_diff_interval(w1, n1, w2, n2, 0.9).unwrap();
            assert!(close(x.lo, y.lo, 0.0, 1e-12) && close(x.hi, y.hi, 0.0, 1e-12));
        }
    }

    /// Accounts (won, closed): (2, 4), (0, 2), (3, 3), (1, 1). N = 10,
    /// p = 0.6, residuals won − 0.6·closed = −0.4, −1.2, 1.2, 0.4, squares
    /// sum to 3.2; V_cl = 4/3 · 3.2 / 100 = 0.0426667. Jackknife: N − closed
    /// = 6, 8, 7, 9, so V_J = 3/4 · (0.16/36 + 1.44/64 + 1.44/49 + 0.16/81)
    /// = 92569/2116800 = 0.0437306; V_1 = 0.6 · 0.4 / 9 = 0.0266667;
    /// deff = 1.6398987, effective N = 6.0979378.
    #[test]
    fn design_effect_matches_the_hand_computation() {
        let c = |won, closed| AccountCounts { won, closed };
        let r = ClusteredRate::new(&[c(2, 4), c(0, 2), c(3, 3), c(1, 1)]).unwrap();
        assert!(close(
            r.variance.unwrap(),
            3.2 * 4.0 / 300.0,
            0.0,
            EXACT_EPS
        ));
        let jackknife = 92_569.0 / 2_116_800.0;
        assert!(close(
            r.jackknife_variance.unwrap(),
            jackknife,
            0.0,
            EXACT_EPS
        ));
        assert!(close(
            r.design_effect,
            jackknife / (0.24 / 9.0),
            0.0,
            EXACT_EPS
        ));
        assert!(close(r.effective_closed(), 6.097_937_754_5, 0.0, 1e-9));
    }

    #[test]
    fn the_p_value_is_where_the_interval_touches_zero() {
        let c = |won, closed| AccountCounts { won, closed };
        let a = ClusteredRate::new(&[c(2, 4), c(0, 2), c(3, 3), c(1, 1), c(5, 6)]).unwrap();
        let b = ClusteredRate::new(&ones(4, 30)).unwrap();
        let p = clustered_diff_p_value(&a, &b);
        assert!(p > 0.0 && p < 1.0, "{p}");
        let just_in = clustered_diff_interval(&a, &b, 1.0 - p * (1.0 + 1e-6)).unwrap();
        let just_out = clustered_diff_interval(&a, &b, 1.0 - p * (1.0 - 1e-6)).unwrap();
        assert!(just_in.lo > 0.0, "{just_in:?}");
        assert!(just_out.lo < 0.0, "{just_out:?}");
        assert_eq!(clustered_diff_p_value(&a, &a), 1.0);
    }

    const FIXTURE: &str = include_str!("../../tests/fixtures/clustered/clustered.json");

    fn fixture_rates(v: &serde_json::Value) -> Vec<ClusteredRate> {
        v["rates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let counts: Vec<AccountCounts> = c["accounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| AccountCounts {
                        won: uint(&a[0]),
                        closed: uint(&a[1]),
                    })
                    .collect();
                ClusteredRate::new(&counts).unwrap()
            })
            .collect()
    }

    /// statsmodels GLM Binomial with cov_type="cluster": the variance of the
    /// rate, the design effect, and the Wilson and Newcombe intervals on the
    /// effective sizes.
    #[test]
    fn cluster_robust_rate_and_intervals_match_statsmodels() {
        let v = parse(FIXTURE);
        let rates = fixture_rates(&v);
        for (r, c) in rates.iter().zip(v["rates"].as_array().unwrap()) {
            assert!(rel_close(r.rate, num(&c["rate"]), REL_EPS));
            assert!(
                rel_close(r.variance.unwrap(), num(&c["variance"]), REL_EPS),
                "{r:?}"
            );
            assert!(
                rel_close(
                    r.jackknife_variance.unwrap(),
                    num(&c["jackknife_variance"]),
                    REL_EPS
                ),
                "{r:?}"
            );
            assert!(
                rel_close(r.design_effect, num(&c["design_effect"]), REL_EPS),
                "{r:?}"
            );
        }
        for c in v["intervals"].as_array().unwrap() {
            let (a, b) = (
                &rates[uint(&c["a"]) as usize],
                &rates[uint(&c["b"]) as usize],
            );
            let w = a.wilson(0.95).unwrap();
            let d = clustered_diff_interval(a, b, 0.95).unwrap();
            let (ew, ed) = (nums(&c["wilson_a"]), nums(&c["newcombe"]));
            assert!(
                rel_close(w.lo, ew[0], REL_EPS) && rel_close(w.hi, ew[1], REL_EPS),
                "{w:?}"
            );
            assert!(
                rel_close(d.lo, ed[0], REL_EPS) && rel_close(d.hi, ed[1], REL_EPS),
                "{d:?}"
            );
        }
    }

    /// One deal per account: statsmodels' `confint_proportions_2indep`
    /// (Newcombe) for 13/30 vs 9/40, unchanged by clustering.
    #[test]
    fn one_deal_per_account_matches_statsmodels_newcombe() {
        let v = parse(FIXTURE);
        let c = &v["one_deal_per_account"];
        let (a, b) = (uints(&c["a"]), uints(&c["b"]));
        let ra = ClusteredRate::new(&ones(a[0], a[1])).unwrap();
        let rb = ClusteredRate::new(&ones(b[0], b[1])).unwrap();
        let d = clustered_diff_interval(&ra, &rb, 0.95).unwrap();
        let e = nums(&c["newcombe"]);
        assert!(
            rel_close(d.lo, e[0], REL_EPS) && rel_close(d.hi, e[1], REL_EPS),
            "{d:?}"
        );
    }

    #[test]
    fn holm_matches_statsmodels_multipletests() {
        let v = parse(FIXTURE);
        for c in v["holm"].as_array().unwrap() {
            let got = crate::stats::multiple::holm(&nums(&c["p"]));
            for (g, e) in got.iter().zip(nums(&c["adjusted"])) {
                assert!(rel_close(*g, e, REL_EPS), "{got:?} vs {e}");
            }
        }
    }

    /// One account, twelve deals: one effective deal.
    #[test]
    fn a_single_account_counts_once() {
        let r = ClusteredRate::new(&[AccountCounts { won: 4, closed: 12 }]).unwrap();
        assert_eq!(r.variance, None);
        assert!(close(r.effective_closed(), 1.0, 0.0, EXACT_EPS));
    }

    /// 30/100 vs 20/100, one deal per account: pooled 0.25,
    /// (1.959964 + 0.841621) · sqrt(0.1875 · 0.02) = 0.171561.
    #[test]
    fn minimum_detectable_difference_matches_the_hand_computation() {
        let a = ClusteredRate::new(&ones(30, 100)).unwrap();
        let b = ClusteredRate::new(&ones(20, 100)).unwrap();
        let d = minimum_detectable_difference(&a, &b, 0.05, 0.8).unwrap();
        let z = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;
        assert!(
            close(d, z * (0.1875_f64 * 0.02).sqrt(), 0.0, EXACT_EPS),
            "{d}"
        );
    }
}
