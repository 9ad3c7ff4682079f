//! Time to win with competing risks: the Aalen–Johansen cumulative incidence
//! of winning (losing competes, open deals are censored) and the k-group
//! log-rank test on the cause-specific hazard of winning.

use crate::stats::conversion::{chi2_sf, two_sided_z, Interval, TestResultDf};
use crate::stats::error::StatsError;
use serde::{Deserialize, Serialize};

/// How a deal ended, or that it has not ended yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Won at its duration: the event of interest.
    Won,
    /// Lost at its duration: the competing event.
    Lost,
    /// Still open: censored at its duration.
    Open,
}

/// The cumulative incidence function (CIF) of winning, from [`aalen_johansen`].
///
/// Holds one entry per distinct observed duration (a win, a loss or an open
/// deal's censoring time), in increasing order: the CIF and its variance just
/// after that time, the number of deals at risk at that time (duration ≥ t),
/// and the numbers of wins and losses at that time. The CIF is a
/// right-continuous step function that only moves at times with a win.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CumulativeIncidence {
    times: Vec<f64>,
    cif: Vec<f64>,
    variance: Vec<f64>,
    at_risk: Vec<u64>,
    won: Vec<u64>,
    lost: Vec<u64>,
}

/// The CIF at one time, from [`CumulativeIncidence::at`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CifPoint {
    /// Estimated probability of having won by this time.
    pub estimate: f64,
    /// Pointwise log-log confidence interval.
    pub interval: Interval,
    /// Deals still at risk at this time: those with duration ≥ t.
    pub at_risk: u64,
}

impl CumulativeIncidence {
    /// Distinct observed durations, increasing.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// CIF of winning at each of [`times`](Self::times).
    pub fn cif(&self) -> &[f64] {
        &self.cif
    }

    /// Aalen variance of the CIF at each time (clamped at 0).
    pub fn variance(&self) -> &[f64] {
        &self.variance
    }

    /// Deals at risk (duration ≥ t) at each time.
    pub fn at_risk(&self) -> &[u64] {
        &self.at_risk
    }

    /// Wins at each time.
    pub fn won(&self) -> &[u64] {
        &self.won
    }

    /// Losses at each time.
    pub fn lost(&self) -> &[u64] {
        &self.lost
    }

    /// The CIF at `t` with a 95% log-log interval; see [`at_with`](Self::at_with).
    pub fn at(&self, t: f64) -> CifPoint {
        self.at_with(t, 0.95)
    }

    /// The CIF at `t` with a pointwise log-log interval at `confidence`.
    ///
    /// The estimate is that of the largest stored time `<= t` (0 before the
    /// first time); `at_risk` counts deals with duration `>= t` (all deals
    /// before the first time, 0 after the last). The interval is
    /// scikit-survival's log-log one: with `F` the estimate, `σ = sqrt(var)/F`
    /// and `θ = σ / ln F`, it is `[F^exp(-zθ), F^exp(zθ)]`, which is `[0, 0]`
    /// when `F` is 0 and `[F, F]` when the variance is 0 (below `f64::EPSILON`).
    ///
    /// A NaN `t` or a `confidence` outside (0, 1) gives NaN where undefined.
    pub fn at_with(&self, t: f64, confidence: f64) -> CifPoint {
        if t.is_nan() {
            return CifPoint {
                estimate: f64::NAN,
                interval: Interval {
                    lo: f64::NAN,
                    hi: f64::NAN,
                },
                at_risk: 0,
            };
        }
        let upto = self.times.partition_point(|&x| x <= t);
        let first_ge = self.times.partition_point(|&x| x < t);
        let at_risk = if first_ge < self.times.len() {
            self.at_risk[first_ge]
        } else {
            0
        };
        let (estimate, var) = if upto == 0 {
            (0.0, 0.0)
        } else {
            (self.cif[upto - 1], self.variance[upto - 1])
        };
        let interval = match two_sided_z(confidence) {
            Some(z) => loglog_interval(estimate, var, z),
            None => Interval {
                lo: f64::NAN,
                hi: f64::NAN,
            },
        };
        CifPoint {
            estimate,
            interval,
            at_risk,
        }
    }

