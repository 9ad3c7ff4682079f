//! How numbers and names read in text: percentages, p-values and "did you
//! mean" hints. A leaf: analyses write verdict sentences with it and the
//! reports render with it, so both say a figure the same way.

/// A dash for a figure that could not be computed.
pub const NONE: &str = "–";

/// A rate (0–1) as a percentage with one decimal, e.g. "63.5%".
pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_string(), |v| format!("{:.1}%", 100.0 * v))
}

/// Format a p-value for reports: `"< 1e-12"` below `1e-12`, scientific with
/// three significant digits below `0.001` (e.g. `"3.20e-7"`), four decimals
/// otherwise (e.g. `"0.0420"`), and `"NaN"` for NaN.
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        "NaN".to_string()
    } else if p < 1e-12 {
        "< 1e-12".to_string()
    } else if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

/// "p = 0.031" or "p < 1e-12".
pub fn p_text(p: f64) -> String {
    let s = format_p(p);
    if s.starts_with('<') {
        format!("p {s}")
    } else {
        format!("p = {s}")
    }
}

/// The closest name in `candidates` to `name`, for "did you mean" hints.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_p_prints_tiny_values_as_a_bound() {
        assert_eq!(format_p(1e-30), "< 1e-12");
        assert_eq!(format_p(0.0), "< 1e-12");
        assert_eq!(format_p(3.2e-7), "3.20e-7");
        assert_eq!(format_p(0.042), "0.0420");
        assert_eq!(format_p(1.0), "1.0000");
        assert_eq!(format_p(f64::NAN), "NaN");
    }

    #[test]
    fn nearest_suggests_a_column_one_typo_away() {
        let cols = ["account_id", "industry", "employees"];
        assert_eq!(nearest("acount_id", cols), Some("account_id"));
        assert_eq!(nearest("Industry", cols), Some("industry"));
        assert_eq!(nearest("revenue", cols), None);
    }

    /// Suggestions pinned by hand-counted edit distances, so a change of
    /// distance routine cannot change what users are told.
    #[test]
    fn nearest_suggestions_are_pinned() {
        let cols = ["account_id", "industry", "employees", "region", "won_at"];
        // "acct_id" -> "account_id": 3 insertions; limit max(10/3, 2) = 3.
        assert_eq!(nearest("acct_id", cols), Some("account_id"));
        // "regoin" -> "region": 2 substitutions (no transpositions counted).
        assert_eq!(nearest("regoin", cols), Some("region"));
        // "employes" -> "employees": 1 insertion.
        assert_eq!(nearest("EMPLOYES", cols), Some("employees"));
        // "won" -> "won_at": 3 insertions; limit max(6/3, 2) = 2, so nothing.
        assert_eq!(nearest("won", cols), None);
        // Distance is over characters, not bytes: "régïon" is 2 from "region".
        assert_eq!(nearest("régïon", cols), Some("region"));
        // Ties go to the first candidate: "ab" is 1 from both "ax" and "ay".
        assert_eq!(nearest("ab", ["ax", "ay"]), Some("ax"));
        assert_eq!(nearest("ab", ["ay", "ax"]), Some("ay"));
    }
}
