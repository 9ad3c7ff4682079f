//! Which attributes go with winning sooner: the hazard of winning, losses
//! and open deals censored, accounts as clusters.
//!
//! A level against the rest is the log-rank test, a numeric feature the
//! Cox score test of its ranks (scaled to 0–1, so a few extreme values do
//! not decide it), and a categorical across its levels the multivariate
//! log-rank test; each is a score test at β = 0 from whole-day histograms
//! ([`crate::stats::score_days`]), divided by the design effect of its
//! score residuals summed by account ([`crate::stats::rao_scott`]). Open
//! deals count up to the as-of date: a level whose deals are still open is
//! not judged on the ones that closed first.
//!
//! The hazard of winning rises with a higher win rate as well as with
//! shorter cycles; the effect is the one-step hazard ratio `exp(U/I)` (per
//! standard deviation of the ranks for a numeric feature).
//!
//! The residual sums read every deal once per level; above
//! [`RESIDUAL_ACCOUNTS`] accounts they are read on every `s`-th account
//! (by index) so that at most that many remain, which estimates the design
//! effect, a ratio, without bias; the statistic itself reads every deal.

use crate::features::{FeatureColumn, FeatureData};
use crate::stats::association::rank_counts;
use crate::stats::rao_scott::{corrected_p, mean_design_effect, solve, ClusteredScore};
use crate::stats::score_days::{CovariateDays, CoxScore};

/// Accounts whose deals the design effects of the speed tests read at most.
pub const RESIDUAL_ACCOUNTS: usize = 100_000;

/// A deal as the speed tests read it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub(super) account: u32,
    /// Whole days from creation to close, or to the as-of date while open.
    pub(super) day: u32,
    pub(super) won: bool,
}

/// Every deal of the run, and the accounts' deals the residual sums read.
pub(super) struct Timed {
    pub(super) rows: Vec<Row>,
    /// The deals of every `stride`-th account, in account order.
    sampled: Vec<Row>,
    pub(super) days_len: usize,
    /// Deals per account.
    deals: Vec<u32>,
}

impl Timed {
    /// From every deal (`rows`) of `n_accounts` accounts.
    pub(super) fn new(rows: Vec<Row>, n_accounts: usize) -> Timed {
        let days_len = rows.iter().map(|r| r.day as usize + 1).max().unwrap_or(0);
        let mut deals = vec![0u32; n_accounts];
        for r in &rows {
            deals[r.account as usize] += 1;
        }
        let with_deals = deals.iter().filter(|&&n| n > 0).count();
        let stride = with_deals.div_ceil(RESIDUAL_ACCOUNTS).max(1) as u32;
        let mut sampled: Vec<Row> = rows
            .iter()
            .filter(|r| r.account % stride == 0)
            .copied()
            .collect();
        if !sampled.is_sorted_by_key(|r| r.account) {
            sampled.sort_by_key(|r| r.account);
        }
        Timed {
            rows,
            sampled,
            days_len,
            deals,
        }
    }
}

/// One speed test: the plain statistic and its p-value with accounts as
/// clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SpeedTest {
    pub(super) statistic: f64,
    pub(super) df: u64,
    pub(super) p_value: f64,
    pub(super) p_value_unclustered: f64,
    pub(super) design_effect: f64,
    /// Accounts the denominator degrees of freedom count; `None` without an
    /// account holding two deals.
    pub(super) accounts: Option<u64>,
    /// One-step hazard ratio (for a categorical across levels, its level's
    /// farthest from 1).
    pub(super) hazard_ratio: f64,
    /// Deals and wins in the test.
    pub(super) deals: u64,
    pub(super) won: u64,
}

fn test_of(statistic: f64, df: u64, design_effect: f64, accounts: Option<u64>) -> (f64, f64) {
    (
        corrected_p(statistic, df, design_effect, accounts),
        corrected_p(statistic, df, 1.0, None),
    )
}

