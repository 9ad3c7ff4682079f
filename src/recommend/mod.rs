//! What the team acts on: ICP criteria, a fit score per account, tier
//! thresholds — fitted on deals created before a cutoff, labelled as they
//! stood then, and validated on the deals of a later quarter that have had
//! time to close, which the model never saw.
//!
//! * Fit score: an L2-regularised logistic regression of won vs lost closed
//!   deals on the encoded columns of the account's fit and relationship
//!   features ([`logistic`]), as 0–100. Buying signals are left out: they
//!   say when to act, not who the account is.
//! * Readiness score and band: a logistic regression on the signal features
//!   with the fit log-odds as offset, its tertiles as high / medium / low,
//!   and the fit × readiness matrix ([`readiness`]).
//! * ICP criteria: greedy qualifying rules and clearly poor disqualifying
//!   conditions ([`rules`]).
//! * Tiers: among accounts in the ICP, the best-scoring ones up to the Tier 1
//!   size, then up to the Tier 2 size, then the rest of the ICP (Tier 3).
//!   Thresholds are the fit scores where the tiers start, so `score` can
//!   apply them to new accounts.
//! * Expected value: win probability × the mean won amount of the
//!   account's segment (training deals): with skewed amounts the mean, not
//!   the median, is the expectation of a won deal's value.

pub mod carve;
pub mod explain;
pub mod logistic;
pub mod readiness;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::domain::OutcomeLabel;
use crate::features::evidence::Evidence;
use crate::features::Role;
use crate::features::{encode, FeatureColumn, FeatureMatrix, FeatureSpec};
use crate::io::contract::Deals;
use crate::outcomes::{figures, rate_figures, FigureOptions, OutcomeFigures, RateFigures};
use crate::stats::auc::roc_auc_clustered;
use crate::stats::conversion::{roc_auc, Interval};
use crate::stats::descriptive::cut_between;
use crate::verdict::{parse_quarter, quarter_of, DayRange};
use crate::verdict::{TierComparison, TierFigures, Window};
use logistic::{Logistic, Terms};
use readiness::{Band, BandThresholds, ReadinessModel, ReadinessSection};
use rules::{Condition, Criteria, RuleOptions};

/// Bumped on any breaking change to `model.json`.
pub const MODEL_VERSION: u32 = 1;

/// The fit score is fitted on at most this many accounts with closed deals
/// (a seeded sample beyond it); its coefficients are stable long before.
pub const MAX_SCORE_ACCOUNTS: usize = 200_000;

/// Ridge penalty of the fit score (on standardised features).
pub const RIDGE_LAMBDA: f64 = 1.0;

/// Tier sizes: each tier holds at most the smaller of a count and a share of all accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierSizes {
    pub tier1_max_accounts: usize,
    pub tier1_max_share: f64,
    pub tier2_max_accounts: usize,
    pub tier2_max_share: f64,
}

impl Default for TierSizes {
    fn default() -> Self {
        TierSizes {
            tier1_max_accounts: 20,
            tier1_max_share: 0.01,
            tier2_max_accounts: 100,
            tier2_max_share: 0.05,
        }
    }
}

impl TierSizes {
    fn sizes(&self, n: usize) -> (usize, usize) {
        let cap = |count: usize, share: f64| count.min((share * n as f64).ceil() as usize).max(1);
        (
            cap(self.tier1_max_accounts, self.tier1_max_share),
            cap(self.tier2_max_accounts, self.tier2_max_share),
        )
    }
}

/// Fit scores (0–1 win probability) where Tier 1 and Tier 2 start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierThresholds {
    pub tier1_min_probability: f64,
    pub tier2_min_probability: f64,
}

/// What segment an account is in, for its expected deal value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    /// Segment id per centroid (stable across runs when matched with a previous run).
    pub ids: Vec<u32>,
    /// Centroids in the weighted encoding k-means ran on.
    pub centroids: Vec<Vec<f64>>,
    /// Per encoded column, the weight applied before clustering.
    pub column_weights: Vec<f64>,
    /// Mean won amount per segment (training deals), currency units; with
    /// the core ICP carved out, its segment's last.
    pub expected_won_amount: Vec<Option<f64>>,
    pub overall_expected_won_amount: Option<f64>,
    /// Whether the core ICP is a segment of its own: an account in the core
    /// ICP is in segment `ids[centroids.len()]`, any other in its nearest
    /// centroid's (see [`carve`]). Missing in older models: no carve-out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub core_icp_carved: bool,
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

/// Everything `score` needs to tier new accounts without re-clustering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub model_version: u32,
    pub tool_version: String,
    /// The run it came from.
    pub as_of: String,
    pub trained_on: Window,
    pub accounts_sha256: String,
    pub deals_sha256: String,
    pub account_id_column: String,
    pub features: Vec<FeatureSpec>,
    pub encoded_columns: Vec<String>,
    /// The fit score: coefficients on every encoded column, zero on the
    /// signal features' columns.
    pub score: Logistic,
    /// The readiness score and its bands; null without a signal feature (and
    /// in models written before readiness, which still score).
    #[serde(default)]
    pub readiness: Option<ReadinessModel>,
    /// Mean of each encoded column over the training accounts: the reference
    /// row whose log-odds is the baseline of every account's contributions.
    pub score_baseline: Vec<f64>,
    pub criteria: Criteria,
    pub thresholds: TierThresholds,
    pub segments: SegmentModel,
    /// What the accounts looked like, for drift.
    pub baseline: crate::drift::Baseline,
}

/// Per-account results of applying a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Win probability, 0–1.
    pub probability: Vec<f64>,
    /// Log-odds of the probability (the score's linear predictor).
    pub log_odds: Vec<f64>,
    /// Readiness score, 0–1 (null without a readiness model).
    pub readiness: Option<Vec<f64>>,
    /// Win probability of fit and readiness together, 0–1.
    pub combined: Option<Vec<f64>>,
    pub band: Option<Vec<Band>>,
    pub in_icp: Vec<bool>,
    pub tier: Vec<Option<u8>>,
    /// Segment id: the carved core ICP segment's, or the nearest centroid's.
    pub segment: Vec<u32>,
    /// probability × expected won amount of the segment.
    pub expected_value: Vec<Option<f64>>,
    /// Log-odds of the reference row ([`Model::score_baseline`]).
    pub baseline_log_odds: f64,
    /// Per feature (in model order), each account's contribution to its
    /// log-odds: Σ coef_j (x_j − baseline_j) over the feature's columns. They
    /// add up to `log_odds − baseline_log_odds`.
    pub contributions: Vec<Vec<f64>>,
}

impl Scores {
    /// Readiness scores 0–100, for `accounts_scored.parquet`.
    pub fn readiness_score(&self) -> Option<Vec<f64>> {
        self.readiness
            .as_ref()
            .map(|r| r.iter().map(|p| 100.0 * p).collect())
    }

    /// Readiness bands as text, for `accounts_scored.parquet`.
    pub fn readiness_band(&self) -> Option<Vec<&'static str>> {
        self.band
            .as_ref()
            .map(|b| b.iter().map(|b| b.as_str()).collect())
    }
}

