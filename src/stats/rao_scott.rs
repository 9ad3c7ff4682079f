//! Tests of association with deals clustered in accounts: a deal-level
//! chi-square statistic divided by its design effect (Rao & Scott's first
//! order correction), referred to an F distribution on the accounts.
//!
//! A chi-square of independence between an attribute and winning, a
//! point-biserial correlation and a log-rank test are score tests: each is
//! `U² / I`, with `U = Σ_i s_i` a sum of per-deal scores under the null and
//! `I` its variance with deals independent. Deals of one account move
//! together, so `Var U` is the cluster-robust `C = Σ_g (Σ_{i∈g} s_i)²`
//! (the generalised estimating equations' robust score variance: statsmodels
//! `GEE(..., cov_struct=Independence())` with a constraint reports
//! `U² / C` as its score test). Dividing the plain statistic by the design
//! effect `d = C / D`, with `D = Σ_i s_i²` the same sum with every deal its
//! own account, keeps the plain statistic's small-sample form and is
//! `U² / C` to first order (under the null `D ≈ I`). With `k` degrees of
//! freedom `C` and `D` are `k × k` and `d` is the mean eigenvalue of
//! `D⁻¹C`, `tr(D⁻¹C) / k` (Rao & Scott 1981, 1984).
//!
//! The corrected statistic over `k` is referred to `F(k, k·ν)` with `ν` the
//! accounts less one (the design degrees of freedom of survey practice, R
//! `survey::svychisq(statistic = "F")`): the variance is estimated from the
//! accounts, not the deals.
//!
//! # Remarks
//! With one deal per account `C = D` and `d` is set to exactly 1: the
//! statistic and its chi-square p-value are the plain ones, unchanged. The
//! design effect is floored at 1, as for win rates
//! ([`super::clustered`]): accounts that look more alike than chance are
//! not taken as extra evidence.

use statrs::function::beta::beta_reg;

use super::conversion::chi2_sf;

/// The pieces of a score test with deals clustered in accounts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClusteredScore {
    /// `U`, the sum of the deals' scores.
    pub score: f64,
    /// `C = Σ_g (Σ_{i∈g} s_i)²`.
    pub clustered: f64,
    /// `D = Σ_i s_i²`.
    pub independent: f64,
    /// Accounts (clusters) with a deal in the test.
    pub accounts: u64,
    /// Whether some account holds two or more of the test's deals.
    pub clustering: bool,
}

impl ClusteredScore {
    /// Adds one account whose deals have scores summing to `sum` and whose
    /// squared scores sum to `squares`, over `deals` deals.
    pub fn add_account(&mut self, sum: f64, squares: f64, deals: u64) {
        if deals == 0 {
            return;
        }
        self.score += sum;
        self.clustered += sum * sum;
        self.independent += squares;
        self.accounts += 1;
        self.clustering |= deals > 1;
    }

    /// `C / D`, floored at 1; exactly 1 without clustering.
    pub fn design_effect(&self) -> f64 {
        design_effect(self.clustered, self.independent, self.clustering)
    }
}

/// `clustered / independent`, floored at 1; exactly 1 when no account holds
/// two deals or the denominator is not positive.
pub fn design_effect(clustered: f64, independent: f64, clustering: bool) -> f64 {
    if !clustering || independent.is_nan() || independent <= 0.0 {
        1.0
    } else {
        (clustered / independent).max(1.0)
    }
}

/// `tr(D⁻¹C) / k` for `k × k` matrices `clustered` (C) and `independent`
/// (D), floored at 1; exactly 1 without clustering. `None` when `D` is
/// singular or the shapes differ.
pub fn mean_design_effect(
    clustered: &[Vec<f64>],
    independent: &[Vec<f64>],
    clustering: bool,
) -> Option<f64> {
    let k = independent.len();
    if k == 0 || clustered.len() != k {
        return None;
    }
    let x = solve(independent, clustered)?;
    if !clustering {
        return Some(1.0);
    }
    let trace: f64 = (0..k).map(|i| x[i][i]).sum();
    Some((trace / k as f64).max(1.0))
}

/// `A⁻¹B` by Gaussian elimination with partial pivoting, for a `k × k`
/// matrix `A` and a `k × m` matrix `B` (a vector is `k × 1`); `None` when
/// `A` is singular (a pivot below `1e-12` of the largest diagonal entry) or
/// the shapes differ.
pub fn solve(a: &[Vec<f64>], b: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let m = b.first().map_or(0, Vec::len);
    if a.iter().any(|r| r.len() != k) || b.len() != k || b.iter().any(|r| r.len() != m) {
        return None;
    }
    let scale = (0..k).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|i| a[i].iter().chain(&b[i]).copied().collect())
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        let size = m[pivot][col].abs();
        if size.is_nan() || size <= 1e-12 * scale {
            return None;
        }
        m.swap(col, pivot);
        let p = m[col][col];
        for v in m[col].iter_mut() {
            *v /= p;
        }
        let row = m[col].clone();
        for (i, r) in m.iter_mut().enumerate() {
            if i != col && r[col] != 0.0 {
                let f = r[col];
                for (v, &w) in r.iter_mut().zip(&row) {
                    *v -= f * w;
                }
            }
        }
    }
    Some(m.into_iter().map(|r| r[k..].to_vec()).collect())
}

