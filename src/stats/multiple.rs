//! Corrections of p-values for testing several hypotheses at once.

/// Holm's step-down adjusted p-values, in the input order.
///
/// Mirrors statsmodels `multipletests(p, method="holm")[1]`: sorted
/// increasing, the `j`-th (from 0) of `m` is `min(1, max_{i≤j} (m-i)·p_(i))`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
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
    use crate::stats::prec::{rel_close, EXACT_EPS};

    #[test]
    fn holm_matches_the_step_down_by_hand() {
        // sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.04·1, 0.06) = 0.06
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!(rel_close(*a, w, EXACT_EPS), "{adj:?}");
        }
        assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }
}
