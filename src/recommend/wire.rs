//! The recommendation's sections as `report.json` holds them: the ICP with
//! the evidence for each criterion, the tiers with their held-out
//! validation. Built in `icp`, `tiers` and `validation`.

use serde::Serialize;

use super::model::TierSizes;
use super::readiness::ReadinessSection;
use super::rules::Condition;
use super::split::FollowUp;
use crate::outcomes::OutcomeFigures;
use crate::stats::conversion::Interval;
use crate::verdict::{TierComparison, TierFigures, Window};

/// A group of accounts' figures on one set of deals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// Accounts in the group (with or without deals in the set).
    pub accounts: u64,
    pub closed_deals: u64,
    pub won: u64,
    pub win_rate: Option<f64>,
    /// Interval of `win_rate`, deals of one account counted together.
    pub win_rate_interval: Option<Interval>,
    /// `win_rate` over the win rate of all closed deals of the set.
    pub lift: Option<f64>,
}

/// One rule and the evidence for it: on the training deals it was learned
/// on, and on the held-out deals it was not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleEvidence {
    pub rule: Condition,
    pub text: String,
    /// Training deals, from here to `median_days_to_win`.
    pub accounts: u64,
    pub closed_deals: u64,
    pub win_rate: Option<f64>,
    pub win_rate_interval: Option<Interval>,
    pub lift: Option<f64>,
    /// Probability of a win within 90 days (Aalen–Johansen).
    pub p_win_90d: Option<f64>,
    pub median_days_to_win: Option<f64>,
    /// On deals created in the held-out window; null when not validated.
    pub held_out: Option<GroupFigures>,
}

/// A rule set as a whole (core or broad ICP, each with the disqualifiers):
/// who it holds and how they win, in and out of the deals it was learned on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSetEvidence {
    /// Its qualifying criteria in words, all of which must hold.
    pub criteria: Vec<String>,
    /// The whole rule in words, disqualifiers included.
    pub text: String,
    /// Accounts matching it.
    pub accounts: u64,
    /// Share of all wins (training deals) its accounts hold, 0–1.
    pub share_of_wins: Option<f64>,
    pub training: GroupFigures,
    pub outside_training: GroupFigures,
    /// On deals created in the held-out window; null when not validated.
    pub held_out: Option<GroupFigures>,
    pub outside_held_out: Option<GroupFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IcpSection {
    pub method: String,
    pub trained_on: Window,
    /// The window whose deals the `held_out` figures count; null when not validated.
    pub held_out_on: Option<Window>,
    /// The core ICP's criteria: "in ICP" means all of these and no disqualifier.
    pub qualifying: Vec<RuleEvidence>,
    pub disqualifying: Vec<RuleEvidence>,
    /// Accounts matching every qualifying and no disqualifying criterion.
    pub in_icp_accounts: u64,
    pub in_icp: OutcomeFigures,
    pub outside_icp: OutcomeFigures,
    /// The core ICP: the highest win rate at the minimum support.
    pub core: RuleSetEvidence,
    /// The broad ICP: most wins at a win rate above the overall.
    pub broad: RuleSetEvidence,
    /// The broad ICP's criteria, each with its evidence.
    pub broad_qualifying: Vec<RuleEvidence>,
    /// Whether an ICP was found: false when no qualifying criterion beat
    /// its permutation guard, and then no account is in the ICP.
    pub found: bool,
    /// When no ICP was found, a sentence saying so, with the sample that
    /// would be needed to see an effect of a stated size.
    pub not_found: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Range of predicted win probability (0–1).
    pub lo: f64,
    pub hi: f64,
    pub closed_deals: u64,
    pub mean_predicted: f64,
    pub observed_win_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub holdout: Window,
    /// How the window was chosen and how long its deals had to close.
    pub follow_up: FollowUp,
    /// Per recommended tier (null = outside ICP), on held-out deals.
    pub tiers: Vec<TierFigures>,
    pub comparisons: Vec<TierComparison>,
    /// Area under the ROC curve of the fit score on held-out closed deals.
    pub auc: Option<f64>,
    /// DeLong interval for `auc` widened by `auc_design_effect` for deals
    /// clustered in accounts; null with fewer than two won or two lost deals.
    pub auc_interval: Option<Interval>,
    /// Cluster-robust over deal-by-deal variance of `auc`.
    pub auc_design_effect: Option<f64>,
    pub calibration: Vec<CalibrationBin>,
    /// Whether held-out win rates fall from Tier 1 to Tier 3.
    pub monotone: bool,
    pub text: String,
    /// The readiness score on the same held-out deals; null without one.
    pub readiness: Option<ReadinessCheck>,
    /// The fit score on accounts it never saw (a seeded split of accounts).
    pub by_account: Option<AccountCheck>,
    /// Cumulative gains and top-decile lift of the fit score on the
    /// held-out closed deals; null without a held-out win.
    pub gains: Option<super::validation_gains::Gains>,
}

/// How well a score ranks and predicts won vs lost closed deals, with the
/// account as the unit of its interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCheck {
    pub closed_deals: u64,
    /// Area under the ROC curve (as scikit-learn `roc_auc_score`).
    pub auc: Option<f64>,
    /// DeLong interval widened by `auc_design_effect` for deals clustered in accounts.
    pub auc_interval: Option<Interval>,
    pub auc_design_effect: Option<f64>,
    /// Ten equal-width bins of predicted probability, empty bins left out
    /// (as scikit-learn `calibration_curve(n_bins=10)`).
    pub calibration: Vec<CalibrationBin>,
}

/// The readiness score on held-out deals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessCheck {
    /// The readiness score alone (a typical-fit account's win probability
    /// with these signals): how well signals alone rank deals.
    pub readiness: ScoreCheck,
    /// Fit and readiness together (`logistic(fit log-odds + readiness
    /// terms)`): the calibrated win probability of the two models.
    pub combined: ScoreCheck,
}

/// The fit score refitted on 70% of the accounts (seeded) and judged on the
/// training-window closed deals of the other 30%.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountCheck {
    pub method: String,
    pub seed: u64,
    /// Share of accounts with closed training deals held out.
    pub held_out_share: f64,
    /// Held-out accounts with a closed training deal.
    pub held_out_accounts: u64,
    pub check: ScoreCheck,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecommendedTier {
    /// 1, 2, 3, or null for accounts outside the ICP.
    pub tier: Option<u8>,
    pub accounts: u64,
    pub mean_fit_score: Option<f64>,
    /// Sum of expected values, currency units.
    pub expected_value: f64,
    /// Outcomes of the training deals.
    pub outcomes: OutcomeFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TiersSection {
    pub sizes: TierSizes,
    /// Fit scores (0–100) where Tier 1 and Tier 2 start.
    pub tier1_min_score: f64,
    pub tier2_min_score: f64,
    pub score_method: String,
    pub tiers: Vec<RecommendedTier>,
    /// Whether training win rates fall from Tier 1 to Tier 3.
    pub monotone_in_training: bool,
    pub validation: Option<Validation>,
    /// Why there is no validation, when there is none.
    pub validation_note: Option<String>,
    /// The readiness bands and the fit × readiness matrix; null without a
    /// signal feature.
    pub readiness: Option<ReadinessSection>,
    /// Why there is no readiness score, when there is none.
    pub readiness_note: Option<String>,
    /// Why no account has a recommended tier, when none has (no ICP found).
    pub tiers_note: Option<String>,
}