    /// Median time to win among deals that win: the smallest stored time at
    /// which the CIF reaches half of its final value (its value at the largest
    /// time).
    ///
    /// This is the median of the observed sub-distribution of winning, not the
    /// time at which the CIF reaches 0.5 (which need not happen when many deals
    /// are lost). Returns `None` when no deal was won.
    pub fn median_time(&self) -> Option<f64> {
        let last = *self.cif.last()?;
        if last <= 0.0 {
            return None;
        }
        let half = 0.5 * last;
        let i = self.cif.partition_point(|&f| f < half);
        self.times.get(i).copied()
    }
}

/// scikit-survival's `_ci_logmlog` for one CIF value.
fn loglog_interval(estimate: f64, var: f64, z: f64) -> Interval {
    let eps = f64::EPSILON;
    if estimate <= eps {
        return Interval { lo: 0.0, hi: 0.0 };
    }
    let sigma = if var > eps {
        var.sqrt() / estimate
    } else {
        0.0
    };
    let log_p = estimate.ln();
    let theta = if log_p < -eps { sigma / log_p } else { 0.0 };
    Interval {
        lo: ((-z * theta).exp() * log_p).exp(),
        hi: ((z * theta).exp() * log_p).exp(),
    }
}

fn check_durations(durations: &[f64]) -> Result<(), StatsError> {
    match durations.iter().position(|d| !(d.is_finite() && *d >= 0.0)) {
        Some(index) => Err(StatsError::InvalidDuration {
            index,
            value: durations[index],
        }),
        None => Ok(()),
    }
}

/// Aalen–Johansen estimate of the cumulative incidence of winning, with
/// losing as the competing event and open deals censored at their duration.
///
/// Mirrors scikit-survival
/// `cumulative_incidence_competing_risks(event, time, conf_type="log-log")`
/// with `event = 1` for won, `2` for lost and `0` for open, and keeps its
/// row for risk 1.
///
/// At each distinct time `t_k` with `n_k` deals at risk (duration ≥ `t_k`),
/// `w_k` wins and `d_k` wins plus losses, and with `S` the Kaplan–Meier
/// probability of no event of either kind:
/// `F(t_k) = F(t_{k-1}) + S(t_{k-1})·w_k/n_k`,
/// `S(t_k) = S(t_{k-1})·(1 - d_k/n_k)`.
/// Ties are exact: all events at a time are processed together and deals
/// censored at that time are still at risk then (events before censorings).
///
/// # Remarks
/// Reference: scikit-survival 0.28 with its default `var_type="Aalen"`,
/// i.e. Aalen's (1978) variance in the form of Pintilie (2006), Eq. 4.5:
///
/// `Var F(t_j) = Σ_{k≤j} (F_j - F_k)²·d_k/((n_k-1)(n_k-d_k))
///  + Σ_{k≤j} S_{k-1}²·w_k(n_k-w_k)/((n_k-1)·n_k²)
///  - 2·Σ_{k≤j} (F_j - F_k)·S_{k-1}·w_k(n_k-w_k)/(n_k(n_k-d_k)(n_k-1))`,
///
/// where a term with a zero denominator is 0. The sums are updated
/// incrementally in `O(1)` per time (all accumulated quantities are
/// non-negative, so no cancellation beyond that of the formula itself). The
/// variance is clamped at 0. Confidence intervals are the log-log ones of
/// scikit-survival ([`CumulativeIncidence::at_with`]). The estimate itself
/// also equals lifelines `AalenJohansenFitter` on data without tied times
/// (lifelines perturbs tied times, so it is not a reference with ties).
///
/// Cost: one sort, `O(n log n)`, and `O(n)` memory beyond the input.
///
/// # Errors
/// [`StatsError::LengthMismatch`] when the slices differ in length,
/// [`StatsError::Empty`] when they are empty, and
/// [`StatsError::InvalidDuration`] for a negative, infinite or NaN duration.
pub fn aalen_johansen(
    durations: &[f64],
    outcomes: &[Outcome],
) -> Result<CumulativeIncidence, StatsError> {
    if durations.len() != outcomes.len() {
        return Err(StatsError::LengthMismatch {
            left: durations.len(),
            right: outcomes.len(),
        });
    }
    if durations.is_empty() {
        return Err(StatsError::Empty);
    }
    check_durations(durations)?;

    let mut rows: Vec<(f64, Outcome)> = durations
        .iter()
        .copied()
        .zip(outcomes.iter().copied())
        .collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut times = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let t = rows[i].0;
        let mut at = TimeCounts {
            time: t,
            ..TimeCounts::default()
        };
        while i < rows.len() && rows[i].0 == t {
            at.add(rows[i].1);
            i += 1;
        }
        times.push(at);
    }
    Ok(aalen_johansen_counts(&times))
}