impl Model {
    /// Apply the model to accounts whose features were extracted with its specs.
    pub fn apply(&self, features: &[FeatureColumn], n: usize) -> Scores {
        self.apply_encoded(features, &encode(features, n))
    }

    /// [`Model::apply`] when the features are already encoded.
    pub fn apply_encoded(&self, features: &[FeatureColumn], m: &FeatureMatrix) -> Scores {
        let n = m.x.nrows();
        let RowFigures {
            log_odds,
            readiness,
            combined,
            contributions,
        } = self.row_figures(features.len(), m);
        let probability: Vec<f64> = log_odds.iter().map(|&z| logistic::probability(z)).collect();
        let band = (self.readiness.as_ref())
            .zip(readiness.as_ref())
            .map(|(r, ready)| ready.iter().map(|&p| r.bands.band(p)).collect());
        let baseline_log_odds = self.score.log_odds(&self.score_baseline);
        let in_icp = self.criteria.in_icp(features, n);
        let tier = tiers_of(&probability, &in_icp, self.thresholds);
        // The nearest centroid with the distance k-means used, on the same
        // weighted row, so `score` reproduces discover's segments exactly.
        let centroids: Vec<&[f64]> = self.segments.centroids.iter().map(Vec::as_slice).collect();
        let w = Some(&self.segments.column_weights[..]);
        let segment_index = crate::cluster::nearest_labels(m.x.view(), w, &centroids);
        let segment_index = match self.segments.core_icp_carved {
            true => carve::carved_labels(&segment_index, &in_icp, self.segments.centroids.len()),
            false => segment_index,
        };
        let segment: Vec<u32> = segment_index
            .iter()
            .map(|&s| self.segments.ids.get(s).copied().unwrap_or(s as u32 + 1))
            .collect();
        let expected_value = probability
            .iter()
            .zip(&segment_index)
            .map(|(p, &s)| {
                self.segments
                    .expected_won_amount
                    .get(s)
                    .copied()
                    .flatten()
                    .or(self.segments.overall_expected_won_amount)
                    .map(|a| p * a)
            })
            .collect();
        Scores {
            probability,
            log_odds,
            readiness,
            combined,
            band,
            in_icp,
            tier,
            segment,
            expected_value,
            baseline_log_odds,
            contributions,
        }
    }

    /// Each row's figures of [`Model::apply_encoded`] that read that row
    /// alone: the earlier half of the rows on a second thread, the rest on
    /// this one.
    fn row_figures(&self, n_features: usize, m: &FeatureMatrix) -> RowFigures {
        let n = m.x.nrows();
        let column = || vec![0.0; n];
        let mut all = RowFigures {
            log_odds: column(),
            readiness: self.readiness.as_ref().map(|_| column()),
            combined: self.readiness.as_ref().map(|_| column()),
            contributions: vec![column(); n_features],
        };
        let middle = n / 2;
        crate::parallel::halves_on_two_threads(middle, all.split_at(middle), |from, out| {
            self.fill_rows(m, from, out)
        });
        all
    }

    /// [`Model::row_figures`] of the rows from `from` on, as many as `out` holds.
    fn fill_rows(&self, m: &FeatureMatrix, from: usize, mut out: RowsOut<'_>) {
        for k in 0..out.log_odds.len() {
            let row = m.x.row(from + k);
            let row = row_of(&row);
            let z = self.score.log_odds(&row);
            out.log_odds[k] = z;
            if let (Some(r), Some(ready), Some(both)) =
                (&self.readiness, &mut out.readiness, &mut out.combined)
            {
                ready[k] = r.probability(&row);
                both[k] = r.combined(z, &row);
            }
            for (j, &x) in row.iter().enumerate() {
                out.contributions[m.feature_of[j]][k] +=
                    self.score.coef[j] * (x - self.score_baseline[j]);
            }
        }
    }
}

/// The figures of each row that read that row alone (see [`Model::apply_encoded`]).
struct RowFigures {
    log_odds: Vec<f64>,
    readiness: Option<Vec<f64>>,
    combined: Option<Vec<f64>>,
    /// Per feature, each row's contribution to the log-odds.
    contributions: Vec<Vec<f64>>,
}

/// Where some consecutive rows' [`RowFigures`] go.
struct RowsOut<'a> {
    log_odds: &'a mut [f64],
    readiness: Option<&'a mut [f64]>,
    combined: Option<&'a mut [f64]>,
    contributions: Vec<&'a mut [f64]>,
}

impl RowFigures {
    /// The rows before `middle`, and the rest.
    fn split_at(&mut self, middle: usize) -> (RowsOut<'_>, RowsOut<'_>) {
        fn split(
            v: Option<&mut Vec<f64>>,
            middle: usize,
        ) -> (Option<&mut [f64]>, Option<&mut [f64]>) {
            match v.map(|v| v.split_at_mut(middle)) {
                Some((a, b)) => (Some(a), Some(b)),
                None => (None, None),
            }
        }
        let (lo_a, lo_b) = self.log_odds.split_at_mut(middle);
        let (re_a, re_b) = split(self.readiness.as_mut(), middle);
        let (co_a, co_b) = split(self.combined.as_mut(), middle);
        let (c_a, c_b) = (self.contributions.iter_mut())
            .map(|c| c.split_at_mut(middle))
            .unzip();
        (
            RowsOut {
                log_odds: lo_a,
                readiness: re_a,
                combined: co_a,
                contributions: c_a,
            },
            RowsOut {
                log_odds: lo_b,
                readiness: re_b,
                combined: co_b,
                contributions: c_b,
            },
        )
    }
}

/// A row of a matrix as a slice, copied only when the matrix is not in
/// row-major order.
fn row_of<'a>(r: &'a ndarray::ArrayView1<'_, f64>) -> std::borrow::Cow<'a, [f64]> {
    match r.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(r.to_vec()),
    }
}

fn tiers_of(p: &[f64], in_icp: &[bool], t: TierThresholds) -> Vec<Option<u8>> {
    p.iter()
        .zip(in_icp)
        .map(|(&p, &inside)| match (inside, p) {
            (false, _) => None,
            (true, p) if p >= t.tier1_min_probability => Some(1),
            (true, p) if p >= t.tier2_min_probability => Some(2),
            (true, _) => Some(3),
        })
        .collect()
}

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

/// How the held-out window was chosen, and so how its figures read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpBasis {
    /// The window ends at least the 90th percentile of won cycle length
    /// before the as-of date: its deals have had time to close.
    Full,
    /// Too few deals in such a window: the last full quarter is held out,
    /// its open deals censored, and P(win ≤ 90 d) leads.
    Censored,
}

/// How long the held-out deals have had to close.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub basis: FollowUpBasis,
    /// 90th percentile of days from creation to win, over won deals.
    pub won_cycle_p90_days: Option<u32>,
    /// Days from the window's last day to the as-of date: the least
    /// follow-up any held-out deal has had.
    pub min_follow_up_days: i32,
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
}

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
    /// Features kept out of the criteria and the fit score (likely post-outcome).
    pub exclude: &'a [String],
}

