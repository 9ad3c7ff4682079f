//! Out-of-time validation: the recommended tiers and the scores on the
//! held-out deals the model never saw, and the fit score on accounts it
//! never saw.

use super::fit::{JointTerms, Rows};
use super::logistic::{self, row_of};
use super::model::Scores;
use super::split::{FollowUpBasis, Split};
use super::text::{follow_up_text, validation_text};
use super::tiers::monotone;
use super::validation_gains::gains;
use super::wire::{AccountCheck, CalibrationBin, ReadinessCheck, ScoreCheck, Validation};
use crate::domain::OutcomeLabel;
use crate::io::contract::Deals;
use crate::outcomes::FigureOptions;
use crate::stats::auc::roc_auc_clustered;
use crate::stats::conversion::roc_auc;

/// The tiers and the scores on the deals created in the held-out window,
/// with `by_account`, the fit score's check on accounts it never saw.
pub(super) fn validate(
    scores: &Scores,
    deals: &Deals,
    split: &Split,
    opts: &FigureOptions,
    by_account: Option<AccountCheck>,
) -> Validation {
    let (holdout, label) = (split.holdout, split.label.as_str());
    let in_hold = |i: usize| split.in_holdout(deals, i);
    let tiers = crate::verdict::tier_figures(&scores.tier, deals, &in_hold, opts);
    let get = |t: u8| {
        tiers
            .iter()
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let days = f64::from(holdout.to - holdout.from + 1);
    let (_, comparisons) = crate::verdict::tier_comparisons(
        &scores.tier,
        deals,
        &in_hold,
        &tiers,
        opts.confidence,
        days,
    );
    let (q, y, acc) = closed_deals(deals, &in_hold, &scores.probability);
    let fit = score_check(&q, &y, &acc, opts.confidence);
    let gains = gains(
        &q,
        &y,
        "held-out closed deals, each scored by its account's fit score (as the held-out AUC)",
    );
    let readiness = scores
        .readiness
        .as_ref()
        .zip(scores.combined.as_ref())
        .map(|(r, c)| ReadinessCheck {
            readiness: check_on(deals, &in_hold, r, opts.confidence),
            combined: check_on(deals, &in_hold, c, opts.confidence),
        });
    let rate = |t: u8| get(t).and_then(|o| o.win_rate);
    let closed_in = |t: u8| get(t).map_or(0, |o| o.won + o.lost);
    let mono = monotone(rate(1), rate(2), rate(3));
    let reordered = [(1, 2), (2, 3)].into_iter().any(|(a, b)| {
        get(a)
            .zip(get(b))
            .is_some_and(|(h, l)| crate::verdict::reordered(h, l))
    });
    let lead =
        crate::verdict::lead_reason(crate::verdict::open_share(&tiers), reordered).or_else(|| {
            (split.follow_up.basis == FollowUpBasis::Censored)
                .then(|| "this window's deals have not all had time to close".to_string())
        });
    let text = validation_text(
        fit.closed_deals as usize,
        label,
        fit.auc,
        [1, 2, 3].map(|t| (rate(t), closed_in(t))),
        [1, 2, 3].map(|t| get(t).and_then(crate::verdict::win_within_lead_horizon)),
        lead.as_deref(),
        comparisons
            .iter()
            .any(|c| c.verdict == crate::verdict::PairVerdict::Inverted),
    );
    let text = format!("{} {text}", follow_up_text(label, &split.follow_up));
    Validation {
        holdout: holdout.window(label),
        follow_up: split.follow_up.clone(),
        tiers,
        comparisons,
        auc: fit.auc,
        auc_interval: fit.auc_interval,
        auc_design_effect: fit.auc_design_effect,
        calibration: fit.calibration,
        monotone: mono,
        text,
        readiness,
        by_account,
        gains,
    }
}

/// The closed deals `keep` accepts: each one's score (its account's in
/// the per-account `p`), whether it was won, and its account.
fn closed_deals(
    deals: &Deals,
    keep: &dyn Fn(usize) -> bool,
    p: &[f64],
) -> (Vec<f64>, Vec<bool>, Vec<u32>) {
    let (mut q, mut y, mut acc) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..deals.len() {
        if keep(i) && deals.outcome[i] != OutcomeLabel::Open {
            q.push(p[deals.account[i] as usize]);
            y.push(deals.outcome[i] == OutcomeLabel::Won);
            acc.push(deals.account[i]);
        }
    }
    (q, y, acc)
}

/// A per-account score `p` (0–1) checked on the closed deals `keep` accepts.
fn check_on(deals: &Deals, keep: &dyn Fn(usize) -> bool, p: &[f64], confidence: f64) -> ScoreCheck {
    let (q, y, acc) = closed_deals(deals, keep, p);
    score_check(&q, &y, &acc, confidence)
}

/// AUC with its account-clustered interval, and calibration, of scores `p`
/// (0–1) for deals won (`y`) in accounts `acc`.
pub fn score_check(p: &[f64], y: &[bool], acc: &[u32], confidence: f64) -> ScoreCheck {
    let clustered = roc_auc_clustered(p, y, acc, confidence);
    ScoreCheck {
        closed_deals: p.len() as u64,
        auc: roc_auc(p, y),
        auc_interval: clustered.map(|c| c.interval),
        auc_design_effect: clustered.map(|c| c.design_effect),
        calibration: calibration(p, y),
    }
}

/// Ten bins of width 0.1, `[lo, hi)` and the last `[0.9, 1]`; empty bins
/// are left out.
pub fn calibration(p: &[f64], y: &[bool]) -> Vec<CalibrationBin> {
    let mut calibration = Vec::new();
    for b in 0..10 {
        let (lo, hi) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
        let idx: Vec<usize> = (0..p.len())
            .filter(|&i| p[i] >= lo && (p[i] < hi || (b == 9 && p[i] <= hi)))
            .collect();
        if idx.is_empty() {
            continue;
        }
        calibration.push(CalibrationBin {
            lo,
            hi,
            closed_deals: idx.len() as u64,
            mean_predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / idx.len() as f64,
            observed_win_rate: idx.iter().filter(|&&i| y[i]).count() as f64 / idx.len() as f64,
        });
    }
    calibration
}

/// Seed of the split of accounts in [`validate_by_account`].
pub const ACCOUNT_SPLIT_SEED: u64 = 42;
/// Share of accounts [`validate_by_account`] holds out.
pub const ACCOUNT_HOLDOUT_SHARE: f64 = 0.3;

/// The fit score on accounts it never saw: the joint model refitted (same
/// columns, penalty and reference signals) on the training deals of a seeded 70% of the rows with closed
/// training deals, and judged on the closed training deals of the rest.
/// `None` when either side has no closed deals.
pub(super) fn validate_by_account(
    rows: Rows<'_>,
    joint: &JointTerms<'_>,
    deals: &Deals,
    in_train: &dyn Fn(usize) -> bool,
    opts: &FigureOptions,
) -> Option<AccountCheck> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let Rows { matrix, won, lost } = rows;
    let n = won.len();
    let mut active: Vec<usize> = (0..n).filter(|&i| won[i] + lost[i] > 0.0).collect();
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(ACCOUNT_SPLIT_SEED);
    active.shuffle(&mut rng);
    let held = (ACCOUNT_HOLDOUT_SHARE * active.len() as f64).round() as usize;
    if held == 0 || held == active.len() {
        return None;
    }
    let mut is_held = vec![false; n];
    for &a in &active[..held] {
        is_held[a] = true;
    }
    let (mut w, mut l) = (won.to_vec(), lost.to_vec());
    for &a in &active[..held] {
        w[a] = 0.0;
        l[a] = 0.0;
    }
    let held_out = Rows {
        matrix,
        won: &w,
        lost: &l,
    };
    let model = joint.fit(held_out)?.fit;
    let mut p = vec![f64::NAN; n];
    for &a in &active[..held] {
        p[a] = logistic::probability(model.log_odds(&row_of(&matrix.x.row(a))));
    }
    let keep = |i: usize| in_train(i) && is_held[deals.account[i] as usize];
    Some(AccountCheck {
        method: format!(
            "fit score refitted on the training deals of {:.0}% of the accounts with closed training deals (seeded shuffle, seed {ACCOUNT_SPLIT_SEED}) and judged on the closed training deals of the other {:.0}%",
            100.0 * (1.0 - ACCOUNT_HOLDOUT_SHARE),
            100.0 * ACCOUNT_HOLDOUT_SHARE
        ),
        seed: ACCOUNT_SPLIT_SEED,
        held_out_share: ACCOUNT_HOLDOUT_SHARE,
        held_out_accounts: held as u64,
        check: check_on(deals, &keep, &p, opts.confidence),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct ScoreFixture {
        p: Vec<f64>,
        y: Vec<bool>,
        account: Vec<u32>,
        auc: f64,
        bin_lo: Vec<f64>,
        bin_count: Vec<u64>,
        mean_predicted: Vec<f64>,
        observed: Vec<f64>,
    }

    /// Reference: scikit-learn `roc_auc_score` and `calibration_curve(n_bins=10)`,
    /// see tests/fixtures/score_check/make_score_check.py.
    #[test]
    fn auc_and_calibration_match_scikit_learn() {
        use crate::stats::prec::{rel_close, REL_EPS};
        let f: ScoreFixture = serde_json::from_str(include_str!(
            "../../tests/fixtures/score_check/score_check.json"
        ))
        .unwrap();
        let c = score_check(&f.p, &f.y, &f.account, 0.95);
        assert_eq!(c.closed_deals, f.p.len() as u64);
        assert!(
            rel_close(c.auc.unwrap(), f.auc, REL_EPS),
            "{:?} vs {}",
            c.auc,
            f.auc
        );
        assert_eq!(c.calibration.len(), f.bin_lo.len());
        for (k, b) in c.calibration.iter().enumerate() {
            assert!((b.lo - f.bin_lo[k]).abs() < 1e-12, "{b:?}");
            assert_eq!(b.closed_deals, f.bin_count[k]);
            assert!(rel_close(b.mean_predicted, f.mean_predicted[k], REL_EPS));
            assert!(rel_close(b.observed_win_rate, f.observed[k], REL_EPS));
        }
    }
}
