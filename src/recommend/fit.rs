//! What is fitted on the training deals: the fit score, the readiness
//! model, the tier thresholds, the segments' expected deal values, and the
//! [`Model`] that holds them.

use super::carve::{self, CarveTest};
use super::logistic::{self, row_of, Logistic, Terms};
use super::model::{Model, Scores, SegmentModel, TierSizes, TierThresholds, MODEL_VERSION};
use super::readiness::{BandThresholds, ReadinessModel};
use super::rules::Criteria;
use super::split::Training;
use crate::domain::OutcomeLabel;
use crate::features::{FeatureColumn, FeatureMatrix, FeatureSpec, Gate, Use};
use crate::io::contract::Deals;
use crate::stats::descriptive::cut_between;
use crate::verdict::Window;

/// The fit score is fitted on at most this many accounts with closed deals
/// (a seeded sample beyond it); its coefficients are stable long before.
pub const MAX_SCORE_ACCOUNTS: usize = 200_000;

/// Ridge penalty of the fit score (on standardised features).
pub const RIDGE_LAMBDA: f64 = 1.0;

/// The rows a score is fitted on (evidence rows: accounts, or account
/// versions with a history), with each row's won and lost training deals.
#[derive(Clone, Copy)]
pub(super) struct Rows<'a> {
    pub(super) matrix: &'a FeatureMatrix,
    pub(super) won: &'a [f64],
    pub(super) lost: &'a [f64],
}

/// The mean won amount per segment and over all segments, from won deals
/// given as (segment, amount); amounts that are NaN (missing) are skipped.
/// The mean, not the median: win probability × mean amount is the
/// expected value of a deal, and won amounts are usually skewed.
fn mean_won_amounts(
    wins: impl Iterator<Item = (usize, f64)>,
    k: usize,
) -> (Vec<Option<f64>>, Option<f64>) {
    let mut sums = vec![(0.0, 0u64); k];
    let mut all = (0.0, 0u64);
    for (segment, amount) in wins.filter(|(_, a)| !a.is_nan()) {
        sums[segment].0 += amount;
        sums[segment].1 += 1;
        all.0 += amount;
        all.1 += 1;
    }
    let mean = |(sum, n): (f64, u64)| (n > 0).then(|| sum / n as f64);
    (sums.into_iter().map(mean).collect(), mean(all))
}

/// The mean encoded row: the reference account of the contributions and of
/// the readiness score.
pub(super) fn mean_row(matrix: &FeatureMatrix) -> Vec<f64> {
    matrix
        .x
        .mean_axis(ndarray::Axis(0))
        .map_or_else(|| vec![0.0; matrix.columns.len()], |m| m.to_vec())
}

/// The readiness model: the features the gate lets into readiness
/// (signals, not shut) on top of the fit log-odds, banded by the tertiles
/// of readiness among the accounts in the ICP (all accounts when none is).
/// `None` without such a column.
///
/// It is fitted on `rows` and banded on `matrix` (the accounts).
pub(super) fn readiness_model(
    rows: Rows<'_>,
    matrix: &FeatureMatrix,
    specs: &[FeatureSpec],
    gate: &Gate,
    fit: &Logistic,
    baseline: &[f64],
    in_icp: &[bool],
) -> Option<ReadinessModel> {
    let columns = gate.columns(specs, matrix, Use::Readiness);
    if columns.is_empty() {
        return None;
    }
    let offset: Vec<f64> = (rows.matrix.x.outer_iter())
        .map(|r| fit.log_odds(&row_of(&r)))
        .collect();
    let score = fit_score(
        rows,
        &Terms {
            columns: Some(&columns),
            offset: Some(&offset),
            zeroed: None,
        },
    )?;
    let mut features: Vec<String> = columns
        .iter()
        .map(|&j| specs[matrix.feature_of[j]].name.clone())
        .collect();
    features.dedup();
    let mut model = ReadinessModel {
        score,
        reference_log_odds: fit.log_odds(baseline),
        features,
        bands: BandThresholds {
            medium_min: 0.0,
            high_min: 0.0,
        },
    };
    let icp = in_icp.iter().any(|&x| x);
    let p: Vec<f64> = matrix
        .x
        .outer_iter()
        .zip(in_icp)
        .filter(|&(_, &inside)| inside || !icp)
        .map(|(r, _)| model.probability(&row_of(&r)))
        .collect();
    model.bands = BandThresholds::tertiles(&p)?;
    Some(model)
}