/// The held-out quarter: the last full quarter on or before the as-of date.
pub fn holdout_quarter(as_of: i32) -> (String, DayRange) {
    let q = quarter_of(as_of);
    let r = parse_quarter(&q).expect("quarter labels parse");
    if r.to == as_of {
        (q, r)
    } else {
        let prev = quarter_of(r.from - 1);
        let pr = parse_quarter(&prev).expect("quarter labels parse");
        (prev, pr)
    }
}

/// Per evidence row (account, or account version), its won and lost deals
/// among those `keep` accepts; `row_of_deal` gives each deal's row.
pub fn counts(
    deals: &Deals,
    row_of_deal: &[u32],
    n: usize,
    keep: &dyn Fn(usize) -> bool,
) -> (Vec<f64>, Vec<f64>) {
    let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
    for (i, &row) in row_of_deal.iter().enumerate().take(deals.len()) {
        if !keep(i) {
            continue;
        }
        let a = row as usize;
        match deals.outcome[i] {
            OutcomeLabel::Won => won[a] += 1.0,
            OutcomeLabel::Lost => lost[a] += 1.0,
            OutcomeLabel::Open => {}
        }
    }
    (won, lost)
}

/// Deals a piece of evidence is counted on: which deals, and the win rate
/// of all their closed deals (the reference of a lift).
struct DealSet<'a> {
    /// The deals as this window sees them (training: labelled at the cutoff).
    deals: &'a Deals,
    /// The deals of the window, ascending: listed once, as every group's
    /// deals are these deals of its rows.
    idx: Vec<usize>,
    overall: f64,
}

