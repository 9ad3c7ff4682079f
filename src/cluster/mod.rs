//! Segments: k-means on the feature matrix, with k chosen by silhouette on a
//! seeded sample under a minimum segment size.

pub mod choose_k;
pub mod silhouette;

pub use choose_k::{cluster, cluster_with_progress, Clustering, KCandidate, Step};
pub use silhouette::silhouette_score;