/// A score on won/lost counts per row. Beyond `MAX_SCORE_ACCOUNTS` rows
/// with closed deals, fit on a seeded sample.
pub(super) fn fit_score(rows: Rows<'_>, terms: &Terms<'_>) -> Option<Logistic> {
    let Rows { matrix, won, lost } = rows;
    let n = won.len();
    let active: Vec<usize> = (0..n).filter(|&i| won[i] + lost[i] > 0.0).collect();
    if active.len() > MAX_SCORE_ACCOUNTS {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(42);
        let (mut w, mut l) = (vec![0.0; n], vec![0.0; n]);
        for j in rand::seq::index::sample(&mut rng, active.len(), MAX_SCORE_ACCOUNTS) {
            w[active[j]] = won[active[j]];
            l[active[j]] = lost[active[j]];
        }
        Logistic::fit_with(matrix.x.view(), &w, &l, RIDGE_LAMBDA, terms)
    } else {
        Logistic::fit_with(matrix.x.view(), won, lost, RIDGE_LAMBDA, terms)
    }
}

/// Each row's expected wins from its signals and relationships alone: its
/// closed deals times the win probability of a logistic model on all the
/// features, with every column an ICP criterion may rest on (fit, by
/// [`crate::features::Role::uses`]) held at its mean over closed deals, and
/// the `zeroed` (shut) columns read as zeros.
/// The yardstick of a core ICP refinement's materiality
/// ([`super::rules::learn`]), so a fit condition that only stands in for a
/// relationship or a signal does not look like fit. `None` without a
/// signal or relationship feature, or when the model cannot be fitted.
pub(super) fn non_fit_expected(
    rows: Rows<'_>,
    zeroed: Option<&[bool]>,
    specs: &[FeatureSpec],
    gate: &Gate,
) -> Option<Vec<f64>> {
    let Rows { matrix, won, lost } = rows;
    let fit = gate.role_columns(specs, matrix, Use::IcpCriterion);
    let non_fit: Vec<usize> = (0..matrix.columns.len())
        .filter(|j| fit.binary_search(j).is_err())
        .collect();
    if non_fit.iter().all(|&j| zeroed.is_some_and(|z| z[j])) {
        return None;
    }
    let joint = fit_score(
        rows,
        &Terms {
            zeroed,
            ..Terms::default()
        },
    )?;
    // A `zeroed` column is read as zeros, as the fit read it.
    let is_zeroed = |j: usize| zeroed.is_some_and(|z| z[j]);
    let x = |i: usize, j: usize| if is_zeroed(j) { 0.0 } else { matrix.x[[i, j]] };
    let closed: f64 = won.iter().zip(lost).map(|(w, l)| w + l).sum();
    // Each fit column's sum over the rows, weighted by closed deals: one
    // pass along the rows, each column adding its terms in row order (from
    // -0.0, as `Iterator::sum` does), so the sums are those of a pass down
    // each column.
    let mut sums = vec![-0.0; fit.len()];
    for i in 0..won.len() {
        let trials = won[i] + lost[i];
        for (s, &j) in sums.iter_mut().zip(&fit) {
            *s += x(i, j) * trials;
        }
    }
    let mut base = joint.intercept;
    for (&j, sum) in fit.iter().zip(sums) {
        base += joint.coef[j] * (sum / closed.max(1.0));
    }
    Some(
        (0..won.len())
            .map(|i| {
                let z = base
                    + non_fit
                        .iter()
                        .map(|&j| joint.coef[j] * x(i, j))
                        .sum::<f64>();
                (won[i] + lost[i]) * logistic::probability(z)
            })
            .collect(),
    )
}

/// The k-means segments the model places accounts in.
pub(super) struct KMeans<'a> {
    /// Each account's segment (0-based).
    pub(super) labels: &'a [usize],
    pub(super) centroids: &'a ndarray::Array2<f64>,
    /// Per encoded column, the weight applied before clustering.
    pub(super) column_weights: &'a [f64],
}

/// Segment centroids and the mean won amount per segment, from training
/// wins; with `carved` (the accounts in the core ICP), the core ICP is a
/// segment of its own after the k-means ones.
fn segment_model(t: &Training, kmeans: &KMeans, carved: Option<&[bool]>) -> SegmentModel {
    let deals = t.deals;
    let k = kmeans.centroids.nrows();
    let labels = match carved {
        Some(in_icp) => std::borrow::Cow::Owned(carve::carved_labels(kmeans.labels, in_icp, k)),
        None => std::borrow::Cow::Borrowed(kmeans.labels),
    };
    let segments = k + usize::from(carved.is_some());
    let wins = (0..deals.len())
        .filter(|&i| t.in_train(i) && deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| (labels[deals.account[i] as usize], deals.amount[i]));
    let (expected_won_amount, overall_expected_won_amount) = mean_won_amounts(wins, segments);
    SegmentModel {
        ids: (1..=segments as u32).collect(),
        centroids: kmeans.centroids.outer_iter().map(|r| r.to_vec()).collect(),
        column_weights: kmeans.column_weights.to_vec(),
        expected_won_amount,
        overall_expected_won_amount,
        core_icp_carved: carved.is_some(),
    }
}