/// Deals ending at one time: won, lost and open (censored) counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeCounts {
    pub time: f64,
    pub won: u64,
    pub lost: u64,
    pub open: u64,
}

impl TimeCounts {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Won => self.won += 1,
            Outcome::Lost => self.lost += 1,
            Outcome::Open => self.open += 1,
        }
    }
}

/// [`aalen_johansen`] from the counts at each distinct time, in increasing
/// time order (times with no deal may be left out or given as zeros). Whole
/// days can be counted in a histogram, with no sort.
pub fn aalen_johansen_counts(times: &[TimeCounts]) -> CumulativeIncidence {
    let mut out = CumulativeIncidence {
        times: Vec::new(),
        cif: Vec::new(),
        variance: Vec::new(),
        at_risk: Vec::new(),
        won: Vec::new(),
        lost: Vec::new(),
    };

    let mut remaining: u64 = times.iter().map(|t| t.won + t.lost + t.open).sum();
    let mut surv_prev = 1.0; // S(t_{k-1})
    let mut f_prev = 0.0; // F(t_{k-1})
                          // Incremental pieces of the Aalen variance (see the Remarks):
                          // a_sum = Σ a_k, a_mom = Σ a_k (F_j - F_k), a_sq = Σ a_k (F_j - F_k)²,
                          // b = Σ b_k, c_sum = Σ c_k, c_mom = Σ c_k (F_j - F_k).
    let (mut a_sum, mut a_mom, mut a_sq) = (0.0, 0.0, 0.0);
    let mut b = 0.0;
    let (mut c_sum, mut c_mom) = (0.0, 0.0);

    for &TimeCounts {
        time: t,
        won,
        lost,
        open,
    } in times
    {
        let count = won + lost + open;
        if count == 0 {
            continue;
        }
        let n = remaining as f64;
        let w = won as f64;
        let d = (won + lost) as f64;

        let f = f_prev + surv_prev * w / n;
        let delta = f - f_prev;
        // Shift the moment sums from F_{j-1} to F_j, then add this time's terms
        // (whose own (F_j - F_j) factor is 0).
        a_sq += 2.0 * delta * a_mom + delta * delta * a_sum;
        a_mom += delta * a_sum;
        c_mom += delta * c_sum;
        let den_a = (n - 1.0) * (n - d);
        if den_a > 0.0 {
            a_sum += d / den_a;
        }
        let den_b = (n - 1.0) * n * n;
        if den_b > 0.0 {
            b += surv_prev * surv_prev * w * (n - w) / den_b;
        }
        let den_c = n * (n - d) * (n - 1.0);
        if den_c > 0.0 {
            c_sum += surv_prev * w * (n - w) / den_c;
        }
        let var = (a_sq + b - 2.0 * c_mom).max(0.0);

        out.times.push(t);
        // Rounding can carry a sum of increments to 1 + 1e-16 when every
        // deal is won; a probability is reported within [0, 1].
        out.cif.push(f.clamp(0.0, 1.0));
        out.variance.push(var);
        out.at_risk.push(remaining);
        out.won.push(won);
        out.lost.push(lost);

        surv_prev *= 1.0 - d / n;
        f_prev = f;
        remaining -= count;
    }
    out
}

