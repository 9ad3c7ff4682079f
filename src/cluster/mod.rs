//! Segments: k-means on the feature matrix, with k chosen by silhouette on a
//! seeded sample under a minimum segment size.

pub mod choose_k;
pub mod distance;
pub mod lloyd;
pub mod silhouette;

pub use choose_k::{cluster, cluster_with_progress, fit_k_on_sample, Clustering, KCandidate, Step};
pub use distance::{nearest, nearest_labels};
pub use silhouette::silhouette_score;

use serde::Serialize;

/// Checked clustering parameters (built by `config`; these are the defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterConfig {
    pub k_min: usize,
    pub k_max: usize,
    pub seed: u64,
    pub n_runs: usize,
    pub silhouette_sample: usize,
    pub fit_sample: usize,
    pub min_segment_share: f64,
    pub min_segment_accounts: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k_min: 2,
            k_max: 8,
            seed: 42,
            n_runs: 10,
            silhouette_sample: 2_000,
            fit_sample: 25_000,
            min_segment_share: 0.05,
            min_segment_accounts: 30,
        }
    }
}
