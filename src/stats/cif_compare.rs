//! Comparing cumulative incidences of winning between groups of deals, with
//! deals clustered in accounts: the influence of each deal on the
//! Aalen–Johansen estimate, its cluster-robust variance, pairwise differences
//! with Holm's correction, and the median time to win read at a horizon where
//! every group still has deals at risk.

use crate::stats::conversion::{chi2_sf, norm_sf, two_sided_z, Interval, TestResultDf};
use crate::stats::error::StatsError;
use crate::stats::influence::design_effect;
use crate::stats::multiple::holm;
use crate::stats::survival::{aalen_johansen, loglog_interval, CumulativeIncidence, Outcome};
use serde::Serialize;

/// Share of a group's deals that must still be at risk at the common horizon.
pub const AT_RISK_SHARE: f64 = 0.10;
/// Or this many deals, whichever is fewer.
pub const AT_RISK_DEALS: u64 = 20;

/// Each deal's influence on the cumulative incidence of winning at `tau`.
///
/// `ci` must be [`aalen_johansen`] of `durations` and `outcomes`. With
/// `n_k` at risk, `w_k` wins and `d_k` events at time `t_k ≤ tau`, `S` the
/// probability of no event yet and `F` the CIF, deal `i` contributes
/// `Σ_k S(t_{k-1})·(dN1_ik - Y_ik·w_k/n_k)/n_k -
/// Σ_k (F(tau) - F(t_k))/(n_k - d_k)·(dN_ik - Y_ik·d_k/n_k)`,
/// with `Y_ik` its being at risk, `dN1_ik` its winning and `dN_ik` its ending
/// (won or lost) at `t_k`. This is the derivative of the estimate with
/// respect to the deal's weight (the delta method applied to the hazards).
///
/// # Remarks
/// The contributions of different times to `Σ_i IF_i²` are uncorrelated, so
/// with one deal per cluster the sum is the delta-method (Greenwood-type)
/// variance `Σ_k [S²_{k-1}·w(n-w)/n³ - 2·S_{k-1}(F(tau)-F_k)·w/n² +
/// (F(tau)-F_k)²·d/(n(n-d))]`, which differs from Aalen's in using `n`
/// where Aalen's has `n - 1` and in its cross term. Cost `O(n log n)`.
pub fn cif_influence(
    ci: &CumulativeIncidence,
    durations: &[f64],
    outcomes: &[Outcome],
    tau: f64,
) -> Vec<f64> {
    let terms = InfluenceTerms::new(ci, tau);
    let times = &ci.times()[..terms.at_risk_sum.len()];
    durations
        .iter()
        .zip(outcomes)
        .map(|(&t, &o)| {
            let j = times.partition_point(|&x| x <= t);
            if j == 0 {
                return 0.0;
            }
            terms.at(j - 1, times[j - 1] == t, o)
        })
        .collect()
}

/// The per-time terms of [`cif_influence`] at `tau`: a deal's influence is
/// read from those of the last time `t_k ≤ tau` at or before its duration.
struct InfluenceTerms {
    /// `(S(t_{k-1}) - b_k)/n_k`: what winning at `t_k` adds.
    won_term: Vec<f64>,
    /// `-b_k/n_k`: what losing at `t_k` adds.
    lost_term: Vec<f64>,
    /// What being at risk up to and including `t_k` takes away.
    at_risk_sum: Vec<f64>,
}

impl InfluenceTerms {
    fn new(ci: &CumulativeIncidence, tau: f64) -> Self {
        let m = ci.times().partition_point(|&t| t <= tau);
        let f_tau = if m == 0 { 0.0 } else { ci.cif()[m - 1] };
        let mut terms = InfluenceTerms {
            won_term: Vec::with_capacity(m),
            lost_term: Vec::with_capacity(m),
            at_risk_sum: Vec::with_capacity(m),
        };
        let (mut s_prev, mut g) = (1.0, 0.0);
        for k in 0..m {
            let n = ci.at_risk()[k] as f64;
            let w = ci.won()[k] as f64;
            let d = w + ci.lost()[k] as f64;
            let b = if n > d {
                (f_tau - ci.cif()[k]) * n / (n - d)
            } else {
                0.0
            };
            terms.won_term.push((s_prev - b) / n);
            terms.lost_term.push(-b / n);
            g += (s_prev * w - b * d) / (n * n);
            terms.at_risk_sum.push(g);
            s_prev *= 1.0 - d / n;
        }
        terms
    }

