//! Whether the high-readiness accounts of the ICP win more than the
//! low-readiness ones of comparable fit: the test behind "work now the
//! high-readiness accounts".
//!
//! Readiness runs with fit (the accounts that fit show more intent), so the
//! high band also holds more accounts that fit, and would win more even if
//! its signals said nothing. The bands are therefore compared among
//! accounts of comparable fit: the accounts of both bands are put in
//! [`FIT_STRATA`] strata by fit score (quantiles, tied scores kept
//! together), each account's **expected** wins are its closed deals times
//! its stratum's win rate over both bands, and a band's **excess** is
//! `(won − expected) / closed`: how much more it wins than accounts of the
//! same fit in the other band. The strata's rates come from the deals
//! tested, not from the fit score's level: an error in the fitted fit
//! effect goes with the signals' (they are fitted together), so expected
//! wins from the model would carry the very difference being tested.
//!
//! Deals of one account are not independent: the variance of a band's
//! excess is the delete-one-account jackknife of the ratio
//! (`crate::stats::clustered`'s CR3-type estimator, with each account's
//! residual `won_g − expected_g − excess · closed_g`),
//! `V_J = (G−1)/G · Σ_g r_g² / (N − closed_g)²`. The test is one-sided
//! (high above low) at 5%: `z = (excess_high − excess_low) / √(V_high + V_low)`.

use serde::Serialize;

use crate::stats::conversion::norm_sf;

/// The one-sided level of the test.
pub const WORK_NOW_ALPHA: f64 = 0.05;

/// Strata of fit score the bands are compared within.
pub const FIT_STRATA: usize = 5;

/// One account's closed deals in the window the test reads, and its fit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AccountDeals {
    pub won: f64,
    pub closed: f64,
    /// Its fit score (any scale that orders fit).
    pub fit: f64,
}

/// An account's won and closed deals, and the wins accounts of its fit
/// would have.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AccountExcess {
    won: f64,
    closed: f64,
    expected: f64,
}

/// Each account of `high` then `low` with its expected wins: closed deals
/// times the win rate of its fit stratum over both bands.
fn expected_by_stratum(high: &[AccountDeals], low: &[AccountDeals]) -> Vec<AccountExcess> {
    let all: Vec<&AccountDeals> = high.iter().chain(low).collect();
    let mut fits: Vec<f64> = all.iter().map(|a| a.fit).collect();
    fits.sort_by(f64::total_cmp);
    let cuts: Vec<f64> = (1..FIT_STRATA)
        .map(|k| fits[k * fits.len() / FIT_STRATA])
        .collect();
    // A score's stratum: the cuts below it; tied scores share one.
    let stratum = |f: f64| cuts.iter().filter(|&&c| c < f).count();
    let mut sums = [(0.0, 0.0); FIT_STRATA];
    for a in &all {
        let s = &mut sums[stratum(a.fit)];
        s.0 += a.won;
        s.1 += a.closed;
    }
    (all.iter())
        .map(|a| {
            let (won, closed) = sums[stratum(a.fit)];
            AccountExcess {
                won: a.won,
                closed: a.closed,
                expected: a.closed * won / closed.max(1.0),
            }
        })
        .collect()
}

/// One band's wins above what its fit expects.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BandExcess {
    pub accounts: u64,
    pub closed_deals: u64,
    pub won: u64,
    /// Wins accounts of the same fit (both bands) would have had on
    /// these deals.
    pub expected_won: f64,
    /// (won − expected) / closed deals.
    pub excess: f64,
}

/// High vs low readiness in the ICP, each against its fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkNowTest {
    pub method: String,
    /// "held-out" or "training": the deals it reads.
    pub deals: String,
    pub high: BandExcess,
    pub low: BandExcess,
    /// `high.excess − low.excess`.
    pub difference: f64,
    pub standard_error: f64,
    /// One-sided (high above low).
    pub p_value: f64,
    pub alpha: f64,
    /// `p_value < alpha`: the high band wins more than its fit explains,
    /// beyond the low band.
    pub significant: bool,
}

/// A band's excess and its jackknife variance (`None` without two
/// accounts with closed deals).
fn band(accounts: &[AccountExcess]) -> Option<(BandExcess, f64)> {
    let closed: Vec<&AccountExcess> = accounts.iter().filter(|a| a.closed > 0.0).collect();
    let g = closed.len();
    if g < 2 {
        return None;
    }
    let n: f64 = closed.iter().map(|a| a.closed).sum();
    let won: f64 = closed.iter().map(|a| a.won).sum();
    let expected: f64 = closed.iter().map(|a| a.expected).sum();
    let excess = (won - expected) / n;
    let ss: f64 = (closed.iter())
        .map(|a| ((a.won - a.expected - excess * a.closed) / (n - a.closed)).powi(2))
        .sum();
    let variance = (g - 1) as f64 / g as f64 * ss;
    let figures = BandExcess {
        accounts: g as u64,
        closed_deals: n as u64,
        won: won as u64,
        expected_won: expected,
        excess,
    };
    Some((figures, variance))
}

