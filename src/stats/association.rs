//! Associations between account features and winning or speed of winning:
//! correlations, contingency tables, rank tests, multiple-testing control,
//! population stability, and p-value formatting.

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;

use crate::stats::conversion::{chi2_sf, TestResultDf};

/// A correlation coefficient and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    /// Correlation coefficient in `[-1, 1]`.
    pub r: f64,
    /// Two-sided p-value of `r = 0`.
    pub p_value: f64,
}

/// Result of [`chi2_contingency`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Chi2Result {
    /// Pearson's chi-square statistic (no continuity correction).
    pub statistic: f64,
    /// Degrees of freedom `(r - 1)(c - 1)` of the reduced table.
    pub dof: u64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Cramér's V, `sqrt(chi2 / (n·(min(r, c) - 1)))`.
    pub cramers_v: f64,
}

/// Proportion substituted for an empty bin in [`psi`].
pub const PSI_EPS: f64 = 1e-4;

/// Average ranks (1-based) of values known to hold no NaN, and the tie
/// term `Σ (t³ - t)` over groups of `t` tied values.
fn rank_average(x: &[f64]) -> (Vec<f64>, f64) {
    // Sorting (value, position) pairs keeps the sort in cache, unlike sorting
    // positions by an indirect comparison.
    let mut sorted: Vec<(f64, u32)> = x.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut ranks = vec![0.0; x.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let v = sorted[i].0;
        let mut j = i + 1;
        while j < sorted.len() && sorted[j].0 == v {
            j += 1;
        }
        // Positions i..j (0-based) share the average of ranks i+1 ..= j.
        let avg = (i + 1 + j) as f64 / 2.0;
        for &(_, k) in &sorted[i..j] {
            ranks[k as usize] = avg;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    (ranks, ties)
}

/// Average ranks, 1-based, with tied values sharing the mean of their ranks.
///
/// Mirrors scipy `rankdata(x, method="average")`. Returns `None` when a
/// value is NaN.
pub fn rankdata(x: &[f64]) -> Option<Vec<f64>> {
    if x.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(rank_average(x).0)
}

/// Pearson correlation with a two-sided p-value from Student's t with
/// `n - 2` degrees of freedom, written as the regularized incomplete beta
/// `I_{1-r²}((n-2)/2, 1/2)` so that tiny p-values keep their accuracy.
fn pearson(x: &[f64], y: &[f64]) -> Option<Correlation> {
    if x.len() != y.len() {
        return None;
    }
    pearson_counts(|| x.iter().zip(y).map(|(&a, &b)| (a, b, 1)))
}

/// [`pearson`] of pairs given with multiplicities: `(x, y, m)` stands for
/// `m` copies of the pair, and the result equals Pearson's r (and p) on the
/// data written out in full. `pairs` is called twice (means, then centred
/// sums). This is how deal-level correlations are computed from per-account
/// counts without a row per deal.
pub fn pearson_counts<I>(pairs: impl Fn() -> I) -> Option<Correlation>
where
    I: Iterator<Item = (f64, f64, u64)>,
{
    let (mut n, mut sx, mut sy) = (0u64, 0.0, 0.0);
    for (x, y, m) in pairs() {
        let mf = m as f64;
        n += m;
        sx += mf * x;
        sy += mf * y;
    }
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let (mx, my) = (sx / nf, sy / nf);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y, m) in pairs() {
        let (mf, dx, dy) = (m as f64, x - mx, y - my);
        sxx += mf * dx * dx;
        syy += mf * dy * dy;
        sxy += mf * dx * dy;
    }
    // Overflowing sums (values near f64::MAX) give no correlation rather than a NaN.
    if !(sxx > 0.0 && syy > 0.0 && sxx.is_finite() && syy.is_finite() && sxy.is_finite()) {
        return None;
    }
    let r = (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0);
    if r.is_nan() {
        return None;
    }
    let df = nf - 2.0;
    let one_minus_r2 = (1.0 - r) * (1.0 + r);
    let p_value = if one_minus_r2 <= 0.0 {
        0.0
    } else {
        beta_reg(df / 2.0, 0.5, one_minus_r2)
    };
    Some(Correlation { r, p_value })
}

/// Average ranks of values given with multiplicities: entry `i` stands for
/// `counts[i]` copies of `values[i]`, and gets the rank those copies would
/// have in the data written out in full (ties share the mean rank, as in
/// [`rankdata`]). Sorting the distinct entries is enough, however large the
/// counts. Values must not be NaN.
pub fn rank_counts(values: &[f64], counts: &[u64]) -> Vec<f64> {
    assert_eq!(values.len(), counts.len(), "a count per value");
    let mut sorted: Vec<(f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut ranks = vec![0.0; values.len()];
    let mut below = 0u64;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        let mut t = 0u64;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            t += counts[sorted[j].1 as usize];
            j += 1;
        }
        let avg = below as f64 + (t as f64 + 1.0) / 2.0;
        for &(_, k) in &sorted[i..j] {
            ranks[k as usize] = avg;
        }
        below += t;
        i = j;
    }
    ranks
}