    /// The influence of a deal whose last time `≤ tau` at or before its
    /// duration is `t_k`, `ends_at_k` when its duration is `t_k` itself.
    fn at(&self, k: usize, ends_at_k: bool, o: Outcome) -> f64 {
        let event = match o {
            _ if !ends_at_k => 0.0,
            Outcome::Won => self.won_term[k],
            Outcome::Lost => self.lost_term[k],
            Outcome::Open => 0.0,
        };
        event - self.at_risk_sum[k]
    }
}

/// [`cif_influence`] at `tau` for every whole-day duration below
/// `days_len` and every outcome: entry `[day][outcome]` (outcomes in the
/// order won, lost, open; see [`outcome_slot`]) is, to the bit, the
/// influence of a deal of that duration and outcome. Deals with whole-day
/// durations read their influence from it instead of searching the curve's
/// times for each deal.
///
/// `ci` must come from deals whose durations are all whole days.
pub fn influence_by_day(ci: &CumulativeIncidence, tau: f64, days_len: usize) -> Vec<[f64; 3]> {
    let terms = InfluenceTerms::new(ci, tau);
    let times = &ci.times()[..terms.at_risk_sum.len()];
    let mut out = Vec::with_capacity(days_len);
    let mut j = 0;
    for day in 0..days_len {
        let t = day as f64;
        while j < times.len() && times[j] <= t {
            j += 1;
        }
        out.push(if j == 0 {
            [0.0; 3]
        } else {
            let ends = times[j - 1] == t;
            [Outcome::Won, Outcome::Lost, Outcome::Open].map(|o| terms.at(j - 1, ends, o))
        });
    }
    out
}

/// The slot of an outcome in a row of [`influence_by_day`].
pub fn outcome_slot(o: Outcome) -> usize {
    match o {
        Outcome::Won => 0,
        Outcome::Lost => 1,
        Outcome::Open => 2,
    }
}

/// The CIF of winning at one time with a variance that allows for deals
/// clustered in accounts, from [`clustered_cif_at`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusteredCif {
    /// Aalen–Johansen estimate of P(won by `tau`).
    pub estimate: f64,
    /// Aalen's variance, which treats deals as independent.
    pub variance_independent: f64,
    /// `Σ_a (Σ_{i∈a} IF_i)² / Σ_i IF_i²` (1 when the denominator is 0).
    pub design_effect: f64,
    /// `variance_independent × design_effect`.
    pub variance: f64,
    /// Log-log interval from `variance`.
    pub interval: Interval,
    /// Distinct clusters (accounts).
    pub clusters: usize,
}

/// The CIF of winning at `tau` with a cluster-robust variance and interval.
///
/// The variance is Aalen's ([`aalen_johansen`]) times the design effect of
/// the clustering: the cluster-robust sum `Σ_a (Σ_{i∈a} IF_i)²` of the
/// [`cif_influence`] contributions over the independent sum `Σ_i IF_i²`.
/// With one deal per cluster the ratio is 1 and the variance and interval
/// are today's Aalen ones exactly; with clustered deals it grows as
/// deals of one account move together.
///
/// # Errors
/// As [`aalen_johansen`], and [`StatsError::LengthMismatch`] when
/// `clusters` differs in length.
pub fn clustered_cif_at(
    durations: &[f64],
    outcomes: &[Outcome],
    clusters: &[u32],
    tau: f64,
    confidence: f64,
) -> Result<ClusteredCif, StatsError> {
    if clusters.len() != durations.len() {
        return Err(StatsError::LengthMismatch {
            left: durations.len(),
            right: clusters.len(),
        });
    }
    let ci = aalen_johansen(durations, outcomes)?;
    Ok(clustered_point(
        &ci, durations, outcomes, clusters, tau, confidence,
    ))
}

/// [`clustered_cif_at`] on a curve already computed from the same deals
/// (for example from a day histogram).
pub fn clustered_point(
    ci: &CumulativeIncidence,
    durations: &[f64],
    outcomes: &[Outcome],
    clusters: &[u32],
    tau: f64,
    confidence: f64,
) -> ClusteredCif {
    let influence = cif_influence(ci, durations, outcomes, tau);
    let (design_effect, n_clusters) = design_effect(&influence, clusters);
    with_design_effect(ci, tau, design_effect, n_clusters, confidence)
}

/// [`clustered_point`] from a design effect already computed over
/// `n_clusters` clusters.
pub fn with_design_effect(
    ci: &CumulativeIncidence,
    tau: f64,
    design_effect: f64,
    n_clusters: usize,
    confidence: f64,
) -> ClusteredCif {
    let point = ci.at(tau);
    let upto = ci.times().partition_point(|&x| x <= tau);
    let variance_independent = if upto == 0 {
        0.0
    } else {
        ci.variance()[upto - 1]
    };
    let variance = variance_independent * design_effect;
    let interval = match two_sided_z(confidence) {
        Some(z) => loglog_interval(point.estimate, variance, z),
        None => Interval {
            lo: f64::NAN,
            hi: f64::NAN,
        },
    };
    ClusteredCif {
        estimate: point.estimate,
        variance_independent,
        design_effect,
        variance,
        interval,
        clusters: n_clusters,
    }
}

