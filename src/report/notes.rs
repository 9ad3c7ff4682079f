//! The report's notes in words: why a section was not computed, what to
//! know about the input, how the features that explain deals were known,
//! and how the segments were drawn.

use super::headlines::Findings;
use super::Section;
use crate::domain::OutcomeLabel;
use crate::io::contract::{Deals, Drops};
use crate::io::history::History;
use crate::outcomes::OutcomeFigures;
use crate::recommend::carve::CoreIcpSegment;
use crate::text::{p_text, pct};

/// Why the ICP and tiers could not be fitted.
pub fn no_model_reason(overall: &OutcomeFigures) -> String {
    if overall.lost == 0 {
        format!(
            "every closed deal is won ({}): with no lost deal there is nothing to tell winners from losers",
            overall.won
        )
    } else if overall.won == 0 {
        format!(
            "every closed deal is lost ({}): with no won deal there is nothing to tell winners from losers",
            overall.lost
        )
    } else {
        "the score model could not be fitted (too few closed deals, or data that separates winners from losers perfectly)".into()
    }
}

/// One warning per section a degenerate input left uncomputed, with the reason.
pub fn not_computed_warnings(r: &Findings) -> Vec<String> {
    fn reason<T>(s: &Section<T>) -> Option<&str> {
        match s {
            Section::NotComputed { reason, .. } => Some(reason),
            Section::Computed(_) => None,
        }
    }
    [
        ("speed", reason(r.speed)),
        ("correlations", reason(r.correlations)),
        ("icp", reason(r.icp)),
        ("tiers", reason(r.tiers)),
        ("current_tiers", reason(r.current_tiers)),
    ]
    .into_iter()
    .filter_map(|(name, why)| why.map(|w| format!("{name}: not computed — {w}")))
    .collect()
}

/// Warnings about the input. `won_within`: the ICP, score and drivers are
/// learned on "won within H days" because no deal is marked lost; the note
/// that says so replaces the warning that nothing can be ranked.
pub fn data_warnings(
    drops: &Drops,
    deals: &Deals,
    overall: &OutcomeFigures,
    won_within: bool,
) -> Vec<String> {
    let mut w = Vec::new();
    let dropped: u64 = drops.deals_dropped.values().sum();
    if dropped > 0 {
        w.push(format!(
            "{dropped} deals were dropped ({}); see deals_dropped",
            drops
                .deals_dropped
                .iter()
                .map(|(k, v)| format!("{v} {}", k.key().replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if deals.outcome.iter().all(|o| *o != OutcomeLabel::Open) {
        w.push("no open deals: time to win is measured on closed deals only".into());
    }
    if overall.lost == 0 && !won_within {
        w.push(format!(
            "every closed deal is won ({} won, no lost deal): win rates are all 100% and cannot rank segments or criteria",
            overall.won
        ));
    } else if overall.won == 0 {
        w.push(format!(
            "every closed deal is lost ({} lost, no won deal): win rates are all 0% and there is no time to win",
            overall.lost
        ));
    }
    w
}

/// When the features that explain deals were known, in one sentence.
pub fn features_as_of(history: Option<&History>) -> String {
    match history {
        Some(h) => format!(
            "Features are joined as of each deal's creation from {}.",
            h.file.path
        ),
        None => "Features are one snapshot of the accounts table, as of the as-of date: \
                 a deal opened long ago is explained by its account's features today."
            .to_string(),
    }
}

/// How the segments were drawn, after the clustering's reason: on the fit
/// features (`on_fit`), or on all features when none is fit.
pub fn clustered_on(on_fit: bool) -> &'static str {
    if on_fit {
        "; clustered on fit features (signals and relationships are described, not clustered on)"
    } else {
        "; no feature has the fit role, so clustered on all features"
    }
}

/// How the core ICP was carved out as a segment of its own, after the
/// clustering's reason: the held-out win rates of its deals and of the rest
/// of the segments it was carved from, and the test's p-value.
pub fn carve_reason(c: &CoreIcpSegment) -> String {
    let from: Vec<String> = c.carved_from.iter().map(|id| format!("S{id}")).collect();
    format!(
        "; the core ICP is a segment of its own, S{}: on held-out deals it won {} of {} closed deals against {} of {} in the rest of {} (one-sided account-clustered test, {})",
        c.id,
        pct(Some(c.held_out.win_rate)),
        c.held_out.closed_deals,
        pct(Some(c.rest_held_out.win_rate)),
        c.rest_held_out.closed_deals,
        from.join(", "),
        p_text(c.p_value)
    )
}
