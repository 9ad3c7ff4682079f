//! Variances from per-row influences when rows are clustered: how much
//! summing influences within clusters (accounts) inflates the variance
//! that treats every row as independent.

/// `Σ_a (Σ_{i∈a} x_i)² / Σ_i x_i²` (1 when the denominator is 0), and the
/// number of clusters. Summed in cluster order, so the result does not
/// depend on the order of the rows beyond rounding.
pub fn design_effect(x: &[f64], clusters: &[u32]) -> (f64, usize) {
    let mut rows: Vec<(u32, f64)> = clusters.iter().copied().zip(x.iter().copied()).collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let (mut clustered, mut independent, mut n) = (0.0, 0.0, 0);
    let mut i = 0;
    while i < rows.len() {
        let (c, mut sum) = (rows[i].0, 0.0);
        while i < rows.len() && rows[i].0 == c {
            sum += rows[i].1;
            independent += rows[i].1 * rows[i].1;
            i += 1;
        }
        clustered += sum * sum;
        n += 1;
    }
    if independent > 0.0 {
        (clustered / independent, n)
    } else {
        (1.0, n)
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
    }
}