/// A test of one pair of groups' P(won by the horizon), from
/// [`pairwise_cif_differences`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CifDifference {
    /// The two groups, `a` before `b` in the input order.
    pub a: u32,
    pub b: u32,
    /// `F_a - F_b`.
    pub difference: f64,
    /// `sqrt(Var F_a + Var F_b)`: the groups are disjoint sets of accounts.
    pub std_error: f64,
    /// Two-sided p-value of `z = difference / std_error`.
    pub p_value: f64,
    /// Holm's step-down adjustment of `p_value` over all pairs.
    pub p_value_holm: f64,
}

/// All pairwise differences of independent estimates `(id, estimate,
/// variance)`, each tested two-sided with a z-test, with Holm's correction
/// across the pairs.
///
/// A pair with zero standard error has p = 1 when the estimates are equal
/// and 0 otherwise.
pub fn pairwise_cif_differences(groups: &[(u32, f64, f64)]) -> Vec<CifDifference> {
    let mut out = Vec::new();
    for (i, &(a, fa, va)) in groups.iter().enumerate() {
        for &(b, fb, vb) in &groups[i + 1..] {
            let difference = fa - fb;
            let std_error = (va + vb).max(0.0).sqrt();
            let p_value = if std_error > 0.0 {
                (2.0 * norm_sf((difference / std_error).abs())).min(1.0)
            } else if difference == 0.0 {
                1.0
            } else {
                0.0
            };
            out.push(CifDifference {
                a,
                b,
                difference,
                std_error,
                p_value,
                p_value_holm: p_value,
            });
        }
    }
    let adjusted = holm(&out.iter().map(|d| d.p_value).collect::<Vec<_>>());
    for (d, p) in out.iter_mut().zip(adjusted) {
        d.p_value_holm = p;
    }
    out
}

/// Wald test that independent estimates `(estimate, variance)` are equal:
/// `Σ_j (F_j - F̄)²/V_j` with `F̄` their inverse-variance mean, referred to
/// chi-square with `k - 1` degrees of freedom. For two groups it is the
/// square of the pairwise z.
///
/// `None` with fewer than two groups or a variance that is not positive.
pub fn cif_wald_test(groups: &[(f64, f64)]) -> Option<TestResultDf> {
    if groups.len() < 2 || groups.iter().any(|g| g.1.is_nan() || g.1 <= 0.0) {
        return None;
    }
    let weight: f64 = groups.iter().map(|g| 1.0 / g.1).sum();
    let mean = groups.iter().map(|g| g.0 / g.1).sum::<f64>() / weight;
    let statistic: f64 = groups.iter().map(|g| (g.0 - mean).powi(2) / g.1).sum();
    let df = groups.len() as u64 - 1;
    Some(TestResultDf {
        statistic,
        df,
        p_value: chi2_sf(statistic, df as f64),
    })
}

/// The last observed time at which at least `min(ceil(10%·n), 20)` of the
/// curve's `n` deals are still at risk (duration ≥ t). `None` for an empty
/// curve.
pub fn reliable_horizon(ci: &CumulativeIncidence) -> Option<f64> {
    let n = *ci.at_risk().first()?;
    let need = ((AT_RISK_SHARE * n as f64).ceil() as u64).clamp(1, AT_RISK_DEALS);
    let last = ci.at_risk().partition_point(|&r| r >= need);
    ci.times().get(last.checked_sub(1)?).copied()
}

/// The common horizon of several curves: the smallest of their
/// [`reliable_horizon`]s, where every curve still has deals at risk.
pub fn common_horizon<'a>(
    curves: impl IntoIterator<Item = &'a CumulativeIncidence>,
) -> Option<f64> {
    curves
        .into_iter()
        .map(reliable_horizon)
        .try_fold(f64::INFINITY, |m, h| Some(m.min(h?)))
        .filter(|h| h.is_finite())
}

/// Deals that must still be at risk at a horizon (or all of a smaller
/// curve's deals) for its CIF there to be read from deals followed that long.
pub const AT_RISK_TO_READ: u64 = 5;
/// Share of a curve's deals that may still be undecided (P(no outcome yet))
/// where it last has [`AT_RISK_TO_READ`] deals at risk, for its CIF to count
/// as known at any later horizon.
pub const UNDECIDED_SHARE: f64 = 0.05;

