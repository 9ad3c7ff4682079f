//! The run's findings as one [`Report`], rendered to every output format.
//!
//! # Wire format
//!
//! `report.json` is this struct serialised with serde. Within a
//! [`SCHEMA_VERSION`] fields are only added; a rename or removal bumps it and
//! gets a CHANGELOG line. Rates are fractions in 0–1, durations are days,
//! amounts are in the input's currency units; nothing is pre-formatted.
//! Sections a run could not compute hold `{"status": "not_computed",
//! "reason": ...}` instead of their figures.

pub mod chart;
pub mod format;
pub mod headlines;
pub mod html;
pub mod json;
pub mod markdown;
pub mod notes;
pub mod parquet;
pub mod story;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cluster::KCandidate;
use crate::features::Skipped;
use crate::io::read::InputFile;
pub use crate::segments::SegmentReport;
pub use crate::speed::{RankedSegment, SpeedReport};
pub use crate::stability::{Movement, TierMove};
pub use crate::verdict::{
    CurrentTiers, IcpGap, QuarterVerdict, TierComparison, TierFigures, Window,
};

/// Bumped on any breaking change to `report.json`.
pub const SCHEMA_VERSION: u32 = 2;

/// A section that may not have been computed.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Section<T> {
    Computed(T),
    NotComputed {
        status: &'static str,
        reason: String,
    },
}

impl<T> Section<T> {
    pub fn not_computed(reason: impl Into<String>) -> Self {
        Section::NotComputed {
            status: "not_computed",
            reason: reason.into(),
        }
    }

    pub fn computed(&self) -> Option<&T> {
        match self {
            Section::Computed(t) => Some(t),
            Section::NotComputed { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub run: RunInfo,
    /// The findings in a few sentences, most important first.
    pub headlines: Vec<String>,
    pub data_quality: DataQuality,
    pub clustering: ClusteringReport,
    pub segments: Vec<SegmentReport>,
    /// Whether and how segments differ in speed.
    pub speed: Section<SpeedReport>,
    pub correlations: Section<crate::correlations::Correlations>,
    pub icp: Section<crate::recommend::IcpSection>,
    pub tiers: Section<crate::recommend::TiersSection>,
    pub current_tiers: Section<CurrentTiers>,
    /// Segment ids and recommended tiers against a previous run (`--previous`).
    pub stability: Section<Stability>,
    /// PSI of features, fit score and tier win rates since a previous run (`--previous`).
    pub drift: Section<crate::drift::Drift>,
}

/// What stayed and what moved since the previous run.
#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    pub segments: crate::stability::SegmentMatching,
    pub tiers: Option<crate::stability::TierStability>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub tool: &'static str,
    pub tool_version: &'static str,
    /// RFC 3339 UTC timestamps.
    pub started_at: String,
    pub finished_at: String,
    /// Open deals are censored here, and later deals ignored (YYYY-MM-DD).
    pub as_of: String,
    pub seed: u64,
    pub parameters: Parameters,
    pub inputs: BTreeMap<&'static str, InputFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    pub k_min: usize,
    pub k_max: usize,
    pub n_runs: usize,
    pub fit_sample: usize,
    pub silhouette_sample: usize,
    pub min_segment_share: f64,
    pub min_segment_accounts: usize,
    pub horizons_days: Vec<u32>,
    pub confidence: f64,
    pub config_file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureUsed {
    pub name: String,
    pub kind: crate::features::FeatureKind,
    /// Fit, signal or relationship.
    pub role: crate::features::Role,
    /// Whether the role was declared in `[accounts.roles]` (else inferred from the name).
    pub role_declared: bool,
    pub nulls: u64,
    /// Share of accounts with a null (0–1).
    pub null_share: f64,
    /// How the feature is encoded for clustering.
    pub transform: crate::features::Transform,
}

#[derive(Debug, Clone, Serialize)]
pub struct DataQuality {
    pub accounts_read: u64,
    pub deals_read: u64,
    /// Deals kept for the analysis.
    pub deals_used: u64,
    /// Reason → deals dropped.
    pub deals_dropped: BTreeMap<crate::io::spec::DropReason, u64>,
    /// Won or lost deals closed after the as-of date, counted as open.
    pub deals_reopened_at_as_of: u64,
    /// Open deals older than `[deals] stale_after_days`, counted as lost at
    /// creation + that many days.
    pub deals_lost_as_stale: u64,
    /// Accounts without any deal (kept in segments, absent from deal figures).
    pub accounts_without_deals: u64,
    pub features_used: Vec<FeatureUsed>,
    pub features_skipped: Vec<Skipped>,
    /// Encoded columns k-means runs on.
    pub encoded_columns: usize,
    /// When the features that explain deals were known: one sentence.
    pub features_as_of: String,
    /// With `--account-history`: the history and what the as-of join did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_history: Option<HistoryQuality>,
    /// Features that look set by a win, from one snapshot of the accounts
    /// (likely leaks are kept out of the ICP criteria and the fit score).
    pub post_outcome: Option<crate::leakage::PostOutcome>,
    /// Features whose role was inferred and that look like a CRM status
    /// (read as relationship): each asks for a declaration.
    pub status_fields: Vec<crate::features::StatusField>,
    pub warnings: Vec<String>,
}

/// The account history and the as-of join of deals to it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryQuality {
    pub path: String,
    /// Versions (rows) in the history.
    pub rows: u64,
    pub accounts_with_versions: u64,
    /// Mean versions per account with at least one.
    pub versions_per_account: f64,
    /// Whether the history has the tier column: the current-tier verdict
    /// then judges each deal by its account's tier when it was created.
    pub has_tier: bool,
    #[serde(flatten)]
    pub join: crate::features::evidence::JoinSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusteringReport {
    pub method: &'static str,
    pub k_considered: Vec<usize>,
    pub candidates: Vec<KCandidate>,
    pub k_chosen: usize,
    pub reason: String,
    pub seed: u64,
    pub n_runs: usize,
    /// Accounts k-means was fitted on when choosing k.
    pub fit_sample: usize,
    /// Accounts the silhouette was computed on.
    pub silhouette_sample: usize,
    /// Whether the best-converting segment beats chance out of sample: weights
    /// and segments refit on a seeded half of the accounts, the best segment
    /// tested by shuffling the other half's outcomes among fixed segments;
    /// `null` when that could not be done.
    pub best_segment: Option<crate::segments::BestSegmentTest>,
    /// When the core ICP won more than the rest of the k-means segments it
    /// sits in on held-out deals, it is a segment of its own (the last):
    /// the test that carved it out. Absent when no segment is carved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_icp_segment: Option<crate::recommend::carve::CoreIcpSegment>,
}
