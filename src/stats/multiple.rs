//! Corrections for testing several hypotheses at once.

/// Holm's step-down adjusted p-values, in the input order: the i-th smallest
/// p is multiplied by `m − i` (i from 0), a running maximum keeps the
/// adjusted values in the order of the raw ones, and each is capped at 1.
/// Rejecting where the adjusted p is below α keeps the family-wise error
/// rate at α. NaN p-values stay NaN and do not count towards `m`.
///
/// # Remarks
/// Source: statsmodels `multipletests(p, method="holm")[1]`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let m = order.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// p = (0.01, 0.04, 0.03, 0.005): sorted 0.005·4 = 0.02, 0.01·3 = 0.03,
    /// 0.03·2 = 0.06, 0.04·1 = 0.04 → running maximum 0.02, 0.03, 0.06, 0.06.
    /// statsmodels 0.14 `multipletests(..., method="holm")` gives the same.
    #[test]
    fn holm_matches_the_hand_computation() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{adj:?}");
        }
        let capped = holm(&[0.6, f64::NAN, 0.5]);
        assert_eq!(capped[0], 1.0);
        assert!(capped[1].is_nan());
        assert_eq!(capped[2], 1.0);
    }
}