/// Point-biserial correlation between a numeric feature and winning.
///
/// Mirrors scipy `pointbiserialr(y, x)`: the Pearson correlation of `x` with
/// `y` coded 0/1, with the two-sided p-value of Student's t on `n - 2`
/// degrees of freedom (scipy's beta-distribution form of the same p).
///
/// Returns `None` when the lengths differ, `n < 3`, a value of `x` is not
/// finite, or either variable is constant.
///
/// # Remarks
/// The p-value is `I_{1-r²}((n-2)/2, 1/2)` from `statrs` `beta_reg`,
/// accurate far into the tail.
pub fn pointbiserialr(x: &[f64], y: &[bool]) -> Option<Correlation> {
    if x.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let y01: Vec<f64> = y.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    pearson(x, &y01)
}

/// Spearman rank correlation.
///
/// Mirrors scipy `spearmanr(x, y)`: the Pearson correlation of average
/// ranks (ties share the mean rank), with the two-sided p-value of
/// `t = r·sqrt((n-2)/(1-r²))` on `n - 2` degrees of freedom.
///
/// Returns `None` when the lengths differ, `n < 3`, a value is NaN, or
/// either variable is constant (scipy returns NaN).
///
/// # Remarks
/// Source: scipy 1.17 `spearmanr` (two-sided). The t tail is evaluated as
/// `I_{1-r²}((n-2)/2, 1/2)` with statrs `beta_reg`, as in
/// [`pointbiserialr`].
pub fn spearmanr(x: &[f64], y: &[f64]) -> Option<Correlation> {
    if x.len() != y.len() || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let (rx, _) = rank_average(x);
    let (ry, _) = rank_average(y);
    pearson(&rx, &ry)
}

/// Pearson's chi-square test of independence on an r×c table of counts.
///
/// Mirrors scipy `chi2_contingency(table, correction=False)` and, for
/// Cramér's V, `scipy.stats.contingency.association(table, method="cramer")`.
/// Rows and columns whose total is zero are dropped first (scipy raises on
/// them); expected counts are `row·col/n`, the statistic is
/// `Σ (obs - exp)² / exp` with `(r-1)(c-1)` degrees of freedom, and the
/// p-value is the upper incomplete gamma `Q(dof/2, chi2/2)`.
///
/// Returns `None` when rows have different lengths or fewer than two rows
/// or columns remain after dropping empty ones.
///
/// # Remarks
/// Source: scipy 1.17 `chi2_contingency(correction=False)`. Dropping empty
/// rows and columns is a deviation (scipy raises because an expected count
/// is zero); the result equals scipy's on the reduced table.
pub fn chi2_contingency(table: &[Vec<u64>]) -> Option<Chi2Result> {
    let ncol = table.first()?.len();
    if table.iter().any(|row| row.len() != ncol) {
        return None;
    }
    let row_tot: Vec<u64> = table.iter().map(|row| row.iter().sum()).collect();
    let col_tot: Vec<u64> = (0..ncol)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let rows: Vec<usize> = (0..table.len()).filter(|&i| row_tot[i] > 0).collect();
    let cols: Vec<usize> = (0..ncol).filter(|&j| col_tot[j] > 0).collect();
    if rows.len() < 2 || cols.len() < 2 {
        return None;
    }
    let n: u64 = row_tot.iter().sum();
    let nf = n as f64;
    let mut stat = 0.0;
    for &i in &rows {
        for &j in &cols {
            let e = row_tot[i] as f64 * col_tot[j] as f64 / nf;
            let d = table[i][j] as f64 - e;
            stat += d * d / e;
        }
    }
    let dof = ((rows.len() - 1) * (cols.len() - 1)) as u64;
    let k = rows.len().min(cols.len()) as f64 - 1.0;
    Some(Chi2Result {
        statistic: stat,
        dof,
        p_value: chi2_sf(stat, dof as f64),
        cramers_v: (stat / (nf * k)).sqrt(),
    })
}

