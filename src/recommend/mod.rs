//! What the team acts on: ICP criteria, a fit score per account, tier
//! thresholds — fitted on deals created before a cutoff and validated on the
//! deals of the last full quarter, which the model never saw.
//!
//! * Fit score: an L2-regularised logistic regression of won vs lost closed
//!   deals on the account's encoded features ([`logistic`]), as 0–100.
//! * ICP criteria: greedy qualifying rules and clearly poor disqualifying
//!   conditions ([`rules`]).
//! * Tiers: among accounts in the ICP, the best-scoring ones up to the Tier 1
//!   size, then up to the Tier 2 size, then the rest of the ICP (Tier 3).
//!   Thresholds are the fit scores where the tiers start, so `score` can
//!   apply them to new accounts.
//! * Expected value: win probability × the mean won amount of the
//!   account's segment (training deals): with skewed amounts the mean, not
//!   the median, is the expectation of a won deal's value.

pub mod explain;
pub mod logistic;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::domain::OutcomeLabel;
use crate::features::{encode, FeatureColumn, FeatureMatrix, FeatureSpec};
use crate::io::contract::Deals;
use crate::outcomes::{figures, FigureOptions, OutcomeFigures};
use crate::stats::auc::roc_auc_clustered;
use crate::stats::conversion::{roc_auc, Interval};
use crate::verdict::{parse_quarter, quarter_of, DayRange};
use crate::verdict::{TierComparison, TierFigures, Window};
use logistic::Logistic;
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
    /// Mean won amount per segment (training deals), currency units.
    pub expected_won_amount: Vec<Option<f64>>,
    pub overall_expected_won_amount: Option<f64>,
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
    pub score: Logistic,
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
    pub in_icp: Vec<bool>,
    pub tier: Vec<Option<u8>>,
    /// Segment id (of the nearest centroid).
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

impl Model {
    /// Apply the model to accounts whose features were extracted with its specs.
    pub fn apply(&self, features: &[FeatureColumn], n: usize) -> Scores {
        self.apply_encoded(features, &encode(features, n))
    }

    /// [`Model::apply`] when the features are already encoded.
    pub fn apply_encoded(&self, features: &[FeatureColumn], m: &FeatureMatrix) -> Scores {
        let n = m.x.nrows();
        let log_odds: Vec<f64> =
            m.x.outer_iter()
                .map(|r| self.score.log_odds(r.as_slice().unwrap_or(&r.to_vec())))
                .collect();
        let probability: Vec<f64> = log_odds.iter().map(|&z| logistic::probability(z)).collect();
        let baseline_log_odds = self.score.log_odds(&self.score_baseline);
        let mut contributions = vec![vec![0.0; n]; features.len()];
        for (i, row) in m.x.outer_iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                contributions[m.feature_of[j]][i] +=
                    self.score.coef[j] * (x - self.score_baseline[j]);
            }
        }
        let in_icp = self.criteria.in_icp(features, n);
        let tier = tiers_of(&probability, &in_icp, self.thresholds);
        // The nearest centroid with the distance k-means used, on the same
        // weighted row, so `score` reproduces discover's segments exactly.
        let w = &self.segments.column_weights;
        let mut weighted = vec![0.0; w.len()];
        let segment_index: Vec<usize> =
            m.x.outer_iter()
                .map(|r| {
                    for ((o, x), w) in weighted.iter_mut().zip(r.iter()).zip(w) {
                        *o = x * w;
                    }
                    // The first nearest, as k-means' own assignment.
                    self.segments
                        .centroids
                        .iter()
                        .map(|c| crate::cluster::choose_k::sq_dist(&weighted, c))
                        .enumerate()
                        .min_by(|a, b| a.1.total_cmp(&b.1))
                        .map_or(0, |(s, _)| s)
                })
                .collect();
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
            in_icp,
            tier,
            segment,
            expected_value,
            baseline_log_odds,
            contributions,
        }
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

/// One rule and the evidence for it, over all accounts (training deals).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleEvidence {
    pub rule: Condition,
    pub text: String,
    pub accounts: u64,
    pub closed_deals: u64,
    pub win_rate: Option<f64>,
    pub win_rate_interval: Option<Interval>,
    pub lift: Option<f64>,
    /// Probability of a win within 90 days (Aalen–Johansen).
    pub p_win_90d: Option<f64>,
    pub median_days_to_win: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IcpSection {
    pub method: String,
    pub trained_on: Window,
    pub qualifying: Vec<RuleEvidence>,
    pub disqualifying: Vec<RuleEvidence>,
    /// Accounts matching every qualifying and no disqualifying criterion.
    pub in_icp_accounts: u64,
    pub in_icp: OutcomeFigures,
    pub outside_icp: OutcomeFigures,
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
}

