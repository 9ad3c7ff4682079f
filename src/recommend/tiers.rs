//! The tiers section: Tiers 1–3 and the accounts outside the ICP on the
//! training deals, with the held-out validation and the fit × readiness
//! matrix beside them.

use super::fit::RIDGE_LAMBDA;
use super::model::{Model, Scores, TierSizes};
use super::readiness::{self, MatrixInputs};
use super::split::Training;
use super::wire::{RecommendedTier, TiersSection, Validation};

/// The tiers section: Tiers 1..3 then outside the ICP on training deals,
/// the held-out `validation` when there is one, and the readiness matrix
/// (or why there is none).
pub(super) fn section(
    t: &Training,
    model: &Model,
    scores: &Scores,
    sizes: &TierSizes,
    validation: Option<Validation>,
) -> TiersSection {
    let rec_tiers = recommended_tiers(t, scores);
    let rate = |t: u8| {
        rec_tiers
            .iter()
            .find(|x| x.tier == Some(t))
            .and_then(|x| x.outcomes.win_rate)
    };
    let monotone_in_training = monotone(rate(1), rate(2), rate(3));
    let thresholds = model.thresholds;
    TiersSection {
        sizes: sizes.clone(),
        tier1_min_score: 100.0 * thresholds.tier1_min_probability,
        tier2_min_score: 100.0 * thresholds.tier2_min_probability,
        score_method: format!("L2-regularised logistic regression (lambda = {RIDGE_LAMBDA}) of won vs lost on the encoded fit and relationship features, fitted jointly with the signal features when there are any; fit score = 100 × win probability with the signals at the average account's (signals score readiness)"),
        tiers: rec_tiers,
        monotone_in_training,
        validation,
        validation_note: t.split.note.clone(),
        readiness: readiness_matrix(t, model, scores),
        readiness_note: model.readiness.is_none().then(|| {
            "no signal feature: no readiness score (readiness_score and readiness_band are null)"
                .into()
        }),
        tiers_note: (!model.criteria.found()).then(|| {
            "no ICP found: no account has a recommended tier (recommended_tier is null), as a fit score no criterion validated would rank noise"
                .into()
        }),
    }
}

/// Tiers 1..3 then outside the ICP: their accounts, mean fit score and
/// expected value, and the outcomes of their training deals.
fn recommended_tiers(t: &Training, scores: &Scores) -> Vec<RecommendedTier> {
    let in_train = |i: usize| t.in_train(i);
    let train_tiers = crate::verdict::tier_figures(&scores.tier, t.deals, &in_train, t.opts);
    let n = scores.tier.len();
    train_tiers
        .into_iter()
        .map(|t| {
            let members: Vec<usize> = (0..n).filter(|&i| scores.tier[i] == t.tier).collect();
            let mean = (!members.is_empty()).then(|| {
                100.0 * members.iter().map(|&i| scores.probability[i]).sum::<f64>()
                    / members.len() as f64
            });
            RecommendedTier {
                tier: t.tier,
                accounts: members.len() as u64,
                mean_fit_score: mean,
                expected_value: members
                    .iter()
                    .filter_map(|&i| scores.expected_value[i])
                    .sum(),
                outcomes: t.outcomes,
            }
        })
        .collect()
}

/// The fit × readiness matrix on training and held-out deals; `None`
/// without a readiness model.
fn readiness_matrix(
    t: &Training,
    model: &Model,
    scores: &Scores,
) -> Option<readiness::ReadinessSection> {
    let in_train = |i: usize| t.in_train(i);
    let in_hold = |i: usize| t.in_holdout(i);
    model.readiness.as_ref().map(|r| {
        let inputs = MatrixInputs {
            tier: &scores.tier,
            in_icp: &scores.in_icp,
            band: scores.band.as_deref().unwrap_or_default(),
            training: t.deals,
            in_train: &in_train,
            all: t.all,
            in_hold: (t.split.validated).then_some(&in_hold as &dyn Fn(usize) -> bool),
            fit: &scores.probability,
            opts: t.opts,
        };
        readiness::section(r, &inputs)
    })
}

/// Whether the win rates of Tiers 1, 2 and 3 fall in that order, tiers
/// without a win rate left out.
pub(super) fn monotone(r1: Option<f64>, r2: Option<f64>, r3: Option<f64>) -> bool {
    let v: Vec<f64> = [r1, r2, r3].into_iter().flatten().collect();
    v.windows(2).all(|w| w[0] >= w[1])
}
