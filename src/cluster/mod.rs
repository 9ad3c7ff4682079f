//! Segments: k-means on the feature matrix, with k chosen by silhouette on a
//! seeded sample under a minimum segment size.

pub mod choose_k;
pub mod silhouette;

pub use choose_k::{cluster, Clustering, KCandidate};
pub use silhouette::silhouette_score;