/// The output of [`recommend`].
pub struct Recommendation {
    pub icp: IcpSection,
    pub tiers: TiersSection,
    pub model: Model,
    pub scores: Scores,
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

/// Per account, its won and lost deals among those `keep` accepts.
pub fn counts(deals: &Deals, n: usize, keep: &dyn Fn(usize) -> bool) -> (Vec<f64>, Vec<f64>) {
    let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
    for i in 0..deals.len() {
        if !keep(i) {
            continue;
        }
        let a = deals.account[i] as usize;
        match deals.outcome[i] {
            OutcomeLabel::Won => won[a] += 1.0,
            OutcomeLabel::Lost => lost[a] += 1.0,
            OutcomeLabel::Open => {}
        }
    }
    (won, lost)
}

fn deal_idx(deals: &Deals, keep: &dyn Fn(usize) -> bool, mask: &[bool]) -> Vec<usize> {
    (0..deals.len())
        .filter(|&i| keep(i) && mask[deals.account[i] as usize])
        .collect()
}

fn evidence(
    c: &Condition,
    features: &[FeatureColumn],
    n: usize,
    deals: &Deals,
    keep: &dyn Fn(usize) -> bool,
    overall: f64,
    opts: &FigureOptions,
) -> RuleEvidence {
    let mask = c.matches(features, n);
    let f = figures(
        deals,
        &deal_idx(deals, keep, &mask),
        mask.iter().filter(|&&m| m).count() as u64,
        opts,
    );
    RuleEvidence {
        rule: c.clone(),
        text: c.text(features),
        accounts: f.accounts,
        closed_deals: f.won + f.lost,
        win_rate: f.win_rate,
        win_rate_interval: f.win_rate_interval,
        lift: f.win_rate.map(|w| w / overall).filter(|l| l.is_finite()),
        p_win_90d: f
            .time_to_win
            .horizons
            .iter()
            .find(|h| h.days == 90)
            .map(|h| h.probability),
        median_days_to_win: f.time_to_win.median_days_to_win,
    }
}

/// Fit the ICP, score and tiers on deals before the held-out quarter, and validate them on it.
pub fn recommend(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    deals: &Deals,
    ctx: &Context<'_>,
) -> Option<Recommendation> {
    let n = matrix.x.nrows();
    let split = Split::new(deals)?;
    let in_train = |i: usize| split.in_train(deals, i);
    let (won, lost) = counts(deals, n, &in_train);
    let (tw, tl): (f64, f64) = (won.iter().sum(), lost.iter().sum());
    if tw == 0.0 || tl == 0.0 {
        // Nothing tells winners from losers; the caller says why.
        return None;
    }
    let overall = tw / (tw + tl);
    let score = match without(features, matrix, ctx.exclude) {
        Some(m) => fit_score(&m, &won, &lost)?,
        None => fit_score(matrix, &won, &lost)?,
    };
    let criteria = rules::learn(features, &won, &lost, ctx.rules, ctx.exclude);
    let segments = segment_model(deals, &in_train, ctx);
    let in_icp = criteria.in_icp(features, n);
    let thresholds = tier_thresholds(matrix, &score, &in_icp, ctx.sizes);
    let fitted = Fitted {
        score,
        criteria,
        thresholds,
        segments,
    };
    let (model, scores) = build_model(features, matrix, deals, ctx, &split, fitted);
    let train = Training {
        deals,
        split: &split,
        overall,
        opts: ctx.opts,
    };
    let icp = icp_section(features, &train, &model, &scores);
    let tiers = tiers_section(
        &train,
        &scores,
        model.thresholds,
        ctx.sizes,
        split.note.clone(),
    );
    Some(Recommendation {
        icp,
        tiers,
        model,
        scores,
    })
}

/// What was fitted on the training deals.
struct Fitted {
    score: Logistic,
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
            format!("deals created before {}", split.label)
        } else {
            "all deals".into()
        }),
        accounts_sha256: ctx.accounts_sha256.to_string(),
        deals_sha256: deals.file.sha256.clone(),
        account_id_column: ctx.account_id_column.to_string(),
        features: features.iter().map(|f| f.spec.clone()).collect(),
        encoded_columns: matrix.columns.clone(),
        score_baseline: matrix
            .x
            .mean_axis(ndarray::Axis(0))
            .map_or_else(|| vec![0.0; matrix.columns.len()], |m| m.to_vec()),
        score: fitted.score,
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