/// Denominator degrees of freedom above which the F tail is its limit, the
/// chi-square tail of `d1·f` on `d1`: there they differ by under 1e-6 of
/// the tail, while the incomplete beta's log-gamma terms of `d2/2` lose
/// that much precision at 1e9.
const F_AS_CHI2_DF: f64 = 1e7;

/// Upper tail of the F distribution with `d1` and `d2` degrees of freedom:
/// `I_{d2/(d2 + d1·f)}(d2/2, d1/2)`. Mirrors scipy `f.sf`.
pub fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    if d2 > F_AS_CHI2_DF {
        return chi2_sf(d1 * f, d1);
    }
    beta_reg(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
}

/// The p-value of a chi-square `statistic` on `df` degrees of freedom with
/// its design effect: `P(F(df, df·(accounts − 1)) > statistic / (df·d))`,
/// or, without clustering (`d` exactly 1 from one deal per account), the
/// plain `P(χ²_df > statistic)`.
pub fn corrected_p(statistic: f64, df: u64, design_effect: f64, accounts: Option<u64>) -> f64 {
    let k = df as f64;
    match accounts {
        Some(g) if g >= 2 => f_sf(statistic / (k * design_effect), k, k * (g - 1) as f64),
        _ => chi2_sf(statistic / design_effect, k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{rel_close, EXACT_EPS};

    /// scipy 1.17.1 `f.sf(3.2, 1, 9)` and `f.sf(2.5, 3, 40)`; F(1, ν) tends
    /// to χ²₁ as ν grows.
    #[test]
    fn the_f_tail_matches_scipy() {
        assert!(
            rel_close(f_sf(3.2, 1.0, 9.0), 0.107_265_109_073_165_05, 1e-9),
            "{}",
            f_sf(3.2, 1.0, 9.0)
        );
        assert!(
            rel_close(f_sf(2.5, 3.0, 40.0), 0.073_254_352_017_949_83, 1e-9),
            "{}",
            f_sf(2.5, 3.0, 40.0)
        );
        // scipy f.sf(4, 1, 1e6) and f.sf(4, 1, 1e9), on either side of
        // the chi-square limit.
        assert!(
            rel_close(f_sf(4.0, 1.0, 1e6), 0.045_500_533_851_319_24, 1e-9),
            "{}",
            f_sf(4.0, 1.0, 1e6)
        );
        assert!(rel_close(
            f_sf(4.0, 1.0, 1e9),
            0.045_500_264_166_313_246,
            1e-6
        ));
        assert_eq!(f_sf(0.0, 2.0, 5.0), 1.0);
    }

    /// A·X = B for a 3 × 3 system worked by hand: A = [[2, 1, 0], [1, 3, 1],
    /// [0, 1, 4]], B = A·[[1, 0, 0], [0, 2, 0], [0, 0, 3]].
    #[test]
    fn solve_recovers_a_known_product() {
        let a = vec![
            vec![2.0, 1.0, 0.0],
            vec![1.0, 3.0, 1.0],
            vec![0.0, 1.0, 4.0],
        ];
        let b = vec![
            vec![2.0, 2.0, 0.0],
            vec![1.0, 6.0, 3.0],
            vec![0.0, 2.0, 12.0],
        ];
        let x = solve(&a, &b).unwrap();
        for (i, row) in x.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let want = if i == j { (i + 1) as f64 } else { 0.0 };
                assert!((v - want).abs() < 1e-12, "{x:?}");
            }
        }
        // A vector: A·x = A·(1, 2, 3)ᵀ = (4, 10, 14)ᵀ.
        let x = solve(&a, &[vec![4.0], vec![10.0], vec![14.0]]).unwrap();
        for (i, row) in x.iter().enumerate() {
            assert!(rel_close(row[0], (i + 1) as f64, EXACT_EPS), "{x:?}");
        }
        assert_eq!(
            solve(
                &[vec![1.0, 2.0], vec![2.0, 4.0]],
                &[vec![1.0, 0.0], vec![0.0, 1.0]]
            ),
            None
        );
        // The mean design effect of C = 2D is 2, of C = D without clustering 1.
        let c: Vec<Vec<f64>> = a
            .iter()
            .map(|r| r.iter().map(|v| 2.0 * v).collect())
            .collect();
        assert!(rel_close(
            mean_design_effect(&c, &a, true).unwrap(),
            2.0,
            EXACT_EPS
        ));
        assert_eq!(mean_design_effect(&a, &a, false), Some(1.0));
    }

    /// Without clustering the plain chi-square p; with a design effect of
    /// 2 over 10 accounts, F(1, 9) at half the statistic.
    #[test]
    fn the_corrected_p_divides_by_the_design_effect() {
        assert_eq!(corrected_p(3.84, 1, 1.0, None), chi2_sf(3.84, 1.0));
        assert!(rel_close(
            corrected_p(6.4, 1, 2.0, Some(10)),
            f_sf(3.2, 1.0, 9.0),
            EXACT_EPS
        ));
        let mut s = ClusteredScore::default();
        s.add_account(1.0, 1.0, 1);
        s.add_account(-2.0, 2.5, 2);
        assert_eq!(
            (s.score, s.clustered, s.independent, s.accounts),
            (-1.0, 5.0, 3.5, 2)
        );
        assert!(rel_close(s.design_effect(), 5.0 / 3.5, EXACT_EPS));
    }
}
