//! The held-out validation in words: which window was held out and how
//! long its deals had to close, and whether the recommended tiers convert
//! in order on it.

use super::split::{FollowUp, FollowUpBasis};
use super::tiers::monotone;

/// The held-out verdict in one line. Only a significant inversion is a
/// warning: tiers out of order on a handful of deals are reported as too few
/// to tell, as the current-tier verdict does.
pub(super) fn validation_text(
    deals: usize,
    label: &str,
    auc: Option<f64>,
    tiers: [(Option<f64>, u64); 3],
    win_within_90: [Option<f64>; 3],
    lead: Option<&str>,
    significant_inversion: bool,
) -> String {
    let p90 = win_within_90
        .iter()
        .enumerate()
        .map(|(i, &p)| format!("Tier {} {}", i + 1, crate::text::pct(p)))
        .collect::<Vec<_>>()
        .join(", ");
    let text = closed_deals_text(deals, label, auc, tiers, significant_inversion);
    let [(r1, _), (r2, _), (r3, _)] = tiers;
    match (win_within_90.iter().any(Option::is_some), lead) {
        (true, Some(why)) => format!(
            "By P(win ≤ 90 d), which counts open deals, held-out recommended tiers win {p90} ({why}). On closed deals alone: {}",
            lower_first(&text)
        ),
        // Beside the won / closed rates, which the in-order sentence leaves out.
        (true, None) if !monotone(r1, r2, r3) => format!("{text}; P(win ≤ 90 d) {p90}"),
        _ => text,
    }
}

/// The held-out verdict on won / closed alone.
fn closed_deals_text(
    deals: usize,
    label: &str,
    auc: Option<f64>,
    tiers: [(Option<f64>, u64); 3],
    significant_inversion: bool,
) -> String {
    let [(r1, _), (r2, _), (r3, _)] = tiers;
    if monotone(r1, r2, r3) {
        return format!(
            "On {deals} deals the model never saw ({label}), recommended tiers convert in order{}",
            auc.map(|a| format!(" (AUC {a:.2})")).unwrap_or_default()
        );
    }
    let rates = tiers
        .iter()
        .enumerate()
        .map(|(i, &(r, n))| format!("Tier {} {} of {n}", i + 1, crate::text::pct(r)))
        .collect::<Vec<_>>()
        .join(", ");
    if significant_inversion {
        format!(
            "WARNING: on {deals} held-out deals ({label}), recommended tiers do NOT convert in order, significantly: {rates} closed deals won"
        )
    } else {
        format!(
            "On {deals} held-out deals ({label}), recommended tiers are out of order but no inversion is significant ({rates} closed deals won): too few held-out deals to tell"
        )
    }
}

/// Which window is held out and how long its deals had to close.
pub(super) fn follow_up_text(label: &str, f: &FollowUp) -> String {
    let p90 = f
        .won_cycle_p90_days
        .map_or_else(|| "unknown".to_string(), |d| format!("{d} days"));
    match f.basis {
        FollowUpBasis::Full => format!(
            "Held out: {label}, the last full quarter ending at least the 90th percentile of won cycle length ({p90}) before the as-of date, so each of its deals had at least {} days to close; training saw only deals created at least that long before it, labelled as they stood at its start.",
            f.min_follow_up_days
        ),
        FollowUpBasis::Censored => format!(
            "Held out: {label}, the last full quarter, with at least {} days of follow-up (too few deals in a quarter ending the 90th percentile of won cycle length, {p90}, before the as-of date): its open deals are censored and P(win ≤ 90 d) leads; training saw only deals created at least {p90} before it, labelled as they stood at its start.",
            f.min_follow_up_days
        ),
    }
}