/// The smallest observed time by which the CIF reaches `q` of its value at
/// the last time: the `q` quantile of days to win among deals that win,
/// open deals censored (a won-cycle percentile that does not drop the slow
/// wins still open). `None` without a win or with `q` outside (0, 1].
pub fn won_cycle_quantile(ci: &CumulativeIncidence, q: f64) -> Option<f64> {
    let last = *ci.cif().last()?;
    if last <= 0.0 || !(q > 0.0 && q <= 1.0) {
        return None;
    }
    let k = ci.cif().partition_point(|&f| f < q * last);
    ci.times().get(k).copied()
}

/// How far a curve's CIF can be read, from [`support`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Support {
    /// The last time at least `min(AT_RISK_TO_READ, n)` of the curve's `n`
    /// deals are at risk.
    pub last_read: f64,
    /// At most [`UNDECIDED_SHARE`] of the deals are still undecided (P(no
    /// outcome yet)) just after `last_read`: the CIF moves by at most that
    /// share at any later horizon.
    pub decided: bool,
}

impl Support {
    /// The longest horizon at which the CIF is read from deals followed
    /// that long: `last_read`, or infinite when the curve has `decided`.
    pub fn horizon(&self) -> f64 {
        if self.decided {
            f64::INFINITY
        } else {
            self.last_read
        }
    }
}

/// How far the curve's CIF can be read ([`Support`]). The undecided share
/// is read where enough deals remain at risk rather than at the curve's
/// end, so one last deal closing does not make a curve of censored deals
/// look decided. `None` for an empty curve.
pub fn support(ci: &CumulativeIncidence) -> Option<Support> {
    let n = *ci.at_risk().first()?;
    let need = AT_RISK_TO_READ.min(n).max(1);
    let last = ci
        .at_risk()
        .partition_point(|&r| r >= need)
        .checked_sub(1)?;
    let undecided = (0..=last).fold(1.0, |s, k| {
        let ended = (ci.won()[k] + ci.lost()[k]) as f64;
        s * (1.0 - ended / ci.at_risk()[k] as f64)
    });
    Some(Support {
        last_read: ci.times()[last],
        decided: undecided <= UNDECIDED_SHARE,
    })
}

/// Median days to win read at a horizon, from [`median_at`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MedianAt {
    /// The horizon, days.
    pub horizon_days: f64,
    /// First day the CIF reaches half of its value at the horizon.
    pub days: f64,
    /// First day the upper pointwise bound reaches that half.
    pub lo: f64,
    /// First day the lower pointwise bound does; `None` if not by the horizon.
    pub hi: Option<f64>,
}

/// The time the CIF first reaches half of its value at `horizon`, with an
/// interval from inverting its pointwise log-log interval at `confidence`:
/// the first times the upper and the lower bound reach that half. The half
/// is treated as known (its own uncertainty is not carried).
///
/// `None` when the CIF is 0 at the horizon.
pub fn median_at(ci: &CumulativeIncidence, horizon: f64, confidence: f64) -> Option<MedianAt> {
    let half = 0.5 * ci.at(horizon).estimate;
    if half.is_nan() || half <= 0.0 {
        return None;
    }
    let z = two_sided_z(confidence)?;
    let m = ci.times().partition_point(|&t| t <= horizon);
    let first = |f: &dyn Fn(usize) -> f64| (0..m).find(|&k| f(k) >= half).map(|k| ci.times()[k]);
    let bound = |k: usize| loglog_interval(ci.cif()[k], ci.variance()[k], z);
    Some(MedianAt {
        horizon_days: horizon,
        days: first(&|k| ci.cif()[k])?,
        lo: first(&|k| bound(k).hi)?,
        hi: first(&|k| bound(k).lo),
    })
}

/// One group's deals, for [`compare_at_horizon`].
#[derive(Debug, Clone, Copy)]
pub struct GroupDeals<'a> {
    pub id: u32,
    pub durations: &'a [f64],
    pub outcomes: &'a [Outcome],
    /// The account of each deal.
    pub clusters: &'a [u32],
}

/// One group's P(won by the horizon) and median, from [`compare_at_horizon`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroupAtHorizon {
    pub id: u32,
    pub cif: ClusteredCif,
    /// Median days to win at the common horizon.
    pub median: Option<MedianAt>,
}

/// Groups compared on their cumulative incidence of winning at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CifComparison {
    pub horizon: f64,
    /// Where every group still has deals at risk ([`common_horizon`]).
    pub common_horizon: Option<f64>,
    pub groups: Vec<GroupAtHorizon>,
    /// Every pair, Holm-adjusted, on the cluster-robust variances.
    pub pairwise: Vec<CifDifference>,
    /// [`cif_wald_test`] over the groups with a positive variance.
    pub test: Option<TestResultDf>,
}

