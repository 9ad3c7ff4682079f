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

/// The joint model of fit and readiness (one model for what acts
/// together): a ridge logistic regression of won vs lost on the fit-score
/// columns and the signal columns at once, split into the fit score (its
/// fit part, with the signals held at the reference row's values) and the
/// readiness part (the signals' coefficients, centred on the reference).
///
/// `logit P(win) = b₀ + β_f · fit + β_s · signals` gives the fit score
/// `b₀ + β_s · s̄ + β_f · fit` and the readiness part `β_s · (signals − s̄)`,
/// whose sum is the joint log-odds. Fitting the fit score first and the
/// signals on its log-odds as an offset would let fit absorb whatever part
/// of a signal runs with it, and bias both.
pub(super) struct JointTerms<'a> {
    /// The fit-score and signal columns, ascending; shut fit columns read
    /// as zeros.
    pub(super) terms: Terms<'a>,
    /// The signal columns (those the gate lets into readiness), ascending.
    pub(super) signals: &'a [usize],
    /// The reference row: the signals' values the fit score holds them at.
    pub(super) reference: &'a [f64],
}

/// A joint model split into its parts.
pub(super) struct JointFit {
    /// The fit part at the reference signals: zero on the signal columns.
    pub(super) fit: Logistic,
    /// The signals' part, zero off the signal columns, with intercept
    /// `−β_s · s̄`; `None` without a signal column.
    pub(super) signals: Option<Logistic>,
}

impl JointTerms<'_> {
    /// The joint model fitted on `rows` ([`fit_score`]), split.
    pub(super) fn fit(&self, rows: Rows<'_>) -> Option<JointFit> {
        Some(self.split(fit_score(rows, &self.terms)?))
    }

    /// `joint` split into the fit part at the reference signals and the
    /// signals' part around them.
    pub(super) fn split(&self, joint: Logistic) -> JointFit {
        if self.signals.is_empty() {
            return JointFit {
                fit: joint,
                signals: None,
            };
        }
        let mut fit = joint.clone();
        let mut signals = Logistic {
            intercept: 0.0,
            coef: vec![0.0; joint.coef.len()],
            ..joint
        };
        let mut at_reference = 0.0;
        for &j in self.signals {
            at_reference += fit.coef[j] * self.reference[j];
            signals.coef[j] = fit.coef[j];
            fit.coef[j] = 0.0;
        }
        fit.intercept += at_reference;
        signals.intercept = -at_reference;
        JointFit {
            fit,
            signals: Some(signals),
        }
    }
}