/// Per level of `f` (by index), its speed test against the rest; and, for
/// a categorical, the test across its levels. Deals whose account has no
/// level (a null, or a category not among the levels) are left out.
pub(super) fn level_speed(
    f: &FeatureColumn,
    t: &Timed,
) -> (Vec<Option<SpeedTest>>, Option<SpeedTest>) {
    let k = f.levels().len();
    let levels = |a: u32| -> Option<&[u32]> {
        let ls = f.levels_of(a as usize)?;
        match &f.data {
            FeatureData::Categorical(_) if ls.iter().all(|&l| l as usize >= k) => None,
            _ => Some(ls),
        }
    };
    let (mut ended, mut won) = (vec![0.0; t.days_len], vec![0.0; t.days_len]);
    let (mut lev_ended, mut lev_won) = (
        vec![vec![0.0; t.days_len]; k],
        vec![vec![0.0; t.days_len]; k],
    );
    let (mut deals, mut wins) = (0u64, 0u64);
    for r in &t.rows {
        let Some(ls) = levels(r.account) else {
            continue;
        };
        let d = r.day as usize;
        ended[d] += 1.0;
        won[d] += f64::from(u8::from(r.won));
        deals += 1;
        wins += u64::from(r.won);
        for &l in ls.iter().filter(|&&l| (l as usize) < k) {
            lev_ended[l as usize][d] += 1.0;
            lev_won[l as usize][d] += f64::from(u8::from(r.won));
        }
    }
    let mut accounts = vec![0u64; k];
    let mut total_accounts = 0u64;
    for (a, &n) in t.deals.iter().enumerate() {
        if n == 0 {
            continue;
        }
        if let Some(ls) = levels(a as u32) {
            total_accounts += 1;
            for &l in ls.iter().filter(|&&l| (l as usize) < k) {
                accounts[l as usize] += 1;
            }
        }
    }
    let cox: Vec<CoxScore> = (0..k)
        .map(|l| {
            CoxScore::new(&CovariateDays::indicator(
                &ended,
                &won,
                &lev_ended[l],
                &lev_won[l],
            ))
        })
        .collect();
    let (scores, across) = residual_sums(f, t, &cox, &levels);
    let per_level = (0..k)
        .map(|l| {
            let statistic = cox[l].statistic()?;
            let s = &scores[l];
            let d = s.design_effect();
            let g = s
                .clustering
                .then(|| accounts[l].min(total_accounts - accounts[l]));
            let (p, plain) = test_of(statistic, 1, d, g);
            Some(SpeedTest {
                statistic,
                df: 1,
                p_value: p,
                p_value_unclustered: plain,
                design_effect: d,
                accounts: g,
                hazard_ratio: cox[l].hazard_ratio()?,
                deals: lev_ended[l].iter().sum::<f64>() as u64,
                won: lev_won[l].iter().sum::<f64>() as u64,
            })
        })
        .collect::<Vec<_>>();
    let across = across.and_then(|a| {
        let present: Vec<usize> = (0..k)
            .filter(|&l| lev_ended[l].iter().any(|&x| x > 0.0))
            .collect();
        across_levels(&cox, &present, a, total_accounts, &per_level, (deals, wins))
    });
    (per_level, across)
}

/// The multivariate log-rank test across the `present` levels (the last
/// left out), from the levels' scores and the clustered and deal-by-deal
/// residual products `(C, D, clustering)` over all levels.
fn across_levels(
    cox: &[CoxScore],
    present: &[usize],
    (c, d, clustering): (Vec<Vec<f64>>, Vec<Vec<f64>>, bool),
    accounts: u64,
    per_level: &[Option<SpeedTest>],
    (deals, won): (u64, u64),
) -> Option<SpeedTest> {
    if present.len() < 2 {
        return None;
    }
    let ls = &present[..present.len() - 1];
    let weight = &cox[0].weight;
    let v: Vec<Vec<f64>> = ls
        .iter()
        .map(|&l| {
            ls.iter()
                .map(|&m| {
                    (0..weight.len())
                        .map(|t| {
                            let (a, b) = (cox[l].mean[t], cox[m].mean[t]);
                            weight[t] * (if l == m { a } else { 0.0 } - a * b)
                        })
                        .sum()
                })
                .collect()
        })
        .collect();
    let u: Vec<Vec<f64>> = ls.iter().map(|&l| vec![cox[l].score]).collect();
    let x = solve(&v, &u)?;
    let statistic: f64 = ls.iter().zip(&x).map(|(&l, xl)| cox[l].score * xl[0]).sum();
    let pick = |m: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        ls.iter()
            .map(|&l| ls.iter().map(|&q| m[l][q]).collect())
            .collect()
    };
    let de = mean_design_effect(&pick(&c), &pick(&d), clustering)?;
    let df = ls.len() as u64;
    let g = clustering.then_some(accounts);
    let (p, plain) = test_of(statistic, df, de, g);
    let hazard_ratio = per_level
        .iter()
        .flatten()
        .map(|s| s.hazard_ratio)
        .max_by(|a, b| a.ln().abs().total_cmp(&b.ln().abs()))?;
    Some(SpeedTest {
        statistic,
        df,
        p_value: p,
        p_value_unclustered: plain,
        design_effect: de,
        accounts: g,
        hazard_ratio,
        deals,
        won,
    })
}