/// Compares groups' P(won by `horizon`) with cluster-robust variances
/// ([`clustered_point`]), pairwise z-tests with Holm's correction and a Wald
/// test across them, and reads each group's median at the common horizon.
///
/// # Errors
/// As [`clustered_cif_at`] for any group.
pub fn compare_at_horizon(
    groups: &[GroupDeals],
    horizon: f64,
    confidence: f64,
) -> Result<CifComparison, StatsError> {
    // A group's curve and its point at the horizon read that group alone:
    // two groups at a time.
    let per_group = crate::parallel::map_on_two_threads(groups, |g| {
        if g.clusters.len() != g.durations.len() {
            return Err(StatsError::LengthMismatch {
                left: g.durations.len(),
                right: g.clusters.len(),
            });
        }
        let ci = aalen_johansen(g.durations, g.outcomes)?;
        let cif = clustered_point(
            &ci,
            g.durations,
            g.outcomes,
            g.clusters,
            horizon,
            confidence,
        );
        Ok((ci, cif))
    });
    let (mut curves, mut points) = (Vec::new(), Vec::new());
    for group in per_group {
        let (ci, cif) = group?;
        curves.push(ci);
        points.push(cif);
    }
    let common = common_horizon(&curves);
    let at: Vec<GroupAtHorizon> = (groups.iter().zip(&curves).zip(points))
        .map(|((g, ci), cif)| GroupAtHorizon {
            id: g.id,
            cif,
            median: common.and_then(|h| median_at(ci, h, confidence)),
        })
        .collect();
    let points: Vec<(u32, f64, f64)> = at
        .iter()
        .map(|g| (g.id, g.cif.estimate, g.cif.variance))
        .collect();
    let positive: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.2 > 0.0)
        .map(|p| (p.1, p.2))
        .collect();
    Ok(CifComparison {
        horizon,
        common_horizon: common,
        pairwise: pairwise_cif_differences(&points),
        test: cif_wald_test(&positive),
        groups: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::fixture::{nums, parse};
    use crate::stats::prec::{close, rel_close, EXACT_EPS, REL_EPS};
    use Outcome::*;

    const CMPRSK: &str = include_str!("../../tests/fixtures/cif_compare/cmprsk.json");
    const AJ: &str = include_str!("../../tests/fixtures/stats/survival_aj.json");

    // days: 1 2 2 2 3 4 / end: W L W O W O (the example of survival.rs)
    const SIX_T: [f64; 6] = [1.0, 2.0, 2.0, 2.0, 3.0, 4.0];
    const SIX_O: [Outcome; 6] = [Won, Lost, Won, Open, Won, Open];

    /// The Aalen–Johansen estimate at `tau` with a weight per deal, written
    /// from the product-limit definition and independent of `survival.rs`.
    fn weighted_cif(t: &[f64], o: &[Outcome], w: &[f64], tau: f64) -> f64 {
        let mut times: Vec<f64> = t.to_vec();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let (mut s, mut f) = (1.0, 0.0);
        for &tk in times.iter().filter(|&&x| x <= tau) {
            let at = |pred: &dyn Fn(usize) -> bool| -> f64 {
                (0..t.len()).filter(|&i| pred(i)).map(|i| w[i]).sum()
            };
            let n = at(&|i| t[i] >= tk);
            let won = at(&|i| t[i] == tk && o[i] == Won);
            let ended = at(&|i| t[i] == tk && o[i] != Open);
            f += s * won / n;
            s *= 1.0 - ended / n;
        }
        f
    }

    #[test]
    fn influence_is_the_derivative_of_the_estimate_in_each_deals_weight() {
        let (t, o) = (SIX_T, SIX_O);
        let ci = aalen_johansen(&t, &o).unwrap();
        for tau in [1.0, 2.0, 2.5, 3.0, 4.0] {
            let inf = cif_influence(&ci, &t, &o, tau);
            for i in 0..t.len() {
                let h = 1e-6;
                let mut up = [1.0; 6];
                let mut down = [1.0; 6];
                up[i] += h;
                down[i] -= h;
                let fd =
                    (weighted_cif(&t, &o, &up, tau) - weighted_cif(&t, &o, &down, tau)) / (2.0 * h);
                assert!(
                    close(inf[i], fd, 1e-6, 1e-9),
                    "tau {tau} deal {i}: {} vs {fd}",
                    inf[i]
                );
            }
        }
    }

    /// The day table gives every deal the influence the search over the
    /// curve's times gives it, to the bit: random whole-day durations with
    /// many ties, open deals censored, horizons before the first time,
    /// between times, on a time and past the last one.
    #[test]
    fn influence_by_day_is_the_searched_influence_to_the_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(21);
        for case in 0..200 {
            let n = rng.gen_range(1..60);
            let max_day = rng.gen_range(0..40);
            let t: Vec<f64> = (0..n)
                .map(|_| f64::from(rng.gen_range(0..=max_day)))
                .collect();
            let o: Vec<Outcome> = (0..n)
                .map(|_| [Won, Lost, Open][rng.gen_range(0..3)])
                .collect();
            let ci = aalen_johansen(&t, &o).unwrap();
            let days_len = max_day as usize + 1 + rng.gen_range(0..3);
            for tau in [-1.0, 0.0, 2.0, 7.5, f64::from(max_day), 90.0] {
                let searched = cif_influence(&ci, &t, &o, tau);
                let table = influence_by_day(&ci, tau, days_len);
                assert_eq!(table.len(), days_len);
                for i in 0..n {
                    let read = table[t[i] as usize][outcome_slot(o[i])];
                    assert_eq!(
                        read.to_bits(),
                        searched[i].to_bits(),
                        "case {case} tau {tau} deal {i}: {read} vs {}",
                        searched[i]
                    );
                }
            }
        }
    }

    #[test]
    fn squared_influences_sum_to_the_delta_method_variance_by_hand() {
        // At tau = 3, F = 7/12; Σ_k [S²w(n-w)/n³ - 2S(F-F_k)w/n² + (F-F_k)²d/(n(n-d))]:
        // t=1 (n6 w1 d1 S1 F1=1/6):  5/216 - 5/216 + 5/864
        // t=2 (n5 w1 d2 S5/6 F=1/3): 1/45 - 1/60 + 1/120
        // t=3 (n2 w1 d1 S1/2 F=7/12): 1/32
        // total 5/864 + 1/72 + 1/32 = 44/864 = 11/216 (Aalen's is 23/288).
        let ci = aalen_johansen(&SIX_T, &SIX_O).unwrap();
        let inf = cif_influence(&ci, &SIX_T, &SIX_O, 3.0);
        let ss: f64 = inf.iter().map(|x| x * x).sum();
        assert!(rel_close(ss, 11.0 / 216.0, EXACT_EPS), "{ss}");
        // The influences of an estimate sum to 0 over the deals.
        assert!(inf.iter().sum::<f64>().abs() < 1e-15);
    }

    #[test]
    fn with_one_deal_per_account_the_clustered_figures_are_aalens() {
        let fx = parse(AJ);
        let mut checked = 0;
        for case in fx["sksurv"].as_array().unwrap() {
            let t = nums(&case["durations"]);
            let o: Vec<Outcome> = serde_json::from_value(case["outcomes"].clone()).unwrap();
            let accounts: Vec<u32> = (0..t.len() as u32).rev().collect();
            let ci = aalen_johansen(&t, &o).unwrap();
            for &tau in ci.times().iter().step_by(3) {
                let c = clustered_cif_at(&t, &o, &accounts, tau, 0.95).unwrap();
                let plain = ci.at(tau);
                assert!(rel_close(c.design_effect, 1.0, 1e-9) || c.design_effect == 1.0);
                assert!(close(c.variance, c.variance_independent, 1e-9, 1e-15));
                assert!(close(c.interval.lo, plain.interval.lo, 1e-9, 1e-12));
                assert!(close(c.interval.hi, plain.interval.hi, 1e-9, 1e-12));
                assert_eq!(c.clusters, t.len());
                checked += 1;
            }
        }
        assert!(checked > 20);
    }

    #[test]
    fn deals_of_one_account_that_move_together_raise_the_variance() {
        // Every deal duplicated inside its own account: the clustered sum is
        // (2·IF)² per account against 2·IF² deal by deal, a design effect of 2.
        let t: Vec<f64> = SIX_T.iter().chain(&SIX_T).copied().collect();
        let o: Vec<Outcome> = SIX_O.iter().chain(&SIX_O).copied().collect();
        let accounts: Vec<u32> = (0..12).map(|i| i % 6).collect();
        let c = clustered_cif_at(&t, &o, &accounts, 3.0, 0.95).unwrap();
        assert!(
            rel_close(c.design_effect, 2.0, EXACT_EPS),
            "{}",
            c.design_effect
        );
        assert!(rel_close(
            c.variance,
            2.0 * c.variance_independent,
            EXACT_EPS
        ));
        assert_eq!(c.clusters, 6);
        assert!(c.interval.hi - c.interval.lo > 0.0);
    }

    #[test]
    fn estimates_and_differences_match_cmprsk() {
        let fx = parse(CMPRSK);
        for case in fx["cases"].as_array().unwrap() {
            let t = nums(&case["durations"]);
            let status = nums(&case["status"]);
            let g = nums(&case["groups"]);
            let o: Vec<Outcome> = status
                .iter()
                .map(|&s| match s as u8 {
                    1 => Won,
                    2 => Lost,
                    _ => Open,
                })
                .collect();
            let part = |k: f64| -> (Vec<f64>, Vec<Outcome>) {
                (0..t.len())
                    .filter(|&i| g[i] == k)
                    .map(|i| (t[i], o[i]))
                    .unzip()
            };
            let ((t1, o1), (t2, o2)) = (part(1.0), part(2.0));
            let (c1, c2) = (
                aalen_johansen(&t1, &o1).unwrap(),
                aalen_johansen(&t2, &o2).unwrap(),
            );
            for (j, &h) in nums(&case["horizons"]).iter().enumerate() {
                let (f1, f2) = (c1.at(h).estimate, c2.at(h).estimate);
                assert!(rel_close(f1, nums(&case["est1"])[j], REL_EPS));
                assert!(rel_close(f2, nums(&case["est2"])[j], REL_EPS));
                let v = |ci: &CumulativeIncidence| {
                    ci.variance()[ci.times().partition_point(|&x| x <= h) - 1]
                };
                let (v1, v2) = (v(&c1), v(&c2));
                // cmprsk's variance (Gray's delta-method form) and Aalen's
                // agree to O(1/n²); measured within 0.5% here.
                for (ours, theirs) in [(v1, nums(&case["var1"])[j]), (v2, nums(&case["var2"])[j])] {
                    assert!(
                        rel_close(ours, theirs, 5e-3),
                        "{} h={h}: {ours} vs {theirs}",
                        case["name"]
                    );
                }
                // The z-test on cmprsk's own estimates and variances gives R's p.
                let (r1, r2) = (nums(&case["var1"])[j], nums(&case["var2"])[j]);
                let d = pairwise_cif_differences(&[(1, f1, r1), (2, f2, r2)]);
                assert!(rel_close(
                    d[0].difference,
                    nums(&case["difference"])[j],
                    REL_EPS
                ));
                let p = nums(&case["p_value"])[j];
                assert!(
                    rel_close(d[0].p_value, p, REL_EPS),
                    "{} vs {p}",
                    d[0].p_value
                );
            }
        }
    }

    #[test]
    fn pairwise_differences_are_z_tests_adjusted_by_holm() {
        // (0.5 - 0.3)/sqrt(0.01 + 0.01) = 1.41421..., p = 0.157299...
        // (0.5 - 0.2)/sqrt(0.01 + 0.0025) = 2.68328..., p = 0.007290...
        // (0.3 - 0.2)/sqrt(0.01 + 0.0025) = 0.89443..., p = 0.371093...
        let d = pairwise_cif_differences(&[(7, 0.5, 0.01), (3, 0.3, 0.01), (9, 0.2, 0.0025)]);
        let ids: Vec<(u32, u32)> = d.iter().map(|x| (x.a, x.b)).collect();
        assert_eq!(ids, vec![(7, 3), (7, 9), (3, 9)]);
        let p = [
            0.157_299_207_050_285,
            0.007_290_358_091_535,
            0.371_093_369_522_697,
        ];
        for (x, w) in d.iter().zip(p) {
            assert!(rel_close(x.p_value, w, 1e-9), "{x:?}");
        }
        // Holm: 3·0.00729 = 0.02187, max(2·0.1573, ·) = 0.31460, max(0.37109, 0.3146)
        assert!(rel_close(d[1].p_value_holm, 3.0 * p[1], 1e-9));
        assert!(rel_close(d[0].p_value_holm, 2.0 * p[0], 1e-9));
        assert!(rel_close(d[2].p_value_holm, p[2], 1e-9));
        let zero = pairwise_cif_differences(&[(1, 0.0, 0.0), (2, 0.0, 0.0)]);
        assert_eq!(zero[0].p_value, 1.0);
    }

    #[test]
    fn wald_test_of_two_groups_is_the_square_of_their_z() {
        let r = cif_wald_test(&[(0.5, 0.01), (0.3, 0.01)]).unwrap();
        assert_eq!(r.df, 1);
        assert!(rel_close(r.statistic, 2.0, EXACT_EPS));
        assert!(rel_close(r.p_value, 0.157_299_207_050_285, 1e-9));
        // Three groups, weights 100, 100, 400: mean (50 + 30 + 80)/600 = 0.2667,
        // χ² = 100·0.2333² + 100·0.0333² + 400·0.0667² = 5.4444 + 0.1111 + 1.7778.
        let r = cif_wald_test(&[(0.5, 0.01), (0.3, 0.01), (0.2, 0.0025)]).unwrap();
        assert_eq!(r.df, 2);
        assert!(rel_close(r.statistic, 22.0 / 3.0, 1e-12), "{}", r.statistic);
        assert_eq!(cif_wald_test(&[(0.5, 0.01), (0.3, 0.0)]), None);
        assert_eq!(cif_wald_test(&[(0.5, 0.01)]), None);
    }

    /// Wins on days 1 to 9 and 100, and a deal open on day 5. Over won
    /// deals alone the 90th percentile is day 9; with the open deal
    /// censored, the wins after day 5 stand for more deals (F(9) = 49/55 of
    /// F = 1 by day 100), so 90% of wins are reached only on day 100.
    #[test]
    fn the_won_cycle_quantile_counts_the_open_deals_slow_wins_stand_for() {
        let mut t: Vec<f64> = (1..=9).map(f64::from).collect();
        t.extend([100.0, 5.0]);
        let mut o = vec![Won; 10];
        o.push(Open);
        let ci = aalen_johansen(&t, &o).unwrap();
        assert!(rel_close(ci.at(9.0).estimate, 49.0 / 55.0, EXACT_EPS));
        assert_eq!(won_cycle_quantile(&ci, 0.9), Some(100.0));
        // F(5) = 5/11 < 1/2 ≤ F(6) = 31/55.
        assert_eq!(won_cycle_quantile(&ci, 0.5), Some(6.0));
        let lost = aalen_johansen(&[3.0], &[Lost]).unwrap();
        assert_eq!(won_cycle_quantile(&lost, 0.9), None);
    }

    /// How far a curve is read: where 5 deals remain at risk, and past it
    /// when at most 5% of deals are undecided there.
    #[test]
    fn a_curve_is_read_where_enough_deals_remain_or_when_it_has_decided() {
        // 20 deals open on day 10 and one won on day 50: the last deal
        // closing does not decide the 20 censored ones.
        let mut t = vec![10.0; 20];
        t.push(50.0);
        let mut o = vec![Open; 20];
        o.push(Won);
        let s = support(&aalen_johansen(&t, &o).unwrap()).unwrap();
        assert_eq!((s.last_read, s.decided, s.horizon()), (10.0, false, 10.0));
        // 100 deals closed on day 1 and 4 open until day 50: 4/104 = 3.8%
        // undecided after day 1, the last day with 5 at risk.
        let mut t = vec![1.0; 100];
        t.extend([50.0; 4]);
        let mut o = vec![Won; 60];
        o.extend([Lost; 40]);
        o.extend([Open; 4]);
        let s = support(&aalen_johansen(&t, &o).unwrap()).unwrap();
        assert_eq!((s.last_read, s.decided), (1.0, true));
        assert_eq!(s.horizon(), f64::INFINITY);
        // Fewer than 5 deals: all of them must be at risk.
        let s = support(&aalen_johansen(&[2.0, 4.0], &[Open, Won]).unwrap()).unwrap();
        assert_eq!((s.last_read, s.decided), (2.0, false));
    }

    #[test]
    fn median_is_read_where_enough_deals_remain_at_risk() {
        // 40 deals: deal i (0..40) ends on day i+1; every fourth is won, the
        // rest lost, none open. At risk on day d: 41 - d. Need min(ceil(4), 20)
        // = 4 at risk: the last such day is 37.
        let t: Vec<f64> = (1..=40).map(f64::from).collect();
        let o: Vec<Outcome> = (0..40)
            .map(|i| if i % 4 == 0 { Won } else { Lost })
            .collect();
        let ci = aalen_johansen(&t, &o).unwrap();
        assert_eq!(reliable_horizon(&ci), Some(37.0));
        // Without censoring the CIF is the share won so far: wins on days
        // 1, 5, ..., 37, so F(37) = 10/40 and half of it, 5/40, is reached on day 17.
        let m = median_at(&ci, 37.0, 0.95).unwrap();
        assert_eq!(m.days, 17.0);
        assert!(m.lo <= m.days && m.hi.is_none_or(|h| h >= m.days), "{m:?}");
        let short: Vec<f64> = (1..=10).map(f64::from).collect();
        let other = aalen_johansen(&short, &o[..10]).unwrap();
        // 10 deals: need 1 at risk, the last day, 10.
        assert_eq!(common_horizon([&ci, &other]), Some(10.0));
        assert_eq!(median_at(&ci, 0.5, 0.95), None);
    }
}