/// k-group log-rank test on the cause-specific hazard of winning.
///
/// Mirrors lifelines `multivariate_logrank_test(durations, groups,
/// event_observed=won)`: lost and open deals are censored at their duration.
/// With `O_j`, `E_j` the observed and expected wins of group `j` and `V` the
/// hypergeometric covariance
/// `V_jl = Σ_t d(n-d)/(n²(n-1))·n_j(n·δ_jl - n_l)`, the statistic is
/// `Zᵀ V⁻¹ Z` over the first `k-1` groups (groups ordered by label),
/// referred to chi-square with `k-1` degrees of freedom.
///
/// Returns `None` when the lengths differ, a duration is not finite, there
/// are fewer than two groups, no deal was won, or `V` is singular (a group
/// has nobody at risk at any win; lifelines then uses a pseudo-inverse).
///
/// # Remarks
/// Reference: lifelines 0.30 (unweighted log-rank). Cost: one sort,
/// `O(n log n + T·k²)` for `T` distinct times and `k` groups.
pub fn logrank_test(durations: &[f64], won: &[bool], groups: &[u32]) -> Option<TestResultDf> {
    if durations.len() != won.len() || durations.len() != groups.len() {
        return None;
    }
    if durations.iter().any(|d| !d.is_finite()) {
        return None;
    }
    let (rows, at_risk) = group_rows(durations, won, groups)?;
    let m = at_risk.len() - 1;
    let (z, mut cov) = logrank_sums(&rows, at_risk)?;
    let statistic = quadratic_form_inverse(&mut cov, &z, m)?.max(0.0);
    let df = m as u64;
    Some(TestResultDf {
        statistic,
        df,
        p_value: chi2_sf(statistic, df as f64),
    })
}

/// A deal in the log-rank test: duration, group index, won.
type Row = (f64, u32, bool);

/// Rows sorted by duration, with groups
/// indexed in label order, and each group's size. `None` for fewer than two
/// groups.
fn group_rows(durations: &[f64], won: &[bool], groups: &[u32]) -> Option<(Vec<Row>, Vec<f64>)> {
    let mut labels: Vec<u32> = groups.to_vec();
    labels.sort_unstable();
    labels.dedup();
    let k = labels.len();
    if k < 2 {
        return None;
    }
    let mut rows: Vec<Row> = Vec::with_capacity(durations.len());
    let mut at_risk = vec![0f64; k];
    for ((&t, &g), &e) in durations.iter().zip(groups).zip(won) {
        let j = labels.binary_search(&g).ok()?;
        at_risk[j] += 1.0;
        rows.push((t, j as u32, e));
    }
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    Some((rows, at_risk))
}

/// Over the first `k-1` groups, observed minus expected wins and their
/// hypergeometric covariance (row-major), walking the sorted `rows` from
/// `at_risk` group sizes. `None` when no deal was won.
fn logrank_sums(rows: &[Row], mut at_risk: Vec<f64>) -> Option<(Vec<f64>, Vec<f64>)> {
    let k = at_risk.len();
    let m = k - 1;
    let mut observed = vec![0f64; k];
    let mut expected = vec![0f64; k];
    let mut cov = vec![0f64; m * m];
    let mut d_group = vec![0f64; k];
    let mut removed = vec![0f64; k];
    let mut total_at_risk = rows.len() as f64;
    let mut any_event = false;

    let mut i = 0;
    while i < rows.len() {
        let t = rows[i].0;
        let start = i;
        let mut d = 0.0;
        while i < rows.len() && rows[i].0 == t {
            let j = rows[i].1 as usize;
            removed[j] += 1.0;
            if rows[i].2 {
                d_group[j] += 1.0;
                d += 1.0;
            }
            i += 1;
        }
        if d > 0.0 {
            any_event = true;
            let n = total_at_risk;
            for j in 0..k {
                observed[j] += d_group[j];
                expected[j] += at_risk[j] * d / n;
            }
            if n > 1.0 {
                let f = d * (n - d) / (n * n * (n - 1.0));
                for j in 0..m {
                    let fj = f * at_risk[j];
                    cov[j * m + j] += fj * n;
                    for l in 0..m {
                        cov[j * m + l] -= fj * at_risk[l];
                    }
                }
            }
        }
        for r in &rows[start..i] {
            let j = r.1 as usize;
            at_risk[j] -= removed[j];
            total_at_risk -= removed[j];
            removed[j] = 0.0;
            d_group[j] = 0.0;
        }
    }
    if !any_event {
        return None;
    }
    let z: Vec<f64> = (0..m).map(|j| observed[j] - expected[j]).collect();
    Some((z, cov))
}

