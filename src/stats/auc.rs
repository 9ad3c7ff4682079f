//! The area under the ROC curve with an interval that allows for deals
//! clustered in accounts (DeLong's variance times the design effect of the
//! clustering).

use crate::stats::association::rankdata;
use crate::stats::conversion::{two_sided_z, Interval};
use crate::stats::influence::design_effect;
use serde::Serialize;

/// AUC with its DeLong and cluster-robust uncertainty, from [`roc_auc_clustered`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusteredAuc {
    /// As scikit-learn `roc_auc_score` (ties count one half).
    pub auc: f64,
    /// DeLong's standard error, deals taken as independent.
    pub std_error_independent: f64,
    /// `Σ_a (Σ_{i∈a} IF_i)² / Σ_i IF_i²` of the DeLong influences.
    pub design_effect: f64,
    /// `std_error_independent × sqrt(design_effect)`.
    pub std_error: f64,
    /// `auc ± z·std_error`, clipped to [0, 1].
    pub interval: Interval,
}

/// AUC of `scores` for `labels` (true = won) with a cluster-robust interval.
///
/// DeLong, DeLong & Clarke-Pearson (1988): with `M` positives and `N`
/// negatives, `V10_i` the share of negatives a positive outranks (ties one
/// half) and `V01_j` the share of positives that outrank a negative, the
/// variance is `S10/M + S01/N` with `S10`, `S01` the sample variances
/// (divisor `M - 1`, `N - 1`) of the `V10` and `V01`. Each deal's influence
/// on the AUC is `(V10_i - AUC)/M` or `(V01_j - AUC)/N`; the variance is
/// scaled by the design effect of summing them per account, which is exactly
/// 1 with one deal per account. Scores shared by all deals of an account (a
/// fit score is) make the design effect large.
///
/// `None` without both a positive and a negative, with fewer than two of
/// either, with a NaN score or with slices of different lengths.
pub fn roc_auc_clustered(
    scores: &[f64],
    labels: &[bool],
    clusters: &[u32],
    confidence: f64,
) -> Option<ClusteredAuc> {
    if scores.len() != labels.len() || scores.len() != clusters.len() {
        return None;
    }
    let m = labels.iter().filter(|&&l| l).count();
    let n = labels.len() - m;
    if m < 2 || n < 2 {
        return None;
    }
    let pick = |want: bool| -> Vec<f64> {
        (0..scores.len())
            .filter(|&i| labels[i] == want)
            .map(|i| scores[i])
            .collect()
    };
    let (all, pos, neg) = (
        rankdata(scores)?,
        rankdata(&pick(true))?,
        rankdata(&pick(false))?,
    );
    let (mf, nf) = (m as f64, n as f64);
    // V10_i = (rank among all - rank among positives) / N; likewise for V01.
    let (mut ip, mut ineg) = (0, 0);
    let v: Vec<f64> = (0..scores.len())
        .map(|i| {
            if labels[i] {
                ip += 1;
                (all[i] - pos[ip - 1]) / nf
            } else {
                ineg += 1;
                1.0 - (all[i] - neg[ineg - 1]) / mf
            }
        })
        .collect();
    let auc = (0..v.len())
        .filter(|&i| labels[i])
        .map(|i| v[i])
        .sum::<f64>()
        / mf;
    let influence: Vec<f64> = (0..v.len())
        .map(|i| (v[i] - auc) / if labels[i] { mf } else { nf })
        .collect();
    let ss = |want: bool| -> f64 {
        (0..v.len())
            .filter(|&i| labels[i] == want)
            .map(|i| (v[i] - auc).powi(2))
            .sum()
    };
    let var = ss(true) / ((mf - 1.0) * mf) + ss(false) / ((nf - 1.0) * nf);
    let (deff, _) = design_effect(&influence, clusters);
    let std_error = (var * deff).sqrt();
    let z = two_sided_z(confidence).unwrap_or(f64::NAN);
    Some(ClusteredAuc {
        auc,
        std_error_independent: var.sqrt(),
        design_effect: deff,
        std_error,
        interval: Interval {
            lo: (auc - z * std_error).max(0.0),
            hi: (auc + z * std_error).min(1.0),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::conversion::roc_auc;
    use crate::stats::prec::{rel_close, EXACT_EPS};

    #[test]
    fn delong_variance_on_four_deals_matches_the_hand_computation() {
        // positives 0.4, 0.8; negatives 0.1, 0.4.
        // V10(0.4) = (1 + ½)/2 = 3/4, V10(0.8) = 1; V01(0.1) = 1, V01(0.4) = (½ + 1)/2 = 3/4.
        // AUC = 7/8; S10 = S01 = 2·(1/8)² / 1 = 1/32; Var = (1/32)/2 + (1/32)/2 = 1/32.
        let s = [0.1, 0.4, 0.4, 0.8];
        let l = [false, true, false, true];
        let r = roc_auc_clustered(&s, &l, &[0, 1, 2, 3], 0.95).unwrap();
        assert!(rel_close(r.auc, 0.875, EXACT_EPS));
        assert!(rel_close(
            r.std_error_independent,
            (1.0f64 / 32.0).sqrt(),
            EXACT_EPS
        ));
        assert_eq!(r.design_effect, 1.0);
        assert_eq!(r.std_error, r.std_error_independent);
        assert_eq!(r.interval.hi, 1.0);
    }

    #[test]
    fn the_estimate_is_scikit_learns_and_clustering_only_widens_the_interval() {
        // Deals 0-1 and 2-3 and 4-5 share an account and a score.
        let s = [0.9, 0.9, 0.2, 0.2, 0.6, 0.6, 0.3, 0.7];
        let l = [true, true, false, false, true, false, false, true];
        let singles = roc_auc_clustered(&s, &l, &[0, 1, 2, 3, 4, 5, 6, 7], 0.95).unwrap();
        let pairs = roc_auc_clustered(&s, &l, &[0, 0, 1, 1, 2, 2, 3, 4], 0.95).unwrap();
        assert!(rel_close(singles.auc, roc_auc(&s, &l).unwrap(), EXACT_EPS));
        assert_eq!(singles.auc, pairs.auc);
        assert_eq!(singles.std_error, singles.std_error_independent);
        assert!(pairs.design_effect > 1.0, "{pairs:?}");
        assert!(pairs.interval.hi - pairs.interval.lo > singles.interval.hi - singles.interval.lo);
    }

    #[test]
    fn auc_needs_two_of_each_label() {
        assert_eq!(
            roc_auc_clustered(&[0.1, 0.2, 0.3], &[true, false, false], &[0, 1, 2], 0.95),
            None
        );
        assert_eq!(
            roc_auc_clustered(&[0.1, 0.2], &[true, false], &[0], 0.95),
            None
        );
    }
}
