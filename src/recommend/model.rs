//! The model `score` applies, and what it gives each account: fit score,
//! readiness, ICP membership, tier, segment and expected value.

use serde::{Deserialize, Serialize};

use super::carve;
use super::logistic::{self, row_of, Logistic};
use super::readiness::{Band, ReadinessModel};
use super::rules::Criteria;
use crate::features::{encode, FeatureColumn, FeatureMatrix, FeatureSpec};
use crate::verdict::Window;

/// Bumped on any breaking change to `model.json`.
pub const MODEL_VERSION: u32 = 1;

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
    pub(super) fn sizes(&self, n: usize) -> (usize, usize) {
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