/// The segment model, with the core ICP carved out as a segment when its
/// held-out test says so, and that test.
pub(super) fn segments_with_carve(
    criteria: &Criteria,
    in_icp: &[bool],
    t: &Training,
    kmeans: &KMeans,
) -> (SegmentModel, Option<CarveTest>) {
    let k = kmeans.centroids.nrows();
    let carve = carve::core_icp_test(criteria, in_icp, kmeans.labels, k, t);
    let carved = (carve.as_ref()).is_some_and(|t| t.carves());
    let segments = segment_model(t, kmeans, carved.then_some(in_icp));
    (segments, carve)
}

/// Tier thresholds from the ranking of in-ICP accounts by fit score:
/// halfway between the score of the last account that fits in Tier 1 (and
/// in Tiers 1–2) and the next lower score, so the model as SQL puts every
/// training account in the same tier as `score` (see [`cut_between`]).
pub(super) fn tier_thresholds(
    matrix: &FeatureMatrix,
    score: &Logistic,
    in_icp: &[bool],
    sizes: &TierSizes,
) -> TierThresholds {
    let n = matrix.x.nrows();
    let mut icp_p: Vec<f64> = (0..n)
        .filter(|&i| in_icp[i])
        .map(|i| logistic::probability(score.log_odds(&row_of(&matrix.x.row(i)))))
        .collect();
    icp_p.sort_by(|a, b| b.total_cmp(a));
    let (t1, t2) = sizes.sizes(n);
    let at = |rank: usize| {
        let i = rank.saturating_sub(1);
        match icp_p.get(i) {
            Some(&last_in) => cut_between(
                last_in,
                icp_p[i + 1..].iter().copied().find(|&p| p < last_in),
            ),
            // No account in the ICP: no tier, and a threshold no
            // probability passes (finite, for model.json and SQL).
            None => 1.0,
        }
    };
    TierThresholds {
        tier1_min_probability: at(t1.min(icp_p.len())),
        tier2_min_probability: at((t1 + t2).min(icp_p.len())),
    }
}

/// What was fitted on the training deals.
pub(super) struct Fitted {
    pub(super) score: Logistic,
    pub(super) readiness: Option<ReadinessModel>,
    /// The mean encoded row of the training accounts.
    pub(super) baseline: Vec<f64>,
    pub(super) criteria: Criteria,
    pub(super) thresholds: TierThresholds,
    pub(super) segments: SegmentModel,
}

/// Where a model comes from, as `model.json` records it.
pub(super) struct Origin<'a> {
    /// The deals as of the as-of date.
    pub(super) deals: &'a Deals,
    pub(super) trained_on: Window,
    pub(super) accounts_sha256: &'a str,
    pub(super) account_id_column: &'a str,
}

/// The model `score` applies, and its scores of these accounts, whose
/// distributions are the model's drift baseline.
pub(super) fn build_model(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    origin: Origin<'_>,
    fitted: Fitted,
) -> (Model, Scores) {
    let model = Model {
        model_version: MODEL_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: crate::dates::format_date(origin.deals.as_of),
        trained_on: origin.trained_on,
        accounts_sha256: origin.accounts_sha256.to_string(),
        deals_sha256: origin.deals.file.sha256.clone(),
        account_id_column: origin.account_id_column.to_string(),
        features: features.iter().map(|f| f.spec.clone()).collect(),
        encoded_columns: matrix.columns.clone(),
        score_baseline: fitted.baseline,
        score: fitted.score,
        readiness: fitted.readiness,
        criteria: fitted.criteria,
        thresholds: fitted.thresholds,
        segments: fitted.segments,
        baseline: crate::drift::Baseline {
            features: vec![],
            fit_score: crate::drift::Bins::Levels {
                labels: vec![],
                shares: vec![],
            },
            accounts: None,
        },
    };
    let scores = model.apply_encoded(features, matrix);
    let mut model = model;
    model.baseline = crate::drift::baseline(features, &scores.probability);
    (model, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: segment 0 won 1, 2 and 99 (mean 34, median 2);
    /// segment 1 has one win without an amount, segment 2 none; over all,
    /// (1 + 2 + 99 + 10) / 4 = 28.
    #[test]
    fn expected_won_amount_is_the_mean_not_the_median() {
        let wins = [(0, 1.0), (0, 2.0), (0, 99.0), (1, f64::NAN), (3, 10.0)];
        let (per_segment, overall) = mean_won_amounts(wins.into_iter(), 4);
        assert_eq!(per_segment, vec![Some(34.0), None, None, Some(10.0)]);
        assert_eq!(overall, Some(28.0));
    }
}