/// The test of `high` against `low` (one entry per account of each band),
/// on the deals named `deals`. `None` when a band has fewer than two
/// accounts with closed deals, or neither varies.
pub fn work_now_test(
    high: &[AccountDeals],
    low: &[AccountDeals],
    deals: &str,
) -> Option<WorkNowTest> {
    let high: Vec<&AccountDeals> = high.iter().filter(|a| a.closed > 0.0).collect();
    let low: Vec<&AccountDeals> = low.iter().filter(|a| a.closed > 0.0).collect();
    if high.len() < 2 || low.len() < 2 {
        return None;
    }
    let (high, low): (Vec<AccountDeals>, Vec<AccountDeals>) = (
        high.into_iter().copied().collect(),
        low.into_iter().copied().collect(),
    );
    let excess = expected_by_stratum(&high, &low);
    let ((h, vh), (l, vl)) = (band(&excess[..high.len()])?, band(&excess[high.len()..])?);
    let standard_error = (vh + vl).sqrt();
    if standard_error.is_nan() || standard_error <= 0.0 {
        return None;
    }
    let difference = h.excess - l.excess;
    let p_value = norm_sf(difference / standard_error);
    Some(WorkNowTest {
        method: format!("high vs low readiness band in the ICP among accounts of comparable fit: each band's wins above those of its accounts' fit-score stratum ({FIT_STRATA} quantile strata over both bands) per closed deal; accounts as clusters (delete-one-account jackknife variance); one-sided z-test"),
        deals: deals.into(),
        high: h,
        low: l,
        difference,
        standard_error,
        p_value,
        alpha: WORK_NOW_ALPHA,
        significant: p_value < WORK_NOW_ALPHA,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand, one fit stratum (all accounts of equal fit, win
    /// rate 4/8 over both bands, so 1 expected win per account of two
    /// closed deals). High band (won, closed) (2, 2) and (1, 2): N = 4,
    /// excess (3 − 2)/4 = 0.25, residuals 1 − 0.5 = 0.5 and 0 − 0.5 = −0.5,
    /// V = ½ · (0.5²/2² + 0.5²/2²) = 0.0625. Low band (0, 2) and (1, 2):
    /// excess −0.25, the same variance. z = 0.5 / √0.125 = √2, one-sided
    /// p = 0.0786496 (scipy `norm.sf(sqrt(2))`). An account without closed
    /// deals is left out.
    #[test]
    fn the_excess_test_by_hand() {
        let a = |won, closed| AccountDeals {
            won,
            closed,
            fit: 0.3,
        };
        let t = work_now_test(
            &[a(2.0, 2.0), a(1.0, 2.0), a(0.0, 0.0)],
            &[a(0.0, 2.0), a(1.0, 2.0)],
            "held-out",
        )
        .unwrap();
        assert_eq!(t.high.accounts, 2);
        assert!((t.high.excess - 0.25).abs() < 1e-15);
        assert!((t.low.excess + 0.25).abs() < 1e-15);
        assert!((t.standard_error - 0.125f64.sqrt()).abs() < 1e-15);
        assert!((t.p_value - 0.078_649_603_525_142_51).abs() < 1e-9, "{t:?}");
        assert!(!t.significant);
        assert!(work_now_test(&[a(1.0, 2.0)], &[a(0.0, 2.0), a(1.0, 2.0)], "x").is_none());
    }

    /// Two strata: the high band is all in the better-fitting one and
    /// wins as its low-band accounts do, so it has no excess, though its
    /// raw win rate (3/4) is far above the low band's (1/4).
    #[test]
    fn accounts_are_compared_within_their_fit_stratum() {
        let a = |won, closed, fit| AccountDeals { won, closed, fit };
        let t = work_now_test(
            &[a(2.0, 2.0, 0.9), a(1.0, 2.0, 0.9)],
            &[
                a(2.0, 2.0, 0.9),
                a(1.0, 2.0, 0.9),
                a(0.0, 2.0, 0.1),
                a(0.0, 2.0, 0.1),
            ],
            "held-out",
        )
        .unwrap();
        assert_eq!((t.high.won, t.low.won), (3, 3));
        assert!(
            t.high.excess.abs() < 1e-15 && t.difference.abs() < 1e-15,
            "{t:?}"
        );
        assert!(!t.significant);
    }
}
