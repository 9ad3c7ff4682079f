//! Which segments win fastest: segments ranked by P(won within a horizon)
//! (Aalen–Johansen, losses competing, open deals censored), compared on that
//! same quantity with variances that allow for deals clustered in accounts,
//! pairwise differences corrected by Holm, and the median days to win read
//! at a horizon where every segment still has deals at risk.

use serde::Serialize;

use crate::io::contract::Deals;
use crate::outcomes::outcome;
use crate::stats::cif_compare::{
    compare_at_horizon, CifComparison, CifDifference, GroupDeals, MedianAt,
};
use crate::stats::conversion::Interval;
use crate::stats::survival::Outcome;

/// One segment's place in the speed ranking.
#[derive(Debug, Clone, Serialize)]
pub struct RankedSegment {
    pub segment: u32,
    pub rank: usize,
    /// P(won within `ranking_horizon_days`), Aalen–Johansen.
    pub probability: f64,
    /// Cluster-robust log-log interval (deals clustered in accounts).
    pub interval: Option<Interval>,
    /// Cluster-robust over deal-by-deal variance of `probability`.
    pub design_effect: f64,
    /// Segments whose P(won within the horizon) this one's does not differ
    /// from: Holm-adjusted pairwise p at or above 1 − confidence (see
    /// `pairwise`).
    pub not_distinguishable_from: Vec<u32>,
    /// Median days to win read at `common_horizon_days`, with its interval;
    /// null when no deal was won by then.
    pub median_days_to_win: Option<MedianAt>,
}

/// The speed ranking and the tests behind it.
#[derive(Debug, Clone, Serialize)]
pub struct SpeedReport {
    /// The test of difference in P(won within the horizon) between segments.
    pub test: String,
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    /// Horizon the ranking uses, days.
    pub ranking_horizon_days: u32,
    /// Where every segment still has deals at risk (at least 10% of its
    /// deals or 20 deals, whichever is fewer), days: medians are read here.
    pub common_horizon_days: Option<f64>,
    pub ranking: Vec<RankedSegment>,
    /// Every pair of segments: difference of P(won within the horizon),
    /// its cluster-robust standard error, z-test p and Holm-adjusted p.
    pub pairwise: Vec<CifDifference>,
}

/// The horizon the ranking reads: 90 days when it is one of `horizons`,
/// else the middle one.
pub fn ranking_horizon(horizons: &[u32]) -> u32 {
    if horizons.contains(&90) {
        90
    } else {
        horizons[horizons.len() / 2]
    }
}

/// Ranks the segments of `labels` (account → index into `ids`) by
/// P(won within the ranking horizon) and tests their differences at
/// `confidence`. `Err` holds why the ranking could not be made.
pub fn rank_segments(
    deals: &Deals,
    labels: &[usize],
    ids: &[u32],
    horizons: &[u32],
    confidence: f64,
) -> Result<SpeedReport, String> {
    let horizon = ranking_horizon(horizons);
    let by_segment = split_by_segment(deals, labels, ids.len());
    let groups: Vec<GroupDeals> = ids
        .iter()
        .zip(&by_segment)
        .filter(|(_, (t, _, _))| !t.is_empty())
        .map(|(&id, (t, o, a))| GroupDeals {
            id,
            durations: t,
            outcomes: o,
            clusters: a,
        })
        .collect();
    let cmp = compare_at_horizon(&groups, f64::from(horizon), confidence).ok();
    let Some((cmp, test)) = cmp.and_then(|c| c.test.map(|t| (c, t))) else {
        return Err(format!(
            "comparing segments needs at least two segments with a won deal within {horizon} days"
        ));
    };
    Ok(SpeedReport {
        test: "Wald test of equal P(won within the horizon) across segments, Aalen–Johansen with cluster-robust variances (accounts)".into(),
        statistic: test.statistic,
        df: test.df as f64,
        p_value: test.p_value,
        ranking_horizon_days: horizon,
        common_horizon_days: cmp.common_horizon,
        ranking: ranking(&cmp, confidence),
        pairwise: cmp.pairwise,
    })
}

type SegmentDeals = (Vec<f64>, Vec<Outcome>, Vec<u32>);

/// Durations, outcomes and accounts of each segment's deals.
fn split_by_segment(deals: &Deals, labels: &[usize], segments: usize) -> Vec<SegmentDeals> {
    let mut by_segment = vec![(vec![], vec![], vec![]); segments];
    for i in 0..deals.len() {
        let (t, o, a) = &mut by_segment[labels[deals.account[i] as usize]];
        t.push(deals.duration(i));
        o.push(outcome(deals.outcome[i]));
        a.push(deals.account[i]);
    }
    by_segment
}

/// Segments from highest P(won within the horizon) down, ties by id; each
/// with the segments its Holm-adjusted pairwise test does not reject.
fn ranking(cmp: &CifComparison, confidence: f64) -> Vec<RankedSegment> {
    let mut order: Vec<usize> = (0..cmp.groups.len()).collect();
    let key = |i: usize| (cmp.groups[i].cif.estimate, cmp.groups[i].id);
    order.sort_by(|&x, &y| key(y).0.total_cmp(&key(x).0).then(key(x).1.cmp(&key(y).1)));
    let alike = |a: u32, b: u32| {
        cmp.pairwise.iter().any(|d| {
            ((d.a, d.b) == (a, b) || (d.a, d.b) == (b, a)) && d.p_value_holm >= 1.0 - confidence
        })
    };
    order
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let g = &cmp.groups[i];
            RankedSegment {
                segment: g.id,
                rank: r + 1,
                probability: g.cif.estimate,
                interval: Some(g.cif.interval),
                design_effect: g.cif.design_effect,
                not_distinguishable_from: order
                    .iter()
                    .map(|&j| cmp.groups[j].id)
                    .filter(|&o| alike(g.id, o))
                    .collect(),
                median_days_to_win: g.median,
            }
        })
        .collect()
}