/// Kruskal–Wallis H test that several groups share one distribution.
///
/// Mirrors scipy `kruskal(*groups)`: with average ranks over all values,
/// `H = 12/(N(N+1))·Σ n_j (R̄_j - (N+1)/2)²`, divided by the tie correction
/// `1 - Σ(t³ - t)/(N³ - N)`, referred to chi-square with `k - 1` degrees
/// of freedom.
///
/// Returns `None` when there are fewer than two groups, a group is empty,
/// a value is NaN, or all values are equal (scipy raises).
///
/// # Remarks
/// scipy evaluates `12/(N(N+1))·Σ R_j²/n_j - 3(N+1)`, which is the same
/// quantity; the centred form used here avoids its cancellation when `H` is
/// small, so for near-null data the two agree to absolute rather than
/// relative precision.
pub fn kruskal(groups: &[&[f64]]) -> Option<TestResultDf> {
    if groups.len() < 2 || groups.iter().any(|g| g.is_empty()) {
        return None;
    }
    let all: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    if all.iter().any(|v| v.is_nan()) {
        return None;
    }
    let (ranks, ties) = rank_average(&all);
    let mut start = 0;
    let rank_sums: Vec<(f64, u64)> = groups
        .iter()
        .map(|g| {
            let sum = ranks[start..start + g.len()].iter().sum::<f64>();
            start += g.len();
            (sum, g.len() as u64)
        })
        .collect();
    kruskal_from_rank_sums(&rank_sums, ties)
}

/// [`kruskal`] for small non-negative integers (such as days), given as one
/// histogram per group: `counts[j][v]` is how many values of group `j` equal
/// `v`. Ranks come from the pooled histogram, so no value is sorted: the cost
/// is the histogram length per group, whatever the number of values.
///
/// Returns `None` in the same cases as [`kruskal`] (an empty group counts as
/// a group with no values).
pub fn kruskal_counts(counts: &[&[u64]]) -> Option<TestResultDf> {
    if counts.len() < 2 {
        return None;
    }
    let len = counts.iter().map(|c| c.len()).max().unwrap_or(0);
    let mut below = 0u64;
    let mut ties = 0.0;
    let mut rank_sums = vec![(0.0, 0u64); counts.len()];
    for v in 0..len {
        let t: u64 = counts.iter().map(|c| c.get(v).copied().unwrap_or(0)).sum();
        if t == 0 {
            continue;
        }
        // Values ranked below + 1 ..= below + t share their average rank.
        let avg = below as f64 + (t as f64 + 1.0) / 2.0;
        for (c, rs) in counts.iter().zip(&mut rank_sums) {
            let m = c.get(v).copied().unwrap_or(0);
            rs.0 += m as f64 * avg;
            rs.1 += m;
        }
        let tf = t as f64;
        ties += tf * tf * tf - tf;
        below += t;
    }
    if rank_sums.iter().any(|r| r.1 == 0) {
        return None;
    }
    kruskal_from_rank_sums(&rank_sums, ties)
}

/// H from each group's rank sum and size, and the tie term `Σ (t³ - t)`.
fn kruskal_from_rank_sums(rank_sums: &[(f64, u64)], ties: f64) -> Option<TestResultDf> {
    let n = rank_sums.iter().map(|r| r.1).sum::<u64>() as f64;
    let correction = 1.0 - ties / (n * n * n - n);
    if correction <= 0.0 {
        return None;
    }
    let center = (n + 1.0) / 2.0;
    let ss: f64 = rank_sums
        .iter()
        .map(|&(sum, nj)| {
            let nj = nj as f64;
            let mean = sum / nj;
            nj * (mean - center) * (mean - center)
        })
        .sum();
    let h = 12.0 / (n * (n + 1.0)) * ss / correction;
    let df = (rank_sums.len() - 1) as u64;
    Some(TestResultDf {
        statistic: h,
        df,
        p_value: chi2_sf(h, df as f64),
    })
}

