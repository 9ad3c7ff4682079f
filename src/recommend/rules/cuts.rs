//! Cut points of a numeric feature: coarse ones, at quantiles from the
//! tails to the middle snapped to readable values, which the search and
//! its permutation guard choose among, and fine ones, at every half
//! percentile snapped to two significant digits, where a chosen range's
//! bounds are then moved to ([`super::refine`]).

/// The quantiles of the coarse cut points: the deciles, and the tails
/// (1%, 2.5%, 5% and their mirrors), so that a range can end where only a
/// few accounts lie beyond it.
const COARSE_QUANTILES: [f64; 15] = [
    0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99,
];

/// Fine cut points are the quantiles at every this many per mille.
const FINE_PERMILLE: usize = 5;

/// `v` snapped to the nearest of 1, 2, 2.5, 5 and 10 times its power of
/// ten: a cut point a person reads at a glance.
pub(super) fn readable(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let sign = v.signum();
    let a = v.abs();
    let e = 10f64.powf(a.log10().floor());
    let m = a / e;
    let snapped = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .min_by(|x, y| (x - m).abs().total_cmp(&(y - m).abs()))
        .unwrap_or(1.0);
    sign * snapped * e
}

/// `v` rounded to two significant digits: 1,234 → 1,200; 0.0456 → 0.046.
pub(super) fn two_digits(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let k = 1 - v.abs().log10().floor() as i32;
    if k > 0 {
        let s = 10f64.powi(k);
        (v * s).round() / s
    } else {
        let s = 10f64.powi(-k);
        (v / s).round() * s
    }
}

/// The known values of `v` over `rows`, ascending.
pub(super) fn sorted_present(v: &[f64], rows: &[usize]) -> Vec<f64> {
    let mut present: Vec<f64> = (rows.iter())
        .filter(|&&a| !v[a].is_nan())
        .map(|&a| v[a])
        .collect();
    present.sort_by(f64::total_cmp);
    present
}

/// Distinct snapped quantiles of the ascending values `present`.
fn snapped(
    present: &[f64],
    quantiles: impl Iterator<Item = f64>,
    snap: fn(f64) -> f64,
) -> Vec<f64> {
    let n = present.len();
    let mut cuts: Vec<f64> = quantiles
        .map(|q| snap(present[((q * n as f64) as usize).min(n - 1)]))
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    cuts
}

/// The coarse cut points of the ascending values `present` (at least ten
/// of them), snapped to [`readable`] values; none for fewer.
pub(super) fn coarse(present: &[f64]) -> Vec<f64> {
    if present.len() < 10 {
        return Vec::new();
    }
    snapped(present, COARSE_QUANTILES.into_iter(), readable)
}

/// The fine cut points of the ascending values `present`, at every
/// [`FINE_PERMILLE`] per mille, the extremes included, snapped to two
/// significant digits.
pub(super) fn fine(present: &[f64]) -> Vec<f64> {
    if present.len() < 10 {
        return Vec::new();
    }
    let qs = (0..=1000 / FINE_PERMILLE).map(|k| (k * FINE_PERMILLE) as f64 / 1000.0);
    snapped(present, qs, two_digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_snap_to_readable_values() {
        assert_eq!(readable(183.0), 200.0);
        assert_eq!(readable(2140.0), 2000.0);
        assert_eq!(readable(2400.0), 2500.0);
        assert!((readable(0.37) - 0.25).abs() < 1e-15);
        assert_eq!(readable(7600.0), 10_000.0);
    }

    #[test]
    fn fine_cut_points_have_two_significant_digits() {
        assert_eq!(two_digits(1234.0), 1200.0);
        assert_eq!(two_digits(1250.0), 1300.0);
        assert_eq!(two_digits(148_765_432.0), 150_000_000.0);
        assert_eq!(two_digits(0.0456), 0.046);
        assert_eq!(two_digits(-87.0), -87.0);
        assert_eq!(two_digits(7.0), 7.0);
        let present: Vec<f64> = (1..=1000).map(f64::from).collect();
        let f = fine(&present);
        assert_eq!(f.first(), Some(&1.0));
        assert_eq!(f.last(), Some(&1000.0));
        assert!(
            f.contains(&300.0) && f.windows(2).all(|w| w[0] < w[1]),
            "{f:?}"
        );
        assert_eq!(coarse(&present)[..3], [10.0, 25.0, 50.0]);
    }
}
