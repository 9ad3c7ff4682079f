//! Named tolerances for comparing computed statistics with reference values.
//!
//! Tests compare against fixtures produced by scipy, statsmodels, lifelines,
//! scikit-survival and scikit-learn; they use these constants instead of bare
//! numbers so that every tolerance in the suite is visible in one place.

/// Relative agreement required with a reference library.
pub const REL_EPS: f64 = 1e-6;

/// Magnitude below which [`rel_close`] treats two values as both zero.
///
/// Tiny on purpose: p-values such as 1e-30 must still be compared
/// relatively, so only underflowed results fall under this floor.
pub const ABS_FLOOR: f64 = 1e-300;

/// Absolute tolerance for quantities on the unit scale (probabilities,
/// correlations, interval bounds) whose reference value may be exactly 0
/// while the computed value is a rounding residue such as 1e-17.
pub const UNIT_ABS_EPS: f64 = 1e-12;

/// Tolerance for results that are exact up to floating-point rounding
/// (hand-worked examples computed in closed form).
pub const EXACT_EPS: f64 = 1e-12;

/// `true` when `a` and `b` agree to relative tolerance `eps`.
///
/// The scale is `max(|a|, |b|, ABS_FLOOR)`, so values near zero are
/// compared against the absolute floor [`ABS_FLOOR`]. Two NaNs compare
/// equal, as do two equal infinities; a NaN never equals a number.
pub fn rel_close(a: f64, b: f64, eps: f64) -> bool {
    close(a, b, eps, 0.0)
}

/// `true` when `|a - b| <= max(abs_eps, rel_eps * max(|a|, |b|, ABS_FLOOR))`.
///
/// NaN and infinity are handled as in [`rel_close`].
pub fn close(a: f64, b: f64, rel_eps: f64, abs_eps: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    let scale = a.abs().max(b.abs()).max(ABS_FLOOR);
    (a - b).abs() <= abs_eps.max(rel_eps * scale)
}

/// Fixture helpers: read numbers from the JSON fixtures, where NaN and the
/// infinities are written as the strings `"nan"`, `"inf"` and `"-inf"`.
#[cfg(test)]
pub(crate) mod fixture {
    use serde_json::Value;

    /// A number, or one of the strings `"nan"`, `"inf"`, `"-inf"`, or `null` (NaN).
    pub(crate) fn num(v: &Value) -> f64 {
        match v {
            Value::Number(n) => n.as_f64().expect("number"),
            Value::Null => f64::NAN,
            Value::String(s) => match s.as_str() {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                other => panic!("not a number: {other}"),
            },
            other => panic!("not a number: {other}"),
        }
    }

    /// An array of numbers.
    pub(crate) fn nums(v: &Value) -> Vec<f64> {
        v.as_array().expect("array").iter().map(num).collect()
    }

    /// A non-negative integer.
    pub(crate) fn uint(v: &Value) -> u64 {
        v.as_u64().expect("unsigned integer")
    }

    /// An array of non-negative integers.
    pub(crate) fn uints(v: &Value) -> Vec<u64> {
        v.as_array().expect("array").iter().map(uint).collect()
    }

    /// Parse a fixture file.
    pub(crate) fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("fixture is valid JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_close_accepts_relative_differences_below_eps() {
        assert!(rel_close(1e-30, 1e-30 * (1.0 + 1e-7), REL_EPS));
        assert!(rel_close(100.0, 100.00001, REL_EPS));
    }

    #[test]
    fn rel_close_rejects_tiny_values_that_differ_by_a_factor() {
        assert!(!rel_close(1e-30, 2e-30, REL_EPS));
        assert!(!rel_close(0.0, 1e-17, REL_EPS));
    }

    #[test]
    fn close_uses_the_absolute_floor_for_unit_scale_values() {
        assert!(close(0.0, 1e-17, REL_EPS, UNIT_ABS_EPS));
        assert!(!close(0.0, 1e-9, REL_EPS, UNIT_ABS_EPS));
    }

    #[test]
    fn nan_equals_only_nan_and_infinities_only_themselves() {
        assert!(rel_close(f64::NAN, f64::NAN, REL_EPS));
        assert!(!rel_close(f64::NAN, 1.0, REL_EPS));
        assert!(rel_close(f64::INFINITY, f64::INFINITY, REL_EPS));
        assert!(!rel_close(f64::INFINITY, 1e300, REL_EPS));
    }
}
