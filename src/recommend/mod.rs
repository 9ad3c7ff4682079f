//! What the team acts on: ICP criteria, a fit score per account, tier
//! thresholds — fitted on deals created before a cutoff, labelled as they
//! stood then, and validated on the deals of a later quarter that have had
//! time to close, which the model never saw.
//!
//! * Fit score and readiness score: one L2-regularised logistic regression
//!   of won vs lost closed deals on the encoded columns of the account's
//!   fit and relationship features and its buying signals together
//!   ([`logistic`], [`fit::JointTerms`]). The fit score (0–100) is its fit
//!   part with the signals held at the average account's: signals say when
//!   to act, not who the account is. Readiness is its signals' part, its
//!   tertiles high / medium / low, and the fit × readiness matrix
//!   ([`readiness`]).
//! * ICP criteria: greedy qualifying rules and clearly poor disqualifying
//!   conditions ([`rules`]).
//! * Tiers: among accounts in the ICP, the best-scoring ones up to the Tier 1
//!   size, then up to the Tier 2 size, then the rest of the ICP (Tier 3).
//!   Thresholds are the fit scores where the tiers start, so `score` can
//!   apply them to new accounts.
//! * Expected value: win probability × the mean won amount of the
//!   account's segment (training deals): with skewed amounts the mean, not
//!   the median, is the expectation of a won deal's value.
//!
//! One file per job: `model` (the model `score` applies, and applying it),
//! `split` (training and held-out deals), `fit` (fitting on the training
//! deals), `icp`, `tiers` and `validation` (the report's sections, whose
//! types are in `wire` and whose sentences in `text`). This file runs them
//! in order.

pub mod carve;
pub mod explain;
mod fit;
mod icp;
pub mod logistic;
mod model;
pub mod none_found;
pub mod readiness;
pub mod readiness_evidence;
pub mod rules;
mod split;
mod text;
mod tiers;
mod validation;
pub mod validation_gains;
mod wire;

pub use fit::{MAX_SCORE_ACCOUNTS, RIDGE_LAMBDA};
pub use model::{Model, Scores, SegmentModel, TierSizes, TierThresholds, MODEL_VERSION};
pub use split::{at_cutoff, counts, holdout_quarter, won_cycle_p90, FollowUp, FollowUpBasis};
pub use validation::{calibration, score_check, ACCOUNT_HOLDOUT_SHARE, ACCOUNT_SPLIT_SEED};
pub use wire::{
    AccountCheck, CalibrationBin, GroupFigures, IcpSection, ReadinessCheck, RecommendedTier,
    RuleEvidence, RuleSetEvidence, ScoreCheck, TiersSection, Validation,
};

use crate::features::evidence::Evidence;
use crate::features::{FeatureColumn, FeatureMatrix, FeatureSpec, Gate, Use};
use crate::io::contract::Deals;
use crate::outcomes::FigureOptions;
use fit::{Fitted, KMeans, Origin, Rows};
use logistic::Terms;
use rules::{Learned, RuleOptions};
use split::{Split, Training};

/// The output of [`recommend`].
pub struct Recommendation {
    pub icp: IcpSection,
    pub tiers: TiersSection,
    pub model: Model,
    pub scores: Scores,
    /// The held-out test of the core ICP against the rest of the segments
    /// it sits in; carved out as a segment when it [`carve::CarveTest::carves`].
    pub carve: Option<carve::CarveTest>,
}

impl Recommendation {
    /// The core ICP carved out of the `k` k-means segments of `labels`,
    /// when its held-out test carves it.
    pub fn carved<'a>(&'a self, labels: &'a [usize], k: usize) -> Option<carve::Carved<'a>> {
        let test = self.carve.as_ref().filter(|t| t.carves())?;
        Some(carve::Carved {
            test,
            criteria: &self.icp.core.text,
            in_icp: &self.scores.in_icp,
            kmeans_labels: labels,
            k,
        })
    }
}

/// Inputs that are not accounts or deals.
pub struct Context<'a> {
    pub labels: &'a [usize],
    pub centroids: &'a ndarray::Array2<f64>,
    pub column_weights: &'a [f64],
    pub opts: &'a FigureOptions,
    pub sizes: &'a TierSizes,
    pub rules: &'a RuleOptions,
    pub account_id_column: &'a str,
    pub accounts_sha256: &'a str,
    /// Which feature may be used for what: its role, and whether it was
    /// shut out as likely post-outcome.
    pub gate: &'a Gate,
}

/// Fit the ICP, score and tiers on deals before the held-out quarter, and
/// validate them on it; each deal explained by its account's features today.
pub fn recommend(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    deals: &Deals,
    ctx: &Context<'_>,
) -> Option<Recommendation> {
    let ev = Evidence::snapshot(features, matrix.x.nrows(), deals);
    recommend_with(features, matrix, deals, &ev, ctx)
}

/// [`recommend`] with each deal explained by the evidence row `ev` gives it
/// (the features as of its creation, with an account history). The ICP
/// criteria, the fit score's coefficients and the criteria's evidence are
/// learned on the rows; scores, tiers and thresholds are the accounts' today.
pub fn recommend_with(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    deals: &Deals,
    ev: &Evidence,
    ctx: &Context<'_>,
) -> Option<Recommendation> {
    let split = Split::new(deals)?;
    let train_deals = split.training_deals(deals);
    let in_train = |i: usize| split.in_train(&train_deals, i);
    let (won, lost) = counts(&train_deals, &ev.row_of_deal, ev.rows(), &in_train);
    let (tw, tl): (f64, f64) = (won.iter().sum(), lost.iter().sum());
    if tw == 0.0 || tl == 0.0 {
        // Nothing tells winners from losers; the caller says why.
        return None;
    }
    let train = Training {
        deals: &train_deals,
        all: deals,
        split: &split,
        overall: tw / (tw + tl),
        opts: ctx.opts,
        ev,
    };
    let rows = Rows {
        matrix: ev.matrix(matrix),
        won: &won,
        lost: &lost,
    };
    fit_and_validate(features, matrix, &train, rows, ctx)
}