/// Benjamini–Hochberg adjusted p-values (q-values).
///
/// Mirrors statsmodels `multipletests(p, method="fdr_bh")[1]`: with the
/// `m` p-values sorted increasingly, `q_(i) = min_{j>=i} p_(j)·m/j`, capped
/// at 1, returned in the input order.
///
/// NaN entries are excluded from `m` and come back as NaN. Values are not
/// otherwise validated.
///
/// # Remarks
/// Source: statsmodels 0.15 `multipletests(method="fdr_bh")`, which has
/// no NaN handling of its own; the fixtures apply it to the non-NaN
/// entries.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = idx.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    let mut running = f64::INFINITY;
    for (pos, &i) in idx.iter().enumerate().rev() {
        let rank = (pos + 1) as f64;
        running = running.min(p[i] / (rank / m));
        q[i] = running.min(1.0);
    }
    q
}

/// numpy's default (`method="linear"`) quantile of sorted data, including
/// its interpolation formula.
fn quantile_linear(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * q;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let g = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if g >= 0.5 {
        b - diff * (1.0 - g)
    } else {
        a + diff * g
    }
}

/// Population stability index of `actual` against `expected`.
///
/// Convention (stated exactly, since PSI implementations differ):
/// 1. Cut points are the quantiles `k/bins`, `k = 1..bins-1`, of `expected`
///    (numpy's default linear interpolation), with duplicates removed, so
///    heavily tied data may give fewer than `bins` bins.
/// 2. Bins are right-closed: `(-∞, c1], (c1, c2], …, (c_last, +∞)`.
/// 3. Each bin's share of `expected` (`e_i`) and of `actual` (`a_i`); a share
///    that is exactly 0 is replaced by [`PSI_EPS`] (`1e-4`), without
///    renormalising.
/// 4. `PSI = Σ (a_i - e_i)·ln(a_i / e_i)`.
///
/// Returns `None` when either sample is empty, `bins < 2`, or a value is not
/// finite.
///
/// # Remarks
/// There is no library reference; the fixtures check this against an
/// independent numpy implementation of the same convention
/// (`np.quantile`, `np.unique`, `np.searchsorted(side="left")`).
pub fn psi(expected: &[f64], actual: &[f64], bins: usize) -> Option<f64> {
    if expected.is_empty() || actual.is_empty() || bins < 2 {
        return None;
    }
    if expected.iter().chain(actual).any(|v| !v.is_finite()) {
        return None;
    }
    let mut sorted = expected.to_vec();
    sorted.sort_unstable_by(|a, b| a.total_cmp(b));
    let mut cuts: Vec<f64> = (1..bins)
        .map(|k| quantile_linear(&sorted, k as f64 / bins as f64))
        .collect();
    cuts.dedup();
    let counts = |xs: &[f64]| {
        let mut c = vec![0u64; cuts.len() + 1];
        for &x in xs {
            c[cuts.partition_point(|&e| e < x)] += 1;
        }
        c
    };
    let shares = |c: Vec<u64>, n: usize| -> Vec<f64> {
        c.into_iter().map(|c| c as f64 / n as f64).collect()
    };
    Some(psi_from_shares(
        &shares(counts(expected), expected.len()),
        &shares(counts(actual), actual.len()),
    ))
}

/// PSI from bin shares already computed on the same bins: steps 3 and 4 of
/// [`psi`] (a share of exactly 0 becomes [`PSI_EPS`]).
pub fn psi_from_shares(expected: &[f64], actual: &[f64]) -> f64 {
    let floor = |s: f64| if s == 0.0 { PSI_EPS } else { s };
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (floor(e), floor(a));
            (a - e) * (a / e).ln()
        })
        .sum()
}

