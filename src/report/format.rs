//! How figures read in `report.md` and `report.html`: one place, so both
//! formats say the same thing the same way.

use crate::outcomes::OutcomeFigures;
use crate::stats::conversion::Interval;
pub use crate::text::{p_text, pct, NONE};

/// An interval of rates as percentages, e.g. "61.6–65.4%".
pub fn interval(i: Option<Interval>) -> String {
    i.map_or_else(
        || NONE.to_string(),
        |i| format!("{:.1}–{:.1}%", 100.0 * i.lo, 100.0 * i.hi),
    )
}

/// A rate and its interval, e.g. "63.5% (61.6–65.4%)".
pub fn rate_interval(rate: Option<f64>, i: Option<Interval>) -> String {
    format!("{} ({})", pct(rate), interval(i))
}

/// `text` in at most `max` characters: cut, with "…" in place of the rest
/// (and of the spaces and commas it would follow).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let s: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", s.trim_end_matches([' ', ',']))
    }
}

/// Days, rounded, e.g. "39 d".
pub fn days(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_string(), |v| format!("{v:.0} d"))
}

/// An amount in currency units, shortened: "1.03M", "35.0k", "950".
pub fn money(v: Option<f64>) -> String {
    match v {
        None => NONE.to_string(),
        Some(v) if v.abs() >= 1e6 => format!("{:.2}M", v / 1e6),
        Some(v) if v.abs() >= 1e4 => format!("{:.1}k", v / 1e3),
        Some(v) => format!("{v:.0}"),
    }
}

/// A ratio to the overall figure, e.g. "1.70×".
pub fn lift(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_string(), |l| format!("{l:.2}×"))
}

/// P(win ≤ `d` days) of a group, if `d` is one of the run's horizons.
pub fn horizon(f: &OutcomeFigures, d: u32) -> String {
    f.time_to_win
        .horizons
        .iter()
        .find(|h| h.days == d)
        .map_or_else(|| NONE.to_string(), |h| pct(Some(h.probability)))
}

/// "Tier 1", or "untiered".
pub fn tier(t: Option<u8>) -> String {
    t.map_or_else(|| "untiered".into(), |t| format!("Tier {t}"))
}

/// A drop reason key (`unknown_account`) in words.
pub fn reason(key: &str) -> String {
    key.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_the_same_in_every_format() {
        assert_eq!(pct(Some(0.6354)), "63.5%");
        assert_eq!(pct(None), "–");
        assert_eq!(
            interval(Some(Interval {
                lo: 0.616,
                hi: 0.654
            })),
            "61.6–65.4%"
        );
        assert_eq!(
            rate_interval(
                Some(0.6354),
                Some(Interval {
                    lo: 0.616,
                    hi: 0.654
                })
            ),
            "63.5% (61.6–65.4%)"
        );
        assert_eq!(rate_interval(Some(0.6354), None), "63.5% (–)");
        assert_eq!(cut("with HubSpot", 12), "with HubSpot");
        assert_eq!(cut("with HubSpot", 8), "with Hu…");
        assert_eq!(cut("with SAP, with AWS", 11), "with SAP…");
        assert_eq!(days(Some(38.6)), "39 d");
        assert_eq!(money(Some(1_034_000.0)), "1.03M");
        assert_eq!(money(Some(35_012.0)), "35.0k");
        assert_eq!(money(Some(950.2)), "950");
        assert_eq!(lift(Some(1.7)), "1.70×");
        assert_eq!(tier(Some(2)), "Tier 2");
        assert_eq!(tier(None), "untiered");
        assert_eq!(reason("unknown_account"), "unknown account");
    }
}