impl<'a> DealSet<'a> {
    /// The deals `keep` accepts; their win rate the reference of a lift.
    fn new(deals: &'a Deals, keep: &dyn Fn(usize) -> bool) -> DealSet<'a> {
        let idx: Vec<usize> = (0..deals.len()).filter(|&i| keep(i)).collect();
        let (mut w, mut c) = (0.0, 0.0f64);
        for &i in &idx {
            match deals.outcome[i] {
                OutcomeLabel::Won => (w, c) = (w + 1.0, c + 1.0),
                OutcomeLabel::Lost => c += 1.0,
                OutcomeLabel::Open => {}
            }
        }
        DealSet {
            deals,
            idx,
            overall: w / c.max(1.0),
        }
    }

    /// The deals whose row (`row_of_deal`) `mask` selects.
    fn of(&self, mask: &[bool], row_of_deal: &[u32]) -> Vec<usize> {
        (self.idx.iter().copied())
            .filter(|&i| mask[row_of_deal[i] as usize])
            .collect()
    }
}

impl GroupFigures {
    fn new(accounts: u64, r: RateFigures, set: &DealSet) -> GroupFigures {
        GroupFigures {
            accounts,
            closed_deals: r.won + r.lost,
            won: r.won,
            win_rate: r.win_rate,
            win_rate_interval: r.interval,
            lift: (r.win_rate)
                .map(|w| w / set.overall)
                .filter(|l| l.is_finite()),
        }
    }
}

/// The evidence rows of `mask` (their accounts) on the deals of `set`.
fn group_figures(
    ev: &Evidence,
    mask: &[bool],
    set: &DealSet,
    opts: &FigureOptions,
) -> (GroupFigures, OutcomeFigures) {
    let accounts = ev.accounts_in(mask);
    let f = figures(set.deals, &set.of(mask, &ev.row_of_deal), accounts, opts);
    (GroupFigures::new(accounts, (&f).into(), set), f)
}

/// [`group_figures`] without the time to win, where only the win rate is read.
fn group_rate(ev: &Evidence, mask: &[bool], set: &DealSet, opts: &FigureOptions) -> GroupFigures {
    let idx = set.of(mask, &ev.row_of_deal);
    let r = rate_figures(set.deals, &idx, opts.confidence);
    GroupFigures::new(ev.accounts_in(mask), r, set)
}

fn evidence(
    c: &Condition,
    ev: &Evidence,
    (train, held_out): (&DealSet, Option<&DealSet>),
    opts: &FigureOptions,
) -> RuleEvidence {
    let mask = c.matches(&ev.features, ev.rows());
    let (g, f) = group_figures(ev, &mask, train, opts);
    RuleEvidence {
        rule: c.clone(),
        text: c.text(&ev.features),
        accounts: g.accounts,
        closed_deals: g.closed_deals,
        win_rate: g.win_rate,
        win_rate_interval: g.win_rate_interval,
        lift: g.lift,
        p_win_90d: f
            .time_to_win
            .horizons
            .iter()
            .find(|h| h.days == 90)
            .map(|h| h.probability),
        median_days_to_win: f.time_to_win.median_days_to_win,
        held_out: held_out.map(|h| group_rate(ev, &mask, h, opts)),
    }
}

/// A rule set's evidence: the accounts of `mask`, matching `qualifying`
/// and none of `disqualifying`, against the rest.
fn rule_set_evidence(
    (qualifying, disqualifying): (&[Condition], &[Condition]),
    mask: &[bool],
    ev: &Evidence,
    (train, held_out): (&DealSet, Option<&DealSet>),
    opts: &FigureOptions,
) -> RuleSetEvidence {
    let features = &ev.features[..];
    let criteria: Vec<String> = qualifying.iter().map(|c| c.text(features)).collect();
    let mut text = if criteria.is_empty() {
        "every account".to_string()
    } else {
        criteria.join(" AND ")
    };
    for d in disqualifying {
        text.push_str(&format!(" AND NOT {}", d.text(features)));
    }
    let outside: Vec<bool> = mask.iter().map(|m| !m).collect();
    let training = group_rate(ev, mask, train, opts);
    let outside_training = group_rate(ev, &outside, train, opts);
    let all_wins = training.won + outside_training.won;
    RuleSetEvidence {
        criteria,
        text,
        accounts: training.accounts,
        share_of_wins: (all_wins > 0).then(|| training.won as f64 / all_wins as f64),
        held_out: held_out.map(|h| group_rate(ev, mask, h, opts)),
        outside_held_out: held_out.map(|h| group_rate(ev, &outside, h, opts)),
        training,
        outside_training,
    }
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
    let n = matrix.x.nrows();
    let split = Split::new(deals)?;
    let all = deals;
    let train_deals = split.training_deals(deals);
    let deals: &Deals = &train_deals;
    let in_train = |i: usize| split.in_train(deals, i);
    let (won, lost) = counts(deals, &ev.row_of_deal, ev.rows(), &in_train);
    let (tw, tl): (f64, f64) = (won.iter().sum(), lost.iter().sum());
    if tw == 0.0 || tl == 0.0 {
        // Nothing tells winners from losers; the caller says why.
        return None;
    }
    let overall = tw / (tw + tl);
    let specs: Vec<FeatureSpec> = features.iter().map(|f| f.spec.clone()).collect();
    let rows = ev.matrix(matrix);
    let fit_columns = readiness::columns_of(&specs, matrix, &|r| r != Role::Signal);
    let fit_terms = Terms {
        columns: Some(&fit_columns),
        offset: None,
        zeroed: None,
    };
    let leaks = leak_columns(features, rows, ctx.exclude);
    let by_row = ev.by_row(deals);
    let train = Training {
        deals,
        all,
        split: &split,
        overall,
        opts: ctx.opts,
        ev,
    };
    std::thread::scope(|s| {
        // The criteria read none of the fit score, the account-held-out check
        // none of the model: a second thread learns the one while the score
        // is fitted, then runs the other, done (and its copies of the counts
        // freed) before every account's score and contributions are built.
        let criteria =
            s.spawn(|| learn_criteria((rows, leaks.as_deref(), &specs), &won, &lost, ev, ctx));
        let score = fit_score(
            rows,
            &won,
            &lost,
            &Terms {
                zeroed: leaks.as_deref(),
                ..fit_terms
            },
        );
        let criteria = crate::parallel::joined(criteria);
        let score = score?;
        let by_account = s.spawn(|| {
            (split.validated)
                .then(|| {
                    validate_by_account(rows, &won, &lost, &fit_terms, &by_row, &in_train, ctx.opts)
                })
                .flatten()
        });
        let baseline = mean_row(matrix);
        let in_icp = criteria.in_icp(features, n);
        let (segments, carve) =
            segments_with_carve(&criteria, &in_icp, (all, deals, &split), ev, ctx);
        let readiness = readiness_model(
            (rows, matrix),
            &specs,
            &score,
            &baseline,
            (&won, &lost),
            &in_icp,
        );
        let thresholds = tier_thresholds(matrix, &score, &in_icp, ctx.sizes);
        let fitted = Fitted {
            score,
            readiness,
            baseline,
            criteria,
            thresholds,
            segments,
        };
        let by_account = crate::parallel::joined(by_account);
        let (model, scores) = build_model(features, matrix, all, ctx, &split, fitted);
        let (icp, mut tiers) = sections_side_by_side(&train, &model, &scores, ctx.sizes);
        if let Some(v) = &mut tiers.validation {
            v.by_account = by_account;
        }
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
/// wins from its signals and relationships alone ([`non_fit_expected`]).
fn learn_criteria(
    (rows, leaks, specs): (&FeatureMatrix, Option<&[bool]>, &[FeatureSpec]),
    won: &[f64],
    lost: &[f64],
    ev: &Evidence,
    ctx: &Context<'_>,
) -> Criteria {
    let expected = non_fit_expected(rows, leaks, specs, won, lost);
    rules::learn(
        &ev.features,
        won,
        lost,
        expected.as_deref(),
        ctx.rules,
        ctx.exclude,
    )
}

/// The ICP section, and beside it on a second thread the tiers section
/// with its fit × readiness matrix: each reads the model and the scores
/// only.
fn sections_side_by_side(
    train: &Training,
    model: &Model,
    scores: &Scores,
    sizes: &TierSizes,
) -> (IcpSection, TiersSection) {
    std::thread::scope(|s| {
        let tiers = s.spawn(|| {
            let split = train.split;
            let mut tiers =
                tiers_section(train, scores, model.thresholds, sizes, split.note.clone());
            readiness_section(&mut tiers, model, scores, train);
            tiers
        });
        let icp = icp_section(train, model, scores);
        (icp, crate::parallel::joined(tiers))
    })
}

/// The fit × readiness matrix on training and held-out deals, or why
/// there is none.
fn readiness_section(tiers: &mut TiersSection, model: &Model, scores: &Scores, t: &Training) {
    let split = t.split;
    let in_train = |i: usize| split.in_train(t.deals, i);
    tiers.readiness = model.readiness.as_ref().map(|r| {
        let in_hold = |i: usize| split.in_holdout(t.deals, i);
        readiness::section(
            r,
            scores,
            (t.deals, t.all),
            &in_train,
            split
                .validated
                .then_some(&in_hold as &dyn Fn(usize) -> bool),
            t.opts,
        )
    });
    if model.readiness.is_none() {
        tiers.readiness_note = Some(
            "no signal feature: no readiness score (readiness_score and readiness_band are null)"
                .into(),
        );
    }
}

/// What was fitted on the training deals.
struct Fitted {
    score: Logistic,
    readiness: Option<ReadinessModel>,
    /// The mean encoded row of the training accounts.
    baseline: Vec<f64>,
    criteria: Criteria,
    thresholds: TierThresholds,
    segments: SegmentModel,
}

/// The model `score` applies, and its scores of these accounts, whose
/// distributions are the model's drift baseline.
fn build_model(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    deals: &Deals,
    ctx: &Context<'_>,
    split: &Split,
    fitted: Fitted,
) -> (Model, Scores) {
    let model = Model {
        model_version: MODEL_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: crate::dates::format_date(deals.as_of),
        trained_on: split.train_range.window(if split.validated {
            format!(
                "deals created at least {} days before {}, labelled as they stood at its start",
                split.follow_up.won_cycle_p90_days.unwrap_or(0),
                split.label
            )
        } else {
            "all deals".into()
        }),
        accounts_sha256: ctx.accounts_sha256.to_string(),
        deals_sha256: deals.file.sha256.clone(),
        account_id_column: ctx.account_id_column.to_string(),
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

/// Where training ends and validation begins: deals created at least the
/// 90th percentile of won cycle length before the held-out quarter, labelled
/// as they stood at its start, train the model when there are enough closed
/// deals on both sides; otherwise it is fitted on all deals and not validated.
struct Split {
    /// The held-out quarter's label, e.g. `2024Q4`.
    label: String,
    holdout: DayRange,
    follow_up: FollowUp,
    validated: bool,
    train_range: DayRange,
    /// Why the model was not validated.
    note: Option<String>,
}

impl Split {
    /// `None` when there are no deals. The held-out window is the last
    /// full quarter that ends at least the 90th percentile of won cycle
    /// length before the as-of date, when it has enough closed deals on
    /// both sides; else the last full quarter, its open deals censored.
    fn new(deals: &Deals) -> Option<Split> {
        let first = deals.created.iter().copied().min()?;
        let closed = |i: usize| deals.outcome[i] != OutcomeLabel::Open;
        let p90 = won_cycle_p90(deals);
        // Training deals are created at least the 90th percentile of won
        // cycle length before the window, and labelled as they stood at its
        // start: younger deals would be there only if they closed fast,
        // and fast deals are mostly wins.
        let train_to = |w: DayRange| w.from - 1 - p90.map_or(0, |h| h as i32);
        // Quarter `q` with its closed deals before and in it, in one pass.
        let counted = |(q, w): (String, DayRange)| {
            let (mut train, mut hold) = (0, 0);
            for i in (0..deals.len()).filter(|&i| closed(i)) {
                let created = deals.created[i];
                train += usize::from(created <= train_to(w) && deals.closed[i] < w.from);
                hold += usize::from((w.from..=w.to).contains(&created));
            }
            (q, w, train, hold)
        };
        let enough = |w: DayRange, train: usize, hold: usize| {
            train >= 100 && hold >= 20 && first <= train_to(w)
        };
        let followed = p90.map(|h| counted(holdout_quarter(deals.as_of - h as i32)));
        let ((hq, holdout, train_closed, hold_closed), basis) = match followed {
            Some(c) if enough(c.1, c.2, c.3) => (c, FollowUpBasis::Full),
            _ => (
                counted(holdout_quarter(deals.as_of)),
                FollowUpBasis::Censored,
            ),
        };
        let follow_up = FollowUp {
            basis,
            won_cycle_p90_days: p90,
            min_follow_up_days: deals.as_of - holdout.to,
        };
        let validated = enough(holdout, train_closed, hold_closed);
        let (train_range, note) = if validated {
            (
                DayRange {
                    from: first,
                    to: train_to(holdout),
                },
                None,
            )
        } else {
            (
                DayRange { from: first, to: deals.as_of },
                Some(format!(
                    "not validated: {train_closed} closed deals before {hq} and {hold_closed} in it (need 100 and 20); fitted on all deals"
                )),
            )
        };
        Some(Split {
            label: hq,
            holdout,
            follow_up,
            validated,
            train_range,
            note,
        })
    }

    fn in_train(&self, deals: &Deals, i: usize) -> bool {
        deals.created[i] >= self.train_range.from && deals.created[i] <= self.train_range.to
    }

    fn in_holdout(&self, deals: &Deals, i: usize) -> bool {
        deals.created[i] >= self.holdout.from && deals.created[i] <= self.holdout.to
    }

    /// The deals training sees: labelled as they stood the day before the
    /// held-out window when the model is validated, else as they are.
    fn training_deals<'d>(&self, deals: &'d Deals) -> std::borrow::Cow<'d, Deals> {
        if self.validated {
            std::borrow::Cow::Owned(at_cutoff(deals, self.holdout.from - 1))
        } else {
            std::borrow::Cow::Borrowed(deals)
        }
    }
}

/// The deals as they stood at the end of day `cutoff`: a deal created by
/// then and closed (or still open) after it is open, censored at the
/// cutoff. Deals created after the cutoff are left as they are (training
/// never reads them); indices are unchanged.
pub fn at_cutoff(deals: &Deals, cutoff: i32) -> Deals {
    let mut d = deals.clone();
    for i in 0..d.len() {
        if d.created[i] <= cutoff && d.closed[i] > cutoff {
            d.outcome[i] = OutcomeLabel::Open;
            d.closed[i] = cutoff;
        }
    }
    d.as_of = cutoff;
    d
}

/// The 90th percentile of days from creation to win over won deals (the
/// smallest cycle at least 90% of wins close within); `None` without wins.
pub fn won_cycle_p90(deals: &Deals) -> Option<u32> {
    let mut days: Vec<u32> = (0..deals.len())
        .filter(|&i| deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| deals.days(i))
        .collect();
    if days.is_empty() {
        return None;
    }
    let k = ((0.9 * days.len() as f64).ceil() as usize).clamp(1, days.len()) - 1;
    Some(*days.select_nth_unstable(k).1)
}

/// The training deals and what the sections read from them.
struct Training<'a> {
    /// The deals as training sees them ([`Split::training_deals`]).
    deals: &'a Deals,
    /// The deals as of the as-of date, which the held-out figures read.
    all: &'a Deals,
    split: &'a Split,
    /// Won over closed training deals.
    overall: f64,
    opts: &'a FigureOptions,
    /// The features each deal is explained by.
    ev: &'a Evidence<'a>,
}

/// Per encoded column, whether its feature is `exclude`d: the fit takes
/// those columns as zeros, so the ridge-penalised fit gives them a
/// coefficient of exactly zero and the model keeps its column layout;
/// `None` when nothing is excluded.
fn leak_columns(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    exclude: &[String],
) -> Option<Vec<bool>> {
    let out: Vec<bool> = matrix
        .feature_of
        .iter()
        .map(|&f| exclude.contains(&features[f].spec.name))
        .collect();
    out.contains(&true).then_some(out)
}

/// The mean encoded row: the reference account of the contributions and of
/// the readiness score.
fn mean_row(matrix: &FeatureMatrix) -> Vec<f64> {
    matrix
        .x
        .mean_axis(ndarray::Axis(0))
        .map_or_else(|| vec![0.0; matrix.columns.len()], |m| m.to_vec())
}

/// The readiness model: signals on top of the fit log-odds, banded by the
/// tertiles of readiness among the accounts in the ICP (all accounts when
/// none is). `None` without a signal column.
///
/// It is fitted on `rows` (the evidence rows `won` and `lost` count deals
/// of) and banded on `matrix` (the accounts).
fn readiness_model(
    (rows, matrix): (&FeatureMatrix, &FeatureMatrix),
    specs: &[FeatureSpec],
    fit: &Logistic,
    baseline: &[f64],
    (won, lost): (&[f64], &[f64]),
    in_icp: &[bool],
) -> Option<ReadinessModel> {
    let columns = readiness::columns_of(specs, matrix, &|r| r == Role::Signal);
    if columns.is_empty() {
        return None;
    }
    let offset: Vec<f64> = rows
        .x
        .outer_iter()
        .map(|r| fit.log_odds(&row_of(&r)))
        .collect();
    let score = fit_score(
        rows,
        won,
        lost,
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

/// A score on won/lost counts per account. Beyond `MAX_SCORE_ACCOUNTS`
/// accounts with closed deals, fit on a seeded sample.
fn fit_score(
    matrix: &FeatureMatrix,
    won: &[f64],
    lost: &[f64],
    terms: &Terms<'_>,
) -> Option<Logistic> {
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
/// features, with every fit column held at its mean over closed deals.
/// The yardstick of a core ICP refinement's materiality
/// ([`rules::learn`]), so a fit condition that only stands in for a
/// relationship or a signal does not look like fit. `None` without a
/// signal or relationship feature, or when the model cannot be fitted.
fn non_fit_expected(
    matrix: &FeatureMatrix,
    zeroed: Option<&[bool]>,
    specs: &[FeatureSpec],
    won: &[f64],
    lost: &[f64],
) -> Option<Vec<f64>> {
    let non_fit = readiness::columns_of(specs, matrix, &|r| r != Role::Fit);
    if non_fit.is_empty() {
        return None;
    }
    let joint = fit_score(
        matrix,
        won,
        lost,
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
    let fit = readiness::columns_of(specs, matrix, &|r| r == Role::Fit);
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

/// Segment centroids and the mean won amount per segment, from training
/// wins; with `carved` (the accounts in the core ICP), the core ICP is a
/// segment of its own after the k-means ones.
fn segment_model(
    deals: &Deals,
    in_train: &dyn Fn(usize) -> bool,
    ctx: &Context,
    carved: Option<&[bool]>,
) -> SegmentModel {
    let k = ctx.centroids.nrows();
    let labels = match carved {
        Some(in_icp) => std::borrow::Cow::Owned(carve::carved_labels(ctx.labels, in_icp, k)),
        None => std::borrow::Cow::Borrowed(ctx.labels),
    };
    let segments = k + usize::from(carved.is_some());
    let wins = (0..deals.len())
        .filter(|&i| in_train(i) && deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| (labels[deals.account[i] as usize], deals.amount[i]));
    let (expected_won_amount, overall_expected_won_amount) = mean_won_amounts(wins, segments);
    SegmentModel {
        ids: (1..=segments as u32).collect(),
        centroids: ctx.centroids.outer_iter().map(|r| r.to_vec()).collect(),
        column_weights: ctx.column_weights.to_vec(),
        expected_won_amount,
        overall_expected_won_amount,
        core_icp_carved: carved.is_some(),
    }
}

/// The segment model, with the core ICP carved out as a segment when its
/// held-out test says so, and that test.
fn segments_with_carve(
    criteria: &Criteria,
    in_icp: &[bool],
    (all, train, split): (&Deals, &Deals, &Split),
    ev: &Evidence,
    ctx: &Context,
) -> (SegmentModel, Option<carve::CarveTest>) {
    let carve = core_icp_test(criteria, in_icp, (all, split), ev, ctx);
    let carved = (carve.as_ref()).is_some_and(|t| t.carves());
    let in_train = |i: usize| split.in_train(train, i);
    let segments = segment_model(train, &in_train, ctx, carved.then_some(in_icp));
    (segments, carve)
}

/// The held-out test of the core ICP against the other accounts of the
/// k-means segments it sits in (see [`carve`]); `None` when the model was
/// not validated, the core ICP has no qualifying criterion, carving it out
/// would leave a segment too few accounts, or a side has no closed deal.
fn core_icp_test(
    criteria: &Criteria,
    in_icp: &[bool],
    (all, split): (&Deals, &Split),
    ev: &Evidence,
    ctx: &Context,
) -> Option<carve::CarveTest> {
    let k = ctx.centroids.nrows();
    if !split.validated
        || criteria.qualifying.is_empty()
        || !carve::leaves_every_segment(ctx.labels, in_icp, k)
    {
        return None;
    }
    let holding = carve::segments_holding(ctx.labels, in_icp, k);
    // Each deal is in the ICP or not by its evidence row, as the core
    // ICP's held-out figures count it.
    let row_in_icp = criteria.in_icp(&ev.features, ev.rows());
    let (inside, rest) = carve::held_out_counts(
        (&all.outcome, &ev.row_of_deal),
        &|i| split.in_holdout(all, i),
        (&row_in_icp, &ev.account_of_row),
        (ctx.labels, &holding),
    );
    carve::carve_test(&inside, &rest)
}

/// Tier thresholds from the ranking of in-ICP accounts by fit score:
/// halfway between the score of the last account that fits in Tier 1 (and
/// in Tiers 1–2) and the next lower score, so the model as SQL puts every
/// training account in the same tier as `score` (see [`cut_between`]).
fn tier_thresholds(
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
            None => f64::INFINITY,
        }
    };
    TierThresholds {
        tier1_min_probability: at(t1.min(icp_p.len())),
        tier2_min_probability: at((t1 + t2).min(icp_p.len())),
    }
}

/// The ICP section: each criterion's evidence, the core and broad ICP as
/// wholes, and outcomes in and outside the ICP, on training deals and (when
/// validated) on the held-out deals the rules were not learned on.
fn icp_section(t: &Training, model: &Model, scores: &Scores) -> IcpSection {
    let (deals, opts) = (t.deals, t.opts);
    let in_train = |i: usize| t.split.in_train(deals, i);
    let hold = t.split.holdout;
    let in_hold = |i: usize| t.split.in_holdout(deals, i);
    let train = DealSet {
        overall: t.overall,
        ..DealSet::new(deals, &in_train)
    };
    let held = (t.split.validated).then(|| DealSet::new(t.all, &in_hold));
    let sets = (&train, held.as_ref());
    let ev = |c: &Condition| evidence(c, t.ev, sets, opts);
    let crit = &model.criteria;
    // Deals are in or outside the ICP by their evidence rows' features.
    let (features, rows) = (&t.ev.features[..], t.ev.rows());
    let inside = crit.in_icp(features, rows);
    let outside: Vec<bool> = inside.iter().map(|x| !x).collect();
    let broad_mask = crit.in_broad_icp(features, rows);
    IcpSection {
        method: "greedy rules on fit features, each step permutation-calibrated: the core ICP (highest win rate at the minimum support) and the broad ICP (most wins at a win rate above the overall); disqualifiers are clearly poor single fit conditions".into(),
        trained_on: model.trained_on.clone(),
        held_out_on: t.split.validated.then(|| hold.window(&t.split.label)),
        qualifying: crit.qualifying.iter().map(ev).collect(),
        disqualifying: crit.disqualifying.iter().map(ev).collect(),
        in_icp_accounts: scores.in_icp.iter().filter(|&&x| x).count() as u64,
        in_icp: group_figures(t.ev, &inside, &train, opts).1,
        outside_icp: group_figures(t.ev, &outside, &train, opts).1,
        core: rule_set_evidence((&crit.qualifying, &crit.disqualifying), &inside, t.ev, sets, opts),
        broad: rule_set_evidence((&crit.broad, &crit.disqualifying), &broad_mask, t.ev, sets, opts),
        broad_qualifying: crit.broad.iter().map(ev).collect(),
    }
}

/// The tiers section: Tiers 1..3 then outside the ICP on training deals,
/// and the held-out validation when there is one.
fn tiers_section(
    t: &Training,
    scores: &Scores,
    thresholds: TierThresholds,
    sizes: &TierSizes,
    note: Option<String>,
) -> TiersSection {
    let (deals, split) = (t.deals, t.split);
    let in_train = |i: usize| split.in_train(deals, i);
    let train_tiers = crate::verdict::tier_figures(&scores.tier, deals, &in_train, t.opts);
    let n = scores.tier.len();
    let rec_tiers: Vec<RecommendedTier> = train_tiers
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
        .collect();
    let rate = |t: u8| {
        rec_tiers
            .iter()
            .find(|x| x.tier == Some(t))
            .and_then(|x| x.outcomes.win_rate)
    };
    let monotone_in_training = monotone(rate(1), rate(2), rate(3));
    let validation = (split.validated).then(|| validate(scores, t.all, split, t.opts));
    TiersSection {
        sizes: sizes.clone(),
        tier1_min_score: 100.0 * thresholds.tier1_min_probability,
        tier2_min_score: 100.0 * thresholds.tier2_min_probability,
        score_method: format!("L2-regularised logistic regression (lambda = {RIDGE_LAMBDA}) of won vs lost on the encoded fit and relationship features (signals score readiness); fit score = 100 × win probability"),
        tiers: rec_tiers,
        monotone_in_training,
        validation,
        validation_note: note,
        readiness: None,
        readiness_note: None,
    }
}

fn monotone(r1: Option<f64>, r2: Option<f64>, r3: Option<f64>) -> bool {
    let v: Vec<f64> = [r1, r2, r3].into_iter().flatten().collect();
    v.windows(2).all(|w| w[0] >= w[1])
}

/// The held-out verdict in one line. Only a significant inversion is a
/// warning: tiers out of order on a handful of deals are reported as too few
/// to tell, as the current-tier verdict does.
fn validation_text(
    deals: usize,
    label: &str,
    auc: Option<f64>,
    tiers: [(Option<f64>, u64); 3],
    win_within_90: [Option<f64>; 3],
    lead: Option<&str>,
    significant_inversion: bool,
) -> String {
    let p90 = win_within_90
        .iter()
        .enumerate()
        .map(|(i, &p)| format!("Tier {} {}", i + 1, crate::text::pct(p)))
        .collect::<Vec<_>>()
        .join(", ");
    let text = closed_deals_text(deals, label, auc, tiers, significant_inversion);
    let [(r1, _), (r2, _), (r3, _)] = tiers;
    match (win_within_90.iter().any(Option::is_some), lead) {
        (true, Some(why)) => format!(
            "By P(win ≤ 90 d), which counts open deals, held-out recommended tiers win {p90} ({why}). On closed deals alone: {}",
            lower_first(&text)
        ),
        // Beside the won / closed rates, which the in-order sentence leaves out.
        (true, None) if !monotone(r1, r2, r3) => format!("{text}; P(win ≤ 90 d) {p90}"),
        _ => text,
    }
}

/// The held-out verdict on won / closed alone.
fn closed_deals_text(
    deals: usize,
    label: &str,
    auc: Option<f64>,
    tiers: [(Option<f64>, u64); 3],
    significant_inversion: bool,
) -> String {
    let [(r1, _), (r2, _), (r3, _)] = tiers;
    if monotone(r1, r2, r3) {
        return format!(
            "On {deals} deals the model never saw ({label}), recommended tiers convert in order{}",
            auc.map(|a| format!(" (AUC {a:.2})")).unwrap_or_default()
        );
    }
    let rates = tiers
        .iter()
        .enumerate()
        .map(|(i, &(r, n))| format!("Tier {} {} of {n}", i + 1, crate::text::pct(r)))
        .collect::<Vec<_>>()
        .join(", ");
    if significant_inversion {
        format!(
            "WARNING: on {deals} held-out deals ({label}), recommended tiers do NOT convert in order, significantly: {rates} closed deals won"
        )
    } else {
        format!(
            "On {deals} held-out deals ({label}), recommended tiers are out of order but no inversion is significant ({rates} closed deals won): too few held-out deals to tell"
        )
    }
}

fn validate(scores: &Scores, deals: &Deals, split: &Split, opts: &FigureOptions) -> Validation {
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
    let (_, comparisons) = crate::verdict::comparisons(&tiers, opts.confidence, days);
    let fit = check_on(deals, &in_hold, &scores.probability, opts.confidence);
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
        by_account: None,
    }
}

/// A per-account score `p` (0–1) checked on the closed deals `keep` accepts.
fn check_on(deals: &Deals, keep: &dyn Fn(usize) -> bool, p: &[f64], confidence: f64) -> ScoreCheck {
    let (mut q, mut y, mut acc) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..deals.len() {
        if keep(i) && deals.outcome[i] != OutcomeLabel::Open {
            q.push(p[deals.account[i] as usize]);
            y.push(deals.outcome[i] == OutcomeLabel::Won);
            acc.push(deals.account[i]);
        }
    }
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

/// The fit score on accounts it never saw: refitted (same columns and
/// penalty) on the training deals of a seeded 70% of the accounts with closed
/// training deals, and judged on the closed training deals of the rest.
/// `None` when either side has no closed deals.
fn validate_by_account(
    matrix: &FeatureMatrix,
    won: &[f64],
    lost: &[f64],
    terms: &Terms<'_>,
    deals: &Deals,
    in_train: &dyn Fn(usize) -> bool,
    opts: &FigureOptions,
) -> Option<AccountCheck> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
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
    let model = fit_score(matrix, &w, &l, terms)?;
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

/// Which window is held out and how long its deals had to close.
fn follow_up_text(label: &str, f: &FollowUp) -> String {
    let p90 = f
        .won_cycle_p90_days
        .map_or_else(|| "unknown".to_string(), |d| format!("{d} days"));
    match f.basis {
        FollowUpBasis::Full => format!(
            "Held out: {label}, the last full quarter ending at least the 90th percentile of won cycle length ({p90}) before the as-of date, so each of its deals had at least {} days to close; training saw only deals created at least that long before it, labelled as they stood at its start.",
            f.min_follow_up_days
        ),
        FollowUpBasis::Censored => format!(
            "Held out: {label}, the last full quarter, with at least {} days of follow-up (too few deals in a quarter ending the 90th percentile of won cycle length, {p90}, before the as-of date): its open deals are censored and P(win ≤ 90 d) leads; training saw only deals created at least {p90} before it, labelled as they stood at its start.",
            f.min_follow_up_days
        ),
    }
}

/// `s` with its first letter in lower case, to follow a colon mid-sentence.
/// A first word in capitals (`WARNING`, `AUC`) is kept as it is.
fn lower_first(s: &str) -> String {
    let first_word = s.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    if first_word.chars().count() > 1 && first_word.chars().all(|c| c.is_uppercase()) {
        return s.to_string();
    }
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deals(created: &[i32], closed: &[i32], outcome: &[OutcomeLabel], as_of: i32) -> Deals {
        Deals {
            account: (0..created.len() as u32).collect(),
            created: created.to_vec(),
            closed: closed.to_vec(),
            outcome: outcome.to_vec(),
            amount: vec![f64::NAN; created.len()],
            as_of,
            file: crate::io::read::InputFile {
                path: "deals".into(),
                format: crate::io::read::Format::Csv,
                rows: created.len() as u64,
                sha256: String::new(),
                bytes: 0,
            },
        }
    }

    /// The win rate and its account-clustered interval without the time to
    /// win are the very figures [`figures`] gives, on deals clustered in
    /// accounts (some open) and on a group without closed deals.
    #[test]
    fn rate_figures_are_the_rate_fields_of_the_full_figures() {
        use OutcomeLabel::*;
        let outcome = [Won, Lost, Won, Open, Lost, Lost, Won, Won, Lost, Open];
        let mut d = deals(&[10; 10], &[40; 10], &outcome, 100);
        d.account = vec![0, 0, 0, 1, 1, 2, 3, 3, 3, 4];
        let opts = FigureOptions {
            horizons: vec![30, 90],
            confidence: 0.95,
        };
        for idx in [
            (0..10).collect::<Vec<_>>(),
            vec![0, 2, 6, 9],
            vec![3, 9],
            vec![],
        ] {
            let f = figures(&d, &idx, 5, &opts);
            let r = rate_figures(&d, &idx, opts.confidence);
            assert_eq!((r.won, r.lost), (f.won, f.lost));
            assert_eq!(r.win_rate.map(f64::to_bits), f.win_rate.map(f64::to_bits));
            assert_eq!(r.interval, f.win_rate_interval);
        }
        let r = rate_figures(&d, &[0, 1, 2, 4, 5], 0.95);
        assert_eq!((r.won, r.lost, r.win_rate), (2, 3, Some(0.4)));
        assert!(r.interval.is_some());
    }

    /// At a cutoff of day 100: a deal created before it and won after it
    /// trains as open, censored at the cutoff (and so do a loss after it and
    /// a deal still open); one closed by the cutoff keeps its label; one
    /// created after it is left alone.
    #[test]
    fn a_deal_created_before_the_cutoff_and_closed_after_it_trains_as_open() {
        use OutcomeLabel::*;
        let d = deals(
            &[10, 20, 30, 40, 150],
            &[120, 100, 130, 200, 160],
            &[Won, Lost, Lost, Open, Won],
            200,
        );
        let t = at_cutoff(&d, 100);
        assert_eq!(t.outcome, vec![Open, Lost, Open, Open, Won]);
        assert_eq!(t.closed, vec![100, 100, 100, 100, 160]);
        assert_eq!(t.as_of, 100);
        // Durations of the censored deals run to the cutoff.
        assert_eq!((t.days(0), t.days(2), t.days(3)), (90, 70, 60));
        // The per-row counts training reads: the win after the cutoff is
        // not a win, the loss by the cutoff is a loss.
        let rows: Vec<u32> = (0..5).collect();
        let (won, lost) = counts(&t, &rows, 5, &|i| t.created[i] <= 100);
        assert_eq!(won, vec![0.0; 5]);
        assert_eq!(lost, vec![0.0, 1.0, 0.0, 0.0, 0.0]);
    }

    /// Held-out window choice on deals with every win taking 200 days, as
    /// of 2026-09-30: the last full quarter ending at least 200 days before
    /// is 2025Q4 (ends 2025-12-31, 273 days of follow-up). With 30 closed
    /// deals in it and 150 before, it is held out; with 10 in it, the last
    /// full quarter (2026Q3) is, censored.
    #[test]
    fn the_held_out_window_has_full_follow_up_or_is_censored() {
        let day = |s: &str| crate::dates::parse_date(s).unwrap();
        let as_of = day("2026-09-30");
        let build = |in_window: usize| {
            let (mut created, mut closed, mut outcome) = (vec![], vec![], vec![]);
            let mut add = |c: i32, won: bool| {
                created.push(c);
                closed.push(c + 200);
                outcome.push(if won {
                    OutcomeLabel::Won
                } else {
                    OutcomeLabel::Lost
                });
            };
            for k in 0..150 {
                add(day("2024-01-01") + k, k % 2 == 0);
            }
            for k in 0..in_window {
                add(day("2025-10-01") + k as i32, k % 2 == 0);
            }
            // Recent deals, in 2026Q3, won or lost fast.
            for k in 0..40 {
                created.push(day("2026-07-01") + k);
                closed.push(day("2026-07-01") + k + 5);
                outcome.push(OutcomeLabel::Lost);
            }
            deals(&created, &closed, &outcome, as_of)
        };
        let s = Split::new(&build(30)).unwrap();
        assert_eq!(s.label, "2025Q4");
        assert!(s.validated);
        assert_eq!(s.follow_up.basis, FollowUpBasis::Full);
        assert_eq!(s.follow_up.won_cycle_p90_days, Some(200));
        assert_eq!(s.follow_up.min_follow_up_days, as_of - day("2025-12-31"));
        // Training: deals created at least 200 days before the window.
        assert_eq!(s.train_range.to, day("2025-09-30") - 200);
        let text = follow_up_text(&s.label, &s.follow_up);
        assert!(
            text.starts_with("Held out: 2025Q4, the last full quarter ending at least the 90th percentile of won cycle length (200 days) before the as-of date, so each of its deals had at least 273 days to close"),
            "{text}"
        );

        let s = Split::new(&build(10)).unwrap();
        assert_eq!(s.label, "2026Q3");
        assert_eq!(s.follow_up.basis, FollowUpBasis::Censored);
        assert_eq!(s.follow_up.min_follow_up_days, 0);
        assert!(follow_up_text(&s.label, &s.follow_up).contains("its open deals are censored"));
    }

    /// Ten wins of 1..=10 days: 90% close within 9 days.
    #[test]
    fn won_cycle_p90_is_the_smallest_cycle_nine_in_ten_wins_close_within() {
        let n = 12;
        let created = vec![0; n];
        let mut closed: Vec<i32> = (1..=10).collect();
        closed.extend([500, 600]);
        let mut outcome = vec![OutcomeLabel::Won; 10];
        outcome.extend([OutcomeLabel::Lost, OutcomeLabel::Open]);
        let d = deals(&created, &closed, &outcome, 700);
        assert_eq!(won_cycle_p90(&d), Some(9));
        let none = deals(&[0], &[5], &[OutcomeLabel::Lost], 10);
        assert_eq!(won_cycle_p90(&none), None);
    }

    #[test]
    fn lower_first_keeps_a_word_in_capitals() {
        assert_eq!(lower_first("On 20 deals"), "on 20 deals");
        assert_eq!(
            lower_first("WARNING: on 20 held-out deals"),
            "WARNING: on 20 held-out deals"
        );
        assert_eq!(lower_first("A tier"), "a tier");
    }

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

    #[test]
    fn only_a_significant_held_out_inversion_is_a_warning() {
        let in_order = validation_text(
            60,
            "2026Q3",
            Some(0.714),
            [(Some(0.5), 10), (Some(0.4), 20), (Some(0.3), 30)],
            [None; 3],
            None,
            false,
        );
        assert_eq!(
            in_order,
            "On 60 deals the model never saw (2026Q3), recommended tiers convert in order (AUC 0.71)"
        );
        // A tier without closed deals does not break the order of the others.
        let gap = validation_text(
            50,
            "2026Q3",
            None,
            [(None, 0), (Some(0.4), 20), (Some(0.3), 30)],
            [None; 3],
            None,
            false,
        );
        assert!(gap.contains("convert in order"), "{gap}");

        let few = validation_text(
            425,
            "2026Q3",
            Some(0.6),
            [(Some(0.5), 2), (Some(0.842), 19), (Some(0.809), 94)],
            [None; 3],
            None,
            false,
        );
        assert_eq!(
            few,
            "On 425 held-out deals (2026Q3), recommended tiers are out of order but no inversion is significant (Tier 1 50.0% of 2, Tier 2 84.2% of 19, Tier 3 80.9% of 94 closed deals won): too few held-out deals to tell"
        );
        let inverted = validation_text(
            900,
            "2026Q3",
            Some(0.4),
            [(Some(0.1), 200), (Some(0.5), 300), (Some(0.4), 400)],
            [None; 3],
            None,
            true,
        );
        assert!(
            inverted.starts_with("WARNING: on 900 held-out deals (2026Q3), recommended tiers do NOT convert in order, significantly: Tier 1 10.0% of 200"),
            "{inverted}"
        );
    }

    /// With P(win ≤ 90 d) known and the measures in agreement, it follows the
    /// won / closed rates; when they disagree it leads, with the reason.
    #[test]
    fn win_within_90_days_is_beside_won_over_closed_and_leads_on_disagreement() {
        let tiers = [(Some(0.5), 2), (Some(0.842), 19), (Some(0.809), 94)];
        let p90 = [Some(0.3), Some(0.5), Some(0.45)];
        let agree = validation_text(425, "2026Q3", None, tiers, p90, None, false);
        assert_eq!(
            agree,
            "On 425 held-out deals (2026Q3), recommended tiers are out of order but no inversion is significant (Tier 1 50.0% of 2, Tier 2 84.2% of 19, Tier 3 80.9% of 94 closed deals won): too few held-out deals to tell; P(win ≤ 90 d) Tier 1 30.0%, Tier 2 50.0%, Tier 3 45.0%"
        );
        let why = crate::verdict::lead_reason(Some(0.35), false).unwrap();
        let lead = validation_text(425, "2026Q3", None, tiers, p90, Some(&why), false);
        assert!(
            lead.starts_with("By P(win ≤ 90 d), which counts open deals, held-out recommended tiers win Tier 1 30.0%, Tier 2 50.0%, Tier 3 45.0% (35% of this window's deals are still open). On closed deals alone: on 425 held-out deals"),
            "{lead}"
        );
    }
}