/// Where training ends and validation begins: deals created before the
/// held-out quarter train the model when there are enough closed deals on
/// both sides; otherwise it is fitted on all deals and not validated.
struct Split {
    /// The held-out quarter's label, e.g. `2024Q4`.
    label: String,
    holdout: DayRange,
    validated: bool,
    train_range: DayRange,
    /// Why the model was not validated.
    note: Option<String>,
}

impl Split {
    /// `None` when there are no deals.
    fn new(deals: &Deals) -> Option<Split> {
        let (hq, holdout) = holdout_quarter(deals.as_of);
        let closed = |i: usize| deals.outcome[i] != OutcomeLabel::Open;
        let train_closed = (0..deals.len())
            .filter(|&i| closed(i) && deals.created[i] < holdout.from)
            .count();
        let hold_closed = (0..deals.len())
            .filter(|&i| {
                closed(i) && deals.created[i] >= holdout.from && deals.created[i] <= holdout.to
            })
            .count();
        let first = deals.created.iter().copied().min()?;
        let validated = train_closed >= 100 && hold_closed >= 20 && first < holdout.from;
        let (train_range, note) = if validated {
            (
                DayRange {
                    from: first,
                    to: holdout.from - 1,
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
            validated,
            train_range,
            note,
        })
    }

    fn in_train(&self, deals: &Deals, i: usize) -> bool {
        deals.created[i] >= self.train_range.from && deals.created[i] <= self.train_range.to
    }
}

/// The training deals and what the sections read from them.
struct Training<'a> {
    deals: &'a Deals,
    split: &'a Split,
    /// Won over closed training deals.
    overall: f64,
    opts: &'a FigureOptions,
}

/// The matrix with the columns of the `exclude`d features set to zero, so
/// the ridge-penalised fit gives them a coefficient of exactly zero and the
/// model keeps its column layout; `None` when nothing is excluded.
fn without(
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    exclude: &[String],
) -> Option<FeatureMatrix> {
    let out: Vec<usize> = (0..matrix.columns.len())
        .filter(|&j| exclude.contains(&features[matrix.feature_of[j]].spec.name))
        .collect();
    if out.is_empty() {
        return None;
    }
    let mut x = matrix.x.clone();
    for j in out {
        x.column_mut(j).fill(0.0);
    }
    Some(FeatureMatrix {
        x,
        columns: matrix.columns.clone(),
        feature_of: matrix.feature_of.clone(),
    })
}

/// The fit score on won/lost counts per account. Beyond
/// `MAX_SCORE_ACCOUNTS` accounts with closed deals, fit on a seeded sample.
fn fit_score(matrix: &FeatureMatrix, won: &[f64], lost: &[f64]) -> Option<Logistic> {
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
        Logistic::fit(matrix.x.view(), &w, &l, RIDGE_LAMBDA)
    } else {
        Logistic::fit(matrix.x.view(), won, lost, RIDGE_LAMBDA)
    }
}

/// Segment centroids and the mean won amount per segment, from training wins.
fn segment_model(deals: &Deals, in_train: &dyn Fn(usize) -> bool, ctx: &Context) -> SegmentModel {
    let k = ctx.centroids.nrows();
    let wins = (0..deals.len())
        .filter(|&i| in_train(i) && deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| (ctx.labels[deals.account[i] as usize], deals.amount[i]));
    let (expected_won_amount, overall_expected_won_amount) = mean_won_amounts(wins, k);
    SegmentModel {
        ids: (1..=k as u32).collect(),
        centroids: ctx.centroids.outer_iter().map(|r| r.to_vec()).collect(),
        column_weights: ctx.column_weights.to_vec(),
        expected_won_amount,
        overall_expected_won_amount,
    }
}

/// Tier thresholds from the ranking of in-ICP accounts by fit score: the
/// score of the last account that fits in Tier 1, and in Tiers 1–2.
fn tier_thresholds(
    matrix: &FeatureMatrix,
    score: &Logistic,
    in_icp: &[bool],
    sizes: &TierSizes,
) -> TierThresholds {
    let n = matrix.x.nrows();
    let mut icp_p: Vec<f64> = (0..n)
        .filter(|&i| in_icp[i])
        .map(|i| {
            logistic::probability(
                score.log_odds(
                    matrix
                        .x
                        .row(i)
                        .as_slice()
                        .unwrap_or(&matrix.x.row(i).to_vec()),
                ),
            )
        })
        .collect();
    icp_p.sort_by(|a, b| b.total_cmp(a));
    let (t1, t2) = sizes.sizes(n);
    let at = |rank: usize| {
        icp_p
            .get(rank.saturating_sub(1))
            .copied()
            .unwrap_or(f64::INFINITY)
    };
    TierThresholds {
        tier1_min_probability: at(t1.min(icp_p.len())),
        tier2_min_probability: at((t1 + t2).min(icp_p.len())),
    }
}