/// Per level, its residuals summed by account over the sampled deals; for
/// a categorical also the `k × k` clustered and deal-by-deal products of
/// the residual vectors, and whether an account holds two deals.
#[allow(clippy::type_complexity)]
fn residual_sums<'a>(
    f: &FeatureColumn,
    t: &Timed,
    cox: &[CoxScore],
    levels: &dyn Fn(u32) -> Option<&'a [u32]>,
) -> (
    Vec<ClusteredScore>,
    Option<(Vec<Vec<f64>>, Vec<Vec<f64>>, bool)>,
) {
    let k = cox.len();
    let multivariate = matches!(f.data, FeatureData::Categorical(_)) && k >= 2;
    let mut scores = vec![ClusteredScore::default(); k];
    let (mut c, mut d) = (vec![vec![0.0; k]; k], vec![vec![0.0; k]; k]);
    let mut clustering = false;
    let (mut sum, mut squares, mut r) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for run in t.sampled.chunk_by(|a, b| a.account == b.account) {
        let Some(ls) = levels(run[0].account) else {
            continue;
        };
        sum.iter_mut().for_each(|x| *x = 0.0);
        squares.iter_mut().for_each(|x| *x = 0.0);
        for row in run {
            for (l, c) in cox.iter().enumerate() {
                let x = f64::from(u8::from(ls.contains(&(l as u32))));
                r[l] = c.residual(row.day as usize, row.won, x);
                sum[l] += r[l];
                squares[l] += r[l] * r[l];
            }
            if multivariate {
                outer_add(&mut d, &r, &r);
            }
        }
        for l in 0..k {
            scores[l].add_account(sum[l], squares[l], run.len() as u64);
        }
        if multivariate {
            outer_add(&mut c, &sum, &sum);
            clustering |= run.len() > 1;
        }
    }
    (scores, multivariate.then_some((c, d, clustering)))
}

fn outer_add(m: &mut [Vec<f64>], a: &[f64], b: &[f64]) {
    for (row, &x) in m.iter_mut().zip(a) {
        for (cell, &y) in row.iter_mut().zip(b) {
            *cell += x * y;
        }
    }
}

/// A numeric feature's Cox score test of the deal-weighted ranks of its
/// values, scaled to 0–1; deals of accounts with a null are left out.
pub(super) fn numeric_speed(v: &[f64], t: &Timed) -> Option<SpeedTest> {
    let known: Vec<usize> = (0..v.len())
        .filter(|&a| !v[a].is_nan() && t.deals[a] > 0)
        .collect();
    let xs: Vec<f64> = known.iter().map(|&a| v[a]).collect();
    let ws: Vec<u64> = known.iter().map(|&a| u64::from(t.deals[a])).collect();
    let n: u64 = ws.iter().sum();
    if n < 3 {
        return None;
    }
    let mut u = vec![f64::NAN; v.len()];
    for (&a, r) in known.iter().zip(rank_counts(&xs, &ws)) {
        u[a] = r / n as f64;
    }
    let mut days = CovariateDays::new(t.days_len);
    let (mut wins, mut s1, mut s2) = (0u64, 0.0, 0.0);
    for r in t.rows.iter().filter(|r| !u[r.account as usize].is_nan()) {
        let x = u[r.account as usize];
        days.add(r.day as usize, r.won, x);
        wins += u64::from(r.won);
        s1 += x;
        s2 += x * x;
    }
    let cox = CoxScore::new(&days);
    let statistic = cox.statistic()?;
    let sd = (s2 / n as f64 - (s1 / n as f64).powi(2)).max(0.0).sqrt();
    let mut s = ClusteredScore::default();
    for run in t.sampled.chunk_by(|a, b| a.account == b.account) {
        let x = u[run[0].account as usize];
        if x.is_nan() {
            continue;
        }
        let (mut sum, mut sq) = (0.0, 0.0);
        for row in run {
            let r = cox.residual(row.day as usize, row.won, x);
            sum += r;
            sq += r * r;
        }
        s.add_account(sum, sq, run.len() as u64);
    }
    let de = s.design_effect();
    let g = s.clustering.then_some(known.len() as u64);
    let (p, plain) = test_of(statistic, 1, de, g);
    Some(SpeedTest {
        statistic,
        df: 1,
        p_value: p,
        p_value_unclustered: plain,
        design_effect: de,
        accounts: g,
        hazard_ratio: (cox.score / cox.variance * sd).exp(),
        deals: n,
        won: wins,
    })
}