/// `zᵀ A⁻¹ z` for a symmetric positive-definite `m×m` matrix `a` (row-major,
/// overwritten by its Cholesky factor). `None` when `a` is singular to
/// working precision.
fn quadratic_form_inverse(a: &mut [f64], z: &[f64], m: usize) -> Option<f64> {
    let max_diag = (0..m).map(|j| a[j * m + j]).fold(0.0, f64::max);
    if max_diag <= 0.0 {
        return None;
    }
    let tol = max_diag * 1e-12;
    for j in 0..m {
        let mut s = a[j * m + j];
        for p in 0..j {
            s -= a[j * m + p] * a[j * m + p];
        }
        if s <= tol {
            return None;
        }
        let ljj = s.sqrt();
        a[j * m + j] = ljj;
        for r in j + 1..m {
            let mut s = a[r * m + j];
            for p in 0..j {
                s -= a[r * m + p] * a[j * m + p];
            }
            a[r * m + j] = s / ljj;
        }
    }
    // Solve L y = z; then zᵀ A⁻¹ z = |y|².
    let mut y = vec![0.0; m];
    for r in 0..m {
        let mut s = z[r];
        for p in 0..r {
            s -= a[r * m + p] * y[p];
        }
        y[r] = s / a[r * m + r];
    }
    Some(y.iter().map(|v| v * v).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::fixture::{num, nums, parse, uint, uints};
    use crate::stats::prec::{close, rel_close, EXACT_EPS, REL_EPS, UNIT_ABS_EPS};
    use serde_json::Value;

    const AJ: &str = include_str!("../../tests/fixtures/stats/survival_aj.json");
    const LOGRANK: &str = include_str!("../../tests/fixtures/stats/survival_logrank.json");

    fn outcomes(v: &Value) -> Vec<Outcome> {
        serde_json::from_value(v.clone()).expect("outcomes")
    }

    #[test]
    fn aalen_johansen_on_six_deals_matches_the_hand_computation() {
        // deal: 1 2 3 4 5 6
        // days: 1 2 2 2 3 4
        // end : W L W O W O
        //
        // t  n  won lost  S(t-)  F(t) = F + S(t-)·won/n     S(t) = S(t-)·(1 - d/n)
        // 1  6   1   0    1      1/6                       5/6
        // 2  5   1   1    5/6    1/6 + (5/6)/5 = 1/3       5/6·3/5 = 1/2
        // 3  2   1   0    1/2    1/3 + (1/2)/2 = 7/12      1/2·1/2 = 1/4
        // 4  1   0   0    1/4    7/12                      1/4
        //
        // Aalen variance (Pintilie 4.5), F1=1/6, F2=1/3, F3=7/12:
        // t=1: a1 = 1/(5·5) = 1/25, b1 = 1·1·5/(5·36) = 1/36, c1 = 1·1·5/(6·5·5) = 1/30
        //      Var F1 = 0 + 1/36 - 0                                  = 1/36
        // t=2: a2 = 2/(4·3) = 1/6, b2 = (25/36)·1·4/(4·25) = 1/36,
        //      c2 = (5/6)·1·4/(5·3·4) = 1/18
        //      Var F2 = (1/6)²/25 + 2/36 - 2·(1/6)(1/30) = 1/900 + 1/18 - 1/90
        //             = (1 + 50 - 10)/900                             = 41/900
        // t=3: a3 = 1/(1·1) = 1 (its own (F3 - F3)² factor is 0),
        //      b3 = (1/4)·1·1/(1·4) = 1/16, c3 = (1/2)·1·1/(2·1·1) = 1/4
        //      Var F3 = (5/12)²/25 + (1/4)²·(1/6) + 0
        //             + 1/36 + 1/36 + 1/16
        //             - 2·[(5/12)(1/30) + (1/4)(1/18) + 0]
        //             = 1/144 + 1/96 + 1/18 + 1/16 - 1/18
        //             = (2 + 3 + 18)/288                              = 23/288
        let t = [1.0, 2.0, 2.0, 2.0, 3.0, 4.0];
        use Outcome::*;
        let o = [Won, Lost, Won, Open, Won, Open];
        let ci = aalen_johansen(&t, &o).unwrap();
        assert_eq!(ci.times(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(ci.at_risk(), &[6, 5, 2, 1]);
        let want_f = [1.0 / 6.0, 1.0 / 3.0, 7.0 / 12.0, 7.0 / 12.0];
        let want_v = [1.0 / 36.0, 41.0 / 900.0, 23.0 / 288.0, 23.0 / 288.0];
        for k in 0..4 {
            assert!(rel_close(ci.cif()[k], want_f[k], EXACT_EPS), "F at {k}");
            assert!(
                rel_close(ci.variance()[k], want_v[k], EXACT_EPS),
                "Var at {k}"
            );
        }
        // Step function: right-continuous, 0 before the first time.
        assert_eq!(ci.at(0.5).estimate, 0.0);
        assert_eq!(ci.at(0.5).at_risk, 6);
        assert!(rel_close(ci.at(2.0).estimate, 1.0 / 3.0, EXACT_EPS));
        assert!(rel_close(ci.at(2.5).estimate, 1.0 / 3.0, EXACT_EPS));
        assert_eq!(ci.at(2.0).at_risk, 5);
        assert_eq!(ci.at(2.5).at_risk, 2);
        assert_eq!(ci.at(9.0).at_risk, 0);
        // Final CIF 7/12, half is 7/24 ≈ 0.29: first reached at t = 2 (1/3).
        assert_eq!(ci.median_time(), Some(2.0));
    }

    #[test]
    fn aalen_johansen_matches_scikit_survival_with_tied_days() {
        let fx = parse(AJ);
        let mut checked = 0;
        for case in fx["sksurv"].as_array().unwrap() {
            let t = nums(&case["durations"]);
            let o = outcomes(&case["outcomes"]);
            let ci = aalen_johansen(&t, &o).unwrap();
            let times = nums(&case["times"]);
            assert_eq!(ci.times(), times.as_slice(), "{}", case["name"]);
            assert_eq!(ci.at_risk(), uints(&case["at_risk"]).as_slice());
            let cif = nums(&case["cif"]);
            let var = nums(&case["variance"]);
            let conf = num(&case["confidence"]);
            let lo = nums(&case["lo"]);
            let hi = nums(&case["hi"]);
            for k in 0..times.len() {
                assert!(close(ci.cif()[k], cif[k], REL_EPS, UNIT_ABS_EPS), "cif {k}");
                assert!(
                    close(ci.variance()[k], var[k], REL_EPS, UNIT_ABS_EPS),
                    "var {k}"
                );
                let p = ci.at_with(times[k], conf);
                assert!(close(p.interval.lo, lo[k], REL_EPS, UNIT_ABS_EPS), "lo {k}");
                assert!(close(p.interval.hi, hi[k], REL_EPS, UNIT_ABS_EPS), "hi {k}");
                checked += 1;
            }
            assert_eq!(ci.median_time(), Some(num(&case["median_time"])));
        }
        assert!(checked > 50);
    }

    #[test]
    fn aalen_johansen_from_a_day_histogram_equals_the_sorted_rows() {
        let fx = parse(AJ);
        let mut checked = 0;
        for case in fx["sksurv"].as_array().unwrap() {
            let t = nums(&case["durations"]);
            if !t.iter().all(|d| d.fract() == 0.0 && *d >= 0.0 && *d < 1e5) {
                continue;
            }
            let o = outcomes(&case["outcomes"]);
            // One entry per day, most of them empty, as `outcomes::figures` builds it.
            let len = t.iter().fold(0.0f64, |m, &d| m.max(d)) as usize + 1;
            let mut by_day: Vec<TimeCounts> = (0..len)
                .map(|d| TimeCounts {
                    time: d as f64,
                    ..TimeCounts::default()
                })
                .collect();
            for (&d, &x) in t.iter().zip(&o) {
                by_day[d as usize].add(x);
            }
            let want = aalen_johansen(&t, &o).unwrap();
            assert_eq!(aalen_johansen_counts(&by_day), want, "{}", case["name"]);
            checked += 1;
        }
        assert!(checked > 0, "the fixture needs a case in whole days");
    }

    #[test]
    fn aalen_johansen_estimate_matches_lifelines_without_ties() {
        let fx = parse(AJ);
        let case = &fx["lifelines"];
        let t = nums(&case["durations"]);
        let o = outcomes(&case["outcomes"]);
        let ci = aalen_johansen(&t, &o).unwrap();
        let times = nums(&case["times"]);
        let cif = nums(&case["cif"]);
        for (tk, fk) in times.iter().zip(&cif) {
            assert!(
                close(ci.at(*tk).estimate, *fk, REL_EPS, UNIT_ABS_EPS),
                "t={tk}"
            );
        }
    }

    #[test]
    fn aalen_johansen_rejects_mismatched_lengths_and_bad_durations() {
        use Outcome::*;
        assert_eq!(
            aalen_johansen(&[1.0], &[Won, Lost]),
            Err(StatsError::LengthMismatch { left: 1, right: 2 })
        );
        assert_eq!(aalen_johansen(&[], &[]), Err(StatsError::Empty));
        assert!(matches!(
            aalen_johansen(&[1.0, f64::NAN], &[Won, Lost]),
            Err(StatsError::InvalidDuration { index: 1, .. })
        ));
        assert!(matches!(
            aalen_johansen(&[-1.0], &[Won]),
            Err(StatsError::InvalidDuration { index: 0, .. })
        ));
    }

    #[test]
    fn median_time_is_none_when_nothing_was_won() {
        use Outcome::*;
        let ci = aalen_johansen(&[1.0, 2.0], &[Lost, Open]).unwrap();
        assert_eq!(ci.median_time(), None);
        assert_eq!(ci.at(5.0).interval, Interval { lo: 0.0, hi: 0.0 });
    }

    #[test]
    fn outcome_serializes_in_lowercase() {
        assert_eq!(serde_json::to_string(&Outcome::Open).unwrap(), "\"open\"");
    }

    #[test]
    fn logrank_test_on_two_groups_matches_the_hand_computation() {
        // group 0: won at 1, won at 3; group 1: won at 2, lost at 4 (censored).
        // t=1: n=4 (2,2), d=1: E0 = 2/4, V00 = 1·3/(16·3)·2·(4-2)   = 1/4
        // t=2: n=3 (1,2), d=1: E0 = 1/3, V00 = 1·2/(9·2)·1·(3-1)    = 2/9
        // t=3: n=2 (1,1), d=1: E0 = 1/2, V00 = 1·1/(4·1)·1·(2-1)    = 1/4
        // O0 = 2, E0 = 4/3, Z = 2/3, V = 13/18, χ² = (4/9)/(13/18) = 8/13
        let r = logrank_test(
            &[1.0, 3.0, 2.0, 4.0],
            &[true, true, true, false],
            &[0, 0, 1, 1],
        )
        .unwrap();
        assert_eq!(r.df, 1);
        assert!(rel_close(r.statistic, 8.0 / 13.0, EXACT_EPS));
    }

    #[test]
    fn logrank_test_matches_lifelines() {
        let fx = parse(LOGRANK);
        let mut saw_tiny = false;
        for case in fx["cases"].as_array().unwrap() {
            let t = nums(&case["durations"]);
            let won: Vec<bool> = case["won"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_bool().unwrap())
                .collect();
            let g: Vec<u32> = uints(&case["groups"]).iter().map(|&v| v as u32).collect();
            let r = logrank_test(&t, &won, &g).unwrap();
            let p = num(&case["p_value"]);
            saw_tiny |= p < 1e-20;
            assert_eq!(r.df, uint(&case["df"]), "{}", case["name"]);
            assert!(
                rel_close(r.statistic, num(&case["statistic"]), REL_EPS),
                "{}",
                case["name"]
            );
            assert!(rel_close(r.p_value, p, REL_EPS), "{} {r:?}", case["name"]);
        }
        assert!(saw_tiny, "fixture must exercise a p-value below 1e-20");
    }

    #[test]
    fn logrank_test_is_none_for_one_group_or_no_wins() {
        assert_eq!(logrank_test(&[1.0, 2.0], &[true, false], &[3, 3]), None);
        assert_eq!(logrank_test(&[1.0, 2.0], &[false, false], &[1, 2]), None);
        assert_eq!(logrank_test(&[1.0, 2.0], &[true], &[1, 2]), None);
    }
}
