//! "No ICP found" as a result. When no qualifying criterion survives its
//! permutation guard, no account is in the ICP, no account gets a
//! recommended tier (ranking by a fit score no criterion validated would
//! rank noise), nothing is carved out, and the report says how large a
//! sample would have been needed to see an effect of a stated size.

use super::rules::fmt_num;

/// The effect the "no ICP found" sentence sizes a sample for: a pocket of
/// this share of the accounts...
pub const EFFECT_SHARE: f64 = 0.05;
/// ...winning this many times the overall rate (or halfway from the
/// overall rate to 1, when that is less).
pub const EFFECT_RATIO: f64 = 2.0;
/// The power the sample is sized for.
pub const POWER: f64 = 0.8;
/// The one-sided z of [`POWER`]: `scipy.stats.norm.ppf(0.8)`.
const Z_POWER: f64 = 0.841_621_233_572_914_3;

/// Closed deals a one-sided two-proportion z test at `z_level` needs to
/// tell a pocket of [`EFFECT_SHARE`] of the deals winning
/// [`EFFECT_RATIO`] × `overall` from the rest, with [`POWER`]: with pocket
/// rate `p1` and the rest's `p0` (so that the overall rate stays
/// `overall`), `N = ((z_level·A + z_power·B) / (p1 − p0))²`, `A` the
/// pooled standard deviation `√(p(1−p) / (s(1−s)))` and `B =
/// √(p1(1−p1)/s + p0(1−p0)/(1−s))`. `None` when `overall` is 0 or 1.
pub fn closed_deals_needed(overall: f64, z_level: f64) -> Option<f64> {
    if !(overall > 0.0 && overall < 1.0) {
        return None;
    }
    let s = EFFECT_SHARE;
    let p1 = (EFFECT_RATIO * overall).min(0.5 + overall / 2.0);
    let p0 = (overall - s * p1) / (1.0 - s);
    let a = (overall * (1.0 - overall) / (s * (1.0 - s))).sqrt();
    let b = (p1 * (1.0 - p1) / s + p0 * (1.0 - p0) / (1.0 - s)).sqrt();
    let n = ((z_level * a + Z_POWER * b) / (p1 - p0)).powi(2);
    Some(n.ceil())
}

/// The report's sentence when no ICP was found: what that means, and the
/// accounts with closed deals (at this data's `deals_per_account` closed
/// deals each) a test at the guard's level `z_level` would need to see a
/// pocket of [`EFFECT_SHARE`] of them winning [`EFFECT_RATIO`] times the
/// overall rate with [`POWER`]; `accounts` is how many there are.
pub fn sentence(overall: f64, z_level: f64, deals_per_account: f64, accounts: u64) -> String {
    let head = "No ICP found: no fit criterion beat its permutation guard, so no account is in the ICP, no account has a recommended tier (a fit score no criterion validated would rank noise) and nothing is carved out.";
    let Some(deals) = closed_deals_needed(overall, z_level) else {
        return head.to_string();
    };
    let needed = (deals / deals_per_account.max(1.0)).ceil();
    format!(
        "{head} To see a pocket of {:.0}% of accounts winning {} the overall rate of {:.1}% with {:.0}% power at the guard's level (one-sided z > {z_level:.2}) takes about {} closed deals, about {} accounts with closed deals at {:.1} closed deals each (more where deals of one account win alike); this run had {}.",
        100.0 * EFFECT_SHARE,
        if EFFECT_RATIO * overall <= 0.5 + overall / 2.0 { "twice" } else { "well above" },
        100.0 * overall,
        100.0 * POWER,
        fmt_num(deals),
        fmt_num(needed),
        deals_per_account,
        fmt_num(accounts as f64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: overall 0.15, pocket 0.30, rest (0.15 − 0.05 ×
    /// 0.30) / 0.95 = 0.142105; A = √(0.1275 / 0.0475) = 1.638356, B =
    /// √(0.21 / 0.05 + 0.121911 / 0.95) = 2.080463; at z = 3.5,
    /// ((3.5 × 1.638356 + 0.841621 × 2.080463) / 0.157895)² = 2,247.4.
    #[test]
    fn the_sample_needed_is_the_two_proportion_power_formula() {
        let n = closed_deals_needed(0.15, 3.5).unwrap();
        assert_eq!(n, 2248.0);
        // A stricter level needs more; a larger overall rate (a larger
        // difference at twice the rate) needs fewer.
        assert!(closed_deals_needed(0.15, 4.0).unwrap() > n);
        assert!(closed_deals_needed(0.3, 3.5).unwrap() < n);
        assert_eq!(closed_deals_needed(0.0, 3.5), None);
        assert!(closed_deals_needed(0.8, 3.5).is_some());
    }
}