/// The readiness model: the signals' part of the joint model (`signals`,
/// on `columns`), banded by the tertiles of readiness among the accounts
/// in the ICP (all accounts when none is) of `matrix`. `None` without
/// a signal part.
pub(super) fn readiness_model(
    signals: Option<Logistic>,
    matrix: &FeatureMatrix,
    specs: &[FeatureSpec],
    columns: &[usize],
    reference_log_odds: f64,
    in_icp: &[bool],
) -> Option<ReadinessModel> {
    let score = signals?;
    let mut features: Vec<String> = columns
        .iter()
        .map(|&j| specs[matrix.feature_of[j]].name.clone())
        .collect();
    features.dedup();
    let mut model = ReadinessModel {
        score,
        reference_log_odds,
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

#[cfg(test)]
mod joint_tests {
    use super::*;
    use crate::stats::prec::{rel_close, REL_EPS};

    #[derive(serde::Deserialize)]
    struct Fixture {
        x: Vec<Vec<f64>>,
        won: Vec<f64>,
        lost: Vec<f64>,
        intercept: f64,
        coef: Vec<f64>,
    }

    fn fixture() -> (FeatureMatrix, Fixture) {
        let f: Fixture = serde_json::from_str(include_str!(
            "../../tests/fixtures/readiness_joint/joint.json"
        ))
        .unwrap();
        let x = ndarray::Array2::from_shape_vec(
            (f.x.len(), 2),
            f.x.iter().flatten().copied().collect(),
        )
        .unwrap();
        let matrix = FeatureMatrix {
            x,
            columns: vec!["fit".into(), "signal".into()],
            feature_of: vec![0, 1],
        };
        (matrix, f)
    }

    /// A signal higher in the accounts that fit (fit effect 1.5, signal
    /// effect 0.8): the joint model gives statsmodels' unpenalised binomial
    /// GLM's coefficients without a penalty, and within 10% with the fit
    /// score's penalty, fitted as the run fits it; fitting fit first and the
    /// signal on its log-odds as an offset gives fit more than 10% too much
    /// and the signal too little (over 5% less). Its split adds back up to the joint
    /// log-odds, with the fit part zero on the signal.
    /// Reference: tests/fixtures/readiness_joint/make_joint.py.
    #[test]
    fn the_joint_model_recovers_statsmodels_fit_and_signal_effects() {
        let (matrix, f) = fixture();
        let reference = mean_row(&matrix);
        let joint = JointTerms {
            terms: Terms::default(),
            signals: &[1],
            reference: &reference,
        };
        let exact = Logistic::fit(matrix.x.view(), &f.won, &f.lost, 0.0).unwrap();
        assert!(
            rel_close(exact.intercept, f.intercept, REL_EPS),
            "{exact:?}"
        );
        for (a, b) in exact.coef.iter().zip(&f.coef) {
            assert!(rel_close(*a, *b, REL_EPS), "{a} vs {b}");
        }
        let rows = Rows {
            matrix: &matrix,
            won: &f.won,
            lost: &f.lost,
        };
        let split = joint.fit(rows).unwrap();
        let signals = split.signals.as_ref().unwrap();
        let within = |a: f64, b: f64| ((a - b) / b).abs() < 0.10;
        assert!(within(split.fit.coef[0], f.coef[0]), "{:?}", split.fit);
        assert!(within(signals.coef[1], f.coef[1]), "{signals:?}");
        assert_eq!((split.fit.coef[1], signals.coef[0]), (0.0, 0.0));
        let whole = fit_score(rows, &Terms::default()).unwrap();
        for r in matrix.x.outer_iter().take(50) {
            let r = row_of(&r);
            let parts = split.fit.log_odds(&r) + signals.log_odds(&r);
            assert!((parts - whole.log_odds(&r)).abs() < 1e-12);
        }
        // At the reference signal, the signals' part is zero.
        assert!(signals.log_odds(&reference).abs() < 1e-12);

        // Fit first, then the signal on its log-odds as an offset.
        let only = |c: &'static [usize], offset| Terms {
            columns: Some(c),
            offset,
            zeroed: None,
        };
        let first = fit_score(rows, &only(&[0], None)).unwrap();
        let eta: Vec<f64> = (matrix.x.outer_iter())
            .map(|r| first.log_odds(&row_of(&r)))
            .collect();
        let then = fit_score(rows, &only(&[1], Some(&eta))).unwrap();
        assert!(first.coef[0] > 1.1 * f.coef[0], "{first:?}");
        assert!(then.coef[1] < 0.95 * f.coef[1], "{then:?}");
    }
}

#[cfg(test)]
mod work_now_sim {
    use super::*;
    use crate::recommend::readiness_evidence::{work_now_test, AccountDeals};
    use rand::{Rng, SeedableRng};

    /// A book: the share of accounts that fit, how much higher the signal
    /// runs in them, the base log-odds, the spread of the accounts' own
    /// effects (deals of one account are alike), and deals per account
    /// in each window (1 to `deals`).
    struct Book {
        fit_share: f64,
        rides: f64,
        base: f64,
        account_sd: f64,
        deals: u32,
    }

    const BOOKS: [Book; 2] = [
        Book {
            fit_share: 0.4,
            rides: 1.2,
            base: -1.0,
            account_sd: 0.6,
            deals: 3,
        },
        Book {
            fit_share: 0.2,
            rides: 0.6,
            base: -1.8,
            account_sd: 1.0,
            deals: 5,
        },
    ];

    fn normal(rng: &mut rand_xoshiro::Xoshiro256Plus) -> f64 {
        let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// One book of 600 accounts whose signal has effect `effect`: the joint
    /// model fitted on the training deals, the accounts banded by the
    /// tertiles of readiness, and (the test, whether high beats low in raw
    /// win rate) on the held-out deals.
    fn run(book: &Book, effect: f64, seed: u64) -> (bool, bool) {
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
        let n = 600;
        let mut x = ndarray::Array2::<f64>::zeros((n, 2));
        let mut truth = vec![0.0; n];
        for i in 0..n {
            let fit = f64::from(u8::from(rng.gen::<f64>() < book.fit_share));
            x[[i, 0]] = fit;
            x[[i, 1]] = book.rides * fit + normal(&mut rng);
            let eta = book.base + 1.5 * fit + effect * x[[i, 1]];
            truth[i] = eta + book.account_sd * normal(&mut rng);
        }
        let deals = |rng: &mut rand_xoshiro::Xoshiro256Plus| {
            let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
            for i in 0..n {
                for _ in 0..rng.gen_range(1..=book.deals) {
                    if rng.gen::<f64>() < logistic::probability(truth[i]) {
                        won[i] += 1.0;
                    } else {
                        lost[i] += 1.0;
                    }
                }
            }
            (won, lost)
        };
        let (won, lost) = deals(&mut rng);
        let (held_won, held_lost) = deals(&mut rng);
        let matrix = FeatureMatrix {
            x,
            columns: vec!["fit".into(), "signal".into()],
            feature_of: vec![0, 1],
        };
        let reference = mean_row(&matrix);
        let joint = JointTerms {
            terms: Terms::default(),
            signals: &[1],
            reference: &reference,
        };
        let rows = Rows {
            matrix: &matrix,
            won: &won,
            lost: &lost,
        };
        let split = joint.fit(rows).unwrap();
        let signals = split.signals.unwrap();
        let row = |i: usize| row_of(&matrix.x.row(i)).into_owned();
        let readiness: Vec<f64> = (0..n).map(|i| signals.log_odds(&row(i))).collect();
        let bands = BandThresholds::tertiles(&readiness).unwrap();
        let of = |b: crate::recommend::readiness::Band| -> Vec<AccountDeals> {
            (0..n)
                .filter(|&i| bands.band(readiness[i]) == b)
                .map(|i| AccountDeals {
                    won: held_won[i],
                    closed: held_won[i] + held_lost[i],
                    fit: split.fit.log_odds(&row(i)),
                })
                .collect()
        };
        use crate::recommend::readiness::Band;
        let (high, low) = (of(Band::High), of(Band::Low));
        let rate = |v: &[AccountDeals]| {
            v.iter().map(|a| a.won).sum::<f64>() / v.iter().map(|a| a.closed).sum::<f64>()
        };
        let test = work_now_test(&high, &low, "held-out").unwrap();
        (test.significant, rate(&high) > rate(&low))
    }

    /// "Work now the high-readiness accounts" rests on the held-out test:
    /// on books whose signal has no effect of its own but runs with fit,
    /// and whose deals cluster in accounts, it is significant in at most
    /// 7.5% of 400 books (a true 5% gives about 20 ± 4.4, a true 10% about
    /// 40 ± 6), while "high beats low" in raw win rate, the old rule, holds
    /// in over a third of them (the joint model's signal weight is about 0
    /// either way round, and the bands then split by fit); with a signal effect of 0.5 the test finds it in at
    /// least 80% of 100 books.
    #[test]
    fn work_now_only_on_a_tested_difference_beyond_fit() {
        let (mut false_calls, mut raw_calls, mut found) = (0, 0, 0);
        for (b, book) in BOOKS.iter().enumerate() {
            for seed in 0..200 {
                let (significant, raw) = run(book, 0.0, 1000 * b as u64 + seed);
                false_calls += usize::from(significant);
                raw_calls += usize::from(raw);
            }
            for seed in 0..50 {
                found += usize::from(run(book, 0.5, 7000 + 1000 * b as u64 + seed).0);
            }
        }
        assert!(false_calls <= 30, "{false_calls} of 400 null books");
        assert!(raw_calls > 150, "raw high > low in {raw_calls} of 400");
        assert!(found >= 80, "{found} of 100 books with an effect");
    }
}
