//! Exact silhouette coefficient (Rousseeuw 1987) with Euclidean distance.
//!
//! Mirrors `sklearn.metrics.silhouette_score(X, labels)`: for each point,
//! a = mean distance to the other members of its cluster, b = the smallest
//! mean distance to the members of another cluster, s = (b - a) / max(a, b),
//! and s = 0 for a point alone in its cluster. The score is the mean of s.
//! Cost is O(n² · d): call it on a sample, never on a million accounts.

use ndarray::ArrayView2;

/// Euclidean distances between every pair of rows of a sample, computed once
/// so that scoring several labellings of the same rows costs O(n²) each
/// instead of O(n² · d).
#[derive(Debug, Clone)]
pub struct Distances {
    n: usize,
    /// Row-major n × n, symmetric, zero on the diagonal.
    d: Vec<f64>,
}

impl Distances {
    pub fn new(x: ArrayView2<'_, f64>) -> Distances {
        let n = x.nrows();
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            let xi = x.row(i);
            for j in i + 1..n {
                let v = xi
                    .iter()
                    .zip(x.row(j).iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                d[i * n + j] = v;
                d[j * n + i] = v;
            }
        }
        Distances { n, d }
    }

    /// Mean silhouette under `labels` in `0..k`; `None` when fewer than 2
    /// clusters are present or there are under 2 points.
    pub fn silhouette(&self, labels: &[usize], k: usize) -> Option<f64> {
        let n = self.n;
        if n < 2 || labels.len() != n {
            return None;
        }
        let mut sizes = vec![0usize; k];
        for &l in labels {
            sizes[l] += 1;
        }
        if sizes.iter().filter(|&&s| s > 0).count() < 2 {
            return None;
        }
        let mut sums = vec![0.0f64; k];
        let mut total = 0.0;
        for (i, row) in self.d.chunks_exact(n).enumerate() {
            sums.iter_mut().for_each(|s| *s = 0.0);
            // The diagonal adds zero to the point's own cluster.
            for (&l, &d) in labels.iter().zip(row) {
                sums[l] += d;
            }
            let own = labels[i];
            if sizes[own] <= 1 {
                continue; // s(i) = 0
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 {
                total += (b - a) / m;
            }
        }
        Some(total / n as f64)
    }
}

/// Mean silhouette of `x` (rows are points) under `labels` in `0..k`.
/// `None` when fewer than 2 clusters are present or there are under 2 points.
pub fn silhouette_score(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Option<f64> {
    Distances::new(x).silhouette(labels, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Worked by hand: points 0, 1 (cluster 0) and 4 (cluster 1) on a line.
    /// Point 0: a = 1, b = 4, s = 3/4. Point 1: a = 1, b = 3, s = 2/3.
    /// Point 4: alone in its cluster, s = 0. Mean = (0.75 + 0.6667) / 3.
    #[test]
    fn silhouette_of_three_points_matches_hand_computation() {
        let x = array![[0.0], [1.0], [4.0]];
        let s = silhouette_score(x.view(), &[0, 0, 1], 2).unwrap();
        assert!((s - (0.75 + 2.0 / 3.0) / 3.0).abs() < 1e-12, "{s}");
    }

    /// Reference: scikit-learn, see tests/fixtures/silhouette/make_silhouette.py.
    #[test]
    fn silhouette_matches_scikit_learn_fixture() {
        #[derive(serde::Deserialize)]
        struct Fixture {
            x: Vec<Vec<f64>>,
            labels: Vec<usize>,
            k: usize,
            silhouette: f64,
        }
        let f: Fixture = serde_json::from_str(include_str!(
            "../../tests/fixtures/silhouette/silhouette.json"
        ))
        .unwrap();
        let d = f.x[0].len();
        let flat: Vec<f64> = f.x.into_iter().flatten().collect();
        let x = ndarray::Array2::from_shape_vec((flat.len() / d, d), flat).unwrap();
        let s = silhouette_score(x.view(), &f.labels, f.k).unwrap();
        assert!(
            crate::stats::prec::rel_close(s, f.silhouette, crate::stats::prec::REL_EPS),
            "{s} vs {}",
            f.silhouette
        );
    }

    #[test]
    fn one_cluster_has_no_silhouette() {
        let x = array![[0.0], [1.0]];
        assert_eq!(silhouette_score(x.view(), &[0, 0], 2), None);
    }
}