/// [`recommend_with`] once the training deals are counted per evidence
/// row: the model fitted, applied to every account, and its sections.
fn fit_and_validate(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    t: &Training,
    rows: Rows<'_>,
    ctx: &Context<'_>,
) -> Option<Recommendation> {
    let specs: Vec<FeatureSpec> = features.iter().map(|f| f.spec.clone()).collect();
    // The fit score keeps a column for every feature of a fit-score role;
    // a shut feature's column is read as zeros, so its coefficient is
    // exactly 0 in the fit and in the account-held-out check alike. The
    // signals the gate lets into readiness are fitted with them, in one
    // model ([`fit::JointTerms`]).
    let fit_columns = ctx.gate.role_columns(&specs, matrix, Use::FitScore);
    let signal_columns = ctx.gate.columns(&specs, matrix, Use::Readiness);
    let mut joint_columns = [fit_columns.as_slice(), signal_columns.as_slice()].concat();
    joint_columns.sort_unstable();
    joint_columns.dedup();
    let leaks = ctx.gate.shut_columns(&specs, matrix);
    let baseline = fit::mean_row(matrix);
    let joint = fit::JointTerms {
        terms: Terms {
            columns: Some(&joint_columns),
            offset: None,
            zeroed: leaks.as_deref(),
        },
        signals: &signal_columns,
        reference: &baseline,
    };
    let by_row = t.ev.by_row(t.deals);
    std::thread::scope(|s| {
        // The criteria read none of the fit score, the account-held-out check
        // none of the model: a second thread learns the one while the score
        // is fitted, then runs the other, done (and its copies of the counts
        // freed) before every account's score and contributions are built.
        let criteria = s.spawn(|| learn_criteria(rows, leaks.as_deref(), &specs, t.ev, ctx));
        let fitted = joint.fit(rows);
        let Learned {
            criteria,
            first_step_z,
        } = crate::parallel::joined(criteria);
        let fit::JointFit {
            fit: score,
            signals,
        } = fitted?;
        let by_account = s.spawn(|| {
            let in_train = |i: usize| t.in_train(i);
            (t.split.validated)
                .then(|| {
                    validation::validate_by_account(rows, &joint, &by_row, &in_train, ctx.opts)
                })
                .flatten()
        });
        let in_icp = criteria.in_icp(features, matrix.x.nrows());
        let kmeans = KMeans {
            labels: ctx.labels,
            centroids: ctx.centroids,
            column_weights: ctx.column_weights,
        };
        let (segments, carve) = fit::segments_with_carve(&criteria, &in_icp, t, &kmeans);
        let reference_log_odds = score.log_odds(&baseline);
        let readiness = fit::readiness_model(
            signals,
            matrix,
            &specs,
            &signal_columns,
            reference_log_odds,
            &in_icp,
        );
        let thresholds = fit::tier_thresholds(matrix, &score, &in_icp, ctx.sizes);
        let fitted = Fitted {
            score,
            readiness,
            baseline: baseline.clone(),
            criteria,
            thresholds,
            segments,
        };
        let by_account = crate::parallel::joined(by_account);
        let origin = Origin {
            deals: t.all,
            trained_on: t.split.trained_on(),
            accounts_sha256: ctx.accounts_sha256,
            account_id_column: ctx.account_id_column,
        };
        let (model, scores) = fit::build_model(features, matrix, origin, fitted);
        let (icp, tiers) =
            sections_side_by_side(t, &model, &scores, ctx.sizes, (by_account, first_step_z));
        Some(Recommendation {
            icp,
            tiers,
            model,
            scores,
            carve,
        })
    })
}

/// The ICP criteria, their refinements judged against each row's expected
/// wins from its signals and relationships alone
/// ([`fit::non_fit_expected`]).
fn learn_criteria(
    rows: Rows<'_>,
    leaks: Option<&[bool]>,
    specs: &[FeatureSpec],
    ev: &Evidence,
    ctx: &Context<'_>,
) -> Learned {
    let expected = fit::non_fit_expected(rows, leaks, specs, ctx.gate);
    rules::learn_guarded(
        &ev.features,
        rows.won,
        rows.lost,
        expected.as_deref(),
        ctx.rules,
        ctx.gate,
    )
}

/// The ICP section, and beside it on a second thread the tiers section
/// with its held-out validation (`by_account` the fit score's check on
/// accounts it never saw) and its fit × readiness matrix: each reads the
/// model and the scores only. `first_step_z` is the z the ICP's first
/// criterion had to pass, which sizes "no ICP found"'s sample.
fn sections_side_by_side(
    t: &Training,
    model: &Model,
    scores: &Scores,
    sizes: &TierSizes,
    (by_account, first_step_z): (Option<AccountCheck>, Option<f64>),
) -> (IcpSection, TiersSection) {
    std::thread::scope(|s| {
        let tiers = s.spawn(|| {
            let validation = (t.split.validated)
                .then(|| validation::validate(scores, t.all, t.split, t.opts, by_account));
            tiers::section(t, model, scores, sizes, validation)
        });
        let icp = icp::section(t, model, scores, first_step_z);
        (icp, crate::parallel::joined(tiers))
    })
}