pub use crate::text::format_p;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::fixture::{num, nums, parse, uint, uints};
    use crate::stats::prec::{close, rel_close, EXACT_EPS, REL_EPS, UNIT_ABS_EPS};
    use serde_json::Value;

    const FIXTURE: &str = include_str!("../../tests/fixtures/stats/association.json");

    fn cases(key: &str) -> Vec<Value> {
        parse(FIXTURE)[key].as_array().expect("cases").clone()
    }

    fn bools(v: &Value) -> Vec<bool> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect()
    }

    #[test]
    fn rankdata_averages_tied_ranks() {
        // sorted: 1 (rank 1), 2 2 (ranks 2,3 → 2.5), 5 (rank 4)
        assert_eq!(
            rankdata(&[2.0, 1.0, 5.0, 2.0]).unwrap(),
            vec![2.5, 1.0, 4.0, 2.5]
        );
        assert_eq!(rankdata(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn counted_pairs_and_ranks_equal_the_data_written_out() {
        // Values with multiplicities, and the same data written out in full.
        let values = [3.0, 1.0, 3.0, 7.0, 0.5, 1.0];
        let counts = [2u64, 0, 3, 1, 4, 2];
        let ys = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
        let mut x_full = Vec::new();
        let mut y_full = Vec::new();
        for ((&v, &c), &y) in values.iter().zip(&counts).zip(&ys) {
            for _ in 0..c {
                x_full.push(v);
                y_full.push(y);
            }
        }
        let want = pearson(&x_full, &y_full).unwrap();
        let got = pearson_counts(|| {
            values
                .iter()
                .zip(&counts)
                .zip(&ys)
                .map(|((&v, &c), &y)| (v, y, c))
        })
        .unwrap();
        assert!(
            rel_close(got.r, want.r, EXACT_EPS) && rel_close(got.p_value, want.p_value, EXACT_EPS)
        );
        // Hand-worked: the full data sorted is 0.5×4, 1×2, 3×5, 7×1; 0.5
        // takes ranks 1–4 (2.5), 1 takes 5–6 (5.5), 3 takes 7–11 (9), 7 is 12.
        let r = rank_counts(&values, &counts);
        assert_eq!(r, vec![9.0, 5.5, 9.0, 12.0, 2.5, 5.5]);
        let full_ranks = rankdata(&x_full).unwrap();
        for (x, rank) in x_full.iter().zip(&full_ranks) {
            let i = values.iter().position(|v| v == x).unwrap();
            assert_eq!(r[i], *rank);
        }
    }

    #[test]
    fn pointbiserialr_matches_scipy_including_far_tails() {
        let mut saw_tiny = false;
        for c in cases("pointbiserialr") {
            let r = pointbiserialr(&nums(&c["x"]), &bools(&c["y"])).unwrap();
            let p = num(&c["p_value"]);
            saw_tiny |= p < 1e-20;
            assert!(
                close(r.r, num(&c["r"]), REL_EPS, UNIT_ABS_EPS),
                "{} {r:?}",
                c["name"]
            );
            assert!(rel_close(r.p_value, p, REL_EPS), "{} {r:?}", c["name"]);
        }
        assert!(saw_tiny, "fixture must exercise a p-value below 1e-20");
    }

    #[test]
    fn spearmanr_matches_scipy_with_ties() {
        let mut saw_tiny = false;
        for c in cases("spearmanr") {
            let r = spearmanr(&nums(&c["x"]), &nums(&c["y"])).unwrap();
            let p = num(&c["p_value"]);
            saw_tiny |= p < 1e-20;
            assert!(
                close(r.r, num(&c["r"]), REL_EPS, UNIT_ABS_EPS),
                "{} {r:?}",
                c["name"]
            );
            assert!(rel_close(r.p_value, p, REL_EPS), "{} {r:?}", c["name"]);
        }
        assert!(saw_tiny, "fixture must exercise a p-value below 1e-20");
    }

    #[test]
    fn correlations_are_none_for_constant_or_short_input() {
        assert_eq!(spearmanr(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pointbiserialr(&[1.0, 2.0], &[true, false]), None);
        assert_eq!(pointbiserialr(&[1.0, 2.0, 3.0], &[true, true, true]), None);
    }

    #[test]
    fn chi2_contingency_matches_scipy() {
        let mut saw_tiny = false;
        for c in cases("chi2") {
            let table: Vec<Vec<u64>> = c["table"].as_array().unwrap().iter().map(uints).collect();
            let r = chi2_contingency(&table).unwrap();
            let p = num(&c["p_value"]);
            saw_tiny |= p < 1e-20;
            assert_eq!(r.dof, uint(&c["dof"]), "{}", c["name"]);
            assert!(
                rel_close(r.statistic, num(&c["statistic"]), REL_EPS),
                "{} {r:?}",
                c["name"]
            );
            assert!(rel_close(r.p_value, p, REL_EPS), "{} {r:?}", c["name"]);
            assert!(
                rel_close(r.cramers_v, num(&c["cramers_v"]), REL_EPS),
                "{} {r:?}",
                c["name"]
            );
        }
        assert!(saw_tiny, "fixture must exercise a p-value below 1e-20");
    }

    #[test]
    fn chi2_contingency_on_a_2x2_table_matches_the_hand_computation() {
        // [[10, 20], [30, 40]]: n = 100, rows 30/70, cols 40/60
        // expected [[12, 18], [28, 42]]; (obs-exp)² = 4 in every cell
        // chi2 = 4/12 + 4/18 + 4/28 + 4/42 = 0.793650793650...
        // Cramér's V = sqrt(chi2 / 100)
        let r = chi2_contingency(&[vec![10, 20], vec![30, 40]]).unwrap();
        let chi2 = 4.0 / 12.0 + 4.0 / 18.0 + 4.0 / 28.0 + 4.0 / 42.0;
        assert!(rel_close(r.statistic, chi2, EXACT_EPS));
        assert_eq!(r.dof, 1);
        assert!(rel_close(r.cramers_v, (chi2 / 100.0).sqrt(), EXACT_EPS));
        // A zero row and a zero column are dropped: same result.
        let padded = chi2_contingency(&[vec![10, 0, 20], vec![0, 0, 0], vec![30, 0, 40]]).unwrap();
        assert_eq!(padded, r);
        assert_eq!(chi2_contingency(&[vec![1, 2], vec![0, 0]]), None);
    }

    #[test]
    fn kruskal_matches_scipy_with_ties() {
        let mut saw_tiny = false;
        for c in cases("kruskal") {
            let groups: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(nums).collect();
            let refs: Vec<&[f64]> = groups.iter().map(|g| g.as_slice()).collect();
            let r = kruskal(&refs).unwrap();
            let p = num(&c["p_value"]);
            saw_tiny |= p < 1e-20;
            assert_eq!(r.df, uint(&c["df"]), "{}", c["name"]);
            assert!(
                rel_close(r.statistic, num(&c["statistic"]), REL_EPS),
                "{} {r:?}",
                c["name"]
            );
            assert!(rel_close(r.p_value, p, REL_EPS), "{} {r:?}", c["name"]);
        }
        assert!(saw_tiny, "fixture must exercise a p-value below 1e-20");
    }

    /// Integer samples as one histogram per group.
    fn histograms(groups: &[Vec<f64>]) -> Vec<Vec<u64>> {
        let len = groups.iter().flatten().fold(0.0f64, |m, &v| m.max(v)) as usize + 1;
        groups
            .iter()
            .map(|g| {
                let mut h = vec![0u64; len];
                for &v in g {
                    h[v as usize] += 1;
                }
                h
            })
            .collect()
    }

    #[test]
    fn kruskal_from_histograms_matches_scipy_on_integer_data() {
        // Worked by hand: pooled ranks 0→1, 1→2.5, 2→5, 3→8, 5→10, 7→11.
        let groups = vec![
            vec![1.0, 2.0, 2.0, 5.0],
            vec![2.0, 3.0, 3.0, 3.0, 7.0],
            vec![0.0, 1.0],
        ];
        let h = histograms(&groups);
        let refs: Vec<&[u64]> = h.iter().map(|g| g.as_slice()).collect();
        let from_counts = kruskal_counts(&refs).unwrap();
        // Rank sums 22.5, 40, 3.5 over N = 11; ties: three 2s, three 3s, two 1s.
        let n = 11.0;
        let ss: f64 = [(22.5, 4.0), (40.0, 5.0), (3.5, 2.0)]
            .iter()
            .map(|&(r, m): &(f64, f64)| m * (r / m - 6.0).powi(2))
            .sum();
        let ties = 24.0 + 24.0 + 6.0;
        let expect = 12.0 / (n * (n + 1.0)) * ss / (1.0 - ties / (n * n * n - n));
        assert!(rel_close(from_counts.statistic, expect, EXACT_EPS));
        assert_eq!(from_counts.df, 2);
        // The fixture cases with non-negative integer values, through histograms.
        let mut integer_cases = 0;
        for c in cases("kruskal") {
            let groups: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(nums).collect();
            if !groups
                .iter()
                .flatten()
                .all(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 1e6)
            {
                continue;
            }
            integer_cases += 1;
            let h = histograms(&groups);
            let refs: Vec<&[u64]> = h.iter().map(|g| g.as_slice()).collect();
            let r = kruskal_counts(&refs).unwrap();
            assert!(
                rel_close(r.statistic, num(&c["statistic"]), REL_EPS),
                "{} {r:?}",
                c["name"]
            );
            assert!(rel_close(r.p_value, num(&c["p_value"]), REL_EPS));
        }
        assert!(
            integer_cases > 0,
            "the fixture needs an integer-valued case"
        );
    }

    #[test]
    fn kruskal_is_none_for_identical_values_or_an_empty_group() {
        assert_eq!(kruskal_counts(&[&[0, 2], &[0, 1]]), None);
        assert_eq!(kruskal_counts(&[&[0, 2], &[0, 0]]), None);
        assert_eq!(kruskal(&[&[1.0, 1.0], &[1.0]]), None);
        assert_eq!(kruskal(&[&[1.0, 2.0], &[]]), None);
        assert_eq!(kruskal(&[&[1.0, 2.0]]), None);
    }

    #[test]
    fn benjamini_hochberg_on_four_p_values_matches_the_hand_computation() {
        // sorted p: 0.01 0.02 0.03 0.5, m = 4
        // p·m/rank: 0.04 0.04 0.04 0.5 → running minimum from the top:
        //   rank 4: 0.5, rank 3: 0.04, rank 2: 0.04, rank 1: 0.04
        let q = benjamini_hochberg(&[0.03, 0.5, 0.01, 0.02]);
        let want = [0.04, 0.5, 0.04, 0.04];
        for (a, b) in q.iter().zip(want) {
            assert!(rel_close(*a, b, EXACT_EPS), "{q:?}");
        }
    }

    #[test]
    fn benjamini_hochberg_passes_nan_through_and_excludes_it_from_m() {
        // Without the NaN, m = 2: q = [0.02·2/1, 0.04·2/2] = [0.04, 0.04].
        let q = benjamini_hochberg(&[0.02, f64::NAN, 0.04]);
        assert!(rel_close(q[0], 0.04, EXACT_EPS));
        assert!(q[1].is_nan());
        assert!(rel_close(q[2], 0.04, EXACT_EPS));
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        for c in cases("bh") {
            let q = benjamini_hochberg(&nums(&c["p"]));
            let want = nums(&c["q"]);
            assert_eq!(q.len(), want.len());
            for (a, b) in q.iter().zip(&want) {
                assert!(rel_close(*a, *b, REL_EPS), "{} {a} {b}", c["name"]);
            }
        }
    }

    #[test]
    fn psi_on_ten_values_matches_the_hand_computation() {
        // expected 1..=10, bins = 2: cut = median = 5.5 (numpy linear)
        // bins (-inf, 5.5], (5.5, inf): expected shares 5/10, 5/10
        // actual [1, 2, 3, 7, 8, 9, 10, 11]: shares 3/8, 5/8
        // PSI = (3/8 - 1/2)·ln(3/4) + (5/8 - 1/2)·ln(5/4)
        //     = -0.125·(-0.28768207) + 0.125·0.22314355 = 0.06385320
        let expected: Vec<f64> = (1..=10).map(f64::from).collect();
        let actual = [1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 10.0, 11.0];
        let want = -0.125 * 0.75f64.ln() + 0.125 * 1.25f64.ln();
        assert!(rel_close(
            psi(&expected, &actual, 2).unwrap(),
            want,
            EXACT_EPS
        ));
    }

    #[test]
    fn psi_uses_the_epsilon_share_for_an_empty_bin() {
        // expected 1..=4, bins = 2: cut 2.5; expected shares ½, ½.
        // actual all ≤ 2.5: shares 1 and 0 → 0 becomes PSI_EPS = 1e-4.
        // PSI = (1 - ½)·ln(2) + (1e-4 - ½)·ln(1e-4/½)
        let got = psi(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0], 2).unwrap();
        let want = 0.5 * 2f64.ln() + (PSI_EPS - 0.5) * (PSI_EPS / 0.5).ln();
        assert!(rel_close(got, want, EXACT_EPS));
        assert_eq!(psi(&[1.0], &[1.0], 1), None);
        assert_eq!(psi(&[], &[1.0], 4), None);
    }

    #[test]
    fn psi_matches_an_independent_numpy_implementation() {
        for c in cases("psi") {
            let got = psi(
                &nums(&c["expected"]),
                &nums(&c["actual"]),
                uint(&c["bins"]) as usize,
            )
            .unwrap();
            assert!(
                rel_close(got, num(&c["psi"]), REL_EPS),
                "{} {got}",
                c["name"]
            );
        }
    }
}
