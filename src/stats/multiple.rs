//! Corrections for testing several hypotheses at once.

/// Holm's step-down adjusted p-values, in the input order.
///
/// Mirrors statsmodels `multipletests(p_values, method="holm")[1]`: with the
/// p-values sorted ascending as `p_(1) ≤ … ≤ p_(m)`, the adjusted value of
/// the `k`-th is `max_{j ≤ k} min(1, (m − j + 1) · p_(j))`. Rejecting where
/// the adjusted value is below `α` keeps the family-wise error rate at `α`.
/// NaN p-values stay NaN and do not count in `m`.
///
/// # Remarks
/// Source: Holm (1979), "A simple sequentially rejective multiple test
/// procedure".
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len();
    let mut out = vec![f64::NAN; p_values.len()];
    let mut running = 0.0_f64;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p_values[i]).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{close, EXACT_EPS};

    /// p = (0.01, 0.04, 0.03, 0.2), m = 4. Sorted 0.01, 0.03, 0.04, 0.2:
    /// 4·0.01 = 0.04; max(0.04, 3·0.03) = 0.09; max(0.09, 2·0.04) = 0.09;
    /// max(0.09, 1·0.2) = 0.2. In input order: 0.04, 0.09, 0.09, 0.2.
    #[test]
    fn holm_matches_the_hand_computation() {
        let got = holm(&[0.01, 0.04, 0.03, 0.2]);
        for (g, e) in got.iter().zip([0.04, 0.09, 0.09, 0.2]) {
            assert!(close(*g, e, 0.0, EXACT_EPS), "{got:?}");
        }
        assert_eq!(holm(&[0.6, 0.7]), vec![1.0, 1.0]);
        let with_nan = holm(&[f64::NAN, 0.02]);
        assert!(with_nan[0].is_nan() && close(with_nan[1], 0.02, 0.0, EXACT_EPS));
    }
}
