//! The quarterly question: does Tier 1 out-convert Tier 2, and Tier 2 Tier 3?
//!
//! Each comparison is one-sided in both directions: the higher tier converts
//! better (tiers in order) or worse (an inversion). The two-proportion z-test
//! is used unless an expected cell count is under 5, where Fisher's exact
//! test is used instead. Without a significant difference the verdict says
//! how many more closed deals per tier would be needed to tell, at 80% power.

use crate::outcomes::OutcomeFigures;
use crate::report::{CurrentTiers, TierComparison, TierFigures};
use crate::stats::conversion::{
    fisher_exact, newcombe_diff_interval, proportions_ztest, samplesize_two_proportions,
    Alternative,
};

/// Power used for the "need about M more deals" estimate.
pub const POWER: f64 = 0.8;
/// Below this expected count in any cell, Fisher's exact test replaces the z-test.
pub const MIN_EXPECTED: f64 = 5.0;

fn closed(o: &OutcomeFigures) -> u64 {
    o.won + o.lost
}

/// Compare a higher tier with a lower one.
pub fn compare(
    higher: u8,
    h: &OutcomeFigures,
    lower: u8,
    l: &OutcomeFigures,
    confidence: f64,
) -> TierComparison {
    let alpha = 1.0 - confidence;
    let (c1, n1, c2, n2) = (h.won, closed(h), l.won, closed(l));
    let mut out = TierComparison {
        higher,
        lower,
        difference: None,
        difference_interval: None,
        test: String::new(),
        p_value: None,
        p_value_inversion: None,
        verdict: "not_computed".into(),
        verdict_text: String::new(),
        deals_needed_per_tier: None,
    };
    if n1 == 0 || n2 == 0 {
        out.verdict_text = format!(
            "Tier {higher} vs Tier {lower}: cannot compare, Tier {} has no closed deals",
            if n1 == 0 { higher } else { lower }
        );
        return out;
    }
    let (p1, p2) = (c1 as f64 / n1 as f64, c2 as f64 / n2 as f64);
    out.difference = Some(p1 - p2);
    out.difference_interval = newcombe_diff_interval(c1, n1, c2, n2, confidence);
    let n = (n1 + n2) as f64;
    let wins = (c1 + c2) as f64;
    let min_expected = [
        n1 as f64 * wins / n,
        n1 as f64 * (n - wins) / n,
        n2 as f64 * wins / n,
        n2 as f64 * (n - wins) / n,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    let (p_better, p_worse) = if min_expected < MIN_EXPECTED || c1 + c2 == 0 || c1 + c2 == n1 + n2 {
        out.test = "fisher_exact".into();
        let table = [[c1, n1 - c1], [c2, n2 - c2]];
        (
            fisher_exact(table, Alternative::Greater).p_value,
            fisher_exact(table, Alternative::Less).p_value,
        )
    } else {
        out.test = "two_proportion_z".into();
        let g = proportions_ztest(c1, n1, c2, n2, Alternative::Greater).map(|t| t.p_value);
        let l = proportions_ztest(c1, n1, c2, n2, Alternative::Less).map(|t| t.p_value);
        (g.unwrap_or(1.0), l.unwrap_or(1.0))
    };
    out.p_value = Some(p_better);
    out.p_value_inversion = Some(p_worse);
    let rates = format!(
        "{:.1}% vs {:.1}% of closed deals won, {} and {} deals",
        100.0 * p1,
        100.0 * p2,
        n1,
        n2
    );
    let test = if out.test == "fisher_exact" {
        "Fisher's exact test"
    } else {
        "one-sided z-test"
    };
    if p_better < alpha {
        out.verdict = "in_order".into();
        out.verdict_text = format!(
            "Tier {higher} out-converts Tier {lower}: {rates} ({test}, {})",
            crate::report::markdown::p_text(p_better)
        );
    } else if p_worse < alpha {
        out.verdict = "inverted".into();
        out.verdict_text = format!(
            "Tier {higher} converts worse than Tier {lower}: {rates} ({test}, {})",
            crate::report::markdown::p_text(p_worse)
        );
    } else {
        out.verdict = "no_significant_difference".into();
        let need = samplesize_two_proportions(p1, p2, alpha, POWER, Alternative::Greater)
            .filter(|v| v.is_finite() && p1 != p2);
        out.deals_needed_per_tier = need;
        let more = need.map(|m| ((m.ceil() - n1.min(n2) as f64).max(0.0)) as u64);
        out.verdict_text = match more {
            Some(m) => format!(
                "No significant difference between Tier {higher} and Tier {lower} with {} deals ({rates}): need about {m} more closed deals per tier to tell",
                n1 + n2
            ),
            None => format!(
                "No significant difference between Tier {higher} and Tier {lower} with {} deals ({rates}): the rates are equal",
                n1 + n2
            ),
        };
    }
    out
}

/// Figures per current tier (1, 2, 3, untiered) and the verdict.
pub fn current_tiers(tiers: Vec<TierFigures>, confidence: f64) -> CurrentTiers {
    let get = |t: u8| {
        tiers
            .iter()
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let mut comparisons = Vec::new();
    for (a, b) in [(1u8, 2u8), (2, 3)] {
        if let (Some(h), Some(l)) = (get(a), get(b)) {
            comparisons.push(compare(a, h, b, l, confidence));
        }
    }
    let verdict = match comparisons.first() {
        None => "Fewer than two of Tier 1, 2 and 3 are present: no comparison".to_string(),
        Some(c) => c.verdict_text.clone(),
    };
    CurrentTiers {
        verdict,
        tiers,
        comparisons,
    }
}