/// `s` with its first letter in lower case, to follow a colon mid-sentence.
/// A first word in capitals (`WARNING`, `AUC`) is kept as it is.
fn lower_first(s: &str) -> String {
    let first_word = s.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    if first_word.chars().count() > 1 && first_word.chars().all(|c| c.is_uppercase()) {
        return s.to_string();
    }
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences of the two held-out windows of the split's test
    /// (`split::tests`): 2025Q4 with full follow-up (200-day cycles, 273
    /// days to close), and 2026Q3 censored.
    #[test]
    fn the_follow_up_text_says_how_long_held_out_deals_had_to_close() {
        let full = FollowUp {
            basis: FollowUpBasis::Full,
            won_cycle_p90_days: Some(200),
            min_follow_up_days: 273,
        };
        let text = follow_up_text("2025Q4", &full);
        assert!(
            text.starts_with("Held out: 2025Q4, the last full quarter ending at least the 90th percentile of won cycle length (200 days) before the as-of date, so each of its deals had at least 273 days to close"),
            "{text}"
        );
        let censored = FollowUp {
            basis: FollowUpBasis::Censored,
            won_cycle_p90_days: Some(200),
            min_follow_up_days: 0,
        };
        assert!(follow_up_text("2026Q3", &censored).contains("its open deals are censored"));
    }

    #[test]
    fn lower_first_keeps_a_word_in_capitals() {
        assert_eq!(lower_first("On 20 deals"), "on 20 deals");
        assert_eq!(
            lower_first("WARNING: on 20 held-out deals"),
            "WARNING: on 20 held-out deals"
        );
        assert_eq!(lower_first("A tier"), "a tier");
    }

    #[test]
    fn only_a_significant_held_out_inversion_is_a_warning() {
        let in_order = validation_text(
            60,
            "2026Q3",
            Some(0.714),
            [(Some(0.5), 10), (Some(0.4), 20), (Some(0.3), 30)],
            [None; 3],
            None,
            false,
        );
        assert_eq!(
            in_order,
            "On 60 deals the model never saw (2026Q3), recommended tiers convert in order (AUC 0.71)"
        );
        // A tier without closed deals does not break the order of the others.
        let gap = validation_text(
            50,
            "2026Q3",
            None,
            [(None, 0), (Some(0.4), 20), (Some(0.3), 30)],
            [None; 3],
            None,
            false,
        );
        assert!(gap.contains("convert in order"), "{gap}");

        let few = validation_text(
            425,
            "2026Q3",
            Some(0.6),
            [(Some(0.5), 2), (Some(0.842), 19), (Some(0.809), 94)],
            [None; 3],
            None,
            false,
        );
        assert_eq!(
            few,
            "On 425 held-out deals (2026Q3), recommended tiers are out of order but no inversion is significant (Tier 1 50.0% of 2, Tier 2 84.2% of 19, Tier 3 80.9% of 94 closed deals won): too few held-out deals to tell"
        );
        let inverted = validation_text(
            900,
            "2026Q3",
            Some(0.4),
            [(Some(0.1), 200), (Some(0.5), 300), (Some(0.4), 400)],
            [None; 3],
            None,
            true,
        );
        assert!(
            inverted.starts_with("WARNING: on 900 held-out deals (2026Q3), recommended tiers do NOT convert in order, significantly: Tier 1 10.0% of 200"),
            "{inverted}"
        );
    }

    /// With P(win ≤ 90 d) known and the measures in agreement, it follows the
    /// won / closed rates; when they disagree it leads, with the reason.
    #[test]
    fn win_within_90_days_is_beside_won_over_closed_and_leads_on_disagreement() {
        let tiers = [(Some(0.5), 2), (Some(0.842), 19), (Some(0.809), 94)];
        let p90 = [Some(0.3), Some(0.5), Some(0.45)];
        let agree = validation_text(425, "2026Q3", None, tiers, p90, None, false);
        assert_eq!(
            agree,
            "On 425 held-out deals (2026Q3), recommended tiers are out of order but no inversion is significant (Tier 1 50.0% of 2, Tier 2 84.2% of 19, Tier 3 80.9% of 94 closed deals won): too few held-out deals to tell; P(win ≤ 90 d) Tier 1 30.0%, Tier 2 50.0%, Tier 3 45.0%"
        );
        let why = crate::verdict::lead_reason(Some(0.35), false).unwrap();
        let lead = validation_text(425, "2026Q3", None, tiers, p90, Some(&why), false);
        assert!(
            lead.starts_with("By P(win ≤ 90 d), which counts open deals, held-out recommended tiers win Tier 1 30.0%, Tier 2 50.0%, Tier 3 45.0% (35% of this window's deals are still open). On closed deals alone: on 425 held-out deals"),
            "{lead}"
        );
    }
}