/// The ICP section: each criterion's evidence, and outcomes in and outside
/// the ICP, on training deals.
fn icp_section(
    features: &[FeatureColumn],
    t: &Training,
    model: &Model,
    scores: &Scores,
) -> IcpSection {
    let (deals, opts, n) = (t.deals, t.opts, scores.in_icp.len());
    let in_train = |i: usize| t.split.in_train(deals, i);
    let ev = |c: &Condition| evidence(c, features, n, deals, &in_train, t.overall, opts);
    let outside: Vec<bool> = scores.in_icp.iter().map(|x| !x).collect();
    IcpSection {
        method: "greedy FOIL rules on won/lost closed deals (qualifying) and clearly poor single conditions (disqualifying)".into(),
        trained_on: model.trained_on.clone(),
        qualifying: model.criteria.qualifying.iter().map(ev).collect(),
        disqualifying: model.criteria.disqualifying.iter().map(ev).collect(),
        in_icp_accounts: scores.in_icp.iter().filter(|&&x| x).count() as u64,
        in_icp: figures(deals, &deal_idx(deals, &in_train, &scores.in_icp), scores.in_icp.iter().filter(|&&x| x).count() as u64, opts),
        outside_icp: figures(deals, &deal_idx(deals, &in_train, &outside), outside.iter().filter(|&&x| x).count() as u64, opts),
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
    let validation =
        (split.validated).then(|| validate(scores, deals, split.holdout, &split.label, t.opts));
    TiersSection {
        sizes: sizes.clone(),
        tier1_min_score: 100.0 * thresholds.tier1_min_probability,
        tier2_min_score: 100.0 * thresholds.tier2_min_probability,
        score_method: format!("L2-regularised logistic regression (lambda = {RIDGE_LAMBDA}) of won vs lost on the encoded features; fit score = 100 × win probability"),
        tiers: rec_tiers,
        monotone_in_training,
        validation,
        validation_note: note,
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

fn validate(
    scores: &Scores,
    deals: &Deals,
    holdout: DayRange,
    label: &str,
    opts: &FigureOptions,
) -> Validation {
    let in_hold = |i: usize| deals.created[i] >= holdout.from && deals.created[i] <= holdout.to;
    let tiers = crate::verdict::tier_figures(&scores.tier, deals, &in_hold, opts);
    let get = |t: u8| {
        tiers
            .iter()
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let days = f64::from(holdout.to - holdout.from + 1);
    let (_, comparisons) = crate::verdict::comparisons(&tiers, opts.confidence, days);
    let (mut p, mut y, mut acc) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..deals.len() {
        if in_hold(i) && deals.outcome[i] != OutcomeLabel::Open {
            p.push(scores.probability[deals.account[i] as usize]);
            y.push(deals.outcome[i] == OutcomeLabel::Won);
            acc.push(deals.account[i]);
        }
    }
    let auc = roc_auc(&p, &y);
    let clustered = roc_auc_clustered(&p, &y, &acc, opts.confidence);
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
    let rate = |t: u8| get(t).and_then(|o| o.win_rate);
    let closed_in = |t: u8| get(t).map_or(0, |o| o.won + o.lost);
    let mono = monotone(rate(1), rate(2), rate(3));
    let reordered = [(1, 2), (2, 3)].into_iter().any(|(a, b)| {
        get(a)
            .zip(get(b))
            .is_some_and(|(h, l)| crate::verdict::reordered(h, l))
    });
    let lead = crate::verdict::lead_reason(crate::verdict::open_share(&tiers), reordered);
    let text = validation_text(
        p.len(),
        label,
        auc,
        [1, 2, 3].map(|t| (rate(t), closed_in(t))),
        [1, 2, 3].map(|t| get(t).and_then(crate::verdict::win_within_lead_horizon)),
        lead.as_deref(),
        comparisons
            .iter()
            .any(|c| c.verdict == crate::verdict::PairVerdict::Inverted),
    );
    Validation {
        holdout: holdout.window(label),
        tiers,
        comparisons,
        auc,
        auc_interval: clustered.map(|c| c.interval),
        auc_design_effect: clustered.map(|c| c.design_effect),
        calibration,
        monotone: mono,
        text,
    }
}

/// `s` with its first letter in lower case, to follow a colon mid-sentence.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
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
