//! Variances from per-row influences when rows are clustered: how much
//! summing influences within clusters (accounts) inflates the variance
//! that treats every row as independent.

/// `Σ_a (Σ_{i∈a} x_i)² / Σ_i x_i²` (1 when the denominator is 0), and the
/// number of clusters. Summed in cluster order, so the result does not
/// depend on the order of the rows beyond rounding.
pub fn design_effect(x: &[f64], clusters: &[u32]) -> (f64, usize) {
    let mut rows: Vec<(u32, f64)> = clusters.iter().copied().zip(x.iter().copied()).collect();
    if !clusters.is_sorted() {
        // Deals usually come in account order, and then each cluster's few
        // rows are sorted on their own below.
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    }
    let mut sums = ClusterSums::default();
    let mut values = Vec::new();
    for run in rows.chunk_by(|a, b| a.0 == b.0) {
        values.clear();
        values.extend(run.iter().map(|r| r.1));
        sums.add(&mut values);
    }
    (sums.design_effect(), sums.clusters)
}

/// The sums of [`design_effect`], fed one cluster at a time in cluster
/// order: each cluster's values are summed in ascending order, so the
/// figure is the same, to the bit, however the rows were ordered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterSums {
    /// `Σ_a (Σ_{i∈a} x_i)²`.
    clustered: f64,
    /// `Σ_i x_i²`.
    independent: f64,
    /// Clusters added.
    pub clusters: usize,
}

impl ClusterSums {
    /// Adds one cluster's values (sorted here, in place).
    pub fn add(&mut self, values: &mut [f64]) {
        if values.len() > 1 {
            values.sort_by(f64::total_cmp);
        }
        let mut sum = 0.0;
        for &v in values.iter() {
            sum += v;
            self.independent += v * v;
        }
        self.clustered += sum * sum;
        self.clusters += 1;
    }

    /// `Σ_a (Σ_{i∈a} x_i)² / Σ_i x_i²`, 1 when the denominator is 0.
    pub fn design_effect(&self) -> f64 {
        if self.independent > 0.0 {
            self.clustered / self.independent
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{rel_close, EXACT_EPS};

    #[test]
    fn design_effect_by_hand() {
        // clusters {1: 1, 2}, {2: -1}, {3: 0.5}: (3² + 1 + 0.25) / (1 + 4 + 1 + 0.25)
        let (d, n) = design_effect(&[1.0, -1.0, 2.0, 0.5], &[1, 2, 1, 3]);
        assert!(rel_close(d, 10.25 / 6.25, EXACT_EPS), "{d}");
        assert_eq!(n, 3);
        // one row per cluster: no inflation
        let (d, n) = design_effect(&[0.3, -0.7, 0.4], &[5, 6, 7]);
        assert!(rel_close(d, 1.0, EXACT_EPS), "{d}");
        assert_eq!(n, 3);
        // opposite influences within a cluster cancel
        assert_eq!(design_effect(&[1.0, -1.0], &[1, 1]).0, 0.0);
        assert_eq!(design_effect(&[0.0, 0.0], &[1, 2]).0, 1.0);
        // rows already in cluster order take the per-cluster sort: the same
        // figure, to the bit, as the same rows out of order; by hand
        // (0.3² + 0.1² + 0.6²) / (0.01 + 0.04 + 0.04 + 0.09 + 0.16 + 0.04)
        let sorted = design_effect(&[0.1, 0.2, -0.2, 0.3, 0.4, 0.2], &[1, 1, 2, 2, 3, 3]);
        let shuffled = design_effect(&[0.4, -0.2, 0.1, 0.2, 0.3, 0.2], &[3, 2, 1, 1, 2, 3]);
        assert_eq!(sorted, shuffled);
        assert!(rel_close(sorted.0, 0.46 / 0.38, 1e-12), "{sorted:?}");
    }
}
